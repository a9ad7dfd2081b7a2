import type { MediaFrame } from '../../kernel/media-frame.js';

/** With only one kind buffered, release after this many (SRS MIX_CORRECT_PURE_AV). */
const PURE_AV_COUNT = 10;

/**
 * `play.mix_correct`: re-interleave audio and video into one timestamp-ordered sequence, for encoders
 * that send them in bursts. A frame is released once at least one of each kind is buffered (the oldest
 * goes first), or when ten of only one kind are waiting (the stream may lack the other kind).
 */
export class MixQueue {
  private frames: MediaFrame[] = [];
  private audios = 0;
  private videos = 0;

  push(frame: MediaFrame): void {
    // Insert keeping dts order; equal stamps keep arrival order. Bursts are short, so a linear scan from the end is cheap.
    let i = this.frames.length;
    while (i > 0 && this.frames[i - 1]!.dts > frame.dts) i--;
    this.frames.splice(i, 0, frame);
    if (frame.kind === 'audio') this.audios++;
    else if (frame.kind === 'video') this.videos++;
  }

  /** The next frame that may be released, or undefined to wait for more. */
  pop(): MediaFrame | undefined {
    const ready =
      (this.videos >= PURE_AV_COUNT && this.audios === 0) ||
      (this.audios >= PURE_AV_COUNT && this.videos === 0) ||
      (this.audios > 0 && this.videos > 0);
    if (!ready || this.frames.length === 0) return undefined;
    const f = this.frames.shift()!;
    if (f.kind === 'audio') this.audios--;
    else if (f.kind === 'video') this.videos--;
    return f;
  }

  clear(): void {
    this.frames = [];
    this.audios = this.videos = 0;
  }
}
