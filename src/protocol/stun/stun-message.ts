// STUN messages (RFC 8489, which obsoletes RFC 5389) with the attributes ICE needs (RFC 8445 §16):
// decode to a typed model, encode with MESSAGE-INTEGRITY (HMAC-SHA1, short-term credential: the key is
// the ICE password) and FINGERPRINT (CRC-32 xor 0x5354554e). Sans-I/O: bytes in, bytes out.

import { createHmac } from 'node:crypto';
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { crc32 } from './crc32.js';
import { bytesToIp, ipFamily, ipToBytes, type TransportAddress } from './ip-address.js';

export const STUN_MAGIC_COOKIE = 0x2112a442;
export const STUN_HEADER_SIZE = 20;
/** RFC 8489 §14.7: the CRC is xored with this so a STUN checksum never equals another protocol's. */
export const STUN_FINGERPRINT_XOR = 0x5354554e;

export const StunMethod = { Binding: 0x001 } as const;

/** Attribute types used by ICE (RFC 8489 §18.3, RFC 8445 §16.1). */
export const StunAttr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorMappedAddress: 0x0020,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  Software: 0x8022,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
} as const;

export type StunClass = 'request' | 'indication' | 'success' | 'error';

export interface StunErrorCode {
  /** 300-699, e.g. 400 Bad Request, 401 Unauthorized, 420 Unknown Attribute, 487 Role Conflict. */
  code: number;
  reason: string;
}

export interface StunRawAttribute {
  type: number;
  value: Buffer;
}

/** One STUN message. Only attributes present on the wire are set. */
export interface StunMessage {
  method: number;
  messageClass: StunClass;
  /** 12 bytes. */
  transactionId: Buffer;
  username?: string;
  priority?: number;
  /** ICE tie-breakers: 64-bit unsigned. */
  iceControlling?: bigint;
  iceControlled?: bigint;
  useCandidate?: boolean;
  xorMappedAddress?: TransportAddress;
  errorCode?: StunErrorCode;
  software?: string;
  /** Attributes this model has no field for, in wire order (kept so a caller can answer 420). */
  otherAttributes?: StunRawAttribute[];
}

/** A decoded message plus where its integrity and fingerprint attributes sit in `raw`. */
export interface StunPacket extends StunMessage {
  /** The bytes decoded (a view, no copy). */
  raw: Buffer;
  /** Offset in raw of the MESSAGE-INTEGRITY attribute header, or -1. */
  integrityOffset: number;
  /** Offset in raw of the FINGERPRINT attribute header, or -1. */
  fingerprintOffset: number;
}

export interface StunEncodeOptions {
  /** Adds MESSAGE-INTEGRITY keyed with this (the ICE password, as UTF-8). */
  integrityKey?: string | Buffer;
  /** Adds FINGERPRINT (ICE requires it on every message, RFC 8445 §7.2.2). */
  fingerprint?: boolean;
}

const CLASS_BITS: Record<StunClass, number> = { request: 0x000, indication: 0x010, success: 0x100, error: 0x110 };

/** A cheap check (RFC 8489 §6/§7): size, two zero top bits, the magic cookie, 4-byte-aligned length. */
export function looksLikeStun(buf: Uint8Array): boolean {
  if (buf.length < STUN_HEADER_SIZE || (buf[0]! & 0xc0) !== 0) return false;
  const len = (buf[2]! << 8) | buf[3]!;
  if (len % 4 !== 0 || len + STUN_HEADER_SIZE !== buf.length) return false;
  return ((buf[4]! << 24) | (buf[5]! << 16) | (buf[6]! << 8) | buf[7]!) >>> 0 === STUN_MAGIC_COOKIE;
}

function fail(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.RtcStun, `STUN: ${message}`);
}

