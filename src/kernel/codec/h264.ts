// H.264/AVC: the AVCDecoderConfigurationRecord that FLV/RTMP sequence headers carry (ISO/IEC 14496-15
// 5.3.3.1), the sequence parameter set (ITU-T H.264 7.3.2.1.1) for picture size, and AVCC NALU helpers.
// Names of profiles and levels follow SRS (srs_kernel_codec.cpp) because they surface in its HTTP API.

import { BitReader } from '../../core/bit-reader.js';
import { ByteReader } from '../../core/byte-reader.js';
import { codecError, withCodecErrors } from './codec-error.js';

function decodeError(message: string) {
  return codecError('h264', message);
}

// ---------------------------------------------------------------------------------------------------------
// NAL units

/** nal_unit_type values (H.264 Table 7-1). */
export const AvcNaluType = {
  NonIdr: 1,
  DataPartitionA: 2,
  DataPartitionB: 3,
  DataPartitionC: 4,
  Idr: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  AccessUnitDelimiter: 9,
  EoSequence: 10,
  EoStream: 11,
  FilterData: 12,
  SpsExt: 13,
  PrefixNalu: 14,
  SubsetSps: 15,
  LayerWithoutPartition: 19,
  CodedSliceExt: 20,
} as const;

const NALU_NAMES: Record<number, string> = {
  1: 'NonIDR',
  2: 'DataPartitionA',
  3: 'DataPartitionB',
  4: 'DataPartitionC',
  5: 'IDR',
  6: 'SEI',
  7: 'SPS',
  8: 'PPS',
  9: 'AccessUnitDelimiter',
  10: 'EOSequence',
  11: 'EOStream',
  12: 'FilterData',
  13: 'SPSExt',
  14: 'PrefixNALU',
  15: 'SubsetSPS',
  19: 'LayerWithoutPartition',
  20: 'CodedSliceExt',
};

/** nal_unit_type of a NAL unit (its first byte's low 5 bits). */
export function avcNaluType(nalu: Uint8Array): number {
  if (nalu.length < 1) throw decodeError('empty NAL unit');
  return nalu[0]! & 0x1f;
}

/** SRS's name for a nal_unit_type ("IDR", "SPS", …, "Other"). */
export function avcNaluTypeName(type: number): string {
  return NALU_NAMES[type] ?? 'Other';
}

/**
 * Splits AVCC/HVCC data (each NAL unit prefixed by a big-endian length of `lengthSize` bytes) into views
 * of `data` (no copy; the views live as long as `data` is not modified). A length that runs past the end
 * throws ProtocolError. Works for H.265 too.
 */
export function splitAvccNalus(data: Buffer, lengthSize: 1 | 2 | 3 | 4 = 4, offset = 0, end = data.length): Buffer[] {
  if (offset < 0 || end > data.length || offset > end) throw decodeError(`bad NALU range ${offset}..${end}`);
  const out: Buffer[] = [];
  let pos = offset;
  while (pos < end) {
    if (pos + lengthSize > end) throw decodeError(`truncated NALU length at ${pos}`);
    let len = 0;
    for (let i = 0; i < lengthSize; i++) len = len * 256 + data[pos + i]!;
    pos += lengthSize;
    if (len > end - pos) throw decodeError(`NALU of ${len} bytes at ${pos} runs past the end (${end - pos} left)`);
    out.push(data.subarray(pos, pos + len));
    pos += len;
  }
  return out;
}

/**
 * Removes emulation prevention bytes (0x00 0x00 0x03 → 0x00 0x00, H.264 7.4.1 / H.265 7.4.2), turning
 * a NAL unit's payload into its RBSP. Returns the input itself when there is nothing to remove.
 */
