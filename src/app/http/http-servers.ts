// The HTTP side of the server (SRS SrsServer http_handle/listen): the HTTP server port (static files,
// per-vhost http_static, live remux), the HTTP API port (routes added by the api layer, /console/),
// their HTTPS twins and the exporter port. When `http_api.listen` equals `http_server.listen` one
// listener serves both and the API routes live in the server's mux ("reuse", http-api.md §1).
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { ConfigError, ErrorCode, TsrsError, errorMessage } from '../../core/errors.js';
import type { Endpoint, SrsConfig } from '../../config/index.js';
import { DEFAULT_HTTP_LIMITS, HttpListener, type HttpLimits } from '../../transport/http-listener.js';
import type { ServerContext } from '../context.js';
import { HttpRemux } from '../http-flv/index.js';
import { HttpMux, type HttpHandler } from './http-mux.js';
import { readFile } from 'node:fs/promises';
import { resolveStaticPath, staticFilesHandler, type MemoryFileLike } from './static-files.js';
import { HlsContexts } from '../hls/index.js';

export interface HttpPorts {
  /** http_server.listen */
  http?: number;
  /** http_server.https.listen */
  https?: number;
  /** http_api.listen (equals `http` when the API reuses the server port) */
  api?: number;
  /** http_api.https.listen */
  apiHttps?: number;
  /** exporter.listen */
  exporter?: number;
}

type Role = keyof HttpPorts;

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && a.host === b.host;
}

/** SRS: the API shares the HTTP server when both are on and their HTTP (and HTTPS) listens are equal. */
export function apiReusesServer(config: SrsConfig): boolean {
  const api = config.httpApi;
  const srv = config.httpServer;
  return api.enabled && srv.enabled && sameEndpoint(api.listen, srv.listen) && sameEndpoint(api.https.listen, srv.https.listen);
}

interface StaticMount {
  pattern: string;
  dir: string;
}

/** The static mounts a config asks for: vhost http_static blocks, then http_server.dir at `/` unless taken. */
export function staticMountsOf(config: SrsConfig): StaticMount[] {
  const mounts: StaticMount[] = [];
  if (!config.httpServer.enabled) return mounts;
  for (const v of config.vhosts.values()) {
    if (!v.enabled || !v.httpStatic.enabled) continue;
    let mount = v.httpStatic.mount.replace(/\[vhost\]/g, v.name);
    if (mount !== '/' && !mount.endsWith('/')) mount += '/';
    mount = mount.replace('__defaultVhost__/', '/');
    if (mounts.some((m) => m.pattern === mount)) continue;
    mounts.push({ pattern: mount, dir: v.httpStatic.dir.replace(/\[vhost\]/g, v.name) });
  }
  if (!mounts.some((m) => m.pattern === '/')) mounts.push({ pattern: '/', dir: config.httpServer.dir });
  return mounts;
}

export class HttpServers {
  /** Routes of the HTTP server port. */
  readonly serverMux: HttpMux;
  /** Routes of the HTTP API port (the same object as serverMux when the API reuses the server port). */
  readonly apiMux: HttpMux;
  readonly remux: HttpRemux;
  readonly hlsCtx: HlsContexts;
  readonly reuse: boolean;
  private readonly listeners: { role: Role; listener: HttpListener }[] = [];
  private staticFor: SrsConfig | null = null;
  private staticPatterns: string[] = [];

