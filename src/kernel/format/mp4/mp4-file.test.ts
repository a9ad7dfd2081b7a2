import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../../core/errors.js';
import { expectOnlyProtocolErrors, fuzzInputs, readFixture } from '../../../../test/fixtures/index.js';
import { type MediaFrame, audioFrameFromFlv, dataFrame, videoFrameFromFlv } from '../../media-frame.js';
import { demuxFlv, parseFlvVideoTagHeader } from '../flv.js';
import { FragmentBuilder } from './fmp4.js';
import { Mp4FileWriter } from './mp4-file.js';
import { trackFromSequenceHeader } from './track.js';
import { AAC_LC_44100, AVC_RECORD, aacBody, avcc, legacyVideoBody, mustFind, parseBoxes, readFragments, readMp4 } from './mp4-test-helpers.js';

function fixtureFrames(name: string): MediaFrame[] {
  const frames: MediaFrame[] = [];
  for (const tag of demuxFlv(readFixture(name)).tags) {
    const f = tag.type === 9 ? videoFrameFromFlv(tag.body, tag.timestamp) : tag.type === 8 ? audioFrameFromFlv(tag.body, tag.timestamp) : null;
    if (f !== null) frames.push(f);
  }
  return frames;
}

/** Runs a writer over frames and assembles the file in memory as a caller would on disk. */
function writeAll(frames: MediaFrame[], w = new Mp4FileWriter()): { file: Buffer; writer: Mp4FileWriter } {
  const parts = [w.start()];
  for (const f of frames) parts.push(w.add(f));
  const { tail, patches } = w.finish();
  parts.push(tail);
  const file = Buffer.concat(parts);
  for (const p of patches) p.bytes.copy(file, p.offset);
  return { file, writer: w };
}

/** The parts written so far plus the tail, with the patches applied. */
function assemble(parts: Buffer[], w: Mp4FileWriter): Buffer {
  const { tail, patches } = w.finish();
  const file = Buffer.concat([...parts, tail]);
  for (const p of patches) p.bytes.copy(file, p.offset);
  return file;
}

const nalu = (type: number, n: number) => Buffer.concat([Buffer.from([type]), Buffer.alloc(n - 1, type)]);
const avcSh = (record = AVC_RECORD, dts = 0) => videoFrameFromFlv(legacyVideoBody(7, 1, 0, 0, record), dts)!;
const h264 = (dts: number, key: boolean, cts = 0, n = 8) => videoFrameFromFlv(legacyVideoBody(7, key ? 1 : 2, 1, cts, avcc(nalu(key ? 0x65 : 0x41, n))), dts)!;
const aacSh = (asc = AAC_LC_44100) => audioFrameFromFlv(aacBody(0, asc), 0)!;
const aac = (dts: number, n = 6) => audioFrameFromFlv(aacBody(1, Buffer.alloc(n, 0x21)), dts)!;

