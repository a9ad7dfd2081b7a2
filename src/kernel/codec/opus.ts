// Opus: the identification header "OpusHead" (RFC 7845 5.1), which Ogg, MP4 (dOps, converted) and
// Enhanced RTMP/FLV sequence headers carry, and packet durations from the TOC byte (RFC 6716 3.1).
// Malformed input throws ProtocolError, like every parser in kernel/codec.

import { codecError } from './codec-error.js';

/** Opus always runs at 48 kHz (RFC 7587 4.1: the RTP clock is 48000 whatever the input rate). */
export const OPUS_SAMPLE_RATE = 48000;

export interface OpusHead {
  readonly version: number;
  readonly channels: number;
  /** Samples (at 48 kHz) to discard from the decoder output at the start. */
  readonly preSkip: number;
  /** Sample rate of the original input (informational only). */
  readonly inputSampleRate: number;
  /** Q7.8 dB gain to apply to the output. */
  readonly outputGain: number;
  readonly channelMappingFamily: number;
  /** Present when channelMappingFamily != 0. */
  readonly streamCount?: number;
  readonly coupledCount?: number;
  readonly channelMapping?: readonly number[];
}

const MAGIC = 'OpusHead';

/** Parses an OpusHead packet (little-endian fields, RFC 7845 5.1). */
export function parseOpusHead(data: Uint8Array): OpusHead {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < 19) throw codecError('opus', `OpusHead of ${b.length} bytes is too short (19 minimum)`);
  if (b.toString('latin1', 0, 8) !== MAGIC) throw codecError('opus', 'missing "OpusHead" magic');
  const version = b[8]!;
  // RFC 7845 5.1: the major version (upper 4 bits) 0 is the one we know; later minor versions stay compatible.
  if (version >> 4 !== 0) throw codecError('opus', `unsupported OpusHead version ${version}`);
  const channels = b[9]!;
  if (channels === 0) throw codecError('opus', 'OpusHead with 0 channels');
  const head = {
    version,
    channels,
    preSkip: b.readUInt16LE(10),
    inputSampleRate: b.readUInt32LE(12),
    outputGain: b.readInt16LE(16),
    channelMappingFamily: b[18]!,
  };
  if (head.channelMappingFamily === 0) {
    if (channels > 2) throw codecError('opus', `mapping family 0 with ${channels} channels`);
    return head;
  }
  if (b.length < 21 + channels) throw codecError('opus', 'OpusHead channel mapping table is truncated');
  const streamCount = b[19]!;
  const coupledCount = b[20]!;
  if (streamCount === 0 || coupledCount > streamCount) throw codecError('opus', `bad stream counts ${streamCount}/${coupledCount}`);
  return { ...head, streamCount, coupledCount, channelMapping: [...b.subarray(21, 21 + channels)] };
}

/** Duration of an Opus packet in 48 kHz samples from its TOC (RFC 6716 3.1), or 0 when unknown. */
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length < 1) return 0;
  const toc = packet[0]!;
  const config = toc >> 3;
  let frameSamples: number;
  if (config < 12) frameSamples = [480, 960, 1920, 2880][config & 3]!;
  else if (config < 16) frameSamples = (config & 1) === 0 ? 480 : 960;
  else frameSamples = [120, 240, 480, 960][config & 3]!;
  const code = toc & 3;
  if (code === 0) return frameSamples;
  if (code !== 3) return 2 * frameSamples;
  if (packet.length < 2) return 0;
  return (packet[1]! & 0x3f) * frameSamples;
}
