// One SRT connection of the server (issue 14): its timer, and its role once connected — a publish (TS in,
// frames to a LiveSource through the casters' TS-ingest publish path) or a play (a viewer of the stream's
// shared TS fanout).
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { TsDemuxer } from '../../kernel/format/mpegts/index.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { parseStreamId, type SrtConnection, type SrtEvent, type SrtStreamIdInfo } from '../../protocol/srt/index.js';
import type { RtmpRequest } from '../../protocol/rtmp/request.js';
import type { UdpPeer } from '../../transport/udp.js';
import { resolveVhost } from '../../config/index.js';
import { CasterPublish } from '../caster/index.js';
import type { ClientTicket, Ticket } from '../admission/index.js';
import type { ServerContext } from '../context.js';
import type { LiveSource } from '../live/live-source.js';
import { sourceOptionsOf } from '../live/source-options.js';
import type { SrtLinkStats } from '../stats/stats.js';
import type { TsFanout, TsViewer } from './ts-fanout.js';

/** Frames kept while the publish is admitted (hooks may be slow); more are dropped. */
const MAX_PENDING_FRAMES = 4096;
/** The first frames wait at most this much media for the PMT's other track (as the mpegts caster). */
const START_GATE_MS = 1500;

/** What a session needs from the service. */
export interface SrtSessionHost {
  readonly ctx: ServerContext;
  now(): number;
  sendTo(datagram: Buffer, peer: UdpPeer): void;
  localPort(): number;
  /** The connection ended: forget it. */
  ended(session: SrtSession): void;
  /** Join the shared TS fanout of a source (made and attached with its first viewer). */
  joinFanout(source: LiveSource, viewer: TsViewer): TsFanout;
  /** A viewer left a fanout (detached and dropped with its last viewer). */
  leaveFanout(source: LiveSource, fanout: TsFanout, viewer: TsViewer): void;
}

type Role =
  | { kind: 'none' }
  | { kind: 'admitting-publish'; pending: MediaFrame[] }
  | { kind: 'publish'; publish: CasterPublish; pending: MediaFrame[] | null }
  | { kind: 'admitting-play' }
  | { kind: 'play'; source: LiveSource; fanout: TsFanout; ticket: Ticket; client: ClientTicket };

export class SrtSession implements TsViewer {
  private timer: NodeJS.Timeout | undefined;
  private role: Role = { kind: 'none' };
  private demuxer = new TsDemuxer();
  private ended = false;
  recvBytes = 0;
  sendBytes = 0;
  readonly maxBacklog: number;

  constructor(
    readonly conn: SrtConnection,
    readonly peer: UdpPeer,
    private readonly host: SrtSessionHost,
    readonly log: Logger,
    private readonly defaultApp: string,
  ) {
    // Half the send buffer: beyond it the viewer cannot keep up and skips to the next keyframe.
    this.maxBacklog = Math.max(16, conn.options.sndBufPackets >> 1);
  }

  get ip(): string {
    return this.peer.address;
  }

  /** Events from the connection (datagram or timer): act on them, send what it has, re-arm the timer. */
  run(events: SrtEvent[]): void {
    for (const e of events) {
      try {
        this.onEvent(e);
      } catch (err) {
        this.log.error(`srt: ${this.ip}:${this.peer.port} ${e.type} failed: ${errorMessage(err)}`);
        this.conn.close(this.host.now());
      }
    }
    this.flush();
  }

