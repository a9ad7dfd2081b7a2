// RTMP chunk stream decoder (spec 5.3), push-fed: bytes in, whole messages out.
//
// Each chunk is a basic header (1-3 bytes: fmt + chunk stream id), a message header whose size depends on
// fmt (0: 11 bytes, 1: 7, 2: 3, 3: none), an optional 4-byte extended timestamp, and at most
// `inChunkSize` bytes of payload. Message payloads are copied straight from the pushed bytes into one
// buffer per message, allocated when the header announces the length; only split headers (< 18 bytes)
// are ever buffered, so the caller may reuse the Buffer it pushed as soon as push() returns.

import { ErrorCode, ProtocolError } from '../../core/errors.js';
import {
  DEFAULT_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  MessageType,
  decodeAbort,
  decodeSetChunkSize,
  type RtmpMessage,
} from './message.js';

const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
const DEFAULT_MAX_CHUNK_STREAMS = 1024;
const EXTENDED_TIMESTAMP = 0xffffff;
/** Longest chunk header: 3-byte basic header, 11-byte type 0 header, 4-byte extended timestamp. */
const MAX_HEADER_SIZE = 18;
const NEED_MORE = -1;

/** What we remember per chunk stream id (spec 5.3.1.2: later headers inherit from earlier ones). */
class ChunkStream {
  /** A message header has been seen, so fmt 1/2/3 have something to inherit from. */
  started = false;
  /** Absolute timestamp of the current (or last) message. */
  timestamp = 0;
  /**
   * Timestamp field of the latest fmt 0/1/2 header (extended value when present): the absolute
   * timestamp after fmt 0, the delta after fmt 1/2. A fmt 3 chunk that starts a message adds it again
   * (5.3.1.2.4), and a fmt 3 continuation may repeat it as its extended timestamp.
   */
  timestampField = 0;
  /** The latest fmt 0/1/2 header used an extended timestamp, so fmt 3 chunks carry one too (5.3.1.3). */
  extended = false;
  length = 0;
  typeId = 0;
  streamId = 0;
  /** Payload of the message being reassembled; null between messages. */
  payload: Buffer | null = null;
  filled = 0;
  constructor(readonly chunkStreamId: number) {}
}

export interface ChunkDecoderOptions {
  /** Refuse messages longer than this before allocating them (default 16 MiB). */
  maxMessageSize?: number;
  /** Refuse more distinct chunk stream ids than this (default 1024; real peers use a handful). */
  maxChunkStreams?: number;
  /**
   * Refuse to hold more than this many bytes of partly received messages across all chunk streams
   * (default 2 x maxMessageSize), so a peer cannot make us allocate one huge buffer per chunk stream.
   */
  maxPendingBytes?: number;
}

export class ChunkDecoder {
  /** Total bytes pushed, for Acknowledgement (5.4.3); the session wraps it to 32 bits. */
  bytesReceived = 0;
  private chunkSize = DEFAULT_CHUNK_SIZE;
  private readonly maxMessageSize: number;
  private readonly maxChunkStreams: number;
  private readonly maxPendingBytes: number;
  private readonly streams = new Map<number, ChunkStream>();
  /** Chunk stream whose chunk payload is being read, with the bytes left in that chunk. */
  private current: ChunkStream | null = null;
  private chunkLeft = 0;
  /** A header split across pushes. */
  private readonly header = Buffer.alloc(MAX_HEADER_SIZE);
  private headerLength = 0;
  private pending = 0;
  private failure: ProtocolError | null = null;

  constructor(opts?: ChunkDecoderOptions) {
    this.maxMessageSize = opts?.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.maxChunkStreams = opts?.maxChunkStreams ?? DEFAULT_MAX_CHUNK_STREAMS;
    this.maxPendingBytes = opts?.maxPendingBytes ?? 2 * this.maxMessageSize;
  }

  /** Current receive chunk size, as set by the peer's Set Chunk Size messages. */
  get inChunkSize(): number {
    return this.chunkSize;
  }

  /** Bytes allocated for partly received messages (bounded by maxPendingBytes). */
  get pendingBytes(): number {
    return this.pending;
  }

  /**
   * Decodes as much as possible and keeps the remainder. Returns the completed messages in order.
   * Set Chunk Size and Abort are applied as soon as they complete (and returned too). After a
   * ProtocolError the decoder is unusable and keeps throwing it.
   */
  push(bytes: Buffer): RtmpMessage[] {
    if (this.failure) throw this.failure;
    this.bytesReceived += bytes.length;
    const out: RtmpMessage[] = [];
    try {
      this.run(bytes, out);
    } catch (err) {
      if (err instanceof ProtocolError) this.failure = err;
      throw err;
    }
    return out;
  }