  constructor(
    private readonly ctx: ServerContext,
    private readonly limits: HttpLimits = DEFAULT_HTTP_LIMITS,
  ) {
    const config = ctx.config();
    this.reuse = apiReusesServer(config);
    // SRS 5 applies http_server.crossdomain to every HTTP connection, API included (config.md §3.2).
    const muxOptions = { crossdomain: () => this.ctx.config().httpServer.crossdomain, log: ctx.log };
    this.serverMux = new HttpMux(muxOptions);
    this.apiMux = this.reuse ? this.serverMux : new HttpMux(muxOptions);
    this.remux = new HttpRemux(ctx);
    this.hlsCtx = new HlsContexts(ctx);

    // Static mounts follow the config: vhosts added by a reload get their http_static (config.md §5).
    this.serverMux.intercept(() => {
      this.syncStaticMounts();
      return false;
    }, true);
    // Live streams first, then static files; /api/ and /console/ never go to the live mounts (SRS
    // SrsHttpServer::serve_http).
    this.serverMux.intercept((req, res, url) => {
      const p = url.pathname;
      if (p.startsWith('/api/') || p.startsWith('/console/')) return false;
      return this.remux.tryHandle(req, res, url);
    });
    // HLS viewer sessions (hls_ctx) see playlist and segment requests before the static files serve them.
    this.serverMux.intercept((req, res, url) => this.hlsCtx.tryHandle(req, res, url, (path) => this.readText(path)));
    this.syncStaticMounts();
    if (!this.reuse) {
      this.apiMux.handle('/console/', this.consoleHandler());
    }
  }

  /**
   * Files served from memory when found there (the HLS service's hls_storage ram|both files and its cache
   * of the disk's live window): the static mounts of the server port look a file up here before the disk,
   * so a URL answers from memory exactly the file it would read from disk.
   */
  memoryFiles: { get(path: string): MemoryFileLike | undefined } | null = null;

  private memoryFile(urlPath: string): MemoryFileLike | undefined {
    if (!this.memoryFiles) return undefined;
    const file = resolveStaticPath(this.ctx.config().httpServer.dir, '/', urlPath);
    return file ? this.memoryFiles.get(file) : undefined;
  }

  /** A playlist's text from memory, else from the web root on disk; null when there is none. */
  private async readText(urlPath: string): Promise<string | null> {
    const mem = this.memoryFile(urlPath);
    if (mem) return mem.bytes.toString('utf8');
    const file = resolveStaticPath(this.ctx.config().httpServer.dir, '/', urlPath);
    if (!file) return null;
    try {
      return await readFile(file, 'utf8');
    } catch {
      return null;
    }
  }

  /** `/console/` on the API port: `<http_server.dir>/console` (read per request, follows the config). */
  private consoleHandler(): HttpHandler {
    return (req, res, route) =>
      staticFilesHandler({ dir: join(this.ctx.config().httpServer.dir, 'console'), log: this.ctx.log })(req, res, route);
  }

  private syncStaticMounts(): void {
    const config = this.ctx.config();
    if (this.staticFor === config) return;
    this.staticFor = config;
    for (const p of this.staticPatterns) this.serverMux.unhandle(p);
    this.staticPatterns = [];
    for (const m of staticMountsOf(config)) {
      // API routes registered on a shared mux keep priority over a static mount at the same pattern.
      if (this.reuse && this.serverMux.has(m.pattern) && m.pattern !== '/') continue;
      this.serverMux.handle(m.pattern, staticFilesHandler({ dir: m.dir, log: this.ctx.log, memory: (file) => this.memoryFiles?.get(file) }));
      this.staticPatterns.push(m.pattern);
    }
  }

