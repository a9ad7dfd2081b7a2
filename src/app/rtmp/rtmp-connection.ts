// One RTMP client connection as a state machine (issue 12 point 6): bytes and time in, replies and
// decisions out. No socket and no timer here: the transport (RtmpLink), the clock, the admission service
// and the play sinks are injected, so every path runs in unit tests; rtmp-socket.ts wires it to TCP.
import { ErrorCode, ProtocolError, TsrsError, errorMessage, StreamBusyError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { SERVER_SIGNATURE, SRS_COMPAT_VERSION, SRS_COMPAT_VERSION_STRING, TSRS_VERSION } from '../../core/version.js';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import type { Amf0Value } from '../../kernel/format/amf0.js';
import type { ChunkEncoder } from '../../protocol/rtmp/chunk-encoder.js';
import { StatusCode } from '../../protocol/rtmp/commands.js';
import { MessageType } from '../../protocol/rtmp/message.js';
import { discoverRequest, type RtmpRequest } from '../../protocol/rtmp/request.js';
import { RtmpServerSession, type ConnectInfo, type ServerSessionEvent } from '../../protocol/rtmp/server-session.js';
import { resolveVhost, type SrsConfig, type VhostConfig } from '../../config/index.js';
import type { Admission, AdmissionRequest, ClientTicket, ConnectionSlot, Ticket } from '../admission/index.js';
import type { ClusterHooks } from '../live/cluster-hooks.js';
import { streamKey, type LiveSource, type Publisher, type SourceRegistry } from '../live/live-source.js';
import type { QueuedSinkOptions, ViewerEvents } from '../live/queued-sink.js';
import type { Sink } from '../live/sink.js';
import { sourceOptionsOf, viewerOptionsOf } from '../live/source-options.js';
import type { ClientType } from '../stats/stats.js';

/** SRS's atc_auto marker in onMetaData. */
function hasBravoAtc(values: Amf0Value[]): boolean {
  const meta = values[1];
  if (!meta || typeof meta !== 'object' || meta instanceof Date || Array.isArray(meta)) return false;
  const props = 'entries' in meta && typeof meta.entries === 'object' ? (meta.entries as Record<string, Amf0Value>) : (meta as Record<string, Amf0Value>);
  return props.bravo_atc === 'true' || props.bravo_atc === true;
}

/** A connection that neither publishes nor plays within this time is dropped (SRS: 30 s recv timeout). */
export const IDLE_SETUP_TIMEOUT_MS = 30_000;
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

/** What the connection needs of its transport (a TCP socket in production, a fake in tests). */
export interface RtmpLink {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  write(buffers: Buffer[]): void;
  /** Close the transport; the connection has cleaned up already. */
  close(reason: string, hard: boolean): void;
  /** Stop/restart reading (while a callback decides on a publish or play). */
  pause(): void;
  resume(): void;
  setNoDelay(on: boolean): void;
  /** Arm the one timer of the connection at `atMs` (the injected clock's ms), or disarm it (null). */
  armTimer(atMs: number | null): void;
}

/** A player's sink as the connection drives it (RtmpPlaySink in production). */
export interface RtmpPlayerSink extends Sink {
  readonly droppedFrames: number;
  setPaused(paused: boolean): void;
  onDrain(): void;
  close(): void;
}

export interface PlaySinkSpec {
  /** `relay`: a worker-mesh relay pull (no viewer, no demand). */
  kind: 'viewer' | 'relay';
  id: string;
  encoder: ChunkEncoder;
  streamId: number;
  options: QueuedSinkOptions;
  log: Logger;
  events: ViewerEvents;
  /** Whether the session still holds encoded control messages not yet written. */
  sessionHasOutput: () => boolean;
}

export interface RtmpConnectionDeps {
  link: RtmpLink;
  log: Logger;
  /** The clock (ms) for work that resumes after a callback; `receive`/`checkTimeout` take `now`. */
  now(): number;
  random(n: number): Buffer;
  config(): SrsConfig;
  registry: SourceRegistry;
  admission: Admission;
  /** This connection's max_connections slot (freed by the client ticket at close). */
  slot?: ConnectionSlot;
  cluster?: Pick<ClusterHooks, 'locate' | 'traverse'>;
  /** Set on the worker-mesh relay port: no admission, only token-checked plays. */
  relay?: RelayMode;
  playSink(spec: PlaySinkSpec): RtmpPlayerSink;
}

type Role =
  | { kind: 'none' }
  | { kind: 'publish'; source: LiveSource; streamId: number; publisher: Publisher; ticket: Ticket }
  | { kind: 'play'; source: LiveSource; streamId: number; sink: RtmpPlayerSink; ticket: Ticket | null };

export class RtmpConnection {
  private readonly session: RtmpServerSession;
  private readonly link: RtmpLink;
  readonly log: Logger;
  private connectInfo: ConnectInfo | null = null;
  private vhost: VhostConfig | null = null;
  private role: Role = { kind: 'none' };
  private closedFlag = false;
  /** The admission's client (record, on_connect/on_close, max_connections slot); null on the relay port. */
  readonly client: ClientTicket | null;
  /** Events of the connection, in order; an async step (HTTP callback) parks the rest until it is done. */
  private backlog: ServerSessionEvent[] = [];
  private gate: Promise<void> | null = null;
  private armedAt: number | null = null;

  constructor(private readonly deps: RtmpConnectionDeps) {
    this.link = deps.link;
    this.log = deps.log;
    this.session = new RtmpServerSession({ random: deps.random, openedAtMs: deps.now(), setupTimeoutMs: IDLE_SETUP_TIMEOUT_MS });
    const link = deps.link;
    this.client = deps.relay
      ? null
      : deps.admission.openClient(
          {
            proto: 'rtmp',
            id: deps.log.cid,
            ip: link.remoteAddress,
            log: deps.log,
            connectHooks: true,
            sendBytes: () => link.bytesOut,
            recvBytes: () => link.bytesIn,
            kick: (reason) => this.close(`kicked: ${reason}`),
            droppedFrames: () => (this.role.kind === 'play' ? this.role.sink.droppedFrames : 0),
          },
          deps.slot,
        );
    this.armTimer();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Bytes from the peer at time `now`. */
  receive(bytes: Buffer, now: number): void {
    if (this.closedFlag) return;
    let events: ServerSessionEvent[];
    try {
      events = this.session.receive(bytes, now);
    } catch (err) {
      this.flushSession();
      this.fail(err);
      return;
    }
    if (this.gate) {
      // A callback is deciding on publish/play: later events wait their turn, in order.
      for (const ev of events) this.backlog.push(ev);
      this.flushSession();
      this.armTimer();
      return;
    }
    this.process(events, 0);
  }

  /** The time (ms) the transport should call `checkTimeout` at, or null. */
  nextTimeout(): number | null {
    return this.closedFlag ? null : this.session.nextTimeout();
  }

  /** The armed timer fired (or any time): a passed deadline closes the connection. */
  checkTimeout(now: number): void {
    if (this.closedFlag) return;
    for (const ev of this.session.checkTimeout(now)) {
      if (ev.type !== 'timeout') continue;
      if (ev.what === 'setup') {
        this.close('timeout waiting for publish or play');
      } else {
        this.log.warn(`publish timeout: no packet for ${ev.idleMs}ms (limit ${ev.limitMs}ms, ${ev.what === 'normal' ? 'normal' : 'first packet'})`);
        this.close('publish timeout', true);
      }
      return;
    }
    this.armTimer();
  }

  /** The transport drained its write queue. */
  onDrain(): void {
    if (this.role.kind === 'play') this.role.sink.onDrain();
  }

  private armTimer(): void {
    const at = this.nextTimeout();
    if (at === this.armedAt) return;
    this.armedAt = at;
    this.link.armTimer(at);
  }

  private process(events: ServerSessionEvent[], from: number): void {
    for (let i = from; i < events.length; i++) {
      if (this.closedFlag) return;
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
        this.link.pause();
        this.gate = r.then(
          () => {
            this.gate = null;
            this.flushSession();
            if (this.closedFlag) return;
            this.link.resume();
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
        this.armTimer();
        return;
      }
    }
    this.flushSession();
    this.armTimer();
  }

  /** Control replies go out right after the events that caused them, before any media flush. */
  private flushSession(): void {
    if (this.session.hasOutput && !this.closedFlag) this.link.write(this.session.takeOutput());
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
      case 'timeout':
        return; // only from checkTimeout, handled there
    }
  }

  private onConnect(info: ConnectInfo): void {
    if (this.connectInfo) throw new ProtocolError(ErrorCode.RtmpMessageDecode, 'connect sent twice');
    this.connectInfo = info;
    const req = discoverRequest(info.tcUrl, '');
    const vhost = resolveVhost(this.deps.config(), req.vhost);
    this.client?.describe({ tcUrl: info.tcUrl, pageUrl: info.pageUrl, swfUrl: info.swfUrl });
    this.log.trace(
      `RTMP client ip=${this.link.remoteAddress}:${this.link.remotePort}, connect tcUrl=${info.tcUrl}, pageUrl=${info.pageUrl}, swfUrl=${info.swfUrl}, vhost=${req.vhost}, app=${req.app}`,
    );
    if (!vhost || !vhost.enabled) {
      this.session.rejectConnect(`vhost ${req.vhost} not found or disabled`);
      this.flushSession();
      throw new TsrsError(ErrorCode.RtmpVhostNotFound, `no vhost ${req.vhost}`);
    }
    this.vhost = vhost;
    this.client?.describe({ vhost: vhost.name });
    if (vhost.tcpNodelay) this.link.setNoDelay(true);
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
        srs_server_ip: this.link.localAddress,
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
    const vhost = resolveVhost(this.deps.config(), req.vhost);
    if (!vhost || !vhost.enabled) throw new TsrsError(ErrorCode.RtmpVhostNotFound, `no vhost ${req.vhost}`);
    this.vhost = vhost;
    this.client?.describe({ vhost: vhost.name });
    return req;
  }

  /** The request as the admission service takes it. */
  private admissionRequest(req: RtmpRequest, type: ClientType): AdmissionRequest {
    const info = this.connectInfo!;
    return {
      vhost: this.vhost!,
      app: req.app,
      stream: req.stream,
      param: req.param,
      tcUrl: info.tcUrl,
      pageUrl: info.pageUrl,
      type,
      traverse: { host: req.host, tcUrl: info.tcUrl, connectArgs: info.args },
    };
  }

  private sourceFor(req: RtmpRequest): LiveSource {
    const v = this.vhost!;
    return this.deps.registry.obtain(v.name, req.app, req.stream, sourceOptionsOf(v));
  }

  private async onPublish(streamId: number, streamName: string, fmle: boolean): Promise<void> {
    if (this.role.kind !== 'none') this.stopRole('republish');
    if (this.deps.relay || !this.client) {
      this.session.rejectPublish(streamId, StatusCode.PublishDenied, 'publish denied: the mesh relay port only serves relay plays');
      throw new TsrsError(ErrorCode.RtmpAccessDenied, `mesh: refused a publish on the relay port from ${this.link.remoteAddress}:${this.link.remotePort}`);
    }
    const req = this.request(streamName);
    let ticket: Ticket;
    try {
      ticket = await this.client.admit('publish', this.admissionRequest(req, fmle ? 'fmle-publish' : 'flash-publish'));
    } catch (err) {
      this.session.rejectPublish(streamId, StatusCode.PublishDenied, `publish denied: ${errorMessage(err)}`);
      throw err;
    }
    if (this.closedFlag) {
      ticket.abandon('connection closed');
      return;
    }
    const source = this.sourceFor(req);
    // RTMP has no way to ask its publisher for a keyframe: the encoder's GOP decides.
    const publisher: Publisher = { id: this.log.cid, kick: (reason) => this.close(`publisher kicked: ${reason}`) };
    try {
      source.startPublish(publisher, {
        ip: this.link.remoteAddress,
        tcUrl: this.connectInfo?.tcUrl ?? '',
        param: req.param,
        pageUrl: this.connectInfo?.pageUrl ?? '',
        swfUrl: this.connectInfo?.swfUrl ?? '',
        port: this.link.localPort,
      });
    } catch (err) {
      // Busy after on_publish: refused without on_unpublish (behaviours.md §2).
      ticket.abandon(errorMessage(err));
      if (err instanceof StreamBusyError) {
        this.session.rejectPublish(streamId, StatusCode.PublishBadName, `Stream ${source.key} is busy`);
        this.flushSession();
        this.deps.registry.release(source);
      }
      throw err;
    }
    const now = this.deps.now();
    source.publishStartedAt = now;
    this.role = { kind: 'publish', source, streamId, publisher, ticket };
    const v = this.vhost!;
    this.session.acceptPublish(streamId, fmle, { nowMs: now, firstPacketTimeoutMs: v.publish.firstPktTimeoutMs, normalTimeoutMs: v.publish.normalTimeoutMs });
    this.log.trace(`RTMP ${fmle ? 'FMLE' : 'flash'} publish ${source.key}${req.param ? ` param=${req.param}` : ''}`);
  }

  private onMedia(typeId: number, timestamp: number, payload: Buffer): void {
    if (this.role.kind !== 'publish') return; // players may send nothing but control
    let frame: MediaFrame | null;
    if (typeId === MessageType.Video) frame = videoFrameFromFlv(payload, timestamp);
    else if (typeId === MessageType.Audio) frame = audioFrameFromFlv(payload, timestamp);
    else frame = dataFrame(payload, timestamp);
    if (frame) this.role.source.publish(frame);
  }

  private async onPlay(streamId: number, streamName: string): Promise<void> {
    if (this.role.kind !== 'none') this.stopRole('play again');
    const req = this.request(streamName);
    if (this.deps.relay || !this.client) return this.onRelayPlay(streamId, req);
    let ticket: Ticket;
    try {
      ticket = await this.client.admit('play', this.admissionRequest(req, 'rtmp-play'));
    } catch (err) {
      this.session.rejectPlay(streamId, StatusCode.PlayFailed, `play denied: ${errorMessage(err)}`);
      throw err;
    }
    if (this.closedFlag) {
      ticket.abandon('connection closed');
      return;
    }
    const v = this.vhost!;
    // Origin cluster (behaviours.md §6): a stream not published here is sent to the coworker that has it.
    const cluster = this.deps.cluster;
    if (cluster && !this.deps.registry.get(v.name, req.app, req.stream)?.isPublishing) {
      let url: string | null;
      try {
        url = await cluster.locate({ vhost: v, host: req.host, app: req.app, stream: req.stream, param: req.param }, this.log);
      } catch (err) {
        ticket.close(`no coworker has the stream: ${errorMessage(err)}`);
        throw err;
      }
      if (this.closedFlag) {
        ticket.close('connection closed');
        return;
      }
      if (url) {
        this.session.redirect(url.slice(0, url.replace(/[?#].*$/, '').lastIndexOf('/')), url);
        this.flushSession();
        ticket.close(`RTMP 302 to ${url}`);
        this.close(`RTMP 302 to ${url}`);
        return;
      }
    }
    const source = this.sourceFor(req);
    const sink = this.deps.playSink({
      kind: 'viewer',
      id: this.log.cid,
      encoder: this.session.encoder,
      streamId,
      options: viewerOptionsOf(v, source),
      log: this.log,
      events: {
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
      sessionHasOutput: () => this.session.hasOutput,
    });
    this.role = { kind: 'play', source, streamId, sink, ticket };
    this.session.acceptPlay(streamId, req.stream);
    this.flushSession();
    this.log.trace(`RTMP play ${source.key}${source.isPublishing ? `, source_id=${source.sourceId}` : ', waiting for the publisher'}`);
    source.addSink(sink, { param: req.param });
  }

  /** A worker-mesh relay pull (RelayMode): the token decides, no hook or access rule applies. */
  private onRelayPlay(streamId: number, req: RtmpRequest): void {
    if (!this.deps.relay?.admits(req.param)) {
      this.session.rejectPlay(streamId, StatusCode.PlayFailed, 'play denied: not a mesh relay');
      throw new TsrsError(
        ErrorCode.RtmpAccessDenied,
        `mesh: refused a play of ${streamKey(this.vhost!.name, req.app, req.stream)} on the relay port from ${this.link.remoteAddress}:${this.link.remotePort}: missing or wrong mesh token`,
      );
    }
    const v = this.vhost!;
    const source = this.sourceFor(req);
    // The relaying worker corrects jitter for its own viewers: the relay keeps the publisher's timestamps.
    // It also merges writes for them, so the relay itself sends every frame at once (mw_latency 0, no
    // Nagle): one connection per other worker, and without it their viewers would wait two merge intervals.
    this.link.setNoDelay(true);
    const sink = this.deps.playSink({
      kind: 'relay',
      id: this.log.cid,
      encoder: this.session.encoder,
      streamId,
      options: { ...viewerOptionsOf(v, source), jitter: 'off', mwLatencyMs: 0 },
      log: this.log,
      events: { hopeless: (reason: string) => this.close(reason, true), publishNotify: () => undefined, unpublishNotify: () => undefined },
      sessionHasOutput: () => this.session.hasOutput,
    });
    this.role = { kind: 'play', source, streamId, sink, ticket: null };
    this.session.acceptPlay(streamId, req.stream);
    this.flushSession();
    this.log.trace(`mesh: relay play ${source.key} from ${this.link.remoteAddress}:${this.link.remotePort}${source.isPublishing ? `, source_id=${source.sourceId}` : ', waiting for the publisher'}`);
    source.addSink(sink);
  }

  private stopRole(why: string): void {
    const role = this.role;
    this.role = { kind: 'none' };
    if (role.kind === 'publish') {
      this.session.endPublish();
      role.source.stopPublish(role.publisher);
      this.deps.registry.release(role.source);
      this.log.trace(`RTMP unpublish ${role.source.key} (${why})`);
      role.ticket.close(why); // on_unpublish
    } else if (role.kind === 'play') {
      role.sink.close();
      role.source.removeSink(role.sink);
      this.deps.registry.release(role.source);
      this.log.trace(`${role.ticket ? 'RTMP stop play' : 'mesh: stop relay play'} ${role.source.key} (${why})`);
      role.ticket?.close(why); // on_stop
    }
  }

  /** Close the connection (and its transport). Idempotent. */
  close(reason: string, hard = false): void {
    if (this.closedFlag) return;
    this.cleanup(reason);
    this.link.close(reason, hard);
  }

  /** The transport closed by itself (peer hang-up, socket error). Idempotent. */
  transportClosed(reason: string): void {
    this.cleanup(reason);
  }

  private cleanup(reason: string): void {
    if (this.closedFlag) return;
    // Replies queued by the last events (e.g. an _error) go out before the transport closes.
    this.flushSession();
    this.closedFlag = true;
    this.backlog = [];
    this.stopRole(reason);
    this.session.close();
    this.armedAt = null;
    this.link.armTimer(null);
    // The record, on_close (after on_unpublish/on_stop) and the max_connections slot.
    this.client?.close(reason);
    this.log.trace(`RTMP client closed: ${reason}, recv=${this.link.bytesIn}B send=${this.link.bytesOut}B`);
  }
}
