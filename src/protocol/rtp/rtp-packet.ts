// RTP packet parsing (RFC 3550 5.1) into views of the datagram: fixed header, CSRCs, the header
// extension (RFC 8285: one-byte 0xBEDE and two-byte 0x100x profiles, or any other profile as opaque
// bytes), padding. No copies: `payload`, `csrc` bytes and extension data are views of the input, so the
// caller keeps the input untouched while it holds the packet. Malformed input throws ProtocolError(RtcRtp).

import { ErrorCode, ProtocolError } from '../../core/errors.js';

export interface RtpPacket {
  readonly padding: boolean;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  /** CSRC count (0..15); read them with `rtpCsrc(packet, i)`. */
  readonly csrcCount: number;
  /** Header extension profile (0xBEDE one-byte, 0x1000-0x100F two-byte, else opaque); -1 when absent. */
  readonly extensionProfile: number;
  /** Header extension body (without the 4-byte profile/length word), a view; empty when absent. */
  readonly extension: Buffer;
  /** Payload without padding, a view. */
  readonly payload: Buffer;
  /** Padding bytes at the end (including the count byte). */
  readonly paddingSize: number;
  /** The whole packet, a view (what a retransmission resends). */
  readonly bytes: Buffer;
}

/** One RFC 8285 header extension element: id and its data (a view). */
export interface RtpHeaderExtension {
  readonly id: number;
  readonly data: Buffer;
}

export const RTP_VERSION = 2;
export const ONE_BYTE_PROFILE = 0xbede;
const EMPTY: Buffer = Buffer.alloc(0);

function rtpError(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.RtcRtp, `RTP: ${message}`);
}

export function isTwoByteProfile(profile: number): boolean {
  return (profile & 0xfff0) === 0x1000;
}

/** Parses one RTP packet. Throws ProtocolError on a wrong version or lengths that run past the end. */
export function parseRtp(b: Buffer): RtpPacket {
  if (b.length < 12) throw rtpError(`packet of ${b.length} bytes is shorter than the 12-byte header`);
  const b0 = b[0]!;
  const version = b0 >> 6;
  if (version !== RTP_VERSION) throw rtpError(`version ${version}, want 2`);
  const padding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let p = 12 + 4 * csrcCount;
  if (p > b.length) throw rtpError(`${csrcCount} CSRCs run past the end of a ${b.length}-byte packet`);
  let extensionProfile = -1;
  let extension = EMPTY;
  if (hasExtension) {
    if (p + 4 > b.length) throw rtpError('header extension word runs past the end');
    extensionProfile = b.readUInt16BE(p);
    const words = b.readUInt16BE(p + 2);
    const end = p + 4 + 4 * words;
    if (end > b.length) throw rtpError(`header extension of ${words} words runs past the end`);
    extension = b.subarray(p + 4, end);
    checkExtensionElements(extensionProfile, extension);
    p = end;
  }
  let paddingSize = 0;
  if (padding) {
    if (b.length === p) throw rtpError('padding bit set but no padding byte');
    paddingSize = b[b.length - 1]!;
    if (paddingSize === 0 || p + paddingSize > b.length) throw rtpError(`padding of ${paddingSize} bytes is invalid`);
  }
  return {
    padding,
    marker: (b[1]! & 0x80) !== 0,
    payloadType: b[1]! & 0x7f,
    sequence: b.readUInt16BE(2),
    timestamp: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
    csrcCount,
    extensionProfile,
    extension,
    payload: b.subarray(p, b.length - paddingSize),
    paddingSize,
    bytes: b,
  };
}

/** The i-th CSRC of a packet. */
export function rtpCsrc(packet: RtpPacket, i: number): number {
  if (i < 0 || i >= packet.csrcCount) throw new RangeError(`CSRC ${i} of ${packet.csrcCount}`);
  return packet.bytes.readUInt32BE(12 + 4 * i);
}

/**
 * Walks RFC 8285 elements of a one-byte (4.2) or two-byte (4.3) extension block, calling `visit` with
 * (id, start, end); stops early when visit returns true. Padding bytes (id 0) are skipped; id 15 in the
 * one-byte form ends the block (4.2). Throws ProtocolError when an element runs past the block.
 */
