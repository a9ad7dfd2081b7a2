// An RTMP player: per-player jitter correction and queue, merged writes of shared payloads.
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import type { ChunkEncoder } from '../../protocol/rtmp/chunk-encoder.js';
import { ChunkStreamId } from '../../protocol/rtmp/commands.js';
import { MessageType, type RtmpMessage } from '../../protocol/rtmp/message.js';
import type { TcpConnection } from '../../transport/tcp.js';
import { JitterCorrector, type JitterAlgorithm } from '../live/jitter.js';
import { PlayQueue } from '../live/play-queue.js';
import type { Sink } from '../live/sink.js';

export interface PlaySinkOptions {
  jitter: JitterAlgorithm;
  queueLengthMs: number;
  /** Merged-write interval; 0 writes each batch of frames as soon as the current tick ends. */
  mwLatencyMs: number;
}

/** Bytes the kernel may hold for one player before we stop writing and let the queue absorb (and shrink). */
const SOCKET_HIGH_WATER = 4 * 1024 * 1024;
/** Shrinks in a row without the socket draining before the player is dropped as hopeless. */
const MAX_SHRINKS_WITHOUT_PROGRESS = 3;

/** What the connection does when the source's publish state changes or the player is hopeless. */
export interface PlaySinkEvents {
  publishNotify(): void;
  unpublishNotify(): void;
  hopeless(reason: string): void;
}

export class RtmpPlaySink implements Sink {
  private readonly jitter: JitterCorrector;
  private readonly queue: PlayQueue;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private closed = false;
  private shrinksWithoutProgress = 0;
  /** Reused for every message: the encoder copies what it needs and keeps no reference. */
  private readonly scratch: RtmpMessage = { typeId: 0, streamId: 0, timestamp: 0, chunkStreamId: 0, payload: Buffer.alloc(0) };
  private readonly flushNow = (): void => {
    this.scheduled = false;
    this.timer = null;
    this.flush();
  };

  constructor(
    readonly id: string,
    private readonly conn: TcpConnection,
    private readonly encoder: ChunkEncoder,
    private readonly streamId: number,
    private readonly options: PlaySinkOptions,
    private readonly log: Logger,
    private readonly events: PlaySinkEvents,
  ) {
    this.jitter = new JitterCorrector(options.jitter);
    this.queue = new PlayQueue(options.queueLengthMs);
  }

  get droppedFrames(): number {
    return this.queue.dropped;
  }

  offer(frame: MediaFrame): void {
    if (this.paused || this.closed) return;
    if (this.queue.push(this.jitter.correct(frame))) {
      this.shrinksWithoutProgress++;
      this.log.warn(`play shrink the queue for a slow player, dropped=${this.queue.dropped}, shrinks=${this.queue.shrinks}`);
      if (this.shrinksWithoutProgress >= MAX_SHRINKS_WITHOUT_PROGRESS) {
        this.events.hopeless(`player too slow: ${this.queue.shrinks} queue shrinks, ${this.queue.dropped} frames dropped`);
        return;
      }
    }
    this.schedule();
  }

  onPublish(): void {
    this.events.publishNotify();
  }

  onUnpublish(): void {
    this.flush();
    this.events.unpublishNotify();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) this.queue.drain();
  }

  /** The socket drained: the player caught up. */
  onDrain(): void {
    this.shrinksWithoutProgress = 0;
    this.flush();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue.drain();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.options.mwLatencyMs > 0) this.timer = setTimeout(this.flushNow, this.options.mwLatencyMs);
    else queueMicrotask(this.flushNow);
  }

  /** Write everything queued in one writev, unless the socket is already backed up. */
  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    if (this.conn.pendingBytes > SOCKET_HIGH_WATER) return; // onDrain flushes later; the queue bounds memory
    const frames = this.queue.drain();
    const out: Buffer[] = [];
    const msg = this.scratch;
    msg.streamId = this.streamId;
    for (const f of frames) {
      msg.typeId = f.kind === 'video' ? MessageType.Video : f.kind === 'audio' ? MessageType.Audio : MessageType.DataAmf0;
      msg.chunkStreamId = f.kind === 'video' ? ChunkStreamId.Video : f.kind === 'audio' ? ChunkStreamId.Audio : ChunkStreamId.OverStream;
      // RTMP carries 32 bits; our timeline is wider, the wrap is what the protocol expects.
      msg.timestamp = f.dts % 0x100000000;
      msg.payload = f.payload;
      this.encoder.encode(msg, out);
    }
    this.conn.write(out);
  }
}
