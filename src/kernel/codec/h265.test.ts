import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../core/errors.js';
import { BitWriter, addEmulationPrevention, expectOnlyProtocolErrors, findMp4Box, fuzzInputs, readFixture } from '../../../test/fixtures/index.js';
import {
  HevcNaluType,
  hevcIsIrap,
  hevcLevelName,
  hevcNaluType,
  hevcProfileName,
  parseHevcDecoderConfigurationRecord,
  parseHevcSps,
} from './h265.js';

const HVCC = findMp4Box(readFixture('h265.mp4'), 'hvcC');

interface HevcSpsSpec {
  maxSubLayersMinus1?: number;
  profileIdc?: number;
  levelIdc?: number;
  chroma?: number;
  separateColourPlane?: boolean;
  width: number;
  height: number;
  window?: [number, number, number, number];
  bitDepth?: number;
}

/** Builds an HEVC SPS NAL unit up to the bit depths (H.265 7.3.2.2), with sub-layer PTL data. */
function buildHevcSps(s: HevcSpsSpec): Buffer {
  const w = new BitWriter();
  const subLayers = s.maxSubLayersMinus1 ?? 0;
  w.bits(4, 0).bits(3, subLayers).bit(1);
  w.bits(2, 0).bit(0).bits(5, s.profileIdc ?? 1).bits(32, 0x60000000).bits(4, 0b1001).bits(44, 0).bits(8, s.levelIdc ?? 93);
  for (let i = 0; i < subLayers; i++) w.bit(1).bit(1);
  if (subLayers > 0) for (let i = subLayers; i < 8; i++) w.bits(2, 0);
  for (let i = 0; i < subLayers; i++) w.bits(88, 0).bits(8, 90);
  w.ue(0);
  const chroma = s.chroma ?? 1;
  w.ue(chroma);
  if (chroma === 3) w.bit(s.separateColourPlane ?? false);
  w.ue(s.width).ue(s.height);
  if (s.window) {
    w.bit(1);
    for (const v of s.window) w.ue(v);
  } else {
    w.bit(0);
  }
  w.ue((s.bitDepth ?? 8) - 8).ue((s.bitDepth ?? 8) - 8);
  w.ue(4); // log2_max_pic_order_cnt_lsb_minus4: the parser stops before this
  w.trailing();
  return Buffer.concat([Buffer.from([0x42, 0x01]), addEmulationPrevention(w.toBuffer())]);
}

describe('HEVCDecoderConfigurationRecord', () => {
  it('parses the x265 hvcC from the MP4 fixture', () => {
    const rec = parseHevcDecoderConfigurationRecord(HVCC);
    assert.equal(rec.configurationVersion, 1);
    assert.equal(rec.generalProfileIdc, 1);
    assert.equal(rec.generalLevelIdc, 60);
    assert.equal(rec.generalTierFlag, false);
    assert.equal(rec.chromaFormat, 1);
    assert.equal(rec.bitDepthLuma, 8);
    assert.equal(rec.naluLengthSize, 4);
    assert.deepEqual(rec.arrays.slice(0, 3).map((a) => a.naluType), [HevcNaluType.Vps, HevcNaluType.Sps, HevcNaluType.Pps]);
    assert.equal(rec.vps.length, 1);
    assert.equal(rec.sps.length, 1);
    assert.equal(rec.pps.length, 1);
    assert.equal(hevcNaluType(rec.vps[0]!), HevcNaluType.Vps);
    assert.equal(hevcNaluType(rec.sps[0]!), HevcNaluType.Sps);
    assert.equal(hevcNaluType(rec.pps[0]!), HevcNaluType.Pps);
    assert.equal(hevcProfileName(rec.generalProfileIdc), 'Main');
    assert.equal(hevcLevelName(rec.generalLevelIdc), '2');
  });

  it('refuses truncation, a bad version and 3-byte lengths', () => {
    for (let n = 0; n < HVCC.length; n++) assert.throws(() => parseHevcDecoderConfigurationRecord(HVCC.subarray(0, n)), ProtocolError, `prefix ${n}`);
    const v2 = Buffer.from(HVCC);
    v2[0] = 2;
    assert.throws(() => parseHevcDecoderConfigurationRecord(v2), /configurationVersion/);
    const three = Buffer.from(HVCC);
    three[21] = (three[21]! & 0xfc) | 2;
    assert.throws(() => parseHevcDecoderConfigurationRecord(three), /lengthSizeMinusOne 2/);
  });

  it('fuzz: mutated records only throw ProtocolError', () => {
    expectOnlyProtocolErrors('hvcc', fuzzInputs([HVCC], 0x265, 3000), (b) => {
      const rec = parseHevcDecoderConfigurationRecord(b);
      for (const s of rec.sps) if (s.length >= 2 && hevcNaluType(s) === HevcNaluType.Sps) parseHevcSps(s);
    });
  });
});