/** Decodes one whole STUN message; malformed input throws ProtocolError (RtcStun). */
export function decodeStun(buf: Buffer): StunPacket {
  if (buf.length < STUN_HEADER_SIZE) throw fail(`message of ${buf.length} bytes is shorter than the header`);
  const type = buf.readUInt16BE(0);
  if (type & 0xc000) throw fail('first two bits are not zero');
  const length = buf.readUInt16BE(2);
  if (length % 4 !== 0) throw fail(`length ${length} is not a multiple of 4`);
  if (length + STUN_HEADER_SIZE !== buf.length) {
    throw fail(`length ${length} does not match the ${buf.length - STUN_HEADER_SIZE} bytes after the header`);
  }
  if (buf.readUInt32BE(4) !== STUN_MAGIC_COOKIE) throw fail('no magic cookie');
  // Type bits: M11..M7 C1 M6..M4 C0 M3..M0 (RFC 8489 §5).
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const classBits = type & 0x0110;
  const messageClass: StunClass =
    classBits === 0x000 ? 'request' : classBits === 0x010 ? 'indication' : classBits === 0x100 ? 'success' : 'error';
  const packet: StunPacket = {
    method,
    messageClass,
    transactionId: buf.subarray(8, 20),
    raw: buf,
    integrityOffset: -1,
    fingerprintOffset: -1,
  };
  let pos = STUN_HEADER_SIZE;
  while (pos < buf.length) {
    if (packet.fingerprintOffset >= 0) throw fail('attribute after FINGERPRINT');
    if (pos + 4 > buf.length) throw fail('truncated attribute header');
    const attrType = buf.readUInt16BE(pos);
    const attrLen = buf.readUInt16BE(pos + 2);
    const valueStart = pos + 4;
    if (valueStart + attrLen > buf.length) throw fail(`attribute 0x${attrType.toString(16)} overruns the message`);
    const value = buf.subarray(valueStart, valueStart + attrLen);
    // RFC 8489 §14.5: after MESSAGE-INTEGRITY only FINGERPRINT counts; anything else is ignored.
    if (packet.integrityOffset < 0 || attrType === StunAttr.Fingerprint) {
      readAttribute(packet, attrType, value, pos);
    }
    pos = valueStart + ((attrLen + 3) & ~3);
  }
  if (pos !== buf.length) throw fail('last attribute padding overruns the message');
  return packet;
}

function readAttribute(p: StunPacket, type: number, v: Buffer, offset: number): void {
  const need = (n: number, name: string): void => {
    if (v.length !== n) throw fail(`${name} of ${v.length} bytes, expected ${n}`);
  };
  switch (type) {
    case StunAttr.Username:
      if (v.length > 512) throw fail('USERNAME longer than 512 bytes');
      p.username = v.toString('utf8');
      return;
    case StunAttr.MessageIntegrity:
      need(20, 'MESSAGE-INTEGRITY');
      p.integrityOffset = offset;
      return;
    case StunAttr.Fingerprint:
      need(4, 'FINGERPRINT');
      p.fingerprintOffset = offset;
      return;
    case StunAttr.Priority:
      need(4, 'PRIORITY');
      p.priority = v.readUInt32BE(0);
      return;
    case StunAttr.IceControlled:
      need(8, 'ICE-CONTROLLED');
      p.iceControlled = v.readBigUInt64BE(0);
      return;
    case StunAttr.IceControlling:
      need(8, 'ICE-CONTROLLING');
      p.iceControlling = v.readBigUInt64BE(0);
      return;
    case StunAttr.UseCandidate:
      need(0, 'USE-CANDIDATE');
      p.useCandidate = true;
      return;
    case StunAttr.XorMappedAddress:
      p.xorMappedAddress = readXorAddress(v, p.transactionId);
      return;
    case StunAttr.ErrorCode: {
      if (v.length < 4) throw fail('ERROR-CODE shorter than 4 bytes');
      const cls = v[2]! & 0x07;
      const num = v[3]!;
      if (cls < 3 || cls > 6 || num > 99) throw fail(`ERROR-CODE class ${cls} number ${num}`);
      p.errorCode = { code: cls * 100 + num, reason: v.subarray(4).toString('utf8') };
      return;
    }
    case StunAttr.Software:
      p.software = v.toString('utf8');
      return;
    default:
      (p.otherAttributes ??= []).push({ type, value: v });
  }
}

