// How API answers are written (http-api.md §1): the v5 envelope, SRS's two error styles, JSONP with the
// `method` override, and SRS's error codes for API-level failures.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRoute } from '../app/http/index.js';
import { srsJson, type JsonValue } from './json.js';

/** SRS error codes the API answers with (srs_kernel_error.hpp; http-api.md §7). */
export const ApiCode = {
  Success: 0,
  TestError: 100,
  BadRequest: 400,
  ConfigRaw: 1060,
  ConfigRawDisabled: 1061,
  ExporterDisabled: 1090,
  VhostNotFound: 2014,
  StreamNotFound: 2048,
  ClientNotFound: 2049,
  HttpJsonp: 4058,
} as const;

export interface ApiRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly pattern: string;
  /** The HTTP method, or the JSONP `method=` override (GET, PUT, POST, DELETE). */
  readonly method: string;
  /** JSONP function name, or null for plain JSON. */
  readonly callback: string | null;
  /** The path after the pattern (`/api/v1/clients/<id>` → `<id>`). */
  readonly rest: string;
}

const JSONP_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE']);

/** SRS srs_is_valid_jsonp_callback: only `[A-Za-z0-9_.-]`. */
export function isValidJsonpCallback(name: string): boolean {
  return /^[A-Za-z0-9_.-]*$/.test(name);
}

/**
 * The API view of a request. Returns null when the request was already answered (an invalid JSONP
 * callback: SRS fails the request with 4058; we answer `{"code":4058}` instead of echoing the name).
 */
export function apiRequest(req: IncomingMessage, res: ServerResponse, route: HttpRoute): ApiRequest | null {
  const { url, pattern } = route;
  const cb = url.searchParams.get('callback') ?? '';
  if (!isValidJsonpCallback(cb)) {
    writeBody(res, 'application/json', srsJson({ code: ApiCode.HttpJsonp }));
    return null;
  }
  const callback = cb === '' ? null : cb;
  let method = req.method ?? 'GET';
  const override = url.searchParams.get('method');
  if (callback && override && JSONP_METHODS.has(override)) method = override;
  const rest = url.pathname.length > pattern.length && url.pathname.startsWith(pattern) ? url.pathname.slice(pattern.length) : '';
  return { req, res, url, pattern, method, callback, rest: safeDecode(rest) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function writeBody(res: ServerResponse, contentType: string, body: string, status = 200): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Send a JSON value (as `callback(json)` for JSONP). */
export function sendJson(a: ApiRequest, value: JsonValue, status = 200): void {
  sendRaw(a, srsJson(value), status);
}

/** Send already-serialized JSON (or text, for /metrics) the same way. */
export function sendRaw(a: ApiRequest, text: string, status = 200, contentType = 'application/json'): void {
  if (a.callback) writeBody(a.res, 'text/javascript', `${a.callback}(${text})`, status);
  else writeBody(a.res, contentType, text, status);
}

/** SRS's second error style: HTTP 200 with `{"code":N}` and nothing else. */
export function sendCode(a: ApiRequest, code: number): void {
  sendJson(a, { code });
}

export interface Identity {
  readonly serverId: string;
  readonly serviceId: string;
}

/** `{"code":0,"server":…,"service":…,"pid":"…"}` followed by the payload's keys. */
export function envelope(id: Identity, payload: Record<string, JsonValue | undefined> = {}): Record<string, JsonValue | undefined> {
  return { code: ApiCode.Success, server: id.serverId, service: id.serviceId, pid: String(process.pid), ...payload };
}
