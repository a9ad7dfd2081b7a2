// Progressive (non-fragmented) MP4 for DVR: the file is streamed front to back — ftyp and an mdat header
// first, then each sample's bytes as frames arrive — and the moov with the complete sample tables is
// appended on close, after which the mdat size is patched in (like SRS's SrsMp4Encoder and ffmpeg's mov
// muxer without +faststart). The result is a complete, seekable ISO/IEC 14496-12 file.
//
// Pure: the writer returns bytes and file offsets; the caller owns the file.

import { ErrorCode, ProtocolError, TsrsError } from '../../../core/errors.js';
import { MPEG_AUDIO_HEADER_SIZE, parseMpegAudioFrameHeader } from '../../codec/mp3.js';
import type { MediaFrame } from '../../media-frame.js';
import { BoxWriter, LARGE_BOX_HEADER_SIZE } from './box.js';
import { MOVIE_TIMESCALE, writeFileType, writeMvhd, writeTrak } from './moov.js';
import {
  Column,
  hasCompositionOffsets,
  writeChunkOffsets,
  writeCtts,
  writeStsc,
  writeStss,
  writeStsz,
  writeStts,
} from './sample-table.js';
import { MAX_SAMPLE_DURATION, type TrackInfo, TrackSampler, sameTrackConfig, trackFromSequenceHeader } from './track.js';

const EMPTY = Buffer.alloc(0);

export interface Mp4FilePatch {
  /** File offset to overwrite. */
  readonly offset: number;
  readonly bytes: Buffer;
}

export interface Mp4FileTail {
  /** The moov box, to append after the last sample bytes. */
  readonly tail: Buffer;
  /** Writes to apply to bytes already in the file (the mdat size). */
  readonly patches: Mp4FilePatch[];
}

/** An MP3 frame whose header announces another rate or channel count than the track's. */
function mp3Changed(track: TrackInfo, payload: Buffer): boolean {
  if (payload.length < 1 + MPEG_AUDIO_HEADER_SIZE) return false;
  try {
    const h = parseMpegAudioFrameHeader(payload, 1);
    return h.sampleRate !== track.sampleRate || h.channels !== track.channels;
  } catch (err) {
    if (err instanceof ProtocolError) return false; // not at a header: the sampler keeps the bytes anyway
    throw err;
  }
}

class FileTrack {
  readonly sampler: TrackSampler;
  readonly sizes = new Column(Uint32Array);
  /** Decode times in the track timescale (absolute: frame dts converted). */
  readonly dts = new Column(Float64Array);
  readonly cts = new Column(Int32Array);
  readonly sync = new Column(Uint8Array);
  readonly chunkOffsets = new Column(Float64Array, 256);
  readonly chunkSamples = new Column(Uint32Array, 256);
  /** Video waits for its first keyframe: earlier frames cannot be decoded. */
  started: boolean;
  allSync = true;

  constructor(readonly track: TrackInfo) {
    this.sampler = new TrackSampler(track);
    this.started = track.kind !== 'video';
  }

  get firstMs(): number {
    return (this.dts.get(0) * 1000) / this.track.timescale;
  }

  /** End of the latest sample, ms. */
  get endMs(): number {
    return ((this.sampler.lastDecodeTime + this.sampler.lastSampleDuration) * 1000) / this.track.timescale;
  }
}

/**
 * Streams a progressive MP4. Usage: write `start()` at offset 0, append what each `add()` returns, then
 * append `finish().tail` and apply its patches. Tracks (at most one video and one audio) appear with
 * their first sequence header (AVC/HEVC record, AAC AudioSpecificConfig; MP3/Opus with their first
 * frame); frames before it, and video before its first keyframe, are dropped. A later sequence header
 * that differs (or a frame of another codec) sets `codecChanged` so the caller can start a new file; the
 * first configuration stays in the file, frames of the same codec keep being written (encoders repeat
 * parameter sets in keyframes), frames of another codec are dropped. Malformed bodies throw
 * ProtocolError and change nothing.
 */
export class Mp4FileWriter {
  private readonly head: Buffer;
  private video: FileTrack | null = null;
  private audio: FileTrack | null = null;
  /** File offset of the next sample byte. */
  private offset: number;
  private lastTrack: FileTrack | null = null;
  private changed = false;
  private result: Mp4FileTail | null = null;

  constructor() {
    const w = new BoxWriter(64);
    writeFileType(w, 'ftyp', 'isom', 0x200, ['isom', 'iso2', 'mp41']);
    // mdat with size = 1 and a 64-bit largesize placeholder, so a recording may pass 4 GiB.
    w.u32(1).fourCc('mdat').u64(0);
    this.head = w.toBuffer();
    this.offset = this.head.length;
  }

  /** Bytes to write at file start: ftyp + an mdat header with a 64-bit size placeholder. */
  start(): Buffer {
    return Buffer.from(this.head);
  }

  /** Set once a sequence header (or codec) different from the first one has been seen. */
  get codecChanged(): boolean {
    return this.changed;
  }

  /** Presentation length so far (latest sample end minus the earliest start, over all tracks), ms. */
  get durationMs(): number {
    const tracks = this.tracksWithSamples();
    if (tracks.length === 0) return 0;
    const origin = Math.min(...tracks.map((t) => t.firstMs));
    return Math.max(...tracks.map((t) => t.endMs)) - origin;
  }

  /** Bytes of the file so far (header and samples, without the moov). */
  get fileSize(): number {
    return this.offset;
  }

  private tracksWithSamples(): FileTrack[] {
    const out: FileTrack[] = [];
    if (this.video !== null && this.video.sizes.length > 0) out.push(this.video);
    if (this.audio !== null && this.audio.sizes.length > 0) out.push(this.audio);
    return out;
  }