export function removeEmulationPrevention(data: Uint8Array): Uint8Array {
  let first = -1;
  for (let i = 2; i < data.length; i++) {
    if (data[i] === 0x03 && data[i - 1] === 0 && data[i - 2] === 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return data;
  const out = new Uint8Array(data.length);
  out.set(data.subarray(0, first), 0);
  let n = first;
  let zeros = 0;
  for (let i = first + 1; i < data.length; i++) {
    const b = data[i]!;
    if (zeros >= 2 && b === 0x03) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

// ---------------------------------------------------------------------------------------------------------
// Profile and level names (as SRS reports them)

const PROFILE_NAMES: Record<number, string> = {
  66: 'Baseline',
  77: 'Main',
  88: 'Extended',
  100: 'High',
  110: 'High(10)',
  122: 'High(422)',
  144: 'High(444)',
  244: 'High(444+Predictive)',
};

/** SRS's srs_avc_profile2str for a profile_idc: "Baseline", "Main", "High", "High(10)", …, "Other". */
export function avcProfileName(profileIdc: number): string {
  return PROFILE_NAMES[profileIdc] ?? 'Other';
}

const LEVEL_NAMES: Record<number, string> = {
  10: '1',
  11: '1.1',
  12: '1.2',
  13: '1.3',
  20: '2',
  21: '2.1',
  22: '2.2',
  30: '3',
  31: '3.1',
  32: '3.2',
  40: '4',
  41: '4.1',
  50: '5',
  51: '5.1',
};

/** SRS's srs_avc_level2str for a level_idc: "3.1" for 31, …; "Other" outside SRS's table (e.g. 5.2, 6.x). */
export function avcLevelName(levelIdc: number): string {
  return LEVEL_NAMES[levelIdc] ?? 'Other';
}

// ---------------------------------------------------------------------------------------------------------
// AVCDecoderConfigurationRecord

export interface AvcDecoderConfigurationRecord {
  readonly configurationVersion: number;
  /** AVCProfileIndication (profile_idc of the SPS). */
  readonly profileIdc: number;
  readonly profileCompatibility: number;
  /** AVCLevelIndication (level_idc of the SPS). */
  readonly levelIdc: number;
  /** Bytes in each NALU length prefix of the coded frames: 1, 2 or 4. */
  readonly naluLengthSize: 1 | 2 | 4;
  /** SPS NAL units (views into the input). */
  readonly sps: Buffer[];
  /** PPS NAL units (views into the input). */
  readonly pps: Buffer[];
}

/**
 * Parses an AVCDecoderConfigurationRecord: the FLV AVC sequence header body after its 5-byte tag header,
 * or an MP4 avcC box payload. Trailing bytes (the High-profile chroma/bit-depth extension) are ignored.
 */
export function parseAvcDecoderConfigurationRecord(data: Buffer): AvcDecoderConfigurationRecord {
  return withCodecErrors('h264', () => {
    const r = new ByteReader(data);
    const configurationVersion = r.u8();
    if (configurationVersion !== 1) throw decodeError(`configurationVersion ${configurationVersion}, want 1`);
    const profileIdc = r.u8();
    const profileCompatibility = r.u8();
    const levelIdc = r.u8();
    const lengthSizeMinusOne = r.u8() & 0x03;
    // 14496-15 5.3.3.1.2: "one of 0, 1, or 3" (a 3-byte length is not allowed).
    if (lengthSizeMinusOne === 2) throw decodeError('lengthSizeMinusOne 2 (3-byte NALU lengths) is not allowed');
    const naluLengthSize = (lengthSizeMinusOne + 1) as 1 | 2 | 4;
    const numSps = r.u8() & 0x1f;
    const sps: Buffer[] = [];
    for (let i = 0; i < numSps; i++) sps.push(r.bytes(r.u16()));
    const numPps = r.u8();
    const pps: Buffer[] = [];
    for (let i = 0; i < numPps; i++) pps.push(r.bytes(r.u16()));
    return { configurationVersion, profileIdc, profileCompatibility, levelIdc, naluLengthSize, sps, pps };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Sequence parameter set

export interface AvcSps {
  readonly profileIdc: number;
  /** constraint_set0..5 flags and reserved bits, as the byte after profile_idc. */
  readonly constraintFlags: number;
  readonly levelIdc: number;
  readonly spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  readonly chromaFormatIdc: number;
  readonly separateColourPlane: boolean;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly frameMbsOnly: boolean;
  /** Coded size before cropping. */
  readonly codedWidth: number;
  readonly codedHeight: number;
  /** Frame crop offsets in luma samples (left, right, top, bottom). */
  readonly crop: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  /** Displayed size (coded size minus cropping). */
  readonly width: number;
  readonly height: number;
  readonly profileName: string;
  readonly levelName: string;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices (7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(br: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = br.se();
      if (delta < -128 || delta > 127) throw decodeError(`delta_scale ${delta} out of range`);
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

const MAX_MBS = 1 << 16; // 1M pixels per side is far past any level; bounds the arithmetic below

/**
 * Parses an SPS NAL unit (with its 1-byte NAL header, as found in the config record) into profile, level
 * and the displayed size. Emulation prevention bytes are removed first.
 */
export function parseAvcSps(nalu: Uint8Array): AvcSps {
  return withCodecErrors('h264', () => {
    if (nalu.length < 4) throw decodeError(`SPS of ${nalu.length} bytes is too short`);
    const type = nalu[0]! & 0x1f;
    if (type !== AvcNaluType.Sps) throw decodeError(`NAL type ${type} is not an SPS`);
    const rbsp = removeEmulationPrevention(nalu.subarray(1));
    const br = new BitReader(rbsp);
    const profileIdc = br.bits(8);
    const constraintFlags = br.bits(8);
    const levelIdc = br.bits(8);
    const spsId = br.ue();
    if (spsId > 31) throw decodeError(`seq_parameter_set_id ${spsId} > 31`);

    let chromaFormatIdc = 1;
    let separateColourPlane = false;
    let bitDepthLuma = 8;
    let bitDepthChroma = 8;
    if (HIGH_PROFILES.has(profileIdc)) {
      chromaFormatIdc = br.ue();
      if (chromaFormatIdc > 3) throw decodeError(`chroma_format_idc ${chromaFormatIdc} > 3`);
      if (chromaFormatIdc === 3) separateColourPlane = br.bool();
      bitDepthLuma = br.ue() + 8;
      bitDepthChroma = br.ue() + 8;
      if (bitDepthLuma > 14 || bitDepthChroma > 14) throw decodeError(`bit depth ${bitDepthLuma}/${bitDepthChroma} > 14`);
      br.skip(1); // qpprime_y_zero_transform_bypass_flag
      if (br.bool()) {
        // seq_scaling_matrix_present_flag
        const lists = chromaFormatIdc !== 3 ? 8 : 12;
        for (let i = 0; i < lists; i++) {
          if (br.bool()) skipScalingList(br, i < 6 ? 16 : 64);
        }
      }
    }

    const log2MaxFrameNumMinus4 = br.ue();
    if (log2MaxFrameNumMinus4 > 12) throw decodeError(`log2_max_frame_num_minus4 ${log2MaxFrameNumMinus4} > 12`);
    const picOrderCntType = br.ue();
    if (picOrderCntType === 0) {
      const log2MaxPocLsbMinus4 = br.ue();
      if (log2MaxPocLsbMinus4 > 12) throw decodeError(`log2_max_pic_order_cnt_lsb_minus4 ${log2MaxPocLsbMinus4} > 12`);
    } else if (picOrderCntType === 1) {
      br.skip(1); // delta_pic_order_always_zero_flag
      br.se(); // offset_for_non_ref_pic
      br.se(); // offset_for_top_to_bottom_field
      const cycle = br.ue();
      if (cycle > 255) throw decodeError(`num_ref_frames_in_pic_order_cnt_cycle ${cycle} > 255`);
      for (let i = 0; i < cycle; i++) br.se();
    } else if (picOrderCntType !== 2) {
      throw decodeError(`pic_order_cnt_type ${picOrderCntType} > 2`);
    }
    br.ue(); // max_num_ref_frames
    br.skip(1); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = br.ue() + 1;
    const heightMapUnits = br.ue() + 1;
    if (widthMbs > MAX_MBS || heightMapUnits > MAX_MBS) throw decodeError(`picture of ${widthMbs}x${heightMapUnits} macroblocks`);
    const frameMbsOnly = br.bool();
    if (!frameMbsOnly) br.skip(1); // mb_adaptive_frame_field_flag
    br.skip(1); // direct_8x8_inference_flag

    const codedWidth = widthMbs * 16;
    const codedHeight = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16;
    let crop = { left: 0, right: 0, top: 0, bottom: 0 };
    if (br.bool()) {
      // frame_cropping_flag: offsets are in crop units (7.4.2.1.1, equations 7-19..7-22).
      const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
      const subWidthC = chromaArrayType === 3 ? 1 : 2;
      const subHeightC = chromaArrayType === 1 ? 2 : 1;
      const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
      const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
      const left = br.ue();
      const right = br.ue();
      const top = br.ue();
      const bottom = br.ue();
      crop = { left: left * cropUnitX, right: right * cropUnitX, top: top * cropUnitY, bottom: bottom * cropUnitY };
    }
    const width = codedWidth - crop.left - crop.right;
    const height = codedHeight - crop.top - crop.bottom;
    if (width <= 0 || height <= 0) throw decodeError(`cropping leaves ${width}x${height} of ${codedWidth}x${codedHeight}`);
    // VUI (timing, aspect ratio) is not needed for what the server reports.

    return {
      profileIdc,
      constraintFlags,
      levelIdc,
      spsId,
      chromaFormatIdc,
      separateColourPlane,
      bitDepthLuma,
      bitDepthChroma,
      frameMbsOnly,
      codedWidth,
      codedHeight,
      crop,
      width,
      height,
      profileName: avcProfileName(profileIdc),
      levelName: avcLevelName(levelIdc),
    };
  });
}
