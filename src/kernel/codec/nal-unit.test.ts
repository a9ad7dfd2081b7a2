import assert from 'node:assert/strict';
import { test } from 'node:test';
import { H264_AVCC, H264_PPS, H264_SPS, H265_HVCC_HEAD, H265_PPS, H265_SPS, H265_VPS } from '../format/mpegts/mpegts-test-helpers.js';
import { ProtocolError } from '../../core/errors.js';
import { parseAvcDecoderConfigurationRecord } from './h264.js';
import { parseHevcDecoderConfigurationRecord } from './h265.js';
import { buildAvcConfig, buildHevcConfig, splitAnnexB } from './nal-unit.js';

test('avcC built from SPS/PPS equals the one ffmpeg writes, high-profile tail included', () => {
  assert.deepEqual(buildAvcConfig(H264_SPS, H264_PPS), H264_AVCC);
});

test('avcC for a baseline SPS has no chroma/bit-depth tail', () => {
  const sps = Buffer.from([0x67, 66, 0xc0, 0x1e, 0xda, 0x02, 0x80]);
  const rec = buildAvcConfig(sps, H264_PPS);
  assert.equal(rec.length, 11 + sps.length + H264_PPS.length);
  assert.deepEqual([...rec.subarray(0, 6)], [1, 66, 0xc0, 0x1e, 0xff, 0xe1]);
});

test('the avcC record parses back to its SPS and PPS; truncation throws ProtocolError', () => {
  const cfg = parseAvcDecoderConfigurationRecord(H264_AVCC);
  assert.equal(cfg.naluLengthSize, 4);
  assert.deepEqual([...cfg.sps, ...cfg.pps], [H264_SPS, H264_PPS]);
  for (let n = 0; n < 8 + H264_SPS.length + 3; n++) {
    assert.throws(() => parseAvcDecoderConfigurationRecord(H264_AVCC.subarray(0, n)), ProtocolError, `len ${n}`);
  }
});

test('hvcC header built from x265 parameter sets matches ffmpeg (profile, 4:4:4 chroma, bit depth, layers)', () => {
  const rec = buildHevcConfig(H265_VPS, H265_SPS, H265_PPS);
  assert.deepEqual(rec.subarray(0, 22), H265_HVCC_HEAD);
  assert.equal(rec[22], 3);
  const cfg = parseHevcDecoderConfigurationRecord(rec);
  assert.equal(cfg.naluLengthSize, 4);
  assert.deepEqual([...cfg.vps, ...cfg.sps, ...cfg.pps], [H265_VPS, H265_SPS, H265_PPS]);
});

test('hvcC from an unreadable SPS still carries the parameter sets', () => {
  const sps = Buffer.from([0x42, 0x01, 0x01]);
  const cfg = parseHevcDecoderConfigurationRecord(buildHevcConfig(H265_VPS, sps, H265_PPS));
  assert.deepEqual([...cfg.vps, ...cfg.sps, ...cfg.pps], [H265_VPS, sps, H265_PPS]);
});

test('splitAnnexB: 3- and 4-byte start codes, leading garbage, trailing zeros', () => {
  const data = Buffer.from([0xff, 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88, 0, 0, 0, 0, 1, 0x41, 0x9a, 0, 0]);
  assert.deepEqual(splitAnnexB(data), [Buffer.from([0x09, 0xf0]), Buffer.from([0x65, 0x88]), Buffer.from([0x41, 0x9a])]);
  assert.deepEqual(splitAnnexB(Buffer.from([1, 2, 3])), []);
  assert.deepEqual(splitAnnexB(Buffer.from([0, 0, 1])), []);
});