  private run(buf: Buffer, out: RtmpMessage[]): void {
    const end = buf.length;
    let pos = 0;
    while (pos < end) {
      const st = this.current;
      if (st !== null) {
        const n = Math.min(this.chunkLeft, end - pos);
        buf.copy(st.payload!, st.filled, pos, pos + n);
        st.filled += n;
        pos += n;
        this.chunkLeft -= n;
        if (this.chunkLeft === 0) {
          this.current = null;
          if (st.filled === st.length) this.finish(st, out);
        }
        continue;
      }
      if (this.headerLength === 0) {
        const used = this.parseHeader(buf, pos, end, out);
        if (used === NEED_MORE) {
          buf.copy(this.header, 0, pos, end);
          this.headerLength = end - pos;
          return;
        }
        pos += used;
        continue;
      }
      // Complete a header that started in an earlier push.
      const had = this.headerLength;
      const take = Math.min(end - pos, MAX_HEADER_SIZE - had);
      buf.copy(this.header, had, pos, pos + take);
      const used = this.parseHeader(this.header, 0, had + take, out);
      if (used === NEED_MORE) {
        this.headerLength = had + take;
        return;
      }
      this.headerLength = 0;
      if (used >= had) {
        pos += used - had;
      } else {
        // A fmt 3 chunk whose 4-byte extended timestamp we waited for turned out not to have one: the
        // bytes we held back are payload, and come before the rest of `buf`.
        this.run(Buffer.from(this.header.subarray(used, had)), out);
      }
    }
  }

  /**
   * Parses one chunk header at b[start, end) and applies it. Returns the bytes used, or NEED_MORE
   * without changing any state. Throws as soon as the bytes are known to be malformed.
   */
  private parseHeader(b: Buffer, start: number, end: number, out: RtmpMessage[]): number {
    let p = start;
    const b0 = b[p++]!;
    const fmt = b0 >>> 6;
    let csid = b0 & 0x3f;
    // 5.3.1.1: ids 64-319 use a second byte, 64-65599 two more bytes (little-endian).
    if (csid === 0) {
      if (p + 1 > end) return NEED_MORE;
      csid = 64 + b[p++]!;
    } else if (csid === 1) {
      if (p + 2 > end) return NEED_MORE;
      csid = 64 + b[p]! + b[p + 1]! * 256;
      p += 2;
    }
    let st = this.streams.get(csid);
    const inMessage = st !== undefined && st.payload !== null;

    if (fmt === 0) {
      if (p + 11 > end) return NEED_MORE;
      // SRS: a partial message on this chunk stream cannot be followed by a new message.
      if (inMessage) {
        throw new ProtocolError(ErrorCode.RtmpChunkStart, `chunk stream ${csid}: fmt 0 inside a partly received message`);
      }
      let field = b.readUIntBE(p, 3);
      const length = b.readUIntBE(p + 3, 3);
      const typeId = b[p + 6]!;
      const streamId = b.readUInt32LE(p + 7);
      p += 11;
      const extended = field === EXTENDED_TIMESTAMP;
      if (extended) {
        if (p + 4 > end) return NEED_MORE;
        field = b.readUInt32BE(p);
        p += 4;
      }
      st ??= this.create(csid);
      st.started = true;
      st.timestamp = field;
      st.timestampField = field;
      st.extended = extended;
      st.length = length;
      st.typeId = typeId;
      st.streamId = streamId;
      this.begin(st, out);
      return p - start;
    }

    if (fmt === 1) {
      if (p + 7 > end) return NEED_MORE;
      let field = b.readUIntBE(p, 3);
      const length = b.readUIntBE(p + 3, 3);
      const typeId = b[p + 6]!;
      p += 7;
      // SRS: within a message, a fmt 1 header may repeat but not change the length.
      if (inMessage && length !== st!.length) {
        throw new ProtocolError(
          ErrorCode.RtmpPacketSize,
          `chunk stream ${csid}: message length changed from ${st!.length} to ${length} inside the message`,
        );
      }
      const extended = field === EXTENDED_TIMESTAMP;
      if (extended) {
        if (p + 4 > end) return NEED_MORE;
        field = b.readUInt32BE(p);
        p += 4;
      }
      // A fresh chunk stream may start with fmt 1 (librtmp sends its pings that way, SRS issue 98): the
      // delta then applies to timestamp 0 and the message stream id is 0.
      st ??= this.create(csid);
      st.started = true;
      st.timestampField = field;
      st.extended = extended;
      st.typeId = typeId;
      if (inMessage) {
        this.resume(st);
      } else {
        st.length = length;
        st.timestamp = (st.timestamp + field) >>> 0;
        this.begin(st, out);
      }
      return p - start;
    }

    if (st === undefined || !st.started) {
      throw new ProtocolError(ErrorCode.RtmpChunkStart, `chunk stream ${csid}: fmt ${fmt} without a previous header`);
    }

    if (fmt === 2) {
      if (p + 3 > end) return NEED_MORE;
      let field = b.readUIntBE(p, 3);
      p += 3;
      const extended = field === EXTENDED_TIMESTAMP;
      if (extended) {
        if (p + 4 > end) return NEED_MORE;
        field = b.readUInt32BE(p);
        p += 4;
      }
      st.timestampField = field;
      st.extended = extended;
      if (inMessage) {
        this.resume(st);
      } else {
        st.timestamp = (st.timestamp + field) >>> 0;
        this.begin(st, out);
      }
      return p - start;
    }

    // fmt 3.
    if (!inMessage) {
      // A new message with the previous header; its timestamp delta is the previous timestamp field
      // (5.3.1.2.4), which the extended timestamp carries again when it did before.
      let delta = st.timestampField;
      if (st.extended) {
        if (p + 4 > end) return NEED_MORE;
        delta = b.readUInt32BE(p);
        p += 4;
        st.timestampField = delta;
      }
      st.timestamp = (st.timestamp + delta) >>> 0;
      this.begin(st, out);
      return p - start;
    }
    if (st.extended) {
      // 5.3.1.3 (2012 text): continuation chunks repeat the extended timestamp, and FFmpeg, Flash and SRS
      // do. The 2009 text said they must not, and some encoders follow it. Like SRS, take the 4 bytes as
      // the extended timestamp only when they equal the one this message's header carried (or its
      // absolute timestamp); otherwise they are payload. Stop comparing as soon as a byte differs, so a
      // short final chunk from a non-repeating encoder is not held back waiting for 4 bytes.
      const used = this.repeatedExtendedTimestamp(b, p, end, st);
      if (used === NEED_MORE) return NEED_MORE;
      p += used;
    }
    this.resume(st);
    return p - start;
  }

