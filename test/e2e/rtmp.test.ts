// RTMP live streaming end to end: ffmpeg/GStreamer publish and play through a real tsrs process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../src/core/logger.js';
import type { MediaFrame } from '../../src/kernel/media-frame.js';
import { RtmpClient } from '../../src/app/upstream/index.js';
import { ffmpegPublish, probeFrames, probeStreams, rtmpConf, run, startServer, type RunningServer } from './harness.js';

const quietLog: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quietLog };

let server: RunningServer;
let base: string;

before(async () => {
  server = await startServer((p) =>
    rtmpConf(
      p,
      '',
      `vhost disabled.test { enabled off; }
vhost b.test { play { gop_cache on; } }
vhost nogop.test { play { gop_cache off; } }
vhost atc.test { play { time_jitter off; } }`,
    ),
  );
  base = `rtmp://127.0.0.1:${server.ports.rtmp}`;
});

after(async () => {
  await server.stop();
});

/**
 * Play `url` with our in-process RTMP client until `onFrame` returns true (or `timeoutMs` passes); returns
 * whether it did. Frames are video/audio/data as the server sends them.
 */
function playUntil(url: string, onFrame: (f: MediaFrame) => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.close('test done');
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const client = new RtmpClient(
      { url, mode: 'play', log: quietLog, random: randomBytes, now: Date.now, setupTimeoutMs: 10_000 },
      {
        onFrame: (f) => {
          if (!done && onFrame(f)) finish(true);
        },
        onEnd: (e) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          reject(new Error(`play ${url} ended: ${e.reason}`));
        },
      },
    );
    client.start();
  });
}

/** Resolves once a player of `url` has seen a keyframe and `afterMs` of video after it: a new player is then mid-GOP. */
async function mediaPastKeyframe(url: string, afterMs: number): Promise<void> {
  let keyDts = -1;
  const ok = await playUntil(
    url,
    (f) => {
      if (f.kind !== 'video' || f.sequenceHeader) return false;
      if (keyDts < 0 && f.keyframe) keyDts = f.dts;
      return keyDts >= 0 && f.dts - keyDts >= afterMs;
    },
    GOP_WAIT_MS,
  );
  assert.ok(ok, `no keyframe and ${afterMs} ms of video after it on ${url}`);
}
const GOP_WAIT_MS = 30_000;

/**
 * What a new player of `url` gets within `withinMs`: the coded video frames (not sequence headers) before
 * its first keyframe, and that keyframe (null when none came: nothing decodable yet).
 */
async function untilKeyframe(url: string, withinMs: number): Promise<{ before: number; keyframe: MediaFrame | null }> {
  let before = 0;
  let keyframe: MediaFrame | null = null;
  await playUntil(
    url,
    (f) => {
      if (f.kind !== 'video' || f.sequenceHeader) return false;
      if (!f.keyframe) {
        before++;
        return false;
      }
      keyframe = f;
      return true;
    },
    withinMs,
  );
  return { before, keyframe };
}

const codecs = (streams: { codec_type: string; codec_name: string }[]): string[] =>
  streams.filter((s) => s.codec_type !== 'data').map((s) => `${s.codec_type}:${s.codec_name}`).sort();

