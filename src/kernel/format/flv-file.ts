// An FLV file for recording: header, tags, and on close the onMetaData `duration`/`filesize` patched in
// place so players show the right length (SRS's DVR does the same by seeking back to the metadata).
import { decodeAmf0, encodeAmf0, Amf0EcmaArray, type Amf0Value } from './amf0.js';
import { encodeFlvHeader, encodeFlvTag, FlvTagType, FLV_TAG_HEADER_SIZE } from './flv.js';
import type { MediaFrame } from '../media-frame.js';

export interface FilePatch {
  offset: number;
  bytes: Buffer;
}

/** Byte offset of the 8-byte double that follows `key` (AMF0 short string) and its number marker. */
function numberOffset(amf: Buffer, key: string): number {
  const needle = Buffer.concat([Buffer.from([key.length >> 8, key.length & 0xff]), Buffer.from(key, 'latin1'), Buffer.from([0x00])]);
  const at = amf.indexOf(needle);
  return at < 0 ? -1 : at + needle.length;
}

function double(v: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleBE(v, 0);
  return b;
}

export class FlvFileWriter {
  private written = 0;
  private firstDts = -1;
  private lastDts = 0;
  private durationAt = -1;
  private filesizeAt = -1;

  /** The FLV header (with PreviousTagSize0). */
  start(): Buffer {
    const h = encodeFlvHeader({ hasAudio: true, hasVideo: true });
    this.written = h.length;
    return h;
  }

  get durationMs(): number {
    return this.firstDts < 0 ? 0 : this.lastDts - this.firstDts;
  }

  get bytesWritten(): number {
    return this.written;
  }

  /** Bytes of one frame as a tag. The first onMetaData gets duration/filesize slots to patch at close. */
  add(frame: MediaFrame): Buffer {
    let body = frame.payload;
    let type: number;
    if (frame.kind === 'data') {
      type = FlvTagType.Script;
      if (this.durationAt < 0) body = this.withSlots(body);
    } else {
      type = frame.kind === 'video' ? FlvTagType.Video : FlvTagType.Audio;
      if (!frame.sequenceHeader) {
        if (this.firstDts < 0) this.firstDts = frame.dts;
        this.lastDts = Math.max(this.lastDts, frame.dts);
      }
    }
    const tag = encodeFlvTag(type as 8 | 9 | 18, frame.dts, body);
    if (frame.kind === 'data' && this.durationAt < 0) {
      const d = numberOffset(body, 'duration');
      const f = numberOffset(body, 'filesize');
      if (d >= 0) this.durationAt = this.written + FLV_TAG_HEADER_SIZE + d;
      if (f >= 0) this.filesizeAt = this.written + FLV_TAG_HEADER_SIZE + f;
    }
    this.written += tag.length;
    return tag;
  }

  /** Patches for the metadata slots (duration in seconds, filesize in bytes). */
  finish(): { patches: FilePatch[] } {
    const patches: FilePatch[] = [];
    if (this.durationAt >= 0) patches.push({ offset: this.durationAt, bytes: double(this.durationMs / 1000) });
    if (this.filesizeAt >= 0) patches.push({ offset: this.filesizeAt, bytes: double(this.written) });
    return { patches };
  }

  /** Re-encode onMetaData with `duration` and `filesize` first so they can be patched later. */
  private withSlots(body: Buffer): Buffer {
    let values: Amf0Value[];
    try {
      values = decodeAmf0(body);
    } catch {
      return body;
    }
    if (values[0] !== 'onMetaData') return body;
    const meta = values[1];
    let props: Record<string, Amf0Value> = {};
    if (meta instanceof Amf0EcmaArray) props = meta.entries;
    else if (meta && typeof meta === 'object' && !Array.isArray(meta) && !(meta instanceof Date)) props = meta as Record<string, Amf0Value>;
    const { duration: _d, filesize: _f, ...rest } = props;
    return encodeAmf0('onMetaData', new Amf0EcmaArray({ duration: 0, filesize: 0, ...rest }));
  }
}
