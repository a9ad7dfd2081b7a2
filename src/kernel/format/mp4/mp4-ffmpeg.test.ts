// Round trips against the reference implementation: FLV made by ffmpeg (or the checked-in fixtures) →
// MediaFrames → Mp4FileWriter / initSegment + FragmentBuilder → ffprobe and ffmpeg, which must read,
// decode and seek the result without a single error line, with the source's sizes, durations and
// presentation times. Skipped where ffmpeg is not installed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readFixture } from '../../../../test/fixtures/index.js';
import { type MediaFrame, audioFrameFromFlv, videoFrameFromFlv } from '../../media-frame.js';
import { demuxFlv, parseFlvVideoTagHeader } from '../flv.js';
import { FragmentBuilder, initSegment } from './fmp4.js';
import { Mp4FileWriter } from './mp4-file.js';
import { aacBody, mustFind, parseBoxes, readMp4 } from './mp4-test-helpers.js';
import { type TrackInfo, trackFromSequenceHeader } from './track.js';

const FFMPEG = '/usr/bin/ffmpeg';
const FFPROBE = '/usr/bin/ffprobe';
const skip = existsSync(FFMPEG) && existsSync(FFPROBE) ? false : 'ffmpeg/ffprobe not installed';
const dir = skip ? '' : mkdtempSync(join(tmpdir(), 'tsrs-mp4-'));
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(bin: string, args: string[]): { stdout: Buffer; stderr: string } {
  const r = spawnSync(bin, args, { maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, `${bin} ${args.join(' ')}: ${r.stderr.toString()}`);
  return { stdout: r.stdout, stderr: r.stderr.toString() };
}

/** The FLV the brief names: 3 s of 320x240 25 fps H.264 with B-frames (GOP 25) and AAC. */
let testFlvCache: Buffer | undefined;
function testFlv(): Buffer {
  testFlvCache ??= run(FFMPEG, [
    '-hide_banner', '-v', 'error',
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine',
    '-t', '3', '-c:v', 'libx264', '-g', '25', '-bf', '2', '-c:a', 'aac', '-f', 'flv', 'pipe:1',
  ]).stdout;
  return testFlvCache;
}

function framesOf(flv: Buffer): MediaFrame[] {
  const frames: MediaFrame[] = [];
  for (const tag of demuxFlv(flv).tags) {
    const f = tag.type === 9 ? videoFrameFromFlv(tag.body, tag.timestamp) : tag.type === 8 ? audioFrameFromFlv(tag.body, tag.timestamp) : null;
    if (f !== null) frames.push(f);
  }
  return frames;
}

function writeMp4(frames: MediaFrame[]): Buffer {
  const w = new Mp4FileWriter();
  const parts = [w.start()];
  for (const f of frames) parts.push(w.add(f));
  const { tail, patches } = w.finish();
  parts.push(tail);
  const file = Buffer.concat(parts);
  for (const p of patches) p.bytes.copy(file, p.offset);
  return file;
}

/** init segment + one fragment per GOP (cut before each keyframe), as a DASH/HLS packager would. */
function writeFragmented(frames: MediaFrame[], kinds: Array<'video' | 'audio'> = ['video', 'audio']): Buffer {
  const tracks: TrackInfo[] = [];
  for (const kind of kinds) {
    const sh = frames.find((f) => f.kind === kind && (f.sequenceHeader || f.codec === 'mp3'));
    const t = sh === undefined ? null : trackFromSequenceHeader(sh);
    if (t !== null) tracks.push(t);
  }
  const builder = new FragmentBuilder(tracks);
  const parts = [initSegment(tracks)];
  const hasVideo = tracks.some((t) => t.kind === 'video');
  let audioInFragment = 0;
  for (const f of frames) {
    const cut = hasVideo ? f.kind === 'video' && f.keyframe && !f.sequenceHeader : f.kind === 'audio' && audioInFragment === 50;
    if (cut) {
      const frag = builder.flush({ styp: true, nextDtsMs: f.dts });
      if (frag !== null) parts.push(frag);
      audioInFragment = 0;
    }
    builder.add(f);
    if (f.kind === 'audio') audioInFragment++;
  }
  const last = builder.flush({ styp: true });
  if (last !== null) parts.push(last);
  return Buffer.concat(parts);
}

interface Probe {
  format: { duration: string; format_name: string };
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string; channels?: number; nb_frames?: string; duration?: string }>;
}

