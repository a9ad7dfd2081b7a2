// The delivery policy of packet outputs (WebRTC, SRT, RTSP over UDP; issue 12, point 5): no TCP stream
// to shrink and resend, so a viewer that falls behind skips to the next keyframe and asks the publisher
// for one. The policy decides what is sent and when; a PacketOutput packetizes and sends.
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import type { Sink } from './sink.js';

/** What a packet output does for the policy. */
export interface PacketOutput {
  /**
   * Packetize and send one frame now (RTP packets, SRT/TS datagrams...). Returns false when the transport
   * cannot take more for now (pacer or send buffer full): the frame was not sent and the policy keeps it
   * until PacketSink.onWritable(). Frames are the shared, published ones; never mutate them.
   */
  send(frame: MediaFrame): boolean;
  /** Frames this output cannot carry (e.g. a codec it has no packetizer for); checked before queueing. */
  accepts?(frame: MediaFrame): boolean;
}

export interface PacketSinkOptions {
  /** Frames the per-viewer ring holds before it overflows (drop to the next keyframe). */
  ringFrames: number;
  /**
   * How far behind live a viewer may run, ms: a queue spanning more than this overflows too, and a new
   * viewer starts on the cached keyframe only if it is at most this old (issue 12: <= 0.5 s behind live).
   */
  maxLagMs: number;
  /** Wall clock, ms (a fake one in tests). */
  now(): number;
  /** Ask the publisher for a keyframe: LiveSource.requestKeyframe(now), which rate-limits it. */
  requestKeyframe(): void;
}

export const DEFAULT_PACKET_OPTIONS = { ringFrames: 512, maxLagMs: 500 } as const;

/**
 * `joining`: catch-up frames of LiveSource.addSink arrive synchronously; they are held until the end of
 * that turn, then the sink starts on the cached keyframe if it is recent, or waits for a live one.
 * `waitKeyframe`: after an overflow or a stale join; video is skipped up to the next keyframe.
 */
type State = 'joining' | 'waitKeyframe' | 'live';

export class PacketSink implements Sink {
  readonly viewer = true;
  private state: State = 'joining';
  /** Ring of frames not yet sent (oldest at `head`); bounded by options.ringFrames. */
  private readonly ring: (MediaFrame | undefined)[];
  private head = 0;
  private count = 0;
  /** Newest decoder configuration and metadata seen: re-sent before the keyframe that ends a skip. */
  private videoHeader: MediaFrame | null = null;
  private audioHeader: MediaFrame | null = null;
  private metadata: MediaFrame | null = null;
  private joinDecision = false;
  /** Format version of the media frames sent so far (-1 before the first). */
  private version = -1;
  private closed = false;
  /** Frames skipped (overflow, stale catch-up, waiting for a keyframe). */
  droppedFrames = 0;
  /** Times the ring overflowed. */
  overflows = 0;
  /** Keyframe requests this viewer made (before the source's rate limit). */
  keyframeRequests = 0;
  /** Clock time when the first keyframe (first decodable frame) was sent, -1 before. */
  firstKeyframeAt = -1;
  readonly joinedAt: number;

  constructor(
    readonly id: string,
    private readonly output: PacketOutput,
    private readonly options: PacketSinkOptions,
    private readonly log: Logger,
  ) {
    this.ring = new Array<MediaFrame | undefined>(Math.max(2, options.ringFrames));
    this.joinedAt = options.now();
  }

  get queuedFrames(): number {
    return this.count;
  }

  offer(frame: MediaFrame): void {
    if (this.closed || (this.output.accepts && !this.output.accepts(frame))) return;
    if (frame.sequenceHeader || frame.kind === 'data') {
      this.remember(frame);
      // Live, headers go out in order with the media around them. Joining or skipping, they are held
      // back: the first keyframe sent brings the newest ones along.
      if (this.state === 'live') this.enqueue(frame);
      return;
    }
    if (this.state === 'joining') {
      this.push(frame);
      if (!this.joinDecision) {
        this.joinDecision = true;
        // The catch-up is offered synchronously by LiveSource.addSink: decide once it is all here.
        queueMicrotask(() => this.decideJoin());
      }
      return;
    }
    if (this.state === 'live' && frame.formatVersion !== this.version && this.version >= 0) this.onFormatChange(frame);
    if (this.state === 'waitKeyframe' && frame.kind === 'video') {
      if (frame.keyframe) this.resumeAt(frame);
      else this.droppedFrames++;
      return;
    }
    // Live, or live audio while video waits for its keyframe (audio needs none).
    this.enqueue(frame);
  }

  /** The transport can take more (the output's pacer or socket drained). */
  onWritable(): void {
    this.pump();
  }

  onUnpublish(): void {
    // A republish starts a new encoder: its first keyframe is what the viewer needs next.
    this.clear();
    this.state = 'waitKeyframe';
  }

  close(): void {
    this.closed = true;
    this.clear();
  }

  private remember(frame: MediaFrame): void {
    if (frame.kind === 'data') this.metadata = frame;
    else if (frame.kind === 'video') this.videoHeader = frame;
    else this.audioHeader = frame;
  }

