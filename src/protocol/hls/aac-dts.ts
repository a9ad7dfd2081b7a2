// `hls_dts_directly off` (SRS #547): audio DTS rebuilt from a running count of AAC samples instead of the
// FLV millisecond timestamps, whose rounding makes audio frame durations jitter (23/24 ms at 44.1 kHz),
// which some players render as clicks. As SrsHls::on_audio, the samples per frame are guessed from the FLV
// timestamp delta (960/1024/2048/4096) and the counter restarts when timestamps go backwards.
//
// Differences from SRS, all towards keeping audio in sync with video:
// - the count starts at the stream's first audio timestamp, not at 0;
// - the AudioSpecificConfig's rate is used (SRS uses the FLV tag rate, 44100 for a 48 kHz stream);
// - the count resynchronises when it drifts more than AAC_DTS_MAX_DRIFT_MS from the FLV timestamps
//   (dropped frames, pauses).

export const AAC_DTS_MAX_DRIFT_MS = 500;

/** SRS's guess of the samples in one frame from the FLV timestamp delta. */
export function guessSamplesPerFrame(deltaMs: number, sampleRate: number): number {
  const guess = Math.trunc((deltaMs * sampleRate) / 1000);
  if (guess <= 0) return 0;
  if (guess < 960) return 960;
  if (guess < 1536) return 1024;
  if (guess < 3072) return 2048;
  return 4096;
}

export class AacDtsRebuilder {
  private previousMs: number | null = null;
  private baseMs = 0;
  private samples = 0;
  private rate = 0;

  /** Rebuilt DTS (ms, fractional) for an AAC frame with FLV timestamp `flvMs` at `sampleRate` Hz. */
  next(flvMs: number, sampleRate: number): number {
    if (this.previousMs === null || flvMs < this.previousMs || sampleRate !== this.rate) return this.reset(flvMs, sampleRate);
    const delta = flvMs - this.previousMs;
    this.previousMs = flvMs;
    this.samples += guessSamplesPerFrame(delta, sampleRate);
    const dts = this.baseMs + (this.samples * 1000) / sampleRate;
    if (Math.abs(dts - flvMs) > AAC_DTS_MAX_DRIFT_MS) return this.reset(flvMs, sampleRate);
    return dts;
  }

  private reset(flvMs: number, sampleRate: number): number {
    this.previousMs = flvMs;
    this.baseMs = flvMs;
    this.samples = 0;
    this.rate = sampleRate;
    return flvMs;
  }
}
