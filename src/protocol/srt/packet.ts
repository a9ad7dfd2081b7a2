// SRT packet header and the control bodies that are not handshakes (draft-sharabayko-srt §3, §3.2).
// Every packet starts with 16 bytes: F bit + sequence (data) or control type; message word (data) or
// type-specific info (control); a 32-bit microsecond timestamp; the destination socket id.

import { ErrorCode, ProtocolError } from '../../core/errors.js';

export const HEADER_SIZE = 16;

/** Control packet types (§3.2, Table 1). */
export const ControlType = {
  Handshake: 0x0000,
  Keepalive: 0x0001,
  Ack: 0x0002,
  Nak: 0x0003,
  CongestionWarning: 0x0004,
  Shutdown: 0x0005,
  AckAck: 0x0006,
  DropReq: 0x0007,
  PeerError: 0x0008,
  UserDefined: 0x7fff,
} as const;

/** Packet position in a message (PP field, §3.1). Live mode sends one packet per message: solo. */
export const PacketPosition = { Middle: 0, Last: 1, First: 2, Solo: 3 } as const;
/** Which key encrypted a data packet (KK field, §3.1). */
export const KeyFlag = { None: 0, Even: 1, Odd: 2 } as const;

export interface DataPacket {
  kind: 'data';
  seq: number;
  position: number;
  inOrder: boolean;
  keyFlag: number;
  retransmitted: boolean;
  msgNo: number;
  timestamp: number;
  destSocketId: number;
  payload: Buffer;
}

export interface ControlPacket {
  kind: 'control';
  type: number;
  subtype: number;
  typeInfo: number;
  timestamp: number;
  destSocketId: number;
  cif: Buffer;
}

export type SrtPacket = DataPacket | ControlPacket;

function bad(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.SrtConn, `srt: ${message}`);
}

/** Destination socket id of a datagram, for routing before a full decode; undefined when too short. */
export function peekDestSocketId(buf: Buffer): number | undefined {
  return buf.length >= HEADER_SIZE ? buf.readUInt32BE(12) : undefined;
}

export function isControl(buf: Buffer): boolean {
  return buf.length > 0 && (buf[0]! & 0x80) !== 0;
}

/** Decodes one datagram. The payload/CIF is a view into `buf` (no copy). Throws ProtocolError. */
export function decodePacket(buf: Buffer): SrtPacket {
  if (buf.length < HEADER_SIZE) throw bad(`datagram of ${buf.length} bytes is shorter than a header`);
  const w0 = buf.readUInt32BE(0);
  const w1 = buf.readUInt32BE(4);
  const timestamp = buf.readUInt32BE(8);
  const destSocketId = buf.readUInt32BE(12);
  if ((w0 & 0x80000000) === 0) {
    return {
      kind: 'data',
      seq: w0 & 0x7fffffff,
      position: w1 >>> 30,
      inOrder: (w1 & 0x20000000) !== 0,
      keyFlag: (w1 >>> 27) & 3,
      retransmitted: (w1 & 0x04000000) !== 0,
      msgNo: w1 & 0x03ffffff,
      timestamp,
      destSocketId,
      payload: buf.subarray(HEADER_SIZE),
    };
  }
  return {
    kind: 'control',
    type: (w0 >>> 16) & 0x7fff,
    subtype: w0 & 0xffff,
    typeInfo: w1,
    timestamp,
    destSocketId,
    cif: buf.subarray(HEADER_SIZE),
  };
}

/** Writes a data header into `out` at 0; the payload follows at HEADER_SIZE. */
export function writeDataHeader(out: Buffer, p: Omit<DataPacket, 'kind' | 'payload'>): void {
  out.writeUInt32BE(p.seq & 0x7fffffff, 0);
  const w1 =
    ((p.position & 3) << 30) |
    (p.inOrder ? 0x20000000 : 0) |
    ((p.keyFlag & 3) << 27) |
    (p.retransmitted ? 0x04000000 : 0) |
    (p.msgNo & 0x03ffffff);
  out.writeUInt32BE(w1 >>> 0, 4);
  out.writeUInt32BE(p.timestamp >>> 0, 8);
  out.writeUInt32BE(p.destSocketId >>> 0, 12);
}

export function encodeDataPacket(p: Omit<DataPacket, 'kind'>): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + p.payload.length);
  writeDataHeader(out, p);
  p.payload.copy(out, HEADER_SIZE);
  return out;
}

