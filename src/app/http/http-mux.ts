// SRS-style HTTP request multiplexer (SrsHttpServeMux + SrsHttpCorsMux, http-api.md §1):
// - a pattern ending in `/` matches its whole subtree, any other pattern matches exactly; the longest
//   matching pattern wins;
// - registering `/x/` also answers `/x` with `302 Location: /x/` (query kept) unless `/x` is registered;
// - a pattern not starting with `/` (`host/path`) is host-bound: it matches only requests whose Host is
//   that name, and then takes precedence;
// - a URL containing `..` (also percent-encoded) is refused;
// - CORS headers when the request has `Origin` and crossdomain is on; OPTIONS → 200, or 405 when off;
// - every response carries `Server:`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { ErrorCode, ProtocolError, TsrsError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { SERVER_SIGNATURE } from '../../core/version.js';

export interface HttpRoute {
  /** The pattern that matched (as registered). */
  pattern: string;
  url: URL;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, route: HttpRoute) => void | Promise<void>;

/** Runs before routing; returns true when it answered the request. */
export type HttpInterceptor = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;

interface Entry {
  handler: HttpHandler;
  /** Registered by the caller (an implicit `/x` → `/x/` redirect is not explicit). */
  explicit: boolean;
}

export interface HttpMuxOptions {
  /** CORS on (SRS 5: `http_server.crossdomain` for every HTTP connection). Read per request. */
  crossdomain(): boolean;
  log: Logger;
}

