// NAL unit helpers shared by H.264 and H.265 (issue 12: the one codec library; this was
// format/mpegts/nalu.ts): NALU classification by codec, Annex-B splitting (start codes, as MPEG-TS carries
// it), and building decoder configuration records (ISO/IEC 14496-15 AVCDecoderConfigurationRecord
// §5.3.3.1, HEVCDecoderConfigurationRecord §8.3.3.1) from parameter sets found in a byte stream.
// Parsing records and splitting AVCC data live in h264.ts/h265.ts; like them, malformed input throws
// ProtocolError (the one contract of kernel/codec).

import { BitReader } from '../../core/bit-reader.js';
import { codecError } from './codec-error.js';
import { removeEmulationPrevention } from './h264.js';

export type NaluCodec = 'h264' | 'h265';

// H.264 nal_unit_type (Table 7-1).
export const H264_NAL_IDR = 5;
export const H264_NAL_SPS = 7;
export const H264_NAL_PPS = 8;
export const H264_NAL_AUD = 9;
// H.265 nal_unit_type (Table 7-1).
export const H265_NAL_IRAP_FIRST = 16;
export const H265_NAL_IRAP_LAST = 23;
export const H265_NAL_VPS = 32;
export const H265_NAL_SPS = 33;
export const H265_NAL_PPS = 34;
export const H265_NAL_AUD = 35;

export function naluType(codec: NaluCodec, firstByte: number): number {
  return codec === 'h264' ? firstByte & 0x1f : (firstByte >> 1) & 0x3f;
}

/** Picture data (VCL) rather than parameter sets, SEI or delimiters. */
export function isVcl(codec: NaluCodec, type: number): boolean {
  return codec === 'h264' ? type >= 1 && type <= 5 : type <= 31;
}

/** IDR (H.264) or IRAP: BLA/IDR/CRA (H.265): a point where decoding can start. */
export function isRandomAccess(codec: NaluCodec, type: number): boolean {
  return codec === 'h264' ? type === H264_NAL_IDR : type >= H265_NAL_IRAP_FIRST && type <= H265_NAL_IRAP_LAST;
}

export function isParameterSet(codec: NaluCodec, type: number): boolean {
  return codec === 'h264'
    ? type === H264_NAL_SPS || type === H264_NAL_PPS
    : type === H265_NAL_VPS || type === H265_NAL_SPS || type === H265_NAL_PPS;
}

export function isAud(codec: NaluCodec, type: number): boolean {
  return codec === 'h264' ? type === H264_NAL_AUD : type === H265_NAL_AUD;
}

const START_CODE = Buffer.from([0, 0, 1]);

/**
 * Split an Annex-B byte stream (H.264 Annex B / H.265 Annex B) into NALU views. Bytes before the first
 * start code are dropped; trailing zero bytes of each NALU (the next start code's zero_byte, or
 * trailing_zero_8bits) are trimmed.
 */
export function splitAnnexB(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let sc = data.indexOf(START_CODE, 0);
  while (sc >= 0) {
    const begin = sc + 3;
    const next = data.indexOf(START_CODE, begin);
    let end = next < 0 ? data.length : next;
    while (end > begin && data[end - 1] === 0) end--;
    if (end > begin) out.push(data.subarray(begin, end));
    sc = next;
  }
  return out;
}

/** Profiles without the chroma/bit-depth tail in AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1.2). */
const AVC_PROFILES_WITHOUT_FORMAT = new Set([66, 77, 88]);
/** Profiles whose SPS carries chroma_format_idc and bit depths (H.264 §7.3.2.1.1). */
const AVC_PROFILES_WITH_CHROMA = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** chroma_format_idc and bit depths of an H.264 SPS (4:2:0 8-bit when not coded); null if unreadable. */
function parseAvcSpsFormat(sps: Uint8Array): [number, number, number] | null {
  if (!AVC_PROFILES_WITH_CHROMA.has(sps[1] ?? 0)) return [1, 0, 0];
  try {
    const br = new BitReader(removeEmulationPrevention(sps.subarray(4, 68))); // after NAL header, profile, flags, level
    br.ue(); // seq_parameter_set_id
    const chromaFormatIdc = br.ue();
    if (chromaFormatIdc === 3) br.skip(1); // separate_colour_plane_flag
    return [chromaFormatIdc, br.ue(), br.ue()];
  } catch {
    return null;
  }
}

/** AVCDecoderConfigurationRecord from one SPS and one PPS (profile/level copied from the SPS). */
export function buildAvcConfig(sps: Uint8Array, pps: Uint8Array): Buffer {
  const profile = sps[1] ?? 0;
  const format = AVC_PROFILES_WITHOUT_FORMAT.has(profile) ? null : parseAvcSpsFormat(sps);
  const rec = Buffer.allocUnsafe(11 + sps.length + pps.length + (format ? 4 : 0));
  rec[0] = 1; // configurationVersion
  rec[1] = profile; // AVCProfileIndication
  rec[2] = sps[2] ?? 0; // profile_compatibility
  rec[3] = sps[3] ?? 0; // AVCLevelIndication
  rec[4] = 0xff; // reserved(6) | lengthSizeMinusOne = 3
  rec[5] = 0xe1; // reserved(3) | numOfSequenceParameterSets = 1
  rec.writeUInt16BE(sps.length, 6);
  rec.set(sps, 8);
  let p = 8 + sps.length;
  rec[p++] = 1; // numOfPictureParameterSets
  rec.writeUInt16BE(pps.length, p);
  rec.set(pps, p + 2);
  p += 2 + pps.length;
  if (format) {
    rec[p] = 0xfc | (format[0] & 0x03); // reserved(6) | chroma_format
    rec[p + 1] = 0xf8 | (format[1] & 0x07); // reserved(5) | bit_depth_luma_minus8
    rec[p + 2] = 0xf8 | (format[2] & 0x07); // reserved(5) | bit_depth_chroma_minus8
    rec[p + 3] = 0; // numOfSequenceParameterSetExt
  }
  return rec;
}

