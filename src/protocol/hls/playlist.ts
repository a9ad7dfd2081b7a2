// HLS media playlist text, byte for byte as SRS writes it (SrsHlsMuxer::_refresh_m3u8, behaviours.md §9):
//
//   #EXTM3U
//   #EXT-X-VERSION:3
//   #EXT-X-MEDIA-SEQUENCE:<seq of the first segment>
//   [#EXT-X-DISCONTINUITY-SEQUENCE:<n>]   (tsrs: once a segment with a discontinuity left the window)
//   #EXT-X-TARGETDURATION:<ceil(max(longest segment, hls_fragment × hls_td_ratio)) s>
//   [#EXT-X-DISCONTINUITY]
//   [#EXT-X-KEY:METHOD=AES-128,URI="<hls_key_url><key file>",IV=0x<32 hex>]
//   #EXTINF:<seconds with 3 decimals>, no desc
//   <uri>
//
// LF line endings, no #EXT-X-ENDLIST (live only). RFC 8216 §4.3.3.1: the target duration is an integer
// ≥ every EXTINF rounded; SRS uses ceil so it never lies.
//
// Beyond SRS, a live playlist keeps the rules RFC 8216 sets for its whole life (LivePlaylistRules):
// - §6.2.1: EXT-X-TARGETDURATION MUST NOT change. SRS recomputes it from the window, so a timestamp jump
//   or a long GOP moved it (2 → 5 → 2). tsrs fixes it when the playlist is first written, at
//   max(ceil(hls_fragment × hls_td_ratio), round(first segment)), and the segmenter then closes any segment
//   before its EXTINF would round above it — even without a keyframe when hls_wait_keyframe is on and the
//   GOP is longer than the target (a segment that starts mid-GOP plays from its first keyframe; one that
//   breaks the target breaks every player that trusts it).
// - §6.2.2: a segment carrying EXT-X-DISCONTINUITY that leaves the window increments
//   EXT-X-DISCONTINUITY-SEQUENCE (written only once it is not 0, so SRS's text is unchanged otherwise).
// - §6.2.2: segments are not removed while the playlist would last less than 3 × the target duration,
//   whatever hls_window says.

export interface PlaylistKey {
  /** URI as written inside the quotes. */
  readonly uri: string;
  /** 16-byte initialisation vector. */
  readonly iv: Buffer;
}

export interface PlaylistEntry {
  readonly seq: number;
  /** Integer milliseconds. */
  readonly durationMs: number;
  readonly uri: string;
  /** The segment starts after a timestamp/codec break (new publish, new sequence header, jump). */
  readonly discontinuity: boolean;
  /** Key the segment is encrypted with, null when clear. */
  readonly key: PlaylistKey | null;
}

export interface MediaPlaylist {
  readonly entries: readonly PlaylistEntry[];
  /** hls_fragment × hls_td_ratio in ms: the floor of the target duration. */
  readonly minTargetMs: number;
  /** The target duration fixed for the playlist's life (LivePlaylistRules); else computed from the entries. */
  readonly targetSec?: number;
  /** Discontinuities that left the window (EXT-X-DISCONTINUITY-SEQUENCE); 0 or absent writes no tag. */
  readonly discontinuitySequence?: number;
}

/** `ceil(max(longest segment, fragment × td_ratio))` in whole seconds, from integer milliseconds as SRS does. */
export function targetDurationSec(entries: readonly PlaylistEntry[], minTargetMs: number): number {
  let max = Math.trunc(minTargetMs);
  for (const e of entries) if (e.durationMs > max) max = Math.trunc(e.durationMs);
  return Math.ceil(max / 1000);
}

/** `#EXTINF` seconds: integer ms / 1000 with exactly three decimals. */
export function extinf(durationMs: number): string {
  return (Math.trunc(durationMs) / 1000).toFixed(3);
}

const sameKey = (a: PlaylistKey | null, b: PlaylistKey | null): boolean =>
  a === b || (a !== null && b !== null && a.uri === b.uri && a.iv.equals(b.iv));

/**
 * Render the playlist; null when there is no segment (SRS writes no playlist then).
 *
 * `#EXT-X-KEY` is written before the first segment of the playlist and whenever the key changes. SRS
 * writes it only on segments whose seq is a multiple of hls_fragments_per_key, which is the same text
 * whenever the window starts at such a segment, but leaves the first segments of the window without a
 * key (unplayable) when it does not.
 */