function walkElements(profile: number, ext: Buffer, visit: (id: number, start: number, end: number) => boolean): void {
  if (profile === ONE_BYTE_PROFILE) {
    for (let i = 0; i < ext.length; ) {
      const h = ext[i]!;
      if (h === 0) {
        i++;
        continue;
      }
      const id = h >> 4;
      if (id === 15) return;
      const len = (h & 0x0f) + 1;
      if (i + 1 + len > ext.length) throw rtpError(`one-byte extension ${id} of ${len} bytes runs past the block`);
      if (visit(id, i + 1, i + 1 + len)) return;
      i += 1 + len;
    }
  } else if (isTwoByteProfile(profile)) {
    for (let i = 0; i < ext.length; ) {
      const id = ext[i]!;
      if (id === 0) {
        i++;
        continue;
      }
      if (i + 2 > ext.length) throw rtpError(`two-byte extension ${id} has no length byte`);
      const len = ext[i + 1]!;
      if (i + 2 + len > ext.length) throw rtpError(`two-byte extension ${id} of ${len} bytes runs past the block`);
      if (visit(id, i + 2, i + 2 + len)) return;
      i += 2 + len;
    }
  }
}

const NO_VISIT = (): boolean => false;

function checkExtensionElements(profile: number, ext: Buffer): void {
  walkElements(profile, ext, NO_VISIT);
}

/** The data of header extension `id` (a view), or undefined. Allocates nothing but the view. */
export function rtpHeaderExtension(packet: RtpPacket, id: number): Buffer | undefined {
  let found: Buffer | undefined;
  walkElements(packet.extensionProfile, packet.extension, (eid, s, e) => {
    if (eid !== id) return false;
    found = packet.extension.subarray(s, e);
    return true;
  });
  return found;
}

/** All header extension elements (views), for logs and tests; the hot path uses rtpHeaderExtension. */
export function rtpHeaderExtensions(packet: RtpPacket): RtpHeaderExtension[] {
  const out: RtpHeaderExtension[] = [];
  walkElements(packet.extensionProfile, packet.extension, (id, s, e) => {
    out.push({ id, data: packet.extension.subarray(s, e) });
    return false;
  });
  return out;
}

export interface RtpPacketFields {
  readonly marker?: boolean;
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs?: readonly number[];
  /** RFC 8285 elements; written in the one-byte form when every id is 1..14 and every length 1..16, else two-byte. */
  readonly extensions?: readonly RtpHeaderExtension[];
  /** Padding bytes to append (0 or 1..255). */
  readonly padding?: number;
}

/**
 * Encodes one RTP packet (one allocation). For retransmissions, tests and low-rate packets; the per-viewer
 * hot path writes headers in place with RtpHeaderWriter.
 */
export function encodeRtp(fields: RtpPacketFields, payload: Buffer): Buffer {
  const csrcs = fields.csrcs ?? [];
  if (csrcs.length > 15) throw new RangeError(`${csrcs.length} CSRCs (15 at most)`);
  const exts = fields.extensions ?? [];
  const oneByte = exts.every((e) => e.id >= 1 && e.id <= 14 && e.data.length >= 1 && e.data.length <= 16);
  let extLen = 0;
  for (const e of exts) extLen += (oneByte ? 1 : 2) + e.data.length;
  const extWords = Math.ceil(extLen / 4);
  const pad = fields.padding ?? 0;
  const headerLen = 12 + 4 * csrcs.length + (exts.length > 0 ? 4 + 4 * extWords : 0);
  const out = Buffer.alloc(headerLen + payload.length + pad);
  out[0] = 0x80 | (pad > 0 ? 0x20 : 0) | (exts.length > 0 ? 0x10 : 0) | csrcs.length;
  out[1] = (fields.marker === true ? 0x80 : 0) | (fields.payloadType & 0x7f);
  out.writeUInt16BE(fields.sequence & 0xffff, 2);
  out.writeUInt32BE(fields.timestamp >>> 0, 4);
  out.writeUInt32BE(fields.ssrc >>> 0, 8);
  let p = 12;
  for (const c of csrcs) {
    out.writeUInt32BE(c >>> 0, p);
    p += 4;
  }
  if (exts.length > 0) {
    out.writeUInt16BE(oneByte ? ONE_BYTE_PROFILE : 0x1000, p);
    out.writeUInt16BE(extWords, p + 2);
    p += 4;
    const end = p + 4 * extWords;
    for (const e of exts) {
      if (oneByte) out[p++] = (e.id << 4) | (e.data.length - 1);
      else {
        if (e.id < 1 || e.id > 255 || e.data.length > 255) throw new RangeError(`extension ${e.id} of ${e.data.length} bytes`);
        out[p++] = e.id;
        out[p++] = e.data.length;
      }
      e.data.copy(out, p);
      p += e.data.length;
    }
    p = end; // zero padding to the word boundary (RFC 8285 4.1)
  }
  payload.copy(out, p);
  if (pad > 0) out[out.length - 1] = pad;
  return out;
}
