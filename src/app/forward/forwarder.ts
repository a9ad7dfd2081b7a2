// One forward target of one published stream (SRS SrsForwarder): publishes the same stream to another
// RTMP server, reconnecting on failure, until the publisher leaves.
import type { Logger } from '../../core/logger.js';
import type { Amf0Object } from '../../kernel/format/amf0.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import type { LiveSource } from '../live/live-source.js';
import { PushSink, RetryTimer, RtmpClient, type UpstreamEnd } from '../upstream/index.js';

/** SRS_FORWARDER_CIMS: the pause between two attempts. */
export const FORWARD_RETRY_MS = 3000;
/** After this many failures in a row the pause doubles each time, up to FORWARD_MAX_RETRY_MS. */
const BACKOFF_AFTER_FAILURES = 5;
export const FORWARD_MAX_RETRY_MS = 30_000;
const SETUP_TIMEOUT_MS = 10_000;

export interface ForwarderOptions {
  /** Target, `rtmp://host:port/app/stream?param&vhost=...`. */
  url: string;
  source: LiveSource;
  log: Logger;
  random: (n: number) => Buffer;
  now: () => number;
  /** play.queue_length of the vhost: what is kept while the target is slow or away. */
  queueLengthMs: number;
  chunkSize: number;
  /** SRS's debug_srs_upnode identity, sent as the connect's extra argument. */
  connectArgs?: Amf0Object;
  retryMs?: number;
  maxRetryMs?: number;
}

/** The pause before attempt n+1 after `failures` failures in a row. */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= BACKOFF_AFTER_FAILURES) return baseMs;
  return Math.min(maxMs, baseMs * 2 ** (failures - BACKOFF_AFTER_FAILURES));
}

export class Forwarder {
  private readonly sink: PushSink;
  private client: RtmpClient | null = null;
  private readonly retry = new RetryTimer(() => this.connect());
  private failures = 0;
  private stopped = false;
  /** Attempts so far, and how many reached publishing (for stats and tests). */
  attempts = 0;
  connectedCount = 0;

  constructor(private readonly o: ForwarderOptions) {
    this.sink = new PushSink(
      `forward-${o.log.cid}`,
      {
        pending: () => this.client?.pendingBytes ?? Infinity,
        send: (frames) => this.client?.write(frames),
      },
      { jitter: 'off', queueLengthMs: o.queueLengthMs, mwLatencyMs: 0 },
      o.log,
      {
        publishNotify: () => {},
        unpublishNotify: () => {},
        // The target does not keep up: start over on a fresh connection (the queue keeps the headers).
        hopeless: (reason) => {
          if (this.client?.isReady) this.client.close(`forward target too slow: ${reason}`);
        },
      },
    );
  }

  get url(): string {
    return this.o.url;
  }

  get isConnected(): boolean {
    return this.client?.isReady ?? false;
  }

  /** Attach to the source (sequence headers and metadata come first, no GOP) and connect. */
  start(): void {
    this.o.log.trace(`forward: start ${this.o.source.key} to ${this.o.url}`);
    this.o.source.addSink(this.sink, { gop: false });
    this.connect();
  }

  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.retry.cancel();
    this.o.source.removeSink(this.sink);
    this.sink.close();
    this.client?.close(reason);
    this.client = null;
    this.o.log.trace(`forward: stop ${this.o.source.key} to ${this.o.url} (${reason})`);
  }

  private connect(): void {
    if (this.stopped) return;
    this.attempts++;
    const client = new RtmpClient(
      {
        url: this.o.url,
        mode: 'publish',
        log: this.o.log,
        random: this.o.random,
        now: this.o.now,
        setupTimeoutMs: SETUP_TIMEOUT_MS,
        chunkSize: this.o.chunkSize,
        connectArgs: this.o.connectArgs,
      },
      {
        onReady: () => this.onReady(client),
        onDrain: () => this.sink.onDrain(),
        onEnd: (end) => this.onEnd(client, end),
      },
    );
    this.client = client;
    client.start();
  }

  private onReady(client: RtmpClient): void {
    if (client !== this.client) return;
    this.failures = 0;
    this.connectedCount++;
    this.o.log.trace(`forward: publishing ${this.o.source.key} to ${this.o.url}`);
    // Metadata and sequence headers first, whatever the queue holds (SRS sends sh_video/sh_audio first).
    const sh = this.o.source.sequenceHeaders;
    const first = [sh.metadata, sh.video, sh.audio].filter((f): f is MediaFrame => f !== null);
    if (first.length) client.write(first);
    this.sink.onDrain();
  }

  private onEnd(client: RtmpClient, end: UpstreamEnd): void {
    if (client !== this.client) return;
    this.client = null;
    if (this.stopped) return;
    this.failures++;
    const delay = retryDelayMs(this.failures, this.o.retryMs ?? FORWARD_RETRY_MS, this.o.maxRetryMs ?? FORWARD_MAX_RETRY_MS);
    this.o.log.warn(`forward: ${this.o.url} ended: ${end.reason}; retry in ${delay}ms`);
    this.retry.schedule(delay);
  }
}
