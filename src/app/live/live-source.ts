import type { Logger } from '../../core/logger.js';
import { StreamBusyError, errorMessage } from '../../core/errors.js';
import { MediaFormat } from '../../kernel/media-format.js';
import type { MediaFrame, VideoFrame, AudioFrame, DataFrame } from '../../kernel/media-frame.js';
import { GopCache } from './gop-cache.js';
import { MixQueue } from './mix-queue.js';
import type { Sink } from './sink.js';

/** Who holds the publish side of a source. */
export interface Publisher {
  readonly id: string;
  /** Forcibly stop publishing (API kick-off, shutdown). */
  kick(reason: string): void;
  /**
   * A relay of a stream published in another worker of the same server (worker mesh): the owner worker
   * runs the publish features (HLS, DVR, forward, hooks...), so only listeners that ask for relayed
   * publishes (PublishListener.relay) follow it here.
   */
  readonly relay?: boolean;
}

export interface SourceOptions {
  gopCache: boolean;
  gopCacheMaxFrames: number;
  /** Drop repeated identical sequence headers instead of forwarding them (play.reduce_sequence_header). */
  reduceSequenceHeader: boolean;
  /** Re-interleave audio and video by timestamp before fan-out (play.mix_correct). */
  mixCorrect?: boolean;
  /**
   * The vhost is an edge (cluster.mode remote): the stream is proxied from an origin, so only publish
   * listeners that ask for edge sources (PublishListener.edge) follow it; HLS, DVR and forward do not.
   */
  edge?: boolean;
}

/** The request of the current publisher, for features that report or rebuild it (hooks, transcode, exec). */
export interface PublishInfo {
  ip: string;
  tcUrl: string;
  /** Query string with its leading `?`, or ''. */
  param: string;
  pageUrl: string;
  swfUrl: string;
  /** Local port the publisher connected to. */
  port: number;
}

/** Per-source counters for stats and the API (bytes are payload bytes). */
export interface SourceCounters {
  videoFrames: number;
  audioFrames: number;
  bytesIn: number;
}

/**
 * One live stream (vhost/app/stream): a publisher, its caches, and the sinks it feeds.
 * It never switches on the kind of sink; a new output is a new Sink.
 */
export class LiveSource {
  private publisher: Publisher | null = null;
  /** The current (or, once it left, the last) publisher was a relay (Publisher.relay). */
  private relayed = false;
  private readonly sinks = new Set<Sink>();
  /** Attached sinks that are viewers (Sink.viewer): their count going 0 -> 1 -> 0 is the source's demand. */
  private viewerCount = 0;
  private metadata: DataFrame | null = null;
  private videoHeader: VideoFrame | null = null;
  /**
   * Audio sequence headers by codec (issue 12: a source may carry AAC and, transcoded next to it, Opus);
   * a new publish clears them. Insertion order is the order new sinks get them.
   */
  private readonly audioHeaders = new Map<AudioFrame['codec'], AudioFrame>();
  readonly gop: GopCache;
  /** Codec configs of the current publish, parsed once (issue 12); its version is stamped on every frame. */
  readonly format = new MediaFormat();
  private readonly mix = new MixQueue();
  readonly counters: SourceCounters = { videoFrames: 0, audioFrames: 0, bytesIn: 0 };
  /** Context id of the last publisher; players log it to link to the publisher's lines. */
  sourceId = '';
  /** Set by the ingest right after startPublish; kept after unpublish for late readers. */
  publishInfo?: PublishInfo;
  /** The publisher's metadata said `bravo_atc: "true"` (play.atc_auto turns ATC on for it). */
  bravoAtc = false;
  /** Wall-clock ms when the current publish started (set by the caller that has a clock). */
  publishStartedAt = 0;
  /** The query (with `?`) of the viewer that made the stream demanded; an edge pulls with it. */
  demandParam = '';

  constructor(
    readonly vhost: string,
    readonly app: string,
    readonly stream: string,
    private options: SourceOptions,
    private readonly log: Logger,
    private readonly registry?: SourceRegistry,
  ) {
    this.gop = new GopCache(options.gopCache, options.gopCacheMaxFrames);
  }

  /** `/app/stream` on the default vhost, `vhost/app/stream` otherwise (SRS's stream url). */
  get key(): string {
    return streamKey(this.vhost, this.app, this.stream);
  }

