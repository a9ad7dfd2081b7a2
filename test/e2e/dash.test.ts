// MPEG-DASH end to end: a real tsrs, ffmpeg publishing over RTMP, the MPD and fMP4 segments under dash_path
// read back by ffprobe/ffmpeg's DASH demuxer, from the file system and over the HTTP server.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fragmentTiming } from '../../src/protocol/dash/fragment-timing.js';
import { decodeMpd, filesIn, probeMpd, readMpd, segmentFrames, writing, type MpdInfo, type MpdTrack } from './dash-helpers.js';
import { ffmpegPublish, startServer, type Ports, type RunningServer } from './harness.js';
import { pollUntil } from './hls-helpers.js';

const FRAGMENT = 2;
const WINDOW = 4;

function dashConf(p: Ports, dir: string, disposeDir: string): string {
  return `listen ${p.rtmp};
daemon off;
srs_log_tank console;
srs_log_level trace;
http_server { enabled on; listen ${p.http}; dir ${dir}; }
vhost __defaultVhost__ {
  dash { enabled on; dash_fragment ${FRAGMENT}; dash_update_period ${FRAGMENT}; dash_window_size ${WINDOW}; dash_cleanup on; dash_path ${dir}; }
}
vhost dispose.test {
  dash { enabled on; dash_fragment 1; dash_path ${disposeDir}; dash_dispose 1; }
}
`;
}

const seconds = (track: MpdTrack, d: number): number => d / track.timescale;

