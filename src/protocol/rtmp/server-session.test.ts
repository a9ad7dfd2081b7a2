import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeAmf0, encodeAmf0, type Amf0Object } from '../../kernel/format/amf0.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { ChunkEncoder } from './chunk-encoder.js';
import { commandMessage, decodeCommand } from './commands.js';
import { HandshakeClient } from './handshake.js';
import { MessageType, encodeSetChunkSize, encodeUserControl, UserControlEvent, type RtmpMessage } from './message.js';
import { RtmpServerSession, type ServerSessionEvent, type ServerSessionOptions } from './server-session.js';
import { ProtocolError } from '../../core/errors.js';

/** A scripted client talking to the session through bytes only. */
class Pair {
  readonly server: RtmpServerSession;
  /** The time given with every delivery. */
  now = 0;
  private readonly enc = new ChunkEncoder();
  private readonly dec = new ChunkDecoder();
  events: ServerSessionEvent[] = [];
  replies: RtmpMessage[] = [];

  constructor(options: Partial<ServerSessionOptions> = { nowMs: () => 0 }) {
    this.server = new RtmpServerSession({ random: randomBytes, ...options });
    this.now = options.openedAtMs ?? 0;
    const hs = new HandshakeClient(randomBytes, () => 0);
    this.events.push(...this.server.receive(hs.start()));
    const s0s1s2 = Buffer.concat(this.server.takeOutput());
    const r = hs.receive(s0s1s2);
    assert.ok(r.done);
    this.events.push(...this.server.receive(Buffer.concat(r.send)));
    assert.equal(this.server.takeOutput().length, 0);
  }

  deliver(bytes: Buffer): void {
    this.events.push(...this.server.receive(bytes, this.now));
    for (const b of this.server.takeOutput()) this.replies.push(...this.dec.push(b));
  }

  send(msg: RtmpMessage): void {
    this.deliver(this.enc.encodeToBuffer(msg));
  }

  command(streamId: number, name: string, txn: number, obj: unknown, ...args: unknown[]): void {
    this.send(commandMessage(streamId, 3, name, txn, obj as never, ...(args as never[])));
  }

  takeEvents(): ServerSessionEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  takeCommands(): { name: string; args: unknown[]; obj: unknown; txn: number }[] {
    const out = this.replies.filter((m) => m.typeId === MessageType.CommandAmf0).map((m) => {
      const c = decodeCommand(m);
      return { name: c.name, args: c.args, obj: c.commandObject, txn: c.transactionId };
    });
    this.replies = [];
    return out;
  }
}

test('FMLE publish sequence: connect, releaseStream, FCPublish, createStream, publish, media', () => {
  const p = new Pair();
  assert.equal(p.takeEvents()[0]?.type, 'handshake');
  p.command(0, 'connect', 1, { app: 'live', tcUrl: 'rtmp://127.0.0.1/live', objectEncoding: 0 });
  const ev = p.takeEvents();
  assert.equal(ev[0]?.type, 'connect');
  if (ev[0]?.type === 'connect') assert.equal(ev[0].info.tcUrl, 'rtmp://127.0.0.1/live');
  p.server.acceptConnect({ chunkSize: 60000, windowAckSize: 2500000, peerBandwidth: 2500000, serverInfo: { srs_sig: 'SRS' } });
  p.deliver(Buffer.alloc(0));
  const types = p.replies.map((m) => m.typeId);
  assert.deepEqual(types.slice(0, 3), [MessageType.WindowAckSize, MessageType.SetPeerBandwidth, MessageType.SetChunkSize]);
  const connectReply = p.takeCommands();
  assert.equal(connectReply[0]!.name, '_result');
  assert.equal((connectReply[0]!.args[0] as Amf0Object).code, 'NetConnection.Connect.Success');
  assert.equal(connectReply[1]!.name, 'onBWDone');

  p.command(0, 'releaseStream', 2, null, 'cam1');
  p.command(0, 'FCPublish', 3, null, 'cam1');
  p.command(0, 'createStream', 4, null);
  const created = p.takeCommands();
  assert.deepEqual(created.map((c) => `${c.name}:${c.txn}`), ['_result:2', '_result:3', '_result:4']);
  assert.equal(created[2]!.args[0], 1);

  p.command(1, 'publish', 5, null, 'cam1?token=a', 'live');
  const pub = p.takeEvents();
  assert.deepEqual(pub[0], { type: 'publish', streamId: 1, streamName: 'cam1?token=a', publishType: 'live', fmle: true });
  p.server.acceptPublish(1, true);
  p.deliver(Buffer.alloc(0));
  assert.deepEqual(p.takeCommands().map((c) => c.name), ['onFCPublish', 'onStatus']);

  p.send({ typeId: MessageType.DataAmf0, streamId: 1, timestamp: 0, chunkStreamId: 4, payload: encodeAmf0('@setDataFrame', 'onMetaData', { width: 320 }) });
  p.send({ typeId: MessageType.Video, streamId: 1, timestamp: 40, chunkStreamId: 6, payload: Buffer.from([0x17, 1, 0, 0, 0]) });
  const media = p.takeEvents();
  assert.equal(media[0]?.type, 'metadata');
  if (media[0]?.type === 'metadata') assert.deepEqual(decodeAmf0(media[0].payload)[0], 'onMetaData');
  assert.equal(media[1]?.type, 'media');
  if (media[1]?.type === 'media') assert.equal(media[1].timestamp, 40);

  p.command(1, 'FCUnpublish', 6, null, 'cam1');
  assert.equal(p.takeEvents()[0]?.type, 'unpublish');
  assert.deepEqual(p.takeCommands().map((c) => c.name), ['onFCUnpublish', '_result']);
});

