// Interop of the sans-I/O SRT layer (src/protocol/srt) with real libsrt clients (ffmpeg, srt-live-transmit)
// through a few-line UDP adapter that lives only here; the server's own SRT wiring is elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { SrtConnection, SrtListener, type SrtEvent, type SrtOptions } from '../../src/protocol/srt/index.js';

const now = () => performance.now();

/** Drives one connection: sends its datagrams, runs its timer, forwards its events. */
class Driver {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    readonly conn: SrtConnection,
    private readonly sock: dgram.Socket,
    private readonly port: number,
    private readonly address: string,
    private readonly onEvent: (e: SrtEvent) => void,
  ) {}
  run(events: SrtEvent[]): void {
    for (const e of events) this.onEvent(e);
    for (const d of this.conn.takeOutgoing()) this.sock.send(d, this.port, this.address);
    clearTimeout(this.timer);
    const t = this.conn.nextTimeout();
    if (t !== undefined) this.timer = setTimeout(() => this.run(this.conn.handleTimeout(now())), Math.max(0, t - now()));
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

interface TestServer {
  port: number;
  events: SrtEvent[];
  payloads: Buffer[];
  rejects: number[];
  closed: Promise<SrtEvent>;
  drivers: Driver[];
  stop(): void;
}

async function listen(options: Partial<SrtOptions>): Promise<TestServer> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const listener = new SrtListener(options, now());
  const byPeer = new Map<string, Driver>();
  const events: SrtEvent[] = [];
  const payloads: Buffer[] = [];
  const rejects: number[] = [];
  let resolveClosed!: (e: SrtEvent) => void;
  const closed = new Promise<SrtEvent>((r) => (resolveClosed = r));
  const drivers: Driver[] = [];
  sock.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    const d = byPeer.get(key);
    if (d) return d.run(d.conn.receive(msg, now()));
    const r = listener.receive(msg, rinfo, now());
    if (r.type === 'reply' || r.type === 'rejected') sock.send(r.datagram, rinfo.port, rinfo.address);
    if (r.type === 'rejected') rejects.push(r.rejectCode);
    if (r.type === 'accepted') {
      const nd = new Driver(r.connection, sock, rinfo.port, rinfo.address, (e) => {
        events.push(e);
        if (e.type === 'data') payloads.push(e.payload);
        if (e.type === 'closed') resolveClosed(e);
      });
      byPeer.set(key, nd);
      drivers.push(nd);
      nd.run(r.connection.takeEvents());
    }
  });
  return {
    port: sock.address().port,
    events,
    payloads,
    rejects,
    closed,
    drivers,
    stop() {
      for (const d of drivers) d.stop();
      sock.close();
    },
  };
}

function waitExit(p: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve(p.exitCode);
    const t = setTimeout(() => {
      p.kill('SIGKILL');
    }, ms);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

function assertTs(payloads: Buffer[]): void {
  assert.ok(payloads.length > 20, `got ${payloads.length} payloads`);
  for (const p of payloads) {
    assert.equal(p.length % 188, 0, 'payload is whole TS packets');
    for (let o = 0; o < p.length; o += 188) assert.equal(p[o], 0x47, 'TS sync byte');
  }
}

test('ffmpeg (libsrt caller) publishes MPEG-TS to our listener with a stream id', { timeout: 30_000 }, async () => {
  const srv = await listen({ latencyMs: 120 });
  try {
    const url = `srt://127.0.0.1:${srv.port}?streamid=#!::r=live/s,m=publish&latency=200000`;
    const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', url], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    ff.stderr!.on('data', (d) => (err += d));
    const code = await waitExit(ff, 20_000);
    assert.equal(code, 0, err);
    const closed = await srv.closed;
    assert.equal(closed.type === 'closed' && closed.reason, 'shutdown');
    const connected = srv.events.find((e) => e.type === 'connected');
    assert.ok(connected && connected.type === 'connected');
    assert.equal(connected.streamId, '#!::r=live/s,m=publish');
    assert.equal(connected.latencyMs, 200, 'the larger latency wins (ffmpeg asked 200 ms)');
    assertTs(srv.payloads);
  } finally {
    srv.stop();
  }
});

/** Two seconds of H.264 in MPEG-TS from lavfi, cut into 1316-byte SRT payloads. */
async function makeTs(): Promise<Buffer> {
  const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  ff.stdout!.on('data', (d: Buffer) => chunks.push(d));
  await waitExit(ff, 20_000);
  return Buffer.concat(chunks);
}

function chunk(ts: Buffer, size = 1316): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < ts.length; o += size) out.push(ts.subarray(o, Math.min(ts.length, o + size)));
  return out;
}

