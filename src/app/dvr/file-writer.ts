// Ordered async writes to one file, so recording never blocks the event loop or the stream:
// bytes are queued and written in order; a disk that falls too far behind is an error, not unbounded memory.
import { open, rename, mkdir, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, TsrsError } from '../../core/errors.js';

export interface Patch {
  offset: number;
  bytes: Buffer;
}

/** How much may wait for the disk before the recording is declared failed (the file so far stays playable). */
const MAX_PENDING_BYTES = 128 * 1024 * 1024;

export class QueuedFileWriter {
  private handle: Promise<FileHandle>;
  private chain: Promise<void>;
  private pending = 0;
  private failed: Error | null = null;
  private position = 0;

  constructor(readonly tmpPath: string) {
    this.handle = mkdir(dirname(tmpPath), { recursive: true }).then(() => open(tmpPath, 'w'));
    this.chain = this.handle.then(() => undefined);
    this.chain.catch((err: Error) => (this.failed = err));
  }

  get error(): Error | null {
    return this.failed;
  }

  get bytesQueued(): number {
    return this.pending;
  }

  /** Queue bytes at the end of the file. Returns false once the writer has failed (disk full, too slow). */
  append(bytes: Buffer): boolean {
    if (this.failed) return false;
    if (bytes.length === 0) return true;
    if (this.pending + bytes.length > MAX_PENDING_BYTES) {
      this.failed = new TsrsError(ErrorCode.FileWrite, `disk too slow: ${this.pending} bytes waiting to be written to ${this.tmpPath}`);
      return false;
    }
    this.pending += bytes.length;
    const at = this.position;
    this.position += bytes.length;
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      const fh = await this.handle;
      try {
        let done = 0;
        while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done, at + done)).bytesWritten;
      } catch (err) {
        this.failed = err as Error;
      } finally {
        this.pending -= bytes.length;
      }
    });
    return true;
  }

  /** Apply patches, close, and rename to the final path. Resolves to the first error, if any. */
  async finish(patches: Patch[], finalPath: string): Promise<Error | null> {
    await this.chain;
    let fh: FileHandle | null = null;
    try {
      fh = await this.handle;
      // Even after a failure, finish what we can so the file so far is playable.
      for (const p of patches) await fh.write(p.bytes, 0, p.bytes.length, p.offset);
    } catch (err) {
      this.failed ??= err as Error;
    }
    try {
      await fh?.close();
      await rename(this.tmpPath, finalPath);
    } catch (err) {
      this.failed ??= err as Error;
    }
    return this.failed;
  }
}
