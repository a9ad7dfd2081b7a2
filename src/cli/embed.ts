// tsrs as a library: start a server from a config (SRS config text or a plain object), listen to
// publish/unpublish/play/stop, read the same stream and client objects as /api/v1, reload, stop.
// It lives at the cli layer because, like main.ts, it builds the whole object graph; it installs no
// signal handlers and never exits the process (the embedding program owns both).
import { EventEmitter } from 'node:events';
import { errorMessage } from '../core/errors.js';
import { parseConfigText, type SrsConfig } from '../config/index.js';
import { Server } from '../app/server.js';
import type { LiveSource } from '../app/live/live-source.js';
import type { ClientType } from '../app/stats/stats.js';
import { registerApiRoutes } from '../api/index.js';
import { clientObject, collectStreams, listClients, streamObject } from '../api/stat-objects.js';
import type { JsonValue } from '../api/json.js';

/** A config directive's value in object form: `on`/`off` for booleans, several args as an array. */
export type ConfigScalar = string | number | boolean;
/** A config block in object form; `vhost` maps vhost names to their blocks. */
export interface ConfigObject {
  [directive: string]: ConfigScalar | ConfigScalar[] | ConfigObject | ConfigObject[];
}

export interface EmbeddedServerOptions {
  /** SRS config text, or the same as an object: `{ listen: 1935, http_api: { enabled: true, listen: 1985 } }`. */
  config: string | ConfigObject;
  /** `SRS_*` overrides, as the environment gives them to the command line (default: none). */
  env?: Record<string, string | undefined>;
  /** Serve the HTTP API (/api/v1, /metrics) when the config enables http_api (default true). */
  api?: boolean;
  /** How often viewers are checked for play/stop events, ms (default 200). */
  clientPollMs?: number;
}

export interface StreamEvent {
  vhost: string;
  app: string;
  stream: string;
}

export interface ClientEvent extends StreamEvent {
  /** The client id (the connection's log context id, as /api/v1/clients). */
  id: string;
  type: ClientType;
  ip: string;
}

export interface EmbeddedServerEvents {
  publish: [StreamEvent];
  unpublish: [StreamEvent];
  play: [ClientEvent];
  stop: [ClientEvent];
}

export interface ServerStatsSnapshot {
  /** The objects of /api/v1/streams (SRS's shape). */
  streams: JsonValue[];
  /** The objects of /api/v1/clients. */
  clients: JsonValue[];
  /** Bytes sent and received since start, closed connections included. */
  sendBytes: number;
  recvBytes: number;
}

