// One RTMP client connection: wires the sans-I/O session to the socket, the source hub and stats.
import { ErrorCode, ProtocolError, TsrsError, errorMessage, StreamBusyError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { SERVER_SIGNATURE, SRS_COMPAT_VERSION, SRS_COMPAT_VERSION_STRING, TSRS_VERSION } from '../../core/version.js';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { StatusCode } from '../../protocol/rtmp/commands.js';
import { MessageType } from '../../protocol/rtmp/message.js';
import { discoverRequest, type RtmpRequest } from '../../protocol/rtmp/request.js';
import { RtmpServerSession, type ConnectInfo, type ServerSessionEvent } from '../../protocol/rtmp/server-session.js';
import type { TcpConnection } from '../../transport/tcp.js';
import { resolveVhost, type VhostConfig } from '../../config/index.js';
import type { ServerContext } from '../context.js';
import { streamKey, type LiveSource, type Publisher } from '../live/live-source.js';
import type { HookClientInfo } from '../hooks/http-hooks.js';
import { checkRefer, checkSecurity } from '../security/access.js';
import type { ClientStat, ClientType } from '../stats/stats.js';
import { RelayPlaySink, RtmpPlaySink } from './rtmp-play-sink.js';
import { sourceOptionsOf, viewerOptionsOf } from '../live/source-options.js';
import type { ClusterRequest } from '../live/cluster-hooks.js';
import type { Amf0Value } from '../../kernel/format/amf0.js';

/** SRS's atc_auto marker in onMetaData. */
function hasBravoAtc(values: Amf0Value[]): boolean {
  const meta = values[1];
  if (!meta || typeof meta !== 'object' || meta instanceof Date || Array.isArray(meta)) return false;
  const props = 'entries' in meta && typeof meta.entries === 'object' ? (meta.entries as Record<string, Amf0Value>) : (meta as Record<string, Amf0Value>);
  return props.bravo_atc === 'true' || props.bravo_atc === true;
}

/** A connection that neither publishes nor plays within this time is dropped (SRS: 30 s recv timeout). */
const IDLE_SETUP_TIMEOUT_MS = 30_000;
const WINDOW_ACK_SIZE = 2_500_000;
const PEER_BANDWIDTH = 2_500_000;

/**
 * A connection on a worker's private relay listener (worker mesh): another worker of the same server
 * pulling a stream this worker owns. It may only play, and only when `admits` accepts the play's query
 * (the mesh token); security, refer, HTTP hooks and max_connections do not apply, and it is no client in
 * the stats (viewers are counted in the worker they connected to).
 */
export interface RelayMode {
  /** Whether the play's query (with its leading `?`) carries the right secret. */
  admits(param: string): boolean;
}

type Role =
  | { kind: 'none' }
  | { kind: 'publish'; source: LiveSource; streamId: number; publisher: Publisher; hook: HookClientInfo }
  | { kind: 'play'; source: LiveSource; streamId: number; sink: RtmpPlaySink; hook: HookClientInfo };

export class RtmpConnection {
  private readonly session: RtmpServerSession;
  private connectInfo: ConnectInfo | null = null;
  private vhost: VhostConfig | null = null;
  private role: Role = { kind: 'none' };
  private closed = false;
  private setupTimer: NodeJS.Timeout | null;
  private publishTimer: NodeJS.Timeout | null = null;
  private lastPacketAtMs = 0;
  private gotFirstPacket = false;
  readonly stat: ClientStat;

  constructor(
    private readonly conn: TcpConnection,
    private readonly ctx: ServerContext,
    readonly log: Logger,
    private readonly relay?: RelayMode,
  ) {
    this.session = new RtmpServerSession({ random: ctx.random, nowMs: ctx.now });
    const self = this;
    this.stat = {
      id: log.cid,
      vhost: '',
      app: '',
      stream: '',
      name: '',
      ip: conn.remoteAddress,
      pageUrl: '',
      swfUrl: '',
      tcUrl: '',
      type: '',
      publish: false,
      createdAtMs: ctx.now(),
      sendBytes: () => conn.bytesOut,
      recvBytes: () => conn.bytesIn,
      kick: (reason: string) => self.close(`kicked: ${reason}`),
      droppedFrames: () => (self.role.kind === 'play' ? self.role.sink.droppedFrames : 0),
    };
    if (!relay) ctx.stats.addClient(this.stat);
    this.setupTimer = setTimeout(() => this.close('timeout waiting for publish or play'), IDLE_SETUP_TIMEOUT_MS);
    conn.attach({
      onData: (bytes) => this.onData(bytes),
      onClose: (reason) => this.cleanup(reason),
      onDrain: () => {
        if (this.role.kind === 'play') this.role.sink.onDrain();
      },
    });
  }

  private onData(bytes: Buffer): void {
    let events: ServerSessionEvent[];
    try {
      events = this.session.receive(bytes);
    } catch (err) {
      this.flushSession();
      this.fail(err);
      return;
    }
    if (this.gate) {
      // A callback is deciding on publish/play: later events wait their turn, in order.
      for (const ev of events) this.backlog.push(ev);
      return;
    }
    this.process(events, 0);
  }

  /** Events of the connection, in order; an async step (HTTP callback) parks the rest until it is done. */
  private backlog: ServerSessionEvent[] = [];
  private gate: Promise<void> | null = null;

  private process(events: ServerSessionEvent[], from: number): void {
    for (let i = from; i < events.length; i++) {
      if (this.closed) return;
      let r: void | Promise<void>;
      try {
        r = this.onEvent(events[i]!);
      } catch (err) {
        this.flushSession();
        this.fail(err);
        return;
      }
      if (r instanceof Promise) {
        this.flushSession();
        this.backlog = events.slice(i + 1);
        this.conn.pause();
        this.gate = r.then(
          () => {
            this.gate = null;
            this.flushSession();
            if (this.closed) return;
            this.conn.resume();
            const rest = this.backlog;
            this.backlog = [];
            this.process(rest, 0);
          },
          (err) => {
            this.gate = null;
            this.flushSession();
            this.fail(err);
          },
        );
        return;
      }
    }
    this.flushSession();
  }

  /** Control replies go out right after the events that caused them, before any media flush. */
  private flushSession(): void {
    if (this.session.hasOutput) this.conn.write(this.session.takeOutput());
  }

  private fail(err: unknown): void {
    const msg = errorMessage(err);
    if (err instanceof ProtocolError || err instanceof TsrsError) this.log.warn(`rtmp: ${msg}`);
    else this.log.error(`rtmp: unexpected ${err instanceof Error ? (err.stack ?? msg) : msg}`);
    this.close(msg, true);
  }

  private onEvent(ev: ServerSessionEvent): void | Promise<void> {
    switch (ev.type) {
      case 'handshake':
        this.log.info(`rtmp: ${ev.complex ? 'complex' : 'simple'} handshake done`);
        return;
      case 'connect':
        return this.onConnect(ev.info);
      case 'publish':
        return this.onPublish(ev.streamId, ev.streamName, ev.fmle);
      case 'play':
        return this.onPlay(ev.streamId, ev.streamName);
      case 'media':
        return this.onMedia(ev.typeId, ev.timestamp, ev.payload);
      case 'metadata':
        if (this.role.kind !== 'publish') return;
        this.touch();
        this.role.source.bravoAtc = hasBravoAtc(ev.values);
        this.role.source.publish(dataFrame(ev.payload, ev.timestamp));
        return;
      case 'pause':
        if (this.role.kind === 'play') {
          this.role.sink.setPaused(ev.paused);
          if (!ev.paused) this.role.source.catchUp(this.role.sink, true);
          this.log.trace(`rtmp: ${ev.paused ? 'pause' : 'unpause'} at ${ev.positionMs}ms`);
        }
        return;
      case 'unpublish':
      case 'close-stream':
        return this.stopRole(ev.type === 'unpublish' ? 'FCUnpublish' : 'closeStream');
      case 'call':
        this.log.info(`rtmp: ignore call ${ev.command.name}`);
        return;
    }
  }

  private onConnect(info: ConnectInfo): void {
    if (this.connectInfo) throw new ProtocolError(ErrorCode.RtmpMessageDecode, 'connect sent twice');
    this.connectInfo = info;
    const req = discoverRequest(info.tcUrl, '');
    const vhost = resolveVhost(this.ctx.config(), req.vhost);
    this.stat.tcUrl = info.tcUrl;
    this.stat.pageUrl = info.pageUrl;
    this.stat.swfUrl = info.swfUrl;
    this.log.trace(
      `RTMP client ip=${this.conn.remoteAddress}:${this.conn.remotePort}, connect tcUrl=${info.tcUrl}, pageUrl=${info.pageUrl}, swfUrl=${info.swfUrl}, vhost=${req.vhost}, app=${req.app}`,
    );
    if (!vhost || !vhost.enabled) {
      this.session.rejectConnect(`vhost ${req.vhost} not found or disabled`);
      this.flushSession();
      throw new TsrsError(ErrorCode.RtmpVhostNotFound, `no vhost ${req.vhost}`);
    }
    this.vhost = vhost;
    this.stat.vhost = vhost.name;
    if (vhost.tcpNodelay) this.conn.setNoDelay(true);
    this.session.acceptConnect({
      chunkSize: vhost.chunkSize,
      windowAckSize: vhost.outAckSize || WINDOW_ACK_SIZE,
      peerBandwidth: PEER_BANDWIDTH,
      serverInfo: {
        version: SRS_COMPAT_VERSION_STRING,
        srs_sig: 'SRS',
        srs_server: SERVER_SIGNATURE,
        srs_license: 'MIT',
        srs_url: 'https://github.com/ossrs/srs',
        srs_version: `${SRS_COMPAT_VERSION.major}.${SRS_COMPAT_VERSION.minor}.${SRS_COMPAT_VERSION.revision}`,
        srs_authors: 'tsrs developers',
        srs_server_ip: this.conn.socket.localAddress ?? '',
        srs_pid: process.pid,
        srs_id: this.log.cid,
        tsrs_version: TSRS_VERSION,
      },
    });
  }

  private request(streamName: string): RtmpRequest {
    if (!this.connectInfo || !this.vhost) throw new ProtocolError(ErrorCode.RtmpNoRequest, 'publish/play before connect');
    const req = discoverRequest(this.connectInfo.tcUrl, streamName);
    if (!req.stream) throw new TsrsError(ErrorCode.RtmpStreamNameEmpty, 'empty stream name');
    // The stream name may carry ?vhost=, so the vhost is resolved again like SRS's stream_service_cycle.
    const vhost = resolveVhost(this.ctx.config(), req.vhost);
    if (!vhost || !vhost.enabled) throw new TsrsError(ErrorCode.RtmpVhostNotFound, `no vhost ${req.vhost}`);
    this.vhost = vhost;
    this.stat.vhost = vhost.name;
    return req;
  }

  private sourceFor(req: RtmpRequest): LiveSource {
    const v = this.vhost!;
    return this.ctx.registry.obtain(v.name, req.app, req.stream, sourceOptionsOf(v));
  }

  private clusterRequest(req: RtmpRequest): ClusterRequest {
    return { vhost: this.vhost!, host: req.host, app: req.app, stream: req.stream, param: req.param };
  }

  private describe(req: RtmpRequest, type: ClientType): void {
    Object.assign(this.stat, { app: req.app, stream: req.stream, name: req.stream, type, publish: type.endsWith('publish') });
  }

  /** What hooks are told about this client for a request. */
  private hookInfo(req: RtmpRequest, source?: LiveSource): HookClientInfo {
    const key = source?.key ?? streamKey(this.vhost?.name ?? req.vhost, req.app, req.stream);
    return {
      clientId: this.log.cid,
      ip: this.conn.remoteAddress,
      vhost: this.vhost?.name ?? req.vhost,
      app: req.app,
      stream: req.stream,
      param: req.param,
      tcUrl: this.connectInfo?.tcUrl ?? '',
      pageUrl: this.connectInfo?.pageUrl ?? '',
      streamUrl: key,
      streamId: this.ctx.stats.streamId(key),
    };
  }

  /** refer.all and on_connect, once per connection, before its first publish or play (SRS's order). */
  private async connectGate(req: RtmpRequest): Promise<void> {
    if (this.connectChecked) return;
    const v = this.vhost!;
    checkRefer(v.refer, 'all', this.connectInfo?.pageUrl ?? '');
    this.hookedConnect = this.hookInfo(req);
    await this.ctx.hooks.gate(v.httpHooks, 'on_connect', this.hookedConnect, this.log);
    // Edge token_traverse (cluster): an origin must accept this client's connect first (behaviours.md §5).
    if (this.ctx.cluster) await this.ctx.cluster.traverse(this.clusterRequest(req), this.connectInfo?.tcUrl ?? '', this.connectInfo?.args ?? null, this.log);
    this.connectChecked = true;
  }

  private connectChecked = false;
  /** Set once on_connect was called, so on_close follows. */
  private hookedConnect: HookClientInfo | null = null;

  private async onPublish(streamId: number, streamName: string, fmle: boolean): Promise<void> {
    if (this.role.kind !== 'none') this.stopRole('republish');
    if (this.relay) {
      this.session.rejectPublish(streamId, StatusCode.PublishDenied, 'publish denied: the mesh relay port only serves relay plays');
      throw new TsrsError(ErrorCode.RtmpAccessDenied, `mesh: refused a publish on the relay port from ${this.conn.remoteAddress}:${this.conn.remotePort}`);
    }
    const req = this.request(streamName);
    const v = this.vhost!;
    try {
      await this.connectGate(req);
      checkSecurity(v.security, 'publish', this.conn.remoteAddress);
      checkRefer(v.refer, 'publish', this.connectInfo?.pageUrl ?? '');
      await this.ctx.hooks.gate(v.httpHooks, 'on_publish', this.hookInfo(req), this.log);
    } catch (err) {
      this.session.rejectPublish(streamId, StatusCode.PublishDenied, `publish denied: ${errorMessage(err)}`);
      throw err;
    }
    if (this.closed) return;
    const source = this.sourceFor(req);
    const publisher: Publisher = { id: this.log.cid, kick: (reason) => this.close(`publisher kicked: ${reason}`) };
    try {
      source.startPublish(publisher, {
        ip: this.conn.remoteAddress,
        tcUrl: this.connectInfo?.tcUrl ?? '',
        param: req.param,
        pageUrl: this.connectInfo?.pageUrl ?? '',
        swfUrl: this.connectInfo?.swfUrl ?? '',
        port: this.conn.localPort,
      });
    } catch (err) {
      if (err instanceof StreamBusyError) {
        this.session.rejectPublish(streamId, StatusCode.PublishBadName, `Stream ${source.key} is busy`);
        this.flushSession();
        this.ctx.registry.release(source);
      }
      throw err;
    }
    this.describe(req, fmle ? 'fmle-publish' : 'flash-publish');
    source.publishStartedAt = this.ctx.now();
    this.role = { kind: 'publish', source, streamId, publisher, hook: this.hookInfo(req, source) };
    this.clearSetupTimer();
    this.session.acceptPublish(streamId, fmle);
    this.log.trace(`RTMP ${fmle ? 'FMLE' : 'flash'} publish ${source.key}${req.param ? ` param=${req.param}` : ''}`);
    this.startPublishTimeouts();
  }

  private startPublishTimeouts(): void {
    const v = this.vhost!;
    this.lastPacketAtMs = this.ctx.now();
    this.gotFirstPacket = false;
    const check = Math.min(1000, Math.max(100, Math.floor(Math.min(v.publish.firstPktTimeoutMs, v.publish.normalTimeoutMs) / 4)));
    this.publishTimer = setInterval(() => {
      const limit = this.gotFirstPacket ? v.publish.normalTimeoutMs : v.publish.firstPktTimeoutMs;
      const idle = this.ctx.now() - this.lastPacketAtMs;
      if (idle > limit) {
        this.log.warn(`publish timeout: no packet for ${idle}ms (limit ${limit}ms, ${this.gotFirstPacket ? 'normal' : 'first packet'})`);
        this.close('publish timeout', true);
      }
    }, check);
    this.publishTimer.unref();
  }

  private touch(): void {
    this.lastPacketAtMs = this.ctx.now();
    this.gotFirstPacket = true;
  }

  private onMedia(typeId: number, timestamp: number, payload: Buffer): void {
    if (this.role.kind !== 'publish') return; // players may send nothing but control
    this.touch();
    let frame: MediaFrame | null;
    if (typeId === MessageType.Video) frame = videoFrameFromFlv(payload, timestamp);
    else if (typeId === MessageType.Audio) frame = audioFrameFromFlv(payload, timestamp);
    else frame = dataFrame(payload, timestamp);
    if (frame) this.role.source.publish(frame);
  }

  private async onPlay(streamId: number, streamName: string): Promise<void> {
    if (this.role.kind !== 'none') this.stopRole('play again');
    const req = this.request(streamName);
    const v = this.vhost!;
    if (this.relay) return this.onRelayPlay(streamId, req);
    try {
      await this.connectGate(req);
      checkSecurity(v.security, 'play', this.conn.remoteAddress);
      checkRefer(v.refer, 'play', this.connectInfo?.pageUrl ?? '');
      await this.ctx.hooks.gate(v.httpHooks, 'on_play', this.hookInfo(req), this.log);
    } catch (err) {
      this.session.rejectPlay(streamId, StatusCode.PlayFailed, `play denied: ${errorMessage(err)}`);
      throw err;
    }
    if (this.closed) return;
    // Origin cluster (behaviours.md §6): a stream not published here is sent to the coworker that has it.
    if (this.ctx.cluster && !this.ctx.registry.get(v.name, req.app, req.stream)?.isPublishing) {
      const url = await this.ctx.cluster.locate(this.clusterRequest(req), this.log);
      if (this.closed) return;
      if (url) {
        this.session.redirect(url.slice(0, url.replace(/[?#].*$/, '').lastIndexOf('/')), url);
        this.flushSession();
        this.close(`RTMP 302 to ${url}`);
        return;
      }
    }
    const source = this.sourceFor(req);
    const sink = new RtmpPlaySink(
      this.log.cid,
      this.conn,
      this.session.encoder,
      streamId,
      viewerOptionsOf(v, source),
      this.log,
      {
        hopeless: (reason: string) => this.close(reason, true),
        publishNotify: () => {
          this.session.status(streamId, 'status', StatusCode.PlayPublishNotify, `${req.stream} is now published.`);
          this.flushSession();
        },
        unpublishNotify: () => {
          this.session.status(streamId, 'status', StatusCode.PlayUnpublishNotify, `${req.stream} is now unpublished.`);
          this.flushSession();
        },
      },
      () => this.session.hasOutput,
    );
    this.describe(req, 'rtmp-play');
    this.role = { kind: 'play', source, streamId, sink, hook: this.hookInfo(req, source) };
    this.clearSetupTimer();
    this.session.acceptPlay(streamId, req.stream);
    this.flushSession();
    this.log.trace(`RTMP play ${source.key}${source.isPublishing ? `, source_id=${source.sourceId}` : ', waiting for the publisher'}`);
    source.addSink(sink, { param: req.param });
  }

  /** A worker-mesh relay pull (RelayMode): the token decides, no hook or access rule applies. */
  private onRelayPlay(streamId: number, req: RtmpRequest): void {
    if (!this.relay!.admits(req.param)) {
      this.session.rejectPlay(streamId, StatusCode.PlayFailed, 'play denied: not a mesh relay');
      throw new TsrsError(
        ErrorCode.RtmpAccessDenied,
        `mesh: refused a play of ${streamKey(this.vhost!.name, req.app, req.stream)} on the relay port from ${this.conn.remoteAddress}:${this.conn.remotePort}: missing or wrong mesh token`,
      );
    }
    const v = this.vhost!;
    const source = this.sourceFor(req);
    // The relaying worker corrects jitter for its own viewers: the relay keeps the publisher's timestamps.
    // It also merges writes for them, so the relay itself sends every frame at once (mw_latency 0, no
    // Nagle): one connection per other worker, and without it their viewers would wait two merge intervals.
    this.conn.setNoDelay(true);
    const relayOptions = { ...viewerOptionsOf(v, source), jitter: 'off' as const, mwLatencyMs: 0 };
    const sink = new RelayPlaySink(this.log.cid, this.conn, this.session.encoder, streamId, relayOptions, this.log, {
      hopeless: (reason: string) => this.close(reason, true),
      publishNotify: () => undefined,
      unpublishNotify: () => undefined,
    }, () => this.session.hasOutput);
    this.describe(req, 'rtmp-play');
    this.role = { kind: 'play', source, streamId, sink, hook: this.hookInfo(req, source) };
    this.clearSetupTimer();
    this.session.acceptPlay(streamId, req.stream);
    this.flushSession();
    this.log.trace(`mesh: relay play ${source.key} from ${this.conn.remoteAddress}:${this.conn.remotePort}${source.isPublishing ? `, source_id=${source.sourceId}` : ', waiting for the publisher'}`);
    source.addSink(sink);
  }

  private stopRole(why: string): void {
    const role = this.role;
    this.role = { kind: 'none' };
    if (role.kind === 'publish') {
      if (this.publishTimer) clearInterval(this.publishTimer);
      this.publishTimer = null;
      role.source.stopPublish(role.publisher);
      this.ctx.registry.release(role.source);
      this.log.trace(`RTMP unpublish ${role.source.key} (${why})`);
      void this.ctx.hooks.notify(this.vhost!.httpHooks, 'on_unpublish', role.hook, this.log);
    } else if (role.kind === 'play') {
      role.sink.close();
      role.source.removeSink(role.sink);
      this.ctx.registry.release(role.source);
      this.log.trace(`${this.relay ? 'mesh: stop relay play' : 'RTMP stop play'} ${role.source.key} (${why})`);
      if (!this.relay) void this.ctx.hooks.notify(this.vhost!.httpHooks, 'on_stop', role.hook, this.log);
    }
    this.stat.publish = false;
  }

  private clearSetupTimer(): void {
    if (this.setupTimer) clearTimeout(this.setupTimer);
    this.setupTimer = null;
  }

  close(reason: string, hard = false): void {
    if (this.closed) return;
    this.conn.close(reason, hard);
    this.cleanup(reason);
  }

  private cleanup(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.clearSetupTimer();
    this.stopRole(reason);
    this.session.close();
    if (!this.relay) {
      this.ctx.stats.removeClient(this.stat.id);
      this.ctx.connections--;
    }
    if (this.hookedConnect && this.vhost) {
      void this.ctx.hooks.notify(this.vhost.httpHooks, 'on_close', this.hookedConnect, this.log, {
        send_bytes: this.conn.bytesOut,
        recv_bytes: this.conn.bytesIn,
      });
    }
    this.log.trace(`RTMP client closed: ${reason}, recv=${this.conn.bytesIn}B send=${this.conn.bytesOut}B`);
  }
}