describe('Mp4FileWriter', () => {
  test('start(): ftyp then an mdat header with size 1 and a 64-bit largesize placeholder', () => {
    const head = new Mp4FileWriter().start();
    assert.equal(head.toString('latin1', 4, 8), 'ftyp');
    assert.equal(head.toString('latin1', 8, 12), 'isom');
    assert.equal(head.toString('hex', head.length - 16), '00000001' + '6d646174' + '0000000000000000');
  });

  test('the fixture round-trips: samples at their offsets, timestamps, sync flags, sizes patched', () => {
    const frames = fixtureFrames('h264-aac.flv');
    const { file, writer } = writeAll(frames);
    const boxes = parseBoxes(file); // sizes (the patched mdat largesize included) tile the whole file
    assert.deepEqual(boxes.map((b) => b.type), ['ftyp', 'mdat', 'moov']);
    assert.equal(boxes[1]!.headerSize, 16);
    const { tracks } = readMp4(file);
    assert.deepEqual(tracks.map((t) => [t.trackId, t.handler, t.sampleEntry, t.timescale]), [
      [1, 'vide', 'avc1', 90000],
      [2, 'soun', 'mp4a', 48000],
    ]);
    const video = frames.filter((f) => f.kind === 'video' && !f.sequenceHeader && parseFlvVideoTagHeader(f.payload).packetType === 1);
    const origin = video[0]!.dts;
    const vt = tracks[0]!;
    assert.equal(vt.samples.length, video.length);
    vt.samples.forEach((s, i) => {
      const f = video[i]!;
      assert.deepEqual(file.subarray(s.offset, s.offset + s.size), f.payload.subarray(5));
      assert.equal(s.dts, (f.dts - origin) * 90);
      assert.equal(s.cts, (f.pts - f.dts) * 90);
      assert.equal(s.sync, f.keyframe);
    });
    const moov = boxes[2]!;
    const videoStbl = mustFind(moov.children, 'trak/mdia/minf/stbl').children.map((b) => b.type);
    assert.deepEqual(videoStbl, ['stsd', 'stts', 'ctts', 'stss', 'stsc', 'stsz', 'stco']);

    const audio = frames.filter((f) => f.kind === 'audio' && !f.sequenceHeader);
    const at = tracks[1]!;
    assert.equal(at.samples.length, audio.length);
    at.samples.forEach((s, i) => {
      assert.deepEqual(file.subarray(s.offset, s.offset + s.size), audio[i]!.payload.subarray(2));
      assert.equal(s.duration, 1024); // 21.33 ms frames with ms timestamps, snapped
      assert.ok(s.sync);
    });
    // Durations: mvhd in ms, mdhd in the media timescale.
    const mvhd = mustFind(moov.children, 'mvhd').payload;
    assert.equal(mvhd.readUInt32BE(16), Math.round(writer.durationMs));
    assert.equal(vt.mdhdDuration, video.length * 3600);
    assert.equal(at.mdhdDuration, audio.length * 1024);
    assert.equal(writer.fileSize, boxes[2]!.start);
    assert.equal(writer.codecChanged, false);
  });

  test('a track that starts later gets an empty edit; B-frames start the media edit at their first pts', () => {
    // I (pts 120) P (pts 200) B (pts 160), decoded from 40 ms on; audio from 0.
    const frames = [aacSh(), avcSh(), aac(0), aac(23), h264(40, true, 80), aac(46), h264(80, false, 120), aac(70), h264(120, false, 40)];
    const { file } = writeAll(frames);
    const { tracks } = readMp4(file);
    const video = tracks.find((t) => t.handler === 'vide')!;
    const audio = tracks.find((t) => t.handler === 'soun')!;
    assert.deepEqual(audio.edits, []);
    // Video media starts 40 ms after the audio; its first picture is 80 ms (7200 ticks) into its media:
    // nothing for 120 ms, then media from 7200 for the 120 ms its pictures span.
    assert.deepEqual(video.edits, [
      [120, -1],
      [120, 7200],
    ]);
    assert.equal(video.tkhdDuration, 240);
  });

  test('frames before their sequence header, video before the first keyframe, and data are dropped', () => {
    const w = new Mp4FileWriter();
    const parts = [w.start()];
    const add = (f: MediaFrame) => {
      const b = w.add(f);
      parts.push(b);
      return b.length;
    };
    assert.equal(add(h264(0, true)), 0);
    assert.equal(add(aac(0)), 0);
    assert.equal(add(dataFrame(Buffer.from([2]), 0)), 0);
    assert.equal(add(avcSh()), 0);
    assert.equal(add(h264(40, false)), 0);
    assert.equal(add(h264(80, true)), 12);
    assert.equal(add(h264(120, false)), 12);
    assert.equal(w.durationMs, 80);
    const { tracks } = readMp4(assemble(parts, w));
    assert.equal(tracks.length, 1);
    assert.deepEqual(tracks[0]!.samples.map((s) => [s.dts, s.sync]), [
      [0, true],
      [3600, false],
    ]);
  });

  test('codec changes: identical headers are fine; a new config or codec sets codecChanged and keeps the first', () => {
    const w = new Mp4FileWriter();
    w.add(avcSh());
    w.add(h264(0, true));
    w.add(avcSh(Buffer.from(AVC_RECORD))); // same bytes again (publishers repeat it)
    assert.equal(w.codecChanged, false);
    const other = Buffer.from(AVC_RECORD);
    other[3] = 0x1f; // another level
    w.add(avcSh(other, 40));
    assert.equal(w.codecChanged, true);
    assert.equal(w.add(h264(40, true)).length, 12, 'same-codec frames keep coming');
    const hevc = videoFrameFromFlv(legacyVideoBody(12, 1, 1, 0, avcc(nalu(0x26, 8))), 80)!;
    assert.equal(w.add(hevc).length, 0, 'another codec is dropped');
    const { tail } = w.finish();
    const avcC = mustFind(parseBoxes(tail), 'moov/trak/mdia/minf/stbl/stsd').children[0]!.children[0]!;
    assert.deepEqual(avcC.payload, AVC_RECORD);

    const a = new Mp4FileWriter();
    a.add(aacSh());
    a.add(aacSh(Buffer.from([0x11, 0x90]))); // 48 kHz
    assert.equal(a.codecChanged, true);
    const m = new Mp4FileWriter();
    const mp3 = fixtureFrames('mp3.flv');
    m.add(mp3[0]!);
    assert.equal(m.codecChanged, false);
    const other44 = Buffer.from(mp3[1]!.payload);
    other44[3] = (other44[3]! & 0xf3) | 0x04; // sampling_frequency index 1: 48 kHz
    m.add(audioFrameFromFlv(other44, 30)!);
    assert.equal(m.codecChanged, true);
  });

  test('finish() twice returns the same tail; add() after finish() is a caller bug', () => {
    const w = new Mp4FileWriter();
    w.add(aacSh());
    w.add(aac(0));
    const a = w.finish();
    assert.equal(w.finish(), a);
    assert.throws(() => w.add(aac(23)), /after finish/);
  });

  test('an empty recording still finishes: a moov with only mvhd and an mdat of 16 bytes', () => {
    const w = new Mp4FileWriter();
    const { tail, patches } = w.finish();
    assert.deepEqual(parseBoxes(tail)[0]!.children.map((b) => b.type), ['mvhd']);
    assert.equal(patches.length, 1);
    assert.equal(patches[0]!.offset, w.start().length - 8);
    assert.equal(patches[0]!.bytes.toString('hex'), '0000000000000010');
    assert.equal(w.durationMs, 0);
  });

  test('past 4 GiB: co64 chunk offsets and a 64-bit mdat size', () => {
    // One shared 1 MiB body: add() returns views of it, so nothing near 4 GiB is ever allocated.
    const body = legacyVideoBody(7, 1, 1, 0, avcc(Buffer.alloc((1 << 20) - 4, 0x65)));
    const w = new Mp4FileWriter();
    w.add(avcSh());
    w.add(aacSh());
    let total = 0;
    const chunks = 4100;
    for (let i = 0; i < chunks; i++) total += w.add(videoFrameFromFlv(body, i * 40)!).length;
    total += w.add(aac(chunks * 40)).length;
    total += w.add(videoFrameFromFlv(body, chunks * 40)!).length;
    assert.ok(total > 2 ** 32);
    const head = w.start().length;
    assert.equal(w.fileSize, head + total);
    const { tail, patches } = w.finish();
    const moov = parseBoxes(tail)[0]!;
    const stbls = moov.children.filter((b) => b.type === 'trak').map((t) => mustFind(t.children, 'mdia/minf/stbl'));
    const co64 = mustFind(stbls[0]!.children, 'co64').payload;
    assert.equal(co64.readUInt32BE(4), 2); // video chunks: before and after the audio frame
    assert.equal(Number(co64.readBigUInt64BE(8)), head);
    assert.equal(Number(co64.readBigUInt64BE(16)), head + chunks * body.subarray(5).length + 6);
    const audioOffsets = mustFind(stbls[1]!.children, 'co64').payload;
    assert.equal(Number(audioOffsets.readBigUInt64BE(8)), head + chunks * body.subarray(5).length);
    const stsc = mustFind(stbls[0]!.children, 'stsc').payload;
    assert.deepEqual([stsc.readUInt32BE(4), stsc.readUInt32BE(12), stsc.readUInt32BE(24)], [2, chunks, 1]);
    assert.equal(Number(patches[0]!.bytes.readBigUInt64BE(0)), total + 16);
  });

  test('media durations past 32 bits switch mdhd/tkhd to version 1', () => {
    const thirteenHours = 13 * 3600 * 1000; // 4.2e9 ticks at 90 kHz: one sample delta still fits 32 bits
    const { file } = writeAll([avcSh(), h264(0, true), h264(thirteenHours, true)]);
    const { tracks, boxes } = readMp4(file);
    assert.equal(tracks[0]!.mdhdDuration, 2 * thirteenHours * 90);
    assert.equal(mustFind(boxes, 'moov/trak/mdia/mdhd').payload[0], 1);
    assert.equal(mustFind(boxes, 'moov/mvhd').payload[0], 0); // 26 h in ms still fits 32 bits
    assert.equal(tracks[0]!.tkhdDuration, 2 * thirteenHours);
  });

  test('a timestamp jump longer than a 32-bit sample delta is clamped, not thrown', () => {
    const jump = 20 * 3600 * 1000;
    const { file } = writeAll([avcSh(), h264(0, true), h264(jump, true), h264(jump + 40, false)]);
    const { tracks } = readMp4(file);
    assert.deepEqual(tracks[0]!.samples.map((s) => s.duration), [0xffffffff, 3600, 3600]);
    const b = new FragmentBuilder(trackFromSequenceHeader(avcSh())!);
    b.add(h264(0, true));
    b.add(h264(jump, true));
    assert.equal(readFragments(b.flush()!)[0]!.duration, 0xffffffff);
  });

  test('audio-only (MP3, track from the first frame) and video-only files', () => {
    const mp3 = fixtureFrames('mp3.flv');
    const { file } = writeAll(mp3);
    const { tracks } = readMp4(file);
    assert.deepEqual(tracks.map((t) => [t.handler, t.sampleEntry, t.timescale, t.samples.length]), [['soun', 'mp4a', 44100, mp3.length]]);
    assert.ok(tracks[0]!.samples.every((s) => s.duration === 1152));
    const video = writeAll([avcSh(), h264(0, true), h264(40, false)]);
    assert.deepEqual(readMp4(video.file).tracks.map((t) => t.handler), ['vide']);
  });

  test('malformed bodies throw ProtocolError and leave the writer usable', () => {
    const w = new Mp4FileWriter();
    assert.throws(() => w.add(videoFrameFromFlv(legacyVideoBody(7, 1, 0, 0, Buffer.from([1, 2])), 0)!), ProtocolError);
    w.add(avcSh());
    w.add(aacSh());
    assert.throws(() => w.add(videoFrameFromFlv(legacyVideoBody(7, 1, 1, 0, Buffer.from([0, 0, 0, 9, 1])), 0)!), ProtocolError);
    assert.throws(() => w.add(audioFrameFromFlv(Buffer.from([0xaf, 7, 0]), 0)!), ProtocolError);
    assert.equal(w.add(h264(0, true)).length, 12);
    const { tracks } = readMp4(assemble([w.start(), Buffer.alloc(12)], w));
    assert.equal(tracks[0]!.samples.length, 1);
  });

  test('fuzz: garbage FLV bodies only ever raise ProtocolError; the file stays well-formed', () => {
    const w = new Mp4FileWriter();
    const parts = [w.start()];
    const seeds = [
      legacyVideoBody(7, 1, 0, 0, AVC_RECORD),
      legacyVideoBody(7, 1, 1, 80, avcc(nalu(0x65, 20), nalu(0x06, 5))),
      legacyVideoBody(7, 2, 1, -40, avcc(nalu(0x41, 9))),
      aacBody(0, AAC_LC_44100),
      aacBody(1, Buffer.alloc(12, 0x5a)),
      fixtureFrames('mp3.flv')[0]!.payload,
    ];
    let dts = 0;
    const r = expectOnlyProtocolErrors('Mp4FileWriter.add', fuzzInputs(seeds, 0x6d703466, 3000), (input) => {
      dts += 7;
      const isVideo = ((input[0] ?? 0) & 0x0f) === 7 || ((input[0] ?? 0) & 0x80) !== 0;
      const f = isVideo ? videoFrameFromFlv(input, dts) : audioFrameFromFlv(input, dts);
      if (f !== null) parts.push(w.add(f));
    });
    assert.ok(r.accepted > 100 && r.refused > 10, `accepted ${r.accepted}, refused ${r.refused}`);
    const { tail, patches } = w.finish();
    parts.push(tail);
    const file = Buffer.concat(parts);
    for (const p of patches) p.bytes.copy(file, p.offset);
    const { tracks } = readMp4(file);
    assert.ok(tracks.length >= 1);
  });
});