let fileCounter = 0;
function save(bytes: Buffer, ext = 'mp4'): string {
  const path = join(dir, `out-${fileCounter++}.${ext}`);
  writeFileSync(path, bytes);
  return path;
}

/** ffprobe with no error output; the streams by type. */
function probe(path: string): Probe {
  const r = run(FFPROBE, ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path]);
  assert.equal(r.stderr, '', `ffprobe complained about ${path}`);
  return JSON.parse(r.stdout.toString()) as Probe;
}

function stream(p: Probe, type: string) {
  const s = p.streams.find((x) => x.codec_type === type);
  assert.ok(s, `no ${type} stream`);
  return s;
}

/** ffmpeg decodes the whole file (or from -ss) without a single error line. */
function decodeClean(path: string, before: string[] = [], after: string[] = []): void {
  const r = run(FFMPEG, ['-hide_banner', '-v', 'error', ...before, '-i', path, ...after, '-f', 'null', '-']);
  assert.equal(r.stderr, '', `ffmpeg decode errors for ${path}`);
}

/** Presentation times (s) of decoded video frames, in output order. */
function decodedVideoPts(path: string): number[] {
  const r = run(FFPROBE, ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=pts_time', '-of', 'json', path]);
  assert.equal(r.stderr, '');
  const json = JSON.parse(r.stdout.toString()) as { frames: Array<{ pts_time: string }> };
  return json.frames.map((f) => Number(f.pts_time));
}

/** Packet count of a stream type (counted by ffprobe, reading every packet). */
function packetCount(path: string, type: 'v' | 'a'): number {
  const r = run(FFPROBE, ['-v', 'error', '-select_streams', type, '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', path]);
  return Number(r.stdout.toString().trim());
}

/** Video frames carrying a picture (not sequence headers or end-of-sequence tags). */
function isPicture(f: MediaFrame): boolean {
  if (f.kind !== 'video' || f.sequenceHeader) return false;
  const t = parseFlvVideoTagHeader(f.payload).packetType;
  return t === 1 || t === 3;
}

function sourceVideoPtsMs(frames: MediaFrame[]): number[] {
  return frames.filter(isPicture).map((f) => f.pts).sort((a, b) => a - b);
}

function assertPtsMatch(decoded: number[], expectedMs: number[]): void {
  assert.equal(decoded.length, expectedMs.length, 'decoded frame count');
  for (let i = 0; i < decoded.length; i++) {
    if (i > 0) assert.ok(decoded[i]! > decoded[i - 1]!, `pts not increasing at frame ${i}: ${decoded[i - 1]} then ${decoded[i]}`);
    assert.ok(Math.abs(decoded[i]! * 1000 - expectedMs[i]!) < 1, `frame ${i}: pts ${decoded[i]} s, source ${expectedMs[i]} ms`);
  }
}

describe('Mp4FileWriter → ffprobe/ffmpeg', { skip }, () => {
  test('H.264 (B-frames) + AAC: streams, duration, clean decode, seeking, presentation times', () => {
    const frames = framesOf(testFlv());
    const path = save(writeMp4(frames));
    const p = probe(path);
    const v = stream(p, 'video');
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 320);
    assert.equal(v.height, 240);
    assert.equal(stream(p, 'audio').codec_name, 'aac');
    assert.ok(Math.abs(Number(p.format.duration) - 3.0) <= 0.1, `duration ${p.format.duration}`);
    decodeClean(path);
    decodeClean(path, ['-ss', '2'], ['-frames:v', '1']);
    decodeClean(path, ['-ss', '1.5']);
    assert.equal(packetCount(path, 'v'), 75);
    assert.equal(packetCount(path, 'a'), frames.filter((f) => f.kind === 'audio' && !f.sequenceHeader).length);
    // The first video dts is 0 here, so the file keeps the source's times.
    assertPtsMatch(decodedVideoPts(path), sourceVideoPtsMs(frames));
  });

  test('audio-only and video-only files', () => {
    const frames = framesOf(testFlv());
    const audioPath = save(writeMp4(frames.filter((f) => f.kind === 'audio')));
    const pa = probe(audioPath);
    assert.deepEqual(pa.streams.map((s) => s.codec_name), ['aac']);
    assert.ok(Math.abs(Number(pa.format.duration) - 3.0) <= 0.1, `audio duration ${pa.format.duration}`);
    decodeClean(audioPath);
    decodeClean(audioPath, ['-ss', '2']);

    const videoPath = save(writeMp4(frames.filter((f) => f.kind === 'video')));
    const pv = probe(videoPath);
    assert.deepEqual(pv.streams.map((s) => s.codec_name), ['h264']);
    assert.ok(Math.abs(Number(pv.format.duration) - 3.0) <= 0.1, `video duration ${pv.format.duration}`);
    decodeClean(videoPath);
    decodeClean(videoPath, ['-ss', '2'], ['-frames:v', '1']);
    assertPtsMatch(decodedVideoPts(videoPath), sourceVideoPtsMs(frames));
  });

  test('the h264-aac.flv fixture (cropped 320x180, 48 kHz AAC whose FLV header says 44.1 kHz)', () => {
    const frames = framesOf(readFixture('h264-aac.flv'));
    const path = save(writeMp4(frames));
    const p = probe(path);
    const v = stream(p, 'video');
    assert.equal(v.width, 320);
    assert.equal(v.height, 180);
    const a = stream(p, 'audio');
    assert.equal(a.sample_rate, '48000');
    assert.equal(a.channels, 2);
    assert.ok(Math.abs(Number(p.format.duration) - 1.0) <= 0.1, `duration ${p.format.duration}`);
    decodeClean(path);
  });

  test('MP3 audio (no sequence header: the first frame describes the track)', () => {
    const frames = framesOf(readFixture('mp3.flv'));
    const path = save(writeMp4(frames));
    const p = probe(path);
    const a = stream(p, 'audio');
    assert.equal(a.codec_name, 'mp3');
    assert.equal(a.sample_rate, '44100');
    assert.equal(a.channels, 1);
    assert.ok(Math.abs(Number(p.format.duration) - 1.0) <= 0.1, `duration ${p.format.duration}`);
    decodeClean(path);
  });

  test('a stream joined mid-GOP starts at the next keyframe, and the timeline starts at 0', () => {
    const all = framesOf(testFlv());
    const headers = all.filter((f) => f.sequenceHeader);
    const firstKey = all.findIndex((f) => f.kind === 'video' && f.keyframe && !f.sequenceHeader && f.dts >= 1000);
    const joined = all.slice(firstKey - 7); // a few video and audio frames before the keyframe
    const path = save(writeMp4([...headers, ...joined]));
    const p = probe(path);
    // Audio before the keyframe is kept (it decodes on its own), so the file starts at the first audio
    // frame and the video track starts later (an empty edit keeps them in sync).
    const key = all[firstKey]!;
    const firstAudio = joined.find((f) => f.kind === 'audio')!;
    assert.ok(firstAudio.dts < key.dts);
    const lastAudio = all.filter((f) => f.kind === 'audio').pop()!;
    const expected = (lastAudio.dts + 1024 / 44.1 - firstAudio.dts) / 1000;
    assert.ok(Math.abs(Number(p.format.duration) - expected) <= 0.01, `duration ${p.format.duration}, want ${expected}`);
    decodeClean(path);
    const pts = decodedVideoPts(path);
    assert.equal(pts.length, 50);
    assert.ok(Math.abs(pts[0]! * 1000 - (key.pts - firstAudio.dts)) < 1, `first pts ${pts[0]}`);
  });
});

