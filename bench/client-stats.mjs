// Per-viewer numbers every bench player keeps: bytes, first frame, media time received, lag.
//
// Lag is "wall time since the client's first frame minus media time received since it". A server with a
// GOP cache sends seconds of media at once when a viewer joins, which makes that value negative by the
// length of the burst; what matters is how far behind the viewer is compared to the best it ever was, so
// the reported lag is the value minus its minimum so far (0 = as current as the viewer has ever been;
// merged writes of N ms show up as a saw-tooth between 0 and N ms). Drift is how much the raw value grew
// over the measurement window: a viewer that keeps up has a drift near 0, a starved one grows by seconds.
import { performance } from 'node:perf_hooks';

export class ClientStats {
  constructor(id) {
    this.id = id;
    /** performance.now() when the TCP connect started. */
    this.connectAt = performance.now();
    /** performance.now() of the first audio/video message, -1 before it. */
    this.firstFrameAt = -1;
    /** Media timestamp (ms) of the first audio/video message. */
    this.firstTs = 0;
    /** Largest media timestamp (ms) received. */
    this.lastTs = 0;
    this.bytes = 0;
    this.frames = 0;
    /** Smallest raw lag seen at the end of a read. */
    this.minLag = Infinity;
    this.closed = false;
    this.error = '';
    /** Bytes at the previous per-second tick. */
    this.tickBytes = 0;
    // Measurement window snapshot (set by the worker).
    this.winHadFrame = false;
    this.winBytes = 0;
    this.winMedia = 0;
    this.winAt = 0;
    this.winLag = 0;
  }

  /** An audio or video message started with this timestamp (ms). Called for every message: keep it cheap. */
  media(ts) {
    if (this.firstFrameAt < 0) {
      this.firstFrameAt = performance.now();
      this.firstTs = ts;
      this.lastTs = ts;
    } else if (ts > this.lastTs) this.lastTs = ts;
    this.frames++;
  }

  /** End of one socket read: update the best lag. */
  endRead(now) {
    if (this.firstFrameAt < 0) return;
    const lag = now - this.firstFrameAt - (this.lastTs - this.firstTs);
    if (lag < this.minLag) this.minLag = lag;
  }

  /** Raw lag at `now` (not relative to the minimum). */
  rawLag(now) {
    return now - this.firstFrameAt - (this.lastTs - this.firstTs);
  }

  /** Lag relative to the best the viewer has been (see the file comment). */
  lag(now) {
    return this.rawLag(now) - this.minLag;
  }

  get mediaMs() {
    return this.firstFrameAt < 0 ? 0 : this.lastTs - this.firstTs;
  }

  get hasFrame() {
    return this.firstFrameAt >= 0;
  }

  startWindow(now) {
    this.winHadFrame = this.hasFrame && !this.closed;
    this.winBytes = this.bytes;
    this.winMedia = this.mediaMs;
    this.winAt = now;
    this.winLag = this.hasFrame ? this.rawLag(now) : 0;
  }

  /** What the client did during the window, or null if it had no frame when the window started. */
  endWindow(now) {
    const inWindow = this.winHadFrame;
    const wallMs = now - this.winAt;
    return {
      id: this.id,
      alive: !this.closed,
      hadFrameAtStart: inWindow,
      kbps: inWindow ? ((this.bytes - this.winBytes) * 8) / wallMs : 0,
      mediaRate: inWindow && wallMs > 0 ? (this.mediaMs - this.winMedia) / wallMs : 0,
      drift: inWindow ? this.rawLag(now) - this.winLag : 0,
      firstFrameMs: this.hasFrame ? this.firstFrameAt - this.connectAt : -1,
      error: this.error,
    };
  }
}
