import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText, type SrsConfig, type VhostConfig } from '../../config/index.js';
import { planExec, planIngest, planTranscodes, transcodesFor, urlStream } from './plans.js';
import type { PublishRequest } from './templates.js';

const clock = { nowMs: Date.UTC(2024, 2, 5, 7, 8, 9, 10), utc: true };
const env = { ffLogDir: './objs', ...clock };

function conf(vhostBody: string, top = ''): SrsConfig {
  return parseConfigText(`listen 1935; ${top} vhost __defaultVhost__ { ${vhostBody} }`, 't.conf');
}
const vhostOf = (c: SrsConfig): VhostConfig => c.vhosts.get('__defaultVhost__')!;

function req(stream = 'cam', app = 'live'): PublishRequest {
  return {
    vhost: '__defaultVhost__',
    app,
    stream,
    param: '?k=v',
    tcUrl: 'rtmp://127.0.0.1:1935/live',
    pageUrl: '',
    swfUrl: '',
    host: '127.0.0.1',
    tcPort: 1935,
    port: 1935,
  };
}

const COPY_ENGINE = (name: string, extra = ''): string =>
  `engine ${name} { enabled on; vcodec copy; acodec copy; output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]; ${extra} }`;

test('scopes: vhost, then app, then app/stream; other apps and streams do not match', () => {
  const v = vhostOf(
    conf(`transcode live/cam { enabled on; ffmpeg f; ${COPY_ENGINE('s')} }
          transcode { enabled on; ffmpeg f; ${COPY_ENGINE('v')} }
          transcode live { enabled on; ffmpeg f; ${COPY_ENGINE('a')} }
          transcode other { enabled on; ffmpeg f; ${COPY_ENGINE('o')} }
          transcode live/cam2 { enabled on; ffmpeg f; ${COPY_ENGINE('o2')} }`),
  );
  assert.deepEqual(transcodesFor(v, 'live', 'cam').map((t) => t.scope), ['', 'live', 'live/cam']);
  const plan = planTranscodes(v, req(), env);
  assert.deepEqual(plan.jobs.map((j) => j.output), ['rtmp://127.0.0.1:1935/live/cam_v', 'rtmp://127.0.0.1:1935/live/cam_a', 'rtmp://127.0.0.1:1935/live/cam_s']);
  assert.deepEqual(plan.notes, []);
  const job = plan.jobs[0]!;
  assert.equal(job.spec.bin, 'f');
  assert.equal(job.spec.label, 'transcode engine "v" of /live/cam');
  assert.deepEqual(job.spec.args, ['-f', 'flv', '-i', 'rtmp://127.0.0.1:1935/live?vhost=__defaultVhost__/cam', '-vcodec', 'copy', '-acodec', 'copy', '-f', 'flv', '-y', 'rtmp://127.0.0.1:1935/live/cam_v']);
  assert.equal(job.spec.stdout, './objs/ffmpeg-encoder-__defaultVhost__-live-cam-v.log');
  assert.equal(job.spec.stderr, job.spec.stdout);
});

test('disabled transcode, no ffmpeg, no engine, disabled engine, engine without codecs: ignored', () => {
  const v = vhostOf(
    conf(`transcode { enabled off; ffmpeg f; ${COPY_ENGINE('off1')} }
          transcode { enabled on; ${COPY_ENGINE('nobin')} }
          transcode { enabled on; ffmpeg f; }
          transcode { enabled on; ffmpeg f;
            engine e1 { enabled off; vcodec copy; acodec copy; output x; }
            engine e2 { enabled on; output rtmp://127.0.0.1/live/x; }
            engine e3 { enabled yes; vcodec copy; acodec copy; output x; }
          }`),
  );
  const plan = planTranscodes(v, req(), env);
  assert.equal(plan.jobs.length, 0);
  assert.deepEqual(
    plan.notes.map((n) => n.level),
    ['trace', 'trace', 'trace', 'trace', 'warn', 'trace'],
  );
  assert.match(plan.notes[4]!.message, /ignore transcode engine "e2" of \/live\/cam .*neither vcodec nor acodec/);
});

