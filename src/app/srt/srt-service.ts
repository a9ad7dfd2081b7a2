// srt_server (issue 14): one UDP port, one SrtListener, one SrtSession per peer address. Datagrams of a
// known peer go to its connection, others to the listener (handshakes, cookies, rejections). A bad
// datagram is logged (rate-limited) and dropped; it never reaches another connection.
//
// Workers (TSRS_WORKERS > 1): Node 20 has no SO_REUSEPORT for UDP, so the port is bound `exclusive`: the
// first worker to bind owns it, the others try again now and then (taking over when the owner dies), and
// the worker mesh relays SRT-published streams to viewers on other workers (as for the mpegts caster).
import { performance } from 'node:perf_hooks';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { newContextId } from '../../core/logger.js';
import { SrtListener, type SrtOptions } from '../../protocol/srt/index.js';
import { UdpEndpoint, type UdpPeer } from '../../transport/udp.js';
import type { SrtServerConfig } from '../../config/index.js';
import type { ServerContext } from '../context.js';
import type { LiveSource } from '../live/live-source.js';
import { TsFanout, type TsViewer } from './ts-fanout.js';
import { SrtSession, type SrtSessionHost } from './srt-session.js';

/** A worker that lost the race for the port tries again after this long. */
const REBIND_MS = 5000;
/** Malformed datagrams are logged at most this often. */
const GARBAGE_LOG_MS = 10_000;
const UDP_IP_HEADERS = 28;

export interface SrtServiceOptions {
  /** Several workers share the server: bind exclusively, retry when another worker owns the port. */
  workers: boolean;
  /** Host to bind (SRS binds every address). */
  host?: string;
}

/** The srt_server block as the protocol's connection options (libsrt socket options as SRS sets them). */
export function srtOptionsOf(cfg: SrtServerConfig): Partial<SrtOptions> {
  const packet = Math.max(76, cfg.mss) - UDP_IP_HEADERS;
  return {
    // SRS sets SRTO_LATENCY, then SRTO_RCVLATENCY/SRTO_PEERLATENCY, which win.
    latencyMs: cfg.recvLatencyMs,
    peerLatencyMs: cfg.peerLatencyMs,
    passphrase: cfg.passphrase,
    pbKeyLen: cfg.pbKeyLen || 16,
    mss: cfg.mss,
    payloadSize: cfg.payloadSize,
    // maxbw -1 (libsrt: relative to the input rate) and 0 (unlimited): no pacing here.
    maxBwBps: cfg.maxbw > 0 ? cfg.maxbw : 0,
    peerIdleTimeoutMs: cfg.peerIdleTimeoutMs,
    connectTimeoutMs: cfg.connectTimeoutMs,
    tlpktdrop: cfg.tlpktDrop,
    sndBufPackets: Math.max(32, Math.floor(cfg.sendBuf / packet)),
    rcvBufPackets: Math.max(32, Math.floor(cfg.recvBuf / packet)),
  };
}

export class SrtService implements SrtSessionHost {
  private endpoint: UdpEndpoint | null = null;
  private listener: SrtListener | null = null;
  private readonly sessions = new Map<string, SrtSession>();
  private readonly fanouts = new Map<LiveSource, TsFanout>();
  private rebindTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private toldBusy = false;
  private garbage = 0;
  private lastGarbageLogMs = -Infinity;
  private readonly log: Logger;

  constructor(
    readonly ctx: ServerContext,
    private readonly options: SrtServiceOptions,
  ) {
    this.log = ctx.log.child(newContextId());
  }

  now(): number {
    return performance.now();
  }

  /** The bound UDP port (0 when disabled or while another worker owns it). */
  get port(): number {
    return this.endpoint?.port ?? 0;
  }

  localPort(): number {
    return this.port;
  }

  /** Connections by peer (tests, stats). */
  get connections(): number {
    return this.sessions.size;
  }

  private get cfg(): SrtServerConfig {
    return this.ctx.config().srtServer;
  }

  async start(): Promise<void> {
    if (!this.cfg.enabled) return;
    // Checked here so a bad option fails the start with libsrt's message, as SRS's srt_server does.
    this.listener = new SrtListener(srtOptionsOf(this.cfg), this.now());
    await this.bind();
  }

