// RTMP messages as the chunk layer carries them, plus the protocol control messages (RTMP spec 5.4) and
// the User Control message (spec 6.2 / 7.1.7), which are plain fixed-layout structs, not AMF.

import { ByteReader } from '../../core/byte-reader.js';
import { ErrorCode, ProtocolError } from '../../core/errors.js';

/** Message type ids (spec 5.4, 7.1). */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;
export type MessageTypeId = (typeof MessageType)[keyof typeof MessageType];

/**
 * User Control event types (spec 7.1.7). 0-7 are in the spec; 26/27 (SWF verification) and 31/32
 * (buffer empty/ready, sent by Flash Media Server to players) are in use by Flash-era peers.
 */
export const UserControlEvent = {
  StreamBegin: 0,
  StreamEOF: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
  SwfVerifyRequest: 26,
  SwfVerifyResponse: 27,
  BufferEmpty: 31,
  BufferReady: 32,
} as const;
export type UserControlEventId = (typeof UserControlEvent)[keyof typeof UserControlEvent];

/** Limit type of Set Peer Bandwidth (spec 5.4.5). */
export const PeerBandwidthLimit = {
  Hard: 0,
  Soft: 1,
  Dynamic: 2,
} as const;
export type PeerBandwidthLimitType = (typeof PeerBandwidthLimit)[keyof typeof PeerBandwidthLimit];

/** Protocol control messages travel on chunk stream 2, message stream 0 (spec 5.4). */
export const CONTROL_CHUNK_STREAM_ID = 2;

/** Chunk stream ids a basic header can express (spec 5.3.1.1): 2..65599. */
export const MIN_CHUNK_STREAM_ID = 2;
export const MAX_CHUNK_STREAM_ID = 65599;
/** Message length is a 24-bit field of the chunk message header (spec 5.3.1.2.1). */
export const MAX_MESSAGE_LENGTH = 0xffffff;
/** Chunk size before any Set Chunk Size (spec 5.4.1). */
export const DEFAULT_CHUNK_SIZE = 128;
/** Largest chunk size we accept or use: no message is longer than 2^24 - 1 bytes, so more is absurd. */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;

export interface RtmpMessage {
  typeId: number;
  /** Message stream id (0 for protocol control and connection-level commands). */
  streamId: number;
  /** 32-bit as on the wire, absolute (deltas already applied, wraps modulo 2^32). */
  timestamp: number;
  chunkStreamId: number;
  payload: Buffer;
}

function control(typeId: number, payload: Buffer): RtmpMessage {
  return { typeId, streamId: 0, timestamp: 0, chunkStreamId: CONTROL_CHUNK_STREAM_ID, payload };
}

