// AAC: AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), carried by FLV/RTMP AAC sequence headers and MP4
// esds, and the ADTS header (ISO/IEC 14496-3 1.A.2.2 / 13818-7 6.2) that raw AAC frames need in MPEG-TS.

import { BitReader } from '../../core/bit-reader.js';
import { codecError, withCodecErrors } from './codec-error.js';

function decodeError(message: string) {
  return codecError('aac', message);
}

/** samplingFrequencyIndex → Hz (Table 1.18); 13 and 14 are reserved, 15 means "explicit 24-bit rate". */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** Audio object types the server names (Table 1.1). */
export const AacObjectType = { Main: 1, Lc: 2, Ssr: 3, Ltp: 4, Sbr: 5, Ps: 29 } as const;

/** SRS's srs_aac_object2str: 1 "Main", 2 "LC", 3 "SSR", 5 "HE", 29 "HEv2", else "Other". */
export function aacProfileName(objectType: number): string {
  switch (objectType) {
    case AacObjectType.Main:
      return 'Main';
    case AacObjectType.Lc:
      return 'LC';
    case AacObjectType.Ssr:
      return 'SSR';
    case AacObjectType.Sbr:
      return 'HE';
    case AacObjectType.Ps:
      return 'HEv2';
    default:
      return 'Other';
  }
}

export interface AudioSpecificConfig {
  /** audioObjectType as signalled first (5 = HE-AAC / SBR, 29 = HEv2 / PS with explicit signalling). */
  readonly objectType: number;
  /** samplingFrequencyIndex (15 when the rate is explicit). */
  readonly sampleRateIndex: number;
  /** Sampling rate of the core (AAC) decoder, Hz. */
  readonly sampleRate: number;
  /** channelConfiguration (0 = defined in a program config element; 1..7 per Table 1.19). */
  readonly channelConfiguration: number;
  /** Channel count for channelConfiguration 1..7 (7 is 7.1 = 8 channels); 0 when not known. */
  readonly channels: number;
  /** The core object type (2 for HE-AAC), which ADTS carries. */
  readonly coreObjectType: number;
  /** SBR present (explicitly, or implicitly via a sync extension). */
  readonly sbr: boolean;
  /** Parametric stereo present. */
  readonly ps: boolean;
  /** Output rate when SBR doubles it, else equal to sampleRate. */
  readonly extensionSampleRate: number;
  /** SRS's profile name for `objectType` ("LC", "HE", "HEv2", …). */
  readonly profileName: string;
}

function readObjectType(br: BitReader): number {
  const t = br.bits(5);
  return t === 31 ? 32 + br.bits(6) : t;
}

function readSampleRate(br: BitReader): { index: number; rate: number } {
  const index = br.bits(4);
  if (index === 0x0f) {
    const rate = br.bits(24);
    if (rate === 0) throw decodeError('explicit sampling frequency 0');
    return { index, rate };
  }
  const rate = AAC_SAMPLE_RATES[index];
  if (rate === undefined) throw decodeError(`reserved samplingFrequencyIndex ${index}`);
  return { index, rate };
}

const CHANNELS_BY_CONFIG = [0, 1, 2, 3, 4, 5, 6, 8];

/** Object types whose config is a GASpecificConfig (Table 1.15), needed to reach the sync extension. */
const GA_OBJECT_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

/**
 * Parses an AudioSpecificConfig (the FLV AAC sequence header body after its 2-byte tag header).
 * Handles escaped object types, explicit 24-bit rates, explicit SBR/PS (types 5 and 29) and, for plain
 * AAC with channelConfiguration 1..7, implicit backward-compatible SBR/PS signalling (sync extension 0x2b7).
 */
