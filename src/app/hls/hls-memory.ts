// HLS files the HTTP server answers from memory instead of the disk. Two kinds of entries share one map
// (a path has one entry, whichever was written last):
//
// - `hls_storage ram|both` (SRS 2's option, for speed): the file operations are mirrored as the muxer
//   emits them (`apply`). In `ram` memory is the only copy, so these entries are never evicted and do not
//   count against the cache budget.
// - `hls_storage disk` (the default): a bounded cache of the live window. The disk writer reports what it
//   has put on disk (a segment renamed to its final name, a playlist renamed, a file about to be deleted)
//   and the same bytes go here (`cacheSegment`, `cachePlaylist`, `remove`), so memory never holds anything
//   the disk does not. Segments count against one budget for every stream together; over it the segments
//   closed first are evicted (a request for one then reads the disk). Playlists are never evicted (they are
//   a few hundred bytes and must always be the newest). A budget of 0 turns the cache off. When a stream
//   stops publishing its cached files are forgotten (`forget`) and served from disk: memory only holds
//   what this process is writing now, so it cannot go stale when another process (TSRS_WORKERS) takes
//   the stream over and rewrites the same files.
//
// Encrypted segments (hls_keys) are never kept here: they are served from disk.
import { resolve } from 'node:path';
import { renderMediaPlaylist, type HlsOp } from '../../protocol/hls/index.js';

export interface MemoryFile {
  /** The whole file; shared by every response (never copied, never mutated). */
  readonly bytes: Buffer;
  readonly contentType: string;
  /** When it was stored, as an HTTP date (Last-Modified). */
  readonly modified: string;
}

type Kind = 'mirror' | 'segment' | 'playlist';

interface Entry extends MemoryFile {
  readonly kind: Kind;
  /** The stream a cached entry belongs to (forget). */
  readonly scope: string;
}

export interface HlsMemoryOptions {
  /** Budget of the disk-mode cache's segments, bytes (all streams together); 0 = no cache. */
  cacheBytes?: number;
  /** Wall clock, ms (Last-Modified). */
  now?: () => number;
}

/** Default budget of the disk-mode cache (TSRS_HLS_CACHE_MB). */
export const DEFAULT_HLS_CACHE_BYTES = 64 * 1024 * 1024;

const M3U8 = 'application/vnd.apple.mpegurl';
const TS = 'video/MP2T';

export class HlsMemoryFiles {
  private readonly files = new Map<string, Entry>();
  /** Segments being built: seq → chunks (keyed per stream by the caller's `scope`). */
  private readonly open = new Map<string, Buffer[]>();
  /** Cached disk segments in the order they were closed (Set keeps insertion order): the eviction order. */
  private readonly segments = new Set<string>();
  private segmentBytes = 0;
  /** Budget of the disk-mode cache, bytes (0 = off). */
  readonly cacheBytes: number;
  /** Requests answered from memory; segments evicted for the budget. */
  readonly counters = { hits: 0, evictions: 0 };
  private readonly now: () => number;

  constructor(options: HlsMemoryOptions = {}) {
    const budget = options.cacheBytes ?? DEFAULT_HLS_CACHE_BYTES;
    this.cacheBytes = Number.isFinite(budget) && budget > 0 ? Math.floor(budget) : 0;
    this.now = options.now ?? Date.now;
  }

  /** The disk-mode cache is on (a budget above 0). */
  get cacheEnabled(): boolean {
    return this.cacheBytes > 0;
  }

  /** Bytes of cached disk segments (what the budget bounds). */
  get cachedBytes(): number {
    return this.segmentBytes;
  }

  /** Mirror a batch of file operations of one `ram|both` stream (`scope` keeps seq numbers of streams apart). */
  apply(scope: string, ops: readonly HlsOp[]): void {
    for (const op of ops) {
      const id = `${scope}#${'seq' in op ? op.seq : ''}`;
      switch (op.type) {
        case 'open':
          if (op.cipher === null) this.open.set(id, []);
          break;
        case 'data':
          this.open.get(id)?.push(op.bytes);
          break;
        case 'close': {
          const chunks = this.open.get(id);
          this.open.delete(id);
          if (chunks) this.set(op.path, 'mirror', Buffer.concat(chunks), TS, scope);
          break;
        }
        case 'discard':
          this.open.delete(id);
          break;
        case 'playlist': {
          const text = renderMediaPlaylist(op.playlist);
          if (text !== null) this.set(op.path, 'mirror', Buffer.from(text), M3U8, scope);
          break;
        }
        case 'delete':
          this.remove(op.path);
          break;
        default:
          break;
      }
    }
  }

  /**
   * A disk-mode segment is complete on disk with these bytes: keep them, evicting the segments closed
   * first while over the budget. With the cache off (or a segment bigger than the whole budget) any older
   * entry at that path is dropped instead, so memory never disagrees with the disk.
   */
  cacheSegment(path: string, bytes: Buffer, scope = ''): void {
    if (bytes.length > this.cacheBytes) {
      this.remove(path);
      return;
    }
    const key = resolve(path);
    this.set(key, 'segment', bytes, TS, scope);
    this.segments.add(key);
    this.segmentBytes += bytes.length;
    for (const old of this.segments) {
      if (this.segmentBytes <= this.cacheBytes) break;
      this.drop(old);
      this.counters.evictions++;
    }
  }

  /** A disk-mode playlist was written with these bytes (never evicted; with the cache off, forgotten). */
  cachePlaylist(path: string, bytes: Buffer, scope = ''): void {
    if (!this.cacheEnabled) this.remove(path);
    else this.set(path, 'playlist', bytes, M3U8, scope);
  }

  /** Drop every cached (disk-mode) file of one stream; `ram|both` mirror entries stay. */
  forget(scope: string): void {
    for (const [key, f] of this.files) if (f.kind !== 'mirror' && f.scope === scope) this.drop(key);
  }

  /** The file is deleted (hls_cleanup, hls_dispose) or replaced on disk by one not kept here. */
  remove(path: string): void {
    this.drop(resolve(path));
  }

  /** The file at `path` (relative paths resolve against the working directory, as hls_path does). */
  get(path: string): MemoryFile | undefined {
    const f = this.files.get(resolve(path));
    if (f !== undefined) this.counters.hits++;
    return f;
  }

  /** Whether a file is held, without counting a hit (tests). */
  has(path: string): boolean {
    return this.files.has(resolve(path));
  }

  get size(): number {
    return this.files.size;
  }

  clear(): void {
    this.files.clear();
    this.open.clear();
    this.segments.clear();
    this.segmentBytes = 0;
  }

  private set(path: string, kind: Kind, bytes: Buffer, contentType: string, scope: string): void {
    const key = resolve(path);
    this.drop(key);
    this.files.set(key, { bytes, contentType, kind, scope, modified: new Date(this.now()).toUTCString() });
  }

  private drop(key: string): void {
    const old = this.files.get(key);
    if (old === undefined) return;
    this.files.delete(key);
    if (old.kind === 'segment') {
      this.segments.delete(key);
      this.segmentBytes -= old.bytes.length;
    }
  }
}