function readXorAddress(v: Buffer, transactionId: Buffer): TransportAddress {
  if (v.length < 4) throw fail('XOR-MAPPED-ADDRESS shorter than 4 bytes');
  const family = v[1];
  const port = v.readUInt16BE(2) ^ (STUN_MAGIC_COOKIE >>> 16);
  const size = family === 0x01 ? 4 : family === 0x02 ? 16 : 0;
  if (size === 0) throw fail(`XOR-MAPPED-ADDRESS family ${family}`);
  if (v.length !== 4 + size) throw fail(`XOR-MAPPED-ADDRESS of ${v.length} bytes for family ${family}`);
  const addr = Buffer.from(v.subarray(4));
  xorAddress(addr, transactionId);
  return { family: size === 4 ? 'IPv4' : 'IPv6', address: bytesToIp(addr), port };
}

/** XOR with the magic cookie then the transaction id (RFC 8489 §14.2); symmetric, in place. */
function xorAddress(addr: Buffer, transactionId: Buffer): void {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(STUN_MAGIC_COOKIE, 0);
  transactionId.copy(key, 4);
  for (let i = 0; i < addr.length; i++) addr[i]! ^= key[i]!;
}

/**
 * Unknown comprehension-required attributes (type < 0x8000, RFC 8489 §15): a request carrying any must
 * be answered 420 listing them.
 */
export function unknownRequiredAttributes(msg: StunMessage): number[] {
  return (msg.otherAttributes ?? [])
    .map((a) => a.type)
    .filter((t) => t < 0x8000 && t !== StunAttr.MappedAddress && t !== StunAttr.Realm && t !== StunAttr.Nonce);
}

function integrityKey(key: string | Buffer): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

/**
 * HMAC-SHA1 over the message up to MESSAGE-INTEGRITY, with the header length counting up to the end of
 * that attribute (RFC 8489 §14.5). False when the message has no MESSAGE-INTEGRITY.
 */
export function verifyMessageIntegrity(packet: StunPacket, key: string | Buffer): boolean {
  const at = packet.integrityOffset;
  if (at < 0) return false;
  const expected = computeIntegrity(packet.raw, at, integrityKey(key));
  return expected.equals(packet.raw.subarray(at + 4, at + 24));
}

function computeIntegrity(raw: Buffer, attrOffset: number, key: Buffer): Buffer {
  const header = Buffer.from(raw.subarray(0, STUN_HEADER_SIZE));
  header.writeUInt16BE(attrOffset + 24 - STUN_HEADER_SIZE, 2);
  return createHmac('sha1', key).update(header).update(raw.subarray(STUN_HEADER_SIZE, attrOffset)).digest();
}

/** CRC-32 of everything before FINGERPRINT, xor 0x5354554e (RFC 8489 §14.7). False when absent. */
export function verifyFingerprint(packet: StunPacket): boolean {
  const at = packet.fingerprintOffset;
  if (at < 0) return false;
  return ((crc32(packet.raw, 0, at) ^ STUN_FINGERPRINT_XOR) >>> 0) === packet.raw.readUInt32BE(at + 4);
}