describe('initSegment + FragmentBuilder → ffprobe/ffmpeg', { skip }, () => {
  test('H.264 (B-frames) + AAC in one moof per GOP: clean decode, duration, presentation times', () => {
    const frames = framesOf(testFlv());
    const path = save(writeFragmented(frames));
    const p = probe(path);
    const v = stream(p, 'video');
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 320);
    assert.equal(v.height, 240);
    assert.equal(stream(p, 'audio').codec_name, 'aac');
    decodeClean(path);
    assert.equal(packetCount(path, 'v'), 75);
    assertPtsMatch(decodedVideoPts(path), sourceVideoPtsMs(frames));
    // Duration from the decoded timeline: last video frame + one frame interval ≈ 3 s after the first dts.
    const r = run(FFPROBE, ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=dts_time,duration_time', '-of', 'csv=p=0', path]);
    const packets = r.stdout.toString().trim().split('\n').map((l) => l.split(',').map(Number));
    const end = packets[packets.length - 1]![0]! + packets[packets.length - 1]![1]!;
    assert.ok(Math.abs(end - packets[0]![0]! - 3.0) <= 0.1, `video timeline ${packets[0]![0]}..${end}`);
    decodeClean(path, ['-ss', '2'], ['-frames:v', '1']);
  });

  test('separate video and audio representations (one track each, as DASH serves them)', () => {
    const frames = framesOf(testFlv());
    const videoPath = save(writeFragmented(frames, ['video']));
    const pv = probe(videoPath);
    assert.deepEqual(pv.streams.map((s) => s.codec_name), ['h264']);
    decodeClean(videoPath);
    assertPtsMatch(decodedVideoPts(videoPath), sourceVideoPtsMs(frames));

    const audioPath = save(writeFragmented(frames, ['audio']));
    const pa = probe(audioPath);
    assert.deepEqual(pa.streams.map((s) => s.codec_name), ['aac']);
    decodeClean(audioPath);
    const audioFrames = frames.filter((f) => f.kind === 'audio' && !f.sequenceHeader).length;
    assert.equal(packetCount(audioPath, 'a'), audioFrames);
  });

  test('fragments are contiguous: each tfdt equals the previous fragment end (AAC snapped to 1024)', () => {
    const frames = framesOf(testFlv());
    const file = writeFragmented(frames);
    const boxes = parseBoxes(file);
    const ends = new Map<number, number>();
    for (const moof of boxes.filter((b) => b.type === 'moof')) {
      for (const traf of moof.children.filter((b) => b.type === 'traf')) {
        const id = mustFind(traf.children, 'tfhd').payload.readUInt32BE(4);
        const tfdt = Number(mustFind(traf.children, 'tfdt').payload.readBigUInt64BE(4));
        const trun = mustFind(traf.children, 'trun').payload;
        const n = trun.readUInt32BE(4);
        const stride = id === 1 ? 16 : 12;
        let total = 0;
        for (let i = 0; i < n; i++) total += trun.readUInt32BE(12 + stride * i);
        if (ends.has(id)) assert.equal(tfdt, ends.get(id), `track ${id} fragment starts at ${tfdt}`);
        ends.set(id, tfdt + total);
        if (id === 2) for (let i = 0; i < n; i++) assert.equal(trun.readUInt32BE(12 + stride * i), 1024);
      }
    }
  });
});

