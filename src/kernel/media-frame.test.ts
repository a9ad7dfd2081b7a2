// The one FLV frame builder and the codec view it attaches (issue 12, point 1).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '../core/errors.js';
import { expectOnlyProtocolErrors, fuzzInputs } from '../../test/fixtures/index.js';
import { AAC_ASC, H264_AVCC, H264_PPS, H264_SPS, videoBody } from './format/mpegts/mpegts-test-helpers.js';
import { audioFrameFromFlv, dataFrame, retimed, ticksIn, videoFrameFromFlv } from './media-frame.js';

const avcc = (...nalus: Buffer[]): Buffer =>
  Buffer.concat(nalus.flatMap((n) => [Buffer.from([0, 0, (n.length >> 8) & 0xff, n.length & 0xff]), n]));

test('H.264 coded frame: NALU views into the payload (no copies), split once and shared by retimed copies', () => {
  const idr = Buffer.from([0x65, 0x88, 0x84, 0x00]);
  const sei = Buffer.from([0x06, 0x05, 0x01]);
  const payload = videoBody(7, true, 1, 40, avcc(sei, Buffer.alloc(0), idr));
  const f = videoFrameFromFlv(payload, 1000)!;
  assert.equal(f.view.packet, 'coded');
  assert.equal(f.view.dataOffset, 5);
  assert.equal(f.pts, 1040);
  assert.deepEqual([f.timescale, f.dtsTicks, f.ptsTicks], [1000, 1000, 1040]);
  const nalus = f.view.nalus();
  assert.deepEqual(nalus, [sei, idr], 'empty NAL units are left out');
  assert.equal(nalus[1]!.buffer, payload.buffer, 'a view, not a copy');
  assert.equal(nalus[1]!.byteOffset, payload.byteOffset + payload.length - idr.length);
  assert.equal(f.view.nalus(), nalus, 'split once');
  const later = retimed(f, 5000);
  assert.equal(later.view, f.view, 'retimed frames share the view');
  assert.deepEqual([later.dts, later.pts, later.dtsTicks, later.ptsTicks], [5000, 5040, 5000, 5040]);
  assert.equal(later.payload, payload);
});

test('sequence header: the record parsed once (profile, level, size, NALU length, parameter sets)', () => {
  const f = videoFrameFromFlv(videoBody(7, true, 0, 0, H264_AVCC), 0)!;
  assert.equal(f.sequenceHeader, true);
  assert.equal(f.view.packet, 'config');
  const t = f.view.track()!;
  assert.equal(f.view.track(), t, 'parsed once');
  assert.deepEqual([t.codec, t.profile, t.level, t.width, t.height, t.naluLengthSize], ['h264', 'High', '1', 64, 48, 4]);
  assert.deepEqual(t.parameterSets, [H264_SPS, H264_PPS]);
  assert.equal(t.error, null);
  assert.deepEqual(f.view.nalus(), [], 'a record has no coded NAL units');
});

test('malformed AVCC lengths throw ProtocolError from nalus(); short legacy bodies are flagged malformed', () => {
  const f = videoFrameFromFlv(videoBody(7, false, 1, 0, Buffer.from([0, 0, 0, 9, 0x41])), 0)!;
  assert.throws(() => f.view.nalus(), ProtocolError);
  assert.equal(videoFrameFromFlv(Buffer.from([0x27, 1]), 0)!.view.packet, 'malformed');
  assert.equal(videoFrameFromFlv(Buffer.from([0x27, 2, 0, 0, 0]), 0)!.view.packet, 'end');
  assert.equal(videoFrameFromFlv(Buffer.from([0x57, 0]), 0)!.view.packet, 'other', 'video info/command frame');
  assert.equal(videoFrameFromFlv(Buffer.alloc(0), 0), null);
});