/** Encodes a message; attributes go in a fixed order, then MESSAGE-INTEGRITY, then FINGERPRINT. */
export function encodeStun(msg: StunMessage, options: StunEncodeOptions = {}): Buffer {
  if (msg.transactionId.length !== 12) {
    throw new ProtocolError(ErrorCode.RtcStun, `STUN transaction id of ${msg.transactionId.length} bytes`);
  }
  const attrs: Array<[number, Buffer]> = [];
  if (msg.username !== undefined) attrs.push([StunAttr.Username, Buffer.from(msg.username, 'utf8')]);
  if (msg.priority !== undefined) attrs.push([StunAttr.Priority, u32(msg.priority)]);
  if (msg.iceControlled !== undefined) attrs.push([StunAttr.IceControlled, u64(msg.iceControlled)]);
  if (msg.iceControlling !== undefined) attrs.push([StunAttr.IceControlling, u64(msg.iceControlling)]);
  if (msg.useCandidate) attrs.push([StunAttr.UseCandidate, Buffer.alloc(0)]);
  if (msg.xorMappedAddress) attrs.push([StunAttr.XorMappedAddress, xorAddressValue(msg.xorMappedAddress, msg.transactionId)]);
  if (msg.errorCode) attrs.push([StunAttr.ErrorCode, errorCodeValue(msg.errorCode)]);
  if (msg.software !== undefined) attrs.push([StunAttr.Software, Buffer.from(msg.software, 'utf8')]);
  for (const a of msg.otherAttributes ?? []) attrs.push([a.type, a.value]);

  let bodySize = 0;
  for (const [, v] of attrs) bodySize += 4 + ((v.length + 3) & ~3);
  const total = STUN_HEADER_SIZE + bodySize + (options.integrityKey !== undefined ? 24 : 0) + (options.fingerprint ? 8 : 0);
  if (total - STUN_HEADER_SIZE > 0xffff) throw new ProtocolError(ErrorCode.RtcStun, 'STUN message too large');
  const out = Buffer.alloc(total);
  const cls = CLASS_BITS[msg.messageClass];
  const m = msg.method;
  out.writeUInt16BE(((m & 0x0f80) << 2) | ((m & 0x0070) << 1) | (m & 0x000f) | cls, 0);
  out.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  msg.transactionId.copy(out, 8);
  let pos = STUN_HEADER_SIZE;
  for (const [type, v] of attrs) {
    out.writeUInt16BE(type, pos);
    out.writeUInt16BE(v.length, pos + 2);
    v.copy(out, pos + 4);
    pos += 4 + ((v.length + 3) & ~3);
  }
  if (options.integrityKey !== undefined) {
    out.writeUInt16BE(StunAttr.MessageIntegrity, pos);
    out.writeUInt16BE(20, pos + 2);
    computeIntegrity(out, pos, integrityKey(options.integrityKey)).copy(out, pos + 4);
    pos += 24;
  }
  if (options.fingerprint) {
    out.writeUInt16BE(pos + 8 - STUN_HEADER_SIZE, 2);
    out.writeUInt16BE(StunAttr.Fingerprint, pos);
    out.writeUInt16BE(4, pos + 2);
    out.writeUInt32BE((crc32(out, 0, pos) ^ STUN_FINGERPRINT_XOR) >>> 0, pos + 4);
    pos += 8;
  }
  out.writeUInt16BE(pos - STUN_HEADER_SIZE, 2);
  return out;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, v));
  return b;
}

function xorAddressValue(a: TransportAddress, transactionId: Buffer): Buffer {
  const addr = ipToBytes(a.address);
  if ((addr.length === 4 ? 'IPv4' : 'IPv6') !== ipFamily(a.address)) throw fail(`bad address ${a.address}`);
  const v = Buffer.alloc(4 + addr.length);
  v[1] = addr.length === 4 ? 0x01 : 0x02;
  v.writeUInt16BE((a.port ^ (STUN_MAGIC_COOKIE >>> 16)) & 0xffff, 2);
  xorAddress(addr, transactionId);
  addr.copy(v, 4);
  return v;
}

function errorCodeValue(e: StunErrorCode): Buffer {
  const reason = Buffer.from(e.reason, 'utf8');
  const v = Buffer.alloc(4 + reason.length);
  v[2] = Math.floor(e.code / 100) & 0x07;
  v[3] = e.code % 100;
  reason.copy(v, 4);
  return v;
}
