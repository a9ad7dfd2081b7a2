// One admission service for every protocol (issue 12 point 4, ARCHITECTURE.md "one admission service"):
// max_connections, IP security, referer, the gating callbacks, the edge token traverse and the client
// record, in SRS's order (http-callbacks.md §5); tickets end the record and fire the stop callbacks.
import type { Logger } from '../../core/logger.js';
import type { SrsConfig } from '../../config/index.js';
import type { HookClientInfo, HttpHooks } from '../hooks/http-hooks.js';
import type { ClusterHooks } from '../live/cluster-hooks.js';
import { streamKey } from '../live/live-source.js';
import { checkRefer, checkSecurity } from '../security/access.js';
import type { ClientStat, Stats } from '../stats/stats.js';
import type {
  Admission,
  AdmissionAction,
  AdmissionClient,
  AdmissionProto,
  AdmissionRequest,
  ClientBoundTicket,
  ClientTicket,
  ConnectionSlot,
  Ticket,
} from './types.js';

/** What the service reads from the server (a subset of ServerContext, read at each call). */
export interface AdmissionDeps {
  config(): SrsConfig;
  readonly stats: Stats;
  readonly hooks: Pick<HttpHooks, 'gate' | 'notify'>;
  /** Set by the cluster feature once built; absent when no vhost is in a cluster. */
  readonly cluster?: Pick<ClusterHooks, 'traverse'>;
  readonly log: Logger;
  now(): number;
}

function hookInfo(client: AdmissionClient, r: AdmissionRequest, stats: Stats): HookClientInfo {
  const key = streamKey(r.vhost.name, r.app, r.stream);
  return {
    clientId: client.id,
    ip: client.ip,
    vhost: r.vhost.name,
    app: r.app,
    stream: r.hookStream ?? r.stream,
    param: r.param,
    tcUrl: r.tcUrl,
    pageUrl: r.pageUrl,
    streamUrl: key,
    streamId: stats.streamId(key),
  };
}

function newRecord(client: AdmissionClient, createdAtMs: number): ClientStat {
  return {
    id: client.id,
    vhost: client.vhost ?? '',
    app: '',
    stream: '',
    name: '',
    ip: client.ip,
    pageUrl: client.pageUrl ?? '',
    swfUrl: client.swfUrl ?? '',
    tcUrl: client.tcUrl ?? '',
    type: '',
    publish: false,
    createdAtMs,
    sendBytes: () => client.sendBytes(),
    recvBytes: () => client.recvBytes(),
    kick: (reason) => client.kick(reason),
    droppedFrames: client.droppedFrames ? () => client.droppedFrames!() : undefined,
  };
}

/** The record says what the client does once it is admitted (SRS lists clients by type). */
function describeRecord(stat: ClientStat, r: AdmissionRequest, action: AdmissionAction): void {
  stat.vhost = r.vhost.name;
  stat.app = r.app;
  stat.stream = r.stream;
  stat.name = r.name ?? r.stream;
  stat.type = r.type;
  stat.publish = action === 'publish';
}

class StreamTicket implements Ticket {
  private done = false;
  constructor(
    readonly clientId: string,
    readonly action: AdmissionAction,
    readonly hook: HookClientInfo,
    private readonly request: AdmissionRequest,
    private readonly deps: AdmissionDeps,
    private readonly log: Logger,
    private readonly ended: (ticket: StreamTicket) => void,
  ) {}

  get closed(): boolean {
    return this.done;
  }

  close(reason: string): void {
    if (this.done) return;
    this.end();
    void this.deps.hooks.notify(this.request.vhost.httpHooks, this.action === 'publish' ? 'on_unpublish' : 'on_stop', this.hook, this.log);
    this.log.info(`admission: ${this.action} of ${this.hook.streamUrl} ended: ${reason}`);
  }

  abandon(reason: string): void {
    if (this.done) return;
    this.end();
    this.log.info(`admission: ${this.action} of ${this.hook.streamUrl} abandoned: ${reason}`);
  }

  private end(): void {
    this.done = true;
    this.ended(this);
  }
}

class ConnectionClient implements ClientTicket {
  readonly stat: ClientStat;
  private ticket: StreamTicket | null = null;
  private connectChecked = false;
  /** Set once on_connect was called, so on_close follows. */
  private hookedConnect: { hook: HookClientInfo; request: AdmissionRequest } | null = null;
  private done = false;
  private listed = false;

  constructor(
    private readonly service: AdmissionService,
    private readonly deps: AdmissionDeps,
    private readonly client: AdmissionClient,
    private readonly slot: ConnectionSlot | undefined,
    listNow: boolean,
  ) {
    this.stat = newRecord(client, deps.now());
    if (listNow) this.list();
  }

  get id(): string {
    return this.client.id;
  }

  get current(): Ticket | null {
    return this.ticket;
  }

  get closed(): boolean {
    return this.done;
  }

  list(): void {
    if (this.listed || this.done) return;
    this.listed = true;
    this.deps.stats.addClient(this.stat);
  }