  private async bind(): Promise<void> {
    const host = this.options.host ?? '0.0.0.0';
    const ep = await UdpEndpoint.bind({
      host,
      port: this.cfg.listen,
      exclusive: this.options.workers,
      onMessage: (msg, from) => this.onDatagram(msg, from),
      onError: (err) => this.log.warn(`srt: udp socket error: ${err.message}`),
    });
    if (!ep) {
      if (!this.toldBusy) this.log.trace(`srt: udp port ${this.cfg.listen} is owned by another worker; trying again every ${REBIND_MS / 1000}s`);
      this.toldBusy = true;
      this.rebindTimer = setTimeout(() => {
        this.rebindTimer = null;
        if (!this.stopped) this.bind().catch((e: unknown) => this.log.warn(`srt: udp rebind failed: ${errorMessage(e)}`));
      }, REBIND_MS);
      this.rebindTimer.unref();
      return;
    }
    if (this.stopped) {
      await ep.close();
      return;
    }
    this.endpoint = ep;
    this.log.trace(`srt: listen at udp://${host}:${ep.port}`);
  }

  private onDatagram(msg: Buffer, from: UdpPeer): void {
    const key = `${from.address}:${from.port}`;
    try {
      const known = this.sessions.get(key);
      if (known) {
        known.run(known.conn.receive(msg, this.now()));
        return;
      }
      const listener = this.listener;
      if (!listener) return;
      const r = listener.receive(msg, { address: from.address, port: from.port }, this.now());
      switch (r.type) {
        case 'reply':
          this.sendTo(r.datagram, from);
          return;
        case 'rejected':
          this.sendTo(r.datagram, from);
          this.log.warn(`srt: ${key} rejected (${r.rejectCode}): ${r.error.message}`);
          return;
        case 'ignored':
          if (r.error) this.countGarbage(key, r.error.message);
          return;
        case 'accepted': {
          const session = new SrtSession(r.connection, { address: from.address, port: from.port }, this, this.ctx.log.child(newContextId()), this.cfg.defaultApp);
          this.sessions.set(key, session);
          session.run(r.connection.takeEvents());
          return;
        }
      }
    } catch (err) {
      // A bug on one datagram must not take the server down (ARCHITECTURE.md: bad input never crashes).
      this.log.error(`srt: datagram from ${key} failed: ${errorMessage(err)}`);
    }
  }

  private countGarbage(from: string, why: string): void {
    this.garbage++;
    const now = this.now();
    if (now - this.lastGarbageLogMs < GARBAGE_LOG_MS) return;
    this.lastGarbageLogMs = now;
    this.log.warn(`srt: dropped a datagram from ${from}: ${why}; ${this.garbage} so far`);
  }

  sendTo(datagram: Buffer, peer: UdpPeer): void {
    this.endpoint?.send(datagram, peer);
  }

  ended(session: SrtSession): void {
    const key = `${session.peer.address}:${session.peer.port}`;
    if (this.sessions.get(key) === session) this.sessions.delete(key);
  }

  joinFanout(source: LiveSource, viewer: TsViewer): TsFanout {
    let f = this.fanouts.get(source);
    if (f) {
      f.add(viewer);
      return f;
    }
    f = new TsFanout(`srt-ts-${newContextId()}`, this.listener?.options.payloadSize ?? 1316);
    this.fanouts.set(source, f);
    // The first viewer is in before the catch-up (sequence headers, cached GOP), so it starts at once.
    f.add(viewer);
    source.addSink(f);
    return f;
  }

  leaveFanout(source: LiveSource, fanout: TsFanout, viewer: TsViewer): void {
    fanout.remove(viewer);
    if (fanout.size === 0 && this.fanouts.get(source) === fanout) {
      this.fanouts.delete(source);
      source.removeSink(fanout);
    }
  }

  /** Close every connection (shutdown to the peers), unpublish, close the port. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.rebindTimer) clearTimeout(this.rebindTimer);
    for (const s of [...this.sessions.values()]) s.close('server stopping');
    const ep = this.endpoint;
    this.endpoint = null;
    if (ep) await ep.close();
  }
}
