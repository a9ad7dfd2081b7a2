// HLS served from memory (`hls_storage ram|both`, SRS 2's option, for speed): the same file operations
// the disk writer carries out are mirrored into a map from file path to bytes, and the HTTP server
// answers playlist and segment requests from it before touching the disk. Encrypted segments (hls_keys)
// are not mirrored: they are served from disk.
import { resolve } from 'node:path';
import { renderMediaPlaylist, type HlsOp } from '../../protocol/hls/index.js';

export interface MemoryFile {
  bytes: Buffer;
  contentType: string;
}

const M3U8 = 'application/vnd.apple.mpegurl';
const TS = 'video/MP2T';

export class HlsMemoryFiles {
  private readonly files = new Map<string, MemoryFile>();
  /** Segments being built: seq → chunks (keyed per stream by the caller's `scope`). */
  private readonly open = new Map<string, Buffer[]>();

  /** Mirror a batch of file operations of one stream (`scope` keeps seq numbers of streams apart). */
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
          if (chunks) this.files.set(resolve(op.path), { bytes: Buffer.concat(chunks), contentType: TS });
          break;
        }
        case 'discard':
          this.open.delete(id);
          break;
        case 'playlist': {
          const text = renderMediaPlaylist(op.playlist);
          if (text !== null) this.files.set(resolve(op.path), { bytes: Buffer.from(text), contentType: M3U8 });
          break;
        }
        case 'delete':
          this.files.delete(resolve(op.path));
          break;
        default:
          break;
      }
    }
  }

  /** The file at `path` (relative paths resolve against the working directory, as hls_path does). */
  get(path: string): MemoryFile | undefined {
    return this.files.get(resolve(path));
  }

  get size(): number {
    return this.files.size;
  }

  /** Forget everything of one stream's files under a directory prefix (dispose). */
  clear(): void {
    this.files.clear();
    this.open.clear();
  }
}
