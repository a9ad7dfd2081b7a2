import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzInputs, prng, randomBytes } from '../../../test/fixtures/index.js';
import { SrtConnection, type SrtEvent } from './connection.js';
import { SrtListener, type SrtAcceptCheck } from './listener.js';
import { ControlType, decodePacket, encodeControlPacket, encodeLossList } from './packet.js';
import { HandshakeType, decodeHandshake, encodeHandshake } from './handshake.js';
import type { SrtOptions } from './options.js';

const PEER = { address: '10.0.0.2', port: 5000 };

/** A caller and a listener joined by an in-memory link with a fake clock and optional loss. */
class Link {
  t = 1_000;
  server: SrtConnection | undefined;
  readonly caller: SrtConnection;
  readonly listener: SrtListener;
  readonly callerEvents: SrtEvent[] = [];
  readonly serverEvents: SrtEvent[] = [];
  readonly toServer: Buffer[] = [];
  readonly toCaller: Buffer[] = [];
  /** Return true to lose a datagram. */
  lose: (d: Buffer, toServer: boolean) => boolean = () => false;
  cut = false;

  constructor(streamId: string, callerOpts: Partial<SrtOptions>, listenerOpts: Partial<SrtOptions>, check?: SrtAcceptCheck, seed = 1) {
    const rand = prng(seed);
    const random = (n: number) => randomBytes(rand, n);
    this.listener = new SrtListener({ random, ...listenerOpts }, this.t, check);
    this.caller = SrtConnection.connect(streamId, { random, ...callerOpts }, this.t);
    this.flush();
  }

  /** Delivers everything in flight (repeatedly, since answers make more). */
  flush(): void {
    for (let guard = 0; guard < 1000; guard++) {
      for (const d of this.caller.takeOutgoing()) if (!this.cut && !this.lose(d, true)) this.toServer.push(d);
      if (this.server) for (const d of this.server.takeOutgoing()) if (!this.cut && !this.lose(d, false)) this.toCaller.push(d);
      if (!this.toServer.length && !this.toCaller.length) return;
      for (const d of this.toServer.splice(0)) {
        if (this.server) this.onServer(this.server.receive(d, this.t));
        else {
          const r = this.listener.receive(d, PEER, this.t);
          if (r.type === 'reply' || r.type === 'rejected') this.toCaller.push(r.datagram);
          if (r.type === 'accepted') {
            this.server = r.connection;
            this.onServer(r.connection.takeEvents());
          }
        }
      }
      for (const d of this.toCaller.splice(0)) this.callerEvents.push(...this.caller.receive(d, this.t));
    }
  }

  /** When (fake ms) each data event reached the server's application. */
  readonly serverDataTimes: number[] = [];
  private onServer(events: SrtEvent[]): void {
    for (const e of events) {
      this.serverEvents.push(e);
      if (e.type === 'data') this.serverDataTimes.push(this.t);
    }
  }

  /** Moves the clock to `until`, firing each side's timers when due. */
  advance(ms: number): void {
    const until = this.t + ms;
    let sameT = 0;
    for (;;) {
      const next = Math.min(this.caller.nextTimeout() ?? Infinity, this.server?.nextTimeout() ?? Infinity);
      if (next > until) break;
      // A timer that is always due but never acted on would spin a real event loop.
      sameT = next <= this.t ? sameT + 1 : 0;
      assert.ok(sameT < 50, `nextTimeout stuck at ${next}`);
      this.t = Math.max(this.t, next);
      if ((this.caller.nextTimeout() ?? Infinity) <= this.t) this.callerEvents.push(...this.caller.handleTimeout(this.t));
      if (this.server && (this.server.nextTimeout() ?? Infinity) <= this.t) this.onServer(this.server.handleTimeout(this.t));
      this.flush();
    }
    this.t = until;
    this.flush();
  }

  payloads(events: SrtEvent[]): Buffer[] {
    return events.flatMap((e) => (e.type === 'data' ? [e.payload] : []));
  }
}