  get isPublishing(): boolean {
    return this.publisher !== null;
  }

  get currentPublisher(): Publisher | null {
    return this.publisher;
  }

  get sinkCount(): number {
    return this.sinks.size;
  }

  /** Attached viewers (players), not counting service sinks such as HLS, DVR or forward. */
  get viewers(): number {
    return this.viewerCount;
  }

  /** A proxied stream of an edge vhost (SourceOptions.edge). */
  get isEdge(): boolean {
    return this.options.edge === true;
  }

  /**
   * The publish is a worker-mesh relay (Publisher.relay) of a stream another worker owns. Stays as it was
   * after the publisher leaves, so unpublish listeners see what the publish was.
   */
  get isRelay(): boolean {
    return this.relayed;
  }

  get sequenceHeaders(): { video: VideoFrame | null; audio: AudioFrame | null; metadata: DataFrame | null } {
    const audio = this.audioHeaders.get('aac') ?? this.audioHeaders.values().next().value ?? null;
    return { video: this.videoHeader, audio, metadata: this.metadata };
  }

  updateOptions(options: SourceOptions): void {
    this.options = options;
    this.gop.enabled = options.gopCache;
    this.gop.maxFrames = options.gopCacheMaxFrames;
    if (!options.gopCache) this.gop.clear();
  }

  /** Claim the publish side. Throws StreamBusyError when another publisher holds it. */
  startPublish(publisher: Publisher, info?: PublishInfo): void {
    if (this.publisher) throw new StreamBusyError(`stream ${this.key} is busy`);
    this.publisher = publisher;
    this.relayed = publisher.relay === true;
    if (info) this.publishInfo = info;
    this.sourceId = publisher.id;
    this.gop.clear();
    this.mix.clear();
    this.bravoAtc = false;
    // Sequence headers are re-sent by the new publisher; old ones would mismatch a new encoder.
    this.metadata = null;
    this.videoHeader = null;
    this.audioHeaders.clear();
    this.format.reset();
    for (const sink of this.sinks) this.guard(sink, () => sink.onPublish?.());
    this.registry?.notifyPublish(this, true);
  }

  stopPublish(publisher: Publisher): void {
    if (this.publisher !== publisher) return;
    this.publisher = null;
    this.gop.clear();
    this.mix.clear();
    this.registry?.notifyPublish(this, false);
    for (const sink of this.sinks) this.guard(sink, () => sink.onUnpublish?.());
  }

  /** Fan one frame out: update caches, then offer to every sink. */
  publish(frame: MediaFrame): void {
    if (this.options.mixCorrect && frame.kind !== 'data') {
      this.mix.push(frame);
      for (let f = this.mix.pop(); f; f = this.mix.pop()) this.fanOut(f);
      return;
    }
    this.fanOut(frame);
  }

  private fanOut(input: MediaFrame): void {
    const frame = this.stamp(input);
    this.counters.bytesIn += frame.payload.length;
    if (frame.kind === 'data') {
      this.metadata = frame;
    } else if (frame.kind === 'video') {
      this.counters.videoFrames++;
      if (frame.sequenceHeader) {
        if (this.options.reduceSequenceHeader && this.videoHeader?.payload.equals(frame.payload)) return;
        this.videoHeader = frame;
      }
    } else {
      this.counters.audioFrames++;
      if (frame.sequenceHeader) {
        if (this.options.reduceSequenceHeader && this.audioHeaders.get(frame.codec)?.payload.equals(frame.payload)) return;
        this.audioHeaders.set(frame.codec, frame);
      }
    }
    this.gop.cache(frame);
    for (const sink of this.sinks) {
      try {
        sink.offer(frame);
      } catch (err) {
        this.log.warn(`sink ${sink.id} failed on a frame, detached: ${errorMessage(err)}`);
        this.detach(sink);
      }
    }
  }

  /**
   * Learn the frame's codec config (MediaFormat.update: a codec lookup for coded frames, a parse only for
   * new sequence headers) and stamp the format version on it, once, before any sink sees it. A frame that
   * already carries another source's version (a frame object relayed between sources) is copied, not
   * restamped, so the other source's caches keep what they saw.
   */
  private stamp(frame: MediaFrame): MediaFrame {
    if (frame.kind !== 'data') this.format.update(frame);
    const version = this.format.version;
    if (frame.formatVersion === version) return frame;
    if (frame.formatVersion === 0) {
      frame.formatVersion = version;
      return frame;
    }
    return { ...frame, formatVersion: version };
  }