describe('publish and play with ffmpeg/ffprobe', () => {
  for (const [kind, expected] of [
    ['h264-aac', ['audio:aac', 'video:h264']],
    ['h264', ['video:h264']],
    ['aac', ['audio:aac']],
    ['h264-mp3', ['audio:mp3', 'video:h264']],
  ] as const) {
    test(`${kind}: ffprobe sees the published codecs`, async () => {
      const pub = ffmpegPublish(`${base}/live/codec-${kind}`, kind);
      try {
        await server.waitForLog(new RegExp(`publish /live/codec-${kind}\\b`));
        const streams = await probeStreams(`${base}/live/codec-${kind}`);
        assert.deepEqual(codecs(streams), [...expected].sort());
        const video = streams.find((s) => s.codec_type === 'video');
        if (video) assert.equal(`${video.width}x${video.height}`, '320x240');
      } finally {
        await pub.stop();
      }
    });
  }

  test('ffmpeg decodes 3 s of the stream without an error', async () => {
    const pub = ffmpegPublish(`${base}/live/decode`);
    try {
      await server.waitForLog(/publish \/live\/decode\b/);
      const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', `${base}/live/decode`, '-t', '3', '-f', 'null', '-'], 30_000);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.trim(), '');
    } finally {
      await pub.stop();
    }
  });

  // 10 s GOP: a player that joins after the GOP's keyframe gets its first decodable frame at once from the
  // gop cache; without it, it waits for the next keyframe, up to 10 s. The nogop.test vhost (gop_cache off)
  // is the control that shows the test can tell the difference.
  const GOP_MS = 10_000;
  const FAST_MS = 2500;
  test('a late player starts at once on a keyframe from the gop cache', async () => {
    const pub = ffmpegPublish(`${base}/live/late`, 'h264-aac', (25 * GOP_MS) / 1000);
    try {
      await server.waitForLog(/publish \/live\/late\b/);
      await mediaPastKeyframe(`${base}/live/late`, 1000);
      const got = await untilKeyframe(`${base}/live/late`, FAST_MS);
      assert.ok(got.keyframe, `no keyframe within ${FAST_MS} ms of a mid-GOP play: the gop cache did not serve the GOP`);
      assert.equal(got.before, 0, 'the first video frame is the cached keyframe');
    } finally {
      await pub.stop();
    }
  });

  test('control: with gop_cache off the same late player waits for the next keyframe', async () => {
    const url = `${base}/live/late-nogop?vhost=nogop.test`;
    const pub = ffmpegPublish(url, 'h264-aac', (25 * GOP_MS) / 1000);
    try {
      await server.waitForLog(/publish nogop\.test\/live\/late-nogop\b/);
      await mediaPastKeyframe(url, 1000);
      const got = await untilKeyframe(url, FAST_MS);
      assert.equal(got.keyframe, null, 'a keyframe came before the next one could exist');
      assert.ok(got.before > 0, 'the player did get the live frames (not decodable before the next keyframe)');
    } finally {
      await pub.stop();
    }
  });

  test('a player that arrives before the publisher starts when it comes', async () => {
    const probe = probeStreams(`${base}/live/early`, 30_000);
    await server.waitForLog(/RTMP play \/live\/early, waiting for the publisher/);
    const pub = ffmpegPublish(`${base}/live/early`);
    try {
      assert.deepEqual(codecs(await probe), ['audio:aac', 'video:h264']);
    } finally {
      await pub.stop();
    }
  });

  test('20 players at once all get the stream', async () => {
    const pub = ffmpegPublish(`${base}/live/many`);
    try {
      await server.waitForLog(/publish \/live\/many\b/);
      const results = await Promise.all(Array.from({ length: 20 }, () => probeFrames(`${base}/live/many`, 'v', 10, 40_000)));
      for (const frames of results) {
        assert.ok(frames.length >= 10);
        assert.equal(frames[0]!.keyFrame, true);
      }
    } finally {
      await pub.stop();
    }
  });
});

describe('long sessions', () => {
  test('timestamps past 0xFFFFFF ms (4.66 h, extended timestamps) pass through unchanged with time_jitter off', async () => {
    const url = `${base}/live/long?vhost=atc.test`;
    const pub = run(
      'ffmpeg',
      ['-hide_banner', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-output_ts_offset', '16800', '-f', 'flv', url],
      30_000,
    );
    await server.waitForLog(/publish atc\.test\/live\/long\b/);
    const frames = await probeFrames(url, 'v', 10);
    assert.ok(frames.length >= 10);
    assert.ok(frames[0]!.pts >= 16800, `first pts ${frames[0]!.pts}`);
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i]!.pts > frames[i - 1]!.pts);
    await pub;
  });
});