test('play: status sequence and pings answered', () => {
  const p = new Pair();
  p.command(0, 'connect', 1, { app: 'live', tcUrl: 'rtmp://h/live' });
  p.server.acceptConnect({ chunkSize: 4096, windowAckSize: 2500000, peerBandwidth: 2500000, serverInfo: {} });
  p.command(0, 'createStream', 2, null);
  p.command(1, 'play', 3, null, 'cam1', -2000);
  const ev = p.takeEvents().filter((e) => e.type === 'play');
  assert.equal(ev.length, 1);
  p.takeCommands();
  p.server.acceptPlay(1, 'cam1');
  p.deliver(Buffer.alloc(0));
  const names = p.replies.map((m) => (m.typeId === MessageType.CommandAmf0 ? (decodeCommand(m).args[0] as Amf0Object).code : m.typeId));
  assert.deepEqual(names, [MessageType.UserControl, 'NetStream.Play.Reset', 'NetStream.Play.Start', MessageType.DataAmf0, MessageType.DataAmf0]);
  p.replies = [];
  p.send(encodeUserControl(UserControlEvent.PingRequest, 1234));
  const pong = p.replies.find((m) => m.typeId === MessageType.UserControl);
  assert.ok(pong);
  assert.equal(pong.payload.readUInt16BE(0), UserControlEvent.PingResponse);
  assert.equal(pong.payload.readUInt32BE(2), 1234);
});

test('client chunk size change and a message over several chunks', () => {
  const p = new Pair();
  p.send(encodeSetChunkSize(100));
  // The client's encoder must use the same size for its next messages.
  const enc = new ChunkEncoder();
  enc.outChunkSize = 100;
  const big = Buffer.alloc(1000, 7);
  big[0] = 0x27;
  p.deliver(enc.encodeToBuffer({ typeId: MessageType.Video, streamId: 1, timestamp: 10, chunkStreamId: 6, payload: big }));
  const ev = p.takeEvents().filter((e) => e.type === 'media');
  assert.equal(ev.length, 1);
  if (ev[0]?.type === 'media') assert.ok(ev[0].payload.equals(big));
});

test('timestamps past 2^32 keep rising (long sessions)', () => {
  const p = new Pair();
  const ts = [0xfffff000, 0xfffffc00, 0x00000400, 0x00001000];
  for (const t of ts) p.send({ typeId: MessageType.Audio, streamId: 1, timestamp: t, chunkStreamId: 7, payload: Buffer.from([0xaf, 1, 0]) });
  const out = p.takeEvents().flatMap((e) => (e.type === 'media' ? [e.timestamp] : []));
  assert.deepEqual(out, [0xfffff000, 0xfffffc00, 0x100000400, 0x100001000]);
});