test('Enhanced RTMP: AVC/HEVC CodedFrames carry a CTS, AV1 CodedFrames do not; AV1 OBU views', () => {
  const hevc = Buffer.concat([Buffer.from([0x91]), Buffer.from('hvc1'), Buffer.from([0, 0, 40]), avcc(Buffer.from([0x26, 0x01, 0xaf]))]);
  const h = videoFrameFromFlv(hevc, 100)!;
  assert.deepEqual([h.codec, h.pts, h.view.dataOffset, h.view.nalus().length], ['h265', 140, 8, 1]);
  // AV1: [0x91]['av01'] then the temporal unit right away: a temporal delimiter and a 2-byte frame OBU.
  const av1 = Buffer.concat([Buffer.from([0x91]), Buffer.from('av01'), Buffer.from([0x12, 0x00, 0x32, 0x02, 0xaa, 0xbb])]);
  const a = videoFrameFromFlv(av1, 100)!;
  assert.equal(a.codec, 'av1');
  assert.equal(a.pts, 100, 'no composition time in AV1 CodedFrames');
  assert.equal(a.view.dataOffset, 5);
  assert.deepEqual(a.view.obus().map((o) => [o.type, o.payload.length]), [[2, 0], [6, 2]]);
  const seq = Buffer.concat([Buffer.from([0x90]), Buffer.from('av01'), Buffer.from('81000c000a0a00000002aff79b5f2008', 'hex')]);
  assert.equal(videoFrameFromFlv(seq, 0)!.view.track()!.codec, 'av1');
});

test('audio view: raw AAC/MP3/Opus frames (views), sample counts from the codec, config flagged', () => {
  const sh = audioFrameFromFlv(Buffer.concat([Buffer.from([0xaf, 0]), AAC_ASC]), 0)!;
  assert.equal(sh.sequenceHeader, true);
  assert.deepEqual(sh.view.raw, AAC_ASC);
  assert.equal(sh.view.samples, 0);
  assert.equal(sh.view.track()!.sampleRate, 44100);
  const payload = Buffer.from([0xaf, 1, 0x21, 0x10, 0x05]);
  const aac = audioFrameFromFlv(payload, 20)!;
  assert.equal(aac.view.raw.buffer, payload.buffer);
  assert.equal(aac.view.raw.length, 3);
  assert.equal(aac.view.samples, 1024);
  assert.equal(aac.view.track(), null, 'a raw AAC frame describes no track');
  // MPEG-1 Layer III, 44.1 kHz: 1152 samples per frame.
  const mp3 = audioFrameFromFlv(Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64, 0x00, 0x00]), 0)!;
  assert.deepEqual([mp3.codec, mp3.view.raw.length, mp3.view.samples], ['mp3', 6, 1152]);
  // Opus (SoundFormat 13), TOC config 31 code 1: two 20 ms frames = 1920 samples at 48 kHz.
  const opus = audioFrameFromFlv(Buffer.from([0xd2, 0xfd, 1, 2]), 0)!;
  assert.deepEqual([opus.codec, opus.view.samples], ['opus', 1920]);
  assert.equal(audioFrameFromFlv(Buffer.from([0xaf]), 0)!.view.malformed, true);
});

test('ticks: conversions between clocks are exact when they divide', () => {
  assert.equal(ticksIn(1001, 1000, 90000), 90090);
  assert.equal(ticksIn(90090, 90000, 90000), 90090);
  assert.equal(ticksIn(1024, 48000, 90000), 1920);
  assert.equal(ticksIn(1, 44100, 90000), 2);
  const d = dataFrame(Buffer.from([2, 0, 1, 0x61]), 7);
  assert.deepEqual([d.timescale, d.dtsTicks, d.formatVersion], [1000, 7, 0]);
});

test('fuzz: any FLV body gives a frame whose views and track only ever throw ProtocolError (track never throws)', () => {
  const seeds = [
    videoBody(7, true, 0, 0, H264_AVCC),
    videoBody(7, true, 1, 40, avcc(Buffer.from([0x65, 1, 2, 3]))),
    Buffer.concat([Buffer.from([0x91]), Buffer.from('av01'), Buffer.from([0x12, 0x00, 0x32, 0x02, 0xaa, 0xbb])]),
    Buffer.concat([Buffer.from([0xaf, 0]), AAC_ASC]),
    Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64, 0x00, 0x00]),
    Buffer.concat([Buffer.from([0xd2]), Buffer.from('4f707573486561640102380180bb0000000000', 'hex')]),
  ];
  const r = expectOnlyProtocolErrors('frame', fuzzInputs(seeds, 0xf4a, 4000, 64), (b) => {
    const a = audioFrameFromFlv(b, 0);
    if (a) {
      a.view.track();
      void a.view.samples;
    }
    const v = videoFrameFromFlv(b, 0);
    if (v) {
      v.view.track();
      v.view.nalus();
      v.view.obus();
    }
  });
  assert.ok(r.accepted > 0);
});
