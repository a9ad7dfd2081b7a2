import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Logger } from '../../core/logger.js';
import { SERVER_SIGNATURE } from '../../core/version.js';
import { DEFAULT_HTTP_LIMITS, HttpListener } from '../../transport/http-listener.js';
import { HttpMux, isUncleanUrl, pathMatch, requestHostname } from './http-mux.js';

const quiet: Logger = {
  cid: 'test',
  verbose: () => {},
  info: () => {},
  trace: () => {},
  warn: () => {},
  error: () => {},
  child: () => quiet,
};

const noop = (): void => {};

describe('pathMatch', () => {
  test('a pattern ending in / matches its subtree, others match exactly', () => {
    assert.equal(pathMatch('/api/', '/api/'), true);
    assert.equal(pathMatch('/api/', '/api/v1/x'), true);
    assert.equal(pathMatch('/api/', '/api'), false);
    assert.equal(pathMatch('/api', '/api'), true);
    assert.equal(pathMatch('/api', '/api/'), false);
    assert.equal(pathMatch('/', '/anything/at/all'), true);
    assert.equal(pathMatch('', '/'), false);
  });
});

describe('HttpMux.match', () => {
  test('longest pattern wins', () => {
    const mux = new HttpMux({ crossdomain: () => true, log: quiet });
    mux.handle('/', noop);
    mux.handle('/api/', noop);
    mux.handle('/api/v1/', noop);
    mux.handle('/api/v1/streams/', noop);
    assert.equal(mux.match('h', '/api/v1/streams/vid-1')?.pattern, '/api/v1/streams/');
    assert.equal(mux.match('h', '/api/v1/nope')?.pattern, '/api/v1/');
    assert.equal(mux.match('h', '/api/x')?.pattern, '/api/');
    assert.equal(mux.match('h', '/x')?.pattern, '/');
    // The implicit redirect entry for /api/v1/streams is longer than /api/v1/.
    assert.equal(mux.match('h', '/api/v1/streams')?.pattern, '/api/v1/streams');
  });

  test('an explicit /x overrides the implicit /x → /x/ redirect, whatever the order', () => {
    const mux = new HttpMux({ crossdomain: () => true, log: quiet });
    mux.handle('/x', noop);
    mux.handle('/x/', noop);
    assert.equal(mux.has('/x'), true);
    const mux2 = new HttpMux({ crossdomain: () => true, log: quiet });
    mux2.handle('/x/', noop);
    assert.equal(mux2.has('/x'), false);
    assert.ok(mux2.patterns.includes('/x'));
    mux2.unhandle('/x/');
    assert.deepEqual(mux2.patterns, []);
  });

  test('host-bound patterns match only their Host and then take precedence', () => {
    const mux = new HttpMux({ crossdomain: () => true, log: quiet });
    mux.handle('/api/v1/tests/errors', noop);
    mux.handle('error.srs.com/api/v1/tests/errors', noop);
    assert.equal(mux.match('error.srs.com', '/api/v1/tests/errors')?.pattern, 'error.srs.com/api/v1/tests/errors');
    assert.equal(mux.match('other.com', '/api/v1/tests/errors')?.pattern, '/api/v1/tests/errors');
  });
});

describe('isUncleanUrl', () => {
  for (const u of ['/a/../b', '/..', '/a/%2e%2e/b', '/a/%2E%2e/b', '/a/.%2e/b', '/a/%2e./b', '/x?y=..']) {
    test(`refuses ${u}`, () => assert.equal(isUncleanUrl(u), true));
  }
  for (const u of ['/a/b.c', '/a/./b', '/a/%2e/b', '/live/a.b.flv']) {
    test(`accepts ${u}`, () => assert.equal(isUncleanUrl(u), false));
  }
});

describe('requestHostname', () => {
  const req = (host?: string): Parameters<typeof requestHostname>[0] => ({ headers: host === undefined ? {} : { host } }) as never;
  test('drops the port and IPv6 brackets, lower-cases', () => {
    assert.equal(requestHostname(req('Example.COM:8080')), 'example.com');
    assert.equal(requestHostname(req('[::1]:8080')), '::1');
    assert.equal(requestHostname(req()), '');
  });
});

/** Raw HTTP/1.1 exchange: returns status, headers (lower-case) and body of the first response. */
async function raw(port: number, request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let data = '';
    c.on('data', (b) => (data += b.toString('latin1')));
    c.on('error', reject);
    c.on('close', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(lines[0]?.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    c.write(request);
  });
}

