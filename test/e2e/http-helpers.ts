// HTTP clients for the e2e tests: plain requests (HTTP or HTTPS with a test CA), raw socket exchanges
// for malformed/slow clients, a streaming reader for live HTTP-FLV, and polling for eventual state.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** Parsed JSON answers are checked field by field; `any` keeps those checks short. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** PEM CA for HTTPS (a self-signed test certificate). */
  ca?: string | Buffer;
  timeoutMs?: number;
}

/** One request with node:http/https (no redirects followed, no connection reuse). */
export function request(url: string, opts: RequestOptions = {}): Promise<HttpResult> {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca, agent: false, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** GET and parse JSON (asserting the content type is JSON). */
export async function getJson<T = Json>(url: string, opts: RequestOptions = {}): Promise<{ res: HttpResult; json: T }> {
  const res = await request(url, opts);
  if (!String(res.headers['content-type']).startsWith('application/json')) {
    throw new Error(`${url}: expected JSON, got ${res.status} ${String(res.headers['content-type'])}: ${res.text.slice(0, 200)}`);
  }
  return { res, json: JSON.parse(res.text) as T };
}

/** Write raw bytes, collect everything until the server closes (or timeoutMs, then destroy). */
export function rawExchange(port: number, data: string | Buffer, timeoutMs = 10_000): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let out = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      c.destroy();
    }, timeoutMs);
    c.on('data', (b) => (out += b.toString('latin1')));
    c.on('error', () => {});
    c.on('close', () => {
      clearTimeout(timer);
      resolve({ text: out, closedByServer: !timedOut });
    });
    c.write(data);
  });
}

/** A live HTTP response being read: counts bytes, resolves `ended` when the server ends or drops it. */
export interface StreamReader {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes(): number;
  /** Resolves once at least n bytes arrived. */
  waitBytes(n: number, timeoutMs?: number): Promise<void>;
  ended: Promise<void>;
  close(): void;
}

export function openStream(url: string): Promise<StreamReader> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let n = 0;
      const waiters = new Set<() => void>();
      res.on('data', (b: Buffer) => {
        n += b.length;
        for (const w of [...waiters]) w();
      });
      res.on('error', () => {});
      const ended = new Promise<void>((r) => {
        res.on('close', () => r());
        res.on('end', () => r());
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        bytes: () => n,
        waitBytes: (want, timeoutMs = 10_000) =>
          new Promise<void>((ok, fail) => {
            const check = (): void => {
              if (n >= want) {
                clearTimeout(timer);
                waiters.delete(check);
                ok();
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`${url}: ${n} of ${want} bytes after ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

/** Re-evaluate `probe` until it returns a value (not undefined), at most timeoutMs. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolve when the promise settles, reject after timeoutMs. */
export function within<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
