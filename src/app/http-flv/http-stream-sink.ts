// An HTTP-FLV/TS/AAC/MP3 or WS-FLV viewer: the byte-stream delivery policy (ByteStreamSink) over an output
// that encodes a batch with the format's StreamEncoder and writes it to the response or WebSocket.
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { ByteStreamSink, type ByteStreamOptions, type ByteStreamOutput, type ViewerEvents } from '../live/byte-stream-sink.js';
import type { StreamEncoder } from './stream-encoders.js';

/** Where a viewer's bytes go: an HTTP response body or a WebSocket. */
export interface ViewerOutput {
  write(buffers: Buffer[]): void;
  /** Bytes written and not yet taken by the kernel, counted once (see socketOutput in http-remux.ts). */
  pending(): number;
  /**
   * True when every Buffer given to write() so far has left the process (handed to the kernel, held by
   * no queue), so the encoder may reuse its scratch memory. Outputs that cannot tell leave it out.
   */
  released?(): boolean;
  /** Finish cleanly (stream ended). */
  end(): void;
  /** Drop at once (kicked, hopeless). */
  destroy(): void;
}

/** The output half of an HTTP viewer: encode, write; the policy decides when. */
export class HttpStreamOutput implements ByteStreamOutput {
  constructor(
    private readonly output: ViewerOutput,
    private readonly encoder: StreamEncoder,
  ) {}

  accepts(frame: MediaFrame): boolean {
    return this.encoder.accepts(frame);
  }

  pendingBytes(): number {
    return this.output.pending();
  }

  writeFrames(frames: MediaFrame[], dts: readonly number[]): void {
    const out: Buffer[] = [];
    if (this.encoder.recycle && this.output.released?.()) this.encoder.recycle();
    this.encoder.encode(frames, dts, out);
    if (out.length) this.output.write(out);
  }
}

export class HttpStreamSink extends ByteStreamSink {
  constructor(id: string, output: ViewerOutput, encoder: StreamEncoder, options: ByteStreamOptions, log: Logger, events: ViewerEvents) {
    super(id, new HttpStreamOutput(output, encoder), options, log, events);
  }
}
