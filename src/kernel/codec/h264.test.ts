import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../core/errors.js';
import { BitWriter, addEmulationPrevention, expectOnlyProtocolErrors, fuzzInputs, readFixture } from '../../../test/fixtures/index.js';
import { demuxFlv } from '../format/flv.js';
import {
  AvcNaluType,
  avcLevelName,
  avcNaluType,
  avcNaluTypeName,
  avcProfileName,
  parseAvcDecoderConfigurationRecord,
  parseAvcSps,
  removeEmulationPrevention,
  splitAvccNalus,
} from './h264.js';

function videoTags(fixture: string) {
  return demuxFlv(readFixture(fixture)).tags.filter((t) => t.type === 9);
}

const MAIN = videoTags('h264-aac.flv');
const MAIN_RECORD = MAIN[0]!.body.subarray(5);
const YUV444 = videoTags('h264-444-interlaced.flv');

interface SpsSpec {
  profileIdc: number;
  levelIdc?: number;
  chroma?: number;
  separateColourPlane?: boolean;
  bitDepth?: number;
  scaling?: boolean;
  pocType?: 0 | 1 | 2;
  pocOffsets?: number[];
  log2MaxFrameNumMinus4?: number;
  widthMbs: number;
  heightMapUnits: number;
  frameMbsOnly?: boolean;
  crop?: [number, number, number, number];
}

const HIGH = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Builds an SPS NAL unit (header + escaped RBSP) from the syntax in H.264 7.3.2.1.1. */
function buildSps(s: SpsSpec): Buffer {
  const w = new BitWriter();
  w.bits(8, s.profileIdc).bits(8, 0).bits(8, s.levelIdc ?? 30).ue(0);
  if (HIGH.has(s.profileIdc)) {
    const chroma = s.chroma ?? 1;
    w.ue(chroma);
    if (chroma === 3) w.bit(s.separateColourPlane ?? false);
    w.ue((s.bitDepth ?? 8) - 8).ue((s.bitDepth ?? 8) - 8).bit(0);
    w.bit(s.scaling ?? false);
    if (s.scaling) {
      for (let i = 0; i < (chroma !== 3 ? 8 : 12); i++) {
        const present = i % 3 !== 2;
        w.bit(present);
        if (!present) continue;
        if (i % 2 === 0) {
          w.se(-8); // nextScale becomes 0: "use the default list", nothing more is coded
        } else {
          for (let j = 0; j < (i < 6 ? 16 : 64); j++) w.se(j % 2 === 0 ? 3 : -3);
        }
      }
    }
  }
  w.ue(s.log2MaxFrameNumMinus4 ?? 0);
  const pocType = s.pocType ?? 0;
  w.ue(pocType);
  if (pocType === 0) {
    w.ue(2);
  } else if (pocType === 1) {
    const offsets = s.pocOffsets ?? [];
    w.bit(0).se(-5).se(7).ue(offsets.length);
    for (const o of offsets) w.se(o);
  }
  w.ue(4).bit(0);
  w.ue(s.widthMbs - 1).ue(s.heightMapUnits - 1);
  const frameMbsOnly = s.frameMbsOnly ?? true;
  w.bit(frameMbsOnly);
  if (!frameMbsOnly) w.bit(1);
  w.bit(1);
  if (s.crop) {
    w.bit(1);
    for (const c of s.crop) w.ue(c);
  } else {
    w.bit(0);
  }
  w.bit(0); // vui_parameters_present_flag
  w.trailing();
  return Buffer.concat([Buffer.from([0x67]), addEmulationPrevention(w.toBuffer())]);
}