export function encodeControlPacket(p: Omit<ControlPacket, 'kind'>): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + p.cif.length);
  out.writeUInt32BE((0x80000000 | ((p.type & 0x7fff) << 16) | (p.subtype & 0xffff)) >>> 0, 0);
  out.writeUInt32BE(p.typeInfo >>> 0, 4);
  out.writeUInt32BE(p.timestamp >>> 0, 8);
  out.writeUInt32BE(p.destSocketId >>> 0, 12);
  p.cif.copy(out, HEADER_SIZE);
  return out;
}

/** ACK body (§3.2.4). A light ACK carries only `lastAckSeq`; a small one stops after the buffer size. */
export interface AckInfo {
  /** The next sequence the receiver expects: everything before it arrived. */
  lastAckSeq: number;
  rttUs?: number;
  rttVarUs?: number;
  availBufPackets?: number;
  packetsPerSecond?: number;
  linkCapacityPps?: number;
  receiveRateBps?: number;
}

export function encodeAck(a: AckInfo): Buffer {
  if (a.rttUs === undefined) {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(a.lastAckSeq, 0);
    return b;
  }
  const b = Buffer.allocUnsafe(28);
  b.writeUInt32BE(a.lastAckSeq, 0);
  b.writeUInt32BE(a.rttUs >>> 0, 4);
  b.writeUInt32BE((a.rttVarUs ?? 0) >>> 0, 8);
  b.writeUInt32BE((a.availBufPackets ?? 0) >>> 0, 12);
  b.writeUInt32BE((a.packetsPerSecond ?? 0) >>> 0, 16);
  b.writeUInt32BE((a.linkCapacityPps ?? 0) >>> 0, 20);
  b.writeUInt32BE((a.receiveRateBps ?? 0) >>> 0, 24);
  return b;
}

export function decodeAck(cif: Buffer): AckInfo {
  if (cif.length < 4) throw bad('ACK without a sequence number');
  const a: AckInfo = { lastAckSeq: cif.readUInt32BE(0) & 0x7fffffff };
  if (cif.length >= 16) {
    a.rttUs = cif.readUInt32BE(4);
    a.rttVarUs = cif.readUInt32BE(8);
    a.availBufPackets = cif.readUInt32BE(12);
  }
  if (cif.length >= 28) {
    a.packetsPerSecond = cif.readUInt32BE(16);
    a.linkCapacityPps = cif.readUInt32BE(20);
    a.receiveRateBps = cif.readUInt32BE(24);
  }
  return a;
}

/** A loss range, inclusive at both ends. */
export interface LossRange {
  from: number;
  to: number;
}

/** NAK loss list (§3.2.5, Appendix A): a single number, or a range as first|0x80000000 then last. */
export function encodeLossList(ranges: readonly LossRange[]): Buffer {
  let words = 0;
  for (const r of ranges) words += r.from === r.to ? 1 : 2;
  const b = Buffer.allocUnsafe(words * 4);
  let o = 0;
  for (const r of ranges) {
    if (r.from === r.to) {
      b.writeUInt32BE(r.from, o);
      o += 4;
    } else {
      b.writeUInt32BE((r.from | 0x80000000) >>> 0, o);
      b.writeUInt32BE(r.to, o + 4);
      o += 8;
    }
  }
  return b;
}

export function decodeLossList(cif: Buffer): LossRange[] {
  if (cif.length % 4 !== 0) throw bad(`NAK body of ${cif.length} bytes is not whole words`);
  const out: LossRange[] = [];
  for (let o = 0; o < cif.length; o += 4) {
    const w = cif.readUInt32BE(o);
    if (w & 0x80000000) {
      if (o + 4 >= cif.length) throw bad('NAK range without its end');
      const to = cif.readUInt32BE(o + 4);
      if (to & 0x80000000) throw bad('NAK range end has the range bit');
      out.push({ from: w & 0x7fffffff, to });
      o += 4;
    } else {
      out.push({ from: w, to: w });
    }
  }
  return out;
}

/** DROPREQ body (§3.2.9): the sender gave up on these sequence numbers. */
export function encodeDropReq(from: number, to: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(from, 0);
  b.writeUInt32BE(to, 4);
  return b;
}

export function decodeDropReq(cif: Buffer): LossRange {
  if (cif.length < 8) throw bad('DROPREQ without its range');
  return { from: cif.readUInt32BE(0) & 0x7fffffff, to: cif.readUInt32BE(4) & 0x7fffffff };
}
