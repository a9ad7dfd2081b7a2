import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeAmf0, encodeAmf0 } from '../../kernel/format/amf0.js';
import { RtmpClientSession, splitRtmpUrl, type ClientSessionEvent, type ClientSessionOptions } from './client-session.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { commandMessage, StatusCode } from './commands.js';
import { MessageType } from './message.js';
import { RtmpServerSession, type ServerSessionEvent } from './server-session.js';

/** Our client and our server session wired back to back in memory; the test plays the server's app. */
class Link {
  readonly client: RtmpClientSession;
  readonly server = new RtmpServerSession({ random: randomBytes, nowMs: () => 0 });
  clientEvents: ClientSessionEvent[] = [];
  serverEvents: ServerSessionEvent[] = [];
  /** Bytes the client sent, for counting acks. */
  fromClient: Buffer[] = [];
  /** Split every transfer into pieces of this size (0 = whole), to check reassembly. */
  piece = 0;
  /** The fake clock (ms) every transfer happens at. */
  clock: number;

  constructor(opts: Partial<ClientSessionOptions> & Pick<ClientSessionOptions, 'mode' | 'streamName'>) {
    this.clock = opts.openedAtMs ?? 0;
    this.client = new RtmpClientSession({
      random: randomBytes,
      tcUrl: 'rtmp://127.0.0.1:1935/live',
      app: 'live',
      ...opts,
    });
    this.client.start(this.clock);
  }

  /** Move bytes both ways until nobody has anything to say. */
  pump(): void {
    for (let round = 0; round < 100; round++) {
      let moved = false;
      if (this.client.hasOutput) {
        const bytes = Buffer.concat(this.client.takeOutput());
        this.fromClient.push(bytes);
        for (const p of this.pieces(bytes)) this.serverEvents.push(...this.server.receive(p, this.clock));
        moved = true;
      }
      if (this.server.hasOutput) {
        const bytes = Buffer.concat(this.server.takeOutput());
        for (const p of this.pieces(bytes)) this.clientEvents.push(...this.client.receive(p, this.clock));
        moved = true;
      }
      if (!moved) return;
    }
    throw new Error('the sessions keep talking');
  }

  private pieces(b: Buffer): Buffer[] {
    if (!this.piece) return [b];
    const out: Buffer[] = [];
    for (let i = 0; i < b.length; i += this.piece) out.push(b.subarray(i, i + this.piece));
    return out;
  }

  takeServer(): ServerSessionEvent[] {
    const e = this.serverEvents;
    this.serverEvents = [];
    return e;
  }

  takeClient(): ClientSessionEvent[] {
    const e = this.clientEvents;
    this.clientEvents = [];
    return e;
  }

  acceptConnect(chunkSize = 60000, windowAckSize = 2500000): void {
    this.server.acceptConnect({ chunkSize, windowAckSize, peerBandwidth: 2500000, serverInfo: { srs_sig: 'SRS', srs_server_ip: '10.0.0.1' } });
  }
}

test('splitRtmpUrl: tcUrl, app and name with the query, as SRS clients split', () => {
  assert.deepEqual(splitRtmpUrl('rtmp://10.0.0.2:19350/live/cam1?token=x&vhost=a.com'), {
    tcUrl: 'rtmp://10.0.0.2:19350/live',
    app: 'live',
    streamName: 'cam1?token=x&vhost=a.com',
    host: '10.0.0.2',
    port: 19350,
  });
  assert.deepEqual(splitRtmpUrl('rtmp://h/a1/a2/s'), { tcUrl: 'rtmp://h/a1/a2', app: 'a1/a2', streamName: 's', host: 'h', port: 1935 });
  assert.equal(splitRtmpUrl('rtmp://[::1]:1936/live/s').host, '::1');
  assert.throws(() => splitRtmpUrl('http://h/live/s'));
});

