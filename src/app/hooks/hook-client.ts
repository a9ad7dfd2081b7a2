// Outbound HTTP for callbacks: SRS's request shape and accept rule (http-callbacks.md §2, §3).
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { ErrorCode, TimeoutError, TsrsError } from '../../core/errors.js';
import { SERVER_SIGNATURE } from '../../core/version.js';

/** SRS error codes for a failed callback. */
export const HookErrorCode = {
  HttpStatus: ErrorCode.HttpStatus,
  InvalidBody: ErrorCode.HookInvalidBody,
  CodeNotZero: ErrorCode.HookCodeNotZero,
  Transport: ErrorCode.SocketRead,
} as const;

export class HookError extends TsrsError {}

export interface HookRequestOptions {
  timeoutMs: number;
  /** HMAC-SHA256 key: when set, `X-Tsrs-Signature: sha256=<hex of HMAC(body)>` is added (beyond SRS). */
  secret?: string;
}

export interface HookResponse {
  status: number;
  body: string;
}

/** POST (or GET with no body) a URL and collect the answer; rejects on transport errors and timeouts. */
export function httpCall(method: 'POST' | 'GET', url: string, body: string, opts: HookRequestOptions, maxBody = 64 * 1024): Promise<HookResponse> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new HookError(HookErrorCode.Transport, `invalid hook url ${url}`));
      return;
    }
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!lib) {
      reject(new HookError(HookErrorCode.Transport, `unsupported hook url ${url}`));
      return;
    }
    const headers: Record<string, string | number> = {
      Connection: 'Keep-Alive',
      'User-Agent': SERVER_SIGNATURE,
    };
    if (method === 'POST') {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
      if (opts.secret) headers['X-Tsrs-Signature'] = `sha256=${createHmac('sha256', opts.secret).update(body).digest('hex')}`;
    }
    const req = lib.request(u, { method, headers, timeout: opts.timeoutMs, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < maxBody) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => reject(new HookError(HookErrorCode.Transport, `hook ${url} response: ${err.message}`)));
    });
    req.on('timeout', () => req.destroy(new TimeoutError(`hook ${url}: timeout after ${opts.timeoutMs}ms`)));
    req.on('error', (err) => reject(err instanceof TimeoutError ? err : new HookError(HookErrorCode.Transport, `hook ${url}: ${err.message}`)));
    if (method === 'POST') req.end(body);
    else req.end();
  });
}

/** SRS's rule: 200/201, a non-empty body that is exactly `0` or a JSON object with integer `code` 0. */
export function checkHookResponse(url: string, r: HookResponse): void {
  if (r.status !== 200 && r.status !== 201) throw new HookError(HookErrorCode.HttpStatus, `hook ${url}: HTTP status ${r.status}`);
  if (r.body.length === 0) throw new HookError(HookErrorCode.InvalidBody, `hook ${url}: empty body`);
  let v: unknown;
  try {
    v = JSON.parse(r.body);
  } catch {
    throw new HookError(HookErrorCode.InvalidBody, `hook ${url}: body is not JSON: ${r.body.slice(0, 64)}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    if (r.body === '0') return;
    throw new HookError(HookErrorCode.InvalidBody, `hook ${url}: body must be 0 or an object, got ${r.body.slice(0, 64)}`);
  }
  const code = (v as { code?: unknown }).code;
  if (typeof code !== 'number' || !Number.isInteger(code)) throw new HookError(HookErrorCode.CodeNotZero, `hook ${url}: no integer code in ${r.body.slice(0, 64)}`);
  if (code !== 0) throw new HookError(HookErrorCode.CodeNotZero, `hook ${url}: code ${code}`);
}