export function parseAudioSpecificConfig(data: Uint8Array): AudioSpecificConfig {
  return withCodecErrors('aac', () => {
    if (data.length < 2) throw decodeError(`AudioSpecificConfig of ${data.length} bytes is too short`);
    const br = new BitReader(data);
    const objectType = readObjectType(br);
    if (objectType === 0) throw decodeError('audioObjectType 0 (null object)');
    const base = readSampleRate(br);
    const channelConfiguration = br.bits(4);
    if (channelConfiguration > 7) throw decodeError(`reserved channelConfiguration ${channelConfiguration}`);

    let coreObjectType = objectType;
    let sbr = false;
    let ps = false;
    let extensionSampleRate = base.rate;
    if (objectType === AacObjectType.Sbr || objectType === AacObjectType.Ps) {
      sbr = true;
      ps = objectType === AacObjectType.Ps;
      extensionSampleRate = readSampleRate(br).rate;
      coreObjectType = readObjectType(br);
    } else if (GA_OBJECT_TYPES.has(objectType) && channelConfiguration !== 0) {
      // GASpecificConfig (4.4.1): frameLengthFlag, dependsOnCoreCoder (+coreCoderDelay), extensionFlag.
      // Parsing stops (without error) where optional data would need a program config element.
      br.skip(1);
      if (br.bool()) br.skip(14);
      const extensionFlag = br.bool();
      if (objectType === 6 || objectType === 20) br.skip(3); // layerNr
      if (extensionFlag) {
        if (objectType === 22) br.skip(16); // numOfSubFrame, layer_length
        if (objectType === 17 || objectType === 19 || objectType === 20 || objectType === 23) br.skip(3);
        br.skip(1); // extensionFlag3
      }
      // Implicit signalling (1.6.6.2): syncExtensionType 0x2b7, extensionAudioObjectType 5, sbrPresentFlag.
      if (br.bitsLeft >= 16 && br.bits(11) === 0x2b7) {
        const extType = readObjectType(br);
        if (extType === AacObjectType.Sbr && br.bitsLeft >= 1 && br.bool()) {
          sbr = true;
          extensionSampleRate = readSampleRate(br).rate;
          if (br.bitsLeft >= 12 && br.bits(11) === 0x548) ps = br.bool();
        }
      }
    }

    return {
      objectType,
      sampleRateIndex: base.index,
      sampleRate: base.rate,
      channelConfiguration,
      channels: CHANNELS_BY_CONFIG[channelConfiguration]!,
      coreObjectType,
      sbr,
      ps,
      extensionSampleRate,
      profileName: aacProfileName(objectType),
    };
  });
}

/** Bytes in an ADTS header without CRC. */
export const ADTS_HEADER_SIZE = 7;

/**
 * Writes a 7-byte ADTS header (no CRC, one raw data block) for a raw AAC frame of `frameLength` bytes,
 * into `out` at `offset` when given, else into a new buffer; returns the 7 bytes written (a view of `out`).
 * HE-AAC configs are written with their core profile (LC) and core rate, as SRS and ffmpeg do.
 * Throws ProtocolError when the config cannot be expressed in ADTS.
 */
export function adtsHeader(asc: AudioSpecificConfig, frameLength: number, out?: Buffer, offset = 0): Buffer {
  const objectType = asc.coreObjectType;
  if (objectType < 1 || objectType > 4) throw decodeError(`object type ${objectType} has no ADTS profile`);
  let rateIndex = asc.sampleRateIndex;
  if (rateIndex === 0x0f) {
    rateIndex = AAC_SAMPLE_RATES.indexOf(asc.sampleRate);
    if (rateIndex < 0) throw decodeError(`sampling rate ${asc.sampleRate} has no ADTS index`);
  }
  const total = ADTS_HEADER_SIZE + frameLength;
  if (!Number.isInteger(frameLength) || frameLength < 0 || total > 0x1fff) {
    throw decodeError(`frame of ${frameLength} bytes does not fit ADTS (max ${0x1fff - ADTS_HEADER_SIZE})`);
  }
  if (out !== undefined && (offset < 0 || out.length - offset < ADTS_HEADER_SIZE)) {
    throw new RangeError(`adtsHeader: no room for ${ADTS_HEADER_SIZE} bytes at ${offset} in ${out.length}`);
  }
  const b = out ?? Buffer.allocUnsafe(ADTS_HEADER_SIZE);
  const profile = objectType - 1;
  const ch = asc.channelConfiguration;
  b[offset] = 0xff; // syncword 0xFFF
  b[offset + 1] = 0xf1; // syncword, ID 0 (MPEG-4), layer 00, protection_absent 1
  b[offset + 2] = (profile << 6) | (rateIndex << 2) | (ch >> 2); // private_bit 0
  b[offset + 3] = ((ch & 3) << 6) | (total >> 11); // original/copy, home, copyright bits 0
  b[offset + 4] = (total >> 3) & 0xff;
  b[offset + 5] = ((total & 7) << 5) | 0x1f; // adts_buffer_fullness 0x7FF (VBR)
  b[offset + 6] = 0xfc; // buffer fullness low bits, number_of_raw_data_blocks_in_frame 0
  return b.subarray(offset, offset + ADTS_HEADER_SIZE);
}

