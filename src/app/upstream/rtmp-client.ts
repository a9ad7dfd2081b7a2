// An outbound RTMP connection (publish or play) for the features that talk to other servers: forward,
// edge pull/push and the edge's token traverse. It wires the sans-I/O client session to a TCP socket,
// turns what the server sends into MediaFrames, and reports how it ended exactly once. The setup bound
// (TCP connect, handshake, connect, publish/play) and the play idle bound are the session's deadlines; this
// adapter only arms one timer at its nextTimeout() (issue 12 point 6).
import net from 'node:net';
import { ErrorCode, TsrsError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Amf0Object, Amf0Value } from '../../kernel/format/amf0.js';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { RtmpClientSession, splitRtmpUrl, type ClientMode, type ClientSessionEvent } from '../../protocol/rtmp/client-session.js';
import { MessageType } from '../../protocol/rtmp/message.js';
import { TcpConnection } from '../../transport/tcp.js';

/** Error codes of upstream failures (SRS: ERROR_SOCKET_*, ERROR_RTMP_*; 3xxx app range for our own). */
export const UpstreamErrorCode = {
  ConnectTimeout: ErrorCode.SocketTimeout,
  Transport: ErrorCode.SocketRead,
  Refused: ErrorCode.RtmpAccessDenied,
  Redirect: ErrorCode.RtmpRedirect,
} as const;

export interface RtmpClientOptions {
  /** `rtmp://host[:port]/app/stream?query`. */
  url: string;
  mode: ClientMode;
  log: Logger;
  random: (n: number) => Buffer;
  now: () => number;
  /** Bound for TCP connect + handshake + connect + publish/play start. */
  setupTimeoutMs: number;
  /** Play: close when nothing arrives for this long (0 = never). */
  idleTimeoutMs?: number;
  /** tcUrl to send instead of the one derived from `url` (token traverse passes the client's). */
  tcUrl?: string;
  connectArgs?: Amf0Value;
  connectProperties?: Amf0Object;
  chunkSize?: number;
}

/** How an upstream connection ended. */
export interface UpstreamEnd {
  reason: string;
  /** It got as far as publishing/playing. */
  wasReady: boolean;
  /** RTMP 302: the URL to go to instead. */
  redirect?: string;
  /** The server refused (connect/publish/play rejected) rather than the network failing. */
  refused?: boolean;
  /** Closed by our side (close() was called). */
  local?: boolean;
  /** Upstream stayed silent: no start within setupTimeoutMs, or no data for idleTimeoutMs. */
  timedOut?: boolean;
}

export interface RtmpClientHandler {
  /** Publishing or playing started. */
  onReady?(): void;
  /** Play: a frame from upstream (audio, video, onMetaData). */
  onFrame?(frame: MediaFrame): void;
  /** Every onStatus the server sends. */
  onStatus?(level: string, code: string, description: string): void;
  /** The socket's send buffer drained. */
  onDrain?(): void;
  /** Called once, whatever the cause. */
  onEnd(end: UpstreamEnd): void;
}

export class RtmpClient {
  readonly host: string;
  readonly port: number;
  private readonly tcUrl: string;
  private readonly app: string;
  private readonly streamName: string;
  /** Created by start(): its setup deadline counts from then, TCP connect included. */
  private session: RtmpClientSession | null = null;
  private socket: net.Socket | null = null;
  private conn: TcpConnection | null = null;
  /** The one timer, and the deadline it was armed for. */
  private timer: NodeJS.Timeout | null = null;
  private timerAtMs = 0;
  private ready = false;
  private ended = false;

  constructor(
    private readonly options: RtmpClientOptions,
    private readonly handler: RtmpClientHandler,
  ) {
    const u = splitRtmpUrl(options.url);
    this.host = u.host;
    this.port = u.port;
    this.tcUrl = options.tcUrl ?? u.tcUrl;
    this.app = u.app;
    this.streamName = u.streamName;
  }

