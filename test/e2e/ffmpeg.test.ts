// Transcode, ingest and exec: a real tsrs running real ffmpeg processes, checked with ffprobe, the
// server's log and the processes themselves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegPublish, probeStreams, rtmpConf, startServer, type RunningServer } from './harness.js';
import { makeClip, pidExists, pidRunning, waitForStart, waitUntil, which } from './ffmpeg-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'tsrs-ffmpeg-e2e-'));
let ffmpegBin = '';
before(async () => {
  ffmpegBin = await which('ffmpeg');
});
after(() => rmSync(work, { recursive: true, force: true }));

type Stream = { codec_type: string; codec_name: string; width?: number; height?: number };
const escape = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const video = (streams: Stream[]): Stream | undefined => streams.find((s) => s.codec_type === 'video');
const audio = (streams: Stream[]): Stream | undefined => streams.find((s) => s.codec_type === 'audio');

describe('transcode', () => {
  let server: RunningServer;
  let rtmp = '';
  const label = 'transcode engine "small" of /live/cam';
  before(async () => {
    server = await startServer((p) =>
      rtmpConf(
        p,
        `transcode live {
    enabled on;
    ffmpeg ${ffmpegBin};
    engine small {
      enabled on;
      vcodec libx264; vprofile baseline; vpreset ultrafast; vwidth 160; vheight 120; vthreads 1;
      vparams { g 25; }
      acodec aac; abitrate 48; asample_rate 44100; achannels 2;
      output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine];
    }
  }`,
      ),
    );
    rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
  });
  after(() => server.stop());

  test('a published 320x240 stream is transcoded to 160x120; its output is not transcoded again; killed ffmpeg comes back', { timeout: 120_000 }, async () => {
    const pub = ffmpegPublish(`${rtmp}/live/cam`);
    try {
      const pid = await waitForStart(server, label);
      assert.ok(pidRunning(pid));
      const small = await probeStreams(`${rtmp}/live/cam_small`, 30_000);
      assert.deepEqual([video(small)?.codec_name, video(small)?.width, video(small)?.height], ['h264', 160, 120]);
      assert.equal(audio(small)?.codec_name, 'aac');
      // The source is untouched.
      const source = await probeStreams(`${rtmp}/live/cam`);
      assert.deepEqual([video(source)?.width, video(source)?.height], [320, 240]);
      // The command line SRS would run, in SRS's order.
      await server.waitForLog(
        new RegExp(
          `started pid=${pid}: ${ffmpegBin} -f flv -i rtmp://127\\.0\\.0\\.1:${server.ports.rtmp}/live\\?vhost=__defaultVhost__/cam -vcodec libx264 -s 160x120 -aspect 160:120 -threads 1 -profile:v baseline -preset ultrafast -g 25 -acodec aac -b:a 48000 -ar 44100 -ac 2 -f flv -y rtmp://127\\.0\\.0\\.1:${server.ports.rtmp}/live/cam_small`,
        ),
      );
      await server.waitForLog(/no transcode for \/live\/cam_small: it is the output of a transcoder of \/live\/cam \(loop detected\)/);
      assert.doesNotMatch(server.output(), /cam_small_small/);
      const log = join(server.dir, 'objs', 'ffmpeg-encoder-__defaultVhost__-live-cam-small.log');
      assert.ok(existsSync(log), 'per-engine log file under ff_log_dir');
      assert.match(readFileSync(log, 'utf8'), /starts transcode engine "small" of \/live\/cam/);

      // (d) Kill the transcoder: it restarts and the output comes back.
      process.kill(pid, 'SIGKILL');
      await server.waitForLog(new RegExp(`${escape(label)}: pid=${pid} killed by SIGKILL after [\\d.]+s; restart in 1\\.0s`));
      const pid2 = await waitForStart(server, label, 2);
      assert.notEqual(pid2, pid);
      await waitUntil('the killed pid reaped', () => !pidExists(pid), 5000, server);
      const again = await probeStreams(`${rtmp}/live/cam_small`, 30_000);
      assert.deepEqual([video(again)?.width, video(again)?.height], [160, 120]);

      // Unpublish stops the transcoder.
      await pub.stop();
      await server.waitForLog(new RegExp(`${escape(label)}: stopped pid=${pid2}`), 10_000);
      await waitUntil('transcoder gone', () => !pidExists(pid2), 5000, server);
    } finally {
      await pub.stop();
    }
  });
});

