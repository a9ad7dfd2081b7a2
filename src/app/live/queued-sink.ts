// The per-viewer delivery policy every stream-over-TCP output shares (RTMP, HTTP-FLV/TS/AAC/MP3, WS-FLV):
// jitter correction, a bounded queue with SRS's shrink rule, merged writes, and giving up on hopeless viewers.
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { JitterCorrector, type JitterAlgorithm } from './jitter.js';
import { PlayQueue } from './play-queue.js';
import type { Sink } from './sink.js';

export interface QueuedSinkOptions {
  jitter: JitterAlgorithm;
  queueLengthMs: number;
  /** Merged-write interval; 0 writes each batch as soon as the current event-loop turn ends. */
  mwLatencyMs: number;
}

export interface ViewerEvents {
  publishNotify(): void;
  unpublishNotify(): void;
  /** The viewer cannot keep up even after shrinking; the owner should disconnect it. */
  hopeless(reason: string): void;
}

/** Bytes the kernel may hold for one viewer before we stop writing and let the queue absorb (and shrink). */
const SOCKET_HIGH_WATER = 4 * 1024 * 1024;
/** Shrinks in a row without the socket draining before the viewer is dropped. */
const MAX_SHRINKS_WITHOUT_PROGRESS = 3;

/**
 * Sinks due for an end-of-turn flush (mw_latency 0, a first batch, a full batch). One microtask flushes
 * them all: with one per sink, low-latency mode paid a microtask (and Node's AsyncResource wrapper of
 * queueMicrotask) per viewer per frame.
 */
const dueSoon: QueuedSink[] = [];
let dueSoonScheduled = false;

function flushDueSoon(): void {
  dueSoonScheduled = false;
  // By index: a flush may make another sink due (it is then flushed in this same pass).
  for (let i = 0; i < dueSoon.length; i++) dueSoon[i]!.flushIfDueSoon();
  dueSoon.length = 0;
}

export abstract class QueuedSink implements Sink {
  /** Per-viewer outputs are viewers; a subclass that serves a feature (forward) says false. */
  readonly viewer: boolean = true;
  private readonly jitter: JitterCorrector;
  private readonly queue: PlayQueue;
  /** A flush is pending: after mw_latency ('timer') or at the end of this event-loop turn ('soon'). */
  private scheduled: 'no' | 'timer' | 'soon' = 'no';
  private timer: NodeJS.Timeout | null = null;
  /** Nothing written yet: the catch-up (headers + GOP) goes out at once, not after mw_latency. */
  private first = true;
  private paused = false;
  protected closed = false;
  private shrinksWithoutProgress = 0;
  private readonly flushNow = (): void => {
    this.scheduled = 'no';
    this.timer = null;
    this.flush();
  };

  constructor(
    readonly id: string,
    private readonly options: QueuedSinkOptions,
    protected readonly log: Logger,
    protected readonly events: ViewerEvents,
  ) {
    this.jitter = new JitterCorrector(options.jitter);
    this.queue = new PlayQueue(options.queueLengthMs);
  }

  /** Bytes written but not yet taken by the kernel. */
  protected abstract pendingBytes(): number;
  /**
   * Encode and write a batch of frames in one go. Frames are the shared, published ones; `dts[i]` is
   * frame i's jitter-corrected dts (its pts keeps the same offset), so no frame is copied per viewer.
   */
  protected abstract writeFrames(frames: MediaFrame[], dts: readonly number[]): void;

  get droppedFrames(): number {
    return this.queue.dropped;
  }

  /** Frames a viewer should not get (e.g. video on an audio-only output); checked before queueing. */
  protected accepts(_frame: MediaFrame): boolean {
    return true;
  }

  offer(frame: MediaFrame): void {
    if (this.paused || this.closed || !this.accepts(frame)) return;
    if (this.queue.push(frame, this.jitter.correctDts(frame))) {
      this.shrinksWithoutProgress++;
      this.log.warn(`play shrink the queue for a slow viewer, dropped=${this.queue.dropped}, shrinks=${this.queue.shrinks}`);
      if (this.shrinksWithoutProgress >= MAX_SHRINKS_WITHOUT_PROGRESS) {
        this.events.hopeless(`viewer too slow: ${this.queue.shrinks} queue shrinks, ${this.queue.dropped} frames dropped`);
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

  /** The socket drained: the viewer caught up. */
  onDrain(): void {
    this.shrinksWithoutProgress = 0;
    this.flush();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue.drain();
  }

  /**
   * Merged writes as SRS's consumer waits for them: a batch goes out once it holds mw_latency of media
   * (or after mw_latency of wall time, whichever is first). The first batch of a viewer, its catch-up
   * with the GOP, already holds more than that, so it goes at once: first frame in milliseconds, not
   * after a 350 ms timer (issue 8). mw_latency 0 writes at the end of every event-loop turn.
   */
  private schedule(): void {
    const mw = this.options.mwLatencyMs;
    if (mw > 0 && !this.first && this.queue.durationMs < mw) {
      if (this.scheduled !== 'no') return;
      this.scheduled = 'timer';
      this.timer = setTimeout(this.flushNow, mw);
      return;
    }
    if (this.scheduled === 'soon') return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.scheduled = 'soon';
    dueSoon.push(this);
    if (!dueSoonScheduled) {
      dueSoonScheduled = true;
      queueMicrotask(flushDueSoon);
    }
  }

  /** The end-of-turn pass (flushDueSoon): flush if still due; one sink's failure must not stop the pass. */
  flushIfDueSoon(): void {
    if (this.scheduled !== 'soon') return;
    this.scheduled = 'no';
    try {
      this.flush();
    } catch (err) {
      this.log.error(`play flush failed: ${(err as Error).stack ?? String(err)}`);
    }
  }

  /** Write everything queued, unless the socket is already backed up (then the queue absorbs and shrinks). */
  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    if (this.pendingBytes() > SOCKET_HIGH_WATER) return;
    const batch = this.queue.take();
    this.first = false;
    this.writeFrames(batch.frames, batch.dts);
  }
}
