// Executes one stream's HLS file operations (protocol/hls HlsOp) on disk, in order, without ever blocking
// the stream: operations queue up and a single async loop performs them with node:fs/promises.
//
// - TS data is gathered in memory and written in chunks of FLUSH_BYTES (and at close), so a stream costs a
//   few write calls per segment, not one per frame.
// - Segments are written to `<name>.tmp` and renamed when complete; playlists to `<name>.temp` and renamed
//   (behaviours.md §9): a player never reads a half-written file.
// - With a cipher the segment bytes go through AES-128-CBC (PKCS7 padding), as RFC 8216 §5.2 and SRS's
//   SrsEncFileWriter (which misses the padding block when the size is a multiple of 16).
// - The queue is bounded: past `maxPendingBytes` push() refuses, and the owner drops HLS for the stream.
// - A failed segment is skipped to its end and never listed: playlists are rendered here, at write time,
//   without the segments that failed.

import { createCipheriv, type Cipher } from 'node:crypto';
import { mkdir, open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { parentDir, renderMediaPlaylist, type HlsOp } from '../../protocol/hls/index.js';
import { SerialQueue } from '../../core/serial-queue.js';
import { ErrorCode, TsrsError } from '../../core/errors.js';

/** Gather this much TS before a write. */
export const FLUSH_BYTES = 256 * 1024;
/** Default bound of queued bytes per stream (about a minute of a 4 Mbps stream). */
export const DEFAULT_MAX_PENDING_BYTES = 32 * 1024 * 1024;

type DataOp = Extract<HlsOp, { type: 'data' }>;
type FileOp = Exclude<HlsOp, DataOp | { type: 'log' }>;
/** Queued work: a file op, or a chunk of TS bytes for a segment. */
type Job = FileOp | { type: 'write'; seq: number; buffers: Buffer[]; bytes: number };

export interface HlsWriterEvents {
  /** An operation failed (missing files on delete excepted); `seq` when it belongs to a segment. */
  onError(err: unknown, op: FileOp | { type: 'write'; seq: number }): void;
  /**
   * A segment is complete on disk under its final name; `bytes` are its contents when `keepBytes` asked
   * for them (unencrypted segments only), else null.
   */
  onSegment?(op: Extract<HlsOp, { type: 'close' }>, bytes: Buffer | null): void;
  /** Asked when a segment is opened: keep its bytes for onSegment (the disk-mode memory cache). */
  keepBytes?(seq: number): boolean;
  /** A playlist is on disk under its final name with this text. */
  onPlaylist?(path: string, text: string): void;
  /** A file is about to be deleted (called before the unlink, whatever its outcome). */
  onDelete?(path: string): void;
  /** A segment that was to be listed could not be written (the playlist no longer lists it). */
  onSegmentFailed?(seq: number): void;
  /** A delete failed for another reason than a missing file (worth a warning, not an error policy). */
  onDeleteFailed?(path: string, err: unknown): void;
}

export interface HlsWriterOptions {
  maxPendingBytes?: number;
}

interface OpenFile {
  seq: number;
  tmpPath: string;
  fh: FileHandle | null;
  cipher: Cipher | null;
  failed: boolean;
  /** The bytes written so far, when the owner wants them at close (references, not copies). */
  kept: Buffer[] | null;
}

export class HlsFileWriter {
  private readonly queue = new SerialQueue<Job>((job) => this.run(job));
  private readonly jobs = this.queue.jobs;
  private file: OpenFile | null = null;
  /** TS bytes of the segment being filled, not yet queued. */
  private gather: Buffer[] = [];
  private gatherBytes = 0;
  private gatherSeq = -1;
  /** Bytes queued or gathered but not yet written. */
  private pending = 0;
  private readonly maxPending: number;
  /** Segments whose file could not be written, by seq (cleared when that seq is opened again). */
  private readonly failed = new Set<number>();
  /** Operations performed and failed, for stats and tests. */
  readonly counters = { segments: 0, playlists: 0, deletes: 0, errors: 0, bytes: 0 };

  constructor(
    private readonly events: HlsWriterEvents,
    opts: HlsWriterOptions = {},
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
   * Queue operations ('log' ops are the caller's). Returns false, queueing nothing more, when the bytes
   * waiting for the disk exceed the bound: the disk cannot keep up.
   */
  push(ops: readonly HlsOp[]): boolean {
    for (const op of ops) {
      if (op.type === 'log') continue;
      if (op.type === 'data') {
        if (this.gatherSeq !== op.seq) this.flushGather();
        this.gatherSeq = op.seq;
        this.gather.push(op.bytes);
        this.gatherBytes += op.bytes.length;
        this.pending += op.bytes.length;
        if (this.gatherBytes >= FLUSH_BYTES) this.flushGather();
        if (this.pending > this.maxPending) return false;
        continue;
      }
      this.flushGather();
      this.jobs.push(op);
    }
    this.kick();
    return true;
  }

  /** Resolves when every queued operation is done. */
  idle(): Promise<void> {
    this.flushGather();
    this.kick();
    return this.queue.idle();
  }

  /**
   * Forget everything queued (HLS is being dropped for the stream): the open segment's temp file is
   * closed and deleted. The writer stays usable.
   */
  abort(): void {
    for (const job of this.jobs) if (job.type === 'write') this.pending -= job.bytes;
    this.pending -= this.gatherBytes;
    this.jobs.length = 0;
    this.gather = [];
    this.gatherBytes = 0;
    this.gatherSeq = -1;
    const f = this.file;
    if (f !== null) this.jobs.push({ type: 'discard', seq: f.seq, tmpPath: f.tmpPath, durationMs: 0 });
    this.kick();
  }

  private flushGather(): void {
    if (this.gather.length === 0) return;
    this.jobs.push({ type: 'write', seq: this.gatherSeq, buffers: this.gather, bytes: this.gatherBytes });
    this.gather = [];
    this.gatherBytes = 0;
  }

  private kick(): void {
    this.queue.kick();
  }

  /** One job; never throws (errors go to the events). */
  private async run(job: Job): Promise<void> {
    try {
      switch (job.type) {
        case 'key':
          await mkdirFor(job.path);
          await writeFile(job.path, job.key);
          return;
        case 'open':
          return await this.openSegment(job);
        case 'write':
          return await this.write(job);
        case 'close':
          return await this.closeSegment(job);
        case 'discard':
          await this.finish(job.seq, true);
          return;
        case 'playlist':
          return await this.writePlaylist(job);
        case 'delete':
          return await this.remove(job.path);
      }
    } catch (err) {
      this.counters.errors++;
      this.events.onError(err, job.type === 'write' ? { type: 'write', seq: job.seq } : job);
    }
  }

  private async openSegment(op: Extract<HlsOp, { type: 'open' }>): Promise<void> {
    if (this.file !== null) await this.finish(this.file.seq, true); // not expected: ops are well formed
    this.failed.delete(op.seq);
    const file: OpenFile = {
      seq: op.seq,
      tmpPath: op.tmpPath,
      fh: null,
      cipher: op.cipher ? createCipheriv('aes-128-cbc', op.cipher.key, op.cipher.iv) : null,
      failed: false,
      kept: op.cipher === null && this.events.keepBytes?.(op.seq) === true ? [] : null,
    };
    this.file = file;
    try {
      await mkdirFor(op.tmpPath);
      file.fh = await open(op.tmpPath, 'w');
    } catch (err) {
      file.failed = true;
      this.failed.add(op.seq);
      throw err;
    }
  }

  private async write(job: { seq: number; buffers: Buffer[]; bytes: number }): Promise<void> {
    this.pending -= job.bytes;
    const f = this.file;
    if (f === null || f.seq !== job.seq || f.failed || f.fh === null) return;
    try {
      if (f.cipher) {
        const parts = job.buffers.map((b) => f.cipher!.update(b));
        await writeAll(f.fh, parts);
      } else {
        await writeAll(f.fh, job.buffers);
        if (f.kept !== null) for (const b of job.buffers) f.kept.push(b);
      }
      this.counters.bytes += job.bytes;
    } catch (err) {
      // The rest of this segment is skipped; one error per segment, not per write.
      f.failed = true;
      this.failed.add(f.seq);
      throw err;
    }
  }

  /** Close the open segment's file; with `drop` (or when it failed) delete the temp file. Returns whether it is intact. */
  private async finish(seq: number, drop: boolean): Promise<boolean> {
    const f = this.file;
    if (f === null || f.seq !== seq) return false;
    this.file = null;
    let ok = !f.failed;
    if (f.fh !== null) {
      try {
        if (f.cipher && ok && !drop) await writeAll(f.fh, [f.cipher.final()]);
      } catch (err) {
        ok = false;
        this.failed.add(seq);
        this.counters.errors++;
        this.events.onError(err, { type: 'write', seq });
      }
      await f.fh.close().catch(() => undefined);
    }
    if (drop || !ok) await unlink(f.tmpPath).catch(() => undefined);
    return ok;
  }

  private async closeSegment(op: Extract<HlsOp, { type: 'close' }>): Promise<void> {
    const kept = this.file !== null && this.file.seq === op.seq ? this.file.kept : null;
    const intact = await this.finish(op.seq, false);
    if (!intact) {
      this.failed.add(op.seq);
      this.events.onSegmentFailed?.(op.seq);
      return;
    }
    try {
      await rename(op.tmpPath, op.path);
    } catch (err) {
      this.failed.add(op.seq);
      await unlink(op.tmpPath).catch(() => undefined);
      this.events.onSegmentFailed?.(op.seq);
      throw err;
    }
    this.counters.segments++;
    this.events.onSegment?.(op, kept === null ? null : Buffer.concat(kept));
  }

  private async writePlaylist(op: Extract<HlsOp, { type: 'playlist' }>): Promise<void> {
    const entries = this.failed.size === 0 ? op.playlist.entries : op.playlist.entries.filter((e) => !this.failed.has(e.seq));
    const text = renderMediaPlaylist({ ...op.playlist, entries });
    if (text === null) return;
    const temp = `${op.path}.temp`;
    try {
      await mkdirFor(op.path);
      await writeFile(temp, text);
      await rename(temp, op.path);
      this.counters.playlists++;
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    this.events.onPlaylist?.(op.path, text);
  }

  private async remove(path: string): Promise<void> {
    this.events.onDelete?.(path);
    try {
      await unlink(path);
      this.counters.deletes++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.events.onDeleteFailed?.(path, err);
    }
  }
}

async function mkdirFor(path: string): Promise<void> {
  const dir = parentDir(path);
  if (dir !== '' && dir !== '.' && dir !== '/') await mkdir(dir, { recursive: true });
}

async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<void> {
  const list = buffers.filter((b) => b.length > 0);
  if (list.length === 0) return;
  // writev may write less than asked (rare, on full disks or signals); finish the rest.
  let total = 0;
  for (const b of list) total += b.length;
  const { bytesWritten } = await fh.writev(list);
  if (bytesWritten < total) {
    const rest = Buffer.concat(list).subarray(bytesWritten);
    let off = 0;
    while (off < rest.length) {
      const r = await fh.write(rest, off, rest.length - off);
      if (r.bytesWritten === 0) throw new TsrsError(ErrorCode.FileWrite, `short write (${bytesWritten + off}/${total} bytes)`);
      off += r.bytesWritten;
    }
  }
}

/** For logs: the op an error happened in. */
export function describeOp(op: FileOp | { type: 'write'; seq: number }): string {
  switch (op.type) {
    case 'key':
      return `write key ${op.path}`;
    case 'open':
      return `open ${op.tmpPath}`;
    case 'write':
      return `write segment ${op.seq}`;
    case 'close':
      return `close ${op.path}`;
    case 'discard':
      return `drop ${op.tmpPath}`;
    case 'playlist':
      return `write playlist ${op.path}`;
    case 'delete':
      return `delete ${op.path}`;
  }
}
