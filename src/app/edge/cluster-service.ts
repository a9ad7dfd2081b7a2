// vhost cluster: edges (mode remote) pull streams on demand and relay publishes to their origins; origins
// of an origin cluster send players of streams they lack to the coworker that has them. One service,
// plugged into the source registry (demand and publish listeners) and into the RTMP connection
// (ClusterHooks on the server context).
import { TsrsError, errorMessage } from '../../core/errors.js';
import { newContextId, type Logger } from '../../core/logger.js';
import type { Amf0Object, Amf0Value } from '../../kernel/format/amf0.js';
import type { ServerContext } from '../context.js';
import type { ClusterHooks, ClusterRequest } from '../live/cluster-hooks.js';
import type { DemandListener, LiveSource, PublishListener } from '../live/live-source.js';
import { RtmpClient, UpstreamError, withDefaultPort, type UpstreamEnd } from '../upstream/index.js';
import { EdgeIngester } from './edge-ingester.js';
import { EdgePusher } from './edge-pusher.js';
import { locateInCluster } from './origin-cluster.js';
import { RoundRobin } from './round-robin.js';

/** SRS SRS_EDGE_TOKEN_TRAVERSE_TIMEOUT. */
const TOKEN_TRAVERSE_TIMEOUT_MS = 3000;
/** SRS ERROR_EDGE_TOKEN_TRAVERSE... (edge auth failed): every origin refused or was unreachable. */
export const EDGE_TOKEN_TRAVERSE_FAILED = 3063;

export interface ClusterServiceOptions {
  /** Timeout of one coworker query (SRS uses its HTTP client's default, 30 s). */
  lookupTimeoutMs?: number;
  /** Edge retry pause and upstream timeouts (tests shorten them). */
  edgeRetryMs?: number;
  edgeTimeoutMs?: number;
}

export class ClusterService implements ClusterHooks, DemandListener, PublishListener {
  /** Follow edge sources too: their publishes are what this service relays. */
  readonly edge = true;
  private readonly ingesters = new Map<LiveSource, EdgeIngester>();
  private readonly pushers = new Map<LiveSource, EdgePusher>();
  /** Round-robin state of edge publishes, per vhost. */
  private readonly pushLb = new Map<string, RoundRobin>();

  constructor(
    private readonly ctx: ServerContext,
    private readonly options: ClusterServiceOptions = {},
  ) {}

  /** Listen to the registry and answer the RTMP connection's cluster questions. */
  register(): this {
    this.ctx.registry.addDemandListener(this);
    this.ctx.registry.addPublishListener(this);
    this.ctx.cluster = this;
    return this;
  }

  /** The running pull of an edge stream, if any (tests, stats). */
  ingesterOf(source: LiveSource): EdgeIngester | undefined {
    return this.ingesters.get(source);
  }

  pusherOf(source: LiveSource): EdgePusher | undefined {
    return this.pushers.get(source);
  }

  // ---- edge pull: demand listener --------------------------------------------------------------

  onDemand(source: LiveSource): void {
    // A stream published to this edge is served from here; only absent streams are pulled.
    if (!source.isEdge || source.isPublishing || this.ingesters.has(source)) return;
    const log = this.ctx.log.child(newContextId());
    const ingester = new EdgeIngester({
      source,
      vhost: () => this.ctx.config().vhosts.get(source.vhost),
      log,
      serverId: this.ctx.serverId,
      random: this.ctx.random,
      now: this.ctx.now,
      retryMs: this.options.edgeRetryMs,
      timeoutMs: this.options.edgeTimeoutMs,
      onStop: () => {
        if (this.ingesters.get(source) === ingester) this.ingesters.delete(source);
      },
    });
    this.ingesters.set(source, ingester);
    try {
      ingester.start();
    } catch (err) {
      this.ingesters.delete(source);
      log.warn(`edge: cannot pull ${source.key}: ${errorMessage(err)}`);
    }
  }

