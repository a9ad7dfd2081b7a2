// One worker-mesh relay: while a local source has viewers and another worker owns its publisher, an RTMP
// play from that worker's private relay port feeds the local source, holding its publish side as a relay
// publisher (Publisher.relay: HLS, DVR, forward and hooks stay in the owner). The publish side is taken
// once the owner accepted the play and given back whenever the upstream ends, so local players see the
// usual unpublish/publish and a local publisher is never blocked by a relay that is only trying.
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { outboundUrl } from '../../protocol/rtmp/request.js';
import type { LiveSource, Publisher } from '../live/live-source.js';
import { RetryTimer, RtmpClient, type UpstreamEnd } from '../upstream/index.js';
import { MESH_TOKEN_PARAM } from './messages.js';

/** Attempts in a row without a frame before giving up (the pull restarts on the next announced publish). */
export const RELAY_MAX_FAILURES = 5;
/** First retry pause; it doubles on each failure. */
export const RELAY_RETRY_MS = 200;
const RELAY_SETUP_TIMEOUT_MS = 3000;
/** The owner stays silent this long (its publisher stalled or it hangs): give up and reconnect. */
const RELAY_IDLE_TIMEOUT_MS = 10_000;

export interface RelayPullerOptions {
  source: LiveSource;
  /** Owner worker id and its relay port. */
  owner: number;
  port: number;
  token: string;
  log: Logger;
  random: (n: number) => Buffer;
  now: () => number;
  /** The directory still names this owner for the stream (a retry is pointless otherwise). */
  stillListed(): boolean;
  /** Called once when the puller stops, whoever stopped it. */
  onStop(): void;
  retryMs?: number;
  maxFailures?: number;
}

export class RelayPuller {
  private client: RtmpClient | null = null;
  private readonly retry = new RetryTimer(() => this.connect());
  private failures = 0;
  private stopped = false;
  private holding = false;
  readonly publisher: Publisher;
  attempts = 0;

  constructor(private readonly o: RelayPullerOptions) {
    this.publisher = {
      id: o.log.cid,
      relay: true,
      // Kicking a relayed stream (API) drops the relay; it reconnects while viewers wait.
      kick: (reason) => this.client?.close(`kicked: ${reason}`),
      // The relay pulls RTMP from the owner worker, and RTMP has no message that asks for a keyframe.
      requestKeyframe: () => undefined,
    };
  }

  get owner(): number {
    return this.o.owner;
  }

  get port(): number {
    return this.o.port;
  }

  start(): void {
    this.o.log.trace(`mesh: relay ${this.o.source.key} from worker ${this.o.owner} (127.0.0.1:${this.o.port}) for local viewers`);
    this.connect();
  }

  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.retry.cancel();
    const client = this.client;
    this.client = null;
    client?.close(reason);
    this.release();
    this.o.log.trace(`mesh: stop relay ${this.o.source.key} from worker ${this.o.owner} (${reason})`);
    this.o.onStop();
  }

  private connect(): void {
    if (this.stopped) return;
    const s = this.o.source;
    const url = outboundUrl(`127.0.0.1:${this.o.port}`, s.app, s.stream, `?${MESH_TOKEN_PARAM}=${this.o.token}`, s.vhost);
    this.attempts++;
    const client: RtmpClient = new RtmpClient(
      { url, mode: 'play', log: this.o.log, random: this.o.random, now: this.o.now, setupTimeoutMs: RELAY_SETUP_TIMEOUT_MS, idleTimeoutMs: RELAY_IDLE_TIMEOUT_MS },
      {
        onReady: () => {
          if (client === this.client) this.onReady();
        },
        onFrame: (f) => {
          if (client === this.client) this.onFrame(f);
        },
        onEnd: (end) => {
          if (client === this.client) this.onEnd(end);
        },
      },
    );
    this.client = client;
    client.start();
  }

  private onReady(): void {
    const s = this.o.source;
    try {
      s.startPublish(this.publisher, { ip: '127.0.0.1', tcUrl: `rtmp://127.0.0.1:${this.o.port}/${s.app}`, param: '', pageUrl: '', swfUrl: '', port: 0 });
    } catch (err) {
      // A local publisher took the stream meanwhile: it serves the local viewers, no relay is needed.
      this.stop(`the stream is published here: ${errorMessage(err)}`);
      return;
    }
    this.holding = true;
    s.publishStartedAt = this.o.now();
    this.o.log.trace(`mesh: relaying ${s.key} from worker ${this.o.owner}, attempt ${this.attempts}`);
  }

  private onFrame(f: MediaFrame): void {
    if (!this.holding) return;
    this.failures = 0;
    this.o.source.publish(f);
  }

  private release(): void {
    if (!this.holding) return;
    this.holding = false;
    this.o.source.stopPublish(this.publisher);
  }

  private onEnd(end: UpstreamEnd): void {
    this.client = null;
    if (this.stopped) return;
    this.release();
    this.failures++;
    const max = this.o.maxFailures ?? RELAY_MAX_FAILURES;
    if (!this.o.stillListed()) {
      this.stop(`relay ended (${end.reason}) and worker ${this.o.owner} no longer owns the stream`);
      return;
    }
    if (this.o.source.viewers === 0) {
      this.stop(`relay ended (${end.reason}) with no viewer left`);
      return;
    }
    if (this.failures >= max) {
      this.o.log.warn(`mesh: relay of ${this.o.source.key} from worker ${this.o.owner} failed ${this.failures} times in a row (${end.reason}); waiting for the next publish`);
      this.stop('too many failures');
      return;
    }
    const delay = (this.o.retryMs ?? RELAY_RETRY_MS) * 2 ** (this.failures - 1);
    this.o.log.warn(`mesh: relay of ${this.o.source.key} from worker ${this.o.owner} ended (${end.reason}); retry in ${delay}ms`);
    this.retry.schedule(delay);
  }
}
