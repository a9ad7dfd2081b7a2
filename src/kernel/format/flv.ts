// FLV framing (Adobe "Video File Format Specification" v10.1, annex E): file header, tags, script data,
// and the audio/video tag-body headers (E.4.2, E.4.3, plus Enhanced RTMP's extended video header).
// Pure: builds and parses bytes, never touches a socket or file.

import { ErrorCode, ProtocolError, TsrsError } from '../../core/errors.js';
import { type Amf0Value, Amf0EcmaArray, decodeAmf0, encodeAmf0 } from './amf0.js';

export type FlvTagType = 8 | 9 | 18;
export const FlvTagType = { Audio: 8, Video: 9, Script: 18 } as const;

/** Bytes in the file header ("FLV", version, flags, data offset). */
export const FLV_HEADER_SIZE = 9;
/** Bytes in a tag header (type, data size, timestamp + extension, stream id). */
export const FLV_TAG_HEADER_SIZE = 11;
/** Bytes in a PreviousTagSize field. */
export const FLV_PREVIOUS_TAG_SIZE = 4;
/** Largest body a tag header can describe (DataSize is UI24). */
export const FLV_MAX_TAG_BODY = 0xffffff;
/** Default upper bound for a tag body accepted by FlvDemuxer. */
export const FLV_DEFAULT_MAX_TAG_SIZE = 16 * 1024 * 1024;

export interface FlvHeader {
  readonly version: number;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
}

export interface FlvTag {
  readonly type: FlvTagType;
  /** Milliseconds, 32-bit (Timestamp | TimestampExtended << 24). */
  readonly timestamp: number;
  /** The tag body, a copy owned by the tag (never a view of the bytes given to push()). */
  readonly body: Buffer;
}

function decodeError(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.MediaDecode, `flv: ${message}`);
}

// ---------------------------------------------------------------------------------------------------------
// Encode

/** The 9-byte FLV header followed by PreviousTagSize0 (13 bytes). */
export function encodeFlvHeader(opts: { hasAudio: boolean; hasVideo: boolean }): Buffer {
  const b = Buffer.alloc(FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE);
  b.write('FLV', 0, 'latin1');
  b[3] = 1;
  b[4] = (opts.hasAudio ? 0x04 : 0) | (opts.hasVideo ? 0x01 : 0);
  b.writeUInt32BE(FLV_HEADER_SIZE, 5);
  // PreviousTagSize0 = 0 (already zero).
  return b;
}

/** A timestamp as the tag's 32 bits: unwrapped 53-bit ms wrap modulo 2^32, negatives clamp to 0. */
function ts32(timestampMs: number): number {
  if (!(timestampMs > 0)) return 0;
  return Math.floor(timestampMs) % 0x100000000;
}

/**
 * Writes an 11-byte tag header into `out` at `offset` (stream id 0) and returns the offset after it.
 * For hot paths: the caller owns the buffer and writes the body and PreviousTagSize around it.
 */
export function flvTagHeader(type: FlvTagType, timestampMs: number, bodyLength: number, out: Buffer, offset: number): number {
  if (bodyLength < 0 || bodyLength > FLV_MAX_TAG_BODY) {
    throw new TsrsError(ErrorCode.RtmpMessageSize, `flv: tag body of ${bodyLength} bytes does not fit UI24`);
  }
  const ts = ts32(timestampMs);
  out[offset] = type;
  out[offset + 1] = (bodyLength >>> 16) & 0xff;
  out[offset + 2] = (bodyLength >>> 8) & 0xff;
  out[offset + 3] = bodyLength & 0xff;
  out[offset + 4] = (ts >>> 16) & 0xff;
  out[offset + 5] = (ts >>> 8) & 0xff;
  out[offset + 6] = ts & 0xff;
  out[offset + 7] = (ts >>> 24) & 0xff; // TimestampExtended: the upper 8 bits
  out[offset + 8] = 0;
  out[offset + 9] = 0;
  out[offset + 10] = 0;
  return offset + FLV_TAG_HEADER_SIZE;
}

/** Writes the PreviousTagSize that follows a tag with this body length; returns the offset after it. */
export function flvPreviousTagSize(bodyLength: number, out: Buffer, offset: number): number {
  out.writeUInt32BE(FLV_TAG_HEADER_SIZE + bodyLength, offset);
  return offset + FLV_PREVIOUS_TAG_SIZE;
}

/** One complete tag: header, body and PreviousTagSize, in a new buffer. */
export function encodeFlvTag(type: FlvTagType, timestampMs: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FLV_TAG_HEADER_SIZE + body.length + FLV_PREVIOUS_TAG_SIZE);
  let off = flvTagHeader(type, timestampMs, body.length, out, 0);
  body.copy(out, off);
  off += body.length;
  flvPreviousTagSize(body.length, out, off);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Demux

