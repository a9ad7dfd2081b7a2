// H.265/HEVC: the HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1) carried by FLV/RTMP
// sequence headers (legacy CodecID 12 or Enhanced RTMP "hvc1") and by MP4 hvcC boxes, and the SPS
// (ITU-T H.265 7.3.2.2) for picture size. Names follow SRS's srs_hevc_profile2str/srs_hevc_level2str.

import { BitReader } from '../../core/bit-reader.js';
import { ByteReader } from '../../core/byte-reader.js';
import { codecError, withCodecErrors } from './codec-error.js';
import { removeEmulationPrevention } from './h264.js';

function decodeError(message: string) {
  return codecError('h265', message);
}

/** nal_unit_type values used in parameter-set arrays and for keyframe detection (H.265 Table 7-1). */
export const HevcNaluType = {
  BlaWLp: 16,
  BlaWRadl: 17,
  BlaNLp: 18,
  IdrWRadl: 19,
  IdrNLp: 20,
  Cra: 21,
  Vps: 32,
  Sps: 33,
  Pps: 34,
  AccessUnitDelimiter: 35,
  EoSequence: 36,
  EoBitstream: 37,
  FillerData: 38,
  PrefixSei: 39,
  SuffixSei: 40,
} as const;

/** nal_unit_type of an HEVC NAL unit (bits 1..6 of its first byte). */
export function hevcNaluType(nalu: Uint8Array): number {
  if (nalu.length < 2) throw decodeError('NAL unit shorter than its 2-byte header');
  return (nalu[0]! >> 1) & 0x3f;
}

/** True for IRAP pictures (BLA, IDR, CRA: types 16..23), where a decoder can start. */
export function hevcIsIrap(type: number): boolean {
  return type >= 16 && type <= 23;
}

const PROFILE_NAMES: Record<number, string> = { 1: 'Main', 2: 'Main10', 3: 'Main Still Picture', 4: 'Rext' };

/** SRS's name for general_profile_idc: "Main", "Main10", "Main Still Picture", "Rext", or "Other". */
export function hevcProfileName(profileIdc: number): string {
  return PROFILE_NAMES[profileIdc] ?? 'Other';
}

const LEVEL_NAMES: Record<number, string> = {
  30: '1',
  60: '2',
  63: '2.1',
  90: '3',
  93: '3.1',
  120: '4',
  123: '4.1',
  150: '5',
  153: '5.1',
  156: '5.2',
  180: '6',
  183: '6.1',
  186: '6.2',
};

/** SRS's name for general_level_idc (30 × level): "3.1" for 93, …, "Other". */
export function hevcLevelName(levelIdc: number): string {
  return LEVEL_NAMES[levelIdc] ?? 'Other';
}

export interface HevcNaluArray {
  readonly arrayCompleteness: boolean;
  readonly naluType: number;
  /** NAL units (views into the input). */
  readonly nalus: Buffer[];
}

export interface HevcDecoderConfigurationRecord {
  readonly configurationVersion: number;
  readonly generalProfileSpace: number;
  readonly generalTierFlag: boolean;
  readonly generalProfileIdc: number;
  readonly generalProfileCompatibilityFlags: number;
  /** The 48 constraint indicator bits, as 6 bytes (a view into the input). */
  readonly generalConstraintIndicatorFlags: Buffer;
  readonly generalLevelIdc: number;
  readonly minSpatialSegmentationIdc: number;
  readonly parallelismType: number;
  readonly chromaFormat: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly avgFrameRate: number;
  readonly constantFrameRate: number;
  readonly numTemporalLayers: number;
  readonly temporalIdNested: boolean;
  /** Bytes in each NALU length prefix of the coded frames: 1, 2 or 4. */
  readonly naluLengthSize: 1 | 2 | 4;
  readonly arrays: HevcNaluArray[];
  /** Convenience views of the parameter sets found in `arrays`. */
  readonly vps: Buffer[];
  readonly sps: Buffer[];
  readonly pps: Buffer[];
}