describe('H.265 SPS', () => {
  it('reads 320x180 from the x265 fixture (coded 320x192, conformance window)', () => {
    const sps = parseHevcDecoderConfigurationRecord(HVCC).sps[0]!;
    assert.ok(sps.includes(Buffer.from([0, 0, 3])), 'the fixture SPS has emulation prevention bytes');
    const p = parseHevcSps(sps);
    assert.equal(p.width, 320);
    assert.equal(p.height, 180);
    assert.equal(p.codedWidth, 320);
    assert.equal(p.codedHeight - p.conformanceWindow.top - p.conformanceWindow.bottom, 180);
    assert.equal(p.generalProfileIdc, 1);
    assert.equal(p.profileName, 'Main');
    assert.equal(p.levelName, '2');
    assert.equal(p.chromaFormatIdc, 1);
    assert.equal(p.bitDepthLuma, 8);
  });

  const synthetic: Array<[string, HevcSpsSpec, Partial<ReturnType<typeof parseHevcSps>>]> = [
    ['1080p Main10 with window', { profileIdc: 2, levelIdc: 123, width: 1920, height: 1088, window: [0, 0, 0, 4], bitDepth: 10 }, { width: 1920, height: 1080, profileName: 'Main10', levelName: '4.1', bitDepthLuma: 10 }],
    ['three sub-layers with profile/level info', { maxSubLayersMinus1: 2, width: 640, height: 360 }, { width: 640, height: 360, maxSubLayers: 3, levelName: '3.1' }],
    ['4:2:2 window units', { profileIdc: 4, chroma: 2, width: 100, height: 100, window: [1, 2, 3, 4] }, { width: 94, height: 93, profileName: 'Rext' }],
    ['4:4:4 separate planes', { profileIdc: 4, chroma: 3, separateColourPlane: true, width: 64, height: 64, window: [1, 1, 1, 1] }, { width: 62, height: 62, separateColourPlane: true }],
    ['unnamed level', { levelIdc: 255, width: 16, height: 16 }, { levelName: 'Other' }],
  ];
  for (const [name, spec, expected] of synthetic) {
    it(`parses a synthetic SPS: ${name}`, () => {
      const p = parseHevcSps(buildHevcSps(spec));
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(p[k as keyof typeof p], v, k);
    });
  }

  it('refuses non-SPS NAL units and impossible sizes', () => {
    assert.throws(() => parseHevcSps(Buffer.from([0x40, 0x01, 0x0c])), /not an SPS/);
    assert.throws(() => parseHevcSps(buildHevcSps({ width: 0, height: 16 })), /picture of/);
    assert.throws(() => parseHevcSps(buildHevcSps({ width: 16, height: 16, window: [8, 0, 0, 0] })), /conformance window/);
    assert.throws(() => parseHevcSps(buildHevcSps({ width: 16, height: 16, chroma: 5 })), /chroma_format_idc/);
  });

  it('fuzz: mutated SPS only throws ProtocolError', () => {
    const seeds = [parseHevcDecoderConfigurationRecord(HVCC).sps[0]!, ...synthetic.map(([, s]) => buildHevcSps(s))];
    const { accepted, refused } = expectOnlyProtocolErrors('h265-sps', fuzzInputs(seeds, 0x5e5, 4000, 64), (b) => parseHevcSps(b));
    assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  });
});

describe('H.265 NAL helpers', () => {
  it('reads NAL types and IRAP ranges', () => {
    assert.equal(hevcNaluType(Buffer.from([0x26, 0x01])), HevcNaluType.IdrWRadl);
    assert.equal(hevcNaluType(Buffer.from([0x02, 0x01])), 1);
    assert.ok(hevcIsIrap(HevcNaluType.Cra));
    assert.ok(hevcIsIrap(HevcNaluType.BlaWLp));
    assert.ok(!hevcIsIrap(1));
    assert.ok(!hevcIsIrap(HevcNaluType.Vps));
    assert.throws(() => hevcNaluType(Buffer.from([0x26])), ProtocolError);
    assert.equal(hevcProfileName(3), 'Main Still Picture');
    assert.equal(hevcProfileName(9), 'Other');
  });
});