describe('ingest', () => {
  let server: RunningServer;
  let rtmp = '';
  const clip = join(work, 'clip.flv');
  const label = 'ingest "clip" of vhost __defaultVhost__';
  const ingest = (id: string, stream: string): string => `ingest ${id} {
    enabled on;
    input { type file; url ${clip}; }
    ffmpeg ${ffmpegBin};
    engine { enabled off; output rtmp://127.0.0.1:[port]/live/${stream}?vhost=[vhost]; }
  }`;
  before(async () => {
    await makeClip(clip, 3);
    server = await startServer((p) => rtmpConf(p, ingest('clip', 'ingested'), 'ff_log_level warning;'));
    rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
  });
  after(() => server.stop());

  test('a local file is ingested as a live stream, and ingested again when it ends', { timeout: 90_000 }, async () => {
    const pid = await waitForStart(server, label);
    await server.waitForLog(new RegExp(`started pid=${pid}: ${ffmpegBin} -loglevel warning -re -i ${clip} -vcodec copy -acodec copy -f flv -y rtmp://127\\.0\\.0\\.1:${server.ports.rtmp}/live/ingested\n`));
    const streams = await probeStreams(`${rtmp}/live/ingested`);
    assert.deepEqual([video(streams)?.codec_name, video(streams)?.width, audio(streams)?.codec_name], ['h264', 320, 'aac']);
    assert.ok(existsSync(join(server.dir, 'objs', 'ffmpeg-ingest-__defaultVhost__-live-ingested.log')));
    // The 3 s file ends (a clean exit: restarted after the initial delay), then plays again.
    await server.waitForLog(new RegExp(`pid=${pid} exited with code 0 after [\\d.]+s; restart in 1\\.0s`), 20_000);
    const pid2 = await waitForStart(server, label, 2);
    assert.ok(!pidExists(pid), 'the first run was reaped');
    const again = await probeStreams(`${rtmp}/live/ingested`);
    assert.equal(video(again)?.codec_name, 'h264');
    assert.ok(pid2 > 0);
  });

  test('reload: an added ingest starts, a removed one stops', { timeout: 60_000 }, async () => {
    const conf = join(server.dir, 'test.conf');
    writeFileSync(conf, rtmpConf(server.ports, ingest('second', 'second'), 'ff_log_level warning;'));
    server.proc.kill('SIGHUP');
    const second = await waitForStart(server, 'ingest "second" of vhost __defaultVhost__');
    await server.waitForLog(/stop removed ingest "clip" of vhost __defaultVhost__/);
    const streams = await probeStreams(`${rtmp}/live/second`);
    assert.equal(video(streams)?.codec_name, 'h264');
    // Whatever run of "clip" was alive is gone, and it is not started again.
    const clipStarts = (): number => [...server.output().matchAll(/ingest "clip" of vhost __defaultVhost__: started pid=(\d+)/g)].length;
    const before = clipStarts();
    const clipPids = [...server.output().matchAll(/ingest "clip" of vhost __defaultVhost__: started pid=(\d+)/g)].map((m) => Number(m[1]));
    await waitUntil('clip runs gone', () => clipPids.every((p) => !pidExists(p)), 5000, server);
    // A restart of "clip" would come 1 s after its exit (restart in 1.0s). "second" plays the same 3 s clip
    // from the reload on and restarts 1 s after its end: once it has, any restart of "clip" would have come.
    await waitForStart(server, 'ingest "second" of vhost __defaultVhost__', 2);
    assert.equal(clipStarts(), before, 'a removed ingest is not restarted');
    // Server exit (SIGINT) takes the ingest with it.
    assert.ok(second > 0);
    server.proc.kill('SIGINT');
    await new Promise((r) => server.proc.once('exit', r));
    const all = [...server.output().matchAll(/ingest "second" of vhost __defaultVhost__: started pid=(\d+)/g)].map((m) => Number(m[1]));
    await waitUntil('no ingest left after the server exited', () => all.every((p) => !pidExists(p)), 5000);
  });
});