interface HevcSpsInfo {
  /** general_profile_space .. general_level_idc: the 12 bytes the record copies verbatim. */
  generalPtl: Uint8Array;
  maxSubLayersMinus1: number;
  temporalIdNesting: number;
  chromaFormatIdc: number;
  bitDepthLumaMinus8: number;
  bitDepthChromaMinus8: number;
}

/** H.265 §7.3.2.2: read just what the configuration record needs. */
function parseHevcSps(sps: Uint8Array): HevcSpsInfo {
  // 2-byte NAL header, then enough RBSP for the fields below (profile_tier_level is at most ~100 bytes).
  const rbsp = removeEmulationPrevention(sps.subarray(2, 258));
  if (rbsp.length < 13) throw codecError('h265', 'short SPS');
  const maxSubLayersMinus1 = (rbsp[0]! >> 1) & 0x07;
  const temporalIdNesting = rbsp[0]! & 0x01;
  const generalPtl = rbsp.slice(1, 13);
  const br = new BitReader(rbsp);
  br.skip(8 + 96); // first byte + general profile_tier_level
  const profilePresent: number[] = [];
  const levelPresent: number[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(br.bit());
    levelPresent.push(br.bit());
  }
  if (maxSubLayersMinus1 > 0) br.skip(2 * (8 - maxSubLayersMinus1));
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) br.skip(88);
    if (levelPresent[i]) br.skip(8);
  }
  br.ue(); // sps_seq_parameter_set_id
  const chromaFormatIdc = br.ue();
  if (chromaFormatIdc === 3) br.skip(1); // separate_colour_plane_flag
  br.ue(); // pic_width_in_luma_samples
  br.ue(); // pic_height_in_luma_samples
  if (br.bit()) {
    br.ue();
    br.ue();
    br.ue();
    br.ue(); // conformance window offsets
  }
  const bitDepthLumaMinus8 = br.ue();
  const bitDepthChromaMinus8 = br.ue();
  return { generalPtl, maxSubLayersMinus1, temporalIdNesting, chromaFormatIdc, bitDepthLumaMinus8, bitDepthChromaMinus8 };
}

/** HEVCDecoderConfigurationRecord from one VPS, SPS and PPS. */
export function buildHevcConfig(vps: Uint8Array, sps: Uint8Array, pps: Uint8Array): Buffer {
  let info: HevcSpsInfo;
  try {
    info = parseHevcSps(sps);
  } catch {
    // An SPS we cannot read still goes into the record; decoders parse the arrays, not these summaries.
    info = {
      generalPtl: new Uint8Array(12),
      maxSubLayersMinus1: 0,
      temporalIdNesting: 0,
      chromaFormatIdc: 1,
      bitDepthLumaMinus8: 0,
      bitDepthChromaMinus8: 0,
    };
  }
  const sets = [vps, sps, pps];
  const rec = Buffer.allocUnsafe(23 + 3 * 5 + vps.length + sps.length + pps.length);
  rec[0] = 1; // configurationVersion
  rec.set(info.generalPtl, 1); // profile_space/tier/profile_idc, compatibility flags, constraint flags, level
  rec.writeUInt16BE(0xf000, 13); // reserved(4) | min_spatial_segmentation_idc = 0
  rec[15] = 0xfc; // reserved(6) | parallelismType = 0 (unknown)
  rec[16] = 0xfc | (info.chromaFormatIdc & 0x03);
  rec[17] = 0xf8 | (info.bitDepthLumaMinus8 & 0x07);
  rec[18] = 0xf8 | (info.bitDepthChromaMinus8 & 0x07);
  rec.writeUInt16BE(0, 19); // avgFrameRate unspecified
  // constantFrameRate(2)=0 | numTemporalLayers(3) | temporalIdNested(1) | lengthSizeMinusOne(2)=3
  rec[21] = (((info.maxSubLayersMinus1 + 1) & 0x07) << 3) | ((info.temporalIdNesting & 1) << 2) | 0x03;
  rec[22] = 3; // numOfArrays
  let p = 23;
  for (let i = 0; i < 3; i++) {
    const nalu = sets[i]!;
    rec[p] = 0x80 | (H265_NAL_VPS + i); // array_completeness = 1 | reserved 0 | NAL_unit_type
    rec.writeUInt16BE(1, p + 1);
    rec.writeUInt16BE(nalu.length, p + 3);
    rec.set(nalu, p + 5);
    p += 5 + nalu.length;
  }
  return rec;
}
