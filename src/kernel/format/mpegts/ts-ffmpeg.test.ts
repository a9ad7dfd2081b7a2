// End-to-end checks against the reference implementation: FLV made by ffmpeg → TsMuxer → ffprobe/ffmpeg,
// and TS made by ffmpeg → TsDemuxer → TsMuxer → ffprobe/ffmpeg. Skipped where ffmpeg is not installed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type MediaFrame, audioFrameFromFlv, retimed, videoFrameFromFlv } from '../../media-frame.js';
import { TsDemuxer } from './ts-demuxer.js';
import { TsMuxer, type TsMuxerOptions } from './ts-muxer.js';

const FFMPEG = '/usr/bin/ffmpeg';
const FFPROBE = '/usr/bin/ffprobe';
const skip = existsSync(FFMPEG) && existsSync(FFPROBE) ? false : 'ffmpeg/ffprobe not installed';
const dir = skip ? '' : mkdtempSync(join(tmpdir(), 'tsrs-mpegts-'));
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function ffmpeg(args: string[]): Buffer {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-v', 'error', ...args], { maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout;
}

/** Minimal FLV reader (FLV spec §E.2-E.4): header, then tags with their previous-tag-size trailers. */
function readFlv(flv: Buffer): MediaFrame[] {
  assert.equal(flv.toString('latin1', 0, 3), 'FLV');
  const frames: MediaFrame[] = [];
  let p = flv.readUInt32BE(5) + 4; // DataOffset, then PreviousTagSize0
  while (p + 11 <= flv.length) {
    const type = flv[p]! & 0x1f;
    const size = flv.readUIntBE(p + 1, 3);
    const ts = (flv[p + 7]! << 24) | flv.readUIntBE(p + 4, 3);
    const body = flv.subarray(p + 11, p + 11 + size);
    const f = type === 8 ? audioFrameFromFlv(body, ts) : type === 9 ? videoFrameFromFlv(body, ts) : null;
    if (f) frames.push(f);
    p += 11 + size + 4;
  }
  return frames;
}

function mux(frames: MediaFrame[], opts?: TsMuxerOptions): Buffer {
  const m = new TsMuxer(opts);
  const out: Buffer[] = [];
  for (const f of frames) m.muxInto(f, out);
  return Buffer.concat(out);
}

function demux(ts: Buffer): MediaFrame[] {
  const d = new TsDemuxer();
  const frames: MediaFrame[] = [];
  for (let off = 0; off < ts.length; off += 1316) frames.push(...d.push(ts.subarray(off, off + 1316))); // 7 packets, as over UDP
  frames.push(...d.flush());
  return frames;
}

interface ProbePacket {
  codec_type: string;
  stream_index: number;
  dts: number;
  flags: string;
}

/** ffprobe the TS: no error output; returns codec names by type and packets. */
function probe(ts: Buffer, name: string): { codecs: Record<string, string>; packets: ProbePacket[] } {
  const path = join(dir, name);
  writeFileSync(path, ts);
  const r = spawnSync(FFPROBE, ['-v', 'error', '-show_streams', '-show_packets', '-of', 'json', path], { maxBuffer: 256 << 20 });
  assert.equal(r.status, 0);
  assert.equal(r.stderr.toString(), '', 'ffprobe reported errors');
  const json = JSON.parse(r.stdout.toString()) as {
    streams: Array<{ codec_type: string; codec_name: string }>;
    packets: ProbePacket[];
  };
  const codecs: Record<string, string> = {};
  for (const s of json.streams) codecs[s.codec_type] = s.codec_name;
  // ffmpeg decodes the whole file without complaint.
  const dec = spawnSync(FFMPEG, ['-hide_banner', '-v', 'error', '-i', path, '-f', 'null', '-'], { maxBuffer: 64 << 20 });
  assert.equal(dec.status, 0);
  assert.equal(dec.stderr.toString(), '', 'ffmpeg decode reported errors');
  return { codecs, packets: json.packets.map((p) => ({ ...p, dts: Number(p.dts) })) };
}

function assertMonotonicDts(packets: ProbePacket[]): void {
  const last = new Map<number, number>();
  for (const p of packets) {
    assert.ok(Number.isFinite(p.dts), 'every packet has a DTS');
    const prev = last.get(p.stream_index);
    if (prev !== undefined) assert.ok(p.dts > prev, `stream ${p.stream_index}: dts ${p.dts} after ${prev}`);
    last.set(p.stream_index, p.dts);
  }
}

/** Pictures or audio frames: no sequence headers, no AVC end-of-sequence tags. */
const media = (frames: MediaFrame[], kind: 'video' | 'audio'): MediaFrame[] =>
  frames.filter((f) => f.kind === kind && !f.sequenceHeader && !(kind === 'video' && f.payload[1] === 2));
const count = (frames: MediaFrame[], kind: 'video' | 'audio'): number => media(frames, kind).length;

function summary(frames: MediaFrame[], kind: 'video' | 'audio'): string[] {
  return frames
    .filter((f) => f.kind === kind && !(kind === 'video' && f.payload[1] === 2))
    .map((f) => `${f.dts}/${f.pts}/${f.keyframe}/${f.sequenceHeader}/${f.payload.toString('base64')}`);
}

const LAVFI_AV = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', '2'];