test('publish: FMLE sequence reaches the server, media and metadata arrive with their timestamps', () => {
  const l = new Link({ mode: 'publish', streamName: 'cam1?token=a&vhost=v.com', connectArgs: { srs_pid: 42, srs_server_ip: '10.0.0.9' } });
  l.piece = 7; // every message split at odd places
  l.pump();
  const connect = l.takeServer().find((e) => e.type === 'connect');
  assert.ok(connect && connect.type === 'connect');
  assert.equal(connect.info.tcUrl, 'rtmp://127.0.0.1:1935/live');
  assert.equal(connect.info.app, 'live');
  assert.deepEqual(connect.info.args, { srs_pid: 42, srs_server_ip: '10.0.0.9' });
  assert.equal(l.client.phase, 'connect');

  l.acceptConnect();
  l.pump();
  const ce = l.takeClient();
  const connected = ce.find((e) => e.type === 'connected');
  assert.ok(connected && connected.type === 'connected');
  assert.equal(connected.serverInfo.srs_server_ip, '10.0.0.1');
  assert.deepEqual(
    ce.map((e) => e.type),
    ['handshake', 'connected', 'stream-created'],
  );
  const pub = l.takeServer().find((e) => e.type === 'publish');
  assert.deepEqual(pub, { type: 'publish', streamId: 1, streamName: 'cam1?token=a&vhost=v.com', publishType: 'live', fmle: true });
  assert.equal(l.client.phase, 'start');
  assert.throws(() => l.client.writeMedia(MessageType.Video, 0, Buffer.from([0x17, 0])));

  l.server.acceptPublish(1, true);
  l.pump();
  assert.deepEqual(
    l.takeClient().filter((e) => e.type !== 'status').map((e) => e.type),
    ['publishing'],
  );
  assert.equal(l.client.phase, 'active');

  const meta = encodeAmf0('onMetaData', { width: 320 });
  l.client.writeMedia(MessageType.DataAmf0, 0, meta);
  const out: Buffer[] = [];
  const big = Buffer.alloc(100_000, 1);
  big[0] = 0x17;
  l.client.writeMedia(MessageType.Video, 40, big, out);
  l.client.writeMedia(MessageType.Audio, 0x100000000 + 60, Buffer.from([0xaf, 1, 9]), out);
  assert.ok(out.length > 2);
  assert.equal(l.client.hasOutput, false, 'queued control output moved into the batch first');
  l.server.receive(Buffer.concat(out)).forEach((e) => l.serverEvents.push(e));
  l.pump();
  const media = l.takeServer();
  assert.equal(media[0]?.type, 'metadata');
  if (media[0]?.type === 'metadata') assert.deepEqual(decodeAmf0(media[0].payload), ['onMetaData', { width: 320 }]);
  assert.equal(media[1]?.type, 'media');
  if (media[1]?.type === 'media') {
    assert.equal(media[1].timestamp, 40);
    assert.ok(media[1].payload.equals(big));
  }
  if (media[2]?.type === 'media') assert.equal(media[2].timestamp, 60, 'sent as 32 bits on the wire');

  l.client.unpublish();
  l.pump();
  assert.deepEqual(l.takeServer().map((e) => e.type), ['unpublish', 'close-stream']);
});

test('play: createStream, play with SetBufferLength, then media, metadata and statuses', () => {
  const l = new Link({ mode: 'play', streamName: 'cam1', chunkSize: 4096 });
  l.pump();
  l.acceptConnect(128);
  l.pump();
  const play = l.takeServer().find((e) => e.type === 'play');
  assert.deepEqual(play, { type: 'play', streamId: 1, streamName: 'cam1', start: -2, duration: -1, reset: true });
  l.server.acceptPlay(1, 'cam1');
  l.pump();
  const ev = l.takeClient();
  assert.ok(ev.some((e) => e.type === 'playing'));
  assert.ok(ev.some((e) => e.type === 'status' && e.code === StatusCode.PlayStart));
  assert.ok(!ev.some((e) => e.type === 'data'), '|RtmpSampleAccess and Data.Start are not stream content');

  l.server.send({ typeId: MessageType.DataAmf0, streamId: 1, timestamp: 0, chunkStreamId: 5, payload: encodeAmf0('@setDataFrame', 'onMetaData', { a: 1 }) });
  l.server.send({ typeId: MessageType.Video, streamId: 1, timestamp: 0xfffffff0, chunkStreamId: 6, payload: Buffer.from([0x17, 1, 0, 0, 0, 9]) });
  l.server.send({ typeId: MessageType.Video, streamId: 1, timestamp: 0x10, chunkStreamId: 6, payload: Buffer.from([0x27, 1, 0, 0, 0, 8]) });
  l.server.send({ typeId: MessageType.DataAmf0, streamId: 1, timestamp: 0x20, chunkStreamId: 5, payload: encodeAmf0('onCuePoint', { name: 'x' }) });
  l.server.status(1, 'status', StatusCode.PlayUnpublishNotify, 'gone');
  l.pump();
  const got = l.takeClient();
  assert.deepEqual(
    got.map((e) => (e.type === 'media' ? `media@${e.timestamp}` : e.type === 'status' ? e.code : e.type)),
    ['metadata', `media@${0xfffffff0}`, `media@${0x100000010}`, 'data', StatusCode.PlayUnpublishNotify],
  );
  const md = got[0];
  if (md?.type === 'metadata') assert.deepEqual(md.values, ['onMetaData', { a: 1 }]);
  assert.equal(l.client.phase, 'active');
});

