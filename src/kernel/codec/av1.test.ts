import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '../../core/errors.js';
import { expectOnlyProtocolErrors, fuzzInputs } from '../../../test/fixtures/index.js';
import { Av1ObuType, parseAv1CodecConfigurationRecord, readLeb128, splitObus } from './av1.js';

// av1C written by ffmpeg (libaom-av1, 64x48 yuv420p): 4 fixed bytes and the sequence header OBU.
const AV1C = Buffer.from('81000c000a0a00000002aff79b5f2008', 'hex');

test('av1C from ffmpeg: profile 0, level 0, 8-bit 4:2:0, the sequence header OBU as config', () => {
  const r = parseAv1CodecConfigurationRecord(AV1C);
  assert.equal(r.seqProfile, 0);
  assert.equal(r.seqLevelIdx0, 0);
  assert.equal(r.seqTier0, 0);
  assert.equal(r.bitDepth, 8);
  assert.equal(r.monochrome, false);
  assert.equal(r.chromaSubsamplingX, 1);
  assert.equal(r.chromaSubsamplingY, 1);
  assert.equal(r.initialPresentationDelay, null);
  const obus = splitObus(r.configObus);
  assert.equal(obus.length, 1);
  assert.equal(obus[0]!.type, Av1ObuType.SequenceHeader);
  assert.equal(obus[0]!.payload.length, 10);
});

test('av1C: bad marker, version or truncation throw ProtocolError', () => {
  assert.throws(() => parseAv1CodecConfigurationRecord(AV1C.subarray(0, 3)), ProtocolError);
  assert.throws(() => parseAv1CodecConfigurationRecord(Buffer.from([0x01, 0, 0, 0])), ProtocolError);
  assert.throws(() => parseAv1CodecConfigurationRecord(Buffer.from([0x82, 0, 0, 0])), ProtocolError);
});

test('splitObus: views (no copy) of a temporal unit, with extension header, 2-byte size and an unsized last OBU', () => {
  const frame = Buffer.alloc(200, 0xab);
  const tu = Buffer.concat([
    Buffer.from([0x12, 0x00]), // temporal delimiter, has_size, size 0
    Buffer.from([0x36, 0x48, 0xc8, 0x01]), // frame OBU, extension (temporal 2, spatial 1), size 200 (leb128 c8 01)
    frame,
    Buffer.from([0x78, 1, 2, 3]), // padding OBU without size field: to the end
  ]);
  const obus = splitObus(tu);
  assert.deepEqual(obus.map((o) => o.type), [Av1ObuType.TemporalDelimiter, Av1ObuType.Frame, Av1ObuType.Padding]);
  assert.equal(obus[1]!.temporalId, 2);
  assert.equal(obus[1]!.spatialId, 1);
  assert.equal(obus[1]!.payload.length, 200);
  assert.equal(obus[1]!.payload.buffer, tu.buffer, 'a view into the input');
  assert.equal(obus[1]!.bytes.length, 204);
  assert.deepEqual([...obus[2]!.payload], [1, 2, 3]);
});

test('splitObus rejects overruns and the forbidden bit; leb128 limits', () => {
  assert.throws(() => splitObus(Buffer.from([0x32, 0x05, 1, 2])), ProtocolError);
  assert.throws(() => splitObus(Buffer.from([0x92, 0x00])), ProtocolError);
  assert.throws(() => readLeb128(Buffer.from([0x80, 0x80]), 0), ProtocolError);
  assert.deepEqual(readLeb128(Buffer.from([0xc1, 0x04]), 0), [577, 2]);
});

test('fuzz: mutated av1C records and temporal units only throw ProtocolError', () => {
  const tu = Buffer.from('12000a0a00000002aff79b5f2008321004140022c00000802020dc8528f5217db819', 'hex');
  const records = expectOnlyProtocolErrors('av1C', fuzzInputs([AV1C], 0xa71, 3000, 64), (b) => splitObus(parseAv1CodecConfigurationRecord(b).configObus));
  const units = expectOnlyProtocolErrors('obu', fuzzInputs([tu], 0xa72, 3000, 64), (b) => splitObus(b));
  for (const r of [records, units]) assert.ok(r.accepted > 0 && r.refused > 0, JSON.stringify(r));
});
