// Timestamp helpers for protocols whose stamps are narrower than our 64-bit-safe millisecond clock.

const RTMP_WRAP = 2 ** 32;

/**
 * Turns 32-bit RTMP timestamps into a monotonic-ish 53-bit millisecond timeline. A jump backwards by more
 * than half the range is a wrap (long sessions over ~49.7 days, or encoders that start near 2^32);
 * smaller backwards jumps are kept as they are (jitter correction handles them later).
 */
export class Rtmp32Unwrapper {
  private epoch = 0;
  private last = -1;
  unwrap(ts32: number): number {
    if (this.last >= 0) {
      const diff = ts32 - this.last;
      if (diff < -RTMP_WRAP / 2) this.epoch += RTMP_WRAP;
      else if (diff > RTMP_WRAP / 2 && this.epoch > 0) this.epoch -= RTMP_WRAP;
    }
    this.last = ts32;
    return this.epoch + ts32;
  }
}

/** 33-bit MPEG-TS clock (90 kHz) to unwrapped 90 kHz ticks. */
export class Mpegts33Unwrapper {
  private epoch = 0;
  private last = -1;
  private static readonly WRAP = 2 ** 33;
  unwrap(ts33: number): number {
    if (this.last >= 0) {
      const diff = ts33 - this.last;
      if (diff < -Mpegts33Unwrapper.WRAP / 2) this.epoch += Mpegts33Unwrapper.WRAP;
      else if (diff > Mpegts33Unwrapper.WRAP / 2 && this.epoch > 0) this.epoch -= Mpegts33Unwrapper.WRAP;
    }
    this.last = ts33;
    return this.epoch + ts33;
  }
}
