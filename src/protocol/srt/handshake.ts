// Handshake control body and its extensions (draft-sharabayko-srt §3.2.1, §4.3): the 48-byte CIF,
// then type/length(words)/contents blocks (HSREQ/HSRSP, KMREQ/KMRSP, SID, ...).

import { ErrorCode, ProtocolError } from '../../core/errors.js';

export const HANDSHAKE_CIF_SIZE = 48;
/** "SRT magic" in the induction response's extension field: the listener speaks HSv5 (§4.3.1.1). */
export const SRT_MAGIC = 0x4a17;
/** UDT_DGRAM: what an HSv4/v5 caller puts in the induction's extension field. */
export const UDT_DGRAM = 2;

/** Handshake type (§3.2.1, Table 4); values of 1000 and more are rejections (1000 + reason). */
export const HandshakeType = {
  Done: -3,
  Agreement: -2,
  Conclusion: -1,
  WaveAHand: 0,
  Induction: 1,
} as const;
export const REJECT_BASE = 1000;

/** SRT_REJ_* reasons (libsrt's rejection codes). */
export const RejectReason = {
  Unknown: 0,
  System: 1,
  Peer: 2,
  Resource: 3,
  Rogue: 4,
  Backlog: 5,
  Ipe: 6,
  Close: 7,
  Version: 8,
  RdvCookie: 9,
  BadSecret: 10,
  Unsecure: 11,
  MessageApi: 12,
  Congestion: 13,
  Filter: 14,
  Group: 15,
  Timeout: 16,
} as const;

/** Extension-field flags in a conclusion request (§3.2.1). */
export const HsExtFlag = { HsReq: 1, KmReq: 2, Config: 4 } as const;

/** Extension block types (§3.2.1, Table 5). */
export const ExtType = {
  HsReq: 1,
  HsRsp: 2,
  KmReq: 3,
  KmRsp: 4,
  Sid: 5,
  Congestion: 6,
  Filter: 7,
  Group: 8,
} as const;

/** SRT flags in HSREQ/HSRSP (§3.2.1.1.1). */
export const SrtFlag = {
  TsbpdSnd: 0x01,
  TsbpdRcv: 0x02,
  Crypt: 0x04,
  TlPktDrop: 0x08,
  PeriodicNak: 0x10,
  RexmitFlag: 0x20,
  Stream: 0x40,
  PacketFilter: 0x80,
} as const;

/** The SRT version we announce: 1.5.0, as libsrt encodes it (major<<16 | minor<<8 | patch). */
export const SRT_VERSION = 0x010500;

export interface HsExtension {
  type: number;
  /** Raw contents, a whole number of 4-byte words. */
  data: Buffer;
}

export interface Handshake {
  version: number;
  /** 0 none, 2/3/4 = AES-128/192/256 (pbkeylen / 8). */
  encryption: number;
  extensionField: number;
  initialSeq: number;
  mtu: number;
  flowWindow: number;
  type: number;
  socketId: number;
  cookie: number;
  /** Peer address as 16 raw bytes (IPv4: first 4 bytes, little-endian words as libsrt writes them). */
  peerIp: Buffer;
  extensions: HsExtension[];
}

/** HSREQ/HSRSP contents (§3.2.1.1). Delays in milliseconds. */
export interface HsSrtInfo {
  srtVersion: number;
  flags: number;
  recvTsbpdDelayMs: number;
  sendTsbpdDelayMs: number;
}

function bad(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.SrtConn, `srt handshake: ${message}`);
}

export function decodeHandshake(cif: Buffer): Handshake {
  if (cif.length < HANDSHAKE_CIF_SIZE) throw bad(`body of ${cif.length} bytes, need ${HANDSHAKE_CIF_SIZE}`);
  const hs: Handshake = {
    version: cif.readUInt32BE(0),
    encryption: cif.readUInt16BE(4),
    extensionField: cif.readUInt16BE(6),
    initialSeq: cif.readUInt32BE(8) & 0x7fffffff,
    mtu: cif.readUInt32BE(12),
    flowWindow: cif.readUInt32BE(16),
    type: cif.readInt32BE(20),
    socketId: cif.readUInt32BE(24),
    cookie: cif.readUInt32BE(28),
    peerIp: Buffer.from(cif.subarray(32, 48)),
    extensions: [],
  };
  // Extensions only exist in HSv5 conclusion packets; anything else after the CIF is ignored.
  if (hs.version >= 5 && hs.type === HandshakeType.Conclusion) {
    let o = HANDSHAKE_CIF_SIZE;
    while (o + 4 <= cif.length) {
      const type = cif.readUInt16BE(o);
      const words = cif.readUInt16BE(o + 2);
      const end = o + 4 + words * 4;
      if (end > cif.length) throw bad(`extension ${type} of ${words} words overruns the packet`);
      hs.extensions.push({ type, data: Buffer.from(cif.subarray(o + 4, end)) });
      o = end;
    }
  }
  return hs;
}

