// RTMP chunk stream encoder (spec 5.3): one message in, header Buffers and payload views out, for writev.
//
// Header compression follows the spec's intent (5.3.1.2) and what FFmpeg's encoder does:
//   fmt 0 for the first message on a chunk stream, a new message stream id, or a timestamp going back;
//   fmt 1 when length or type id changed; fmt 2 when only the delta is new; fmt 3 when the delta repeats.
// A fmt 3 chunk that starts a message is only used after a fmt 1/2 header sent a real delta. Right after
// fmt 0 the inherited "delta" is the fmt 0 timestamp itself (spec 5.3.1.2.4; FFmpeg, librtmp and SRS read
// it so): a corner few encoders exercise and simpler readers may get wrong, for 3 bytes saved at most.
// Extended timestamps (field >= 0xFFFFFF) are repeated on every fmt 3 chunk (5.3.1.3, 2012 text), as
// FFmpeg, Flash and SRS expect.

import { ErrorCode, TsrsError } from '../../core/errors.js';
import {
  DEFAULT_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  MAX_CHUNK_STREAM_ID,
  MAX_MESSAGE_LENGTH,
  MIN_CHUNK_STREAM_ID,
  type RtmpMessage,
} from './message.js';

const EXTENDED_TIMESTAMP = 0xffffff;
/**
 * Headers are carved out of slabs of this size (a bigger message gets a slab of its own). Every player
 * holds one, so it stays small: a 350 ms merged write of a 2 Mbit/s stream takes about 20 x 12 bytes,
 * and 8 KiB slabs were ~24 MB of RSS at 3000 viewers (issue 8).
 */
const SLAB_SIZE = 1024;
const NO_DELTA = -1;

/** The previous message header sent on one chunk stream. */
interface SentHeader {
  streamId: number;
  typeId: number;
  length: number;
  timestamp: number;
  /** Delta established by the last fmt 1/2 header (NO_DELTA right after fmt 0). */
  delta: number;
}

