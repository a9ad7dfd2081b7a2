// One publish by a caster (issue 16): the caster's client goes through the admission service like an
// RTMP publisher (security, refer, on_connect/on_publish, the client record with the caster's IP and
// type), then publishes its frames straight into the LiveSource, without looping back over RTMP.
import { ErrorCode, StreamBusyError, TsrsError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import type { RtmpRequest } from '../../protocol/rtmp/request.js';
import { resolveVhost, type VhostConfig } from '../../config/index.js';
import type { ServerContext } from '../context.js';
import type { ClientTicket, ConnectionSlot, Ticket } from '../admission/index.js';
import type { LiveSource, Publisher } from '../live/live-source.js';
import { sourceOptionsOf } from '../live/source-options.js';
import type { ClientType, SrtLinkStats } from '../stats/stats.js';

/** Who publishes: the caster's client as the record, hooks and security see it. */
export interface CasterClient {
  type: Extract<ClientType, 'mpegts-caster' | 'flv-caster' | 'srt-publish'>;
  /** Admission protocol (logs); 'caster' unless another ingest (SRT) reuses this path. */
  proto?: 'caster' | 'srt';
  /** The sender's address (the UDP datagrams' source, the HTTP client). */
  ip: string;
  /** The caster's port (publish info, as an RTMP publisher's local port). */
  localPort: number;
  log: Logger;
  recvBytes(): number;
  /** API kick: the caster drops this publish (the protocol closes it through `close`). */
  kick(reason: string): void;
  /** TS continuity-counter errors of this publish (mpegts_over_udp), shown by the API. */
  continuityErrors?(): number;
  /** Link statistics of an SRT publisher, shown by the API. */
  srt?(): SrtLinkStats;
  /** max_connections slot of a TCP caster client, freed when the publish ends. */
  slot?: ConnectionSlot;
}

export class CasterPublish {
  private closedFlag = false;

  private constructor(
    private readonly ctx: ServerContext,
    private readonly client: ClientTicket,
    private readonly ticket: Ticket,
    readonly source: LiveSource,
    private readonly publisher: Publisher,
    readonly vhost: VhostConfig,
    private readonly log: Logger,
  ) {}

  /**
   * Admit and start the publish of `req` (from the output URL). Rejects with the refusal (no vhost,
   * AuthError, HookError, StreamBusyError) after closing the client record.
   */
  static async open(ctx: ServerContext, who: CasterClient, req: RtmpRequest): Promise<CasterPublish> {
    const vhost = resolveVhost(ctx.config(), req.vhost);
    if (!vhost || !vhost.enabled) {
      who.slot?.release();
      throw new TsrsError(ErrorCode.RtmpVhostNotFound, `caster: no vhost ${req.vhost} for ${req.app}/${req.stream}`);
    }
    const log = who.log;
    // Kicks land here through the record; once the publish exists they end it.
    let self: CasterPublish | null = null;
    let kickedEarly = '';
    const client = ctx.admission.openClient(
      {
        proto: who.proto ?? 'caster',
        id: log.cid,
        ip: who.ip,
        log,
        vhost: vhost.name,
        tcUrl: req.tcUrl,
        // SRS's casters publish through an RTMP client, which fires on_connect/on_close too.
        connectHooks: true,
        sendBytes: () => 0,
        recvBytes: () => who.recvBytes(),
        kick: (reason) => {
          if (self) who.kick(reason);
          else kickedEarly = reason;
        },
      },
      who.slot,
    );
    if (who.continuityErrors) client.stat.continuityErrors = who.continuityErrors;
    if (who.srt) client.stat.srt = who.srt;
    let ticket: Ticket;
    try {
      ticket = await client.admit('publish', { vhost, app: req.app, stream: req.stream, param: req.param, tcUrl: req.tcUrl, pageUrl: '', type: who.type });
    } catch (err) {
      client.close('publish refused', true);
      throw err;
    }
    if (kickedEarly) {
      ticket.abandon(kickedEarly);
      client.close(kickedEarly);
      throw new TsrsError(ErrorCode.RtmpClientClosed, `caster: kicked while admitted: ${kickedEarly}`);
    }
    const source = ctx.registry.obtain(vhost.name, req.app, req.stream, sourceOptionsOf(vhost));
    const publisher: Publisher = { id: log.cid, kick: (reason) => who.kick(reason) };
    try {
      source.startPublish(publisher, { ip: who.ip, tcUrl: req.tcUrl, param: req.param, pageUrl: '', swfUrl: '', port: who.localPort });
    } catch (err) {
      // Busy after on_publish: refused without on_unpublish, as for RTMP (behaviours.md §2).
      ticket.abandon(errorMessage(err));
      client.close('stream busy', true);
      ctx.registry.release(source);
      if (err instanceof StreamBusyError) throw err;
      throw new TsrsError(ErrorCode.StreamBusy, `caster: cannot publish ${source.key}`, { cause: err });
    }
    source.publishStartedAt = ctx.now();
    self = new CasterPublish(ctx, client, ticket, source, publisher, vhost, log);
    log.trace(`caster: ${who.type} publish ${source.key} from ${who.ip}`);
    return self;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  publish(frame: MediaFrame): void {
    if (!this.closedFlag) this.source.publish(frame);
  }

  /** Unpublish (on_unpublish), end the record (on_close). Idempotent. */
  close(reason: string): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.source.stopPublish(this.publisher);
    this.ctx.registry.release(this.source);
    this.log.trace(`caster: unpublish ${this.source.key} (${reason})`);
    this.ticket.close(reason);
    this.client.close(reason);
  }
}