describe('H.265 from the h265.mp4 fixture', { skip }, () => {
  /** The fixture's hvcC and samples as FLV bodies (legacy CodecID 12, or Enhanced RTMP "hvc1"). */
  function hevcFrames(enhanced: boolean): MediaFrame[] {
    const mp4 = readFixture('h265.mp4');
    const { tracks } = readMp4(mp4);
    const t = tracks[0]!;
    assert.equal(t.sampleEntry, 'hvc1');
    const hvcc = t.config!;
    const minDts = Math.min(...t.samples.map((s) => s.dts));
    const ms = (ticks: number) => Math.round(((ticks - minDts) * 1000) / t.timescale);
    const frames: MediaFrame[] = [];
    const header = (frameType: number, packetType: number, cts: number): Buffer => {
      if (enhanced) {
        const b = Buffer.alloc(packetType === 1 ? 8 : 5);
        b[0] = 0x80 | (frameType << 4) | packetType;
        b.write('hvc1', 1, 'latin1');
        if (packetType === 1) b.writeIntBE(cts, 5, 3);
        return b;
      }
      const b = Buffer.alloc(5);
      b[0] = (frameType << 4) | 12;
      b[1] = packetType === 0 ? 0 : 1;
      b.writeIntBE(cts, 2, 3);
      return b;
    };
    frames.push(videoFrameFromFlv(Buffer.concat([header(1, 0, 0), hvcc]), 0)!);
    for (const s of t.samples) {
      const dts = ms(s.dts);
      const cts = ms(s.dts + s.cts) - dts;
      const data = mp4.subarray(s.offset, s.offset + s.size);
      frames.push(videoFrameFromFlv(Buffer.concat([header(s.sync ? 1 : 2, 1, cts), data]), dts)!);
    }
    return frames;
  }

  for (const enhanced of [false, true]) {
    test(`${enhanced ? 'Enhanced RTMP' : 'legacy CodecID 12'} bodies → progressive and fragmented MP4`, () => {
      const frames = hevcFrames(enhanced);
      const track = trackFromSequenceHeader(frames[0]!)!;
      assert.equal(track.codec, 'h265');
      assert.equal(track.width, 320);
      assert.equal(track.height, 180);
      const expected = sourceVideoPtsMs(frames);

      const filePath = save(writeMp4(frames));
      const p = probe(filePath);
      const v = stream(p, 'video');
      assert.equal(v.codec_name, 'hevc');
      assert.equal(v.width, 320);
      assert.equal(v.height, 180);
      decodeClean(filePath);
      assertPtsMatch(decodedVideoPts(filePath), expected);

      const fragPath = save(writeFragmented(frames, ['video']));
      assert.equal(stream(probe(fragPath), 'video').codec_name, 'hevc');
      decodeClean(fragPath);
      assertPtsMatch(decodedVideoPts(fragPath), expected);
    });
  }
});