test('caller and listener: cookie handshake, stream id, latency negotiated both ways (TSBPD)', () => {
  const link = new Link('#!::r=live/s,m=publish', { latencyMs: 200, peerLatencyMs: 300 }, { latencyMs: 120, peerLatencyMs: 0 });
  assert.equal(link.caller.state, 'connected');
  assert.ok(link.server);
  assert.equal(link.server.state, 'connected');
  assert.equal(link.server.streamId, '#!::r=live/s,m=publish');
  const s = link.serverEvents.find((e) => e.type === 'connected');
  const c = link.callerEvents.find((e) => e.type === 'connected');
  assert.deepEqual(s, { type: 'connected', streamId: '#!::r=live/s,m=publish', latencyMs: 300, peerLatencyMs: 200, encrypted: false });
  assert.deepEqual(c, { type: 'connected', streamId: '#!::r=live/s,m=publish', latencyMs: 200, peerLatencyMs: 300, encrypted: false });
  assert.equal(link.listener.stats.inductions, 1);
  assert.equal(link.listener.stats.accepted, 1);
});

test('live data both ways through 5% loss: every packet arrives, in order, after the latency', () => {
  const rand = prng(7);
  const link = new Link('s', { latencyMs: 300 }, { latencyMs: 300 });
  link.lose = () => rand() < 0.05;
  const n = 2000;
  const sentAt = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const p = Buffer.alloc(1316, i & 0xff);
    p.writeUInt32BE(i, 0);
    sentAt.set(i, link.t);
    link.caller.send(p, link.t);
    link.server!.send(p, link.t);
    link.flush();
    link.advance(2);
  }
  link.lose = () => false;
  link.advance(2000);
  for (const events of [link.serverEvents, link.callerEvents]) {
    const got = link.payloads(events).map((p) => p.readUInt32BE(0));
    assert.equal(got.length, n);
    assert.deepEqual(got, [...Array(n).keys()]);
  }
  const st = link.server!.stats();
  assert.ok(st.receiver.lost > 0 && st.receiver.retransmitted > 0, JSON.stringify(st.receiver));
  assert.equal(st.receiver.dropped, 0);
  assert.ok(st.sender.retransmitted > 0);
  assert.ok(st.rttMs >= 0 && st.rttMs < 100, `rtt ${st.rttMs}`);
});

test('encryption: AES-256 both ways, and key refresh (even -> odd -> even) with pre-announce keeps data flowing', () => {
  const link = new Link('s', { passphrase: 'a-long-passphrase', pbKeyLen: 32, kmRefreshRate: 64, kmPreAnnounce: 16 }, { passphrase: 'a-long-passphrase' });
  assert.equal(link.server!.encrypted, true);
  for (let i = 0; i < 300; i++) {
    link.caller.send(Buffer.from(`msg ${i}`), link.t);
    link.flush();
    link.advance(1);
  }
  link.server!.send(Buffer.from('back'), link.t);
  link.advance(1000);
  const got = link.payloads(link.serverEvents).map((p) => p.toString());
  assert.deepEqual(got, [...Array(300).keys()].map((i) => `msg ${i}`));
  assert.deepEqual(link.payloads(link.callerEvents).map((p) => p.toString()), ['back']);
  const installs = link.serverEvents.filter((e) => e.type === 'key-installed');
  assert.ok(installs.length >= 4, `key refreshes seen: ${installs.length}`);
  assert.equal(link.server!.stats().undecryptable, 0);
});

test('a wrong passphrase is rejected (BADSECRET, 1010); a missing one is UNSECURE (1011)', () => {
  const bad = new Link('s', { passphrase: 'a-long-passphrase' }, { passphrase: 'another-passphrase' });
  assert.equal(bad.server, undefined);
  const closed = bad.callerEvents.find((e) => e.type === 'closed');
  assert.ok(closed && closed.type === 'closed');
  assert.equal(closed.reason, 'rejected');
  assert.equal(closed.rejectCode, 1010);
  assert.equal(bad.listener.stats.rejected, 1);
  const none = new Link('s', {}, { passphrase: 'another-passphrase' });
  const c2 = none.callerEvents.find((e) => e.type === 'closed');
  assert.ok(c2 && c2.type === 'closed' && c2.rejectCode === 1011);
});