export interface AdtsHeader {
  readonly mpegVersion: 2 | 4;
  readonly protectionAbsent: boolean;
  readonly objectType: number;
  readonly sampleRateIndex: number;
  readonly sampleRate: number;
  readonly channelConfiguration: number;
  /** Whole frame, header included. */
  readonly frameLength: number;
  /** Header bytes (7, or 9 with CRC). */
  readonly headerLength: number;
  readonly rawDataBlocks: number;
}

/** Parses the ADTS header at `offset` (for TS ingest and tests). */
export function parseAdtsHeader(data: Uint8Array, offset = 0): AdtsHeader {
  if (offset < 0 || data.length - offset < ADTS_HEADER_SIZE) throw decodeError('truncated ADTS header');
  const b = (i: number) => data[offset + i]!;
  if (b(0) !== 0xff || (b(1) & 0xf0) !== 0xf0) throw decodeError('bad ADTS syncword');
  const protectionAbsent = (b(1) & 1) === 1;
  const sampleRateIndex = (b(2) >> 2) & 0x0f;
  const sampleRate = AAC_SAMPLE_RATES[sampleRateIndex];
  if (sampleRate === undefined) throw decodeError(`reserved samplingFrequencyIndex ${sampleRateIndex}`);
  const frameLength = ((b(3) & 3) << 11) | (b(4) << 3) | (b(5) >> 5);
  const headerLength = protectionAbsent ? 7 : 9;
  if (frameLength < headerLength) throw decodeError(`ADTS frame_length ${frameLength} < header ${headerLength}`);
  return {
    mpegVersion: (b(1) & 0x08) !== 0 ? 2 : 4,
    protectionAbsent,
    objectType: (b(2) >> 6) + 1,
    sampleRateIndex,
    sampleRate,
    channelConfiguration: ((b(2) & 1) << 2) | (b(3) >> 6),
    frameLength,
    headerLength,
    rawDataBlocks: (b(6) & 3) + 1,
  };
}

/** Largest raw AAC frame an ADTS header without CRC can describe (13-bit frame_length). */
export const ADTS_MAX_RAW = 0x1fff - ADTS_HEADER_SIZE;

/** AudioSpecificConfig (2 bytes) for an ADTS profile (object type - 1), rate index and channel configuration. */
export function audioSpecificConfigFromAdts(profile: number, sampleRateIndex: number, channelConfiguration: number): Buffer {
  const objectType = profile + 1;
  return Buffer.from([
    (objectType << 3) | ((sampleRateIndex >> 1) & 0x07),
    ((sampleRateIndex & 0x01) << 7) | ((channelConfiguration & 0x0f) << 3),
  ]);
}

export interface AdtsFrame {
  /** ADTS profile: audio object type - 1. */
  readonly profile: number;
  readonly sampleRateIndex: number;
  readonly channelConfiguration: number;
  /** Raw AAC data (a view, no copy). */
  readonly raw: Buffer;
}

/**
 * Splits an ADTS stream (e.g. one TS PES payload) into raw frames (views). Bytes that are not a valid
 * header are skipped to the next syncword (a lossy transport resyncs rather than failing the stream);
 * a truncated last frame is dropped.
 */
export function splitAdts(data: Buffer): AdtsFrame[] {
  const out: AdtsFrame[] = [];
  let i = 0;
  while (i + ADTS_HEADER_SIZE <= data.length) {
    // syncword 0xFFF and layer '00'.
    if (data[i] !== 0xff || (data[i + 1]! & 0xf6) !== 0xf0) {
      i++;
      continue;
    }
    const headerLength = data[i + 1]! & 0x01 ? 7 : 9;
    const profile = data[i + 2]! >> 6;
    const sampleRateIndex = (data[i + 2]! >> 2) & 0x0f;
    const channelConfiguration = ((data[i + 2]! & 0x01) << 2) | (data[i + 3]! >> 6);
    const frameLength = ((data[i + 3]! & 0x03) << 11) | (data[i + 4]! << 3) | (data[i + 5]! >> 5);
    if (sampleRateIndex >= AAC_SAMPLE_RATES.length || frameLength < headerLength) {
      i++;
      continue;
    }
    if (i + frameLength > data.length) break;
    if (frameLength > headerLength) {
      out.push({ profile, sampleRateIndex, channelConfiguration, raw: data.subarray(i + headerLength, i + frameLength) });
    }
    i += frameLength;
  }
  return out;
}
