// The delivery policy of every stream-over-TCP output (RTMP, HTTP-FLV/TS/AAC/MP3, WS-FLV, forward): jitter
// correction, a bounded queue with SRS's shrink rule, merged writes, and giving up on hopeless viewers.
// The policy decides what to write and when; a ByteStreamOutput encodes and writes (issue 12, point 5).
import { SlowConsumerError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { JitterCorrector, type JitterAlgorithm } from './jitter.js';
import { PlayQueue } from './play-queue.js';
import type { Sink } from './sink.js';

export interface ByteStreamOptions {
  jitter: JitterAlgorithm;
  queueLengthMs: number;
  /** Merged-write interval; 0 writes each batch as soon as the current event-loop turn ends. */
  mwLatencyMs: number;
}

/** What a byte-stream output does for the policy: encode frames onto its connection, say what is still queued. */
export interface ByteStreamOutput {
  /** Bytes handed to the connection that the kernel has not taken yet (Node's and the library's buffers). */
  pendingBytes(): number;
  /** Frames this output cannot carry (e.g. video on an audio-only output); checked before queueing. */
  accepts?(frame: MediaFrame): boolean;
  /**
   * Encode and write a batch of frames in one go. Frames are the shared, published ones; `dts[i]` is
   * frame i's jitter-corrected dts (its pts keeps the same offset), so no frame is copied per viewer.
   */
  writeFrames(frames: MediaFrame[], dts: readonly number[]): void;
}

export interface ViewerEvents {
  publishNotify(): void;
  unpublishNotify(): void;
  /** The viewer cannot keep up even after shrinking; the owner should disconnect it (`error` says why). */
  hopeless(reason: string, error: SlowConsumerError): void;
}

/**
 * Bytes a connection may hold in user space (Node's socket buffer, an HTTP response's, ws's) before the
 * policy stops writing and lets the queue absorb (and shrink). The queue only holds references to shared
 * frames; what sits in a socket's user-space buffer costs per-viewer memory (a write request, a header
 * slice and a list entry per tag), so a viewer that never reads is held to this much, not to everything
 * written since it stopped (issue 12: 2000 non-reading HTTP-FLV viewers took RSS from 118 to 630 MB with
 * 4 MiB). The kernel's own send buffer comes on top and is not process memory.
 */
export const OUTPUT_HIGH_WATER = 256 * 1024;
/** Shrinks in a row without the connection draining before a (slowly) reading viewer is dropped. */
export const MAX_SHRINKS_WITHOUT_DRAIN = 3;

/**
 * Sinks due for an end-of-turn flush (mw_latency 0, a first batch, a full batch). One microtask flushes
 * them all: with one per sink, low-latency mode paid a microtask (and Node's AsyncResource wrapper of
 * queueMicrotask) per viewer per frame.
 */
const dueSoon: ByteStreamSink[] = [];
let dueSoonScheduled = false;

function flushDueSoon(): void {
  dueSoonScheduled = false;
  // By index: a flush may make another sink due (it is then flushed in this same pass).
  for (let i = 0; i < dueSoon.length; i++) dueSoon[i]!.flushIfDueSoon();
  dueSoon.length = 0;
}

export class ByteStreamSink implements Sink {
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
  private shrinksWithoutDrain = 0;
  /** Pending bytes when writes started being held back (over OUTPUT_HIGH_WATER); -1 while writing. */
  private heldAtPending = -1;
  /** Newest media dts queued when writes started being held back. */
  private heldAtDts = 0;
  /** The backlog was dropped in this hold (the viewer read nothing since it began). */
  private backlogDropped = false;
  private newestDts = 0;
  private readonly flushNow = (): void => {
    this.scheduled = 'no';
    this.timer = null;
    this.flush();
  };

  constructor(
    readonly id: string,
    private readonly output: ByteStreamOutput,
    private readonly options: ByteStreamOptions,
    protected readonly log: Logger,
    protected readonly events: ViewerEvents,
  ) {
    this.jitter = new JitterCorrector(options.jitter);
    this.queue = new PlayQueue(options.queueLengthMs);
  }

  get droppedFrames(): number {
    return this.queue.dropped;
  }

  get queueShrinks(): number {
    return this.queue.shrinks;
  }

  get queuedFrames(): number {
    return this.queue.length;
  }

  offer(frame: MediaFrame): void {
    if (this.paused || this.closed || (this.output.accepts && !this.output.accepts(frame))) return;
    const dts = this.jitter.correctDts(frame);
    if (frame.kind !== 'data' && !frame.sequenceHeader) {
      this.newestDts = dts;
      if (this.heldAtPending >= 0 && this.tookNothing()) {
        // A republish may restart the timeline (jitter off/zero): measure from the new one.
        if (dts < this.heldAtDts) this.heldAtDts = dts;
        if (this.options.queueLengthMs > 0 && dts - this.heldAtDts > this.options.queueLengthMs) {
          this.giveUp(`took no byte for ${this.options.queueLengthMs} ms`);
          return;
        }
        // Not reading at all: nothing is queued for it (the backlog is dropped once, video resumes at a
        // keyframe) instead of queue_length of frame references, which also spares the garbage of
        // queueing and flush attempts per frame for 2000 such viewers (issue 12).
        this.skip();
        return;
      }
    }
    if (this.queue.push(frame, dts)) this.onShrink();
    else this.schedule();
  }

  private skip(): void {
    if (!this.backlogDropped) {
      this.backlogDropped = true;
      this.queue.dropBacklog();
      this.log.warn(`play shrink the queue for a slow viewer that reads nothing, dropped=${this.queue.dropped}`);
    }
    this.queue.dropped++;
  }

  /** Writes are held back and the connection has not taken one byte since. */
  private tookNothing(): boolean {
    // An output not connected yet says Infinity (forward, edge push): that is no reader to judge.
    return Number.isFinite(this.heldAtPending) && this.output.pendingBytes() >= this.heldAtPending;
  }

  /**
   * The queue outgrew queue_length and was cut back to the headers (video waits for a keyframe). A viewer
   * that drains, but too slowly, is given MAX_SHRINKS_WITHOUT_DRAIN chances, then closed rather than fed
   * forever; one that reads nothing at all is closed after queue_length (offer). SRS closes a player
   * whose send times out; issue 12: HTTP viewers that never read stayed connected.
   */
  private onShrink(): void {
    this.shrinksWithoutDrain++;
    this.log.warn(`play shrink the queue for a slow viewer, dropped=${this.queue.dropped}, shrinks=${this.queue.shrinks}`);
    if (this.shrinksWithoutDrain >= MAX_SHRINKS_WITHOUT_DRAIN) {
      this.giveUp(`${this.shrinksWithoutDrain} queue shrinks without catching up`);
      return;
    }
    this.schedule();
  }

  private giveUp(why: string): void {
    const err = new SlowConsumerError(`viewer too slow: ${why}, ${this.queue.dropped} frames dropped`);
    // The owner decides: a viewer is closed, a forward reconnects and keeps this queue (its headers).
    this.shrinksWithoutDrain = 0;
    this.heldAtPending = -1;
    this.events.hopeless(err.message, err);
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

  /** The connection drained: the viewer caught up. */
  onDrain(): void {
    this.caughtUp();
    this.flush();
  }

  private caughtUp(): void {
    this.shrinksWithoutDrain = 0;
    this.heldAtPending = -1;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
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

  /** Write everything queued, unless the connection is backed up (then the queue absorbs and shrinks). */
  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    const pending = this.output.pendingBytes();
    // Outputs without a drain event (ws) still reset the rule: an empty buffer is a drain.
    if (pending === 0) this.caughtUp();
    else if (pending > OUTPUT_HIGH_WATER) {
      if (this.heldAtPending < 0) {
        this.heldAtPending = pending;
        this.heldAtDts = this.newestDts;
        this.backlogDropped = false;
      }
      return;
    }
    this.heldAtPending = -1;
    const batch = this.queue.take();
    this.first = false;
    this.output.writeFrames(batch.frames, batch.dts);
  }
}