  /** Attach a sink and catch it up: metadata, sequence headers, then the cached GOP. */
  addSink(sink: Sink, options: { gop?: boolean; param?: string } = {}): void {
    const fresh = !this.sinks.has(sink);
    if (fresh && sink.viewer && this.viewerCount === 0) this.demandParam = options.param ?? '';
    this.sinks.add(sink);
    this.guard(sink, () => this.catchUp(sink, options.gop ?? true));
    // After the catch-up, so an edge that starts pulling now finds the viewer attached.
    if (fresh && sink.viewer && this.sinks.has(sink) && ++this.viewerCount === 1) this.registry?.notifyDemand(this, true);
  }

  removeSink(sink: Sink): void {
    this.detach(sink);
  }

  private detach(sink: Sink): void {
    if (!this.sinks.delete(sink)) return;
    if (sink.viewer && --this.viewerCount === 0) this.registry?.notifyDemand(this, false);
  }

  /** Re-send the caches to one sink (after its queue was shrunk, or a new play). */
  catchUp(sink: Sink, withGop: boolean): void {
    if (this.metadata) sink.offer(this.metadata);
    if (this.videoHeader) sink.offer(this.videoHeader);
    for (const header of this.audioHeaders.values()) sink.offer(header);
    if (withGop) for (const frame of this.gop.snapshot()) sink.offer(frame);
  }

  private guard(sink: Sink, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.warn(`sink ${sink.id} failed, detached: ${errorMessage(err)}`);
      this.detach(sink);
    }
  }
}

export function streamKey(vhost: string, app: string, stream: string): string {
  return vhost === '__defaultVhost__' ? `/${app}/${stream}` : `${vhost}/${app}/${stream}`;
}

/**
 * Server-side features that follow every publish (HLS, DVR, forward, transcode, hooks...) register here
 * instead of being called by the ingest protocols: a new feature is a new listener, not an edit of RTMP.
 */
export interface PublishListener {
  /** A publisher started on the source; attach sinks here. Errors are logged and do not stop the publish. */
  onPublish(source: LiveSource): void;
  /** The publisher left (its sinks are still attached; detach them here). */
  onUnpublish(source: LiveSource): void;
  /** Also follow proxied sources of edge vhosts (SourceOptions.edge); by default they are skipped. */
  readonly edge?: boolean;
  /**
   * Also follow worker-mesh relays (Publisher.relay); by default they are skipped, as the worker that
   * owns the publish runs the feature (two workers must not write the same HLS or DVR files).
   */
  readonly relay?: boolean;
}

/**
 * Demand for a stream, whichever protocol its viewers use (RTMP play, HTTP-FLV...): an edge pulls a
 * stream from its origin while somebody watches it. Called synchronously from addSink/removeSink.
 */
export interface DemandListener {
  /** The first viewer attached (the source may have no publisher yet). */
  onDemand(source: LiveSource): void;
  /** The last viewer left. */
  onIdle(source: LiveSource): void;
}

/**
 * Features that keep state by stream URL across publishes (HLS and DASH windows, stats ids...) free it
 * here: the source is gone for good (no publisher and no sink for the grace period, SRS #413).
 */
export interface SourceDropListener {
  /** Called synchronously from SourceRegistry.sweep/release; no source of this key exists at that moment. */
  onSourceDropped(source: LiveSource): void;
}

/**
 * How long an unused source (no publisher, no sink) is kept before it is dropped with its feature state,
 * ms. A republish within it continues the same source (HLS seq and window, stats id); SRS 4 has no
 * cleanup (#413), SRS 5 waits a few seconds. Servers set it from TSRS_SOURCE_GRACE_MS.
 */
export const DEFAULT_SOURCE_GRACE_MS = 30_000;

export interface SourceRegistryOptions {
  /** Grace period of an unused source, ms; 0 drops it at release() (the default of a bare registry). */
  graceMs?: number;
}

