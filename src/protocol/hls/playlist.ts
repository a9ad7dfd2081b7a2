// HLS media playlist text, byte for byte as SRS writes it (SrsHlsMuxer::_refresh_m3u8, behaviours.md §9):
//
//   #EXTM3U
//   #EXT-X-VERSION:3
//   #EXT-X-MEDIA-SEQUENCE:<seq of the first segment>
//   #EXT-X-TARGETDURATION:<ceil(max(longest segment, hls_fragment × hls_td_ratio)) s>
//   [#EXT-X-DISCONTINUITY]
//   [#EXT-X-KEY:METHOD=AES-128,URI="<hls_key_url><key file>",IV=0x<32 hex>]
//   #EXTINF:<seconds with 3 decimals>, no desc
//   <uri>
//
// LF line endings, no #EXT-X-ENDLIST (live only). RFC 8216 §4.3.3.1: the target duration is an integer
// ≥ every EXTINF rounded; SRS uses ceil so it never lies.

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
  s += `#EXT-X-TARGETDURATION:${targetDurationSec(entries, p.minTargetMs)}\n`;
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