export interface FlvDemuxerOptions {
  /** Expect the 9-byte header and PreviousTagSize0 first (default true). False for a bare tag stream. */
  readonly header?: boolean;
  /** Largest tag body accepted (default 16 MiB). */
  readonly maxTagSize?: number;
}

type DemuxState = 'header' | 'tag-header' | 'tag-body';

/** Pending storage above this size is released once it drains, so one huge tag does not pin memory. */
const KEEP_STORAGE_BYTES = 64 * 1024;

/**
 * Push-fed FLV parser: give it bytes as they arrive, get back the tags they complete.
 * - Tags are parsed straight from the pushed buffer; only an incomplete remainder is copied into the
 *   demuxer's own storage (a growable buffer, so a large tag arriving in small pieces costs O(n)).
 * - Tag bodies are always copies: nothing returned or kept aliases the caller's buffer, which may be a
 *   reused socket read buffer.
 * - PreviousTagSize fields are skipped, not checked: some muxers write them wrong and players ignore them.
 */
export class FlvDemuxer {
  /** The file header, once read (null before, or when created with `header: false`). */
  header: FlvHeader | null = null;
  private state: DemuxState;
  private readonly maxTagSize: number;
  private storage: Buffer = Buffer.alloc(0);
  private pending = 0; // bytes of `storage` holding unparsed input
  private headerSkip = 0; // extra header bytes (DataOffset > 9) and PreviousTagSize0 still to skip
  private tagType: FlvTagType = 8;
  private tagSize = 0;
  private tagTimestamp = 0;

  constructor(opts: FlvDemuxerOptions = {}) {
    this.state = opts.header === false ? 'tag-header' : 'header';
    this.maxTagSize = opts.maxTagSize ?? FLV_DEFAULT_MAX_TAG_SIZE;
  }

  /** Bytes held back waiting for the rest of a header or tag. */
  get bufferedBytes(): number {
    return this.pending;
  }

  /** Feeds bytes; returns every tag completed by them, in order. Throws ProtocolError on malformed data. */
  push(bytes: Buffer): FlvTag[] {
    const tags: FlvTag[] = [];
    if (this.pending === 0) {
      const pos = this.parse(bytes, tags);
      this.keep(bytes, pos);
      return tags;
    }
    this.append(bytes);
    const data = this.storage.subarray(0, this.pending);
    const pos = this.parse(data, tags);
    if (pos > 0) {
      // Only a partial header or tag is left: move it to the front (it is moved at most once per push,
      // and not again until it completes, so a large tag is not copied over and over).
      this.storage.copy(this.storage, 0, pos, this.pending);
      this.pending -= pos;
      if (this.pending === 0 && this.storage.length > KEEP_STORAGE_BYTES) this.storage = Buffer.alloc(0);
    }
    return tags;
  }

  private append(bytes: Buffer): void {
    const need = this.pending + bytes.length;
    if (need > this.storage.length) {
      let size = Math.max(4096, this.storage.length * 2);
      while (size < need) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.storage.copy(next, 0, 0, this.pending);
      this.storage = next;
    }
    bytes.copy(this.storage, this.pending);
    this.pending = need;
  }

  /** Copies the unparsed tail of a pushed buffer into own storage (pending is 0 here). */
  private keep(bytes: Buffer, pos: number): void {
    if (pos < bytes.length) this.append(bytes.subarray(pos));
  }