  /** 4 when b[p..] repeats the extended timestamp, 0 when it does not, NEED_MORE when undecided. */
  private repeatedExtendedTimestamp(b: Buffer, p: number, end: number, st: ChunkStream): number {
    const avail = Math.min(4, end - p);
    let sameField = true;
    let sameTimestamp = true;
    for (let i = 0; i < avail; i++) {
      const shift = 24 - 8 * i;
      const v = b[p + i]!;
      if (v !== ((st.timestampField >>> shift) & 0xff)) sameField = false;
      if (v !== ((st.timestamp >>> shift) & 0xff)) sameTimestamp = false;
    }
    if (!sameField && !sameTimestamp) return 0;
    return avail === 4 ? 4 : NEED_MORE;
  }

  private create(csid: number): ChunkStream {
    if (this.streams.size >= this.maxChunkStreams) {
      throw new ProtocolError(ErrorCode.RtmpChunkStart, `more than ${this.maxChunkStreams} chunk streams`);
    }
    const st = new ChunkStream(csid);
    this.streams.set(csid, st);
    return st;
  }

  /** Starts a message whose header is now known: allocate its payload once, then read its first chunk. */
  private begin(st: ChunkStream, out: RtmpMessage[]): void {
    const length = st.length;
    if (length > this.maxMessageSize) {
      throw new ProtocolError(
        ErrorCode.RtmpMessageSize,
        `chunk stream ${st.chunkStreamId}: message of ${length} bytes exceeds ${this.maxMessageSize}`,
      );
    }
    if (length === 0) {
      st.payload = Buffer.alloc(0);
      st.filled = 0;
      this.finish(st, out);
      return;
    }
    if (this.pending + length > this.maxPendingBytes) {
      throw new ProtocolError(
        ErrorCode.RtmpMessageSize,
        `partly received messages would hold ${this.pending + length} bytes, over ${this.maxPendingBytes}`,
      );
    }
    st.payload = Buffer.allocUnsafe(length);
    st.filled = 0;
    this.pending += length;
    this.current = st;
    this.chunkLeft = Math.min(this.chunkSize, length);
  }

  /** A continuation chunk of the message in progress on `st`. */
  private resume(st: ChunkStream): void {
    this.current = st;
    this.chunkLeft = Math.min(this.chunkSize, st.length - st.filled);
  }

  private finish(st: ChunkStream, out: RtmpMessage[]): void {
    const payload = st.payload!;
    st.payload = null;
    this.pending -= payload.length;
    out.push({
      typeId: st.typeId,
      streamId: st.streamId,
      timestamp: st.timestamp,
      chunkStreamId: st.chunkStreamId,
      payload,
    });
    if (st.typeId === MessageType.SetChunkSize) {
      const size = decodeSetChunkSize(payload);
      // 5.4.1: 1..0x7FFFFFFF, but no chunk can carry more than a 2^24 - 1 byte message.
      if (size < 1 || size > MAX_CHUNK_SIZE) {
        throw new ProtocolError(ErrorCode.RtmpChunkSize, `set chunk size ${size} is outside 1..${MAX_CHUNK_SIZE}`);
      }
      this.chunkSize = size;
    } else if (st.typeId === MessageType.Abort) {
      const target = this.streams.get(decodeAbort(payload));
      if (target !== undefined && target.payload !== null) {
        this.pending -= target.payload.length;
        target.payload = null;
        target.filled = 0;
      }
    }
  }
}