test('the server can refuse a stream id before a connection exists', () => {
  const link = new Link('#!::r=live/nope', {}, {}, ({ streamId }) => (streamId.includes('nope') ? 1403 : undefined));
  assert.equal(link.server, undefined);
  const closed = link.callerEvents.find((e) => e.type === 'closed');
  assert.ok(closed && closed.type === 'closed' && closed.rejectCode === 1403);
});

test('SYN cookies: a wrong or two-minute-old cookie gets no answer and no state', () => {
  const rand = prng(3);
  const random = (n: number) => randomBytes(rand, n);
  const listener = new SrtListener({ random }, 0);
  const caller = SrtConnection.connect('s', { random }, 0);
  const induction = caller.takeOutgoing()[0]!;
  const reply = listener.receive(induction, PEER, 0);
  assert.equal(reply.type, 'reply');
  caller.receive(reply.type === 'reply' ? reply.datagram : Buffer.alloc(0), 0);
  const conclusion = caller.takeOutgoing()[0]!;
  // Another address presenting this cookie.
  assert.equal(listener.receive(conclusion, { address: '10.0.0.3', port: 5000 }, 0).type, 'ignored');
  // Tampered cookie.
  const tampered = Buffer.from(conclusion);
  tampered[16 + 28]! ^= 1;
  assert.equal(listener.receive(tampered, PEER, 0).type, 'ignored');
  // Same cookie, two minutes later.
  assert.equal(listener.receive(conclusion, PEER, 120_000).type, 'ignored');
  assert.equal(listener.stats.badCookies, 3);
  assert.equal(listener.receive(conclusion, PEER, 59_000).type, 'accepted', 'a cookie from this minute works');
});

test('a lost conclusion response: the caller repeats its conclusion and the connection answers it again', () => {
  let dropped = 0;
  const link = new Link('s', {}, {});
  // Rebuild with the first conclusion response lost.
  const l2 = new Link('s', {}, {}, undefined, 9);
  void link;
  assert.equal(l2.caller.state, 'connected');
  const rand = prng(11);
  const random = (n: number) => randomBytes(rand, n);
  const listener = new SrtListener({ random }, 0);
  const caller = SrtConnection.connect('s', { random }, 0);
  const r1 = listener.receive(caller.takeOutgoing()[0]!, PEER, 0);
  caller.receive(r1.type === 'reply' ? r1.datagram : Buffer.alloc(0), 0);
  const r2 = listener.receive(caller.takeOutgoing()[0]!, PEER, 1);
  assert.equal(r2.type, 'accepted');
  if (r2.type !== 'accepted') return;
  r2.connection.takeOutgoing(); // lost
  dropped++;
  caller.handleTimeout(251);
  const again = caller.takeOutgoing();
  assert.equal(again.length, 1);
  r2.connection.receive(again[0]!, 252);
  const resp = r2.connection.takeOutgoing();
  assert.equal(resp.length, 1);
  const ev = caller.receive(resp[0]!, 253);
  assert.equal(caller.state, 'connected');
  assert.ok(ev.some((e) => e.type === 'connected'));
  assert.equal(dropped, 1);
});

test('keepalive every second when idle; peer idle timeout closes with SrtTimeout and frees state', () => {
  const link = new Link('s', {}, { peerIdleTimeoutMs: 5000 });
  let keepalives = 0;
  link.lose = (d) => {
    const p = decodePacket(d);
    if (p.kind === 'control' && p.type === ControlType.Keepalive) keepalives++;
    return false;
  };
  link.advance(3500);
  assert.ok(keepalives >= 6, `keepalives ${keepalives}`);
  assert.equal(link.server!.state, 'connected');
  link.cut = true;
  link.advance(5100);
  const closed = link.serverEvents.find((e) => e.type === 'closed');
  assert.ok(closed && closed.type === 'closed');
  assert.equal(closed.reason, 'timeout');
  assert.equal(closed.error?.code, 6002);
  assert.equal(link.server!.state, 'closed');
  assert.equal(link.server!.nextTimeout(), undefined);
  assert.equal(link.server!.send(Buffer.from('x'), link.t), false);
});

