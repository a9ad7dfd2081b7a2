// AV1: the AV1CodecConfigurationRecord ("av1C", AV1 Codec ISOBMFF binding 2.3.3) that MP4 and Enhanced
// RTMP "av01" sequence headers carry, and OBU splitting (AV1 spec 5.3: obu_header + leb128 obu_size),
// the unit that AV1 RTP (AOMedia "RTP Payload Format for AV1") and fMP4 work with.
// Malformed input throws ProtocolError, like every parser in kernel/codec.

import { codecError } from './codec-error.js';

/** obu_type values (AV1 spec 6.2.2). */
export const Av1ObuType = {
  SequenceHeader: 1,
  TemporalDelimiter: 2,
  FrameHeader: 3,
  TileGroup: 4,
  Metadata: 5,
  Frame: 6,
  RedundantFrameHeader: 7,
  TileList: 8,
  Padding: 15,
} as const;

export interface Av1CodecConfigurationRecord {
  readonly version: number;
  readonly seqProfile: number;
  readonly seqLevelIdx0: number;
  readonly seqTier0: number;
  /** 8, 10 or 12. */
  readonly bitDepth: number;
  readonly monochrome: boolean;
  readonly chromaSubsamplingX: number;
  readonly chromaSubsamplingY: number;
  readonly chromaSamplePosition: number;
  /** initial_presentation_delay_minus_one + 1, or null when absent. */
  readonly initialPresentationDelay: number | null;
  /** configOBUs: usually the sequence header OBU (a view into the input). */
  readonly configObus: Buffer;
}

/** Parses an av1C record (4 fixed bytes + configOBUs). */
export function parseAv1CodecConfigurationRecord(data: Buffer): Av1CodecConfigurationRecord {
  if (data.length < 4) throw codecError('av1', `av1C of ${data.length} bytes is too short`);
  const b0 = data[0]!;
  // marker (1) must be 1; version (7) is 1.
  if ((b0 & 0x80) === 0) throw codecError('av1', 'av1C marker bit is 0');
  const version = b0 & 0x7f;
  if (version !== 1) throw codecError('av1', `av1C version ${version}, want 1`);
  const b1 = data[1]!;
  const b2 = data[2]!;
  const b3 = data[3]!;
  const highBitdepth = (b2 & 0x40) !== 0;
  const twelveBit = (b2 & 0x20) !== 0;
  return {
    version,
    seqProfile: b1 >> 5,
    seqLevelIdx0: b1 & 0x1f,
    seqTier0: b2 >> 7,
    bitDepth: highBitdepth ? (twelveBit ? 12 : 10) : 8,
    monochrome: (b2 & 0x10) !== 0,
    chromaSubsamplingX: (b2 >> 3) & 1,
    chromaSubsamplingY: (b2 >> 2) & 1,
    chromaSamplePosition: b2 & 3,
    initialPresentationDelay: (b3 & 0x10) !== 0 ? (b3 & 0x0f) + 1 : null,
    configObus: data.subarray(4),
  };
}

export interface Av1Obu {
  readonly type: number;
  readonly temporalId: number;
  readonly spatialId: number;
  /** The whole OBU, header included (a view, no copy). */
  readonly bytes: Buffer;
  /** The OBU payload after header and size field (a view). */
  readonly payload: Buffer;
}

/** leb128 (AV1 spec 4.10.5) at `pos`: [value, bytes read]. At most 8 bytes. */
export function readLeb128(data: Uint8Array, pos: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (pos + i >= data.length) throw codecError('av1', `truncated leb128 at ${pos}`);
    const byte = data[pos + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  throw codecError('av1', `leb128 longer than 8 bytes at ${pos}`);
}

/**
 * Splits a temporal unit in the low-overhead bitstream format (Section 5.2: every OBU has obu_has_size_field,
 * as MP4 and Enhanced RTMP carry it) into OBU views. An OBU without a size field is only allowed last
 * (it then runs to the end).
 */
export function splitObus(data: Buffer, offset = 0): Av1Obu[] {
  const out: Av1Obu[] = [];
  let pos = offset;
  while (pos < data.length) {
    const h = data[pos]!;
    if ((h & 0x80) !== 0) throw codecError('av1', `obu_forbidden_bit set at ${pos}`);
    const type = (h >> 3) & 0x0f;
    const hasExtension = (h & 0x04) !== 0;
    const hasSize = (h & 0x02) !== 0;
    let p = pos + 1;
    let temporalId = 0;
    let spatialId = 0;
    if (hasExtension) {
      if (p >= data.length) throw codecError('av1', `truncated OBU extension header at ${pos}`);
      temporalId = data[p]! >> 5;
      spatialId = (data[p]! >> 3) & 3;
      p++;
    }
    let size: number;
    if (hasSize) {
      const [v, n] = readLeb128(data, p);
      p += n;
      size = v;
      if (size > data.length - p) throw codecError('av1', `OBU of ${size} bytes at ${pos} runs past the end`);
    } else {
      size = data.length - p;
    }
    out.push({ type, temporalId, spatialId, bytes: data.subarray(pos, p + size), payload: data.subarray(p, p + size) });
    pos = p + size;
  }
  return out;
}
