import type { MediaFrame } from '../../kernel/media-frame.js';
import { retimed } from '../../kernel/media-frame.js';

export type JitterAlgorithm = 'full' | 'zero' | 'off';

/** Largest step between two messages that is trusted as is (SRS CONST_MAX_JITTER_MS). */
const MAX_JITTER_MS = 250;
/** What an untrusted step becomes (SRS DEFAULT_FRAME_TIME_MS). */
const DEFAULT_FRAME_TIME_MS = 10;

/**
 * Per-player (or per-recorder) timestamp correction, SRS's `time_jitter`:
 * - full: output starts at 0 and is monotonic; steps outside ±250 ms become 10 ms; metadata at 0.
 * - zero: subtract the first timestamp seen.
 * - off: untouched.
 */
export class JitterCorrector {
  private lastIn = -1;
  private lastOut = 0;
  private zeroBase = -1;
  constructor(public algorithm: JitterAlgorithm) {}

  correct<T extends MediaFrame>(frame: T): T {
    return retimed(frame, this.correctDts(frame));
  }

  /**
   * The corrected dts alone (pts keeps its offset from it). Players use this so that no frame object is
   * made per viewer per frame (issue 8); `correct` is for callers that want a frame.
   */
  correctDts(frame: MediaFrame): number {
    if (this.algorithm === 'off') return frame.dts;
    if (this.algorithm === 'zero') {
      if (this.zeroBase < 0) this.zeroBase = frame.dts;
      return Math.max(0, frame.dts - this.zeroBase);
    }
    if (frame.kind === 'data') return 0;
    const ts = frame.dts;
    let delta = this.lastIn < 0 ? 0 : ts - this.lastIn;
    if (delta < -MAX_JITTER_MS || delta > MAX_JITTER_MS) delta = DEFAULT_FRAME_TIME_MS;
    this.lastIn = ts;
    this.lastOut = Math.max(0, this.lastOut + delta);
    return this.lastOut;
  }

  reset(): void {
    this.lastIn = -1;
    this.lastOut = 0;
    this.zeroBase = -1;
  }
}