test('shutdown: a local close sends SHUTDOWN and the peer closes', () => {
  const link = new Link('s', {}, {});
  link.callerEvents.push(...link.caller.close(link.t));
  link.flush();
  assert.deepEqual(link.serverEvents.filter((e) => e.type === 'closed').map((e) => e.type === 'closed' && e.reason), ['shutdown']);
  assert.deepEqual(link.callerEvents.filter((e) => e.type === 'closed').map((e) => e.type === 'closed' && e.reason), ['local']);
  assert.deepEqual(link.caller.close(link.t), [], 'close is idempotent');
});

test('connect timeout: induction retried every 250 ms, then closed after 3 s', () => {
  const caller = SrtConnection.connect('s', {}, 0);
  let sent = caller.takeOutgoing().length;
  let events: SrtEvent[] = [];
  let t = 0;
  while (caller.nextTimeout() !== undefined && t < 10_000) {
    t = caller.nextTimeout()!;
    events = events.concat(caller.handleTimeout(t));
    sent += caller.takeOutgoing().length;
  }
  assert.equal(t, 3000);
  assert.equal(sent, 12);
  const closed = events.find((e) => e.type === 'closed');
  assert.ok(closed && closed.type === 'closed' && closed.reason === 'timeout' && closed.error?.code === 6002);
});

test('the 32-bit timestamp wraps after 71.6 minutes of a session: delivery continues, delay unchanged', () => {
  const link = new Link('s', { latencyMs: 120 }, { latencyMs: 120 });
  const wrapMs = 0x1_0000_0000 / 1000;
  const sentAt: number[] = [];
  const start = link.t;
  while (link.t - start < wrapMs + 20_000) {
    link.caller.send(Buffer.from('p'), link.t);
    sentAt.push(link.t);
    link.flush();
    link.advance(1000);
  }
  const delays = link.serverDataTimes.map((t, i) => t - sentAt[i]!);
  assert.equal(delays.length, sentAt.length, 'every packet delivered');
  // Each packet plays exactly `latency` after it was sent (the link has no delay), before and after the wrap.
  assert.deepEqual([...new Set(delays.map((d) => Math.round(d)))], [120]);
  assert.ok(link.caller.stats().sender.sent > wrapMs / 1000);
  assert.equal(link.server!.state, 'connected');
  assert.equal(link.server!.stats().receiver.dropped, 0);
});

test('garbage datagrams to a connection are counted and ignored; a fuzzed listener never throws', () => {
  const link = new Link('s', {}, {});
  const server = link.server!;
  const rand = prng(5);
  for (let i = 0; i < 2000; i++) {
    const junk = randomBytes(rand, Math.floor(rand() * 64));
    if (junk.length >= 16) junk.writeUInt32BE(server.socketId, 12);
    server.receive(junk, link.t);
  }
  assert.equal(server.state === 'connected' || server.state === 'closed', true);
  assert.ok(server.stats().ignored > 0);

  const rand2 = prng(8);
  const random = (n: number) => randomBytes(rand2, n);
  const listener = new SrtListener({ random }, 0);
  const caller = SrtConnection.connect('#!::r=live/s,m=publish', { random, passphrase: 'a-long-passphrase' }, 0);
  const induction = caller.takeOutgoing()[0]!;
  const r = listener.receive(induction, PEER, 0);
  caller.receive(r.type === 'reply' ? r.datagram : Buffer.alloc(0), 0);
  const conclusion = caller.takeOutgoing()[0]!;
  const fuzzListener = new SrtListener({ random, passphrase: 'a-long-passphrase' }, 0);
  // Same secret not shared, so give the fuzzer its own valid cookie inside the seeds.
  const hs = decodeHandshake(conclusion.subarray(16));
  hs.cookie = fuzzListener.cookieFor(PEER, 0);
  const seed = encodeControlPacket({ type: ControlType.Handshake, subtype: 0, typeInfo: 0, timestamp: 0, destSocketId: 0, cif: encodeHandshake(hs) });
  assert.equal(fuzzListener.receive(seed, PEER, 0).type, 'accepted');
  const kinds = new Map<string, number>();
  for (const input of fuzzInputs([seed, induction], 99, 4000)) {
    const res = fuzzListener.receive(input, PEER, 0);
    kinds.set(res.type, (kinds.get(res.type) ?? 0) + 1);
    if (res.type === 'accepted') res.connection.receive(input, 1);
  }
  assert.ok((kinds.get('ignored') ?? 0) > 0 && (kinds.get('reply') ?? 0) > 0, JSON.stringify([...kinds]));
  assert.equal(HandshakeType.Conclusion, -1);
});