function basicHeaderSize(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

function writeBasicHeader(b: Buffer, p: number, fmt: number, csid: number): number {
  if (csid < 64) {
    b[p] = (fmt << 6) | csid;
    return p + 1;
  }
  if (csid < 320) {
    b[p] = fmt << 6;
    b[p + 1] = csid - 64;
    return p + 2;
  }
  b[p] = (fmt << 6) | 1;
  b[p + 1] = (csid - 64) & 0xff;
  b[p + 2] = (csid - 64) >>> 8;
  return p + 3;
}

const MESSAGE_HEADER_SIZE = [11, 7, 3, 0] as const;

export class ChunkEncoder {
  private chunkSize = DEFAULT_CHUNK_SIZE;
  private readonly sent = new Map<number, SentHeader>();
  private slab: Buffer = Buffer.alloc(0);
  private slabUsed = 0;

  /**
   * Chunk size for the messages encoded from now on. Send the Set Chunk Size message (encoded with the
   * old size) before changing it, as the peer applies it at that point of the stream.
   */
  get outChunkSize(): number {
    return this.chunkSize;
  }
  set outChunkSize(size: number) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
      throw new TsrsError(ErrorCode.RtmpChunkSize, `chunk size ${size} is outside 1..${MAX_CHUNK_SIZE}`);
    }
    this.chunkSize = size;
  }

  /**
   * Appends the chunks of one message to `out`: a header Buffer before each chunk's payload view. All
   * headers of the message share one small allocation; the payload is never copied. Handed-out Buffers
   * are never written again, so they may sit in a write queue.
   */
  encode(msg: RtmpMessage, out: Buffer[]): void {
    const csid = msg.chunkStreamId;
    if (!Number.isInteger(csid) || csid < MIN_CHUNK_STREAM_ID || csid > MAX_CHUNK_STREAM_ID) {
      throw new TsrsError(ErrorCode.RtmpChunkStart, `chunk stream id ${csid} is outside 2..65599`);
    }
    const payload = msg.payload;
    const length = payload.length;
    if (length > MAX_MESSAGE_LENGTH) {
      throw new TsrsError(ErrorCode.RtmpMessageSize, `message of ${length} bytes does not fit a 24-bit length`);
    }
    const typeId = msg.typeId & 0xff;
    const streamId = msg.streamId >>> 0;
    const timestamp = msg.timestamp >>> 0;

    const prev = this.sent.get(csid);
    let fmt: number;
    let field: number;
    if (prev === undefined || prev.streamId !== streamId || timestamp < prev.timestamp) {
      fmt = 0;
      field = timestamp;
    } else {
      field = timestamp - prev.timestamp;
      if (prev.length !== length || prev.typeId !== typeId) fmt = 1;
      else if (prev.delta === field) fmt = 3;
      else fmt = 2;
    }
    const extended = field >= EXTENDED_TIMESTAMP;

    const chunkSize = this.chunkSize;
    const basic = basicHeaderSize(csid);
    const extSize = extended ? 4 : 0;
    const firstSize = basic + MESSAGE_HEADER_SIZE[fmt as 0 | 1 | 2 | 3] + extSize;
    const contSize = basic + extSize;
    const chunks = length === 0 ? 1 : Math.ceil(length / chunkSize);
    const headers = this.take(firstSize + (chunks - 1) * contSize);

    // First chunk header.
    let p = writeBasicHeader(headers, 0, fmt, csid);
    if (fmt <= 2) {
      headers.writeUIntBE(extended ? EXTENDED_TIMESTAMP : field, p, 3);
      p += 3;
      if (fmt <= 1) {
        headers.writeUIntBE(length, p, 3);
        headers[p + 3] = typeId;
        p += 4;
        if (fmt === 0) {
          headers.writeUInt32LE(streamId, p);
          p += 4;
        }
      }
    }
    if (extended) {
      headers.writeUInt32BE(field, p);
      p += 4;
    }
    out.push(headers.subarray(0, p));
    let off = Math.min(chunkSize, length);
    // Most media messages fit one chunk: hand out the payload itself, not a view of it (one object less
    // per message per viewer, issue 8).
    if (off > 0) out.push(off === length ? payload : payload.subarray(0, off));

    // Continuation chunks: fmt 3, repeating the extended timestamp.
    while (off < length) {
      const h = p;
      p = writeBasicHeader(headers, p, 3, csid);
      if (extended) {
        headers.writeUInt32BE(field, p);
        p += 4;
      }
      out.push(headers.subarray(h, p));
      const n = Math.min(chunkSize, length - off);
      out.push(payload.subarray(off, off + n));
      off += n;
    }

    if (prev === undefined) {
      this.sent.set(csid, { streamId, typeId, length, timestamp, delta: NO_DELTA });
    } else {
      prev.streamId = streamId;
      prev.typeId = typeId;
      prev.length = length;
      prev.timestamp = timestamp;
      prev.delta = fmt === 0 ? NO_DELTA : field;
    }
  }

  /** The chunks of one message as a single Buffer (copies; for control messages and tests). */
  encodeToBuffer(msg: RtmpMessage): Buffer {
    const parts: Buffer[] = [];
    this.encode(msg, parts);
    return Buffer.concat(parts);
  }

  /**
   * Start carving the current slab from its beginning again. Only for a caller that knows every header
   * handed out so far has left the process (written to the kernel, queued nowhere): then a player's
   * headers take no new memory at all, instead of a new slab every second or two (issue 8: those slabs
   * were garbage of external memory that only a full GC frees, the RSS swing of a busy server).
   */
  recycle(): void {
    this.slabUsed = 0;
  }

  /** A fresh region of `n` bytes from the current slab; regions are reused only after recycle(). */
  private take(n: number): Buffer {
    if (this.slabUsed + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, n));
      this.slabUsed = 0;
    }
    const region = this.slab.subarray(this.slabUsed, this.slabUsed + n);
    this.slabUsed += n;
    return region;
  }
}