test('FLV from ffmpeg (H.264 + AAC) → TsMuxer: ffprobe finds both streams, DTS rise, ffmpeg decodes cleanly', { skip }, () => {
  const flv = ffmpeg([...LAVFI_AV, '-c:v', 'libx264', '-g', '25', '-c:a', 'aac', '-f', 'flv', 'pipe:1']);
  const frames = readFlv(flv);
  assert.equal(count(frames, 'video'), 50);
  const ts = mux(frames);
  assert.equal(ts.length % 188, 0);
  const { codecs, packets } = probe(ts, 'h264-aac.ts');
  assert.deepEqual(codecs, { audio: 'aac', video: 'h264' });
  assertMonotonicDts(packets);
  const video = packets.filter((p) => p.codec_type === 'video');
  assert.equal(video.length, 50);
  assert.equal(packets.filter((p) => p.codec_type === 'audio').length, count(frames, 'audio'));
  assert.deepEqual(
    video.flatMap((p, i) => (p.flags.startsWith('K') ? [i] : [])),
    [0, 25],
  );

  // And back: TsDemuxer gives the FLV frames ffmpeg wrote, byte for byte.
  const back = demux(ts);
  assert.deepEqual(summary(back, 'video'), summary(frames, 'video'));
  assert.deepEqual(summary(media(back, 'audio'), 'audio'), summary(media(frames, 'audio'), 'audio'));
  // ADTS carries only object type, rate and channels: the synthesized AudioSpecificConfig is the first
  // 2 bytes of ffmpeg's (which adds an SBR sync extension), sent with the first frame.
  const [ascOut, ascIn] = [back, frames].map((fs) => fs.find((f) => f.kind === 'audio' && f.sequenceHeader)!);
  assert.deepEqual(ascOut!.payload, ascIn!.payload.subarray(0, 4));
  assert.equal(ascOut!.dts, media(frames, 'audio')[0]!.dts);
});

test('timestamps crossing 2^33 (~26.5 h): ffprobe still sees rising DTS and ffmpeg decodes', { skip }, () => {
  const flv = ffmpeg([...LAVFI_AV, '-c:v', 'libx264', '-g', '25', '-c:a', 'aac', '-f', 'flv', 'pipe:1']);
  const base = Math.floor(2 ** 33 / 90) - 1000; // wraps 1 s in
  const frames = readFlv(flv).map((f) => retimed(f, f.dts + base));
  const ts = mux(frames);
  const { packets } = probe(ts, 'wrap.ts');
  assertMonotonicDts(packets);
  // No 2^33 jump: ffmpeg unwraps (it shifts the frames before the wrap below zero), 2 s of media span 2 s.
  const dts = packets.map((p) => p.dts);
  assert.ok(Math.max(...dts) - Math.min(...dts) < 3 * 90000);
  const back = demux(ts);
  assert.deepEqual(summary(back, 'video'), summary(frames, 'video'));
});

test('TS from ffmpeg (H.265 + AAC) → TsDemuxer → TsMuxer → ffprobe/ffmpeg', { skip }, () => {
  const src = ffmpeg([
    ...LAVFI_AV,
    '-pix_fmt', 'yuv420p', '-c:v', 'libx265', '-x265-params', 'log-level=none:keyint=25', '-c:a', 'aac', '-f', 'mpegts', 'pipe:1',
  ]);
  const frames = demux(src);
  const v = frames.filter((f) => f.kind === 'video');
  assert.equal(v[0]!.sequenceHeader, true);
  assert.equal(v[0]!.codec, 'h265');
  assert.equal(v.filter((f) => f.sequenceHeader).length, 1);
  assert.equal(count(frames, 'video'), 50);
  assert.equal(v.filter((f) => f.keyframe && !f.sequenceHeader).length, 2);
  const a = frames.filter((f) => f.kind === 'audio');
  assert.equal(a[0]!.sequenceHeader, true);
  assert.deepEqual(a[0]!.payload, Buffer.from([0xaf, 0x00, 0x12, 0x08])); // LC, 44.1 kHz, mono
  const { codecs, packets } = probe(mux(frames, { videoCodec: 'h265' }), 'hevc-aac.ts');
  assert.deepEqual(codecs, { audio: 'aac', video: 'hevc' });
  assertMonotonicDts(packets);
  assert.equal(packets.filter((p) => p.codec_type === 'video').length, 50);
  assert.equal(packets.filter((p) => p.codec_type === 'audio').length, count(frames, 'audio'));
});

test('TS from ffmpeg (H.264 + MP3) → TsDemuxer → TsMuxer → ffprobe/ffmpeg', { skip }, () => {
  const src = ffmpeg([...LAVFI_AV, '-c:v', 'libx264', '-g', '25', '-c:a', 'libmp3lame', '-f', 'mpegts', 'pipe:1']);
  const frames = demux(src);
  assert.equal(count(frames, 'video'), 50);
  assert.ok(count(frames, 'audio') > 0);
  assert.ok(frames.filter((f) => f.kind === 'audio').every((f) => f.codec === 'mp3'));
  const { codecs, packets } = probe(mux(frames, { audioCodec: 'mp3' }), 'h264-mp3.ts');
  assert.deepEqual(codecs, { audio: 'mp3', video: 'h264' });
  assertMonotonicDts(packets);
});

test('audio-only FLV (AAC) with videoCodec none: one stream, PCR on audio, clean decode', { skip }, () => {
  const flv = ffmpeg(['-f', 'lavfi', '-i', 'sine', '-t', '2', '-c:a', 'aac', '-f', 'flv', 'pipe:1']);
  const frames = readFlv(flv);
  const { codecs, packets } = probe(mux(frames, { videoCodec: 'none' }), 'aac-only.ts');
  assert.deepEqual(codecs, { audio: 'aac' });
  assertMonotonicDts(packets);
  assert.equal(packets.length, count(frames, 'audio'));
});
