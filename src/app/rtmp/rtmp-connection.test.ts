// The RTMP connection state machine with a fake clock, a fake transport, a fake admission service and
// the in-memory RTMP client session: no sockets, no timers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFixture } from '../../../test/fixtures/index.js';
import { AuthError, ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { parseConfigText, type SrsConfig } from '../../config/index.js';
import { demuxFlv } from '../../kernel/format/flv.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { RtmpClientSession, type ClientMode, type ClientSessionEvent } from '../../protocol/rtmp/client-session.js';
import { ChunkEncoder } from '../../protocol/rtmp/chunk-encoder.js';
import { StatusCode, commandMessage } from '../../protocol/rtmp/commands.js';
import type { Admission, AdmissionAction, AdmissionClient, AdmissionRequest, ClientTicket, Ticket } from '../admission/index.js';
import { AdmissionService } from '../admission/index.js';
import type { HookClientInfo } from '../hooks/http-hooks.js';
import { SourceRegistry } from '../live/live-source.js';
import type { ClientStat } from '../stats/stats.js';
import { Stats } from '../stats/stats.js';
import { IDLE_SETUP_TIMEOUT_MS, RtmpConnection, type PlaySinkSpec, type RelayMode, type RtmpLink, type RtmpPlayerSink } from './rtmp-connection.js';

const lines: string[] = [];
const log: Logger = {
  cid: 'conn0001',
  verbose() {},
  info() {},
  trace: (m) => void lines.push(m),
  warn: (m) => void lines.push(`warn ${m}`),
  error: (m) => void lines.push(`error ${m}`),
  child: () => log,
};

class FakeLink implements RtmpLink {
  remoteAddress = '127.0.0.1';
  remotePort = 50000;
  localAddress = '127.0.0.1';
  localPort = 1935;
  bytesIn = 0;
  bytesOut = 0;
  written: Buffer[] = [];
  closes: { reason: string; hard: boolean }[] = [];
  paused = false;
  noDelay = false;
  timerAt: number | null = null;
  write(buffers: Buffer[]): void {
    for (const b of buffers) {
      this.bytesOut += b.length;
      this.written.push(b);
    }
  }
  close(reason: string, hard: boolean): void {
    this.closes.push({ reason, hard });
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  setNoDelay(on: boolean): void {
    this.noDelay = on;
  }
  armTimer(atMs: number | null): void {
    this.timerAt = atMs;
  }
  take(): Buffer {
    const b = Buffer.concat(this.written);
    this.written = [];
    return b;
  }
}

class FakeTicket implements Ticket {
  closed = false;
  constructor(
    readonly clientId: string,
    readonly action: AdmissionAction,
    private readonly record: string[],
  ) {}
  readonly hook = {} as HookClientInfo;
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.record.push(`${this.action} closed: ${reason}`);
  }
  abandon(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.record.push(`${this.action} abandoned: ${reason}`);
  }
}

/** Records what the connection asks; refuses or holds admissions on demand. */
class FakeAdmission implements Admission {
  record: string[] = [];
  refuse = new Map<AdmissionAction, Error>();
  hold = false;
  held: (() => void)[] = [];
  clients: AdmissionClient[] = [];
  readonly connections = 0;
  openConnection(): null {
    return null;
  }
  admit(): never {
    throw new Error('one-shot admission is not for RTMP');
  }
  openClient(c: AdmissionClient): ClientTicket {
    this.clients.push(c);
    const self = this;
    let closed = false;
    return {
      id: c.id,
      stat: {} as ClientStat,
      current: null,
      get closed() {
        return closed;
      },
      describe: () => undefined,
      async admit(action: AdmissionAction, req: AdmissionRequest): Promise<Ticket> {
        self.record.push(`admit ${action} ${req.app}/${req.stream} ${req.type}`);
        if (self.hold) await new Promise<void>((r) => self.held.push(r));
        const err = self.refuse.get(action);
        if (err) throw err;
        return new FakeTicket(c.id, action, self.record);
      },
      close(reason: string) {
        if (closed) return;
        closed = true;
        self.record.push(`client closed: ${reason}`);
      },
    };
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

class FakeSink implements RtmpPlayerSink {
  readonly viewer: boolean;
  frames: MediaFrame[] = [];
  paused = false;
  closed = false;
  droppedFrames = 0;
  readonly id: string;
  constructor(readonly spec: PlaySinkSpec) {
    this.id = spec.id;
    this.viewer = spec.kind === 'viewer';
  }
  offer(frame: MediaFrame): void {
    this.frames.push(frame);
  }
  setPaused(paused: boolean): void {
    this.paused = paused;
  }
  onDrain(): void {}
  close(): void {
    this.closed = true;
  }
}

const CONF = `listen 1935; vhost __defaultVhost__ { publish { firstpkt_timeout 2000; normal_timeout 1000; } }`;

interface Options {
  relay?: RelayMode;
  cluster?: { locate: () => Promise<string | null> };
  admission?: Admission;
  registry?: SourceRegistry;
  conf?: string;
}

/** One connection and one in-memory client talking to it. */
class Rig {
  clock = 1_000_000;
  readonly link = new FakeLink();
  readonly admission: FakeAdmission | Admission;
  readonly registry: SourceRegistry;
  readonly sinks: FakeSink[] = [];
  readonly conn: RtmpConnection;
  client: RtmpClientSession | null = null;
  events: ClientSessionEvent[] = [];
  readonly config: SrsConfig;

  constructor(o: Options = {}) {
    this.config = parseConfigText(o.conf ?? CONF, 't.conf');
    this.admission = o.admission ?? new FakeAdmission();
    this.registry = o.registry ?? new SourceRegistry(log);
    this.conn = new RtmpConnection({
      link: this.link,
      log,
      now: () => this.clock,
      random: randomBytes,
      config: () => this.config,
      registry: this.registry,
      admission: this.admission,
      cluster: o.cluster && { locate: o.cluster.locate, traverse: async () => undefined },
      relay: o.relay,
      playSink: (spec) => {
        const s = new FakeSink(spec);
        this.sinks.push(s);
        return s;
      },
    });
  }

  get fake(): FakeAdmission {
    return this.admission as FakeAdmission;
  }

  start(mode: ClientMode, streamName = 'cam'): void {
    this.client = new RtmpClientSession({ random: randomBytes, nowMs: () => 0, mode, tcUrl: 'rtmp://127.0.0.1/live', app: 'live', streamName });
    this.client.start();
  }

  /** Move bytes both ways until neither side has anything to say. */
  pump(): void {
    for (let moved = true; moved; ) {
      moved = false;
      const out = this.client!.takeOutput();
      if (out.length) {
        moved = true;
        this.conn.receive(Buffer.concat(out), this.clock);
      }
      const back = this.link.take();
      if (back.length) {
        moved = true;
        this.events.push(...this.client!.receive(back));
      }
    }
  }

  /** Pump, let pending callbacks settle, pump again. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      this.pump();
      await new Promise((r) => setImmediate(r));
    }
    this.pump();
  }

  has(type: ClientSessionEvent['type']): boolean {
    return this.events.some((e) => e.type === type);
  }

  statusCodes(): string[] {
    return this.events.flatMap((e) => (e.type === 'status' ? [e.code] : []));
  }

  /** Send the fixture's first n FLV tags as the publisher. */
  sendMedia(n: number): void {
    for (const tag of demuxFlv(readFixture('h264-aac.flv')).tags.slice(0, n)) this.client!.writeMedia(tag.type, tag.timestamp, tag.body);
    this.pump();
  }
}

test('publish accepted: admitted, Publish.Start, media reaches the source and its players; timers follow the session', async () => {
  const registry = new SourceRegistry(log);
  const pub = new Rig({ registry });
  pub.start('publish');
  await pub.settle();
  assert.ok(pub.has('publishing'));
  assert.deepEqual(pub.fake.record, ['admit publish live/cam fmle-publish']);
  const source = registry.get('__defaultVhost__', 'live', 'cam')!;
  assert.ok(source.isPublishing);
  assert.equal(source.publishStartedAt, pub.clock);

  const player = new Rig({ registry });
  player.start('play');
  await player.settle();
  assert.ok(player.has('playing'));
  assert.equal(player.sinks.length, 1);
  assert.equal(player.sinks[0]!.spec.kind, 'viewer');

  pub.sendMedia(10);
  assert.ok(player.sinks[0]!.frames.length > 0, 'frames fan out to the player');
  assert.ok(player.sinks[0]!.frames.some((f) => f.kind === 'video'));
});

test('connect refused: a disabled vhost gets the connect _error and the connection closes before any admission', async () => {
  const r = new Rig({ conf: 'listen 1935; vhost __defaultVhost__ { enabled off; }' });
  r.start('publish');
  await r.settle();
  const err = r.events.find((e) => e.type === 'error');
  assert.ok(err && err.type === 'error');
  assert.equal(err.code, 'NetConnection.Connect.Rejected');
  assert.ok(!r.has('publishing'));
  assert.equal(r.link.closes[0]?.hard, true);
  assert.deepEqual(r.fake.record, ['client closed: code=2014(RtmpVhostNotFound) : no vhost 127.0.0.1']);
});

test('publish refused by security: Publish.Denied, connection closed hard, no stop callback', async () => {
  const r = new Rig();
  r.fake.refuse.set('publish', new AuthError(ErrorCode.SystemSecurityDeny, 'security: publish denied for 127.0.0.1'));
  r.start('publish');
  await r.settle();
  assert.ok(!r.has('publishing'));
  assert.ok(r.statusCodes().includes(StatusCode.PublishDenied), r.statusCodes().join());
  const why = 'code=1053(SystemSecurityDeny) : security: publish denied for 127.0.0.1';
  assert.deepEqual(r.link.closes, [{ reason: why, hard: true }]);
  assert.deepEqual(r.fake.record, ['admit publish live/cam fmle-publish', `client closed: ${why}`]);
  assert.ok(r.conn.closed);
});

test('play refused by a hook: Play.Failed and closed; the stream gets no viewer', async () => {
  const r = new Rig();
  r.fake.refuse.set('play', new AuthError(ErrorCode.HookCodeNotZero, 'hook http://h/play: code 1'));
  r.start('play');
  await r.settle();
  assert.ok(!r.has('playing'));
  assert.ok(r.statusCodes().includes(StatusCode.PlayFailed));
  assert.equal(r.sinks.length, 0);
  assert.equal(r.link.closes[0]?.hard, true);
  assert.deepEqual(r.fake.record, ['admit play live/cam rtmp-play', 'client closed: code=3064(HookCodeNotZero) : hook http://h/play: code 1']);
});

test('busy stream: the second publisher is refused after admission, its ticket abandoned (no on_unpublish)', async () => {
  const registry = new SourceRegistry(log);
  const first = new Rig({ registry });
  first.start('publish');
  await first.settle();
  const second = new Rig({ registry });
  second.start('publish');
  await second.settle();
  assert.ok(!second.has('publishing'));
  assert.ok(second.statusCodes().includes(StatusCode.PublishBadName));
  assert.match(second.fake.record[1]!, /^publish abandoned: /);
  assert.match(second.fake.record[2]!, /^client closed: /);
  assert.ok(second.link.closes.length === 1);
  assert.ok(registry.get('__defaultVhost__', 'live', 'cam')!.isPublishing, 'the first publisher keeps the stream');
  assert.equal(first.link.closes.length, 0);
});

test('setup timeout: a connection that neither publishes nor plays is closed at 30 s by the fake clock', async () => {
  const r = new Rig();
  const opened = r.clock;
  assert.equal(r.link.timerAt, opened + IDLE_SETUP_TIMEOUT_MS);
  r.start('connect');
  await r.settle();
  r.conn.checkTimeout(opened + IDLE_SETUP_TIMEOUT_MS - 1);
  assert.equal(r.link.closes.length, 0);
  r.conn.checkTimeout(opened + IDLE_SETUP_TIMEOUT_MS);
  assert.deepEqual(r.link.closes, [{ reason: 'timeout waiting for publish or play', hard: false }]);
  assert.equal(r.link.timerAt, null, 'timer disarmed at close');
});

test('publish timeouts: first packet, then normal, driven by the fake clock', async () => {
  const r = new Rig();
  r.start('publish');
  await r.settle();
  const started = r.clock;
  assert.equal(r.link.timerAt, started + 2000, 'firstpkt_timeout deadline replaces the setup deadline');
  r.clock += 1500;
  r.conn.checkTimeout(r.clock);
  assert.equal(r.link.closes.length, 0);
  r.sendMedia(3);
  const lastPacket = r.clock;
  assert.equal(r.link.timerAt, lastPacket + 1000, 'normal_timeout after the first packet');
  r.clock += 999;
  r.conn.checkTimeout(r.clock);
  assert.equal(r.link.closes.length, 0);
  r.clock += 1;
  r.conn.checkTimeout(r.clock);
  assert.deepEqual(r.link.closes, [{ reason: 'publish timeout', hard: true }]);
  assert.ok(lines.some((l) => /publish timeout: no packet for 1000ms \(limit 1000ms, normal\)/.test(l)));
  assert.deepEqual(r.fake.record.slice(1), ['publish closed: publish timeout', 'client closed: publish timeout']);
});

test('a silent publisher times out on firstpkt_timeout', async () => {
  const r = new Rig();
  r.start('publish');
  await r.settle();
  r.conn.checkTimeout(r.clock + 2000);
  assert.deepEqual(r.link.closes, [{ reason: 'publish timeout', hard: true }]);
  assert.ok(lines.some((l) => /limit 2000ms, first packet\)/.test(l)));
});

test('events wait while a callback decides, then run in order; reading pauses meanwhile', async () => {
  const r = new Rig();
  r.fake.hold = true;
  r.start('publish');
  await r.settle();
  assert.equal(r.fake.held.length, 1, 'on_publish pending');
  assert.ok(r.link.paused);
  // FCUnpublish + deleteStream arrive while the publish is still being decided.
  r.client!.unpublish();
  await r.settle();
  assert.deepEqual(r.fake.record, ['admit publish live/cam fmle-publish']);
  assert.ok(!r.has('publishing'));
  r.fake.release();
  await r.settle();
  assert.ok(!r.link.paused);
  assert.ok(r.has('publishing'), 'publish accepted first');
  assert.deepEqual(r.fake.record, ['admit publish live/cam fmle-publish', 'publish closed: FCUnpublish'], 'then the parked unpublish');
  assert.ok(!r.registry.get('__defaultVhost__', 'live', 'cam')?.isPublishing);
  assert.equal(r.link.closes.length, 0, 'the connection stays for a republish');
});

test('play: a pause sent while on_play is pending waits, then pauses the accepted player; unpause resumes it', async () => {
  const r = new Rig();
  r.fake.hold = true;
  r.start('play');
  await r.settle();
  assert.equal(r.fake.held.length, 1);
  // A raw pause on its own chunk stream (the client session has no pause call); small, so one chunk.
  const raw = new ChunkEncoder();
  const pause = (on: boolean): void => r.conn.receive(raw.encodeToBuffer(commandMessage(1, 8, 'pause', 0, null, on, 1234)), r.clock);
  pause(true);
  assert.equal(r.sinks.length, 0, 'parked: no player yet');
  r.fake.release();
  await r.settle();
  assert.ok(r.has('playing'));
  assert.equal(r.sinks.length, 1);
  assert.equal(r.sinks[0]!.paused, true, 'the parked pause ran after the play was accepted');
  pause(false);
  assert.equal(r.sinks[0]!.paused, false);
  assert.equal(r.link.timerAt, null, 'a player has no deadline');
});

test('kick-off: through the client record and through the source', async () => {
  const r = new Rig();
  r.start('publish');
  await r.settle();
  r.fake.clients[0]!.kick('api');
  assert.deepEqual(r.link.closes, [{ reason: 'kicked: api', hard: false }]);
  assert.deepEqual(r.fake.record.slice(1), ['publish closed: kicked: api', 'client closed: kicked: api']);

  const s = new Rig();
  s.start('publish');
  await s.settle();
  s.registry.get('__defaultVhost__', 'live', 'cam')!.currentPublisher!.kick('idle');
  assert.deepEqual(s.link.closes, [{ reason: 'publisher kicked: idle', hard: false }]);
});

test('origin cluster: a play of a stream published elsewhere gets the RTMP 302 and the connection closes', async () => {
  const r = new Rig({ cluster: { locate: async () => 'rtmp://10.0.0.2:19350/live/cam?vhost=v' } });
  r.start('play');
  await r.settle();
  const redirect = r.events.find((e) => e.type === 'redirect');
  assert.ok(redirect && redirect.type === 'redirect');
  assert.equal(redirect.url, 'rtmp://10.0.0.2:19350/live/cam?vhost=v');
  assert.equal(redirect.tcUrl, 'rtmp://10.0.0.2:19350/live');
  assert.equal(r.sinks.length, 0);
  assert.match(r.link.closes[0]!.reason, /^RTMP 302 to /);
  assert.deepEqual(r.fake.record.slice(1, 2), ['play closed: RTMP 302 to rtmp://10.0.0.2:19350/live/cam?vhost=v']);

  // Published here: no lookup, played locally.
  const registry = new SourceRegistry(log);
  const pub = new Rig({ registry });
  pub.start('publish');
  await pub.settle();
  let asked = 0;
  const local = new Rig({ registry, cluster: { locate: async () => (asked++, 'rtmp://x/live/cam') } });
  local.start('play');
  await local.settle();
  assert.ok(local.has('playing'));
  assert.equal(asked, 0);
});

test('relay mode: only token-checked plays, no admission, no publish', async () => {
  const relay: RelayMode = { admits: (param) => param === '?mesh=ok' };
  const pub = new Rig({ relay });
  pub.start('publish');
  await pub.settle();
  assert.ok(!pub.has('publishing'));
  assert.ok(pub.statusCodes().includes(StatusCode.PublishDenied));
  assert.ok(lines.some((l) => /mesh: refused a publish on the relay port/.test(l)));
  assert.equal(pub.fake.clients.length, 0, 'not a client');

  const bad = new Rig({ relay });
  bad.start('play', 'cam?mesh=no');
  await bad.settle();
  assert.ok(bad.statusCodes().includes(StatusCode.PlayFailed));
  assert.equal(bad.link.closes[0]?.hard, true);

  const good = new Rig({ relay });
  good.start('play', 'cam?mesh=ok');
  await good.settle();
  assert.ok(good.has('playing'));
  assert.equal(good.sinks[0]!.spec.kind, 'relay');
  assert.equal(good.sinks[0]!.spec.options.mwLatencyMs, 0);
  assert.equal(good.sinks[0]!.spec.options.jitter, 'off');
  assert.ok(good.link.noDelay);
  assert.deepEqual(good.fake.record, []);
  good.conn.close('done');
  assert.ok(good.sinks[0]!.closed);
});

test('close is idempotent: stops the role, fires the stop once, ends the client once, disarms the timer', async () => {
  const registry = new SourceRegistry(log);
  const r = new Rig({ registry });
  r.start('publish');
  await r.settle();
  const player = new Rig({ registry });
  player.start('play');
  await player.settle();

  r.conn.close('bye');
  r.conn.close('bye again');
  r.conn.transportClosed('closed');
  assert.deepEqual(r.link.closes, [{ reason: 'bye', hard: false }]);
  assert.deepEqual(r.fake.record, ['admit publish live/cam fmle-publish', 'publish closed: bye', 'client closed: bye']);
  assert.ok(!registry.get('__defaultVhost__', 'live', 'cam')!.isPublishing);
  assert.equal(r.link.timerAt, null);

  player.conn.transportClosed('peer closed');
  player.conn.close('late');
  assert.deepEqual(player.link.closes, [], 'a transport that closed itself is not closed again');
  assert.deepEqual(player.fake.record, ['admit play live/cam rtmp-play', 'play closed: peer closed', 'client closed: peer closed']);
  assert.ok(player.sinks[0]!.closed);
  // Bytes after close are ignored.
  r.conn.receive(Buffer.from([1, 2, 3]), r.clock);
});

test('with the real admission service: the publisher lifecycle fires connect, publish, unpublish, close in order', async () => {
  const config = parseConfigText(
    `listen 1935; vhost __defaultVhost__ { http_hooks { enabled on; on_connect http://h/c; on_close http://h/c; on_publish http://h/p; on_unpublish http://h/p; } }`,
    't.conf',
  );
  const calls: string[] = [];
  const stats = new Stats();
  const admission = new AdmissionService(() => ({
    config: () => config,
    stats,
    log,
    now: () => 0,
    hooks: {
      gate: async (_c, action) => void calls.push(action),
      notify: async (_c, action) => void calls.push(action),
    },
  }));
  const r = new Rig({ admission });
  assert.equal(stats.clientCount, 1, 'listed from the start');
  r.start('publish');
  await r.settle();
  assert.ok(r.has('publishing'));
  assert.equal(stats.allClients()[0]!.stat.type, 'fmle-publish');
  r.client!.unpublish();
  r.pump();
  r.conn.transportClosed('peer closed');
  assert.deepEqual(calls, ['on_connect', 'on_publish', 'on_unpublish', 'on_close']);
  assert.equal(stats.clientCount, 0);
});