function u32Payload(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

/** Set Chunk Size (5.4.1). Bit 31 must be zero, so the size is 1..0x7FFFFFFF. */
export function encodeSetChunkSize(size: number): RtmpMessage {
  return control(MessageType.SetChunkSize, u32Payload(size & 0x7fffffff));
}

/** Abort Message (5.4.2): discard the partly received message on `chunkStreamId`. */
export function encodeAbort(chunkStreamId: number): RtmpMessage {
  return control(MessageType.Abort, u32Payload(chunkStreamId));
}

/** Acknowledgement (5.4.3): the number of bytes received so far (wraps at 2^32). */
export function encodeAcknowledgement(sequenceNumber: number): RtmpMessage {
  return control(MessageType.Acknowledgement, u32Payload(sequenceNumber));
}

/** Window Acknowledgement Size (5.4.4). */
export function encodeWindowAckSize(size: number): RtmpMessage {
  return control(MessageType.WindowAckSize, u32Payload(size));
}

/** Set Peer Bandwidth (5.4.5): window size plus limit type (0 hard, 1 soft, 2 dynamic). */
export function encodeSetPeerBandwidth(size: number, limitType: number): RtmpMessage {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32BE(size >>> 0, 0);
  b[4] = limitType & 0xff;
  return control(MessageType.SetPeerBandwidth, b);
}

/**
 * User Control message (6.2, 7.1.7): 2-byte event type, then event data. `value` is the stream id
 * (StreamBegin/EOF/Dry/SetBufferLength/IsRecorded) or the timestamp (PingRequest/PingResponse);
 * `extra` is the buffer length in ms of SetBufferLength. SWF verify request (26) carries one byte.
 */
export function encodeUserControl(event: number, value: number, extra?: number): RtmpMessage {
  if (event === UserControlEvent.SwfVerifyRequest) {
    const b = Buffer.allocUnsafe(3);
    b.writeUInt16BE(event, 0);
    b[2] = value & 0xff;
    return control(MessageType.UserControl, b);
  }
  const withExtra = extra !== undefined || event === UserControlEvent.SetBufferLength;
  const b = Buffer.allocUnsafe(withExtra ? 10 : 6);
  b.writeUInt16BE(event & 0xffff, 0);
  b.writeUInt32BE(value >>> 0, 2);
  if (withExtra) b.writeUInt32BE((extra ?? 0) >>> 0, 6);
  return control(MessageType.UserControl, b);
}

export function encodeStreamBegin(streamId: number): RtmpMessage {
  return encodeUserControl(UserControlEvent.StreamBegin, streamId);
}
export function encodeStreamEof(streamId: number): RtmpMessage {
  return encodeUserControl(UserControlEvent.StreamEOF, streamId);
}
export function encodePingRequest(timestamp: number): RtmpMessage {
  return encodeUserControl(UserControlEvent.PingRequest, timestamp);
}
export function encodePingResponse(timestamp: number): RtmpMessage {
  return encodeUserControl(UserControlEvent.PingResponse, timestamp);
}

export interface UserControl {
  event: number;
  /** Stream id or timestamp, depending on the event (0 when the event carries none). */
  value: number;
  /** SetBufferLength: buffer length in ms. */
  extra?: number;
}

function reader(payload: Buffer, what: string, min: number): ByteReader {
  if (payload.length < min) {
    throw new ProtocolError(ErrorCode.RtmpMessageDecode, `${what}: payload ${payload.length} bytes, need ${min}`);
  }
  return new ByteReader(payload);
}

/** Decodes a User Control payload; unknown events with a 4-byte value are returned as they are. */
export function decodeUserControl(payload: Buffer): UserControl {
  const r = reader(payload, 'user control', 2);
  const event = r.u16();
  // SWF verification request carries a single byte (librtmp, SRS's "FmsEvent0").
  if (event === UserControlEvent.SwfVerifyRequest) {
    return { event, value: r.remaining >= 1 ? r.u8() : 0 };
  }
  if (r.remaining < 4) {
    throw new ProtocolError(ErrorCode.RtmpMessageDecode, `user control event ${event}: truncated event data`);
  }
  const value = r.u32();
  if (event === UserControlEvent.SetBufferLength) {
    if (r.remaining < 4) {
      throw new ProtocolError(ErrorCode.RtmpMessageDecode, 'user control SetBufferLength: missing buffer length');
    }
    return { event, value, extra: r.u32() };
  }
  return { event, value };
}

/** Raw Set Chunk Size value (range checks belong to the receiver, see ChunkDecoder). */
export function decodeSetChunkSize(payload: Buffer): number {
  return reader(payload, 'set chunk size', 4).u32();
}

export function decodeAbort(payload: Buffer): number {
  return reader(payload, 'abort', 4).u32();
}

export function decodeAcknowledgement(payload: Buffer): number {
  return reader(payload, 'acknowledgement', 4).u32();
}

export function decodeWindowAckSize(payload: Buffer): number {
  return reader(payload, 'window acknowledgement size', 4).u32();
}

export interface PeerBandwidth {
  size: number;
  limitType: number;
}

export function decodeSetPeerBandwidth(payload: Buffer): PeerBandwidth {
  const r = reader(payload, 'set peer bandwidth', 5);
  return { size: r.u32(), limitType: r.u8() };
}