test('aggregate messages are split into their FLV tags', () => {
  const p = new Pair();
  const tag = (type: number, ts: number, body: Buffer): Buffer => {
    const h = Buffer.alloc(11);
    h[0] = type;
    h.writeUIntBE(body.length, 1, 3);
    h.writeUIntBE(ts & 0xffffff, 4, 3);
    h[7] = ts >>> 24;
    const prev = Buffer.alloc(4);
    prev.writeUInt32BE(11 + body.length);
    return Buffer.concat([h, body, prev]);
  };
  const payload = Buffer.concat([tag(8, 500, Buffer.from([0xaf, 1, 1])), tag(9, 520, Buffer.from([0x27, 1, 0, 0, 0]))]);
  p.send({ typeId: MessageType.Aggregate, streamId: 1, timestamp: 1000, chunkStreamId: 6, payload });
  const media = p.takeEvents().flatMap((e) => (e.type === 'media' ? [`${e.typeId}@${e.timestamp}`] : []));
  assert.deepEqual(media, ['8@1000', '9@1020']);
});

test('garbage before the handshake fails fast with a ProtocolError', () => {
  const s = new RtmpServerSession({ random: randomBytes, nowMs: () => 0 });
  assert.throws(() => s.receive(Buffer.from('GET / HTTP/1.1\r\n\r\n')), ProtocolError);
});

test('a command whose name is not a string is a ProtocolError', () => {
  const p = new Pair();
  assert.throws(() => p.send({ typeId: MessageType.CommandAmf0, streamId: 0, timestamp: 0, chunkStreamId: 3, payload: encodeAmf0(1, 2) }), ProtocolError);
});

test('setup deadline: from the open time until a publish or play is accepted', () => {
  const p = new Pair({ openedAtMs: 1000, setupTimeoutMs: 30_000 });
  assert.equal(p.server.nextTimeout(), 31_000);
  p.now = 20_000;
  p.command(0, 'connect', 1, { app: 'live', tcUrl: 'rtmp://h/live' });
  assert.equal(p.server.nextTimeout(), 31_000, 'traffic does not move the setup deadline');
  assert.deepEqual(p.server.checkTimeout(30_999), []);
  assert.deepEqual(p.server.checkTimeout(31_000), [{ type: 'timeout', what: 'setup', idleMs: 30_000, limitMs: 30_000 }]);
  p.server.acceptPlay(1, 'cam');
  assert.equal(p.server.nextTimeout(), null);
  assert.deepEqual(p.server.checkTimeout(99_999), []);
  assert.equal(new Pair().server.nextTimeout(), null, 'no setup timeout unless asked');
});

test('publish deadlines: firstpkt_timeout until the first packet, then normal_timeout after each one', () => {
  const p = new Pair({ openedAtMs: 0, setupTimeoutMs: 30_000 });
  p.now = 5000;
  p.server.acceptPublish(1, false, { nowMs: 5000, firstPacketTimeoutMs: 20_000, normalTimeoutMs: 5000 });
  assert.equal(p.server.nextTimeout(), 25_000);
  assert.deepEqual(p.server.checkTimeout(24_999), []);
  assert.deepEqual(p.server.checkTimeout(25_000), [{ type: 'timeout', what: 'first-packet', idleMs: 20_000, limitMs: 20_000 }]);
  p.now = 8000;
  p.send({ typeId: MessageType.Video, streamId: 1, timestamp: 0, chunkStreamId: 6, payload: Buffer.from([0x17, 1, 0, 0, 0]) });
  assert.equal(p.server.nextTimeout(), 13_000);
  p.now = 12_000;
  p.send({ typeId: MessageType.DataAmf0, streamId: 1, timestamp: 0, chunkStreamId: 4, payload: encodeAmf0('onMetaData', { width: 1 }) });
  assert.equal(p.server.nextTimeout(), 17_000, 'metadata counts as a packet');
  p.now = 13_000;
  p.send(encodeUserControl(UserControlEvent.PingRequest, 1));
  assert.equal(p.server.nextTimeout(), 17_000, 'control messages do not');
  assert.deepEqual(p.server.checkTimeout(17_000), [{ type: 'timeout', what: 'normal', idleMs: 5000, limitMs: 5000 }]);
  p.server.endPublish();
  assert.equal(p.server.nextTimeout(), null);
  p.server.close();
  assert.deepEqual(p.server.checkTimeout(1e9), []);
});