/** Parses an HEVCDecoderConfigurationRecord (FLV sequence header body after its tag header, or hvcC). */
export function parseHevcDecoderConfigurationRecord(data: Buffer): HevcDecoderConfigurationRecord {
  return withCodecErrors('h265', () => {
    const r = new ByteReader(data);
    const configurationVersion = r.u8();
    // Version 0 was written by some early muxers (e.g. old x265 builds); its layout is the same.
    if (configurationVersion > 1) throw decodeError(`configurationVersion ${configurationVersion}, want 1`);
    const b1 = r.u8();
    const generalProfileCompatibilityFlags = r.u32();
    const generalConstraintIndicatorFlags = r.bytes(6);
    const generalLevelIdc = r.u8();
    const minSpatialSegmentationIdc = r.u16() & 0x0fff;
    const parallelismType = r.u8() & 0x03;
    const chromaFormat = r.u8() & 0x03;
    const bitDepthLuma = (r.u8() & 0x07) + 8;
    const bitDepthChroma = (r.u8() & 0x07) + 8;
    const avgFrameRate = r.u16();
    const b21 = r.u8();
    const lengthSizeMinusOne = b21 & 0x03;
    if (lengthSizeMinusOne === 2) throw decodeError('lengthSizeMinusOne 2 (3-byte NALU lengths) is not allowed');
    const numArrays = r.u8();
    const arrays: HevcNaluArray[] = [];
    const vps: Buffer[] = [];
    const sps: Buffer[] = [];
    const pps: Buffer[] = [];
    for (let i = 0; i < numArrays; i++) {
      const h = r.u8();
      const naluType = h & 0x3f;
      const numNalus = r.u16();
      const nalus: Buffer[] = [];
      for (let j = 0; j < numNalus; j++) nalus.push(r.bytes(r.u16()));
      arrays.push({ arrayCompleteness: (h & 0x80) !== 0, naluType, nalus });
      if (naluType === HevcNaluType.Vps) vps.push(...nalus);
      else if (naluType === HevcNaluType.Sps) sps.push(...nalus);
      else if (naluType === HevcNaluType.Pps) pps.push(...nalus);
    }
    return {
      configurationVersion,
      generalProfileSpace: b1 >> 6,
      generalTierFlag: (b1 & 0x20) !== 0,
      generalProfileIdc: b1 & 0x1f,
      generalProfileCompatibilityFlags,
      generalConstraintIndicatorFlags,
      generalLevelIdc,
      minSpatialSegmentationIdc,
      parallelismType,
      chromaFormat,
      bitDepthLuma,
      bitDepthChroma,
      avgFrameRate,
      constantFrameRate: b21 >> 6,
      numTemporalLayers: (b21 >> 3) & 0x07,
      temporalIdNested: (b21 & 0x04) !== 0,
      naluLengthSize: (lengthSizeMinusOne + 1) as 1 | 2 | 4,
      arrays,
      vps,
      sps,
      pps,
    };
  });
}

export interface HevcSps {
  readonly vpsId: number;
  readonly maxSubLayers: number;
  readonly spsId: number;
  readonly generalProfileSpace: number;
  readonly generalTierFlag: boolean;
  readonly generalProfileIdc: number;
  readonly generalLevelIdc: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  readonly chromaFormatIdc: number;
  readonly separateColourPlane: boolean;
  /** pic_width/height_in_luma_samples. */
  readonly codedWidth: number;
  readonly codedHeight: number;
  /** Conformance window in luma samples. */
  readonly conformanceWindow: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  /** Displayed size (coded size minus the conformance window). */
  readonly width: number;
  readonly height: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly profileName: string;
  readonly levelName: string;
}

const MAX_LUMA_SIDE = 1 << 20;