  /** Open the configured listeners. Failure to bind or to read a TLS key fails the start. */
  async start(): Promise<void> {
    const config = this.ctx.config();
    const srv = config.httpServer;
    const api = config.httpApi;
    const onServer = (req: IncomingMessage, res: ServerResponse): void => this.serverMux.serve(req, res);
    const onApi = (req: IncomingMessage, res: ServerResponse): void => this.apiMux.serve(req, res);
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      let taken = false;
      try {
        taken = this.remux.tryUpgrade(req, socket, head);
      } catch (err) {
        this.ctx.log.warn(`http: upgrade failed: ${errorMessage(err)}`);
      }
      if (!taken) socket.destroy();
    };
    const taken: { ep: Endpoint; label: string; tls: boolean; handler: typeof onServer }[] = [];
    const add = async (role: Role, label: string, ep: Endpoint, handler: typeof onServer, tls?: { key: Buffer; cert: Buffer }, upgrade?: typeof onUpgrade): Promise<void> => {
      const same = taken.find((t) => ep.port !== 0 && t.ep.port === ep.port);
      if (same) {
        // Only a listener that would answer exactly the same way can be shared (e.g. exporter = API port).
        if (sameEndpoint(same.ep, ep) && same.tls === (tls !== undefined) && same.handler === handler) {
          this.ctx.log.trace(`${label}: reuse the ${same.label} listener at ${ep.host}:${ep.port}`);
          return;
        }
        throw new ConfigError(`${label} cannot listen at ${ep.host}:${ep.port}: ${same.label} is there`);
      }
      const listener = new HttpListener({
        host: ep.host,
        port: ep.port,
        tls,
        limits: this.limits,
        onRequest: handler,
        onUpgrade: upgrade,
        admit: (socket) => this.admit(socket),
        onClientError: (err, status, socket) => {
          if (status) this.ctx.log.info(`http: ${status} for client ${socket.remoteAddress ?? ''}: ${err.code ?? err.message}`);
        },
      });
      await listener.listen();
      taken.push({ ep, label, tls: tls !== undefined, handler });
      this.listeners.push({ role, listener });
      this.ctx.log.trace(`${label} listen at ${ep.host}:${listener.port}`);
    };

    if (srv.enabled) {
      await add('http', 'HTTP-Server', srv.listen, onServer, undefined, onUpgrade);
      if (srv.https.enabled) await add('https', 'HTTPS-Server', srv.https.listen, onServer, readTls(srv.https.key, srv.https.cert), onUpgrade);
    }
    if (api.enabled) {
      if (this.reuse) {
        this.ctx.log.trace(`HTTP-API: reuse the HTTP server at ${srv.listen.host}:${srv.listen.port}`);
      } else {
        await add('api', 'HTTP-API', api.listen, onApi);
        if (api.https.enabled) {
          // SRS 5 uses http_server.https's key/cert on every HTTPS port; we prefer the API's own pair.
          await add('apiHttps', 'HTTPS-API', api.https.listen, onApi, readTls(api.https.key, api.https.cert, srv.https.key, srv.https.cert));
        }
      }
    }
    if (config.exporter.enabled) await add('exporter', 'Exporter-Server', config.exporter.listen, onApi);
  }

  /** max_connections covers every listener (SRS's resource manager counts HTTP connections too). */
  private admit(socket: net.Socket): boolean {
    const slot = this.ctx.admission.openConnection('http', socket.remoteAddress ?? '');
    if (!slot) return false;
    socket.once('close', () => slot.release());
    return true;
  }

  /** The actual bound ports by role (useful when configured with port 0). */
  get ports(): HttpPorts {
    const ports: HttpPorts = {};
    for (const { role, listener } of this.listeners) ports[role] = listener.port;
    if (this.reuse && ports.http !== undefined) {
      ports.api = ports.http;
      if (ports.https !== undefined && this.ctx.config().httpApi.https.enabled) ports.apiHttps = ports.https;
    }
    return ports;
  }

  /** Close listeners and every HTTP connection, live viewers included. */
  async stop(): Promise<void> {
    this.remux.close();
    this.hlsCtx.close();
    const all = this.listeners.splice(0).map(({ listener }) => listener.close(true));
    await Promise.all(all);
  }
}

function readTls(key: string, cert: string, fallbackKey?: string, fallbackCert?: string): { key: Buffer; cert: Buffer } {
  try {
    return { key: readFileSync(key), cert: readFileSync(cert) };
  } catch (err) {
    if (fallbackKey && fallbackCert && (fallbackKey !== key || fallbackCert !== cert)) return readTls(fallbackKey, fallbackCert);
    throw new TsrsError(ErrorCode.HttpsKeyCert, `cannot read TLS key ${key} / cert ${cert}: ${errorMessage(err)}`);
  }
}
