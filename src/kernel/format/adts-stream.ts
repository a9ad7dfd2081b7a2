// ADTS frames from a byte stream in any split (the AAC encoder's pipe): the frames of whole ADTS frames
// seen so far, the rest kept for the next chunk. Garbage is skipped to the next syncword by splitAdts.

import { splitAdts, type AdtsFrame } from '../codec/aac.js';

/** Bound on bytes kept without a whole frame (an ADTS frame is at most 8191 bytes). */
const MAX_PENDING = 16384;

export class AdtsStreamReader {
  private pending: Buffer = Buffer.alloc(0);

  /** The frames completed by `chunk` (views, valid until the next push). */
  push(chunk: Buffer): AdtsFrame[] {
    const b = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames = splitAdts(b);
    let consumed = 0;
    const last = frames[frames.length - 1];
    if (last !== undefined) consumed = last.raw.byteOffset + last.raw.length - b.byteOffset;
    const rest = b.subarray(consumed);
    // Copy the tail: `chunk` may be reused by the stream once this returns.
    this.pending = rest.length > MAX_PENDING ? Buffer.alloc(0) : Buffer.from(rest);
    return frames;
  }
}
