// What the server and client sessions both need on the receive side: aggregate messages split into their
// FLV tags, 32-bit timestamps unwrapped per message type, and acknowledgements for the peer's window.
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { Rtmp32Unwrapper } from '../../kernel/timestamp.js';
import { encodeAcknowledgement, type RtmpMessage } from './message.js';

export interface AggregatePart {
  typeId: number;
  /** Unwrapped: the aggregate's own timestamp plus the sub-tag's offset from the first sub-tag. */
  timestamp: number;
  /** A view into the aggregate's payload (which the decoder allocated for this message alone). */
  payload: Buffer;
}

/** Split an aggregate message (type 22): FLV tags back to back, sub-tag stamps relative to the first (spec 7.1.6). */
export function splitAggregate(body: Buffer, aggregateTs: number): AggregatePart[] {
  const parts: AggregatePart[] = [];
  let pos = 0;
  let base = -1;
  while (pos + 11 <= body.length) {
    const typeId = body[pos]!;
    const size = body.readUIntBE(pos + 1, 3);
    const ts = (body.readUIntBE(pos + 4, 3) | (body[pos + 7]! << 24)) >>> 0;
    const start = pos + 11;
    const end = start + size;
    if (end > body.length) throw new ProtocolError(ErrorCode.RtmpMessageDecode, 'aggregate sub-message overruns the message');
    if (base < 0) base = ts;
    parts.push({ typeId, timestamp: aggregateTs + (ts - base), payload: body.subarray(start, end) });
    pos = end + 4; // PreviousTagSize
  }
  return parts;
}

/** One unwrapper per message type, so audio and video wrap independently. */
export class TimestampUnwrappers {
  private readonly byType = new Map<number, Rtmp32Unwrapper>();
  unwrap(typeId: number, ts32: number): number {
    let u = this.byType.get(typeId);
    if (!u) {
      u = new Rtmp32Unwrapper();
      this.byType.set(typeId, u);
    }
    return u.unwrap(ts32);
  }
}

/** Acknowledgements owed to a peer that announced a window (Window Acknowledgement Size, spec 5.4.4). */
export class AckTracker {
  private windowSize = 0;
  private lastAcked = 0;

  /** The peer's Window Acknowledgement Size message. */
  onWindowAckSize(msg: RtmpMessage): void {
    if (msg.payload.length >= 4) this.windowSize = msg.payload.readUInt32BE(0);
  }

  /** The acknowledgement to send now, if a window's worth arrived since the last one. */
  due(bytesReceived: number): RtmpMessage | null {
    if (this.windowSize <= 0 || bytesReceived - this.lastAcked < this.windowSize) return null;
    this.lastAcked = bytesReceived;
    return encodeAcknowledgement(bytesReceived >>> 0);
  }
}