describe('past 4 GiB (sparse file)', { skip }, () => {
  test('co64 offsets and a 64-bit mdat size: ffprobe reads it, video decodes and seeks past 4 GiB', () => {
    // 4 GiB of 1 MiB filler AAC frames (one shared body, never written: the file stays sparse) after the
    // first second, so later samples sit beyond 2^32. Only the video is decoded.
    const frames = framesOf(testFlv());
    const filler = aacBody(1, Buffer.alloc(1 << 20));
    const path = join(dir, 'large.mp4');
    const fd = openSync(path, 'w');
    try {
      const w = new Mp4FileWriter();
      let pos = 0;
      const put = (b: Buffer) => {
        if (b.length > 0 && b.buffer !== filler.buffer) writeSync(fd, b, 0, b.length, pos);
        pos += b.length;
      };
      put(w.start());
      let filled = false;
      for (const f of frames) {
        if (!filled && f.kind === 'audio' && f.dts >= 1000) {
          for (let i = 0; i < 4100; i++) put(w.add(audioFrameFromFlv(filler, f.dts - 1)!));
          filled = true;
        }
        put(w.add(f));
      }
      assert.ok(pos > 2 ** 32);
      const { tail, patches } = w.finish();
      put(tail);
      for (const p of patches) writeSync(fd, p.bytes, 0, p.bytes.length, p.offset);
      assert.ok(findCo64(tail), 'moov uses co64');
    } finally {
      closeSync(fd);
    }
    assert.ok(statSync(path).size > 2 ** 32);
    const p = probe(path);
    const v = stream(p, 'video');
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 320);
    decodeClean(path, [], ['-map', '0:v']);
    decodeClean(path, ['-ss', '2.2'], ['-map', '0:v', '-frames:v', '1']);
    const pts = run(FFPROBE, ['-v', 'error', '-select_streams', 'v', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path]);
    assert.equal(Number(pts.stdout.toString().trim()), 75);
    rmSync(path);
  });

  function findCo64(moov: Buffer): boolean {
    const stack = parseBoxes(moov);
    while (stack.length > 0) {
      const b = stack.pop()!;
      if (b.type === 'co64') return true;
      stack.push(...b.children);
    }
    return false;
  }
});