export function renderMediaPlaylist(p: MediaPlaylist): string | null {
  const entries = p.entries;
  if (entries.length === 0) return null;
  let s = '#EXTM3U\n#EXT-X-VERSION:3\n';
  s += `#EXT-X-MEDIA-SEQUENCE:${entries[0]!.seq}\n`;
  if (p.discontinuitySequence) s += `#EXT-X-DISCONTINUITY-SEQUENCE:${p.discontinuitySequence}\n`;
  s += `#EXT-X-TARGETDURATION:${p.targetSec ?? targetDurationSec(entries, p.minTargetMs)}\n`;
  let key: PlaylistKey | null = null;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.discontinuity) s += '#EXT-X-DISCONTINUITY\n';
    if (i === 0 ? e.key !== null : !sameKey(key, e.key)) {
      s += e.key === null ? '#EXT-X-KEY:METHOD=NONE\n' : `#EXT-X-KEY:METHOD=AES-128,URI="${e.key.uri}",IV=0x${e.key.iv.toString('hex')}\n`;
    }
    key = e.key;
    s += `#EXTINF:${extinf(e.durationMs)}, no desc\n${e.uri}\n`;
  }
  return s;
}

/**
 * SRS's window rule (SrsFragmentWindow::shrink): walking back from the newest segment, keep segments up to
 * and including the first one at which the running total exceeds `windowMs`; older ones expire.
 * Returns how many segments at the head of the list expire.
 */
export function expiredCount(durationsMs: readonly number[], windowMs: number): number {
  let total = 0;
  for (let i = durationsMs.length - 1; i >= 0; i--) {
    total += durationsMs[i]!;
    if (total > windowMs) return i;
  }
  return 0;
}

/** The longest segment (ms) whose EXTINF still rounds to ≤ `targetSec` (§4.3.3.1: nearest integer). */
export function maxSegmentMs(targetSec: number): number {
  return targetSec * 1000 + 499;
}

/**
 * A segment open this long is closed even without a keyframe: the target's own length plus most of the
 * rounding margin, so a keyframe a little late (jitter) still gets there first, and one more frame
 * (< 100 ms) still fits under maxSegmentMs.
 */
export function forceCutMs(targetSec: number): number {
  return targetSec * 1000 + 400;
}

/**
 * The state a live playlist keeps for its life (RFC 8216 §6.2.1, §6.2.2; see the header): the target
 * duration fixed at the first render, the discontinuity sequence, and the window floor of 3 × target.
 * `reset()` when the playlist file is deleted (hls_dispose): the next one is a new playlist.
 */
export class LivePlaylistRules {
  private fixedTargetSec: number | null = null;
  private discontinuities = 0;

  /** The fixed target duration, null until the first render. */
  get targetSec(): number | null {
    return this.fixedTargetSec;
  }

  get discontinuitySequence(): number {
    return this.discontinuities;
  }

  /** Longest segment the segmenter may close now (ms); Infinity before the target is fixed. */
  get maxSegmentMs(): number {
    return this.fixedTargetSec === null ? Infinity : maxSegmentMs(this.fixedTargetSec);
  }

  /** Open length (ms) at which the segmenter cuts without waiting for a keyframe; Infinity before. */
  get forceCutMs(): number {
    return this.fixedTargetSec === null ? Infinity : forceCutMs(this.fixedTargetSec);
  }

  /** How many head segments expire: hls_window's rule, but the rest must last ≥ 3 × target (§6.2.2). */
  expiredCount(durationsMs: readonly number[], windowMs: number): number {
    const floorMs = this.fixedTargetSec === null ? 0 : 3 * this.fixedTargetSec * 1000;
    return expiredCount(durationsMs, Math.max(windowMs, floorMs));
  }

  /** Segments left the head of the window: count their discontinuities (§6.2.2). */
  removed(entries: readonly Pick<PlaylistEntry, 'discontinuity'>[]): void {
    for (const e of entries) if (e.discontinuity) this.discontinuities++;
  }

  /**
   * The playlist to render; fixes the target duration at the first call: hls_fragment × hls_td_ratio
   * rounded up (SRS's floor), or more when the first segments already round above it. Rounding (not
   * SRS's ceil) for the segments: §4.3.3.1 compares EXTINF rounded to the nearest integer, and a first
   * segment of 2.04 s must not fix a 3 s target on a 2 s stream for the playlist's whole life.
   */
  playlist(entries: readonly PlaylistEntry[], minTargetMs: number): MediaPlaylist {
    if (this.fixedTargetSec === null) {
      let target = Math.ceil(Math.trunc(minTargetMs) / 1000);
      for (const e of entries) target = Math.max(target, Math.round(Math.trunc(e.durationMs) / 1000));
      this.fixedTargetSec = target;
    }
    return { entries, minTargetMs, targetSec: this.fixedTargetSec, discontinuitySequence: this.discontinuities };
  }

  reset(): void {
    this.fixedTargetSec = null;
    this.discontinuities = 0;
  }
}