  describe(fields: { vhost?: string; tcUrl?: string; pageUrl?: string; swfUrl?: string }): void {
    if (fields.vhost !== undefined) this.stat.vhost = fields.vhost;
    if (fields.tcUrl !== undefined) this.stat.tcUrl = fields.tcUrl;
    if (fields.pageUrl !== undefined) this.stat.pageUrl = fields.pageUrl;
    if (fields.swfUrl !== undefined) this.stat.swfUrl = fields.swfUrl;
  }

  async admit(action: AdmissionAction, request: AdmissionRequest): Promise<Ticket> {
    this.ticket?.close(action === 'publish' ? 'republish' : 'play again');
    if (this.client.connectHooks && !this.connectChecked) await this.connectStage(request);
    await this.service.check(this.client, action, request);
    return this.grant(action, request);
  }

  /** refer.all, on_connect and the edge token traverse, once per connection (SRS's order). */
  private async connectStage(request: AdmissionRequest): Promise<void> {
    const v = request.vhost;
    checkRefer(v.refer, 'all', request.pageUrl);
    const hook = hookInfo(this.client, request, this.deps.stats);
    this.hookedConnect = { hook, request };
    await this.deps.hooks.gate(v.httpHooks, 'on_connect', hook, this.client.log);
    // Edge token_traverse (cluster): an origin must accept this client's connect first (behaviours.md §5).
    const t = request.traverse;
    if (t && this.deps.cluster) {
      await this.deps.cluster.traverse({ vhost: v, host: t.host, app: request.app, stream: request.stream, param: request.param }, t.tcUrl, t.connectArgs, this.client.log);
    }
    this.connectChecked = true;
  }

  /** The checks passed: describe the record and hand out the ticket (none when the client left meanwhile). */
  grant(action: AdmissionAction, request: AdmissionRequest): StreamTicket {
    const ticket = new StreamTicket(this.client.id, action, hookInfo(this.client, request, this.deps.stats), request, this.deps, this.client.log, (t) => {
      if (this.ticket === t) this.ticket = null;
      if (t.action === 'publish') this.stat.publish = false;
    });
    if (this.done) {
      ticket.abandon('the client left while it was being admitted');
      return ticket;
    }
    describeRecord(this.stat, request, action);
    this.list();
    this.ticket = ticket;
    return ticket;
  }

  close(reason: string, failed = false): void {
    if (this.done) return;
    this.ticket?.close(reason);
    this.done = true;
    if (this.listed) this.deps.stats.removeClient(this.stat.id, failed);
    this.slot?.release();
    const c = this.hookedConnect;
    if (c) {
      void this.deps.hooks.notify(c.request.vhost.httpHooks, 'on_close', c.hook, this.client.log, {
        send_bytes: this.client.sendBytes(),
        recv_bytes: this.client.recvBytes(),
      });
    }
  }
}

export class AdmissionService implements Admission {
  private open = 0;

  /** `deps` is read lazily, so the service can be built inside the context it reads. */
  constructor(private readonly depsOf: () => AdmissionDeps) {}

  private get deps(): AdmissionDeps {
    return this.depsOf();
  }

  get connections(): number {
    return this.open;
  }

  openConnection(proto: AdmissionProto, ip: string): ConnectionSlot | null {
    const max = this.deps.config().maxConnections;
    if (this.open >= max) {
      this.deps.log.warn(`drop ${proto} client ip=${ip}: max_connections ${max} reached`);
      return null;
    }
    this.open++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open--;
      },
    };
  }

  openClient(client: AdmissionClient, slot?: ConnectionSlot): ClientTicket {
    return new ConnectionClient(this, this.deps, client, slot, true);
  }

  async admit(o: { action: AdmissionAction; request: AdmissionRequest; client: AdmissionClient; slot?: ConnectionSlot }): Promise<ClientBoundTicket> {
    // Listed only once admitted, as HTTP viewers and HLS sessions have always been.
    const c = new ConnectionClient(this, this.deps, o.client, o.slot, false);
    let ticket: Ticket;
    try {
      ticket = await c.admit(o.action, o.request);
    } catch (err) {
      c.close('refused');
      throw err;
    }
    return {
      clientId: ticket.clientId,
      action: ticket.action,
      hook: ticket.hook,
      stat: c.stat,
      get closed() {
        return ticket.closed;
      },
      close: (reason: string) => {
        ticket.close(reason);
        c.close(reason);
      },
      abandon: (reason: string) => {
        ticket.abandon(reason);
        c.close(reason);
      },
    };
  }

  /** Security, then referer, then on_publish/on_play (every protocol's order in tsrs). */
  async check(client: AdmissionClient, action: AdmissionAction, request: AdmissionRequest): Promise<void> {
    const v = request.vhost;
    checkSecurity(v.security, action, client.ip);
    checkRefer(v.refer, action, request.pageUrl);
    await this.deps.hooks.gate(v.httpHooks, action === 'publish' ? 'on_publish' : 'on_play', hookInfo(client, request, this.deps.stats), client.log);
  }
}
