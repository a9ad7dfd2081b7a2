import type { MediaFrame } from '../../kernel/media-frame.js';

/**
 * A player's pending frames, bounded by duration (`play.queue_length`). When a slow player falls further
 * behind than that, the queue is shrunk like SRS does: everything is dropped but the latest sequence
 * headers and metadata, and video resumes at the next keyframe so the decoder never sees a broken GOP.
 */
export class PlayQueue {
  private frames: MediaFrame[] = [];
  private waitKeyframe = false;
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

  /** Queue a frame; returns true when the queue had to be shrunk. */
  push(frame: MediaFrame): boolean {
    if (this.waitKeyframe && frame.kind === 'video' && !frame.sequenceHeader) {
      if (!frame.keyframe) {
        this.dropped++;
        return false;
      }
      this.waitKeyframe = false;
    }
    this.frames.push(frame);
    this.bytes += frame.payload.length;
    if (frame.kind !== 'data' && !frame.sequenceHeader) {
      if (this.startDts < 0) this.startDts = frame.dts;
      this.endDts = frame.dts;
    }
    if (this.maxDurationMs > 0 && this.durationMs > this.maxDurationMs) {
      this.shrink();
      return true;
    }
    return false;
  }

  /** Drop all but the newest metadata and sequence headers; video waits for the next keyframe. */
  shrink(): void {
    let meta: MediaFrame | undefined;
    let video: MediaFrame | undefined;
    let audio: MediaFrame | undefined;
    let hasVideo = false;
    for (const f of this.frames) {
      if (f.kind === 'data') meta = f;
      else if (f.kind === 'video') {
        hasVideo = true;
        if (f.sequenceHeader) video = f;
      } else if (f.sequenceHeader) audio = f;
    }
    const kept = [meta, video, audio].filter((f): f is MediaFrame => f !== undefined);
    this.dropped += this.frames.length - kept.length;
    this.shrinks++;
    this.frames = kept;
    this.bytes = kept.reduce((n, f) => n + f.payload.length, 0);
    this.waitKeyframe = hasVideo;
    this.startDts = this.endDts = -1;
  }

  /** Take every queued frame (the caller writes them out). */
  drain(): MediaFrame[] {
    const out = this.frames;
    this.frames = [];
    this.bytes = 0;
    this.startDts = this.endDts = -1;
    return out;
  }
}
