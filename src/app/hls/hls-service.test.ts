import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import type { Logger } from '../../core/logger.js';
import { parseConfigText, type SrsConfig } from '../../config/index.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { aacHeader, h264Header, streamFrames } from '../../protocol/hls/hls-test-helpers.js';
import type { ServerContext } from '../context.js';
import { HttpHooks } from '../hooks/http-hooks.js';
import { SourceRegistry, type LiveSource } from '../live/live-source.js';
import type { Sink } from '../live/sink.js';
import { Stats } from '../stats/stats.js';
import { HlsService } from './hls-service.js';
import { AdmissionService } from '../admission/index.js';

const root = mkdtempSync(join(tmpdir(), 'tsrs-hls-service-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

interface Harness {
  ctx: ServerContext;
  service: HlsService;
  lines: string[];
  setConfig(text: string): void;
  publish(stream?: string): { source: LiveSource; kicked: string[]; stop(): void; send(frames: MediaFrame[]): void };
}

function harness(hlsBody: string, opts: { maxPendingBytes?: number; extra?: string; cacheBytes?: number } = {}): Harness {
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
  let config: SrsConfig = parseConfigText(`listen 1935; vhost __defaultVhost__ { hls { ${hlsBody} } ${opts.extra ?? ''} }`, 'h.conf');
  let clock = Date.UTC(2024, 2, 5, 7, 8, 9, 10);
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
  const service = new HlsService(ctx, { maxPendingBytes: opts.maxPendingBytes, cacheBytes: opts.cacheBytes }).register();
  return {
    ctx,
    service,
    lines,
    setConfig: (text) => (config = parseConfigText(`listen 1935; vhost __defaultVhost__ { hls { ${text} } }`, 'h.conf')),
    publish: (stream = 'cam') => {
      const source = registry.obtain('__defaultVhost__', 'live', stream, { gopCache: true, gopCacheMaxFrames: 2500, reduceSequenceHeader: false });
      const kicked: string[] = [];
      const publisher = { id: `pub${n++}`, kick: (r: string) => kicked.push(r) };
      source.startPublish(publisher, { ip: '198.51.100.20', tcUrl: 'rtmp://127.0.0.1/live', param: '?token=abc', pageUrl: '', swfUrl: '', port: 1935 });
      return {
        source,
        kicked,
        stop: () => source.stopPublish(publisher),
        send: (frames) => {
          for (const f of frames) {
            clock = Date.UTC(2024, 2, 5, 7, 8, 9, 10) + f.dts;
            source.publish(f);
          }
        },
      };
    },
  };
}

const av = (durationMs: number, startMs = 0): MediaFrame[] => [h264Header(startMs), aacHeader(startMs), ...streamFrames({ startMs, durationMs })];

class Counter implements Sink {
  readonly id = 'counter';
  frames = 0;
  offer(): void {
    this.frames++;
  }
}

test('publish → TS segments and the playlist under hls_path; unpublish closes the last segment', async () => {
  const dir = join(root, `a${n++}`);
  const h = harness(`enabled on; hls_fragment 2; hls_window 10; hls_path ${dir};`);
  const p = h.publish();
  p.send(av(7000));
  const stream = h.service.stream('/live/cam')!;
  assert.ok(stream.publishing);
  p.stop();
  assert.ok(!stream.publishing);
  await stream.writer.idle();
  assert.deepEqual(readdirSync(join(dir, 'live')).sort(), ['cam-0.ts', 'cam-1.ts', 'cam-2.ts', 'cam-3.ts', 'cam.m3u8']);
  const m3u8 = readFileSync(join(dir, 'live/cam.m3u8'), 'utf8');
  assert.match(m3u8, /^#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000, no desc\ncam-0.ts\n/);
  assert.match(m3u8, /#EXTINF:0.9\d\d, no desc\ncam-3.ts\n$/);
  const seg = readFileSync(join(dir, 'live/cam-1.ts'));
  assert.equal(seg.length % 188, 0);
  assert.equal(seg[0], 0x47);
  assert.ok(h.lines.some((l) => /^trace hls: win=10000ms, frag=2000ms/.test(l)));
});

test('republish: seq continues, #EXT-X-DISCONTINUITY before the new publish, old files kept', async () => {
  const dir = join(root, `b${n++}`);
  const h = harness(`enabled on; hls_fragment 2; hls_window 30; hls_path ${dir};`);
  let p = h.publish();
  p.send(av(4500));
  p.stop();
  p = h.publish();
  p.send(av(4500));
  p.stop();
  await h.service.stream('/live/cam')!.writer.idle();
  const m3u8 = readFileSync(join(dir, 'live/cam.m3u8'), 'utf8');
  assert.deepEqual(m3u8.match(/cam-\d+\.ts/g), ['cam-0.ts', 'cam-1.ts', 'cam-2.ts', 'cam-3.ts', 'cam-4.ts', 'cam-5.ts']);
  assert.equal(m3u8.split('#EXT-X-DISCONTINUITY\n').length - 1, 2);
  assert.match(m3u8, /#EXT-X-DISCONTINUITY\n#EXTINF:2.000, no desc\ncam-3.ts/);
});

test('a vhost without hls, or an edge, gets no HLS sink', () => {
  const off = harness('enabled off;');
  off.publish();
  assert.equal(off.service.stream('/live/cam'), undefined);
  const edge = harness(`enabled on; hls_path ${root}/edge;`, { extra: 'cluster { mode remote; origin 127.0.0.1:19350; }' });
  edge.publish();
  assert.equal(edge.service.stream('/live/cam'), undefined);
});

test('hls_keys: encrypted segments, key files, EXT-X-KEY with hls_key_url', async () => {
  const dir = join(root, `k${n++}`);
  const h = harness(`enabled on; hls_fragment 2; hls_path ${dir}; hls_keys on; hls_fragments_per_key 2; hls_key_file_path ${dir}/keys; hls_key_url https://k.example/;`);
  const p = h.publish();
  p.send(av(4500));
  p.stop();
  await h.service.stream('/live/cam')!.writer.idle();
  const key = readFileSync(join(dir, 'keys/live/cam-0.key'));
  assert.ok(key.equals(Buffer.alloc(16, 0x5a)));
  const m3u8 = readFileSync(join(dir, 'live/cam.m3u8'), 'utf8');
  assert.match(m3u8, new RegExp(`#EXT-X-KEY:METHOD=AES-128,URI="https://k.example/live/cam-0.key",IV=0x${'5a'.repeat(16)}\n#EXTINF`));
  assert.match(m3u8, /URI="https:\/\/k.example\/live\/cam-2.key"/);
  const enc = readFileSync(join(dir, 'live/cam-1.ts'));
  const d = createDecipheriv('aes-128-cbc', key, Buffer.alloc(16, 0x5a));
  const plain = Buffer.concat([d.update(enc), d.final()]);
  assert.equal(plain.length % 188, 0);
  assert.equal(plain[0], 0x47);
});

test('unwritable hls_path, hls_on_error continue: clear error once per segment, the stream keeps flowing', async () => {
  const blocker = join(root, `file${n++}`);
  writeFileSync(blocker, 'not a directory');
  const h = harness(`enabled on; hls_fragment 2; hls_path ${blocker}/hls;`);
  const p = h.publish();
  const other = new Counter();
  p.source.addSink(other, { gop: false });
  p.send(av(6500));
  const stream = h.service.stream('/live/cam')!;
  await stream.writer.idle();
  assert.ok(stream.publishing, 'HLS keeps trying');
  const errors = h.lines.filter((l) => l.startsWith('error '));
  assert.ok(errors.length >= 3 && errors.length <= 8, errors.join('\n'));
  assert.match(errors[0]!, /hls: open .*hls\/live\/cam-0\.ts\.tmp failed for \/live\/cam: .*(ENOTDIR|EEXIST).*hls_on_error continue/);
  assert.ok(other.frames > 400, 'other sinks unaffected');
  assert.equal(p.kicked.length, 0);
  p.stop();
  await stream.writer.idle();
});

test('hls_on_error ignore: HLS off for this publish; disconnect: the publisher is kicked', async () => {
  const blocker = join(root, `file${n++}`);
  writeFileSync(blocker, 'x');
  const ig = harness(`enabled on; hls_fragment 2; hls_path ${blocker}/hls; hls_on_error ignore;`);
  const p = ig.publish();
  p.send(av(1000));
  await ig.service.stream('/live/cam')!.writer.idle();
  assert.ok(!ig.service.stream('/live/cam')!.publishing);
  assert.ok(ig.lines.some((l) => /error .*hls_on_error ignore: HLS disabled/.test(l)));
  assert.equal(p.source.sinkCount, 0);
  assert.equal(p.kicked.length, 0);
  p.send(av(1000, 1000)); // nothing breaks
  p.stop();

  const dc = harness(`enabled on; hls_fragment 2; hls_path ${blocker}/hls; hls_on_error disconnect;`);
  const q = dc.publish();
  q.send(av(1000));
  await dc.service.stream('/live/cam')!.writer.idle();
  assert.deepEqual(q.kicked, ['hls error']);
  q.stop();
});

test('a disk that cannot keep up: HLS dropped for the stream with an error, other sinks unaffected', async () => {
  const dir = join(root, `o${n++}`);
  const h = harness(`enabled on; hls_fragment 2; hls_path ${dir};`, { maxPendingBytes: 4000 });
  const p = h.publish();
  const other = new Counter();
  p.source.addSink(other, { gop: false });
  p.send(av(3000));
  const stream = h.service.stream('/live/cam')!;
  assert.ok(!stream.publishing);
  assert.ok(h.lines.some((l) => /^error hls: the disk cannot keep up with \/live\/cam/.test(l)));
  assert.ok(other.frames > 200);
  await stream.writer.idle();
  assert.ok(!existsSync(join(dir, 'live/cam-0.ts.tmp')));
  p.stop();
});

test('hls_dispose: files deleted after N s without a publisher; a republish in time cancels it', async () => {
  const dir = join(root, `d${n++}`);
  const h = harness(`enabled on; hls_fragment 2; hls_path ${dir}; hls_dispose 5;`);
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let p = h.publish();
    p.send(av(4500));
    p.stop();
    const stream = h.service.stream('/live/cam')!;
    await stream.writer.idle();
    assert.equal(readdirSync(join(dir, 'live')).length, 4);
    mock.timers.tick(4000);
    p = h.publish(); // back in time: no dispose
    mock.timers.tick(2000);
    p.send(av(2500, 10_000));
    p.stop();
    await stream.writer.idle();
    assert.ok(existsSync(join(dir, 'live/cam.m3u8')));
    mock.timers.tick(5000);
    await stream.writer.idle();
    assert.deepEqual(readdirSync(join(dir, 'live')), []);
    assert.ok(h.lines.some((l) => /hls cycle to dispose hls \/live\/cam, timeout=5000ms/.test(l)));
  } finally {
    mock.timers.reset();
  }
});

test('reload: a changed hls block restarts HLS at the next packet (headers re-sent); disabling it stops HLS', async () => {
  const dir = join(root, `r${n++}`);
  const h = harness(`enabled on; hls_fragment 2; hls_path ${dir};`);
  const p = h.publish();
  p.send(av(2500));
  h.setConfig(`enabled on; hls_fragment 2; hls_path ${dir}; hls_m3u8_file [app]/[stream]-new.m3u8;`);
  p.send(streamFrames({ startMs: 2500, durationMs: 2600 }));
  const stream = h.service.stream('/live/cam')!;
  assert.ok(stream.publishing);
  h.setConfig('enabled off;');
  p.send(streamFrames({ startMs: 5100, durationMs: 100 }));
  assert.ok(!stream.publishing);
  p.stop();
  await stream.writer.idle();
  assert.ok(existsSync(join(dir, 'live/cam-new.m3u8')));
  assert.match(readFileSync(join(dir, 'live/cam-new.m3u8'), 'utf8'), /#EXT-X-DISCONTINUITY\n#EXTINF:2.000, no desc\ncam-2.ts\n/);
});

test('shutdown closes segments and disposes when hls_dispose is set', async () => {
  const dir = join(root, `s${n++}`);
  const h = harness(`enabled on; hls_fragment 2; hls_path ${dir}; hls_dispose 0;`);
  const p = h.publish();
  p.send(av(3000));
  await h.service.close();
  assert.deepEqual(readdirSync(join(dir, 'live')).sort(), ['cam-0.ts', 'cam-1.ts', 'cam.m3u8']);
  p.stop();
  const dir2 = join(root, `s${n++}`);
  const h2 = harness(`enabled on; hls_fragment 2; hls_path ${dir2}; hls_dispose 30;`);
  h2.publish().send(av(3000));
  await h2.service.close();
  assert.deepEqual(readdirSync(join(dir2, 'live')), []);
});

test('on_hls and on_hls_notify: one callback per segment on disk, SRS fields in order', async () => {
  const { createServer } = await import('node:http');
  const bodies: string[] = [];
  const gets: string[] = [];
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      if (req.method === 'GET') gets.push(req.url!);
      else bodies.push(b);
      res.end('0');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const dir = join(root, `hook${n++}`);
  try {
    const h = harness(`enabled on; hls_fragment 2; hls_path ${dir}; hls_nb_notify 8;`, {
      extra: `http_hooks { enabled on; on_hls http://127.0.0.1:${port}/api/v1/hls; on_hls_notify http://127.0.0.1:${port}/notify/[app]/[stream]/[ts_url][param]&s=[server_id]; }`,
    });
    const p = h.publish();
    p.send(av(4500));
    p.stop();
    await h.service.stream('/live/cam')!.writer.idle();
    await pollFor(() => bodies.length === 3 && gets.length === 3);
    assert.deepEqual(gets.sort(), [0, 1, 2].map((i) => `/notify/live/cam/cam-${i}.ts?token=abc&s=vid-test`));
    const first = JSON.parse(bodies.find((b) => b.includes('"seq_no":0'))!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(first), [
      'server_id', 'service_id', 'action', 'client_id', 'ip', 'vhost', 'app', 'tcUrl', 'stream', 'param', 'duration', 'cwd', 'file', 'url', 'm3u8', 'm3u8_url', 'seq_no', 'stream_url', 'stream_id',
    ]);
    assert.equal(first.action, 'on_hls');
    assert.equal(first.duration, 2);
    assert.match(bodies[0]!, /"duration":2\.00,/);
    assert.equal(first.file, `${dir}/live/cam-0.ts`);
    assert.equal(first.url, 'live/cam-0.ts');
    assert.equal(first.m3u8, `${dir}/live/cam.m3u8`);
    assert.equal(first.m3u8_url, 'live/cam.m3u8');
    assert.equal(first.stream_url, '/live/cam');
    assert.equal(first.cwd, process.cwd());
    assert.equal(first.ip, '198.51.100.20');
    assert.equal(first.param, '?token=abc');
    assert.equal(first.tcUrl, 'rtmp://127.0.0.1/live');
  } finally {
    srv.close();
  }
});

async function pollFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every file under `dir`/live with its bytes. */
function filesOnDisk(dir: string): Map<string, Buffer> {
  const done = readdirSync(join(dir, 'live')).filter((f) => !f.endsWith('.tmp')); // the segment being written
  return new Map(done.map((f) => [join(dir, 'live', f), readFileSync(join(dir, 'live', f))]));
}

test('hls_storage disk: while publishing memory holds exactly the files on disk (window, cleanup, republish); unpublish leaves them to the disk', async () => {
  const dir = join(root, `m${n++}`);
  const h = harness(`enabled on; hls_fragment 2; hls_window 4; hls_path ${dir};`);
  const mem = h.service.memory;
  /** Every file this publish wrote (segments from `fromSeq`, the playlist) is in memory as on disk, nothing else. */
  const check = (what: string, fromSeq: number): void => {
    const disk = [...filesOnDisk(dir)].filter(([f]) => f.endsWith('.m3u8') || Number(/-(\d+)\.ts$/.exec(f)![1]) >= fromSeq);
    assert.ok(disk.some(([f]) => f.endsWith('.ts')), what);
    for (const [path, bytes] of disk) assert.ok(mem.has(path) && mem.get(path)!.bytes.equals(bytes), `${what}: ${path} in memory as on disk`);
    assert.equal(mem.size, disk.length, `${what}: nothing else in memory`);
    let sum = 0;
    for (const [path, bytes] of disk) if (path.endsWith('.ts')) sum += bytes.length;
    assert.equal(mem.cachedBytes, sum, what);
  };
  let p = h.publish();
  p.send(av(11_000));
  const stream = h.service.stream('/live/cam')!;
  await stream.writer.idle();
  check('publishing', 0);
  assert.ok(!mem.has(join(dir, 'live/cam-0.ts')), 'cleaned up segment dropped');
  p.stop();
  await stream.writer.idle();
  // Unpublished: the files stay on disk (served from there), memory holds nothing of the stream.
  assert.ok(existsSync(join(dir, 'live/cam.m3u8')));
  assert.equal(mem.size, 0);
  assert.equal(mem.cachedBytes, 0);
  p = h.publish();
  p.send(av(4500, 20_000));
  await stream.writer.idle();
  check('republished', 6);
  // The republish's playlist, not the one of the first publish.
  assert.match(mem.get(join(dir, 'live/cam.m3u8'))!.bytes.toString(), /#EXT-X-DISCONTINUITY\n#EXTINF:2.000, no desc\ncam-6.ts\n/);
  // A reload restart keeps caching (the new publish writes on).
  h.setConfig(`enabled on; hls_fragment 2; hls_window 4; hls_path ${dir}; hls_dispose 3;`);
  p.send(streamFrames({ startMs: 24_500, durationMs: 4000 }));
  await stream.writer.idle();
  check('restarted', 6);
  p.stop();
  await stream.writer.idle();
  assert.equal(mem.size, 0);
  stream.push(stream.muxer.dispose());
  await stream.writer.idle();
  assert.deepEqual(readdirSync(join(dir, 'live')), []);
  assert.equal(mem.size, 0);
});

test('hls_storage disk cache: a small budget keeps the newest segments and every playlist; 0 keeps nothing; hls_keys segments stay on disk', async () => {
  const dir = join(root, `m${n++}`);
  const h = harness(`enabled on; hls_fragment 2; hls_window 20; hls_path ${dir};`, { cacheBytes: 1 });
  const p = h.publish();
  p.send(av(9000));
  await h.service.stream('/live/cam')!.writer.idle();
  assert.ok(h.service.memory.has(join(dir, 'live/cam.m3u8')));
  assert.equal(h.service.memory.cachedBytes, 0, 'no segment fits in 1 byte');
  // The same frames give the same segments: the budget below fits exactly the two newest.
  const sizes = [0, 1, 2, 3].map((i) => readFileSync(join(dir, `live/cam-${i}.ts`)).length);
  p.stop();
  await h.service.stream('/live/cam')!.writer.idle();

  const dir2 = join(root, `m${n++}`);
  const h2 = harness(`enabled on; hls_fragment 2; hls_window 20; hls_path ${dir2};`, { cacheBytes: sizes[2]! + sizes[3]! });
  const p2 = h2.publish();
  p2.send(av(9000));
  await h2.service.stream('/live/cam')!.writer.idle();
  assert.deepEqual([0, 1, 2, 3].map((i) => h2.service.memory.has(join(dir2, `live/cam-${i}.ts`))), [false, false, true, true]);
  p2.stop();
  assert.ok(h2.service.memory.counters.evictions >= 1);

  const dir3 = join(root, `m${n++}`);
  const h3 = harness(`enabled on; hls_fragment 2; hls_path ${dir3};`, { cacheBytes: 0 });
  const p3 = h3.publish();
  p3.send(av(4500));
  await h3.service.stream('/live/cam')!.writer.idle();
  assert.ok(existsSync(join(dir3, 'live/cam-1.ts')));
  assert.equal(h3.service.memory.size, 0);
  p3.stop();

  const dir4 = join(root, `m${n++}`);
  const h4 = harness(`enabled on; hls_fragment 2; hls_path ${dir4}; hls_keys on; hls_key_url https://k.example/;`);
  const p4 = h4.publish();
  p4.send(av(4500));
  await h4.service.stream('/live/cam')!.writer.idle();
  assert.ok(existsSync(join(dir4, 'live/cam-1.ts')));
  assert.equal(h4.service.memory.has(join(dir4, 'live/cam-1.ts')), false, 'encrypted segments are served from disk');
  assert.equal(h4.service.memory.get(join(dir4, 'live/cam.m3u8'))!.bytes.toString(), readFileSync(join(dir4, 'live/cam.m3u8'), 'utf8'));
  p4.stop();
});

test('a dropped source frees its HLS state: at once, or after a pending hls_dispose that still deletes the files', async () => {
  const dir = join(root, `g${n++}`);
  const h = harness(`enabled on; hls_fragment 2; hls_path ${dir}; hls_dispose 5;`);
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const p = h.publish();
    p.send(av(3000));
    p.stop();
    const stream = h.service.stream('/live/cam')!;
    h.ctx.registry.release(p.source); // a bare registry has no grace period: dropped now
    assert.equal(h.ctx.registry.size, 0);
    assert.equal(h.service.stream('/live/cam'), stream, 'kept until hls_dispose has run');
    mock.timers.tick(5000);
    await stream.writer.idle();
    assert.deepEqual(readdirSync(join(dir, 'live')), []);
    assert.equal(h.service.stream('/live/cam'), undefined);
  } finally {
    mock.timers.reset();
  }
  const h2 = harness(`enabled on; hls_fragment 2; hls_path ${dir}-b; hls_dispose 0;`);
  const p2 = h2.publish();
  p2.send(av(3000));
  p2.stop();
  await h2.service.stream('/live/cam')!.writer.idle();
  h2.ctx.registry.release(p2.source);
  assert.equal(h2.service.stream('/live/cam'), undefined);
  assert.ok(existsSync(join(`${dir}-b`, 'live/cam.m3u8')), 'without hls_dispose the files stay, as SRS');
});