test('play: media before Play.Start counts as playing (servers that skip the status)', () => {
  const l = new Link({ mode: 'play', streamName: 's' });
  l.pump();
  l.acceptConnect();
  l.pump();
  l.takeClient();
  l.server.send({ typeId: MessageType.Audio, streamId: 1, timestamp: 5, chunkStreamId: 7, payload: Buffer.from([0xaf, 1, 0]) });
  l.pump();
  assert.deepEqual(l.takeClient().map((e) => e.type), ['playing', 'media']);
});

test('RTMP 302 after play (SRS origin cluster): a redirect event with redirect2', () => {
  const l = new Link({ mode: 'play', streamName: 'cam1?vhost=v.com' });
  l.pump();
  l.acceptConnect();
  l.pump();
  l.takeClient();
  l.server.redirect('rtmp://10.0.0.3:19351/live', 'rtmp://10.0.0.3:19351/live/cam1?vhost=v.com');
  l.pump();
  const ev = l.takeClient();
  const r = ev.find((e) => e.type === 'redirect');
  assert.ok(r && r.type === 'redirect');
  assert.equal(r.url, 'rtmp://10.0.0.3:19351/live/cam1?vhost=v.com');
  assert.equal(r.tcUrl, 'rtmp://10.0.0.3:19351/live');
  assert.equal(l.client.phase, 'failed');
});

test('RTMP 302 in the connect answer (`_error` with ex.redirect only) is followed too', () => {
  const l = new Link({ mode: 'publish', streamName: 'cam1' });
  l.pump();
  l.server.rejectConnect('RTMP 302 Redirect', { ex: { code: 302, redirect: 'rtmp://other/live' } });
  l.pump();
  const r = l.takeClient().find((e) => e.type === 'redirect');
  assert.ok(r && r.type === 'redirect');
  assert.equal(r.url, 'rtmp://other/live');
});

test('refusals: a rejected connect and a denied publish are errors', () => {
  const a = new Link({ mode: 'play', streamName: 's' });
  a.pump();
  a.server.rejectConnect('vhost not found');
  a.pump();
  const e1 = a.takeClient().find((e) => e.type === 'error');
  assert.ok(e1 && e1.type === 'error');
  assert.equal(e1.phase, 'connect');
  assert.equal(e1.code, StatusCode.ConnectRejected);

  const b = new Link({ mode: 'publish', streamName: 's' });
  b.pump();
  b.acceptConnect();
  b.pump();
  b.server.rejectPublish(1, StatusCode.PublishBadName, 'busy');
  b.pump();
  const e2 = b.takeClient().find((e) => e.type === 'error');
  assert.ok(e2 && e2.type === 'error');
  assert.equal(e2.phase, 'start');
  assert.equal(e2.code, StatusCode.PublishBadName);
  assert.equal(e2.description, 'busy');
});

test('an `_error` to releaseStream/FCPublish (servers without FMLE calls) is harmless', () => {
  const l = new Link({ mode: 'publish', streamName: 's' });
  l.pump();
  l.acceptConnect();
  l.server.send(commandMessage(0, 3, '_error', 2, null, { level: 'error', code: 'NetConnection.Call.Failed' }));
  l.pump();
  assert.ok(!l.takeClient().some((e) => e.type === 'error'));
  assert.equal(l.client.phase, 'start');
});

test('acknowledgements follow the window the server announced; pings are answered', () => {
  const l = new Link({ mode: 'play', streamName: 's' });
  l.pump();
  l.acceptConnect(60000, 1000);
  l.pump();
  l.server.acceptPlay(1, 's');
  l.pump();
  for (let i = 0; i < 10; i++) {
    l.server.send({ typeId: MessageType.Audio, streamId: 1, timestamp: i * 23, chunkStreamId: 7, payload: Buffer.alloc(400, 0xaf) });
    l.pump();
  }
  const acks = countMessages(l, MessageType.Acknowledgement);
  assert.ok(acks >= 3, `expected acks every ~1000 bytes, got ${acks}`);

  const before = countMessages(l, MessageType.UserControl);
  l.server.send({ typeId: MessageType.UserControl, streamId: 0, timestamp: 0, chunkStreamId: 2, payload: Buffer.from([0, 6, 0, 0, 1, 2]) });
  l.pump();
  assert.equal(countMessages(l, MessageType.UserControl), before + 1, 'ping answered');
});

