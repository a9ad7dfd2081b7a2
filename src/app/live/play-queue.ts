import type { MediaFrame } from '../../kernel/media-frame.js';

/** A frame with the output dts it was queued with. */
interface Stamped {
  frame: MediaFrame;
  dts: number;
}

/**
 * A player's pending frames, bounded by duration (`play.queue_length`). When a slow player falls further
 * behind than that, the queue is shrunk like SRS does: everything is dropped but the latest sequence
 * headers and metadata, and video resumes at the next keyframe so the decoder never sees a broken GOP.
 * The headers are the newest this queue ever took, not only the ones still queued: a decoder that lost
 * frames is restarted from a known configuration (issue 12).
 */
export class PlayQueue {
  private frames: MediaFrame[] = [];
  /** Output dts of each queued frame (jitter-corrected by the caller; the frame itself is shared). */
  private dts: number[] = [];
  private waitKeyframe = false;
  private lastMeta: Stamped | null = null;
  private lastVideoHeader: Stamped | null = null;
  private lastAudioHeader: Stamped | null = null;
  /** Frames dropped by shrinking since the queue was created. */
  dropped = 0;
  /** How many times the queue was shrunk. */
  shrinks = 0;
  bytes = 0;

  constructor(public maxDurationMs: number) {}

  get length(): number {
    return this.frames.length;
  }

  /** Media time between the oldest and newest queued audio/video frame (headers and metadata do not count). */
  private startDts = -1;
  private endDts = -1;

  get durationMs(): number {
    return this.startDts < 0 ? 0 : this.endDts - this.startDts;
  }

  /** Queue a frame with its output dts; returns true when the queue had to be shrunk. */
  push(frame: MediaFrame, dts: number = frame.dts): boolean {
    if (this.waitKeyframe && frame.kind === 'video' && !frame.sequenceHeader) {
      if (!frame.keyframe) {
        this.dropped++;
        return false;
      }
      this.waitKeyframe = false;
    }
    if (frame.kind === 'data') this.lastMeta = { frame, dts };
    else if (frame.sequenceHeader) {
      if (frame.kind === 'video') this.lastVideoHeader = { frame, dts };
      else this.lastAudioHeader = { frame, dts };
    }
    this.frames.push(frame);
    this.dts.push(dts);
    this.bytes += frame.size;
    if (frame.kind !== 'data' && !frame.sequenceHeader) {
      if (this.startDts < 0) this.startDts = dts;
      this.endDts = dts;
    }
    if (this.maxDurationMs > 0 && this.durationMs > this.maxDurationMs) {
      this.shrink();
      return true;
    }
    return false;
  }

  /** Drop everything, queue the newest metadata and sequence headers again; video waits for the next keyframe. */
  shrink(): void {
    this.shrinks++;
    this.dropBacklog();
  }

  /**
   * What shrink does, without counting a shrink: for a viewer that reads nothing, so that it holds one
   * GOP at most instead of queue_length of frame references (ByteStreamSink, issue 12).
   */
  dropBacklog(): void {
    let hasVideo = this.lastVideoHeader !== null;
    for (const f of this.frames) if (f.kind === 'video') hasVideo = true;
    const keep = [this.lastMeta, this.lastVideoHeader, this.lastAudioHeader].filter((h): h is Stamped => h !== null);
    this.dropped += this.frames.length - keep.filter((h) => this.frames.includes(h.frame)).length;
    this.frames = keep.map((h) => h.frame);
    this.dts = keep.map((h) => h.dts);
    this.bytes = this.frames.reduce((n, f) => n + f.size, 0);
    this.waitKeyframe = hasVideo;
    this.startDts = this.endDts = -1;
  }

  /** Take every queued frame (the caller writes them out). */
  drain(): MediaFrame[] {
    return this.take().frames;
  }

  /** Take every queued frame with its output dts (`dts[i]` belongs to `frames[i]`). */
  take(): { frames: MediaFrame[]; dts: number[] } {
    const out = { frames: this.frames, dts: this.dts };
    this.frames = [];
    this.dts = [];
    this.bytes = 0;
    this.startDts = this.endDts = -1;
    return out;
  }
}