/** Parses an SPS NAL unit (with its 2-byte NAL header) up to the bit depths. */
export function parseHevcSps(nalu: Uint8Array): HevcSps {
  return withCodecErrors('h265', () => {
    if (nalu.length < 3) throw decodeError(`SPS of ${nalu.length} bytes is too short`);
    const type = (nalu[0]! >> 1) & 0x3f;
    if (type !== HevcNaluType.Sps) throw decodeError(`NAL type ${type} is not an SPS`);
    const br = new BitReader(removeEmulationPrevention(nalu.subarray(2)));
    const vpsId = br.bits(4);
    const maxSubLayersMinus1 = br.bits(3);
    if (maxSubLayersMinus1 > 6) throw decodeError(`sps_max_sub_layers_minus1 ${maxSubLayersMinus1} > 6`);
    br.skip(1); // sps_temporal_id_nesting_flag

    // profile_tier_level(1, sps_max_sub_layers_minus1), 7.3.3
    const generalProfileSpace = br.bits(2);
    const generalTierFlag = br.bool();
    const generalProfileIdc = br.bits(5);
    br.skip(32); // general_profile_compatibility_flag[32]
    br.skip(4); // progressive, interlaced, non_packed, frame_only
    br.skip(43 + 1); // constraint flags / reserved, then general_inbld_flag or reserved
    const generalLevelIdc = br.bits(8);
    const subProfilePresent: boolean[] = [];
    const subLevelPresent: boolean[] = [];
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      subProfilePresent.push(br.bool());
      subLevelPresent.push(br.bool());
    }
    if (maxSubLayersMinus1 > 0) br.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      if (subProfilePresent[i]) br.skip(88);
      if (subLevelPresent[i]) br.skip(8);
    }

    const spsId = br.ue();
    if (spsId > 15) throw decodeError(`sps_seq_parameter_set_id ${spsId} > 15`);
    const chromaFormatIdc = br.ue();
    if (chromaFormatIdc > 3) throw decodeError(`chroma_format_idc ${chromaFormatIdc} > 3`);
    const separateColourPlane = chromaFormatIdc === 3 ? br.bool() : false;
    const codedWidth = br.ue();
    const codedHeight = br.ue();
    if (codedWidth === 0 || codedHeight === 0 || codedWidth > MAX_LUMA_SIDE || codedHeight > MAX_LUMA_SIDE) {
      throw decodeError(`picture of ${codedWidth}x${codedHeight} luma samples`);
    }
    let conformanceWindow = { left: 0, right: 0, top: 0, bottom: 0 };
    if (br.bool()) {
      // Offsets are in chroma sample units (7.4.3.2.1): SubWidthC/SubHeightC from Table 6-1.
      const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
      const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
      const subHeightC = chromaArrayType === 1 ? 2 : 1;
      const left = br.ue();
      const right = br.ue();
      const top = br.ue();
      const bottom = br.ue();
      conformanceWindow = { left: left * subWidthC, right: right * subWidthC, top: top * subHeightC, bottom: bottom * subHeightC };
    }
    const width = codedWidth - conformanceWindow.left - conformanceWindow.right;
    const height = codedHeight - conformanceWindow.top - conformanceWindow.bottom;
    if (width <= 0 || height <= 0) throw decodeError(`conformance window leaves ${width}x${height} of ${codedWidth}x${codedHeight}`);
    const bitDepthLuma = br.ue() + 8;
    const bitDepthChroma = br.ue() + 8;
    if (bitDepthLuma > 16 || bitDepthChroma > 16) throw decodeError(`bit depth ${bitDepthLuma}/${bitDepthChroma} > 16`);

    return {
      vpsId,
      maxSubLayers: maxSubLayersMinus1 + 1,
      spsId,
      generalProfileSpace,
      generalTierFlag,
      generalProfileIdc,
      generalLevelIdc,
      chromaFormatIdc,
      separateColourPlane,
      codedWidth,
      codedHeight,
      conformanceWindow,
      width,
      height,
      bitDepthLuma,
      bitDepthChroma,
      profileName: hevcProfileName(generalProfileIdc),
      levelName: hevcLevelName(generalLevelIdc),
    };
  });
}