/** Messages of `typeId` the client sent after its handshake (C0+C1+C2 = 3073 bytes). */
function countMessages(l: Link, typeId: number): number {
  const all = Buffer.concat(l.fromClient).subarray(1 + 2 * 1536);
  return new ChunkDecoder().push(all).filter((m) => m.typeId === typeId).length;
}

// ---- deadlines on the session's clock (issue 12 point 6) ----------------------------------------

/** A player linked to our server session, playing since `clock` (Play.Start answered). */
function playing(opts: Partial<ClientSessionOptions>, clock: number): Link {
  const l = new Link({ mode: 'play', streamName: 's', ...opts });
  l.clock = clock;
  l.pump();
  l.acceptConnect();
  l.pump();
  l.server.acceptPlay(1, 's');
  l.pump();
  assert.ok(l.takeClient().some((e) => e.type === 'playing'));
  return l;
}

test('setup timeout: fires at openedAt + setupTimeoutMs, not a millisecond before, then never again', () => {
  const l = new Link({ mode: 'play', streamName: 's', openedAtMs: 1000, setupTimeoutMs: 500 });
  assert.equal(l.client.nextTimeout(), 1500, 'the deadline counts from the open (TCP connect included)');
  l.clock = 1200;
  l.pump(); // handshake and connect; the server never answers connect
  assert.equal(l.client.phase, 'connect');
  assert.equal(l.client.nextTimeout(), 1500, 'handshake progress does not move the setup deadline');
  assert.deepEqual(l.client.checkTimeout(1499), []);
  assert.equal(l.client.nextTimeout(), 1500);
  assert.deepEqual(l.client.checkTimeout(1500), [{ type: 'timeout', what: 'setup', idleMs: 500, limitMs: 500 }]);
  assert.equal(l.client.phase, 'failed');
  // No spin: the reported deadline is gone, later checks stay quiet.
  assert.equal(l.client.nextTimeout(), undefined);
  assert.deepEqual(l.client.checkTimeout(5000), []);
});

test('setup deadline ends with the start: a publisher or a player without idle bound has no deadline', () => {
  const pub = new Link({ mode: 'publish', streamName: 's', setupTimeoutMs: 500, idleTimeoutMs: 100 });
  pub.pump();
  pub.acceptConnect();
  pub.pump();
  pub.server.acceptPublish(1, true);
  pub.pump();
  assert.ok(pub.takeClient().some((e) => e.type === 'publishing'));
  assert.equal(pub.client.nextTimeout(), undefined, 'idleTimeoutMs is for players only');
  assert.deepEqual(pub.client.checkTimeout(10_000), []);

  const player = playing({ setupTimeoutMs: 500 }, 100);
  assert.equal(player.client.nextTimeout(), undefined);
  assert.deepEqual(player.client.checkTimeout(10_000), []);
});

test('idle timeout: counts from the last bytes received, so data pushes it back', () => {
  const l = playing({ setupTimeoutMs: 500, idleTimeoutMs: 300 }, 100);
  assert.equal(l.client.nextTimeout(), 400, 'idle bound from the Play.Start');
  l.clock = 350;
  l.server.send({ typeId: MessageType.Audio, streamId: 1, timestamp: 0, chunkStreamId: 7, payload: Buffer.from([0xaf, 1, 0]) });
  l.pump();
  assert.equal(l.client.nextTimeout(), 650);
  assert.deepEqual(l.client.checkTimeout(400), [], 'the old deadline passed without firing: data reset it');
  assert.deepEqual(l.client.checkTimeout(649), []);
  assert.deepEqual(l.client.checkTimeout(650), [{ type: 'timeout', what: 'idle', idleMs: 300, limitMs: 300 }]);
  assert.equal(l.client.nextTimeout(), undefined);
  assert.deepEqual(l.client.checkTimeout(1000), []);
});

test('no timeout after close', () => {
  const setup = new Link({ mode: 'play', streamName: 's', setupTimeoutMs: 500 });
  setup.client.close();
  assert.equal(setup.client.nextTimeout(), undefined);
  assert.deepEqual(setup.client.checkTimeout(10_000), []);
  const idle = playing({ idleTimeoutMs: 300 }, 0);
  idle.client.close();
  assert.equal(idle.client.nextTimeout(), undefined);
  assert.deepEqual(idle.client.checkTimeout(10_000), []);
});

test('the handshake reads the session clock: C1 carries the start time', () => {
  const c = new RtmpClientSession({ random: randomBytes, mode: 'play', tcUrl: 'rtmp://h/live', app: 'live', streamName: 's' });
  c.start(123_456);
  const c0c1 = Buffer.concat(c.takeOutput());
  assert.equal(c0c1.readUInt32BE(1), 123_456);
});