describe('Opus (packets from an Ogg file made by ffmpeg)', { skip }, () => {
  /** Opus packets of an Ogg stream (RFC 3533 pages, lacing values), without the two header packets. */
  function oggPackets(ogg: Buffer): Buffer[] {
    const packets: Buffer[] = [];
    let pending: Buffer[] = [];
    let p = 0;
    while (p + 27 <= ogg.length) {
      assert.equal(ogg.toString('latin1', p, p + 4), 'OggS');
      const segments = ogg[p + 26]!;
      let data = p + 27 + segments;
      for (let i = 0; i < segments; i++) {
        const lace = ogg[p + 27 + i]!;
        pending.push(ogg.subarray(data, data + lace));
        data += lace;
        if (lace < 255) {
          packets.push(Buffer.concat(pending));
          pending = [];
        }
      }
      p = data;
    }
    return packets.slice(2); // OpusHead, OpusTags
  }

  const have = (): boolean => run(FFMPEG, ['-hide_banner', '-encoders']).stdout.toString().includes('libopus');

  test('Opus sample entry with dOps: progressive and fragmented files decode cleanly', (t) => {
    if (!have()) return t.skip('ffmpeg without libopus');
    const ogg = run(FFMPEG, ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'sine=sample_rate=48000:duration=2', '-ac', '2', '-c:a', 'libopus', '-f', 'ogg', 'pipe:1']).stdout;
    const frames: MediaFrame[] = [];
    let samples = 0;
    for (const packet of oggPackets(ogg)) {
      // SoundFormat 13 (Opus, as SRS 6 and ZLMediaKit carry it): the packet follows the 1-byte header.
      frames.push(audioFrameFromFlv(Buffer.concat([Buffer.from([0xdf]), packet]), Math.round(samples / 48))!);
      samples += 960;
    }
    assert.ok(frames.length >= 100);
    const track = trackFromSequenceHeader(frames[0]!)!;
    assert.deepEqual([track.codec, track.timescale, track.channels], ['opus', 48000, 2]);

    const filePath = save(writeMp4(frames));
    const p = probe(filePath);
    const a = stream(p, 'audio');
    assert.equal(a.codec_name, 'opus');
    assert.equal(a.channels, 2);
    assert.ok(Math.abs(Number(p.format.duration) - 2.0) <= 0.1, `duration ${p.format.duration}`);
    decodeClean(filePath);
    assert.ok(readMp4(readFileSync(filePath)).tracks[0]!.samples.every((s) => s.duration === 960));

    const builder = new FragmentBuilder(track);
    const parts = [initSegment([track])];
    frames.forEach((f, i) => {
      if (i > 0 && i % 50 === 0) parts.push(builder.flush({ styp: true })!);
      builder.add(f);
    });
    parts.push(builder.flush()!);
    const fragPath = save(Buffer.concat(parts));
    assert.equal(stream(probe(fragPath), 'audio').codec_name, 'opus');
    decodeClean(fragPath);
    assert.equal(packetCount(fragPath, 'a'), frames.length);
  });
});