/** All live sources of the server, created on first publish or first play. */
export class SourceRegistry {
  private readonly sources = new Map<string, LiveSource>();
  private readonly listeners: PublishListener[] = [];
  private readonly demandListeners: DemandListener[] = [];
  private readonly dropListeners: SourceDropListener[] = [];
  /** Unused sources by the sweep time they were first seen unused (the registry reads no clock). */
  private readonly idleSince = new Map<LiveSource, number>();
  readonly graceMs: number;
  constructor(
    private readonly log: Logger,
    options: SourceRegistryOptions = {},
  ) {
    this.graceMs = Math.max(0, options.graceMs ?? 0);
  }

  addDropListener(l: SourceDropListener): void {
    this.dropListeners.push(l);
  }

  addPublishListener(l: PublishListener): void {
    this.listeners.push(l);
  }

  addDemandListener(l: DemandListener): void {
    this.demandListeners.push(l);
  }

  /** Called by LiveSource when its first viewer arrives (`demanded`) or its last one leaves. */
  notifyDemand(source: LiveSource, demanded: boolean): void {
    for (const l of this.demandListeners) {
      try {
        if (demanded) l.onDemand(source);
        else l.onIdle(source);
      } catch (err) {
        this.log.error(`${demanded ? 'demand' : 'idle'} listener failed for ${source.key}: ${errorMessage(err)}`);
      }
    }
  }

  /** Whether a publish listener follows this source's publish (edge and relay sources only when it asks). */
  follows(l: PublishListener, source: LiveSource): boolean {
    return (!source.isEdge || l.edge === true) && (!source.isRelay || l.relay === true);
  }

  /** Called by LiveSource when its publish state changes. */
  notifyPublish(source: LiveSource, publishing: boolean): void {
    for (const l of this.listeners) {
      if (!this.follows(l, source)) continue;
      try {
        if (publishing) l.onPublish(source);
        else l.onUnpublish(source);
      } catch (err) {
        this.log.error(`${publishing ? 'publish' : 'unpublish'} listener failed for ${source.key}: ${errorMessage(err)}`);
      }
    }
  }

  /** Find or create the source; `options` applies only when it is created. */
  obtain(vhost: string, app: string, stream: string, options: SourceOptions): LiveSource {
    const key = streamKey(vhost, app, stream);
    let source = this.sources.get(key);
    if (!source) {
      source = new LiveSource(vhost, app, stream, options, this.log, this);
      this.sources.set(key, source);
    }
    // A caller is about to use it (after its hooks, maybe): the grace period starts over.
    this.idleSince.delete(source);
    return source;
  }

  get(vhost: string, app: string, stream: string): LiveSource | undefined {
    return this.sources.get(streamKey(vhost, app, stream));
  }

  /**
   * A user of the source (publisher, player) left. Without a grace period an unused source is dropped at
   * once; with one, sweep() drops it once it has stayed unused that long.
   */
  release(source: LiveSource): void {
    if (this.graceMs === 0 && this.unused(source)) this.drop(source);
  }

  /**
   * Drop every source that has been unused (no publisher, no sink) for graceMs, with its feature state
   * (SourceDropListener). Driven by a timer in the app layer, which passes its clock; every source is
   * looked at, so one that lost its last sink without a release() call goes too. Returns how many went.
   */
  sweep(nowMs: number): number {
    let dropped = 0;
    for (const source of this.sources.values()) {
      if (!this.unused(source)) {
        this.idleSince.delete(source);
        continue;
      }
      const since = this.idleSince.get(source);
      if (since === undefined) this.idleSince.set(source, nowMs);
      if (nowMs - (since ?? nowMs) >= this.graceMs) {
        this.drop(source);
        dropped++;
      }
    }
    return dropped;
  }

  /** Sources in the registry (tests, metrics). */
  get size(): number {
    return this.sources.size;
  }

  private unused(source: LiveSource): boolean {
    return !source.isPublishing && source.sinkCount === 0 && this.sources.get(source.key) === source;
  }

  private drop(source: LiveSource): void {
    this.sources.delete(source.key);
    this.idleSince.delete(source);
    for (const l of this.dropListeners) {
      try {
        l.onSourceDropped(source);
      } catch (err) {
        this.log.error(`source-dropped listener failed for ${source.key}: ${errorMessage(err)}`);
      }
    }
  }

  all(): IterableIterator<LiveSource> {
    return this.sources.values();
  }
}
