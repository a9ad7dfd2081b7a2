// Per-viewer encoders from MediaFrames to the bytes of one HTTP live format. FLV shares every payload
// (only the 11+4 bytes around it are per viewer); TS/AAC/MP3 re-frame the frame's codec view (the raw
// audio frame, NALU views), never the FLV tag header (issue 12).
import { adtsHeader, type AudioSpecificConfig } from '../../kernel/codec/aac.js';
import { encodeFlvHeader, flvPreviousTagSize, flvTagHeader, FlvTagType } from '../../kernel/format/flv.js';
import { TsMuxer } from '../../kernel/format/mpegts/ts-muxer.js';
import { retimed, type MediaFrame } from '../../kernel/media-frame.js';
import type { RemuxFormat } from './mounts.js';

export interface StreamEncoder {
  readonly contentType: string;
  /** Bytes to send before any frame (FLV header), may be empty. */
  start(): Buffer[];
  /** Append the bytes of these frames to `out`; `dts[i]` is frame i's output dts (jitter-corrected). */
  encode(frames: readonly MediaFrame[], dts: readonly number[], out: Buffer[]): void;
  /** Whether this output carries the frame at all (audio-only formats skip video). */
  accepts(frame: MediaFrame): boolean;
  /**
   * Reuse the memory of the bytes handed out so far (see ChunkEncoder.recycle): only when all of them
   * have left the process. Encoders without per-viewer scratch memory have nothing to do.
   */
  recycle?(): void;
}

/**
 * Slab for per-viewer FLV tag headers: carved forward, rewritten only after recycle(). Small, because
 * every viewer holds one (issue 8: 16 KiB per viewer was ~45 MB of RSS at 3000 viewers) and a merged
 * write of 350 ms needs about 20 x 15 bytes of it.
 */
const SLAB_SIZE = 2048;

export class FlvStreamEncoder implements StreamEncoder {
  readonly contentType = 'video/x-flv';
  private slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
  private used = 0;
  constructor(private readonly hasAudio: boolean, private readonly hasVideo: boolean, private readonly dropIfNotMatch: boolean) {}

  start(): Buffer[] {
    return [encodeFlvHeader({ hasAudio: this.hasAudio, hasVideo: this.hasVideo })];
  }

  accepts(frame: MediaFrame): boolean {
    if (!this.dropIfNotMatch) return true;
    if (frame.kind === 'audio') return this.hasAudio;
    if (frame.kind === 'video') return this.hasVideo;
    return true;
  }

  recycle(): void {
    this.used = 0;
  }

  private carve(n: number): Buffer {
    if (this.used + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
      this.used = 0;
    }
    const b = this.slab.subarray(this.used, this.used + n);
    this.used += n;
    return b;
  }

  encode(frames: readonly MediaFrame[], dts: readonly number[], out: Buffer[]): void {
    // A tag's PreviousTagSize and the next tag's header are adjacent, so they share one 15-byte piece:
    // two Buffers per tag (header piece, shared payload) plus the last PreviousTagSize of the batch.
    let prevBody = -1;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const type = f.kind === 'video' ? FlvTagType.Video : f.kind === 'audio' ? FlvTagType.Audio : FlvTagType.Script;
      let head: Buffer;
      let at = 0;
      if (prevBody < 0) head = this.carve(11);
      else {
        head = this.carve(15);
        at = flvPreviousTagSize(prevBody, head, 0);
      }
      flvTagHeader(type, dts[i]!, f.payload.length, head, at);
      out.push(head, f.payload);
      prevBody = f.payload.length;
    }
    if (prevBody >= 0) {
      const tail = this.carve(4);
      flvPreviousTagSize(prevBody, tail, 0);
      out.push(tail);
    }
  }
}

export class TsStreamEncoder implements StreamEncoder {
  readonly contentType = 'video/MP2T';
  private readonly muxer: TsMuxer;
  constructor(hasAudio: boolean, hasVideo: boolean, audioCodec: 'aac' | 'mp3' = 'aac') {
    this.muxer = new TsMuxer({ videoCodec: hasVideo ? 'h264' : 'none', audioCodec: hasAudio ? audioCodec : 'none' });
  }
  start(): Buffer[] {
    return [];
  }
  accepts(): boolean {
    return true;
  }
  encode(frames: readonly MediaFrame[], dts: readonly number[], out: Buffer[]): void {
    for (let i = 0; i < frames.length; i++) {
      const b = this.muxer.mux(retimed(frames[i]!, dts[i]!));
      if (b.length) out.push(b);
    }
  }
}

/** AAC in ADTS, the `.aac` live format. */
export class AacStreamEncoder implements StreamEncoder {
  readonly contentType = 'audio/x-aac';
  private asc: AudioSpecificConfig | null = null;
  start(): Buffer[] {
    return [];
  }
  accepts(frame: MediaFrame): boolean {
    return frame.kind === 'audio' && frame.codec === 'aac';
  }
  encode(frames: readonly MediaFrame[], _dts: readonly number[], out: Buffer[]): void {
    for (const f of frames) {
      if (f.kind !== 'audio' || f.codec !== 'aac') continue;
      if (f.sequenceHeader) {
        // Parsed once per header frame by its codec view; a broken config skips audio until a good one arrives.
        this.asc = f.view.track()?.asc ?? null;
        continue;
      }
      const raw = f.view.raw;
      if (!this.asc || raw.length === 0) continue;
      try {
        out.push(adtsHeader(this.asc, raw.length), raw);
      } catch {
        // frame too large for ADTS: drop it rather than corrupt the stream
      }
    }
  }
}

/** MP3 frames as they are, the `.mp3` live format. */
export class Mp3StreamEncoder implements StreamEncoder {
  readonly contentType = 'audio/mpeg';
  start(): Buffer[] {
    return [];
  }
  accepts(frame: MediaFrame): boolean {
    return frame.kind === 'audio' && frame.codec === 'mp3';
  }
  encode(frames: readonly MediaFrame[], _dts: readonly number[], out: Buffer[]): void {
    for (const f of frames) if (f.kind === 'audio' && f.codec === 'mp3' && f.view.raw.length > 0) out.push(f.view.raw);
  }
}

export function createEncoder(format: RemuxFormat, av: { hasAudio: boolean; hasVideo: boolean; audioCodec?: 'aac' | 'mp3'; dropIfNotMatch: boolean }): StreamEncoder {
  switch (format) {
    case 'flv':
      return new FlvStreamEncoder(av.hasAudio, av.hasVideo, av.dropIfNotMatch);
    case 'ts':
      return new TsStreamEncoder(av.hasAudio, av.hasVideo, av.audioCodec);
    case 'aac':
      return new AacStreamEncoder();
    case 'mp3':
      return new Mp3StreamEncoder();
  }
}