describe('AVCDecoderConfigurationRecord', () => {
  it('parses the ffmpeg/x264 sequence header', () => {
    const rec = parseAvcDecoderConfigurationRecord(MAIN_RECORD);
    assert.equal(rec.configurationVersion, 1);
    assert.equal(rec.profileIdc, 100);
    assert.equal(rec.levelIdc, 12);
    assert.equal(rec.naluLengthSize, 4);
    assert.equal(rec.sps.length, 1);
    assert.equal(rec.pps.length, 1);
    assert.equal(avcNaluType(rec.sps[0]!), AvcNaluType.Sps);
    assert.equal(avcNaluType(rec.pps[0]!), AvcNaluType.Pps);
    assert.equal(rec.sps[0]![1], rec.profileIdc);
    assert.equal(rec.sps[0]!.buffer, MAIN_RECORD.buffer); // a view, not a copy
  });

  it('accepts 1- and 2-byte NALU lengths and several parameter sets', () => {
    const sps = buildSps({ profileIdc: 66, widthMbs: 2, heightMapUnits: 2 });
    const pps = Buffer.from([0x68, 0xce, 0x38, 0x80]);
    const rec = Buffer.concat([
      Buffer.from([1, 66, 0xc0, 30, 0xfc | 1, 0xe0 | 2]),
      Buffer.from([0, sps.length]),
      sps,
      Buffer.from([0, sps.length]),
      sps,
      Buffer.from([1, 0, pps.length]),
      pps,
    ]);
    const parsed = parseAvcDecoderConfigurationRecord(rec);
    assert.equal(parsed.naluLengthSize, 2);
    assert.equal(parsed.sps.length, 2);
    assert.deepEqual(parsed.pps, [pps]);
    rec[4] = 0xfc;
    assert.equal(parseAvcDecoderConfigurationRecord(rec).naluLengthSize, 1);
  });

  it('refuses a bad version, 3-byte lengths and truncation', () => {
    const bad = Buffer.from(MAIN_RECORD);
    bad[0] = 0;
    assert.throws(() => parseAvcDecoderConfigurationRecord(bad), ProtocolError);
    const three = Buffer.from(MAIN_RECORD);
    three[4] = 0xfe;
    assert.throws(() => parseAvcDecoderConfigurationRecord(three), /lengthSizeMinusOne 2/);
    for (let n = 0; n < MAIN_RECORD.length - 4; n++) {
      assert.throws(() => parseAvcDecoderConfigurationRecord(MAIN_RECORD.subarray(0, n)), ProtocolError, `prefix ${n}`);
    }
  });
});