  flush(): void {
    for (const d of this.conn.takeOutgoing()) this.host.sendTo(d, this.peer);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.ended) return;
    const t = this.conn.nextTimeout();
    if (t !== undefined) {
      this.timer = setTimeout(() => this.run(this.conn.handleTimeout(this.host.now())), Math.max(0, t - this.host.now()));
    }
  }

  send(payload: Buffer): void {
    if (this.conn.send(payload, this.host.now())) this.sendBytes += payload.length;
  }

  linkStats(): SrtLinkStats {
    const s = this.conn.stats();
    return {
      rtt_ms: Math.round(s.rttMs * 100) / 100,
      latency_ms: s.latencyMs,
      recv_lost: s.receiver.lost,
      recv_retransmitted: s.receiver.retransmitted,
      recv_dropped: s.receiver.dropped,
      send_retransmitted: s.sender.retransmitted,
      send_dropped: s.sender.dropped,
      naks_received: s.sender.naksReceived,
    };
  }

  backlog(): number {
    return this.conn.sendBuffered;
  }

  /** Close from the server side (kick, busy stream, refused, server stop). */
  close(reason: string): void {
    if (this.ended) return;
    this.log.trace(`srt: close ${this.ip}:${this.peer.port}: ${reason}`);
    this.conn.close(this.host.now());
    this.flush();
    // A local close emits `closed`; if it did not (not yet connected), end here.
    this.run(this.conn.takeEvents());
    this.end(reason);
  }

  private onEvent(e: SrtEvent): void {
    switch (e.type) {
      case 'connected':
        return this.onConnected(e.streamId, e.encrypted);
      case 'data':
        return this.onData(e.payload);
      case 'closed':
        return this.end(`srt ${e.reason}${e.error ? `: ${e.error.message}` : ''}`);
      default:
        return;
    }
  }

  private request(info: SrtStreamIdInfo): RtmpRequest {
    const vhost = info.vhost || '__defaultVhost__';
    const host = info.vhost || '127.0.0.1';
    return { tcUrl: `srt://${host}/${info.app}`, schema: 'srt', host, port: this.host.localPort(), vhost, app: info.app, stream: info.stream, param: info.param };
  }

  private onConnected(streamId: string, encrypted: boolean): void {
    let info: SrtStreamIdInfo;
    try {
      info = parseStreamId(streamId, this.defaultApp);
    } catch (err) {
      this.close(`bad stream id: ${errorMessage(err)}`);
      return;
    }
    this.log.trace(`srt: ${this.ip}:${this.peer.port} connected, ${info.mode} ${info.app}/${info.stream}${encrypted ? ' (encrypted)' : ''}, latency ${this.conn.stats().latencyMs}ms`);
    const req = this.request(info);
    if (info.mode === 'publish') this.startPublish(req);
    else void this.startPlay(req);
  }

  private startPublish(req: RtmpRequest): void {
    this.role = { kind: 'admitting-publish', pending: [] };
    CasterPublish.open(
      this.host.ctx,
      {
        type: 'srt-publish',
        proto: 'srt',
        ip: this.ip,
        localPort: this.host.localPort(),
        log: this.log,
        recvBytes: () => this.recvBytes,
        kick: (reason) => this.close(`kicked: ${reason}`),
        srt: () => this.linkStats(),
      },
      req,
    ).then(
      (publish) => {
        if (this.ended || this.role.kind !== 'admitting-publish') {
          publish.close('connection closed');
          return;
        }
        const pending = this.role.pending;
        this.role = { kind: 'publish', publish, pending };
        this.maybeStart();
      },
      (err: unknown) => {
        this.log.warn(`srt: publish ${req.app}/${req.stream} from ${this.ip} refused: ${errorMessage(err)}`);
        this.close('publish refused');
      },
    );
  }

  private onData(payload: Buffer): void {
    this.recvBytes += payload.length;
    const r = this.role;
    if (r.kind !== 'admitting-publish' && r.kind !== 'publish') return;
    let frames: MediaFrame[];
    try {
      frames = this.demuxer.push(payload);
    } catch (err) {
      this.log.warn(`srt: bad TS from ${this.ip}:${this.peer.port}: ${errorMessage(err)}`);
      return;
    }
    if (frames.length === 0) return;
    if (r.kind === 'publish' && r.pending === null) {
      for (const f of frames) r.publish.publish(f);
      return;
    }
    const pending = r.pending!;
    for (const f of frames) if (pending.length < MAX_PENDING_FRAMES) pending.push(f);
    this.maybeStart();
  }

  /**
   * Admitted: the held frames go once every elementary stream of the PMT has shown up (outputs such as
   * HLS fix their tracks at the first frames), sequence headers first, as an RTMP publisher sends them.
   */
  private maybeStart(): void {
    const r = this.role;
    if (r.kind !== 'publish' || r.pending === null || r.pending.length === 0) return;
    const pending = r.pending;
    const want = this.demuxer.streams;
    const video = want.video === null || pending.some((f) => f.kind === 'video' && f.sequenceHeader);
    const audio = want.audio === null || pending.some((f) => f.kind === 'audio');
    const ready = (video && audio) || pending.length >= MAX_PENDING_FRAMES || pending[pending.length - 1]!.dts - pending[0]!.dts >= START_GATE_MS;
    if (!ready) return;
    r.pending = null;
    for (const f of pending) if (f.sequenceHeader) r.publish.publish(f);
    for (const f of pending) if (!f.sequenceHeader) r.publish.publish(f);
  }

  private async startPlay(req: RtmpRequest): Promise<void> {
    const ctx = this.host.ctx;
    const vhost = resolveVhost(ctx.config(), req.vhost);
    if (!vhost || !vhost.enabled) {
      this.close(`no vhost ${req.vhost}`);
      return;
    }
    this.role = { kind: 'admitting-play' };
    const client = ctx.admission.openClient({
      proto: 'srt',
      id: this.log.cid,
      ip: this.ip,
      log: this.log,
      vhost: vhost.name,
      tcUrl: req.tcUrl,
      connectHooks: true,
      sendBytes: () => this.sendBytes,
      recvBytes: () => this.recvBytes,
      kick: (reason) => this.close(`kicked: ${reason}`),
    });
    client.stat.srt = () => this.linkStats();
    let ticket: Ticket;
    try {
      ticket = await client.admit('play', { vhost, app: req.app, stream: req.stream, param: req.param, tcUrl: req.tcUrl, pageUrl: '', type: 'srt-play' });
    } catch (err) {
      client.close('play refused', true);
      this.log.warn(`srt: play ${req.app}/${req.stream} for ${this.ip} refused: ${errorMessage(err)}`);
      this.close('play refused');
      return;
    }
    if (this.ended) {
      ticket.abandon('connection closed');
      client.close('connection closed');
      return;
    }
    const source = ctx.registry.obtain(vhost.name, req.app, req.stream, sourceOptionsOf(vhost));
    this.role = { kind: 'admitting-play' };
    const fanout = this.host.joinFanout(source, this);
    this.role = { kind: 'play', source, fanout, ticket, client };
  }

  /** The connection is gone: unpublish or leave the fanout, end the record. Idempotent. */
  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const r = this.role;
    this.role = { kind: 'none' };
    if (r.kind === 'publish') r.publish.close(reason);
    if (r.kind === 'play') {
      this.host.leaveFanout(r.source, r.fanout, this);
      this.host.ctx.registry.release(r.source);
      r.ticket.close(reason);
      r.client.close(reason);
    }
    this.host.ended(this);
  }
}