  onIdle(source: LiveSource): void {
    this.ingesters.get(source)?.stop('no viewer left');
  }

  // ---- edge push: publish listener (edge sources only) ------------------------------------------

  onPublish(source: LiveSource): void {
    if (!source.isEdge) return;
    const publisher = source.currentPublisher;
    if (!publisher || this.ingesters.get(source)?.publisher === publisher) return; // our own pull
    const vhost = this.ctx.config().vhosts.get(source.vhost);
    if (!vhost) return;
    let lb = this.pushLb.get(vhost.name);
    if (!lb) {
      lb = new RoundRobin();
      this.pushLb.set(vhost.name, lb);
    }
    const pusher = new EdgePusher({
      source,
      publisher,
      vhost,
      lb,
      log: this.ctx.log.child(publisher.id),
      serverId: this.ctx.serverId,
      random: this.ctx.random,
      now: this.ctx.now,
    });
    this.pushers.set(source, pusher);
    pusher.start();
  }

  onUnpublish(source: LiveSource): void {
    const pusher = this.pushers.get(source);
    if (!pusher) return;
    this.pushers.delete(source);
    pusher.stop('unpublish');
  }

  // ---- ClusterHooks ----------------------------------------------------------------------------

  locate(req: ClusterRequest, log: Logger): Promise<string | null> {
    return locateInCluster(req, log, { timeoutMs: this.options.lookupTimeoutMs ?? 30_000 });
  }

  /**
   * SRS check_edge_token_traverse_auth: connect to the origins in order with the client's tcUrl and
   * connect arguments; the first origin that answers decides. Only the connect is checked, as SRS does.
   */
  async traverse(req: ClusterRequest, tcUrl: string, connectArgs: Amf0Value, log: Logger): Promise<void> {
    const c = req.vhost.cluster;
    if (!c.isEdge || !c.tokenTraverse) return;
    const failures: string[] = [];
    for (const origin of c.origin) {
      const server = withDefaultPort(origin);
      const end = await this.connectOnce(`rtmp://${server}/${req.app}/${req.stream}`, tcUrl, connectArgs, log);
      if (!end) {
        log.trace(`edge: token traverse ok at ${server} for ${tcUrl}`);
        return;
      }
      if (end.refused || end.redirect) throw new TsrsError(EDGE_TOKEN_TRAVERSE_FAILED, `edge token traverse refused by ${server}: ${end.reason}`, { cause: new UpstreamError(end) });
      failures.push(`${server}: ${end.reason}`);
    }
    throw new TsrsError(EDGE_TOKEN_TRAVERSE_FAILED, `edge token traverse: no origin answered (${failures.join('; ') || 'no origin configured'})`);
  }

  /** One connect-only RTMP session; resolves null on success, else how it ended. */
  private connectOnce(url: string, tcUrl: string, connectArgs: Amf0Value, log: Logger): Promise<UpstreamEnd | null> {
    return new Promise((resolve) => {
      let ok = false;
      const props: Amf0Object = {};
      const client: RtmpClient = new RtmpClient(
        {
          url,
          tcUrl: tcUrl || undefined,
          mode: 'connect',
          log,
          random: this.ctx.random,
          now: this.ctx.now,
          setupTimeoutMs: TOKEN_TRAVERSE_TIMEOUT_MS,
          connectArgs: connectArgs ?? undefined,
          connectProperties: props,
        },
        {
          onReady: () => {
            ok = true;
            client.close('token traverse done');
          },
          onEnd: (end) => resolve(ok ? null : end),
        },
      );
      client.start();
    });
  }

  /** Stop every pull and relay (server shutdown). */
  close(): void {
    for (const i of [...this.ingesters.values()]) i.stop('server shutdown');
    for (const p of [...this.pushers.values()]) p.stop('server shutdown');
    this.ingesters.clear();
    this.pushers.clear();
  }
}
