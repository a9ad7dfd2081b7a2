// The whole server object graph, built from a config. The CLI owns one; tests build their own.
import { randomBytes } from 'node:crypto';
import { newContextId, type Logger } from '../core/logger.js';
import type { SrsConfig } from '../config/index.js';
import type { ServerContext } from './context.js';
import { DEFAULT_SOURCE_GRACE_MS, SourceRegistry } from './live/live-source.js';
import { sourceOptionsOf } from './live/source-options.js';
import { LogWriter } from './log/srs-logger.js';
import { RtmpServer } from './rtmp/rtmp-server.js';
import { HlsService } from './hls/hls-service.js';
import type { HlsMemoryFiles } from './hls/hls-memory.js';
import { Stats, statId } from './stats/stats.js';
import { HttpHooks } from './hooks/http-hooks.js';
import { DvrService } from './dvr/dvr-service.js';
import { DashService } from './dash/dash-service.js';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../transport/http-listener.js';
import { HttpServers, type HttpPorts } from './http/http-servers.js';
import type { HttpMux } from './http/http-mux.js';
import { ForwardService } from './forward/index.js';
import { ClusterService } from './edge/index.js';
import { FfmpegService } from './ffmpeg/index.js';
import { AdmissionService } from './admission/index.js';
import { RtcService } from './webrtc/index.js';
import { MeshNode, meshTokenAdmits, type MeshOptions } from './mesh/index.js';
import { CasterService } from './caster/index.js';
import { SrtService } from './srt/index.js';

/** Knobs that are not in SRS's config format (tsrs extensions, set by the CLI from TSRS_* env vars). */
export interface ServerOptions {
  /** HMAC-SHA256 key for the `X-Tsrs-Signature` header on callbacks (TSRS_HOOKS_SECRET). */
  hooksSecret?: string;
  /** Per-URL callback timeout, ms (TSRS_HOOKS_TIMEOUT_MS; SRS uses 30 s). */
  hooksTimeoutMs?: number;
  /** Attempts for notify-only callbacks (TSRS_HOOKS_NOTIFY_ATTEMPTS; SRS tries once). */
  hooksNotifyAttempts?: number;
  /** Limits of every HTTP listener (TSRS_HTTP_* env vars; tests use short timeouts). */
  httpLimits?: Partial<HttpLimits>;
  /** Worker mesh (a node:cluster worker of TSRS_WORKERS > 1): the token, this worker's id and the IPC. */
  mesh?: MeshOptions;
  /**
   * Budget of the in-memory cache of HLS live windows under `hls_storage disk`, bytes, all streams
   * together (TSRS_HLS_CACHE_MB; default 64 MiB; 0 = off).
   */
  hlsCacheBytes?: number;
  /**
   * How long a source without publisher and viewers is kept before it is dropped with its HLS/DASH/stats
   * state, ms (TSRS_SOURCE_GRACE_MS; default DEFAULT_SOURCE_GRACE_MS, 30 s).
   */
  sourceGraceMs?: number;
}

/** Bound ports by listener (the real ones when the config says port 0). */
export interface ServerPorts extends HttpPorts {
  rtmp: number[];
}

const STATS_SAMPLE_MS = 5_000;
/** How often idle sources are looked for: at most this much past their grace period before they go. */
const SOURCE_SWEEP_MAX_MS = 1_000;

export class Server {
  readonly ctx: ServerContext;
  readonly logWriter: LogWriter;
  readonly rtmp: RtmpServer;
  /** HLS segments and playlists under hls_path (vhost hls). */
  readonly hls: HlsService;
  /** HTTP server, HTTP API and exporter listeners, with the live HTTP remux. */
  readonly http: HttpServers;
  /** Recordings (vhost dvr). */
  readonly dvr: DvrService;
  /** MPEG-DASH MPDs and fMP4 segments under dash_path (vhost dash). */
  readonly dash: DashService;
  /** vhost forward: published streams pushed to other servers. */
  readonly forward: ForwardService;
  /** vhost cluster: edge pull/push, token traverse, origin-cluster 302s. */
  readonly cluster: ClusterService;
  /** vhost transcode/exec and ingest: supervised ffmpeg and exec processes. */
  readonly ffmpeg: FfmpegService;
  /** stream_caster: MPEG-TS over UDP and FLV over HTTP POST publish into the sources in-process. */
  readonly casters: CasterService;
  /** srt_server: publish and play over SRT (issue 14). */
  readonly srt: SrtService;
  /** Worker mesh: report publishes to the primary and relay streams other workers own (multi-process mode). */
  readonly mesh: MeshNode | null;
  /** WebRTC (rtc_server): the UDP port and its play sessions. */
  readonly rtc: RtcService;
  private current: SrsConfig;
  private sampler: NodeJS.Timeout | null = null;
  private sweeper: NodeJS.Timeout | null = null;