describe('HttpMux.serve over a real listener', () => {
  let listener: HttpListener;
  let port: number;
  let cors = true;
  before(async () => {
    const mux = new HttpMux({ crossdomain: () => cors, log: quiet });
    mux.handle('/', (_req, res) => {
      res.end('root');
    });
    mux.handle('/api/v1/streams/', (_req, res, route) => {
      res.end(`streams ${route.url.pathname}`);
    });
    mux.handle('/boom', () => {
      throw new Error('handler bug');
    });
    mux.handle('/async-boom', async () => {
      throw new Error('async handler bug');
    });
    mux.intercept((_req, res, url) => {
      if (url.pathname !== '/taken') return false;
      res.end('intercepted');
      return true;
    });
    listener = new HttpListener({ host: '127.0.0.1', port: 0, limits: DEFAULT_HTTP_LIMITS, onRequest: (req, res) => mux.serve(req, res) });
    await listener.listen();
    port = listener.port;
  });
  after(() => listener.close(true));

  const get = (path: string, extra = ''): Promise<{ status: number; headers: Record<string, string>; body: string }> =>
    raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`);

  test('/x/ answers /x with 302 and keeps the query', async () => {
    const r = await get('/api/v1/streams?start=1&count=2');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, '/api/v1/streams/?start=1&count=2');
    assert.equal(r.body, 'Redirect to /api/v1/streams/?start=1&count=2');
  });

  test('subtree match and Server header', async () => {
    const r = await get('/api/v1/streams/vid-abc');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'streams /api/v1/streams/vid-abc');
    assert.equal(r.headers.server, SERVER_SIGNATURE);
  });

  test('.. is refused with 400 and the connection closed', async () => {
    for (const p of ['/a/../etc/passwd', '/a/%2e%2e/etc/passwd', '/a/.%2E/x']) {
      const r = await get(p);
      assert.equal(r.status, 400, p);
      assert.equal(r.headers.connection, 'close');
    }
  });

  test('CORS headers only with Origin; OPTIONS 200', async () => {
    const plain = await get('/');
    assert.equal(plain.headers['access-control-allow-origin'], undefined);
    const withOrigin = await get('/', 'Origin: http://page.example\r\n');
    assert.equal(withOrigin.headers['access-control-allow-origin'], '*');
    assert.equal(withOrigin.headers['access-control-allow-headers'], '*');
    assert.equal(withOrigin.headers['access-control-allow-methods'], '*');
    assert.equal(withOrigin.headers['access-control-expose-headers'], '*');
    assert.equal(withOrigin.headers['access-control-allow-credentials'], 'false');
    const options = await raw(port, 'OPTIONS /anything HTTP/1.1\r\nHost: x\r\nOrigin: http://p\r\nConnection: close\r\n\r\n');
    assert.equal(options.status, 200);
    assert.equal(options.headers['content-length'], '0');
  });

  test('OPTIONS is 405 and no CORS headers when crossdomain is off', async () => {
    cors = false;
    try {
      const r = await raw(port, 'OPTIONS / HTTP/1.1\r\nHost: x\r\nOrigin: http://p\r\nConnection: close\r\n\r\n');
      assert.equal(r.status, 405);
      assert.equal(r.headers['access-control-allow-origin'], undefined);
    } finally {
      cors = true;
    }
  });

  test('interceptors answer before routing', async () => {
    assert.equal((await get('/taken')).body, 'intercepted');
  });

  test('a throwing handler gives 500 and the server keeps serving', async () => {
    assert.equal((await get('/boom')).status, 500);
    assert.equal((await get('/async-boom')).status, 500);
    assert.equal((await get('/')).body, 'root');
  });

  test('an unmatched path is 404 Not Found', async () => {
    const mux = new HttpMux({ crossdomain: () => true, log: quiet });
    const l = new HttpListener({ host: '127.0.0.1', port: 0, limits: DEFAULT_HTTP_LIMITS, onRequest: (req, res) => mux.serve(req, res) });
    await l.listen();
    try {
      const r = await raw(l.port, 'GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.equal(r.status, 404);
      assert.equal(r.body, 'Not Found');
      assert.match(r.headers['content-type'] ?? '', /^text\/plain/);
    } finally {
      await l.close(true);
    }
  });
});
