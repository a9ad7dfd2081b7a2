// Shared by the mpegts unit tests only (not exported from index.ts): synthetic FLV-bodied frames, a
// transport packet parser for assertions, and a seeded PRNG.

import { type AudioFrame, type VideoFrame, audioFrameFromFlv, videoFrameFromFlv } from '../../media-frame.js';
import { ErrorCode, ProtocolError } from '../../../core/errors.js';

/** x264 (High, 64x48) SPS/PPS and their avcC as ffmpeg 5.1 writes it (with the high-profile tail). */
export { prng } from '../../../../test/fixtures/index.js';
import { prng } from '../../../../test/fixtures/index.js';

export const H264_SPS = Buffer.from('6764000aacd9447b011000000300100000030320f1225960', 'hex');
export const H264_PPS = Buffer.from('68ebe3cb22c0', 'hex');
export const H264_AVCC = Buffer.from(
  '0164000affe100186764000aacd9447b011000000300100000030320f122596001000668ebe3cb22c0fdf8f800',
  'hex',
);
/** x265 (Main 4:4:4, 64x48) VPS/SPS/PPS and the first 22 bytes of ffmpeg's hvcC for them. */
export const H265_VPS = Buffer.from('40010c01ffff0408000003009e0800000300001e959809', 'hex');
export const H265_SPS = Buffer.from(
  '4201010408000003009e0800000300001e90041062cb2b35c995e02dc08080010000030001000003001908',
  'hex',
);
export const H265_PPS = Buffer.from('4401c17318310890', 'hex');
export const H265_HVCC_HEAD = Buffer.from('0104080000009e08000000001ef000fcfff8f800000f', 'hex');

/** LC, 44.1 kHz, stereo. */
export const AAC_ASC = Buffer.from([0x12, 0x10]);

export function avcC(sps: Buffer = H264_SPS, pps: Buffer = H264_PPS): Buffer {
  const rec = Buffer.alloc(11 + sps.length + pps.length);
  rec.set([1, sps[1]!, sps[2]!, sps[3]!, 0xff, 0xe1], 0);
  rec.writeUInt16BE(sps.length, 6);
  sps.copy(rec, 8);
  rec[8 + sps.length] = 1;
  rec.writeUInt16BE(pps.length, 9 + sps.length);
  pps.copy(rec, 11 + sps.length);
  return rec;
}

/** Legacy FLV video body: [frameType|codecId][packetType][cts(3)][data]. */
export function videoBody(codecId: 7 | 12, keyframe: boolean, packetType: number, cts: number, data: Buffer): Buffer {
  const b = Buffer.alloc(5 + data.length);
  b[0] = (keyframe ? 0x10 : 0x20) | codecId;
  b[1] = packetType;
  b.writeIntBE(cts, 2, 3);
  data.copy(b, 5);
  return b;
}

/** NALUs with 4-byte length prefixes (AVCC). */
export function avcc(nalus: Buffer[]): Buffer {
  return Buffer.concat(nalus.flatMap((n) => [u32(n.length), n]));
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

export function videoSequenceHeader(record: Buffer, codec: 'h264' | 'h265' = 'h264', dts = 0): VideoFrame {
  return videoFrameFromFlv(videoBody(codec === 'h264' ? 7 : 12, true, 0, 0, record), dts)!;
}

export function videoFrame(nalus: Buffer[], dts: number, cts: number, keyframe: boolean, codec: 'h264' | 'h265' = 'h264'): VideoFrame {
  return videoFrameFromFlv(videoBody(codec === 'h264' ? 7 : 12, keyframe, 1, cts, avcc(nalus)), dts)!;
}

export function aacSequenceHeader(asc: Buffer = AAC_ASC, dts = 0): AudioFrame {
  return audioFrameFromFlv(Buffer.concat([Buffer.from([0xaf, 0]), asc]), dts)!;
}

export function aacFrame(raw: Buffer, dts: number): AudioFrame {
  return audioFrameFromFlv(Buffer.concat([Buffer.from([0xaf, 1]), raw]), dts)!;
}

/** Deterministic bytes (never a start code run: every byte is 0x10..0xef). */
export function fill(n: number, seed: number): Buffer {
  const rnd = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 0x10 + Math.floor(rnd() * 0xe0);
  return b;
}


export interface ParsedTsPacket {
  pid: number;
  pusi: boolean;
  cc: number;
  /** adaptation_field_control */
  afc: number;
  /** Adaptation field bytes after adaptation_field_length (empty when absent or length 0). */
  af: Buffer | null;
  payload: Buffer;
  raw: Buffer;
}

/** Split into 188-byte packets and decode the header fields (asserting sync and alignment). */
export function parsePackets(ts: Buffer): ParsedTsPacket[] {
  if (ts.length % 188 !== 0) throw new ProtocolError(ErrorCode.MediaDecode, `not 188-aligned: ${ts.length}`);
  const out: ParsedTsPacket[] = [];
  for (let off = 0; off < ts.length; off += 188) {
    const raw = ts.subarray(off, off + 188);
    if (raw[0] !== 0x47) throw new ProtocolError(ErrorCode.MediaDecode, `no sync at ${off}`);
    const afc = (raw[3]! >> 4) & 3;
    let p = 4;
    let af: Buffer | null = null;
    if (afc & 2) {
      const len = raw[4]!;
      af = raw.subarray(5, 5 + len);
      p = 5 + len;
    }
    out.push({
      pid: ((raw[1]! & 0x1f) << 8) | raw[2]!,
      pusi: (raw[1]! & 0x40) !== 0,
      cc: raw[3]! & 0x0f,
      afc,
      af,
      payload: afc & 1 ? raw.subarray(p) : Buffer.alloc(0),
      raw,
    });
  }
  return out;
}

/** Concatenate the PES packets of one PID (each starts at a PUSI packet). */
export function pesOf(packets: ParsedTsPacket[], pid: number): Buffer[] {
  const out: Buffer[][] = [];
  for (const pkt of packets) {
    if (pkt.pid !== pid) continue;
    if (pkt.pusi) out.push([]);
    out[out.length - 1]?.push(pkt.payload);
  }
  return out.map((parts) => Buffer.concat(parts));
}