  /** Parses complete items from data[0..]; returns the offset where it stopped. */
  private parse(data: Buffer, tags: FlvTag[]): number {
    let pos = 0;
    for (;;) {
      const avail = data.length - pos;
      if (this.state === 'header') {
        if (this.headerSkip > 0) {
          const d = Math.min(this.headerSkip, avail);
          pos += d;
          this.headerSkip -= d;
          if (this.headerSkip > 0) return pos;
          this.state = 'tag-header';
          continue;
        }
        if (avail < FLV_HEADER_SIZE) return pos;
        if (data[pos] !== 0x46 || data[pos + 1] !== 0x4c || data[pos + 2] !== 0x56) {
          throw decodeError(`bad signature ${data.subarray(pos, pos + 3).toString('hex')}, want "FLV"`);
        }
        const dataOffset = data.readUInt32BE(pos + 5);
        if (dataOffset < FLV_HEADER_SIZE || dataOffset > 1024) throw decodeError(`bad header DataOffset ${dataOffset}`);
        const flags = data[pos + 4]!;
        this.header = { version: data[pos + 3]!, hasAudio: (flags & 0x04) !== 0, hasVideo: (flags & 0x01) !== 0 };
        pos += FLV_HEADER_SIZE;
        // Skip any extra header bytes plus PreviousTagSize0.
        this.headerSkip = dataOffset - FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE;
        continue;
      }
      if (this.state === 'tag-header') {
        if (avail < FLV_TAG_HEADER_SIZE) return pos;
        const typeByte = data[pos]!;
        if ((typeByte & 0x20) !== 0) throw decodeError('encrypted (Filter=1) tags are not supported');
        const type = typeByte & 0x1f;
        if (type !== 8 && type !== 9 && type !== 18) throw decodeError(`bad tag type ${type}`);
        const size = data.readUIntBE(pos + 1, 3);
        if (size > this.maxTagSize) throw decodeError(`tag of ${size} bytes exceeds ${this.maxTagSize}`);
        this.tagType = type;
        this.tagSize = size;
        this.tagTimestamp = (data.readUIntBE(pos + 4, 3) | (data[pos + 7]! << 24)) >>> 0;
        pos += FLV_TAG_HEADER_SIZE;
        this.state = 'tag-body';
        continue;
      }
      // tag-body: the body, then its PreviousTagSize
      if (avail < this.tagSize + FLV_PREVIOUS_TAG_SIZE) return pos;
      const body = Buffer.allocUnsafe(this.tagSize);
      data.copy(body, 0, pos, pos + this.tagSize);
      pos += this.tagSize + FLV_PREVIOUS_TAG_SIZE;
      tags.push({ type: this.tagType, timestamp: this.tagTimestamp, body });
      this.state = 'tag-header';
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tag-body headers (E.4.2 audio, E.4.3 video, Enhanced RTMP video)

/** SoundFormat values (E.4.2.1). */
export const FlvSoundFormat = {
  LinearPcmPlatform: 0,
  Adpcm: 1,
  Mp3: 2,
  LinearPcmLe: 3,
  Nellymoser16kMono: 4,
  Nellymoser8kMono: 5,
  Nellymoser: 6,
  G711ALaw: 7,
  G711MuLaw: 8,
  Aac: 10,
  Speex: 11,
  Opus: 13,
  Mp3_8k: 14,
} as const;

/** CodecID values of the legacy video header (E.4.3.1); 12 is the widespread HEVC extension. */
export const FlvVideoCodecId = { SorensonH263: 2, ScreenVideo: 3, Vp6: 4, Vp6Alpha: 5, ScreenVideo2: 6, Avc: 7, Hevc: 12, Av1: 13 } as const;

/** SoundRate (2 bits) → Hz. */
export const FLV_SOUND_RATES: readonly number[] = [5512, 11025, 22050, 44100];

export interface FlvAudioTagHeader {
  readonly soundFormat: number;
  /** SoundRate index 0..3 (see FLV_SOUND_RATES). */
  readonly soundRate: number;
  /** 0 = 8-bit, 1 = 16-bit. */
  readonly soundSize: number;
  /** 0 = mono, 1 = stereo. */
  readonly soundType: number;
  /** AAC only: 0 = AudioSpecificConfig, 1 = raw frame; null otherwise. */
  readonly aacPacketType: number | null;
  /** Offset of the codec payload in the body. */
  readonly dataOffset: number;
}

export function parseFlvAudioTagHeader(body: Buffer): FlvAudioTagHeader {
  if (body.length < 1) throw decodeError('empty audio tag');
  const b0 = body[0]!;
  const soundFormat = b0 >> 4;
  let aacPacketType: number | null = null;
  let dataOffset = 1;
  if (soundFormat === FlvSoundFormat.Aac) {
    if (body.length < 2) throw decodeError('AAC audio tag without AACPacketType');
    aacPacketType = body[1]!;
    dataOffset = 2;
  }
  return { soundFormat, soundRate: (b0 >> 2) & 3, soundSize: (b0 >> 1) & 1, soundType: b0 & 1, aacPacketType, dataOffset };
}

export interface FlvVideoTagHeader {
  /** 1 keyframe, 2 inter, 3 disposable inter, 4 generated keyframe, 5 video info/command. */
  readonly frameType: number;
  /** Legacy CodecID, or null for an Enhanced RTMP header. */
  readonly codecId: number | null;
  /** Enhanced RTMP FourCC ("hvc1", "av01", "vp09", "avc1"), or null for a legacy header. */
  readonly fourCc: string | null;
  /** True when the body carries a decoder configuration record (AVC/HEVC sequence header). */
  readonly sequenceHeader: boolean;
  /** Legacy AVCPacketType / Enhanced PacketType, or null for codecs without one. */
  readonly packetType: number | null;
  /** Composition time offset, ms (pts - dts). */
  readonly compositionTime: number;
  /** Offset of the codec payload (config record or NALUs) in the body. */
  readonly dataOffset: number;
}

/** Enhanced RTMP PacketType values. */
export const FlvExVideoPacketType = {
  SequenceStart: 0,
  CodedFrames: 1,
  SequenceEnd: 2,
  CodedFramesX: 3,
  Metadata: 4,
  Mpeg2TsSequenceStart: 5,
} as const;

export function parseFlvVideoTagHeader(body: Buffer): FlvVideoTagHeader {
  if (body.length < 1) throw decodeError('empty video tag');
  const b0 = body[0]!;
  if ((b0 & 0x80) !== 0) {
    // Enhanced RTMP: [IsExHeader:1][FrameType:3][PacketType:4][FourCC:4]...
    if (body.length < 5) throw decodeError('enhanced video tag without FourCC');
    const packetType = b0 & 0x0f;
    const fourCc = body.toString('latin1', 1, 5);
    let dataOffset = 5;
    let compositionTime = 0;
    if (packetType === FlvExVideoPacketType.CodedFrames && fourCc !== 'av01' && fourCc !== 'vp09') {
      if (body.length < 8) throw decodeError('enhanced video tag without CompositionTime');
      compositionTime = body.readIntBE(5, 3);
      dataOffset = 8;
    }
    return {
      frameType: (b0 >> 4) & 0x07,
      codecId: null,
      fourCc,
      sequenceHeader: packetType === FlvExVideoPacketType.SequenceStart,
      packetType,
      compositionTime,
      dataOffset,
    };
  }
  const codecId = b0 & 0x0f;
  const frameType = b0 >> 4;
  if (codecId === FlvVideoCodecId.Avc || codecId === FlvVideoCodecId.Hevc) {
    if (body.length < 5) throw decodeError('AVC/HEVC video tag shorter than 5 bytes');
    const packetType = body[1]!;
    return {
      frameType,
      codecId,
      fourCc: null,
      sequenceHeader: packetType === 0,
      packetType,
      compositionTime: body.readIntBE(2, 3),
      dataOffset: 5,
    };
  }
  return { frameType, codecId, fourCc: null, sequenceHeader: false, packetType: null, compositionTime: 0, dataOffset: 1 };
}

// ---------------------------------------------------------------------------------------------------------
// Script data (onMetaData)

/** Well-known onMetaData properties (E.5); any other property may be added. */
export interface FlvMetadata {
  duration?: number;
  width?: number;
  height?: number;
  videodatarate?: number;
  framerate?: number;
  videocodecid?: number | string;
  audiodatarate?: number;
  audiosamplerate?: number;
  audiosamplesize?: number;
  stereo?: boolean;
  audiocodecid?: number | string;
  filesize?: number;
  encoder?: string;
  [key: string]: Amf0Value;
}

/** Script tag body `onMetaData` + ECMA array of the given properties (what players and SRS expect). */
export function encodeOnMetaData(metadata: FlvMetadata): Buffer {
  const entries: Record<string, Amf0Value> = {};
  for (const key of Object.keys(metadata)) {
    const v = metadata[key];
    if (v !== undefined) entries[key] = v;
  }
  return encodeAmf0('onMetaData', new Amf0EcmaArray(entries));
}

/** A complete FLV script tag carrying onMetaData. */
export function encodeOnMetaDataTag(metadata: FlvMetadata, timestampMs = 0): Buffer {
  return encodeFlvTag(FlvTagType.Script, timestampMs, encodeOnMetaData(metadata));
}

export interface ScriptData {
  /** The handler name, e.g. "onMetaData" (an RTMP "@setDataFrame" wrapper is removed). */
  readonly name: string;
  /** The values after the name. */
  readonly values: Amf0Value[];
}

/**
 * Decodes a script tag / AMF0 data message body. RTMP publishers send
 * `"@setDataFrame", "onMetaData", {…}`; like SRS, the wrapper is dropped so the result reads as the FLV
 * form `"onMetaData", {…}`. Throws ProtocolError (RtmpAmf0Decode) on malformed AMF0.
 */
export function decodeScriptData(body: Buffer): ScriptData {
  const values = decodeAmf0(body);
  let name = values.shift();
  if (name === '@setDataFrame') name = values.shift();
  if (typeof name !== 'string') {
    throw new ProtocolError(ErrorCode.RtmpAmf0Decode, 'script data does not start with a string name');
  }
  return { name, values };
}

/** The properties of an onMetaData value (ECMA array or object), or null when it is neither. */
export function metadataProperties(value: Amf0Value): Record<string, Amf0Value> | null {
  if (value instanceof Amf0EcmaArray) return value.entries;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) return value;
  return null;
}

/** Reads a whole FLV held in memory (convenience over FlvDemuxer; throws if it ends mid-tag). */
export function demuxFlv(file: Buffer): { header: FlvHeader; tags: FlvTag[] } {
  const d = new FlvDemuxer();
  const tags = d.push(file);
  if (d.header === null) throw decodeError('truncated header');
  if (d.bufferedBytes !== 0) throw decodeError(`truncated: ${d.bufferedBytes} bytes of an incomplete tag`);
  return { header: d.header, tags };
}
