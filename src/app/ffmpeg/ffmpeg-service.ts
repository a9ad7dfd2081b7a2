// Transcode, ingest and exec (config.md §3.19, §3.20): the processes SRS runs around live streams.
// - transcode: one ffmpeg per enabled engine per published stream, from publish to unpublish;
// - exec: one process per `exec.publish` line per published stream, from publish to unpublish;
// - ingest: one ffmpeg per `ingest <id>` of every enabled vhost, from start-up to shutdown.
// Every process is supervised (restarted with backoff, stopped group-wide). Reload restarts only what
// changed (config.md §5). A process that cannot run is logged with the engine it belongs to; the stream
// it would have read keeps flowing.
import type { Logger } from '../../core/logger.js';
import { resolveVhost, type IngestConfig, type SrsConfig } from '../../config/index.js';
import { discoverRequest } from '../../protocol/rtmp/request.js';
import type { ServerContext } from '../context.js';
import type { LiveSource, PublishListener } from '../live/live-source.js';
import { planExec, planIngest, planTranscodes, transcodesFor, urlStream, type PlanNote } from './plans.js';
import { ProcessSupervisor, type ProcessInfo, type SupervisedProcess, type SupervisorOptions } from './supervisor.js';
import type { PublishRequest } from './templates.js';

export interface FfmpegServiceOptions {
  /** The RTMP ports the server actually listens on (the first one is the ingests' `[port]`). */
  rtmpPorts?: () => number[];
  supervisor?: Partial<SupervisorOptions>;
}

interface Transcoder {
  proc: SupervisedProcess;
  output: string;
}

/** The processes of one published stream. */
interface StreamJobs {
  vhost: string;
  app: string;
  stream: string;
  /** What the transcoders were started from, to restart them only when it changes on reload. */
  transcodeFingerprint: string;
  execFingerprint: string;
  /** Transcoding was skipped: the stream is itself a transcoder's output. */
  loopOf: string | null;
  transcoders: Transcoder[];
  execs: SupervisedProcess[];
}

interface IngestJobs {
  vhost: string;
  id: string;
  fingerprint: string;
  procs: SupervisedProcess[];
}

export type FfmpegJobKind = 'transcode' | 'exec' | 'ingest';

export interface FfmpegJobInfo extends ProcessInfo {
  kind: FfmpegJobKind;
  /** The stream key (transcode, exec) or `vhost/id` (ingest). */
  owner: string;
}

export class FfmpegService implements PublishListener {
  readonly supervisor: ProcessSupervisor;
  private readonly streams = new Map<string, StreamJobs>();
  private readonly ingests = new Map<string, IngestJobs>();
  private started = false;
  private stopping = false;
  private readonly rtmpPorts: () => number[];

  constructor(
    private readonly ctx: ServerContext,
    options: FfmpegServiceOptions = {},
  ) {
    this.supervisor = new ProcessSupervisor(ctx.log, options.supervisor, () => ctx.now());
    this.rtmpPorts = options.rtmpPorts ?? (() => ctx.config().listen.map((e) => e.port));
  }