test('srt-live-transmit publishes with passphrase + pbkeylen 32: AES-256 keys unwrap and payloads decrypt', { timeout: 30_000 }, async () => {
  const ts = await makeTs();
  const srv = await listen({ latencyMs: 120, passphrase: 'correct-horse-battery' });
  try {
    const slt = spawn('srt-live-transmit', ['-q', '-a:no', '-c:1316', 'file://con', `srt://127.0.0.1:${srv.port}?passphrase=correct-horse-battery&pbkeylen=32&streamid=#!::r=live/enc,m=publish`], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    slt.stderr!.on('data', (d) => (err += d));
    // srt-live-transmit discards input read before it is connected: start once we see the connection.
    const connectBy = now() + 5000;
    while (!srv.events.some((e) => e.type === 'connected') && now() < connectBy) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    for (const c of chunk(ts, 1316 * 4)) {
      slt.stdin!.write(c);
      await new Promise((r) => setTimeout(r, 2));
    }
    // srt-live-transmit drops what is still in flight when its input ends, so end it once all arrived.
    const deadline = now() + 5000;
    while (Buffer.concat(srv.payloads).length < ts.length - 1316 * 3 && now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // srt-live-transmit neither exits at the end of its input nor sends a SHUTDOWN when interrupted,
    // so the test stops it once the data is in (ffmpeg's SHUTDOWN is checked above).
    slt.kill('SIGKILL');
    await waitExit(slt, 5_000);
    const connected = srv.events.find((e) => e.type === 'connected');
    assert.ok(connected && connected.type === 'connected' && connected.encrypted, err);
    assertTs(srv.payloads);
    assert.deepEqual(Buffer.concat(srv.payloads), ts.subarray(0, Buffer.concat(srv.payloads).length), 'bytes arrive as sent');
    assert.ok(Buffer.concat(srv.payloads).length >= ts.length - 1316 * 8, 'nearly everything arrived');
  } finally {
    srv.stop();
  }
});

test('a wrong passphrase is rejected with BADSECRET and no connection is made', { timeout: 30_000 }, async () => {
  const srv = await listen({ passphrase: 'correct-horse-battery' });
  try {
    const slt = spawn('srt-live-transmit', ['-q', '-a:no', '-c:1316', 'file://con', `srt://127.0.0.1:${srv.port}?passphrase=wrong-horse-battery&streamid=x`], { stdio: ['pipe', 'ignore', 'pipe'] });
    slt.stdin!.write(Buffer.alloc(1316, 0x47));
    const until = now() + 5000;
    while (!srv.rejects.length && now() < until) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    slt.kill('SIGKILL');
    await waitExit(slt, 5_000);
    assert.deepEqual(srv.rejects.slice(0, 1), [1010]);
    assert.equal(srv.drivers.length, 0);
  } finally {
    srv.stop();
  }
});

test('srt-live-transmit plays from our listener through 10% loss: NAK + retransmission deliver every byte', { timeout: 30_000 }, async () => {
  const ts = await makeTs();
  const srv = await listen({ latencyMs: 120, peerLatencyMs: 300 });
  try {
    const slt = spawn('srt-live-transmit', ['-q', '-a:no', '-c:1316', `srt://127.0.0.1:${srv.port}?streamid=live/play&latency=300`, 'file://con'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const got: Buffer[] = [];
    slt.stdout!.on('data', (d: Buffer) => got.push(d));
    while (!srv.drivers.length) await new Promise((r) => setTimeout(r, 10));
    const d = srv.drivers[0]!;
    // Drop every 10th first transmission of a data packet on the way out (retransmissions pass).
    const sock = (d as unknown as { sock: dgram.Socket }).sock;
    const realSend = sock.send.bind(sock) as (b: Buffer, port: number, address: string) => void;
    let n = 0;
    (sock as unknown as { send: unknown }).send = (b: Buffer, port: number, address: string) => {
      const isData = (b[0]! & 0x80) === 0;
      const retrans = (b[4]! & 0x04) !== 0;
      if (isData && !retrans && ++n % 10 === 0) return;
      realSend(b, port, address);
    };
    const pieces = chunk(ts);
    const startAt = now();
    for (let i = 0; i < pieces.length; i++) {
      // One packet every 10 ms: well inside the tail-loss timeout, so holes are repaired by NAKs.
      const due = startAt + i * 10;
      if (due > now()) await new Promise((r) => setTimeout(r, due - now()));
      d.conn.send(pieces[i]!, now());
      d.run([]);
    }
    const deadline = now() + 5000;
    while (d.conn.stats().sendBuffered > 0 && now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const st = d.conn.stats();
    // The player holds packets for its 300 ms latency; a SHUTDOWN before that would cut them off.
    await new Promise((r) => setTimeout(r, 800));
    d.run(d.conn.close(now()));
    await waitExit(slt, 5_000); // srt-live-transmit flushes stdout when it exits on our SHUTDOWN
    assert.ok(st.sender.retransmitted >= Math.floor(pieces.length / 10) - 1, `retransmitted ${st.sender.retransmitted}`);
    assert.ok(st.sender.naksReceived > 0);
    assert.equal(Buffer.concat(got).length, ts.length);
    assert.ok(Buffer.concat(got).equals(ts), 'every byte, in order');
  } finally {
    srv.stop();
  }
});

test('our caller publishes encrypted to a srt-live-transmit listener', { timeout: 30_000 }, async () => {
  const ts = await makeTs();
  const port = await new Promise<number>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const slt = spawn('srt-live-transmit', ['-q', '-a:no', '-c:1316', `srt://127.0.0.1:${port}?mode=listener&passphrase=0123456789abc&pbkeylen=24&latency=200`, 'file://con'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const got: Buffer[] = [];
  slt.stdout!.on('data', (b: Buffer) => got.push(b));
  await new Promise((r) => setTimeout(r, 300)); // no readiness signal from srt-live-transmit -q
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const events: SrtEvent[] = [];
  const conn = SrtConnection.connect('#!::r=live/pull,m=publish', { passphrase: '0123456789abc', pbKeyLen: 24, latencyMs: 120 }, now());
  const d = new Driver(conn, sock, port, '127.0.0.1', (e) => events.push(e));
  sock.on('message', (msg) => d.run(conn.receive(msg, now())));
  try {
    d.run([]);
    const deadline = now() + 5000;
    while (conn.state !== 'connected' && now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(conn.state, 'connected', JSON.stringify(events));
    const c = events.find((e) => e.type === 'connected');
    assert.ok(c && c.type === 'connected' && c.encrypted);
    assert.equal(c.peerLatencyMs, 200, 'the listener receives with its 200 ms');
    const pieces = chunk(ts);
    for (let i = 0; i < pieces.length; i++) {
      conn.send(pieces[i]!, now());
      d.run([]);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 5));
    }
    const until = now() + 5000;
    while (conn.stats().sendBuffered > 0 && now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 700)); // the listener's 200 ms TSBPD hold
    d.run(conn.close(now()));
    await waitExit(slt, 5_000);
    assert.ok(Buffer.concat(got).equals(ts), `received ${Buffer.concat(got).length} of ${ts.length}`);
  } finally {
    d.stop();
    sock.close();
    slt.kill('SIGKILL');
    await waitExit(slt, 5000);
  }
});

test('key refresh both ways with libsrt: srt-live-transmit rotates its keys to our listener, ours rotate to its listener', { timeout: 40_000 }, async () => {
  const ts = await makeTs();
  const pieces = chunk(ts);
  // (a) libsrt publishes with a 64-packet refresh rate: its in-band KMREQs must be installed here.
  const srv = await listen({ latencyMs: 120, passphrase: 'correct-horse-battery' });
  try {
    const slt = spawn('srt-live-transmit', ['-q', '-a:no', '-c:1316', 'file://con', `srt://127.0.0.1:${srv.port}?passphrase=correct-horse-battery&kmrefreshrate=64&kmpreannounce=16&streamid=k`], { stdio: ['pipe', 'ignore', 'pipe'] });
    const connectBy = now() + 5000;
    while (!srv.events.some((e) => e.type === 'connected') && now() < connectBy) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    const rounds = 6; // 6 x 33 packets: three key switches at 64 packets each
    for (let k = 0; k < rounds; k++) {
      for (const p of pieces) {
        slt.stdin!.write(Buffer.concat([p, Buffer.alloc(1316 - p.length, 0xff)]));
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    const deadline = now() + 5000;
    while (srv.payloads.length < pieces.length * rounds * 0.95 && now() < deadline) await new Promise((r) => setTimeout(r, 20));
    slt.kill('SIGKILL');
    await waitExit(slt, 5_000);
    const installs = srv.events.filter((e) => e.type === 'key-installed').length;
    assert.ok(installs >= 2, `in-band KMREQs installed: ${installs}`);
    // srt-live-transmit may discard a few chunks it reads before it is ready; what it sent all arrives.
    const st = srv.drivers[0]!.conn.stats();
    assert.ok(srv.payloads.length >= pieces.length * rounds * 0.9, `payloads ${srv.payloads.length} ${JSON.stringify(st)}`);
    assert.equal(st.undecryptable, 0);
    assert.equal(st.receiver.received, srv.payloads.length);
    assert.equal(st.receiver.dropped, 0);
    for (const p of srv.payloads) assert.equal(p[0], 0x47);
  } finally {
    srv.stop();
  }
  // (b) our caller publishes with a 64-packet refresh rate to a libsrt listener.
  const port = await new Promise<number>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const slt = spawn('srt-live-transmit', ['-q', '-a:no', `srt://127.0.0.1:${port}?mode=listener&passphrase=0123456789abc`, 'file://con'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const got: Buffer[] = [];
  slt.stdout!.on('data', (b: Buffer) => got.push(b));
  await new Promise((r) => setTimeout(r, 300));
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const conn = SrtConnection.connect('k', { passphrase: '0123456789abc', kmRefreshRate: 64, kmPreAnnounce: 16 }, now());
  const d = new Driver(conn, sock, port, '127.0.0.1', () => {});
  sock.on('message', (msg) => d.run(conn.receive(msg, now())));
  try {
    d.run([]);
    const deadline = now() + 5000;
    while (conn.state !== 'connected' && now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const rounds = 6;
    for (let k = 0; k < rounds; k++) {
      for (const p of pieces) {
        conn.send(p, now());
        d.run([]);
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    const until = now() + 5000;
    while (conn.stats().sendBuffered > 0 && now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    d.run(conn.close(now()));
    await waitExit(slt, 5_000);
    const all = Buffer.concat(got);
    assert.equal(all.length, ts.length * rounds, 'libsrt decrypted every packet across the key switches');
    for (let k = 0; k < rounds; k++) assert.ok(all.subarray(k * ts.length, (k + 1) * ts.length).equals(ts));
  } finally {
    d.stop();
    sock.close();
    slt.kill('SIGKILL');
    await waitExit(slt, 5000);
  }
});

test('ffmpeg plays (m=request) from our listener: it reads the TS we send and finds the video stream', { timeout: 30_000 }, async () => {
  const ts = await makeTs();
  const srv = await listen({ latencyMs: 120 });
  try {
    const url = `srt://127.0.0.1:${srv.port}?streamid=#!::r=live/s,m=request&latency=120000`;
    const ff = spawn('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,nb_read_frames', '-of', 'json', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    ff.stdout!.on('data', (d) => (out += d));
    ff.stderr!.on('data', (d) => (err += d));
    const connectBy = now() + 5000;
    while (!srv.drivers.length && now() < connectBy) await new Promise((r) => setTimeout(r, 10));
    const d = srv.drivers[0]!;
    const c = srv.events.find((e) => e.type === 'connected');
    assert.ok(c && c.type === 'connected' && c.streamId.endsWith('m=request'));
    const pieces = chunk(ts);
    const startAt = now();
    for (let i = 0; i < pieces.length; i++) {
      const due = startAt + (i * 1000) / pieces.length;
      if (due > now()) await new Promise((r) => setTimeout(r, due - now()));
      d.conn.send(pieces[i]!, now());
      d.run([]);
    }
    const until = now() + 5000;
    while (d.conn.stats().sendBuffered > 0 && now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 400));
    d.run(d.conn.close(now()));
    const code = await waitExit(ff, 10_000);
    assert.equal(code, 0, err);
    const stream = JSON.parse(out).streams[0];
    assert.equal(stream.codec_name, 'h264');
    assert.equal(stream.width, 160);
    assert.ok(Number(stream.nb_read_frames) >= 45, `frames ${stream.nb_read_frames}`);
  } finally {
    srv.stop();
  }
});

test('our caller with a wrong passphrase is rejected by a libsrt listener (BADSECRET) and closes', { timeout: 20_000 }, async () => {
  const port = await new Promise<number>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const slt = spawn('srt-live-transmit', ['-q', '-a:no', `srt://127.0.0.1:${port}?mode=listener&passphrase=0123456789abc`, 'file://con'], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((r) => setTimeout(r, 300));
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const events: SrtEvent[] = [];
  const conn = SrtConnection.connect('x', { passphrase: 'not-the-passphrase' }, now());
  const d = new Driver(conn, sock, port, '127.0.0.1', (e) => events.push(e));
  sock.on('message', (msg) => d.run(conn.receive(msg, now())));
  try {
    d.run([]);
    const until = now() + 5000;
    while (conn.state !== 'closed' && now() < until) await new Promise((r) => setTimeout(r, 10));
    const closed = events.find((e) => e.type === 'closed');
    assert.ok(closed && closed.type === 'closed', JSON.stringify(events));
    assert.equal(closed.reason, 'rejected');
    assert.equal(closed.rejectCode, 1010);
  } finally {
    d.stop();
    sock.close();
    slt.kill('SIGKILL');
    await waitExit(slt, 5000);
  }
});
