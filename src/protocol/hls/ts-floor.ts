// `hls_ts_floor on` (SrsHlsMuxer::segment_open): [timestamp] in hls_ts_file becomes floor(now/fragment),
// forced to rise by exactly one per segment so names never collide or skip; when the forced value runs
// more than 20 pieces ahead of the clock it jumps back. The gap between the forced and the real piece
// ("deviation") stretches or shrinks the next reap threshold by 30% of a fragment per piece, which pulls
// the two back together.

/** SRS_JUMP_WHEN_PIECE_DEVIATION */
export const TS_FLOOR_MAX_DEVIATION = 20;
/** SRS_HLS_FLOOR_REAP_PERCENT */
export const TS_FLOOR_REAP_PERCENT = 0.3;

export interface TsFloorPiece {
  /** The value for [timestamp]. */
  readonly timestamp: number;
  /** accepted − current piece. */
  readonly deviation: number;
  /** Set when the clock did not advance by exactly one piece since the last segment (SRS warns). */
  readonly warning?: string;
}

export class TsFloor {
  private accept = 0;
  private previous = 0;
  /** Last deviation, in pieces (0 before the first segment). */
  deviation = 0;

  /** The piece for a segment opened at `nowMs`. */
  next(nowMs: number, fragmentMs: number): TsFloorPiece {
    const current = Math.floor(nowMs / fragmentMs);
    if (this.accept === 0) this.accept = current - 1;
    else this.accept++;
    if (this.accept - current > TS_FLOOR_MAX_DEVIATION) this.accept = current - 1;
    this.deviation = this.accept - current;
    let warning: string | undefined;
    if (this.previous !== 0 && this.previous !== current - 1) {
      warning = `hls: dup/jmp ts, previous=${this.previous}, current=${current}, accept=${this.accept}, deviation=${this.deviation}`;
    }
    this.previous = current;
    return warning === undefined ? { timestamp: this.accept, deviation: this.deviation } : { timestamp: this.accept, deviation: this.deviation, warning };
  }

  /** Extra duration allowed before a reap: 30% of a fragment per piece of deviation. */
  reapAllowanceMs(fragmentMs: number): number {
    return TS_FLOOR_REAP_PERCENT * this.deviation * fragmentMs;
  }
}