test('an HSv4 caller: conclusion without extensions is accepted, its in-band HSREQ gets an HSRSP with our latency', () => {
  const rand = prng(21);
  const random = (n: number) => randomBytes(rand, n);
  const listener = new SrtListener({ random, latencyMs: 150 }, 0);
  const hs = {
    version: 4,
    encryption: 0,
    extensionField: 2,
    initialSeq: 500,
    mtu: 1500,
    flowWindow: 8192,
    type: HandshakeType.Induction,
    socketId: 77,
    cookie: 0,
    peerIp: Buffer.alloc(16),
    extensions: [],
  };
  const wrap = (cif: Buffer, dest = 0) => encodeControlPacket({ type: ControlType.Handshake, subtype: 0, typeInfo: 0, timestamp: 0, destSocketId: dest, cif });
  const r1 = listener.receive(wrap(encodeHandshake(hs)), PEER, 0);
  assert.equal(r1.type, 'reply');
  const cookie = r1.type === 'reply' ? decodeHandshake(r1.datagram.subarray(16)).cookie : 0;
  const r2 = listener.receive(wrap(encodeHandshake({ ...hs, type: HandshakeType.Conclusion, cookie })), PEER, 1);
  assert.equal(r2.type, 'accepted');
  if (r2.type !== 'accepted') return;
  const conn = r2.connection;
  const rsp = decodeHandshake(conn.takeOutgoing()[0]!.subarray(16));
  assert.equal(rsp.version, 4);
  assert.equal(rsp.extensions.length, 0);
  const hsreq = Buffer.alloc(12);
  hsreq.writeUInt32BE(0x010300, 0);
  hsreq.writeUInt32BE(0x3f, 4);
  hsreq.writeUInt16BE(0, 8);
  hsreq.writeUInt16BE(400, 10); // the v4 sender asks for 400 ms
  conn.receive(encodeControlPacket({ type: ControlType.UserDefined, subtype: 1, typeInfo: 0, timestamp: 5, destSocketId: conn.socketId, cif: hsreq }), 2);
  const out = conn.takeOutgoing().map((d) => decodePacket(d));
  const hsrsp = out.find((p) => p.kind === 'control' && p.type === ControlType.UserDefined && p.subtype === 2);
  assert.ok(hsrsp && hsrsp.kind === 'control');
  assert.equal(hsrsp.cif.readUInt16BE(8), 400, 'receiver delay: the larger of ours and the sender ask');
  assert.equal(conn.stats().latencyMs, 400);
  // The receiver holds data for the negotiated 400 ms.
  const data = Buffer.alloc(20);
  data.writeUInt32BE(500, 0);
  data.writeUInt32BE(0xc0000001, 4);
  data.writeUInt32BE(5, 8);
  data.writeUInt32BE(conn.socketId, 12);
  conn.receive(data, 3);
  // Base: 1 ms (conclusion at t=1 with timestamp 0); the packet's 5 µs + 400 ms => due at 401.005 ms.
  assert.equal(conn.handleTimeout(401).filter((e) => e.type === 'data').length, 0);
  assert.equal(conn.handleTimeout(401.01).filter((e) => e.type === 'data').length, 1);
});