  /**
   * End of the join turn. The catch-up is headers then the GOP (a keyframe and what followed it). If that
   * keyframe is at most maxLagMs older than the newest frame, start on it: the viewer is that far behind
   * at most. Otherwise sending the GOP would leave the viewer a whole GOP behind (players pace by
   * timestamp), so skip it and wait for the next live keyframe, asking the publisher to hurry it.
   */
  private decideJoin(): void {
    if (this.closed || this.state !== 'joining') return;
    let newest = Number.NEGATIVE_INFINITY;
    let key = -1;
    let hasVideo = this.videoHeader !== null;
    for (let i = 0; i < this.count; i++) {
      const f = this.at(i);
      if (f.dts > newest) newest = f.dts;
      if (f.kind === 'video') {
        hasVideo = true;
        if (f.keyframe) key = i;
      }
    }
    const held: MediaFrame[] = [];
    for (let i = 0; i < this.count; i++) held.push(this.at(i));
    this.clear();
    if (key >= 0 && newest - held[key]!.dts <= this.options.maxLagMs) {
      // Start on the keyframe; frames before it (older audio) are dropped.
      this.droppedFrames += key;
      this.state = 'live';
      this.enqueueHeaders();
      for (let i = key; i < held.length; i++) this.enqueue(held[i]!);
      return;
    }
    this.droppedFrames += held.length;
    this.state = 'live';
    this.enqueueHeaders();
    // Audio only: every frame is decodable, start with the next live one.
    if (!hasVideo) return;
    this.state = 'waitKeyframe';
    this.askForKeyframe();
  }

  private enqueueHeaders(): void {
    for (const h of [this.metadata, this.videoHeader, this.audioHeader]) if (h) this.enqueue(h);
  }

  /** A keyframe ends a skip: headers first (the decoder may have lost them), then the keyframe. */
  private resumeAt(keyframe: MediaFrame): void {
    this.state = 'live';
    this.enqueueHeaders();
    this.enqueue(keyframe);
  }

  /**
   * The source's format changed (new SPS, codec, AAC config: the version stamped by LiveSource moved). When
   * the video configuration is what changed (its header was stamped with a version newer than the media
   * sent so far), a decoder fed pictures of it needs a keyframe of it first (issue 12 point 3): unless this
   * frame is that keyframe, skip video to the next one and ask the publisher for it. Audio goes on, and an
   * audio-only change needs no keyframe.
   */
  private onFormatChange(frame: MediaFrame): void {
    const videoChanged = this.videoHeader !== null && this.videoHeader.formatVersion > this.version;
    this.version = frame.formatVersion;
    if (!videoChanged || (frame.kind === 'video' && frame.keyframe)) return;
    this.state = 'waitKeyframe';
    this.log.trace(`packet viewer: format version changed, waiting for a keyframe of the new configuration`);
    this.askForKeyframe();
  }

  /** Queue for sending and send what the transport takes; an overflow skips to the next keyframe. */
  private enqueue(frame: MediaFrame): void {
    if (this.count > 0 && this.overflowsWith(frame)) {
      this.overflow();
      if (frame.kind === 'video' && !frame.sequenceHeader) {
        if (!frame.keyframe) {
          this.droppedFrames++;
          return;
        }
        this.resumeAt(frame);
        return;
      }
      if (frame.sequenceHeader || frame.kind === 'data') return; // remembered; re-sent with the keyframe
    }
    if (!frame.sequenceHeader && frame.kind !== 'data') this.version = frame.formatVersion;
    this.push(frame);
    this.pump();
  }

  private overflowsWith(frame: MediaFrame): boolean {
    if (this.count >= this.ring.length) return true;
    if (frame.sequenceHeader || frame.kind === 'data') return false;
    // Media time queued: a transport this far behind leaves the viewer more than maxLagMs behind live.
    for (let i = 0; i < this.count; i++) {
      const f = this.at(i);
      if (f.sequenceHeader || f.kind === 'data') continue;
      return frame.dts - f.dts > this.options.maxLagMs;
    }
    return false;
  }

  private overflow(): void {
    this.overflows++;
    let media = 0;
    for (let i = 0; i < this.count; i++) {
      const f = this.at(i);
      if (!f.sequenceHeader && f.kind !== 'data') media++;
    }
    this.droppedFrames += media;
    this.clear();
    this.state = 'waitKeyframe';
    this.log.warn(`packet viewer behind by more than ${this.options.maxLagMs} ms: skipped ${media} frames to the next keyframe`);
    this.askForKeyframe();
  }

  private askForKeyframe(): void {
    this.keyframeRequests++;
    this.options.requestKeyframe();
  }

  /** Send from the ring until the transport refuses a frame. */
  private pump(): void {
    while (this.count > 0 && !this.closed) {
      const f = this.at(0);
      if (!this.output.send(f)) return;
      if (this.firstKeyframeAt < 0 && f.kind === 'video' && f.keyframe && !f.sequenceHeader) this.firstKeyframeAt = this.options.now();
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
    }
  }

  private push(frame: MediaFrame): void {
    if (this.count >= this.ring.length) {
      // Only while joining (enqueue checks first): a GOP longer than the ring keeps its newest frames.
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
      this.droppedFrames++;
    }
    this.ring[(this.head + this.count) % this.ring.length] = frame;
    this.count++;
  }

  private at(i: number): MediaFrame {
    return this.ring[(this.head + i) % this.ring.length]!;
  }

  private clear(): void {
    for (let i = 0; i < this.count; i++) this.ring[(this.head + i) % this.ring.length] = undefined;
    this.head = 0;
    this.count = 0;
  }
}