  get isReady(): boolean {
    return this.ready;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get bytesIn(): number {
    return this.conn?.bytesIn ?? 0;
  }

  get bytesOut(): number {
    return this.conn?.bytesOut ?? 0;
  }

  /** Bytes written but not yet taken by the kernel (Infinity until the connection is up). */
  get pendingBytes(): number {
    return this.ready && this.conn ? this.conn.pendingBytes : Infinity;
  }

  /** Local address of the socket once connected (SRS's srs_server_ip for upstreams). */
  get localAddress(): string {
    return this.socket?.localAddress ?? '';
  }

  start(): void {
    if (this.session) return;
    const o = this.options;
    const session = new RtmpClientSession({
      random: o.random,
      mode: o.mode,
      tcUrl: this.tcUrl,
      app: this.app,
      streamName: this.streamName,
      connectArgs: o.connectArgs,
      connectProperties: o.connectProperties,
      chunkSize: o.chunkSize,
      openedAtMs: o.now(),
      setupTimeoutMs: o.setupTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
    });
    this.session = session;
    this.armTimer();
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    const onConnectError = (err: Error): void => this.end({ reason: `connect ${this.host}:${this.port}: ${err.message}`, wasReady: false });
    socket.on('error', onConnectError);
    socket.once('connect', () => {
      socket.off('error', onConnectError);
      if (this.ended) return;
      const conn = new TcpConnection(socket);
      this.conn = conn;
      conn.attach({
        onData: (bytes) => this.onData(bytes),
        onClose: (reason) => this.end({ reason: `upstream ${reason}`, wasReady: this.ready }),
        onDrain: () => this.handler.onDrain?.(),
      });
      session.start(o.now());
      this.flush();
    });
  }

  /** Publish: send frames (timestamps as they are) in one write. Returns false when the socket is backed up. */
  write(frames: readonly MediaFrame[]): boolean {
    const session = this.session;
    if (!this.ready || !this.conn || !session || this.ended) return false;
    const out: Buffer[] = [];
    for (const f of frames) {
      const typeId = f.kind === 'video' ? MessageType.Video : f.kind === 'audio' ? MessageType.Audio : MessageType.DataAmf0;
      session.writeMedia(typeId, f.dts, f.payload, out);
    }
    return this.conn.write(out);
  }

  /** Close (a publisher says FCUnpublish/deleteStream first); onEnd follows with `local: true`. */
  close(reason: string): void {
    if (this.ended) return;
    if (this.ready && this.options.mode === 'publish') {
      this.session?.unpublish();
      this.flush();
    }
    this.end({ reason, wasReady: this.ready, local: true });
  }

  private onData(bytes: Buffer): void {
    const session = this.session;
    if (this.ended || !session) return;
    let events: ClientSessionEvent[];
    try {
      events = session.receive(bytes, this.options.now());
    } catch (err) {
      this.end({ reason: `upstream protocol error: ${errorMessage(err)}`, wasReady: this.ready });
      return;
    }
    for (const ev of events) {
      this.onEvent(ev);
      if (this.ended) return;
    }
    this.flush();
    this.armTimer();
  }

  /**
   * Keep the one timer at or before the session's next deadline. A later deadline (data pushing the idle
   * bound) leaves the armed timer alone: it fires early, finds nothing due and re-arms, so a busy stream
   * costs no timer churn per packet.
   */
  private armTimer(): void {
    const at = this.ended ? undefined : this.session?.nextTimeout();
    if (at === undefined) {
      this.clearTimer();
      return;
    }
    if (this.timer && this.timerAtMs <= at) return;
    this.clearTimer();
    this.timerAtMs = at;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, at - this.options.now()));
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private onTimer(): void {
    this.timer = null;
    if (this.ended || !this.session) return;
    for (const ev of this.session.checkTimeout(this.options.now())) this.onEvent(ev);
    this.armTimer();
  }

  private onEvent(ev: ClientSessionEvent): void {
    const log = this.options.log;
    switch (ev.type) {
      case 'connected': {
        const si = ev.serverInfo;
        const sig = typeof si.srs_server === 'string' ? si.srs_server : typeof si.srs_sig === 'string' ? si.srs_sig : '';
        log.trace(`upstream ${this.host}:${this.port} connected${sig ? `, server=${sig}` : ''}${typeof si.srs_id === 'string' ? `, id=${si.srs_id}` : ''}`);
        if (this.options.mode === 'connect') this.becomeReady();
        return;
      }
      case 'publishing':
      case 'playing':
        this.becomeReady();
        return;
      case 'status':
        log.info(`upstream status ${ev.level} ${ev.code} ${ev.description}`);
        this.handler.onStatus?.(ev.level, ev.code, ev.description);
        return;
      case 'media': {
        const f = ev.typeId === MessageType.Video ? videoFrameFromFlv(ev.payload, ev.timestamp) : audioFrameFromFlv(ev.payload, ev.timestamp);
        if (f) this.handler.onFrame?.(f);
        return;
      }
      case 'metadata':
        this.handler.onFrame?.(dataFrame(ev.payload, ev.timestamp));
        return;
      case 'redirect':
        this.end({ reason: `RTMP 302 to ${ev.url}`, wasReady: this.ready, redirect: ev.url });
        return;
      case 'error':
        this.end({ reason: `upstream refused (${ev.phase}): ${ev.code} ${ev.description}`.trim(), wasReady: this.ready, refused: true });
        return;
      case 'call':
        if (ev.command.name === 'close') this.end({ reason: 'upstream sent close', wasReady: this.ready });
        return;
      case 'timeout':
        this.end(
          ev.what === 'setup'
            ? { reason: `no ${this.options.mode} start from ${this.host}:${this.port} within ${ev.limitMs}ms`, wasReady: false, timedOut: true }
            : { reason: `nothing from upstream for ${ev.idleMs}ms`, wasReady: true, timedOut: true },
        );
        return;
      default:
        return;
    }
  }

  private becomeReady(): void {
    this.ready = true;
    this.handler.onReady?.();
  }

  private flush(): void {
    if (this.conn && this.session?.hasOutput) this.conn.write(this.session.takeOutput());
  }

  private end(e: UpstreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.clearTimer();
    this.session?.close();
    if (this.conn) this.conn.close(e.reason, !e.local);
    else this.socket?.destroy();
    this.handler.onEnd(e);
  }
}

/** An error that carries how an upstream attempt ended, for callers that await it. */
export class UpstreamError extends TsrsError {
  constructor(readonly end: UpstreamEnd) {
    super(end.redirect ? UpstreamErrorCode.Redirect : end.refused ? UpstreamErrorCode.Refused : end.timedOut ? UpstreamErrorCode.ConnectTimeout : UpstreamErrorCode.Transport, end.reason);
  }
}
