// The whole server object graph, built from a config. The CLI owns one; tests build their own.
import { randomBytes } from 'node:crypto';
import { newContextId, type Logger } from '../core/logger.js';
import type { SrsConfig } from '../config/index.js';
import type { ServerContext } from './context.js';
import { SourceRegistry } from './live/live-source.js';
import { sourceOptionsOf } from './live/source-options.js';
import { LogWriter } from './log/srs-logger.js';
import { RtmpServer } from './rtmp/rtmp-server.js';
import { Stats, statId } from './stats/stats.js';
import { HttpHooks } from './hooks/http-hooks.js';

/** Knobs that are not in SRS's config format (tsrs extensions, set by the CLI from TSRS_* env vars). */
export interface ServerOptions {
  /** HMAC-SHA256 key for the `X-Tsrs-Signature` header on callbacks (TSRS_HOOKS_SECRET). */
  hooksSecret?: string;
  /** Per-URL callback timeout, ms (TSRS_HOOKS_TIMEOUT_MS; SRS uses 30 s). */
  hooksTimeoutMs?: number;
  /** Attempts for notify-only callbacks (TSRS_HOOKS_NOTIFY_ATTEMPTS; SRS tries once). */
  hooksNotifyAttempts?: number;
}

const STATS_SAMPLE_MS = 5_000;

export class Server {
  readonly ctx: ServerContext;
  readonly logWriter: LogWriter;
  readonly rtmp: RtmpServer;
  private current: SrsConfig;
  private sampler: NodeJS.Timeout | null = null;

  constructor(config: SrsConfig, logWriter?: LogWriter, options: ServerOptions = {}) {
    this.current = config;
    this.logWriter =
      logWriter ??
      new LogWriter({ tank: config.log.tank, level: config.log.level, file: config.log.file, utcTime: config.utcTime });
    const log: Logger = this.logWriter.logger(newContextId());
    const serverId = config.serverId ?? statId();
    const serviceId = newContextId();
    this.ctx = {
      config: () => this.current,
      registry: new SourceRegistry(log),
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
      connections: 0,
    };
    this.rtmp = new RtmpServer(this.ctx);
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
    if (!same(next.listen, this.current.listen)) notApplied.push('listen');
    if (!same(next.log, this.current.log)) notApplied.push('srs_log_*');
    this.current = next;
    for (const source of this.ctx.registry.all()) {
      const v = next.vhosts.get(source.vhost);
      if (v) source.updateOptions(sourceOptionsOf(v));
    }
    return notApplied;
  }

  async start(): Promise<void> {
    for (const w of this.current.warnings) this.ctx.log.warn(`config: ${w}`);
    await this.rtmp.listen(this.current.listen);
    this.sampler = setInterval(() => this.ctx.stats.sample(this.ctx.now()), STATS_SAMPLE_MS);
    this.sampler.unref();
    this.ctx.stats.sample(this.ctx.now());
  }

  /** Stop listening and drop clients. */
  async stop(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    await this.rtmp.close(true);
  }
}