  private readonly meshToken: string;

  constructor(config: SrsConfig, logWriter?: LogWriter, options: ServerOptions = {}) {
    this.current = config;
    this.meshToken = options.mesh?.token ?? '';
    this.logWriter =
      logWriter ??
      new LogWriter({ tank: config.log.tank, level: config.log.level, file: config.log.file, utcTime: config.utcTime });
    const log: Logger = this.logWriter.logger(newContextId());
    const serverId = config.serverId ?? statId();
    const serviceId = newContextId();
    this.ctx = {
      config: () => this.current,
      registry: new SourceRegistry(log, { graceMs: options.sourceGraceMs ?? DEFAULT_SOURCE_GRACE_MS }),
      stats: new Stats(),
      log,
      now: () => Date.now(),
      random: (n) => randomBytes(n),
      serverId,
      serviceId,
      hooks: new HttpHooks({
        serverId,
        serviceId,
        timeoutMs: options.hooksTimeoutMs ?? 30_000,
        secret: options.hooksSecret,
        notifyAttempts: options.hooksNotifyAttempts ?? 3,
        notifyBackoffMs: 1000,
      }),
      admission: new AdmissionService(() => this.ctx),
      get connections(): number {
        return this.admission.connections;
      },
    };
    this.rtmp = new RtmpServer(this.ctx);
    this.hls = new HlsService(this.ctx, { cacheBytes: options.hlsCacheBytes }).register();
    if (this.hls.memory.cacheEnabled) {
      log.trace(`hls: live windows of hls_storage disk are also served from memory, up to ${(this.hls.memory.cacheBytes / 1048576).toFixed(1)} MiB of segments (TSRS_HLS_CACHE_MB)`);
    }
    this.dvr = new DvrService(this.ctx);
    this.ctx.registry.addPublishListener(this.dvr);
    this.dash = new DashService(this.ctx);
    this.ctx.registry.addPublishListener(this.dash);
    this.ctx.registry.addDropListener(this.dash);
    this.forward = new ForwardService(this.ctx, { backendTimeoutMs: options.hooksTimeoutMs }).register();
    this.cluster = new ClusterService(this.ctx, { lookupTimeoutMs: options.hooksTimeoutMs }).register();
    this.ffmpeg = new FfmpegService(this.ctx, { rtmpPorts: () => this.rtmp.ports });
    this.ctx.registry.addPublishListener(this.ffmpeg);
    this.http = new HttpServers(this.ctx, { ...DEFAULT_HTTP_LIMITS, ...options.httpLimits });
    this.http.memoryFiles = this.hls.memory;
    this.rtc = new RtcService(this.ctx, () => this.ffmpeg.supervisor);
    this.mesh = options.mesh ? new MeshNode(this.ctx, options.mesh).register() : null;
    this.casters = new CasterService(this.ctx, { httpLimits: { ...DEFAULT_HTTP_LIMITS, ...options.httpLimits }, workers: options.mesh !== undefined });
    this.srt = new SrtService(this.ctx, { workers: options.mesh !== undefined });
    // Stats ids and traffic of a stream go with its source (HLS and DASH subscribe themselves).
    this.ctx.registry.addDropListener({ onSourceDropped: (source) => this.ctx.stats.forgetStream(source.key) });
  }

  /** Routes of the HTTP API port; the api layer registers its handlers here. */
  get httpApiMux(): HttpMux {
    return this.http.apiMux;
  }

  /** Routes of the HTTP server port (the same mux as the API's when they share a port). */
  get httpServerMux(): HttpMux {
    return this.http.serverMux;
  }

  /** HLS served from memory (counters for /metrics). */
  get hlsMemory(): HlsMemoryFiles {
    return this.hls.memory;
  }

  get ports(): ServerPorts {
    return { rtmp: this.rtmp.ports, ...this.http.ports };
  }

  get config(): SrsConfig {
    return this.current;
  }

