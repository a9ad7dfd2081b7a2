// The worker side of the worker mesh (TSRS_WORKERS > 1): node:cluster workers share the public ports, so
// a player may land on a worker that does not have the stream's publisher. Each worker reports its real
// publishes to the primary, mirrors the primary's directory of owners, and pulls a stream from its owner
// (RTMP on the owner's private relay port, with the mesh token) while local viewers want it.
import { newContextId } from '../../core/logger.js';
import { timingSafeEqual } from 'node:crypto';
import type { ServerContext } from '../context.js';
import type { DemandListener, LiveSource, PublishListener } from '../live/live-source.js';
import { MESH_TOKEN_PARAM, isMeshMessage, parsePrimaryMessage, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';
import { RelayPuller } from './relay-puller.js';

export interface MeshOptions {
  /** The secret shared by the workers of this server (made by the primary at start-up). */
  token: string;
  /** This worker's id (node:cluster worker.id), as the primary names owners. */
  workerId: number;
  /** Send a message to the primary (process.send). */
  send(msg: WorkerToPrimary): void;
  /** Relay retry pause (tests shorten it). */
  retryMs?: number;
}

type Owner = Extract<PrimaryToWorker, { type: 'publish' }>;

/** Whether a relay play's query carries the token (constant-time compare). */
export function meshTokenAdmits(token: string, param: string): boolean {
  const got = Buffer.from(new URLSearchParams(param.replace(/^[?#]/, '')).get(MESH_TOKEN_PARAM) ?? '');
  const want = Buffer.from(token);
  return want.length > 0 && got.length === want.length && timingSafeEqual(got, want);
}

export class MeshNode implements PublishListener, DemandListener {
  /** Streams owned by other workers, by key. */
  private readonly owners = new Map<string, Owner>();
  private readonly pullers = new Map<string, RelayPuller>();
  private closed = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly o: MeshOptions,
  ) {}

  register(): this {
    this.ctx.registry.addPublishListener(this);
    this.ctx.registry.addDemandListener(this);
    return this;
  }

  /** The relay listener is up: join the mesh (the primary answers with the current directory). */
  ready(port: number): void {
    this.send({ tsrsMesh: 1, type: 'ready', port });
  }

  /** The relay pull of a stream, if one runs (tests). */
  pullerOf(key: string): RelayPuller | undefined {
    return this.pullers.get(key);
  }

  // ---- publish listener: real local publishes only (edge and relay sources are skipped) -------------

  onPublish(source: LiveSource): void {
    // A relay that was still connecting or retrying is not needed any more: the stream is published here.
    this.pullers.get(source.key)?.stop('published here');
    this.send({ tsrsMesh: 1, type: 'publish', key: source.key, vhost: source.vhost, app: source.app, stream: source.stream });
  }

  onUnpublish(source: LiveSource): void {
    this.send({ tsrsMesh: 1, type: 'unpublish', key: source.key });
    // A local publisher that raced another worker's (a conflict) leaves its viewers to the owner.
    if (source.viewers > 0) queueMicrotask(() => this.maybePull(source));
  }

  // ---- demand listener --------------------------------------------------------------------------

  onDemand(source: LiveSource): void {
    this.maybePull(source);
  }

  onIdle(source: LiveSource): void {
    this.pullers.get(source.key)?.stop('no viewer left');
  }

  // ---- the primary's messages -----------------------------------------------------------------

  /** A message from the primary (process 'message'); non-mesh IPC is left alone, bad mesh messages logged. */
  receive(raw: unknown): void {
    if (!isMeshMessage(raw)) return;
    const m = parsePrimaryMessage(raw);
    if (typeof m === 'string') {
      this.ctx.log.warn(`mesh: ignore a message from the primary: ${m}`);
      return;
    }
    if (m.owner === this.o.workerId) return; // our own publish, announced to all
    if (m.type === 'publish') {
      this.owners.set(m.key, m);
      const running = this.pullers.get(m.key);
      if (running && (running.owner !== m.owner || running.port !== m.port)) running.stop(`worker ${m.owner} owns the stream now`);
      const source = this.ctx.registry.get(m.vhost, m.app, m.stream);
      if (source && source.viewers > 0) this.maybePull(source);
      return;
    }
    if (this.owners.get(m.key)?.owner === m.owner) this.owners.delete(m.key);
    const puller = this.pullers.get(m.key);
    if (puller && puller.owner === m.owner) puller.stop(`worker ${m.owner} unpublished the stream`);
  }

  /** Stop every relay (server shutdown). */
  close(): void {
    this.closed = true;
    for (const p of [...this.pullers.values()]) p.stop('server shutdown');
  }

  private maybePull(source: LiveSource): void {
    if (this.closed || source.isEdge || source.isPublishing || source.viewers === 0 || this.pullers.has(source.key)) return;
    const owner = this.owners.get(source.key);
    if (!owner) return; // not published anywhere yet: the viewers wait for a publish announcement
    const log = this.ctx.log.child(newContextId());
    const puller: RelayPuller = new RelayPuller({
      source,
      owner: owner.owner,
      port: owner.port,
      token: this.o.token,
      log,
      random: this.ctx.random,
      now: this.ctx.now,
      retryMs: this.o.retryMs,
      stillListed: () => {
        const now = this.owners.get(source.key);
        return now?.owner === owner.owner && now.port === owner.port;
      },
      onStop: () => {
        if (this.pullers.get(source.key) === puller) this.pullers.delete(source.key);
        this.ctx.registry.release(source);
      },
    });
    this.pullers.set(source.key, puller);
    puller.start();
  }

  private send(msg: WorkerToPrimary): void {
    try {
      this.o.send(msg);
    } catch (err) {
      this.ctx.log.warn(`mesh: cannot tell the primary (${msg.type}): ${(err as Error).message}`);
    }
  }
}
