// Performs one stream's DASH file operations (protocol/dash DashOp) on disk, in order, without ever
// blocking the stream: operations queue up and a single async loop runs them with node:fs/promises.
//
// - Every file (init segment, media segment, MPD) is written whole to `<name>.tmp` and renamed over the
//   final name, so an HTTP client never reads half a segment or half an MPD (SRS does the same).
// - Deleting a file that is already gone is not an error.
// - The queue is bounded: past `maxPendingBytes` push() refuses, and the owner drops DASH for the stream.

import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import type { DashOp } from '../../protocol/dash/index.js';
import { SerialQueue } from '../../core/serial-queue.js';

/** Default bound of queued bytes per stream (about a minute of a 4 Mbps stream). */
export const DEFAULT_MAX_PENDING_BYTES = 32 * 1024 * 1024;

export type DashFileOp = Exclude<DashOp, { type: 'log' }>;

export interface DashWriterEvents {
  /** A write failed (the temp file is removed). */
  onError(err: unknown, op: DashFileOp): void;
  /** A delete failed for another reason than a missing file. */
  onDeleteFailed?(path: string, err: unknown): void;
  /** A file is on disk under its final name. */
  onWritten?(op: Extract<DashOp, { type: 'write' }>): void;
}

export interface DashWriterOptions {
  maxPendingBytes?: number;
}

function sizeOf(op: DashFileOp): number {
  if (op.type !== 'write') return 0;
  return typeof op.data === 'string' ? Buffer.byteLength(op.data) : op.data.length;
}

function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? (at === 0 ? '/' : '') : path.slice(0, at);
}

export class DashFileWriter {
  private readonly queue = new SerialQueue<DashFileOp>((job) => this.run(job));
  private readonly jobs = this.queue.jobs;
  private pending = 0;
  private readonly maxPending: number;
  /** Folders made by this writer (made again if a write finds them gone). */
  private readonly dirs = new Set<string>();
  readonly counters = { writes: 0, deletes: 0, errors: 0, bytes: 0 };

  constructor(
    private readonly events: DashWriterEvents,
    opts: DashWriterOptions = {},
  ) {
    this.maxPending = opts.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
  }

  get pendingBytes(): number {
    return this.pending;
  }

  get busy(): boolean {
    return this.queue.busy;
  }

  /**
   * Queue operations ('log' ops are the caller's). Returns false, queueing nothing more, once the bytes
   * waiting for the disk exceed the bound.
   */
  push(ops: readonly DashOp[]): boolean {
    for (const op of ops) {
      if (op.type === 'log') continue;
      const bytes = sizeOf(op);
      if (this.pending + bytes > this.maxPending) {
        this.kick();
        return false;
      }
      this.pending += bytes;
      this.jobs.push(op);
    }
    this.kick();
    return true;
  }

  /** Forget every queued operation (the one running finishes). */
  abort(): void {
    for (const job of this.jobs) this.pending -= sizeOf(job);
    this.jobs.length = 0;
    this.kick();
  }

  /** Resolves when every queued operation is done. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private kick(): void {
    this.queue.kick();
  }

  /** One job; never throws (errors go to the events). */
  private async run(job: DashFileOp): Promise<void> {
    if (job.type === 'delete') {
      try {
        await unlink(job.path);
        this.counters.deletes++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.events.onDeleteFailed?.(job.path, err);
      }
      return;
    }
    const bytes = sizeOf(job);
    const temp = `${job.path}.tmp`;
    try {
      await this.writeAtomically(job.path, temp, job.data);
      this.counters.writes++;
      this.counters.bytes += bytes;
    } catch (err) {
      this.counters.errors++;
      await unlink(temp).catch(() => undefined);
      this.events.onError(err, job);
      return;
    } finally {
      this.pending -= bytes;
    }
    this.events.onWritten?.(job);
  }

  private async writeAtomically(path: string, temp: string, data: Buffer | string): Promise<void> {
    const dir = parentOf(path);
    if (dir !== '' && !this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    try {
      await writeFile(temp, data);
    } catch (err) {
      // The folder was removed behind our back (a cleanup script, a dispose): make it again, once.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dir === '') throw err;
      await mkdir(dir, { recursive: true });
      await writeFile(temp, data);
    }
    await rename(temp, path);
  }
}