describe('exec', () => {
  let server: RunningServer;
  let rtmp = '';
  const script = join(work, 'argv.mjs');
  before(async () => {
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
const [out, ...rest] = process.argv.slice(2);
console.log('hello from exec');
writeFileSync(out, JSON.stringify({ pid: process.pid, argv: rest }));
setInterval(() => {}, 1000);
`,
    );
    server = await startServer((p) =>
      rtmpConf(p, `exec { enabled on; publish ${process.execPath} ${script} ${work}/argv-[stream].json [vhost] [port] [app] [stream] [tcUrl] [url] [2006] >${work}/exec-[stream].log; }`),
    );
    rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
  });
  after(() => server.stop());

  test('exec runs the command with SRS variables on publish and kills it on unpublish', { timeout: 60_000 }, async () => {
    const out = join(work, 'argv-cam.json');
    const pub = ffmpegPublish(`${rtmp}/live/cam?token=abc`);
    try {
      await waitUntil('exec wrote its argv', () => existsSync(out) && readFileSync(out, 'utf8').endsWith('}'), 20_000, server);
      const { pid, argv } = JSON.parse(readFileSync(out, 'utf8')) as { pid: number; argv: string[] };
      const port = String(server.ports.rtmp);
      assert.deepEqual(argv, [
        '__defaultVhost__',
        port,
        'live',
        'cam',
        `rtmp://127.0.0.1:${port}/live`,
        `rtmp://127.0.0.1:${port}/live/cam?token=abc`,
        String(new Date().getFullYear()),
      ]);
      await waitUntil('stdout redirected', () => existsSync(join(work, 'exec-cam.log')) && readFileSync(join(work, 'exec-cam.log'), 'utf8').includes('hello from exec'), 5000, server);
      assert.ok(pidRunning(pid));
      await pub.stop();
      await waitUntil('exec killed on unpublish', () => !pidExists(pid), 10_000, server);
      await server.waitForLog(new RegExp(`exec #1 of /live/cam: stopped pid=${pid}`));
    } finally {
      await pub.stop();
    }
  });

  test('server exit (SIGTERM) kills the running exec commands', { timeout: 60_000 }, async () => {
    const out = join(work, 'argv-last.json');
    const pub = ffmpegPublish(`${rtmp}/live/last`);
    try {
      await waitUntil('exec wrote its argv', () => existsSync(out) && readFileSync(out, 'utf8').endsWith('}'), 20_000, server);
      const { pid } = JSON.parse(readFileSync(out, 'utf8')) as { pid: number };
      assert.ok(pidRunning(pid));
      await server.stop();
      await waitUntil('exec gone with the server', () => !pidExists(pid), 5000);
    } finally {
      await pub.stop();
    }
  });
});

describe('bad config', () => {
  let server: RunningServer;
  let rtmp = '';
  before(async () => {
    server = await startServer((p) =>
      rtmpConf(
        p,
        `transcode bad {
    enabled on;
    ffmpeg ${ffmpegBin};
    engine hevc { enabled on; vcodec libx265; vprofile main; vpreset fast; acodec aac; output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]; }
  }
  transcode nobin {
    enabled on;
    ffmpeg /no/such/dir/ffmpeg;
    engine copy { enabled on; vcodec copy; acodec copy; output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]; }
  }`,
      ),
    );
    rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
  });
  after(() => server.stop());

  test('a bad engine is a clear error naming it, and the source stream still plays', { timeout: 60_000 }, async () => {
    const pub = ffmpegPublish(`${rtmp}/bad/cam`);
    try {
      await server.waitForLog(
        /\[Error\].*ffmpeg: transcode engine "hevc" of \/bad\/cam \(transcode \(scope bad\) of vhost __defaultVhost__\) cannot run, skipped: code=3015\(FFmpegNoCodec\) : invalid vcodec, must be libx264, actual libx265/i,
      );
      const streams = await probeStreams(`${rtmp}/bad/cam`);
      assert.equal(video(streams)?.width, 320);
    } finally {
      await pub.stop();
    }
  });

  test('a missing ffmpeg binary is a clear error naming the engine, retried; the source stream still plays', { timeout: 60_000 }, async () => {
    const pub = ffmpegPublish(`${rtmp}/nobin/cam`);
    try {
      await server.waitForLog(/transcode engine "copy" of \/nobin\/cam: cannot start \/no\/such\/dir\/ffmpeg: no such file \(ENOENT\); retry in 1\.0s/);
      const streams = await probeStreams(`${rtmp}/nobin/cam`);
      assert.deepEqual([video(streams)?.width, audio(streams)?.codec_name], [320, 'aac']);
      await server.waitForLog(/cannot start \/no\/such\/dir\/ffmpeg: no such file \(ENOENT\); retry in 2\.0s/, 10_000);
    } finally {
      await pub.stop();
    }
  });
});