test('a bad engine is an error naming it; the good engines of the same transcode still run', () => {
  const v = vhostOf(
    conf(`transcode live { enabled on; ffmpeg f;
            engine bad { enabled on; vcodec libx265; vprofile main; vpreset fast; acodec aac; output rtmp://127.0.0.1/[app]/[stream]_bad; }
            ${COPY_ENGINE('good')}
            engine { enabled on; vcodec libx264; acodec aac; output rtmp://127.0.0.1/[app]/[stream]_anon; }
          }`),
  );
  const plan = planTranscodes(v, req(), env);
  assert.deepEqual(plan.jobs.map((j) => j.spec.label), ['transcode engine "good" of /live/cam']);
  assert.equal(plan.notes.length, 2);
  assert.equal(plan.notes[0]!.level, 'error');
  assert.match(plan.notes[0]!.message, /^transcode engine "bad" of \/live\/cam \(transcode \(scope live\) of vhost __defaultVhost__\) cannot run, skipped: code=3015\(FFmpegNoCodec\) : invalid vcodec, must be libx264, actual libx265$/);
  assert.match(plan.notes[1]!.message, /^transcode engine #3 of \/live\/cam .*code=3022\(FFmpegProfile\)/);
});

test('[param] and [engine] in the output; a nameless engine has no suffix in its log file', () => {
  const v = vhostOf(conf(`transcode { enabled on; ffmpeg f; engine { enabled on; vcodec copy; acodec copy; output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]x[param]; } }`));
  const [job] = planTranscodes(v, req(), { ...env, ffLogDir: '/dev/null' }).jobs;
  assert.equal(job!.output, 'rtmp://127.0.0.1:1935/live/cam_x?k=v');
  assert.equal(job!.spec.stdout, '/dev/null');
  const [job2] = planTranscodes(v, req(), env).jobs;
  assert.equal(job2!.spec.stdout, './objs/ffmpeg-encoder-__defaultVhost__-live-cam.log');
});

test('urlStream: app and stream of an output, with the vhost from the query or the host', () => {
  assert.deepEqual(urlStream('rtmp://127.0.0.1:1935/live/cam_sd?vhost=a.com'), { host: '127.0.0.1', port: 1935, vhost: 'a.com', app: 'live', stream: 'cam_sd' });
  assert.deepEqual(urlStream('rtmp://127.0.0.1:1936/live?vhost=a.com/cam_sd'), { host: '127.0.0.1', port: 1936, vhost: 'a.com', app: 'live', stream: 'cam_sd' });
  assert.deepEqual(urlStream('rtmp://b.com/x/y/z'), { host: 'b.com', port: 1935, vhost: 'b.com', app: 'x/y', stream: 'z' });
});

const ingestEnv = { ffLogDir: './objs', ffLogLevel: 'info', port: 1935, ...clock };

test('ingest of a file, engine off: copy, -loglevel then -re, flv output, log named after the output stream', () => {
  const c = conf(`ingest livestream { enabled on; input { type file; url ./doc/source.flv; } ffmpeg ./ffmpeg;
    engine { enabled off; vcodec libx264; output rtmp://127.0.0.1:[port]/live/livestream?vhost=[vhost]; } }`);
  const plan = planIngest('__defaultVhost__', vhostOf(c).ingests[0]!, ingestEnv);
  assert.deepEqual(plan.notes, []);
  assert.deepEqual(plan.jobs, [
    {
      label: 'ingest "livestream" of vhost __defaultVhost__',
      bin: './ffmpeg',
      args: ['-loglevel', 'info', '-re', '-i', './doc/source.flv', '-vcodec', 'copy', '-acodec', 'copy', '-f', 'flv', '-y', 'rtmp://127.0.0.1:1935/live/livestream'],
      stdout: './objs/ffmpeg-ingest-__defaultVhost__-live-livestream.log',
      stderr: './objs/ffmpeg-ingest-__defaultVhost__-live-livestream.log',
    },
  ]);
});

test('ingest of a stream with a transcoding engine: perfile after -re, no input -f for a non-RTMP input', () => {
  const c = conf(`ingest cam { enabled on; input { type stream; url rtsp://cam/1; } ffmpeg ff;
    engine { enabled on; perfile { rtsp_transport tcp; } vcodec libx264; vprofile main; vpreset fast; vwidth 640; vheight 360; acodec aac;
      output rtmp://127.0.0.1:[port]/live/cam?vhost=[vhost]; } }`);
  const [spec] = planIngest('a.com', vhostOf(c).ingests[0]!, { ...ingestEnv, ffLogLevel: 'warning', port: 1936 }).jobs;
  assert.deepEqual(spec!.args, [
    '-loglevel', 'warning', '-re', '-rtsp_transport', 'tcp', '-i', 'rtsp://cam/1',
    '-vcodec', 'libx264', '-s', '640x360', '-aspect', '640:360', '-threads', '1', '-profile:v', 'main', '-preset', 'fast',
    '-acodec', 'aac', '-f', 'flv', '-y', 'rtmp://127.0.0.1:1936/live/cam?vhost=a.com',
  ]);
});

test('ingest: one process per engine; engine with no codecs copies', () => {
  const c = conf(`ingest two { enabled on; input { type file; url in.mp4; } ffmpeg ff;
    engine hd { enabled on; output rtmp://127.0.0.1:[port]/live/hd; }
    engine sd { enabled on; vcodec copy; acodec copy; output rtmp://127.0.0.1:[port]/live/sd; } }`);
  const plan = planIngest('__defaultVhost__', vhostOf(c).ingests[0]!, ingestEnv);
  assert.deepEqual(plan.jobs.map((j) => j.label), ['ingest "two" of vhost __defaultVhost__, engine "hd"', 'ingest "two" of vhost __defaultVhost__, engine "sd"']);
  assert.deepEqual(plan.jobs[0]!.args.slice(3), ['-i', 'in.mp4', '-vcodec', 'copy', '-acodec', 'copy', '-f', 'flv', '-y', 'rtmp://127.0.0.1:1935/live/hd']);
});

test('ingest refusals: device input, no url, no ffmpeg, no engine (no output); disabled ingest: nothing', () => {
  const one = (body: string): ReturnType<typeof planIngest> => planIngest('__defaultVhost__', vhostOf(conf(`ingest i { ${body} }`)).ingests[0]!, ingestEnv);
  const out = 'engine { enabled off; output rtmp://127.0.0.1/live/x; }';
  const err = (body: string, re: RegExp): void => {
    const p = one(body);
    assert.equal(p.jobs.length, 0, body);
    assert.equal(p.notes[0]?.level, 'error', body);
    assert.match(p.notes[0]!.message, re);
  };
  err(`enabled on; input { type device; url /dev/video0; } ffmpeg f; ${out}`, /ingest "i" of vhost __defaultVhost__ cannot run.*FFmpegInputType.*type=device \(device input is not supported/);
  err(`enabled on; input { type file; } ffmpeg f; ${out}`, /FFmpegNoInput.*empty input url/);
  err(`enabled on; input { type file; url a.flv; } ${out}`, /FFmpegBinary.*no ffmpeg binary/);
  err('enabled on; input { type file; url a.flv; } ffmpeg f;', /FFmpegNoOutput.*empty output url/);
  assert.deepEqual(one(`enabled off; input { type file; url a.flv; } ffmpeg f; ${out}`), { jobs: [], notes: [] });
});

test('exec: one process per publish line, variables expanded, redirections applied', () => {
  const v = vhostOf(
    conf(`exec { enabled on;
      publish ./objs/ffmpeg/bin/ffmpeg -f flv -i [url] -c copy -y ./[stream].flv;
      publish /usr/bin/logger [vhost] [app] [stream] [port] [tcUrl] [2006]-[01] >/tmp/[stream].out 2>&1;
    }`),
  );
  const plan = planExec(v, req(), clock);
  assert.deepEqual(plan.jobs, [
    {
      label: 'exec #1 of /live/cam',
      bin: './objs/ffmpeg/bin/ffmpeg',
      args: ['-f', 'flv', '-i', 'rtmp://127.0.0.1:1935/live/cam?k=v', '-c', 'copy', '-y', './cam.flv'],
      stdout: '',
      stderr: '',
    },
    {
      label: 'exec #2 of /live/cam',
      bin: '/usr/bin/logger',
      args: ['__defaultVhost__', 'live', 'cam', '1935', 'rtmp://127.0.0.1:1935/live', '2024-03'],
      stdout: '/tmp/cam.out',
      stderr: '&1',
    },
  ]);
  assert.deepEqual(planExec(vhostOf(conf('exec { enabled off; publish x; }')), req(), clock).jobs, []);
});
