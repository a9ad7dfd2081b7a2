// Subclass-style entry to the byte-stream delivery policy (byte-stream-sink.ts) for sinks that are their
// own output (forward's PushSink): implement pendingBytes/writeFrames, the policy does the rest.
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { ByteStreamSink, type ByteStreamOptions, type ByteStreamOutput, type ViewerEvents } from './byte-stream-sink.js';

export type { ViewerEvents } from './byte-stream-sink.js';
export type QueuedSinkOptions = ByteStreamOptions;

export abstract class QueuedSink extends ByteStreamSink {
  constructor(id: string, options: QueuedSinkOptions, log: Logger, events: ViewerEvents) {
    // The output is this object itself; it is only called after construction (on offer/flush).
    const self: { sink?: QueuedSink } = {};
    const output: ByteStreamOutput = {
      pendingBytes: () => self.sink!.pendingBytes(),
      accepts: (f) => self.sink!.accepts(f),
      writeFrames: (frames, dts) => self.sink!.writeFrames(frames, dts),
    };
    super(id, output, options, log, events);
    self.sink = this;
  }

  /** Bytes written but not yet taken by the kernel. */
  protected abstract pendingBytes(): number;
  /** See ByteStreamOutput.writeFrames. */
  protected abstract writeFrames(frames: MediaFrame[], dts: readonly number[]): void;
  /** Frames a viewer should not get; checked before queueing. */
  protected accepts(_frame: MediaFrame): boolean {
    return true;
  }
}