describe('DASH', { timeout: 240_000 }, () => {
  let server: RunningServer;
  let dir: string;
  let disposeDir: string;
  let scratch: string;
  const mpdPath = (stream: string): string => join(dir, 'live', `${stream}.mpd`);
  const home = (stream: string): string => join(dir, 'live', stream);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsrs-dash-e2e-'));
    disposeDir = mkdtempSync(join(tmpdir(), 'tsrs-dash-e2e-dispose-'));
    scratch = mkdtempSync(join(tmpdir(), 'tsrs-dash-e2e-scratch-'));
    server = await startServer((p) => dashConf(p, dir, disposeDir));
  });
  after(async () => {
    await server?.stop();
    for (const d of [dir, disposeDir, scratch]) if (d) rmSync(d, { recursive: true, force: true });
  });

  /** After the publisher left: the MPD lists the last segment written and nothing is being written. */
  async function closed(stream: string): Promise<MpdInfo> {
    return pollUntil(`${stream} DASH closed`, () => {
      if (writing(home(stream)) || writing(join(dir, 'live'))) return null;
      const m = readMpd(mpdPath(stream));
      const track = m?.video ?? m?.audio;
      if (!m || !track) return null;
      const kind = m.video ? 'video' : 'audio';
      const newest = Math.max(...filesIn(home(stream)).filter((f) => f.startsWith(`${kind}-`) && f.endsWith('.m4s')).map((f) => Number(/-(\d+)\.m4s$/.exec(f)![1])));
      return track.segments[track.segments.length - 1]!.number === newest ? m : null;
    }, 15_000);
  }

  test('H.264+AAC and AAC only: ffprobe/ffmpeg read the MPD (file and HTTP), segments keyframe-aligned at dash_fragment, window and cleanup', async () => {
    const rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}/live`;
    const av = ffmpegPublish(`${rtmp}/av`, 'h264-aac', 25);
    const audio = ffmpegPublish(`${rtmp}/a`, 'aac');
    try {
      const alive = (): void => {
        if (av.proc.exitCode !== null) throw new Error(`ffmpeg (av) exited: ${av.stderr()}`);
        if (audio.proc.exitCode !== null) throw new Error(`ffmpeg (aac) exited: ${audio.stderr()}`);
      };
      // The MPD appears with the first segment, then the window slides (WINDOW + 1 segments written).
      await pollUntil('av MPD', () => (alive(), readMpd(mpdPath('av'))), 30_000);
      for (const stream of ['av', 'a']) {
        await pollUntil(`${stream} window sliding`, () => {
          alive();
          const m = readMpd(mpdPath(stream));
          const t = m?.video ?? m?.audio;
          return t && t.startNumber >= 1 ? m : null;
        }, 60_000, 200);
      }

      // Live, from the file system and over the HTTP server (http_server.dir = dash_path).
      const streams = await probeMpd(mpdPath('av'));
      assert.deepEqual(streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), ['audio:aac', 'video:h264']);
      assert.equal(streams.find((s) => s.codec_type === 'video')!.width, 320);
      assert.equal(streams.find((s) => s.codec_type === 'audio')!.sample_rate, '44100');
      assert.deepEqual((await probeMpd(mpdPath('a'))).map((s) => `${s.codec_type}:${s.codec_name}`), ['audio:aac']);
      const url = `http://127.0.0.1:${server.ports.http}/live/av.mpd`;
      const [fromFile, fromHttp, audioOnly] = await Promise.all([decodeMpd(mpdPath('av'), 4), decodeMpd(url, 4), decodeMpd(mpdPath('a'), 4)]);
      for (const [what, r] of [['file', fromFile], ['http', fromHttp], ['aac file', audioOnly]] as const) {
        assert.equal(r.code, 0, `${what}: ${r.stderr}`);
        assert.equal(r.stderr.trim(), '', `${what} decodes without errors`);
      }

      // Served with the DASH MIME types.
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/dash+xml');
      const text = await res.text();
      assert.match(text, /^<\?xml version="1.0" encoding="utf-8"\?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic" /);
      assert.match(text, /minimumUpdatePeriod="PT2.000S"/);
      assert.match(text, /<BaseURL>av\/<\/BaseURL>/);
      const live = readMpd(mpdPath('av'))!;
      const init = await fetch(`http://127.0.0.1:${server.ports.http}/live/av/${live.video!.init}`);
      assert.equal(init.headers.get('content-type'), 'video/mp4');
      await init.arrayBuffer();
      const seg = await fetch(`http://127.0.0.1:${server.ports.http}/live/av/video-${live.video!.segments[0]!.number}.m4s`);
      assert.equal(seg.status, 200);
      assert.equal(seg.headers.get('content-type'), 'video/iso.segment');
      await seg.arrayBuffer();
    } finally {
      await Promise.all([av.stop(), audio.stop()]);
    }

    const m = await closed('av');
    assert.equal(m.periods, 1);
    const v = m.video!;
    const a = m.audio!;
    assert.ok(v.startNumber >= 1, 'the window slid');
    // dash_window_size segments, video and audio sharing numbers.
    assert.equal(v.segments.length, WINDOW);
    assert.deepEqual(a.segments.map((s) => s.number), v.segments.map((s) => s.number));
    // dash_cleanup: the listed segments and the init segments are on disk, and the one that left the MPD
    // last (kept one segment longer); nothing older.
    const kept = [v.startNumber - 1, ...v.segments.map((s) => s.number)];
    const listed = [v.init, a.init, ...kept.map((k) => `video-${k}.m4s`), ...kept.map((k) => `audio-${k}.m4s`)].sort();
    assert.deepEqual(filesIn(home('av')), listed);
    assert.deepEqual(filesIn(join(dir, 'live')), ['a', 'a.mpd', 'av', 'av.mpd']);

    for (const [i, s] of v.segments.entries()) {
      const d = seconds(v, s.d);
      // dash_fragment long (cut on the keyframe at 2 s; GOP 1 s), the last one cut by the unpublish.
      if (i < v.segments.length - 1) assert.ok(Math.abs(d - FRAGMENT) <= 0.1 * FRAGMENT, `video-${s.number}: ${d} s`);
      else assert.ok(d > 0 && d <= FRAGMENT * 1.1, `last video-${s.number}: ${d} s`);
      if (i > 0) assert.equal(s.t, v.segments[i - 1]!.t + v.segments[i - 1]!.d, `video-${s.number} follows the previous one`);
      // What the MPD says is what the file holds, and it starts on a keyframe.
      const timing = fragmentTiming(readFileSync(join(home('av'), `video-${s.number}.m4s`)));
      assert.equal(timing.earliestPresentationTime, s.t);
      assert.equal(timing.duration, s.d);
      const frames = await segmentFrames(home('av'), 'video', v.init, s.number, scratch);
      assert.equal(frames.key[0], true, `video-${s.number} starts with a keyframe`);
      assert.ok(Math.abs(frames.first - s.t / v.timescale) < 0.1, `video-${s.number} pts ${frames.first} vs t ${s.t / v.timescale}`);
      // The audio segment with the same number covers the same time (within an AAC frame or two).
      const as = a.segments[i]!;
      assert.ok(Math.abs((as.t + as.d) / a.timescale - (s.t + s.d) / v.timescale) < 0.05, `audio-${s.number} ends with video-${s.number}`);
    }

    // Audio only: cut by duration on the first AAC frame past dash_fragment.
    const ma = await closed('a');
    assert.equal(ma.video, null);
    const at = ma.audio!;
    assert.equal(at.segments.length, WINDOW);
    for (const s of at.segments.slice(0, -1)) {
      const d = seconds(at, s.d);
      assert.ok(d >= FRAGMENT && d < FRAGMENT + 0.05, `audio-${s.number}: ${d} s`);
      assert.equal(s.d % 1024, 0, 'whole AAC frames');
    }
    assert.deepEqual(filesIn(home('a')), [at.init, ...[at.startNumber - 1, ...at.segments.map((s) => s.number)].map((k) => `audio-${k}.m4s`)].sort());
  });

  test('republish: a second Period, numbers keep rising; ffmpeg follows the live Period', async () => {
    const url = `rtmp://127.0.0.1:${server.ports.rtmp}/live/rp`;
    let pub = ffmpegPublish(url, 'h264-aac', 25);
    const first = await pollUntil('first publish segments', () => {
      const m = readMpd(mpdPath('rp'));
      return m?.video && m.video.segments.length >= 2 ? m : null;
    }, 30_000, 200);
    await pub.stop();
    await server.waitForLog(/dash: end of period \d+: unpublish/, 15_000);
    const lastNumber = first.video!.segments[first.video!.segments.length - 1]!.number;

    pub = ffmpegPublish(url, 'h264-aac', 25);
    try {
      const m = await pollUntil('second Period', () => {
        const info = readMpd(mpdPath('rp'));
        return info && info.periods === 2 && info.video && info.video.segments.length >= 2 ? info : null;
      }, 30_000, 200);
      assert.ok(m.video!.startNumber > lastNumber, `numbers keep rising: ${m.video!.startNumber} > ${lastNumber}`);
      assert.match(m.text, /<Period id="1" start="PT\d+\.\d{3}S">/);
      const r = await decodeMpd(mpdPath('rp'), 3);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.trim(), '');
    } finally {
      await pub.stop();
    }
  });

  test('dash_dispose: the MPD and segments are deleted N s after the publisher left', async () => {
    const pub = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/d?vhost=dispose.test`, 'h264-aac', 25);
    const mpd = join(disposeDir, 'live', 'd.mpd');
    try {
      await pollUntil('dispose.test MPD', () => (readMpd(mpd)?.video?.segments.length ?? 0) >= 2, 30_000, 200);
    } finally {
      await pub.stop();
    }
    await server.waitForLog(/dash cycle to dispose dash dispose\.test\/live\/d, timeout=1000ms/, 15_000);
    await pollUntil('files deleted', () => readMpd(mpd) === null && filesIn(join(disposeDir, 'live', 'd')).length === 0, 10_000);
  });
});
