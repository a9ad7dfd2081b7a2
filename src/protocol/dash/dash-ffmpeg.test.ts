// The segmenter's output against ffmpeg's DASH demuxer: an H.264 + AAC FLV made by ffmpeg goes through
// the segmenter, the operations are applied to a temp dir, and ffprobe/ffmpeg read the MPD (with a
// resolution change mid-stream: ffmpeg follows the last Period). Skipped where ffmpeg is not installed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { demuxFlv } from '../../kernel/format/flv.js';
import { audioFrameFromFlv, videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { DashSegmenter, type DashOp } from './dash-segmenter.js';
import { dashOptions, timelineOf } from './dash-test-helpers.js';
import { fragmentTiming } from './fragment-timing.js';

const FFMPEG = '/usr/bin/ffmpeg';
const FFPROBE = '/usr/bin/ffprobe';
const skip = existsSync(FFMPEG) && existsSync(FFPROBE) ? false : 'ffmpeg/ffprobe not installed';
const dir = skip ? '' : mkdtempSync(join(tmpdir(), 'tsrs-dash-'));
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(bin: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(bin, args, { maxBuffer: 64 << 20, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** `seconds` of size×25 fps H.264 (GOP 25, B-frames) + 44.1 kHz AAC as FLV frames, timestamps from `fromMs`. */
function ffmpegFrames(size: string, seconds: number, fromMs = 0): MediaFrame[] {
  const flv = join(dir, `in-${size}.flv`);
  const r = run(FFMPEG, [
    '-hide_banner', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-ar', '44100', '-b:a', '64k', '-f', 'flv', flv,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const frames: MediaFrame[] = [];
  for (const tag of demuxFlv(readFileSync(flv)).tags) {
    const f = tag.type === 9 ? videoFrameFromFlv(tag.body, tag.timestamp + fromMs) : tag.type === 8 ? audioFrameFromFlv(tag.body, tag.timestamp + fromMs) : null;
    if (f) frames.push(f);
  }
  return frames;
}

function apply(ops: DashOp[]): void {
  for (const op of ops) {
    if (op.type === 'write') {
      mkdirSync(dirname(op.path), { recursive: true });
      writeFileSync(`${op.path}.tmp`, op.data);
      renameSync(`${op.path}.tmp`, op.path);
    } else if (op.type === 'delete') {
      try {
        unlinkSync(op.path);
      } catch {
        // already gone
      }
    }
  }
}

describe('DASH output read by ffmpeg', { skip }, () => {
  test('ffprobe and ffmpeg read the live MPD and decode without errors; segments are what the MPD says', () => {
    const seg = new DashSegmenter();
    const root = join(dir, 'html');
    apply(seg.publish(dashOptions({ dashPath: root, fragmentMs: 2000, windowSize: 3 }), 0));
    const t0 = Date.UTC(2024, 0, 1);
    for (const f of ffmpegFrames('320x240', 10)) apply(seg.offer(f, t0 + f.dts));
    apply(seg.unpublish(t0 + 10_000));
    const mpdPath = join(root, 'live', 'cam1.mpd');
    const mpd = readFileSync(mpdPath, 'utf8');
    // Window of 3 out of 5 segments: the oldest was deleted, the next one is kept one segment longer.
    const v = timelineOf(mpd, 'video')!;
    assert.equal(v.startNumber, 2);
    assert.equal(v.segments.length, 3);
    assert.ok(!existsSync(join(root, 'live', 'cam1', 'video-0.m4s')));
    assert.ok(existsSync(join(root, 'live', 'cam1', 'video-1.m4s')));
    for (const [i, s] of v.segments.entries()) {
      const timing = fragmentTiming(readFileSync(join(root, 'live', 'cam1', `video-${v.startNumber + i}.m4s`)));
      assert.equal(timing.earliestPresentationTime, s.t);
      // x264 with B-frames: the IDR is presented two frames after its decode time.
      assert.equal(timing.earliestPresentationTime - timing.baseMediaDecodeTime, 2 * 3600);
      assert.ok(timing.firstSampleSync);
    }

    const probe = run(FFPROBE, ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height', '-of', 'json', mpdPath]);
    assert.equal(probe.status, 0, probe.stderr);
    const streams = (JSON.parse(probe.stdout) as { streams: Array<{ codec_type: string; codec_name: string; width?: number }> }).streams;
    assert.deepEqual(streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), ['audio:aac', 'video:h264']);
    assert.equal(streams.find((s) => s.codec_type === 'video')!.width, 320);

    // A live MPD never ends for ffmpeg: read 5 s of the 6 listed.
    const dec = run(FFMPEG, ['-hide_banner', '-v', 'error', '-i', mpdPath, '-t', '5', '-f', 'null', '-']);
    assert.equal(dec.status, 0, dec.stderr);
    assert.equal(dec.stderr.trim(), '');

    // Each segment also decodes on its own after its init segment (what a player seeking there does).
    const home = join(root, 'live', 'cam1');
    for (const kind of ['video', 'audio']) {
      const n: number = v.startNumber + 1;
      const joined = join(dir, `${kind}-${n}.mp4`);
      writeFileSync(joined, Buffer.concat([readFileSync(join(home, `${kind}-init.mp4`)), readFileSync(join(home, `${kind}-${n}.m4s`))]));
      const one = run(FFMPEG, ['-hide_banner', '-v', 'error', '-i', joined, '-f', 'null', '-']);
      assert.equal(one.stderr.trim(), '', `${kind}-${n}`);
    }
  });

  test('a resolution change mid-stream: a second Period, which ffmpeg follows', () => {
    const seg = new DashSegmenter();
    const root = join(dir, 'html2');
    apply(seg.publish(dashOptions({ dashPath: root, fragmentMs: 2000, windowSize: 10 }), 0));
    const frames = [...ffmpegFrames('320x240', 4), ...ffmpegFrames('640x360', 6, 4040)];
    for (const f of frames) apply(seg.offer(f, f.dts));
    apply(seg.unpublish(10_000));
    const mpdPath = join(root, 'live', 'cam1.mpd');
    const mpd = readFileSync(mpdPath, 'utf8');
    assert.equal(mpd.match(/<Period /g)?.length, 2);
    assert.equal(timelineOf(mpd, 'video', '1')!.init, 'video-init-1.mp4');
    const probe = run(FFPROBE, ['-v', 'error', '-select_streams', 'v', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', mpdPath]);
    assert.equal(probe.stdout.trim().split('\n')[0], '640,360', probe.stderr);
    const dec = run(FFMPEG, ['-hide_banner', '-v', 'error', '-i', mpdPath, '-t', '4', '-f', 'null', '-']);
    assert.equal(dec.stderr.trim(), '');
  });
});
