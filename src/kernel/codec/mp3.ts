// MPEG audio frame header (ISO/IEC 11172-3 2.4.1.3, ISO/IEC 13818-3 for the low sampling rates, and the
// unofficial MPEG 2.5 extension): enough to report MP3 streams and to step from frame to frame.

import { codecError } from './codec-error.js';

function decodeError(message: string) {
  return codecError('mp3', message);
}

export type MpegAudioVersion = 1 | 2 | 2.5;
export type MpegAudioLayer = 1 | 2 | 3;
export type MpegChannelMode = 'stereo' | 'joint-stereo' | 'dual-channel' | 'mono';

export interface MpegAudioFrameHeader {
  readonly version: MpegAudioVersion;
  readonly layer: MpegAudioLayer;
  /** A 16-bit CRC follows the header. */
  readonly crc: boolean;
  /** kbit/s; 0 for "free format" (frame length then unknown). */
  readonly bitrateKbps: number;
  readonly sampleRate: number;
  readonly padding: boolean;
  readonly channelMode: MpegChannelMode;
  readonly channels: 1 | 2;
  readonly samplesPerFrame: number;
  /** Whole frame in bytes, header included; 0 for free format. */
  readonly frameLength: number;
}

/** Bytes in an MPEG audio frame header. */
export const MPEG_AUDIO_HEADER_SIZE = 4;

// Bitrates in kbit/s by bitrate_index 1..14 (index 0 = free, 15 = bad).
const BITRATES_V1_L1 = [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448];
const BITRATES_V1_L2 = [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384];
const BITRATES_V1_L3 = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2_L1 = [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256];
const BITRATES_V2_L23 = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

const SAMPLE_RATES_V1 = [44100, 48000, 32000];
const CHANNEL_MODES: readonly MpegChannelMode[] = ['stereo', 'joint-stereo', 'dual-channel', 'mono'];

function bitrateTable(version: MpegAudioVersion, layer: MpegAudioLayer): number[] {
  if (version === 1) return layer === 1 ? BITRATES_V1_L1 : layer === 2 ? BITRATES_V1_L2 : BITRATES_V1_L3;
  return layer === 1 ? BITRATES_V2_L1 : BITRATES_V2_L23;
}

/** Parses the 4-byte frame header at `offset`. Throws ProtocolError on a bad sync word or reserved field. */
export function parseMpegAudioFrameHeader(data: Uint8Array, offset = 0): MpegAudioFrameHeader {
  if (offset < 0 || data.length - offset < MPEG_AUDIO_HEADER_SIZE) throw decodeError('truncated frame header');
  const b1 = data[offset + 1]!;
  const b2 = data[offset + 2]!;
  const b3 = data[offset + 3]!;
  if (data[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) throw decodeError('bad frame sync');
  const versionBits = (b1 >> 3) & 3;
  if (versionBits === 1) throw decodeError('reserved MPEG version');
  const version: MpegAudioVersion = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layerBits = (b1 >> 1) & 3;
  if (layerBits === 0) throw decodeError('reserved layer');
  const layer = (4 - layerBits) as MpegAudioLayer;
  const crc = (b1 & 1) === 0;
  const bitrateIndex = b2 >> 4;
  if (bitrateIndex === 15) throw decodeError('bad bitrate index 15');
  const rateIndex = (b2 >> 2) & 3;
  if (rateIndex === 3) throw decodeError('reserved sampling rate index');
  const sampleRate = SAMPLE_RATES_V1[rateIndex]! / (version === 1 ? 1 : version === 2 ? 2 : 4);
  const padding = (b2 & 2) !== 0;
  const channelMode = CHANNEL_MODES[b3 >> 6]!;
  const bitrateKbps = bitrateIndex === 0 ? 0 : bitrateTable(version, layer)[bitrateIndex - 1]!;
  const samplesPerFrame = layer === 1 ? 384 : layer === 2 || version === 1 ? 1152 : 576;
  let frameLength = 0;
  if (bitrateKbps > 0) {
    if (layer === 1) frameLength = (Math.floor((12 * bitrateKbps * 1000) / sampleRate) + (padding ? 1 : 0)) * 4;
    else frameLength = Math.floor(((samplesPerFrame / 8) * bitrateKbps * 1000) / sampleRate) + (padding ? 1 : 0);
  }
  return {
    version,
    layer,
    crc,
    bitrateKbps,
    sampleRate,
    padding,
    channelMode,
    channels: channelMode === 'mono' ? 1 : 2,
    samplesPerFrame,
    frameLength,
  };
}