  /** Feeds a frame; returns the sample bytes to append to the file (empty when the frame adds none). */
  add(frame: MediaFrame): Buffer {
    if (this.result !== null) throw new TsrsError(ErrorCode.SystemAssert, 'Mp4FileWriter: add() after finish()');
    if (frame.kind === 'data') return EMPTY;
    let ft = frame.kind === 'video' ? this.video : this.audio;

    if (frame.sequenceHeader) {
      const track = trackFromSequenceHeader(frame);
      if (track === null) return EMPTY;
      if (ft === null) this.setTrack(new FileTrack(track));
      else if (!sameTrackConfig(ft.track, track)) this.changed = true;
      return EMPTY;
    }
    if (ft === null) {
      // MP3 and Opus carry no sequence header: their first frame describes the track.
      if (frame.codec !== 'mp3' && frame.codec !== 'opus') return EMPTY;
      const track = trackFromSequenceHeader(frame);
      if (track === null) return EMPTY;
      ft = new FileTrack(track);
      this.setTrack(ft);
    } else if (frame.codec !== ft.track.codec) {
      this.changed = true;
      return EMPTY;
    } else if (frame.codec === 'mp3' && !this.changed) {
      this.changed = mp3Changed(ft.track, frame.payload);
    }
    if (!ft.started && !frame.keyframe) return EMPTY;

    const sample = ft.sampler.take(frame);
    if (sample === null) return EMPTY;
    ft.started = true;
    ft.sizes.push(sample.data.length);
    ft.dts.push(sample.dts);
    ft.cts.push(sample.cts);
    ft.sync.push(sample.sync ? 1 : 0);
    if (!sample.sync) ft.allSync = false;
    if (this.lastTrack === ft) {
      const last = ft.chunkSamples.length - 1;
      ft.chunkSamples.set(last, ft.chunkSamples.get(last) + 1);
    } else {
      ft.chunkOffsets.push(this.offset);
      ft.chunkSamples.push(1);
      this.lastTrack = ft;
    }
    this.offset += sample.data.length;
    return sample.data;
  }

  private setTrack(ft: FileTrack): void {
    if (ft.track.kind === 'video') this.video = ft;
    else this.audio = ft;
  }

  /**
   * The moov to append after the last sample, and the mdat largesize to patch at its header. Tracks
   * that never got a sample are left out. Tracks starting after the earliest one get an empty edit
   * (elst) so they stay in sync. Calling it again returns the same result.
   */
  finish(): Mp4FileTail {
    if (this.result !== null) return this.result;
    const tracks = this.tracksWithSamples();
    const origin = tracks.length > 0 ? Math.min(...tracks.map((t) => t.firstMs)) : 0;

    const plans = tracks.map((ft) => {
      const n = ft.dts.length;
      const durations = new Float64Array(n);
      let media = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.min(MAX_SAMPLE_DURATION, i + 1 < n ? ft.dts.get(i + 1) - ft.dts.get(i) : ft.sampler.lastSampleDuration);
        durations[i] = d;
        media += d;
      }
      const mediaMs = Math.round((media * MOVIE_TIMESCALE) / ft.track.timescale);
      const delay = Math.max(0, Math.round(ft.firstMs - origin));
      if (delay === 0) return { ft, durations, media, movie: mediaMs, edit: undefined };
      // A track starting after the movie gets an edit list. Like ffmpeg's, the media edit starts at the
      // first composition time and the empty edit lasts until then, so B-frame offsets neither hide the
      // last frames nor shift the first (players such as ffmpeg start a track at its edit's media_time).
      const first = ft.dts.get(0);
      let ptsMin = Infinity;
      let ptsEnd = 0;
      for (let i = 0; i < n; i++) {
        const pts = ft.dts.get(i) - first + ft.cts.get(i);
        ptsMin = Math.min(ptsMin, pts);
        ptsEnd = Math.max(ptsEnd, pts + durations[i]!);
      }
      const mediaTime = Math.max(0, ptsMin);
      const toMs = (ticks: number) => Math.round((ticks * MOVIE_TIMESCALE) / ft.track.timescale);
      const edit = { empty: delay + toMs(mediaTime), mediaTime, duration: toMs(ptsEnd - mediaTime) };
      return { ft, durations, media, movie: edit.empty + edit.duration, edit };
    });

    const w = new BoxWriter(4096);
    w.box('moov');
    writeMvhd(w, plans.reduce((m, p) => Math.max(m, p.movie), 0), plans.length + 1);
    plans.forEach((p, i) => {
      const { ft } = p;
      writeTrak(w, ft.track, {
        trackId: i + 1,
        movieDuration: p.movie,
        mediaDuration: p.media,
        ...(p.edit !== undefined ? { edit: p.edit } : {}),
        sampleTables: (bw) => {
          writeStts(bw, p.durations);
          const cts = ft.cts.view();
          if (hasCompositionOffsets(cts)) writeCtts(bw, cts);
          if (!ft.allSync) writeStss(bw, ft.sync.view());
          writeStsc(bw, ft.chunkSamples.view());
          writeStsz(bw, ft.sizes.view());
          writeChunkOffsets(bw, ft.chunkOffsets.view());
        },
      });
    });
    w.end();

    const mdatSize = this.offset - this.head.length + LARGE_BOX_HEADER_SIZE;
    const size = Buffer.alloc(8);
    size.writeUInt32BE(Math.floor(mdatSize / 0x100000000), 0);
    size.writeUInt32BE(mdatSize % 0x100000000, 4);
    // The largesize field follows size (1) and type ("mdat") in the header written by start().
    const patch = { offset: this.head.length - LARGE_BOX_HEADER_SIZE + 8, bytes: size };
    this.result = { tail: w.toBuffer(), patches: [patch] };
    return this.result;
  }
}
