// The sink of a stream pushed to another server (forward, edge publish): SRS forwards with jitter off, so
// timestamps go out as published; the queue (play.queue_length) absorbs a slow or absent target and is
// shrunk like a player's, keeping metadata and sequence headers.
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { QueuedSink, type QueuedSinkOptions, type ViewerEvents } from '../live/queued-sink.js';

export interface PushTarget {
  /** Bytes not yet taken by the kernel; Infinity while the target is not ready (frames wait in the queue). */
  pending(): number;
  send(frames: MediaFrame[]): void;
}

export class PushSink extends QueuedSink {
  /** A feature's sink, not a viewer: it does not make an edge pull. */
  override readonly viewer = false;
  constructor(id: string, private readonly target: PushTarget, options: QueuedSinkOptions, log: Logger, events: ViewerEvents) {
    super(id, options, log, events);
  }
  protected pendingBytes(): number {
    return this.target.pending();
  }
  protected writeFrames(frames: MediaFrame[]): void {
    this.target.send(frames);
  }
}