describe('H.264 SPS', () => {
  it('reads 320x180 High 1.2 from the ffmpeg fixture (cropped from 320x192, escaped RBSP)', () => {
    const sps = parseAvcDecoderConfigurationRecord(MAIN_RECORD).sps[0]!;
    assert.ok(sps.includes(Buffer.from([0, 0, 3])), 'the fixture SPS has emulation prevention bytes');
    const p = parseAvcSps(sps);
    assert.equal(p.width, 320);
    assert.equal(p.height, 180);
    assert.equal(p.codedWidth, 320);
    assert.equal(p.codedHeight, 192);
    assert.deepEqual(p.crop, { left: 0, right: 0, top: 0, bottom: 12 });
    assert.equal(p.profileName, 'High');
    assert.equal(p.levelName, '1.2');
    assert.equal(p.chromaFormatIdc, 1);
    assert.equal(p.frameMbsOnly, true);
  });

  it('reads 176x100 High 4:4:4 Predictive interlaced from the ffmpeg fixture', () => {
    const p = parseAvcSps(parseAvcDecoderConfigurationRecord(YUV444[0]!.body.subarray(5)).sps[0]!);
    assert.equal(p.profileIdc, 244);
    assert.equal(p.profileName, 'High(444+Predictive)');
    assert.equal(p.levelName, '2.1');
    assert.equal(p.chromaFormatIdc, 3);
    assert.equal(p.frameMbsOnly, false);
    assert.equal(p.codedHeight, 128); // field pairs: 4 map units of 32 rows
    assert.equal(p.width, 176);
    assert.equal(p.height, 100);
  });

  const synthetic: Array<[string, SpsSpec, Partial<ReturnType<typeof parseAvcSps>>]> = [
    ['Baseline 1080p (bottom crop 8)', { profileIdc: 66, levelIdc: 40, widthMbs: 120, heightMapUnits: 68, crop: [0, 0, 0, 4] }, { width: 1920, height: 1080, profileName: 'Baseline', levelName: '4' }],
    ['Main with POC type 1', { profileIdc: 77, levelIdc: 31, widthMbs: 80, heightMapUnits: 45, pocType: 1, pocOffsets: [1, -2, 3] }, { width: 1280, height: 720, profileName: 'Main', levelName: '3.1' }],
    ['High interlaced with scaling lists', { profileIdc: 100, levelIdc: 41, widthMbs: 120, heightMapUnits: 34, frameMbsOnly: false, scaling: true, crop: [0, 0, 0, 2] }, { width: 1920, height: 1080, codedHeight: 1088, profileName: 'High' }],
    ['High 4:2:2 10-bit', { profileIdc: 122, chroma: 2, bitDepth: 10, widthMbs: 20, heightMapUnits: 10, crop: [0, 3, 0, 5] }, { width: 314, height: 155, chromaFormatIdc: 2, bitDepthLuma: 10, profileName: 'High(422)' }],
    ['High monochrome (crop unit 1)', { profileIdc: 100, chroma: 0, widthMbs: 10, heightMapUnits: 10, crop: [1, 2, 3, 4] }, { width: 157, height: 153, chromaFormatIdc: 0 }],
    ['4:4:4 separate planes with 12 scaling lists', { profileIdc: 244, chroma: 3, separateColourPlane: true, scaling: true, widthMbs: 4, heightMapUnits: 4, crop: [1, 1, 1, 1] }, { width: 62, height: 62, separateColourPlane: true }],
    ['POC type 2, level 5.2 (not in SRS table)', { profileIdc: 100, levelIdc: 52, pocType: 2, widthMbs: 240, heightMapUnits: 135 }, { width: 3840, height: 2160, levelName: 'Other' }],
  ];
  for (const [name, spec, expected] of synthetic) {
    it(`parses a synthetic SPS: ${name}`, () => {
      const p = parseAvcSps(buildSps(spec));
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(p[k as keyof typeof p], v, k);
    });
  }

  it('removes emulation prevention before parsing', () => {
    let escaped = 0;
    for (let pad = 0; pad < 12; pad++) {
      const spec: SpsSpec = { profileIdc: 77, log2MaxFrameNumMinus4: pad, pocType: 1, pocOffsets: [2 ** 23, -(2 ** 23), 2 ** 22], widthMbs: 11, heightMapUnits: 9 };
      const nal = buildSps(spec);
      if (nal.includes(Buffer.from([0, 0, 3]))) escaped++;
      const p = parseAvcSps(nal);
      assert.equal(p.width, 176);
      assert.equal(p.height, 144);
    }
    assert.ok(escaped > 0, 'at least one variant needed escaping');
  });

  it('refuses non-SPS NAL units, truncation and out-of-range fields', () => {
    assert.throws(() => parseAvcSps(Buffer.from([0x68, 1, 2, 3])), /not an SPS/);
    const sps = parseAvcDecoderConfigurationRecord(MAIN_RECORD).sps[0]!;
    // Everything up to frame cropping sits in the first 10 bytes; the VUI after it is not read.
    for (let n = 0; n < 10; n++) assert.throws(() => parseAvcSps(sps.subarray(0, n)), ProtocolError, `prefix ${n}`);
    assert.equal(parseAvcSps(sps.subarray(0, 10)).height, 180);
    assert.throws(() => parseAvcSps(buildSps({ profileIdc: 100, chroma: 4, widthMbs: 1, heightMapUnits: 1 })), /chroma_format_idc/);
    assert.throws(() => parseAvcSps(buildSps({ profileIdc: 66, widthMbs: 1, heightMapUnits: 1, crop: [8, 8, 0, 0] })), /cropping leaves/);
    assert.throws(() => parseAvcSps(buildSps({ profileIdc: 66, log2MaxFrameNumMinus4: 13, widthMbs: 1, heightMapUnits: 1 })), /log2_max_frame_num/);
  });

  it('fuzz: mutated SPS only throws ProtocolError', () => {
    const seeds = [
      parseAvcDecoderConfigurationRecord(MAIN_RECORD).sps[0]!,
      parseAvcDecoderConfigurationRecord(YUV444[0]!.body.subarray(5)).sps[0]!,
      ...synthetic.map(([, spec]) => buildSps(spec)),
    ];
    const { accepted, refused } = expectOnlyProtocolErrors('h264-sps', fuzzInputs(seeds, 0x264, 4000, 64), (b) => parseAvcSps(b));
    assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  });

  it('fuzz: mutated configuration records only throw ProtocolError', () => {
    const seeds = [MAIN_RECORD, YUV444[0]!.body.subarray(5)];
    expectOnlyProtocolErrors('avcc', fuzzInputs(seeds, 0xacc, 3000), (b) => {
      const rec = parseAvcDecoderConfigurationRecord(b);
      for (const s of rec.sps) if (s.length > 0 && (s[0]! & 0x1f) === 7) parseAvcSps(s);
    });
  });
});

