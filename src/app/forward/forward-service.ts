// vhost forward (SRS SrsOriginHub::create_forwarders): every stream published at this server is also
// published to each `destination` (or to the URLs the `backend` answers with, SRS 5's dynamic forward).
import { TsrsError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { VhostConfig } from '../../config/index.js';
import { outboundUrl } from '../../protocol/rtmp/request.js';
import type { ServerContext } from '../context.js';
import { checkHookResponse, httpCall } from '../hooks/hook-client.js';
import type { LiveSource, PublishListener } from '../live/live-source.js';
import { upnodeArgs, withDefaultPort } from '../upstream/index.js';
import { Forwarder } from './forwarder.js';

/** SRS ERROR_HTTP_DATA_INVALID: the backend's answer has no `data.urls`. */
const BACKEND_DATA_INVALID = 1030;

export interface ForwardServiceOptions {
  /** Per-request timeout of the backend call (SRS: 30 s, the hooks' timeout). */
  backendTimeoutMs?: number;
}

export class ForwardService implements PublishListener {
  private readonly active = new Map<LiveSource, Forwarder[]>();
  /** Publishes waiting for the backend's answer, by source, with the publisher they were made for. */
  private readonly pending = new Map<LiveSource, string>();

  constructor(
    private readonly ctx: ServerContext,
    private readonly options: ForwardServiceOptions = {},
  ) {}

  register(): this {
    this.ctx.registry.addPublishListener(this);
    return this;
  }

  /** The forwarders of a stream (for tests and stats). */
  forwardersOf(source: LiveSource): readonly Forwarder[] {
    return this.active.get(source) ?? [];
  }

  onPublish(source: LiveSource): void {
    const v = this.ctx.config().vhosts.get(source.vhost);
    if (!v || !v.forward.enabled) return;
    const log = this.ctx.log.child(source.sourceId || this.ctx.log.cid);
    if (v.forward.backend) {
      this.pending.set(source, source.sourceId);
      this.fromBackend(source, v, v.forward.backend, log).then(
        (urls) => {
          if (this.pending.get(source) !== source.sourceId || !source.isPublishing) return;
          this.pending.delete(source);
          this.startAll(source, v, urls, log);
        },
        (err) => {
          if (this.pending.get(source) !== source.sourceId) return;
          this.pending.delete(source);
          // SRS fails the publish when the backend fails (http-callbacks.md §7).
          log.warn(`forward: backend ${v.forward.backend} failed, kick the publisher of ${source.key}: ${errorMessage(err)}`);
          source.currentPublisher?.kick(`forward backend failed: ${errorMessage(err)}`);
        },
      );
      return;
    }
    const param = source.publishInfo?.param ?? '';
    const urls = v.forward.destination.map((d) => outboundUrl(withDefaultPort(d), source.app, source.stream, param, source.vhost));
    this.startAll(source, v, urls, log);
  }

  onUnpublish(source: LiveSource): void {
    this.pending.delete(source);
    const list = this.active.get(source);
    if (!list) return;
    this.active.delete(source);
    for (const f of list) f.stop('unpublish');
  }

  /** Stop every forwarder (server shutdown). */
  close(): void {
    this.pending.clear();
    for (const [, list] of this.active) for (const f of list) f.stop('server shutdown');
    this.active.clear();
  }

  private startAll(source: LiveSource, v: VhostConfig, urls: string[], log: Logger): void {
    if (urls.length === 0) return;
    const list: Forwarder[] = [];
    for (const url of urls) {
      const f = new Forwarder({
        url,
        source,
        log: log.child(log.cid),
        random: this.ctx.random,
        now: this.ctx.now,
        queueLengthMs: v.play.queueLengthMs,
        chunkSize: v.chunkSize,
        connectArgs: v.cluster.debugSrsUpnode ? upnodeArgs(this.ctx.serverId, '', log.cid) : undefined,
      });
      list.push(f);
    }
    this.active.set(source, [...(this.active.get(source) ?? []), ...list]);
    for (const f of list) f.start();
  }

  /** SRS 5 dynamic forward: POST on_forward to the backend; each URL of `data.urls` becomes a target. */
  private async fromBackend(source: LiveSource, v: VhostConfig, backend: string, log: Logger): Promise<string[]> {
    const info = source.publishInfo;
    // Field order of http-callbacks.md §4 (on_forward starts with `action`).
    const body = JSON.stringify({
      action: 'on_forward',
      server_id: this.ctx.serverId,
      service_id: this.ctx.serviceId,
      client_id: source.sourceId,
      ip: info?.ip ?? '',
      vhost: v.name,
      app: source.app,
      tcUrl: info?.tcUrl ?? '',
      stream: source.stream,
      param: info?.param ?? '',
    });
    const r = await httpCall('POST', backend, body, { timeoutMs: this.options.backendTimeoutMs ?? 30_000 });
    checkHookResponse(backend, r);
    const parsed = JSON.parse(r.body) as { data?: { urls?: unknown } };
    const urls = parsed.data?.urls;
    if (!Array.isArray(urls)) throw new TsrsError(BACKEND_DATA_INVALID, `forward backend ${backend}: no data.urls in ${r.body.slice(0, 128)}`);
    const out = urls.filter((u): u is string => typeof u === 'string' && u.length > 0);
    log.trace(`forward: backend ${backend} gave ${out.length} url(s) for ${source.key}: ${out.join(' ')}`);
    return out;
  }
}