/** Object form → SRS config text. Keys are directive names; nested objects are blocks. */
export function configText(obj: ConfigObject): string {
  const lines: string[] = [];
  const arg = (v: ConfigScalar): string => {
    const s = typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);
    return /^[^\s;{}"'#]+$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  };
  const write = (o: ConfigObject, indent: string): void => {
    for (const [name, value] of Object.entries(o)) {
      if (name === 'vhost' && isBlock(value)) {
        for (const [vname, body] of Object.entries(value)) {
          lines.push(`${indent}vhost ${arg(vname)} {`);
          if (isBlock(body)) write(body, `${indent}    `);
          lines.push(`${indent}}`);
        }
      } else if (isBlock(value)) {
        lines.push(`${indent}${name} {`);
        write(value, `${indent}    `);
        lines.push(`${indent}}`);
      } else if (Array.isArray(value) && value.some(isBlock)) {
        for (const b of value) {
          lines.push(`${indent}${name} {`);
          if (isBlock(b)) write(b, `${indent}    `);
          lines.push(`${indent}}`);
        }
      } else {
        const args = (Array.isArray(value) ? value : [value]) as ConfigScalar[];
        lines.push(`${indent}${name} ${args.map(arg).join(' ')};`);
      }
    }
  };
  write(obj, '');
  return `${lines.join('\n')}\n`;
}

function isBlock(v: unknown): v is ConfigObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parse(config: string | ConfigObject, env: Record<string, string | undefined>): SrsConfig {
  const text = typeof config === 'string' ? config : configText(config);
  return parseConfigText(text, '<embedded>', undefined, env);
}

/** A running tsrs server inside this process. */
export class EmbeddedServer extends EventEmitter<EmbeddedServerEvents> {
  private readonly server: Server;
  private readonly env: Record<string, string | undefined>;
  private poller: NodeJS.Timeout | undefined;
  private readonly viewers = new Map<string, ClientEvent>();
  private stopped = false;

  private constructor(config: SrsConfig, options: EmbeddedServerOptions) {
    super();
    this.env = options.env ?? {};
    this.server = new Server(config);
    const emitStream = (name: 'publish' | 'unpublish', s: LiveSource): void => {
      this.safeEmit(name, { vhost: s.vhost, app: s.app, stream: s.stream });
    };
    this.server.ctx.registry.addPublishListener({
      onPublish: (s) => emitStream('publish', s),
      onUnpublish: (s) => emitStream('unpublish', s),
    });
    if (options.api !== false) registerApiRoutes(this.server, { argv: ['tsrs', '(embedded)'] });
  }

  /** Parse the config, start every listener; rejects with the reason when the config or a port is bad. */
  static async start(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
    const s = new EmbeddedServer(parse(options.config, options.env ?? {}), options);
    try {
      await s.server.start();
    } catch (err) {
      await s.stop();
      throw err;
    }
    s.poller = setInterval(() => s.pollViewers(), options.clientPollMs ?? 200);
    s.poller.unref();
    return s;
  }

  /** The config in force. */
  get config(): SrsConfig {
    return this.server.config;
  }

  /** Config warnings (unsupported directives...), as the command line prints them. */
  get warnings(): readonly string[] {
    return this.server.config.warnings;
  }

  /** Streams and clients as /api/v1/streams and /api/v1/clients report them, and the byte totals. */
  stats(): ServerStatsSnapshot {
    const ctx = this.server.ctx;
    const totals = ctx.stats.totals();
    return {
      streams: collectStreams(ctx).map((s) => streamObject(ctx, s)),
      clients: listClients(ctx).map((c) => clientObject(ctx, c)),
      sendBytes: totals.sendBytes,
      recvBytes: totals.recvBytes,
    };
  }

  /** Apply a new config, as SIGHUP does; returns what needs a restart to change. Throws ConfigError. */
  reload(config: string | ConfigObject): string[] {
    return this.server.reload(parse(config, this.env));
  }

  /** Stop listening, drop clients, close files and the log. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    await this.server.stop();
    await this.server.logWriter.close();
  }

  // Viewers (play and stop) are read from the client records every clientPollMs: every protocol keeps
  // one, so one diff covers RTMP, HTTP-FLV/TS, HLS (hls_ctx) and what comes later.
  private pollViewers(): void {
    const seen = new Set<string>();
    for (const c of listClients(this.server.ctx)) {
      const st = c.stat;
      if (st.publish || st.type === '') continue;
      seen.add(st.id);
      if (this.viewers.has(st.id)) continue;
      const e: ClientEvent = { id: st.id, vhost: st.vhost, app: st.app, stream: st.stream, type: st.type, ip: st.ip };
      this.viewers.set(st.id, e);
      this.safeEmit('play', e);
    }
    for (const [id, e] of this.viewers) {
      if (seen.has(id)) continue;
      this.viewers.delete(id);
      this.safeEmit('stop', e);
    }
  }

  /** A listener that throws must not break the server: it is logged, like a failing feature. */
  private safeEmit<K extends keyof EmbeddedServerEvents>(name: K, ...args: EmbeddedServerEvents[K]): void {
    try {
      (this.emit as (n: K, ...a: EmbeddedServerEvents[K]) => boolean)(name, ...args);
    } catch (err) {
      this.server.ctx.log.error(`embedded ${name} listener failed: ${errorMessage(err)}`);
    }
  }
}

/** Start a tsrs server in this process (see EmbeddedServer). */
export function startServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  return EmbeddedServer.start(options);
}