test('options are checked like libsrt socket options', () => {
  const bad: Partial<SrtOptions>[] = [
    { passphrase: 'short' },
    { pbKeyLen: 20 },
    { mss: 2000 },
    { payloadSize: 1500 },
    { latencyMs: 70_000 },
    { rcvBufPackets: 8 },
    { kmRefreshRate: 100, kmPreAnnounce: 60 },
  ];
  for (const o of bad) assert.throws(() => SrtConnection.connect('s', o, 0), (e: unknown) => (e as { code?: number }).code === 6005, JSON.stringify(o));
  const c = SrtConnection.connect('s', { payloadSize: 188 }, 0);
  assert.equal(c.options.payloadSize, 188);
});

test('a connected, encrypted session fed mutated real packets and a NAK flood stays up and bounded', () => {
  const link = new Link('s', { passphrase: 'a-long-passphrase', kmRefreshRate: 64, kmPreAnnounce: 16 }, { passphrase: 'a-long-passphrase' });
  const seeds: Buffer[] = [];
  link.lose = (d, toServer) => {
    if (toServer && seeds.length < 64) seeds.push(Buffer.from(d));
    return false;
  };
  for (let i = 0; i < 100; i++) {
    link.caller.send(Buffer.alloc(188, 0x47), link.t);
    link.server!.send(Buffer.alloc(188, 0x47), link.t);
    link.advance(5);
  }
  const server = link.server!;
  for (const input of fuzzInputs(seeds, 4242, 5000, 64)) {
    for (const e of server.receive(input, link.t)) assert.notEqual(e.type, 'closed', 'garbage closed the session');
  }
  // 50 packets the peer never acknowledges, so the flood has something to retransmit.
  for (let i = 0; i < 50; i++) server.send(Buffer.alloc(188, 0x47), link.t);
  const firstNew = server.takeOutgoing().map((d) => decodePacket(d)).find((p) => p.kind === 'data');
  assert.ok(firstNew && firstNew.kind === 'data');
  const buffered = server.stats().sendBuffered;
  assert.ok(buffered >= 50, `buffered ${buffered}`);
  // NAK flood: every NAK names those packets and 100000 more that were never sent.
  const nak = encodeControlPacket({ type: ControlType.Nak, subtype: 0, typeInfo: 0, timestamp: 0, destSocketId: server.socketId, cif: encodeLossList([{ from: firstNew.seq - 10, to: firstNew.seq + 100_000 }]) });
  for (let i = 0; i < 10_000; i++) server.receive(nak, link.t);
  const out = server.takeOutgoing().length;
  assert.ok(out >= buffered && out <= buffered + 5, `${out} datagrams for ${buffered} buffered packets: each resent once`);
  assert.equal(server.state, 'connected');
  assert.ok(server.stats().ignored > 0);
});

test('nextTimeout never spins: a hole without tlpktdrop and a full flow window wait for the peer', () => {
  const link = new Link('s', { tlpktdrop: false, flowWindow: 32, latencyMs: 50 }, { tlpktdrop: false, flowWindow: 32, latencyMs: 50 });
  // The 11th message and every retransmission of it are lost for good.
  link.lose = (d, toServer) => {
    const p = decodePacket(d);
    return toServer && p.kind === 'data' && p.msgNo === 11;
  };
  for (let i = 0; i < 100; i++) {
    link.caller.send(Buffer.from([i]), link.t);
    link.advance(2);
  }
  link.advance(3000); // the guard in advance() fails the test if any timer stays due without effect
  assert.equal(link.payloads(link.serverEvents).length, 10, 'delivery waits at the hole');
  assert.equal(link.server!.state, 'connected');
  const st = link.caller.stats();
  assert.ok(st.sendBuffered >= 32, `buffered ${st.sendBuffered}`);
  assert.ok(st.sender.sent <= 10 + 32 + 1, `sent ${st.sender.sent} (flow window 32)`);
});