  /**
   * Swap in a new config. Vhost options are read at each connect/publish/play, so they apply to new
   * clients at once; returns the top-level settings that need a restart to change.
   */
  reload(next: SrsConfig): string[] {
    const notApplied: string[] = [];
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    if (!same(next.listen, this.current.listen)) {
      // Re-bound in the background: existing RTMP connections are not touched.
      this.rtmp.rebind(next.listen).catch((err: Error) => this.ctx.log.error(`reload: cannot listen at the new RTMP endpoints, keeping the old ones: ${err.message}`));
    }
    if (!same(next.log, this.current.log)) notApplied.push('srs_log_*');
    // Like SRS 5, the HTTP listeners are not reloadable; vhost http_static/http_remux changes are.
    if (!same(next.httpApi, this.current.httpApi)) notApplied.push('http_api');
    if (!same(next.httpServer, this.current.httpServer)) notApplied.push('http_server');
    if (!same(next.exporter, this.current.exporter)) notApplied.push('exporter');
    this.current = next;
    for (const source of this.ctx.registry.all()) {
      const v = next.vhosts.get(source.vhost);
      if (v) source.updateOptions(sourceOptionsOf(v));
    }
    this.dvr.reload();
    this.dash.reload();
    this.hls.reload();
    this.ffmpeg.reload();
    return notApplied;
  }

  async start(): Promise<void> {
    for (const w of this.current.warnings) this.ctx.log.warn(`config: ${w}`);
    if (this.mesh) {
      // The relay port first, so the primary knows it before any publish of this worker is reported.
      const token = this.meshToken;
      this.mesh.ready(await this.rtmp.listenRelay({ admits: (param) => meshTokenAdmits(token, param) }));
      for (const v of this.current.vhosts.values()) {
        if (v.enabled && v.hls.enabled && v.hls.storage === 'ram') {
          this.ctx.log.warn(`mesh: vhost ${v.name} has hls_storage ram: only the worker that has the publisher holds the files, so HLS requests that land on another worker get 404; use hls_storage both (or disk) with several workers`);
        }
      }
    }
    // HTTP first: once "RTMP listen at" is logged every port is ready.
    await this.http.start();
    // One process owns the RTC UDP port (Node 20 has no SO_REUSEPORT for UDP): the primary or a single
    // process; a mesh worker leaves it alone (docs/webrtc.md).
    if (!this.mesh) await this.rtc.start();
    else if (this.current.rtcServer.enabled) {
      this.ctx.log.warn('rtc: rtc_server is not served with TSRS_WORKERS > 1 yet (one process must own its UDP port, and the signalling would have to reach it): run a single process for WebRTC');
    }
    await this.rtmp.listen(this.current.listen);
    // Ingests publish to the RTMP listeners, so they start once those are up.
    this.ffmpeg.start();
    try {
      await this.casters.start();
      await this.srt.start();
    } catch (err) {
      // A caster port that cannot be bound fails the start like the RTMP port; nothing is left listening.
      await this.stop();
      throw err;
    }
    this.sampler = setInterval(() => this.ctx.stats.sample(this.ctx.now()), STATS_SAMPLE_MS);
    this.sampler.unref();
    this.ctx.stats.sample(this.ctx.now());
    // Idle sources go after their grace period (issue 12 #9); a short grace is swept more often.
    const sweepMs = Math.max(50, Math.min(SOURCE_SWEEP_MAX_MS, this.ctx.registry.graceMs / 2));
    this.sweeper = setInterval(() => this.ctx.registry.sweep(this.ctx.now()), sweepMs);
    this.sweeper.unref();
  }

  /** Stop listening and drop clients. */
  async stop(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    if (this.sweeper) clearInterval(this.sweeper);
    // Child processes first (SIGTERM, then SIGKILL to each group): none may outlive the server.
    await this.ffmpeg.stop();
    // Caster streams unpublish (on_unpublish) before HLS/DVR/DASH close their files.
    await this.casters.stop();
    await this.srt.stop();
    // HLS closes its segments and playlists (and disposes them when hls_dispose is set, as SRS).
    await this.hls.close();
    // Recordings are finished (moov written, files renamed) before the process goes.
    await this.dvr.stop();
    // DASH closes its segments and MPDs (and disposes them when dash_dispose is set, as SRS).
    await this.dash.close();
    // Outbound connections (forwards, edge pulls and relays) go before the listeners.
    this.forward.close();
    this.cluster.close();
    this.mesh?.close();
    this.rtc.stop();
    await Promise.all([this.rtmp.close(true), this.http.stop()]);
  }
}
