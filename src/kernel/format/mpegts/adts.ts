// Private AAC helpers for the TS muxer/demuxer: AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) and the
// ADTS header (ISO/IEC 13818-7 §6.2 / 14496-3 §1.A.2). Kept here until kernel/codec/aac lands.

export const AAC_SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
] as const;

export interface AacConfig {
  /** MPEG-4 audioObjectType (2 = AAC-LC, 5 = SBR, 29 = PS). */
  readonly objectType: number;
  /** Index into AAC_SAMPLE_RATES of the core (not SBR-extended) sampling frequency. */
  readonly samplingFrequencyIndex: number;
  readonly channelConfiguration: number;
}

/** Parse the leading fields of an AudioSpecificConfig. Null if too short or the rate is explicit/invalid. */
export function parseAudioSpecificConfig(asc: Uint8Array): AacConfig | null {
  if (asc.length < 2) return null;
  let bitPos = 0;
  const bits = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = bitPos >> 3;
      if (byte >= asc.length) throw new RangeError('asc overrun');
      v = (v << 1) | ((asc[byte]! >> (7 - (bitPos & 7))) & 1);
      bitPos++;
    }
    return v;
  };
  try {
    let objectType = bits(5);
    if (objectType === 31) objectType = 32 + bits(6);
    const samplingFrequencyIndex = bits(4);
    // An explicit 24-bit frequency cannot be expressed in ADTS.
    if (samplingFrequencyIndex >= AAC_SAMPLE_RATES.length) return null;
    const channelConfiguration = bits(4);
    return { objectType, samplingFrequencyIndex, channelConfiguration };
  } catch {
    return null;
  }
}

/**
 * ADTS profile (2 bits) for an audioObjectType, as SRS's srs_aac_rtmp2ts: Main → 0, LC/HE/HEv2 → 1
 * (SBR/PS are signalled implicitly), SSR → 2; anything else is carried as LC.
 */
export function adtsProfile(objectType: number): number {
  if (objectType === 1) return 0;
  if (objectType === 3) return 2;
  if (objectType === 4) return 3;
  return 1;
}

/** Largest raw AAC frame an ADTS header without CRC can describe (13-bit frame_length). */
export const ADTS_MAX_RAW = 0x1fff - 7;

/** Write a 7-byte ADTS header (no CRC) for a raw frame of `rawLength` bytes at buf[off]. */
export function writeAdtsHeader(buf: Uint8Array, off: number, cfg: AacConfig, rawLength: number): void {
  const frameLength = rawLength + 7;
  const profile = adtsProfile(cfg.objectType);
  const ch = cfg.channelConfiguration & 0x07;
  buf[off] = 0xff; // syncword
  buf[off + 1] = 0xf1; // syncword | ID=0 (MPEG-4) | layer=00 | protection_absent=1
  buf[off + 2] = (profile << 6) | ((cfg.samplingFrequencyIndex & 0x0f) << 2) | (ch >> 2);
  buf[off + 3] = ((ch & 0x03) << 6) | ((frameLength >> 11) & 0x03);
  buf[off + 4] = (frameLength >> 3) & 0xff;
  buf[off + 5] = ((frameLength & 0x07) << 5) | 0x1f; // adts_buffer_fullness = 0x7FF (VBR)
  buf[off + 6] = 0xfc; // buffer fullness low bits | number_of_raw_data_blocks_in_frame = 0
}

/** AudioSpecificConfig (2 bytes) for an ADTS profile/rate/channels. */
export function audioSpecificConfigFromAdts(profile: number, samplingFrequencyIndex: number, channels: number): Buffer {
  const objectType = profile + 1;
  return Buffer.from([
    (objectType << 3) | ((samplingFrequencyIndex >> 1) & 0x07),
    ((samplingFrequencyIndex & 0x01) << 7) | ((channels & 0x0f) << 3),
  ]);
}

export interface AdtsFrame {
  readonly profile: number;
  readonly samplingFrequencyIndex: number;
  readonly channelConfiguration: number;
  /** Raw AAC data (view). */
  readonly raw: Buffer;
}

/**
 * Split an ADTS stream (one PES payload) into raw frames (views). Bytes that are not a valid header are
 * skipped to the next syncword; a truncated last frame is dropped.
 */
export function splitAdts(data: Buffer): AdtsFrame[] {
  const out: AdtsFrame[] = [];
  let i = 0;
  while (i + 7 <= data.length) {
    // syncword 0xFFF and layer '00'.
    if (data[i] !== 0xff || (data[i + 1]! & 0xf6) !== 0xf0) {
      i++;
      continue;
    }
    const protectionAbsent = data[i + 1]! & 0x01;
    const headerLength = protectionAbsent ? 7 : 9;
    const profile = data[i + 2]! >> 6;
    const samplingFrequencyIndex = (data[i + 2]! >> 2) & 0x0f;
    const channelConfiguration = ((data[i + 2]! & 0x01) << 2) | (data[i + 3]! >> 6);
    const frameLength = ((data[i + 3]! & 0x03) << 11) | (data[i + 4]! << 3) | (data[i + 5]! >> 5);
    if (samplingFrequencyIndex >= AAC_SAMPLE_RATES.length || frameLength < headerLength) {
      i++;
      continue;
    }
    if (i + frameLength > data.length) break;
    if (frameLength > headerLength) {
      out.push({ profile, samplingFrequencyIndex, channelConfiguration, raw: data.subarray(i + headerLength, i + frameLength) });
    }
    i += frameLength;
  }
  return out;
}
