// Edge pull (SRS SrsEdgeIngester): while a stream of an edge vhost has viewers, one upstream RTMP play
// from an origin feeds the local source, acting as its publisher. Origins are taken round-robin on each
// (re)connect, an RTMP 302 is followed at once, and failures are retried: at once on the next origin
// while there is one not tried since the last frame, else after 3 s (SRS_EDGE_INGESTER_CIMS).
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { outboundUrl } from '../../protocol/rtmp/request.js';
import { splitRtmpUrl } from '../../protocol/rtmp/client-session.js';
import type { VhostConfig } from '../../config/index.js';
import type { LiveSource, Publisher } from '../live/live-source.js';
import { RetryTimer, RtmpClient, upnodeArgs, withDefaultPort, type UpstreamEnd } from '../upstream/index.js';
import { RoundRobin } from './round-robin.js';

export const EDGE_RETRY_MS = 3000;
/** SRS_EDGE_INGESTER_TIMEOUT: setup bound, and how long the origin may stay silent before we try another. */
export const EDGE_TIMEOUT_MS = 5000;
/** RTMP 302s followed in a row before counting it as a failure. */
const MAX_REDIRECTS = 3;

export interface EdgeIngesterOptions {
  source: LiveSource;
  /** The edge vhost's config at the time the pull starts (origin list re-read on each connect). */
  vhost: () => VhostConfig | undefined;
  log: Logger;
  serverId: string;
  random: (n: number) => Buffer;
  now: () => number;
  retryMs?: number;
  timeoutMs?: number;
  /** Called once when the ingester stops, whoever stopped it. */
  onStop?: () => void;
}

export class EdgeIngester {
  private readonly lb = new RoundRobin();
  private client: RtmpClient | null = null;
  private readonly retry = new RetryTimer(() => this.connect());
  private redirect: string | null = null;
  private redirects = 0;
  /** Failures since the last frame from an origin. */
  private failures = 0;
  private gotFrame = false;
  private stopped = false;
  readonly publisher: Publisher;
  /** Upstream connections opened so far and the URL of the current one (tests, logs, stats). */
  attempts = 0;
  currentUrl = '';

  constructor(private readonly o: EdgeIngesterOptions) {
    this.publisher = {
      id: o.log.cid,
      // Kicking an edge stream restarts its pull, as the next origin may serve it better.
      kick: (reason) => this.client?.close(`kicked: ${reason}`),
      // The origin is pulled over RTMP, which has no message that asks a publisher for a keyframe.
      requestKeyframe: () => undefined,
    };
  }

  get source(): LiveSource {
    return this.o.source;
  }

  get isPulling(): boolean {
    return this.client?.isReady ?? false;
  }

  /** Take the source's publish side and connect. Throws StreamBusyError if a local publisher has it. */
  start(): void {
    const s = this.o.source;
    s.startPublish(this.publisher, { ip: '', tcUrl: '', param: s.demandParam, pageUrl: '', swfUrl: '', port: 0 });
    this.o.log.trace(`edge: pull ${s.key}${s.demandParam ? ` param=${s.demandParam}` : ''} for its first viewer`);
    this.connect();
  }

  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.retry.cancel();
    this.client?.close(reason);
    this.client = null;
    this.o.source.stopPublish(this.publisher);
    this.o.log.trace(`edge: stop pulling ${this.o.source.key} (${reason})`);
    this.o.onStop?.();
  }

  /** The URL of the next attempt: the pending 302 target's server, else the next origin. */
  private nextUrl(v: VhostConfig): string | null {
    const s = this.o.source;
    let server: string;
    if (this.redirect) {
      // SRS keeps its own app/stream/param and takes only the server of the 302 (SrsEdgeRtmpUpstream).
      const r = splitRtmpUrl(this.redirect);
      server = withDefaultPort(r.host.includes(':') ? `[${r.host}]:${r.port}` : `${r.host}:${r.port}`);
      this.redirect = null;
    } else {
      if (v.cluster.origin.length === 0) return null;
      server = withDefaultPort(this.lb.select(v.cluster.origin));
    }
    const vhost = v.cluster.vhost.replace('[vhost]', s.vhost);
    return outboundUrl(server, s.app, s.stream, s.demandParam, vhost);
  }

  private connect(): void {
    if (this.stopped) return;
    const v = this.o.vhost();
    if (!v || !v.cluster.isEdge) {
      this.stop('the vhost is no longer an edge');
      return;
    }
    const url = this.nextUrl(v);
    if (!url) {
      this.o.log.error(`edge: vhost ${v.name} has no cluster.origin, cannot pull ${this.o.source.key}`);
      this.scheduleRetry();
      return;
    }
    this.attempts++;
    this.currentUrl = url;
    this.gotFrame = false;
    const timeoutMs = this.o.timeoutMs ?? EDGE_TIMEOUT_MS;
    const client: RtmpClient = new RtmpClient(
      {
        url,
        mode: 'play',
        log: this.o.log,
        random: this.o.random,
        now: this.o.now,
        setupTimeoutMs: timeoutMs,
        idleTimeoutMs: timeoutMs,
        chunkSize: v.chunkSize,
        connectArgs: v.cluster.debugSrsUpnode ? upnodeArgs(this.o.serverId, '', this.o.log.cid) : undefined,
      },
      {
        onReady: () => {
          if (client === this.client) this.o.log.trace(`edge: pulling ${this.o.source.key} from ${url}`);
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
    this.o.log.trace(`edge: connect ${url} (attempt ${this.attempts})`);
    client.start();
  }

  private onFrame(f: MediaFrame): void {
    if (!this.gotFrame) {
      this.gotFrame = true;
      this.failures = 0;
      this.redirects = 0;
    }
    this.o.source.publish(f);
  }

  private onEnd(end: UpstreamEnd): void {
    this.client = null;
    if (this.stopped) return;
    if (end.redirect && this.redirects < MAX_REDIRECTS) {
      this.redirects++;
      this.redirect = end.redirect;
      this.o.log.warn(`edge: RTMP 302 for ${this.o.source.key} to ${end.redirect}`);
      this.connect();
      return;
    }
    this.redirects = 0;
    this.failures++;
    const origins = this.o.vhost()?.cluster.origin.length ?? 0;
    if (this.failures < origins) {
      this.o.log.warn(`edge: ${this.currentUrl} ended (${end.reason}); try the next origin`);
      this.connect();
      return;
    }
    this.failures = 0;
    this.o.log.warn(`edge: ${this.currentUrl} ended (${end.reason}); retry in ${this.o.retryMs ?? EDGE_RETRY_MS}ms`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.retry.schedule(this.o.retryMs ?? EDGE_RETRY_MS);
  }
}