export function encodeHandshake(hs: Handshake): Buffer {
  let size = HANDSHAKE_CIF_SIZE;
  for (const e of hs.extensions) size += 4 + e.data.length;
  const b = Buffer.alloc(size);
  b.writeUInt32BE(hs.version >>> 0, 0);
  b.writeUInt16BE(hs.encryption & 0xffff, 4);
  b.writeUInt16BE(hs.extensionField & 0xffff, 6);
  b.writeUInt32BE(hs.initialSeq & 0x7fffffff, 8);
  b.writeUInt32BE(hs.mtu >>> 0, 12);
  b.writeUInt32BE(hs.flowWindow >>> 0, 16);
  b.writeInt32BE(hs.type | 0, 20);
  b.writeUInt32BE(hs.socketId >>> 0, 24);
  b.writeUInt32BE(hs.cookie >>> 0, 28);
  hs.peerIp.copy(b, 32, 0, 16);
  let o = HANDSHAKE_CIF_SIZE;
  for (const e of hs.extensions) {
    if (e.data.length % 4 !== 0) throw new ProtocolError(ErrorCode.SystemAssert, 'srt: extension not word-aligned');
    b.writeUInt16BE(e.type, o);
    b.writeUInt16BE(e.data.length / 4, o + 2);
    e.data.copy(b, o + 4);
    o += 4 + e.data.length;
  }
  return b;
}

export function encodeSrtInfo(info: HsSrtInfo): Buffer {
  const b = Buffer.allocUnsafe(12);
  b.writeUInt32BE(info.srtVersion >>> 0, 0);
  b.writeUInt32BE(info.flags >>> 0, 4);
  b.writeUInt16BE(info.recvTsbpdDelayMs & 0xffff, 8);
  b.writeUInt16BE(info.sendTsbpdDelayMs & 0xffff, 10);
  return b;
}

export function decodeSrtInfo(data: Buffer): HsSrtInfo {
  if (data.length < 12) throw bad(`HSREQ of ${data.length} bytes`);
  return {
    srtVersion: data.readUInt32BE(0),
    flags: data.readUInt32BE(4),
    recvTsbpdDelayMs: data.readUInt16BE(8),
    sendTsbpdDelayMs: data.readUInt16BE(10),
  };
}

/**
 * Stream id (§3.2.1.3): UTF-8, padded with zeros to whole words, and - as libsrt writes it from
 * host-order 32-bit words - each 4-byte group reversed on the wire.
 */
export function encodeStreamIdExt(streamId: string): Buffer {
  const raw = Buffer.from(streamId, 'utf8');
  if (raw.length > 512) throw bad(`stream id of ${raw.length} bytes (max 512)`);
  const b = Buffer.alloc(Math.ceil(raw.length / 4) * 4);
  raw.copy(b);
  return swapWords(b);
}

export function decodeStreamIdExt(data: Buffer): string {
  if (data.length > 512) throw bad(`stream id of ${data.length} bytes (max 512)`);
  const b = swapWords(Buffer.from(data.subarray(0, data.length - (data.length % 4))));
  let end = b.indexOf(0);
  if (end < 0) end = b.length;
  return b.subarray(0, end).toString('utf8');
}

function swapWords(b: Buffer): Buffer {
  for (let o = 0; o + 4 <= b.length; o += 4) {
    const t0 = b[o]!;
    const t1 = b[o + 1]!;
    b[o] = b[o + 3]!;
    b[o + 1] = b[o + 2]!;
    b[o + 2] = t1;
    b[o + 3] = t0;
  }
  return b;
}

/** Peer address field: IPv4 as the first word in little-endian order (libsrt), IPv6 as 4 such words. */
export function encodePeerIp(address: string): Buffer {
  const b = Buffer.alloc(16);
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(address);
  if (v4) {
    for (let i = 0; i < 4; i++) b[3 - i] = Number(v4[i + 1]) & 0xff;
    return b;
  }
  return b;
}

export function findExtension(hs: Handshake, type: number): HsExtension | undefined {
  return hs.extensions.find((e) => e.type === type);
}