/** Plain-text error in SRS's style: the status text as body (srs_go_http_error). */
export function sendStatus(res: ServerResponse, status: number, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = status === 401 || status === 204 || status === 304 ? '' : (STATUS_CODES[status] ?? String(status));
  res.writeHead(status, { ...extraHeaders, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** SrsHttpRedirectHandler: `Location` with the request's query appended, body `Redirect to <location>`. */
export function sendRedirect(res: ServerResponse, target: string, url: URL, status = 302): void {
  const location = url.search ? `${target}${url.search}` : target;
  const body = `Redirect to ${location}`;
  res.writeHead(status, { Location: location, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** True when the raw request target could walk out of a directory: `..` plain or percent-encoded. */
export function isUncleanUrl(rawUrl: string): boolean {
  // Also %2e%2e, .%2e and %2e. in any case (URL parsers resolve them as `..` segments).
  return rawUrl.replace(/%2e/gi, '.').includes('..');
}

/** Hostname of the Host header, lower-cased, without port or IPv6 brackets. */
export function requestHostname(req: IncomingMessage): string {
  const host = (req.headers.host ?? '').trim().toLowerCase();
  const v6 = host.match(/^\[([^\]]*)\]/);
  if (v6) return v6[1]!;
  const colon = host.indexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Allow-Methods': '*',
  'Access-Control-Expose-Headers': '*',
  'Access-Control-Allow-Credentials': 'false',
};

export class HttpMux {
  private readonly entries = new Map<string, Entry>();
  /** Host names that have host-bound patterns. */
  private readonly hosts = new Map<string, number>();
  private readonly interceptors: HttpInterceptor[] = [];

  constructor(private readonly options: HttpMuxOptions) {}

  /**
   * Register a handler. Re-registering a pattern replaces it. `/x/` also installs an implicit
   * `/x` → `/x/` redirect, which an explicit `/x` registration (before or after) overrides.
   */
  handle(pattern: string, handler: HttpHandler): void {
    if (!pattern) throw new TsrsError(ErrorCode.HttpPatternEmpty, 'empty HTTP pattern');
    this.entries.set(pattern, { handler, explicit: true });
    if (!pattern.startsWith('/')) {
      const host = pattern.slice(0, pattern.indexOf('/') < 0 ? pattern.length : pattern.indexOf('/')).toLowerCase();
      this.hosts.set(host, (this.hosts.get(host) ?? 0) + 1);
    }
    if (pattern !== '/' && pattern.endsWith('/')) {
      const bare = pattern.slice(0, -1);
      const existing = this.entries.get(bare);
      if (!existing || !existing.explicit) {
        this.entries.set(bare, { handler: (_req, res, route) => sendRedirect(res, pattern, route.url, 302), explicit: false });
      }
    }
  }

  /** Remove a pattern (and its implicit redirect). */
  unhandle(pattern: string): void {
    if (!this.entries.delete(pattern)) return;
    if (!pattern.startsWith('/')) {
      const host = pattern.slice(0, pattern.indexOf('/') < 0 ? pattern.length : pattern.indexOf('/')).toLowerCase();
      const n = (this.hosts.get(host) ?? 1) - 1;
      if (n > 0) this.hosts.set(host, n);
      else this.hosts.delete(host);
    }
    if (pattern.endsWith('/')) {
      const bare = pattern.slice(0, -1);
      if (this.entries.get(bare)?.explicit === false) this.entries.delete(bare);
    }
  }

  /** True when `pattern` was registered explicitly. */
  has(pattern: string): boolean {
    return this.entries.get(pattern)?.explicit === true;
  }

  get patterns(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Run `fn` for every request after the URL checks, CORS and OPTIONS, before routing (auth, live
   * streams). `first` puts it ahead of the others.
   */
  intercept(fn: HttpInterceptor, first = false): void {
    if (first) this.interceptors.unshift(fn);
    else this.interceptors.push(fn);
  }

  /** The longest pattern matching `path` on `host` (SrsHttpServeMux::match). */
  match(host: string, path: string): { pattern: string; handler: HttpHandler } | null {
    // Host-specific patterns take precedence over generic ones.
    const target = this.hosts.size > 0 && this.hosts.has(host) ? host + path : path;
    let best: { pattern: string; handler: HttpHandler } | null = null;
    for (const [pattern, entry] of this.entries) {
      if (!pathMatch(pattern, target)) continue;
      if (!best || pattern.length > best.pattern.length) best = { pattern, handler: entry.handler };
    }
    return best;
  }

  /** Serve one request (the listener's request handler). Never throws. */
  serve(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.dispatch(req, res);
    } catch (err) {
      this.fail(res, err);
    }
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Server', SERVER_SIGNATURE);
    const raw = req.url ?? '/';
    if (isUncleanUrl(raw)) {
      // SRS refuses the URL and drops the connection; we say why first.
      this.options.log.warn(`http: refuse unclean url ${JSON.stringify(raw.slice(0, 200))} from ${req.socket.remoteAddress ?? ''}`);
      res.setHeader('Connection', 'close');
      sendStatus(res, 400);
      return;
    }
    let url: URL;
    try {
      url = new URL(raw, 'http://localhost');
      if (url.pathname.includes('%00')) throw new ProtocolError(ErrorCode.HttpUrlNotClean, 'NUL in path');
    } catch {
      res.setHeader('Connection', 'close');
      sendStatus(res, 400);
      return;
    }

    const cors = this.options.crossdomain();
    if (cors && req.headers.origin) for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
    if (req.method === 'OPTIONS') {
      res.writeHead(cors ? 200 : 405, { 'Content-Length': 0 });
      res.end();
      return;
    }

    for (const fn of this.interceptors) if (fn(req, res, url)) return;

    const hit = this.match(requestHostname(req), url.pathname);
    if (!hit) {
      sendStatus(res, 404);
      return;
    }
    const result = hit.handler(req, res, { pattern: hit.pattern, url });
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).catch((err: unknown) => this.fail(res, err));
    }
  }

  private fail(res: ServerResponse, err: unknown): void {
    this.options.log.error(`http: handler failed: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}`);
    if (res.headersSent) res.destroy();
    else sendStatus(res, 500);
  }
}

/** SrsHttpServeMux::path_match: `/x/` matches `/x/...`; other patterns match exactly. */
export function pathMatch(pattern: string, path: string): boolean {
  if (!pattern) return false;
  if (!pattern.endsWith('/')) return pattern === path;
  return path.startsWith(pattern);
}
