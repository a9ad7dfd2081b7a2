import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { readFixture } from '../../../test/fixtures/index.js';
import type { Logger } from '../../core/logger.js';
import { parseConfigText, type SrsConfig } from '../../config/index.js';
import { demuxFlv } from '../../kernel/format/flv.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { aacHeader, avFrames, avcHeader, timelineOf } from '../../protocol/dash/dash-test-helpers.js';
import type { ServerContext } from '../context.js';
import { HttpHooks } from '../hooks/http-hooks.js';
import { SourceRegistry, type LiveSource } from '../live/live-source.js';
import type { Sink } from '../live/sink.js';
import { Stats } from '../stats/stats.js';
import { DashService } from './dash-service.js';
import { AdmissionService } from '../admission/index.js';

const root = mkdtempSync(join(tmpdir(), 'tsrs-dash-service-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const T0 = Date.UTC(2024, 2, 5, 7, 8, 9, 10);
const AVCC = demuxFlv(readFixture('h264-aac.flv')).tags.find((t) => t.type === 9)!.body.subarray(5);
const ASC = Buffer.from('1210', 'hex');

interface Harness {
  ctx: ServerContext;
  service: DashService;
  lines: string[];
  setConfig(vhostBody: string): void;
  publish(stream?: string): { source: LiveSource; stop(): void; send(frames: MediaFrame[]): void };
  advance(ms: number): void;
}

function harness(vhostBody: string, opts: { maxPendingBytes?: number } = {}): Harness {
  const lines: string[] = [];
  const logger = (cid: string): Logger => ({
    cid,
    verbose() {},
    info() {},
    trace: (m) => lines.push(`trace ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    child: (c) => logger(c),
  });
  const log = logger('srv');
  const parse = (body: string): SrsConfig => parseConfigText(`listen 1935; vhost __defaultVhost__ { ${body} }`, 'd.conf');
  let config = parse(vhostBody);
  let clock = T0;
  const registry = new SourceRegistry(log);
  const ctx: ServerContext = {
    config: () => config,
    registry,
    stats: new Stats(),
    log,
    now: () => clock,
    random: (k) => Buffer.alloc(k, 0x5a),
    serverId: 'vid-test',
    serviceId: 'svc',
    hooks: new HttpHooks({ serverId: 'vid-test', serviceId: 'svc', timeoutMs: 1000, notifyAttempts: 1, notifyBackoffMs: 10 }),
    admission: new AdmissionService(() => ctx),
    connections: 0,
  };
  const service = new DashService(ctx, { maxPendingBytes: opts.maxPendingBytes });
  registry.addPublishListener(service);
  let base = T0;
  return {
    ctx,
    service,
    lines,
    setConfig: (body) => (config = parse(body)),
    advance: (ms) => (clock += ms),
    publish: (stream = 'cam') => {
      const source = registry.obtain('__defaultVhost__', 'live', stream, { gopCache: true, gopCacheMaxFrames: 2500, reduceSequenceHeader: false });
      const publisher = { id: `pub${n++}`, kick: () => undefined };
      source.startPublish(publisher);
      base = clock;
      return {
        source,
        stop: () => source.stopPublish(publisher),
        send: (frames) => {
          for (const f of frames) {
            clock = Math.max(clock, base + f.dts);
            source.publish(f);
          }
        },
      };
    },
  };
}

const av = (fromMs: number, toMs: number): MediaFrame[] => [avcHeader(AVCC, fromMs), aacHeader(ASC, fromMs), ...avFrames({ fromMs, toMs })];
const dashBlock = (dir: string, extra = ''): string => `dash { enabled on; dash_fragment 2; dash_path ${dir}; ${extra} }`;

class Counter implements Sink {
  readonly id = 'counter';
  frames = 0;
  offer(): void {
    this.frames++;
  }
}

test('a publish writes the MPD, init and media segments under dash_path; unpublish closes the last segment', async () => {
  const dir = join(root, `d${n++}`);
  const h = harness(dashBlock(dir, 'dash_window_size 3;'));
  const p = h.publish();
  p.send(av(0, 9000));
  const stream = h.service.stream('/live/cam')!;
  assert.ok(stream.publishing);
  await stream.writer.idle();
  const mpdPath = join(dir, 'live', 'cam.mpd');
  assert.ok(existsSync(mpdPath));
  // Segments 0..3 closed at 2, 4, 6, 8 s; the MPD lists 3, segment 0 stays on disk one segment longer.
  assert.deepEqual(readdirSync(join(dir, 'live', 'cam')).sort(), [
    'audio-0.m4s', 'audio-1.m4s', 'audio-2.m4s', 'audio-3.m4s', 'audio-init.mp4', 'video-0.m4s', 'video-1.m4s', 'video-2.m4s', 'video-3.m4s', 'video-init.mp4',
  ]);
  p.stop();
  assert.ok(!stream.publishing);
  await stream.writer.idle();
  const mpd = readFileSync(mpdPath, 'utf8');
  assert.deepEqual(timelineOf(mpd, 'video')!.startNumber, 2);
  assert.equal(timelineOf(mpd, 'video')!.segments.length, 3);
  assert.ok(existsSync(join(dir, 'live', 'cam', 'video-4.m4s')));
  assert.ok(h.lines.some((l) => /trace dash: fragment=2000ms, update_period=5000ms, window=3/.test(l)), h.lines.join('\n'));
  // Nothing left over from the atomic writes.
  assert.deepEqual(readdirSync(join(dir, 'live')).filter((f) => f.endsWith('.tmp')), []);
});

test('vhosts without dash, and edge vhosts, write nothing', async () => {
  const dir = join(root, `d${n++}`);
  const off = harness(`dash { enabled off; dash_path ${dir}; }`);
  off.publish().send(av(0, 3000));
  assert.equal(off.service.stream('/live/cam'), undefined);
  const edge = harness(`cluster { mode remote; origin 127.0.0.1:19350; } ${dashBlock(dir)}`);
  edge.publish().send(av(0, 3000));
  assert.equal(edge.service.stream('/live/cam'), undefined);
  assert.ok(!existsSync(dir));
});

test('dash_dispose: everything deleted N s after the publisher left; a republish in time cancels it', async () => {
  const dir = join(root, `d${n++}`);
  const h = harness(dashBlock(dir, 'dash_dispose 5;'));
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let p = h.publish();
    p.send(av(0, 5000));
    p.stop();
    const stream = h.service.stream('/live/cam')!;
    await stream.writer.idle();
    mock.timers.tick(4000);
    p = h.publish(); // back in time: no dispose
    p.send(av(0, 3000));
    mock.timers.tick(2000);
    await stream.writer.idle();
    assert.ok(existsSync(join(dir, 'live', 'cam.mpd')));
    p.stop();
    await stream.writer.idle();
    mock.timers.tick(5000);
    await stream.writer.idle();
    assert.ok(!existsSync(join(dir, 'live', 'cam.mpd')));
    assert.deepEqual(readdirSync(join(dir, 'live', 'cam')), []);
    assert.ok(h.lines.some((l) => /dash cycle to dispose dash \/live\/cam, timeout=5000ms/.test(l)));
  } finally {
    mock.timers.reset();
  }
});

test('dash_dispose also disposes a publisher that stopped sending; DASH starts over when packets return', async () => {
  const dir = join(root, `d${n++}`);
  const h = harness(dashBlock(dir, 'dash_dispose 3;'));
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const p = h.publish();
    p.send(av(0, 4500));
    const stream = h.service.stream('/live/cam')!;
    await stream.writer.idle();
    assert.ok(existsSync(join(dir, 'live', 'cam.mpd')));
    h.advance(3500);
    mock.timers.tick(3500);
    await stream.writer.idle();
    assert.ok(!existsSync(join(dir, 'live', 'cam.mpd')));
    assert.ok(h.lines.some((l) => /dash: no packets for \d+ms, dispose \/live\/cam/.test(l)), h.lines.join('\n'));
    // The same publisher goes on: a new presentation.
    p.send(avFrames({ fromMs: 8000, toMs: 13_000 }));
    await stream.writer.idle();
    const mpd = readFileSync(join(dir, 'live', 'cam.mpd'), 'utf8');
    assert.match(mpd, /<Period id="1" start="PT0.000S">/);
  } finally {
    mock.timers.reset();
  }
});

test('reload: DASH turned on mid-stream starts from the cached GOP; a changed block restarts; off stops', async () => {
  const dir = join(root, `d${n++}`);
  const h = harness('');
  const p = h.publish();
  p.send(av(0, 3500));
  assert.equal(h.service.stream('/live/cam'), undefined);

  h.setConfig(dashBlock(dir));
  h.service.reload();
  const stream = h.service.stream('/live/cam')!;
  assert.ok(stream.publishing);
  p.send(avFrames({ fromMs: 3500, toMs: 8000 }));
  await stream.writer.idle();
  let mpd = readFileSync(join(dir, 'live', 'cam.mpd'), 'utf8');
  // The GOP cache started at the keyframe at 3000 ms: the first segment is 3..6 s (cut at the keyframe at 6 s).
  assert.equal(timelineOf(mpd, 'video')!.segments[0]!.t, 3000 * 90);

  // Unchanged config: nothing happens.
  h.service.reload();
  assert.ok(!h.lines.some((l) => /restart DASH/.test(l)));

  h.setConfig(dashBlock(dir, 'dash_window_size 10;'));
  h.service.reload();
  assert.ok(h.lines.some((l) => /dash: config changed, restart DASH for \/live\/cam/.test(l)));
  p.send(avFrames({ fromMs: 8000, toMs: 12_500 }));
  await stream.writer.idle();
  mpd = readFileSync(join(dir, 'live', 'cam.mpd'), 'utf8');
  assert.match(mpd, /<Period id="1" /);

  h.setConfig('');
  h.service.reload();
  assert.ok(!stream.publishing);
  await stream.writer.idle();
  const before = readFileSync(join(dir, 'live', 'cam.mpd'), 'utf8');
  p.send(avFrames({ fromMs: 12_500, toMs: 16_000 }));
  await stream.writer.idle();
  assert.equal(readFileSync(join(dir, 'live', 'cam.mpd'), 'utf8'), before);
});

test('a segmenter failure drops DASH for the publish, never the source; an unwritable dash_path is logged', async () => {
  const dir = join(root, `d${n++}`);
  const h = harness(dashBlock(dir));
  const p = h.publish();
  const counter = new Counter();
  p.source.addSink(counter);
  const stream = h.service.stream('/live/cam')!;
  stream.segmenter.offer = () => {
    throw new Error('boom');
  };
  p.send(av(0, 1000));
  assert.ok(!stream.publishing);
  assert.ok(h.lines.some((l) => /error dash: error for \/live\/cam, DASH disabled for this publish: Error: boom/.test(l)));
  assert.ok(counter.frames > 20, 'the other sinks keep getting frames');

  // dash_path under a regular file: every mkdir fails.
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'blocker'), 'not a folder');
  const blocked = harness(dashBlock(join(dir, 'blocker')));
  const q = blocked.publish();
  q.send(av(0, 9000));
  await blocked.service.stream('/live/cam')!.writer.idle();
  const errors = blocked.lines.filter((l) => l.startsWith('error dash:'));
  assert.equal(errors.length, 3, errors.join('\n'));
  assert.match(errors[2]!, /further errors not logged until a write succeeds/);
  assert.ok(blocked.service.stream('/live/cam')!.publishing, 'DASH keeps trying');
});

test('a disk that cannot keep up drops DASH for the publish', async () => {
  const dir = join(root, `d${n++}`);
  const h = harness(dashBlock(dir), { maxPendingBytes: 300 });
  const p = h.publish();
  p.send(av(0, 5000));
  const stream = h.service.stream('/live/cam')!;
  assert.ok(!stream.publishing);
  assert.ok(h.lines.some((l) => /error dash: the disk cannot keep up with \/live\/cam/.test(l)));
  await stream.writer.idle();
});

test('shutdown closes the segment, and disposes when dash_dispose is set', async () => {
  const dir = join(root, `d${n++}`);
  const h = harness(dashBlock(dir));
  h.publish().send(av(0, 3000));
  await h.service.close();
  assert.ok(existsSync(join(dir, 'live', 'cam', 'video-1.m4s')), 'the open segment was closed');
  const dir2 = join(root, `d${n++}`);
  const h2 = harness(dashBlock(dir2, 'dash_dispose 30;'));
  h2.publish().send(av(0, 3000));
  await h2.service.close();
  assert.ok(!existsSync(join(dir2, 'live', 'cam.mpd')));
  // After close nothing starts.
  h2.publish('other').send(av(0, 3000));
  assert.equal(h2.service.stream('/live/other'), undefined);
});

test('a dropped source frees its DASH state (the server subscribes DashService as a SourceDropListener)', async () => {
  const dir = join(root, `g${n++}`);
  const h = harness(dashBlock(dir));
  h.ctx.registry.addDropListener(h.service);
  const p = h.publish();
  p.send(av(0, 3000));
  const stream = h.service.stream('/live/cam')!;
  p.stop();
  await stream.writer.idle();
  h.ctx.registry.release(p.source); // a bare registry has no grace period: dropped now
  assert.equal(h.service.stream('/live/cam'), undefined);
  assert.ok(existsSync(join(dir, 'live', 'cam.mpd')), 'without dash_dispose the files stay');
});