describe('H.264 NAL helpers', () => {
  it('splits AVCC frames into views', () => {
    const keyframe = MAIN[1]!.body;
    const nalus = splitAvccNalus(keyframe, 4, 5);
    assert.deepEqual(nalus.map((n) => avcNaluTypeName(avcNaluType(n))), ['SEI', 'IDR']);
    assert.equal(nalus.reduce((sum, n) => sum + 4 + n.length, 5), keyframe.length);
    for (const n of nalus) assert.equal(n.buffer, keyframe.buffer);
    for (const t of MAIN.slice(2, -1)) {
      const types = splitAvccNalus(t.body, 4, 5).map(avcNaluType);
      assert.deepEqual(types, [AvcNaluType.NonIdr]);
    }
  });

  it('splits every supported length size', () => {
    const a = Buffer.from([0x65, 1, 2]);
    const b = Buffer.from([0x41]);
    for (const size of [1, 2, 3, 4] as const) {
      const prefix = (n: Buffer) => {
        const p = Buffer.alloc(size);
        p.writeUIntBE(n.length, 0, size);
        return p;
      };
      const data = Buffer.concat([prefix(a), a, prefix(b), b]);
      assert.deepEqual(splitAvccNalus(data, size), [a, b]);
    }
    assert.deepEqual(splitAvccNalus(Buffer.alloc(0)), []);
    assert.deepEqual(splitAvccNalus(Buffer.from([0, 0, 0, 0])), [Buffer.alloc(0)]);
  });

  it('refuses lengths that run past the end', () => {
    assert.throws(() => splitAvccNalus(Buffer.from([0, 0, 0, 5, 1, 2])), ProtocolError);
    assert.throws(() => splitAvccNalus(Buffer.from([0, 0, 1])), ProtocolError);
    assert.throws(() => splitAvccNalus(Buffer.from([0, 0, 0, 1, 1]), 4, 0, 10), ProtocolError);
    expectOnlyProtocolErrors('avcc-split', fuzzInputs([MAIN[1]!.body.subarray(5, 300)], 0x5b1, 2000, 32), (b) => splitAvccNalus(b, 4));
  });

  it('removes emulation prevention bytes', () => {
    const rm = (bytes: number[]) => Array.from(removeEmulationPrevention(Uint8Array.from(bytes)));
    assert.deepEqual(rm([0, 0, 3, 1]), [0, 0, 1]);
    assert.deepEqual(rm([0, 0, 3, 0, 0, 3]), [0, 0, 0, 0]);
    assert.deepEqual(rm([0, 0, 3]), [0, 0]);
    assert.deepEqual(rm([0, 3, 0, 0, 3, 3]), [0, 3, 0, 0, 3]);
    assert.deepEqual(rm([0, 0, 3, 3, 0, 0, 3, 2]), [0, 0, 3, 0, 0, 2]);
    const clean = Uint8Array.from([1, 0, 0, 1]);
    assert.equal(removeEmulationPrevention(clean), clean);
  });

  it('names NAL types and levels as SRS does', () => {
    assert.equal(avcNaluTypeName(5), 'IDR');
    assert.equal(avcNaluTypeName(9), 'AccessUnitDelimiter');
    assert.equal(avcNaluTypeName(20), 'CodedSliceExt');
    assert.equal(avcNaluTypeName(0), 'Other');
    assert.equal(avcProfileName(66), 'Baseline');
    assert.equal(avcProfileName(110), 'High(10)');
    assert.equal(avcProfileName(1), 'Other');
    assert.equal(avcLevelName(10), '1');
    assert.equal(avcLevelName(31), '3.1');
    assert.equal(avcLevelName(9), 'Other');
    assert.throws(() => avcNaluType(Buffer.alloc(0)), ProtocolError);
  });
});