  /** Start the ingests; call once the RTMP listeners are up (the ingests publish to them). */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.reconcileIngests();
  }

  onPublish(source: LiveSource): void {
    if (this.stopping) return;
    this.stopStream(source.key);
    const log = this.ctx.log.child(source.sourceId || this.ctx.log.cid);
    const jobs: StreamJobs = {
      vhost: source.vhost,
      app: source.app,
      stream: source.stream,
      transcodeFingerprint: '',
      execFingerprint: '',
      loopOf: null,
      transcoders: [],
      execs: [],
    };
    this.streams.set(source.key, jobs);
    this.startTranscoders(source, jobs, log);
    this.startExecs(source, jobs, log);
  }

  onUnpublish(source: LiveSource): void {
    this.stopStream(source.key);
  }

  /** The config was swapped (ctx.config() is the new one): restart what changed. */
  reload(): void {
    if (!this.started || this.stopping) return;
    const config = this.ctx.config();
    const live = new Set<string>();
    for (const source of this.ctx.registry.all()) {
      if (!source.isPublishing || !this.ctx.registry.follows(this, source)) continue;
      live.add(source.key);
      const jobs = this.streams.get(source.key);
      if (!jobs) {
        this.onPublish(source);
        continue;
      }
      const log = this.ctx.log.child(source.sourceId || this.ctx.log.cid);
      if (this.transcodeFingerprint(config, source) !== jobs.transcodeFingerprint) {
        log.trace(`ffmpeg: reload transcode of ${source.key}`);
        this.stopAll(jobs.transcoders.map((t) => t.proc));
        jobs.transcoders = [];
        this.startTranscoders(source, jobs, log);
      }
      if (this.execFingerprint(config, source) !== jobs.execFingerprint) {
        log.trace(`ffmpeg: reload exec of ${source.key}`);
        this.stopAll(jobs.execs);
        jobs.execs = [];
        this.startExecs(source, jobs, log);
      }
    }
    for (const key of [...this.streams.keys()]) if (!live.has(key)) this.stopStream(key);
    this.reconcileIngests();
  }

  /** Stop every process (server shutdown); resolves when all have exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.streams.clear();
    this.ingests.clear();
    await this.supervisor.stopAll();
  }

  /** Every supervised process, for the API and tests. */
  list(): FfmpegJobInfo[] {
    const out: FfmpegJobInfo[] = [];
    for (const [key, jobs] of this.streams) {
      for (const t of jobs.transcoders) out.push({ kind: 'transcode', owner: key, ...t.proc.info });
      for (const p of jobs.execs) out.push({ kind: 'exec', owner: key, ...p.info });
    }
    for (const jobs of this.ingests.values()) {
      for (const p of jobs.procs) out.push({ kind: 'ingest', owner: `${jobs.vhost}/${jobs.id}`, ...p.info });
    }
    return out;
  }

  private stopStream(key: string): void {
    const jobs = this.streams.get(key);
    if (!jobs) return;
    this.streams.delete(key);
    this.stopAll([...jobs.transcoders.map((t) => t.proc), ...jobs.execs]);
  }

  private stopAll(procs: SupervisedProcess[]): void {
    for (const p of procs) void p.stop();
  }

  private note(log: Logger, notes: PlanNote[]): void {
    for (const n of notes) log[n.level](`ffmpeg: ${n.message}`);
  }

  private clock(config: SrsConfig): { nowMs: number; utc: boolean } {
    return { nowMs: this.ctx.now(), utc: config.utcTime };
  }

  /** The RTMP ports of this server; the first is where local processes connect. */
  private localPorts(): number[] {
    const ports = this.rtmpPorts().filter((p) => p > 0);
    return ports.length ? ports : this.ctx.config().listen.map((e) => e.port);
  }

  /** SRS's SrsRequest as transcode and exec see it, from the source and its publisher's request. */
  private request(source: LiveSource): PublishRequest {
    const info = source.publishInfo;
    const local = this.localPorts();
    // The publisher's own port when it came over RTMP; else the first RTMP port.
    const port = info && local.includes(info.port) ? info.port : (local[0] ?? 1935);
    const tc = info?.tcUrl ? discoverRequest(info.tcUrl, source.stream) : null;
    return {
      vhost: source.vhost,
      app: source.app,
      stream: source.stream,
      param: info?.param ?? '',
      tcUrl: info?.tcUrl ?? '',
      pageUrl: info?.pageUrl ?? '',
      swfUrl: info?.swfUrl ?? '',
      host: tc?.host || '127.0.0.1',
      tcPort: tc?.port ?? port,
      port,
    };
  }

  private transcodeFingerprint(config: SrsConfig, source: LiveSource): string {
    const vhost = resolveVhost(config, source.vhost);
    return vhost ? JSON.stringify(transcodesFor(vhost, source.app, source.stream)) : '';
  }

  private execFingerprint(config: SrsConfig, source: LiveSource): string {
    const vhost = resolveVhost(config, source.vhost);
    return vhost ? JSON.stringify(vhost.exec) : '';
  }

  /** Whether an RTMP URL names this stream on this server. */
  private isStream(url: string, vhost: string, app: string, stream: string): boolean {
    const o = urlStream(url);
    if (o.app !== app || o.stream !== stream) return false;
    if (!this.localPorts().includes(o.port)) return false;
    const resolved = resolveVhost(this.ctx.config(), o.vhost)?.name ?? o.vhost;
    return resolved === vhost;
  }

  /**
   * Loop detection (SRS ERROR_ENCODER_LOOP): a stream published by one of our transcoders is never
   * transcoded again, or `[stream]_sd` would become `[stream]_sd_sd`... for ever.
   */
  private transcodedBy(source: LiveSource): string | null {
    for (const [key, jobs] of this.streams) {
      if (key === source.key) continue;
      for (const t of jobs.transcoders) {
        if (this.isStream(t.output, source.vhost, source.app, source.stream)) return key;
      }
    }
    return null;
  }

  private startTranscoders(source: LiveSource, jobs: StreamJobs, log: Logger): void {
    const config = this.ctx.config();
    jobs.transcodeFingerprint = this.transcodeFingerprint(config, source);
    const vhost = resolveVhost(config, source.vhost);
    if (!vhost || vhost.transcodes.length === 0) return;
    jobs.loopOf = this.transcodedBy(source);
    if (jobs.loopOf) {
      log.trace(`ffmpeg: no transcode for ${source.key}: it is the output of a transcoder of ${jobs.loopOf} (loop detected)`);
      return;
    }
    const plan = planTranscodes(vhost, this.request(source), { ffLogDir: config.ffLogDir, ...this.clock(config) });
    this.note(log, plan.notes);
    for (const job of plan.jobs) {
      if (this.isStream(job.output, source.vhost, source.app, source.stream)) {
        log.error(`ffmpeg: ${job.spec.label} cannot run, skipped: its output ${job.output} is its own input (loop detected)`);
        continue;
      }
      jobs.transcoders.push({ proc: this.supervisor.start(job.spec, log), output: job.output });
    }
  }

  private startExecs(source: LiveSource, jobs: StreamJobs, log: Logger): void {
    const config = this.ctx.config();
    jobs.execFingerprint = this.execFingerprint(config, source);
    const vhost = resolveVhost(config, source.vhost);
    if (!vhost?.exec.enabled) return;
    const plan = planExec(vhost, this.request(source), this.clock(config));
    this.note(log, plan.notes);
    for (const spec of plan.jobs) jobs.execs.push(this.supervisor.start(spec, log));
  }

  /** The first RTMP listen port, as SRS gives ingests (the bound one when the config says 0). */
  private ingestPort(config: SrsConfig): number {
    const configured = config.listen[0]?.port ?? 0;
    return configured > 0 ? configured : (this.localPorts()[0] ?? 1935);
  }

  /** Make the running ingests match the config: stop removed/changed ones, start added/changed ones. */
  private reconcileIngests(): void {
    const config = this.ctx.config();
    const port = this.ingestPort(config);
    const wanted = new Map<string, { vhost: string; ingest: IngestConfig; fingerprint: string }>();
    for (const v of config.vhosts.values()) {
      if (!v.enabled) continue;
      for (const ingest of v.ingests) {
        if (!ingest.enabled) continue;
        wanted.set(`${v.name}\u0000${ingest.id}`, { vhost: v.name, ingest, fingerprint: JSON.stringify({ ingest, port }) });
      }
    }
    for (const [key, jobs] of [...this.ingests]) {
      const w = wanted.get(key);
      if (w && w.fingerprint === jobs.fingerprint) continue;
      this.ctx.log.trace(`ffmpeg: ${w ? 'restart changed' : 'stop removed'} ingest "${jobs.id}" of vhost ${jobs.vhost}`);
      this.ingests.delete(key);
      this.stopAll(jobs.procs);
    }
    for (const [key, w] of wanted) {
      if (this.ingests.has(key)) continue;
      const plan = planIngest(w.vhost, w.ingest, { ffLogDir: config.ffLogDir, ffLogLevel: config.ffLogLevel, port, ...this.clock(config) });
      this.note(this.ctx.log, plan.notes);
      const procs = plan.jobs.map((spec) => this.supervisor.start(spec));
      this.ingests.set(key, { vhost: w.vhost, id: w.ingest.id, fingerprint: w.fingerprint, procs });
    }
  }
}