describe('publishers', () => {
  test('a second publisher of the same stream is refused; the first keeps going', async () => {
    const first = ffmpegPublish(`${base}/live/busy`);
    try {
      await server.waitForLog(/publish \/live\/busy\b/);
      const second = await run(
        'ffmpeg',
        ['-hide_banner', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-t', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'flv', `${base}/live/busy`],
        20_000,
      );
      assert.notEqual(second.code, 0, 'the second publisher must fail');
      assert.match(server.output(), /stream \/live\/busy is busy/);
      assert.equal(first.proc.exitCode, null, 'the first publisher is still running');
      const frames = await probeFrames(`${base}/live/busy`, 'v', 5);
      assert.ok(frames.length >= 5);
    } finally {
      await first.stop();
    }
  });

  test('republish after the publisher drops', async () => {
    const first = ffmpegPublish(`${base}/live/again`);
    await server.waitForLog(/publish \/live\/again\b/);
    await first.stop(); // SIGKILL: the connection just vanishes
    await server.waitForLog(/RTMP unpublish \/live\/again/);
    const second = ffmpegPublish(`${base}/live/again`, 'h264');
    try {
      await server.waitForLog(/FMLE publish \/live\/again[\s\S]*FMLE publish \/live\/again/);
      assert.deepEqual(codecs(await probeStreams(`${base}/live/again`)), ['video:h264']);
    } finally {
      await second.stop();
    }
  });
});

describe('vhosts', () => {
  test('?vhost= picks the vhost; streams of different vhosts are separate', async () => {
    const pub = ffmpegPublish(`${base}/live/vh?vhost=b.test`, 'h264');
    try {
      await server.waitForLog(/publish b\.test\/live\/vh\b/);
      assert.deepEqual(codecs(await probeStreams(`${base}/live/vh?vhost=b.test`)), ['video:h264']);
      // The same name on the default vhost has no publisher: a probe there times out instead of playing.
      const other = await run('ffprobe', ['-v', 'error', '-rw_timeout', '2000000', '-show_streams', `${base}/live/vh`], 15_000);
      assert.doesNotMatch(other.stdout, /codec_name=h264/);
    } finally {
      await pub.stop();
    }
  });

  test('the tcUrl host picks the vhost, and a disabled vhost is refused', async () => {
    const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc', '-t', '2', '-c:v', 'libx264', '-f', 'flv', `${base}/live/x?vhost=disabled.test`], 20_000);
    assert.notEqual(r.code, 0);
    assert.match(server.output(), /no vhost disabled\.test/);
    // tcUrl host "localhost" resolves to no vhost block, so the default vhost serves it.
    const pub = ffmpegPublish(`rtmp://localhost:${server.ports.rtmp}/live/byhost`, 'h264');
    try {
      await server.waitForLog(/publish \/live\/byhost\b/);
    } finally {
      await pub.stop();
    }
  });
});

describe('bad input', () => {
  test('garbage on the RTMP port never disturbs a playing stream', async () => {
    const pub = ffmpegPublish(`${base}/live/garbage`);
    try {
      await server.waitForLog(/publish \/live\/garbage\b/);
      const player = run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', `${base}/live/garbage`, '-t', '4', '-f', 'null', '-'], 40_000);
      const junk = [
        Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
        Buffer.alloc(5000, 0xff),
        Buffer.concat([Buffer.from([3]), Buffer.alloc(1536, 7), Buffer.alloc(1536, 9), Buffer.alloc(4000, 0x42)]),
        Buffer.from([3]),
        Buffer.from([]),
      ];
      await Promise.all(
        junk.map(
          (bytes) =>
            new Promise<void>((resolve) => {
              const s = net.connect(server.ports.rtmp, '127.0.0.1', () => {
                s.write(bytes);
                setTimeout(() => s.destroy(), 300);
              });
              s.on('error', () => resolve());
              s.on('close', () => resolve());
            }),
        ),
      );
      const r = await player;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.trim(), '');
      assert.equal(server.proc.exitCode, null, 'server still running');
    } finally {
      await pub.stop();
    }
  });
});

describe('GStreamer clients', () => {
  const gst = (pipeline: string, timeoutMs = 30_000) => run('gst-launch-1.0', ['-q', ...pipeline.split(' ')], timeoutMs);

  test('rtmp2src and rtmpsrc (librtmp) play the stream', async () => {
    const pub = ffmpegPublish(`${base}/live/gst`);
    try {
      await server.waitForLog(/publish \/live\/gst\b/);
      const a = await gst(`rtmp2src location=${base}/live/gst ! flvdemux name=d d.video ! queue ! h264parse ! fakesink num-buffers=30`);
      assert.equal(a.code, 0, a.stderr + a.stdout);
      const b = await gst(`rtmpsrc location=${base}/live/gst ! flvdemux name=d d.video ! queue ! h264parse ! fakesink num-buffers=30`);
      assert.equal(b.code, 0, b.stderr + b.stdout);
    } finally {
      await pub.stop();
    }
  });

  test('rtmp2sink publishes and ffprobe plays it', async () => {
    const pub = gst(
      `videotestsrc is-live=true num-buffers=250 ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc tune=zerolatency key-int-max=25 ! h264parse ! flvmux streamable=true ! rtmp2sink location=${base}/live/fromgst`,
      40_000,
    );
    await server.waitForLog(/publish \/live\/fromgst\b/, 20_000);
    const streams = await probeStreams(`${base}/live/fromgst`);
    assert.deepEqual(codecs(streams), ['video:h264']);
    const r = await pub;
    assert.equal(r.code, 0, r.stderr);
  });
});
