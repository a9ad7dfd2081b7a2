import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Logger } from '../../core/logger.js';
import { parseConfigText, type SrsConfig } from '../../config/index.js';
import type { ServerContext } from '../context.js';
import { HttpHooks } from '../hooks/http-hooks.js';
import { SourceRegistry, type LiveSource } from '../live/live-source.js';
import { Stats } from '../stats/stats.js';
import { FfmpegService } from './ffmpeg-service.js';
import { AdmissionService } from '../admission/index.js';

const root = mkdtempSync(join(tmpdir(), 'tsrs-ffmpeg-service-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A stand-in for ffmpeg: records "pid args..." and sleeps, so tests see what would have run. */
function fakeFfmpeg(dir: string): { bin: string; calls(): { pid: number; args: string[] }[] } {
  const bin = join(dir, 'fake-ffmpeg');
  const calls = join(dir, 'calls.log');
  writeFileSync(bin, `#!/bin/sh\necho "$$ $*" >> ${calls}\nexec sleep 60\n`);
  chmodSync(bin, 0o755);
  return {
    bin,
    calls: () =>
      existsSync(calls)
        ? readFileSync(calls, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              const [pid, ...args] = l.split(' ');
              return { pid: Number(pid), args };
            })
        : [],
  };
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function waitFor<T>(what: string, get: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Harness {
  dir: string;
  ffmpeg: ReturnType<typeof fakeFfmpeg>;
  service: FfmpegService;
  lines: string[];
  setConfig(vhostBody: string, extra?: string): void;
  publish(stream?: string, app?: string): { source: LiveSource; stop(): void };
}

function harness(vhostBody: (h: { bin: string; dir: string }) => string, extra = ''): Harness {
  const dir = join(root, `h${n++}`);
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
  const mk = (body: string, top: string): SrsConfig => parseConfigText(`listen 19350; ff_log_dir ${dir}/logs; ${top} vhost __defaultVhost__ { ${body} }`, 'f.conf');
  mkdirSync(dir, { recursive: true });
  const ffmpeg = fakeFfmpeg(dir);
  let config = mk(vhostBody({ bin: ffmpeg.bin, dir }), extra);
  const registry = new SourceRegistry(log);
  const ctx: ServerContext = {
    config: () => config,
    registry,
    stats: new Stats(),
    log,
    now: () => Date.now(),
    random: (k) => Buffer.alloc(k, 1),
    serverId: 'vid-test',
    serviceId: 'svc',
    hooks: new HttpHooks({ serverId: 'vid-test', serviceId: 'svc', timeoutMs: 1000, notifyAttempts: 1, notifyBackoffMs: 10 }),
    admission: new AdmissionService(() => ctx),
    connections: 0,
  };
  const service = new FfmpegService(ctx, { rtmpPorts: () => [19350], supervisor: { stopGraceMs: 500 } });
  registry.addPublishListener(service);
  service.start();
  after(() => service.stop());
  return {
    dir,
    ffmpeg,
    service,
    lines,
    setConfig: (body, top = '') => {
      config = mk(body, top);
      service.reload();
    },
    publish: (stream = 'cam', app = 'live') => {
      const source = registry.obtain('__defaultVhost__', app, stream, { gopCache: true, gopCacheMaxFrames: 100, reduceSequenceHeader: false });
      const publisher = { id: `pub${n++}`, kick: () => {} };
      source.startPublish(publisher, { ip: '127.0.0.1', tcUrl: `rtmp://media.example.com:19350/${app}`, param: '?token=t1', pageUrl: 'http://p/', swfUrl: '', port: 19350 });
      return { source, stop: () => source.stopPublish(publisher) };
    },
  };
}

const engine = (name: string, output = 'rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]'): string =>
  `engine ${name} { enabled on; vcodec copy; acodec copy; output ${output}; }`;

test('transcode: one ffmpeg per engine on publish, with the local input URL; all stopped on unpublish', async () => {
  const h = harness(({ bin }) => `transcode live { enabled on; ffmpeg ${bin}; ${engine('sd')} ${engine('hd')} }`);
  const pub = h.publish();
  const calls = await waitFor('two transcoders', () => (h.ffmpeg.calls().length === 2 ? h.ffmpeg.calls() : false));
  const argsOf = (e: string): string[] => calls.find((c) => c.args.at(-1)!.endsWith(`_${e}`))!.args;
  assert.deepEqual(argsOf('sd'), ['-f', 'flv', '-i', 'rtmp://127.0.0.1:19350/live?vhost=__defaultVhost__/cam', '-vcodec', 'copy', '-acodec', 'copy', '-f', 'flv', '-y', 'rtmp://127.0.0.1:19350/live/cam_sd']);
  assert.ok(argsOf('hd'));
  const jobs = h.service.list();
  assert.deepEqual(jobs.map((j) => [j.kind, j.owner, j.label]), [
    ['transcode', '/live/cam', 'transcode engine "sd" of /live/cam'],
    ['transcode', '/live/cam', 'transcode engine "hd" of /live/cam'],
  ]);
  assert.ok(existsSync(join(h.dir, 'logs', 'ffmpeg-encoder-__defaultVhost__-live-cam-sd.log')));
  // Another app is out of scope.
  h.publish('x', 'other');
  pub.stop();
  await waitFor('transcoders gone', () => calls.every((c) => gone(c.pid)));
  assert.deepEqual(h.service.list(), []);
  assert.equal(h.ffmpeg.calls().length, 2);
});

test('loop detection: a transcoder output that is published is not transcoded again', async () => {
  const h = harness(({ bin }) => `transcode { enabled on; ffmpeg ${bin}; ${engine('sd', 'rtmp://127.0.0.1:[port]/[app]?vhost=[vhost]/[stream]_[engine]')} }`);
  h.publish('cam');
  await waitFor('transcoder', () => h.ffmpeg.calls().length === 1);
  h.publish('cam_sd');
  assert.ok(h.lines.some((l) => l === 'trace ffmpeg: no transcode for /live/cam_sd: it is the output of a transcoder of /live/cam (loop detected)'), h.lines.join('\n'));
  assert.equal(h.service.list().length, 1);
  // The same name on another port is someone else's stream.
  const h2 = harness(({ bin }) => `transcode { enabled on; ffmpeg ${bin}; ${engine('sd', 'rtmp://127.0.0.1:1936/[app]/[stream]_[engine]')} }`);
  h2.publish('cam');
  h2.publish('cam_sd');
  assert.equal(h2.service.list().length, 2);
});

test('an engine whose output is its own input is refused', () => {
  const h = harness(({ bin }) => `transcode { enabled on; ffmpeg ${bin}; ${engine('same', 'rtmp://localhost:[port]/[app]/[stream]')} }`);
  h.publish();
  assert.equal(h.service.list().length, 0);
  assert.ok(h.lines.some((l) => /^error ffmpeg: transcode engine "same" of \/live\/cam cannot run, skipped: its output rtmp:\/\/localhost:19350\/live\/cam is its own input \(loop detected\)$/.test(l)), h.lines.join('\n'));
});

test('a bad engine is logged with its name; the publish goes on and the other engines run', () => {
  const h = harness(({ bin }) => `transcode { enabled on; ffmpeg ${bin}; engine bad { enabled on; vcodec libx264; acodec aac; output rtmp://127.0.0.1/x/y; } ${engine('ok')} }`);
  const { source } = h.publish();
  assert.ok(source.isPublishing);
  assert.deepEqual(h.service.list().map((j) => j.label), ['transcode engine "ok" of /live/cam']);
  assert.ok(h.lines.some((l) => l.startsWith('error ffmpeg: transcode engine "bad" of /live/cam (transcode (vhost scope) of vhost __defaultVhost__) cannot run, skipped: code=3022(FFmpegProfile)')), h.lines.join('\n'));
});

test('exec: one process per publish line with the variables; killed on unpublish', async () => {
  const h = harness(({ bin, dir }) => `exec { enabled on; publish ${bin} [vhost] [port] [app] [stream] [tcUrl] [url] >${dir}/exec-[stream].out; }`);
  const pub = h.publish();
  const [call] = await waitFor('exec', () => (h.ffmpeg.calls().length === 1 ? h.ffmpeg.calls() : false));
  assert.deepEqual(call!.args, ['__defaultVhost__', '19350', 'live', 'cam', 'rtmp://media.example.com:19350/live', 'rtmp://media.example.com:19350/live/cam?token=t1&vhost=media.example.com']);
  assert.ok(existsSync(join(h.dir, 'exec-cam.out')), 'stdout redirected');
  assert.deepEqual(h.service.list().map((j) => [j.kind, j.label]), [['exec', 'exec #1 of /live/cam']]);
  pub.stop();
  await waitFor('exec gone', () => gone(call!.pid));
});

test('ingest: started with the service, restarted when changed, stopped when removed or its vhost is disabled', async () => {
  const ingest = (bin: string, id: string, out: string): string =>
    `ingest ${id} { enabled on; input { type file; url ./in.flv; } ffmpeg ${bin}; engine { enabled off; output rtmp://127.0.0.1:[port]/live/${out}?vhost=[vhost]; } }`;
  let bin = '';
  const h = harness((x) => ((bin = x.bin), ingest(x.bin, 'a', 'a') + ingest(x.bin, 'b', 'b')), 'ff_log_level warning;');
  const first = await waitFor('two ingests', () => (h.ffmpeg.calls().length === 2 ? h.ffmpeg.calls() : false));
  const a = first.find((c) => c.args.at(-1)!.endsWith('/a'))!;
  const b = first.find((c) => c.args.at(-1)!.endsWith('/b'))!;
  assert.deepEqual(a.args, ['-loglevel', 'warning', '-re', '-i', './in.flv', '-vcodec', 'copy', '-acodec', 'copy', '-f', 'flv', '-y', 'rtmp://127.0.0.1:19350/live/a']);
  assert.deepEqual(h.service.list().map((j) => [j.kind, j.owner]), [['ingest', '__defaultVhost__/a'], ['ingest', '__defaultVhost__/b']]);

  // Unchanged a, changed b, added c.
  h.setConfig(ingest(bin, 'a', 'a') + ingest(bin, 'b', 'b2') + ingest(bin, 'c', 'c'), 'ff_log_level warning;');
  const second = await waitFor('restart b, start c', () => (h.ffmpeg.calls().length === 4 ? h.ffmpeg.calls() : false));
  await waitFor('old b gone', () => gone(b.pid));
  assert.ok(!gone(a.pid), 'unchanged ingest untouched');
  assert.deepEqual(second.slice(2).map((c) => c.args.at(-1)).sort(), ['rtmp://127.0.0.1:19350/live/b2', 'rtmp://127.0.0.1:19350/live/c']);

  // Removed: everything but c; then the vhost is disabled.
  h.setConfig(ingest(bin, 'c', 'c'));
  const b2 = second.find((c) => c.args.at(-1)!.endsWith('/b2'))!;
  const c = second.find((x) => x.args.at(-1)!.endsWith('/c'))!;
  await waitFor('a and b2 gone', () => gone(a.pid) && gone(b2.pid));
  assert.ok(!gone(c.pid), 'c keeps running');
  assert.deepEqual(h.service.list().map((j) => j.owner), ['__defaultVhost__/c']);
  h.setConfig(`enabled off; ${ingest(bin, 'c', 'c')}`);
  await waitFor('all gone', () => h.service.list().length === 0 && h.ffmpeg.calls().every((c) => gone(c.pid)));
});

test('reload: transcodes of live streams restart only when their config changed; exec follows its block', async () => {
  let bin = '';
  const h = harness((x) => ((bin = x.bin), `transcode live { enabled on; ffmpeg ${x.bin}; ${engine('sd')} }`));
  h.publish();
  const [t1] = await waitFor('transcoder', () => (h.ffmpeg.calls().length === 1 ? h.ffmpeg.calls() : false));
  h.setConfig(`transcode live { enabled on; ffmpeg ${bin}; ${engine('sd')} } http_remux { enabled on; }`);
  assert.equal(h.ffmpeg.calls().length, 1, 'another section changed: the transcoder keeps running');
  h.setConfig(`transcode live { enabled on; ffmpeg ${bin}; ${engine('hd')} } exec { enabled on; publish ${bin} [stream]; }`);
  const calls = await waitFor('hd and exec', () => (h.ffmpeg.calls().length === 3 ? h.ffmpeg.calls() : false));
  await waitFor('sd gone', () => gone(t1!.pid));
  assert.deepEqual(h.service.list().map((j) => j.label).sort(), ['exec #1 of /live/cam', 'transcode engine "hd" of /live/cam']);
  h.setConfig('');
  await waitFor('everything gone', () => h.service.list().length === 0 && calls.every((c) => gone(c.pid)));
});

test('a missing ffmpeg binary is a clear error naming the engine; stop() ends the retries', async () => {
  const h = harness(() => `transcode { enabled on; ffmpeg /no/such/ffmpeg; ${engine('small')} }`);
  const { source } = h.publish();
  await waitFor('error', () => h.lines.some((l) => l.startsWith('error transcode engine "small" of /live/cam: cannot start /no/such/ffmpeg: no such file (ENOENT)')));
  assert.ok(source.isPublishing);
  await h.service.stop();
  assert.deepEqual(h.service.list(), []);
});

test('stop(): every process is killed, and nothing starts afterwards', async () => {
  const h = harness(({ bin }) => `transcode { enabled on; ffmpeg ${bin}; ${engine('sd')} } exec { enabled on; publish ${bin} x; }`);
  h.publish();
  const calls = await waitFor('two processes', () => (h.ffmpeg.calls().length === 2 ? h.ffmpeg.calls() : false));
  await h.service.stop();
  assert.ok(calls.every((c) => gone(c.pid)));
  h.publish('later');
  assert.deepEqual(h.service.list(), []);
});
