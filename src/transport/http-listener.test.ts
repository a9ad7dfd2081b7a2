import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { clientErrorStatus, HttpListener } from './http-listener.js';

describe('clientErrorStatus', () => {
  test('maps parser errors to HTTP statuses', () => {
    const e = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
    assert.equal(clientErrorStatus(e('HPE_HEADER_OVERFLOW')), 431);
    assert.equal(clientErrorStatus(e('ERR_HTTP_REQUEST_TIMEOUT')), 408);
    assert.equal(clientErrorStatus(e('HPE_INVALID_METHOD')), 400);
    assert.equal(clientErrorStatus(e('HPE_INVALID_CONSTANT')), 400);
    assert.equal(clientErrorStatus(e('ECONNRESET')), 0);
  });
});

/** Connect, send `data`, collect everything until the server closes. */
function exchange(port: number, data: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let out = '';
    c.on('data', (b) => (out += b.toString('latin1')));
    c.on('error', () => {});
    c.on('close', () => resolve(out));
    c.write(data);
  });
}

describe('HttpListener limits', () => {
  let listener: HttpListener;
  let port: number;
  const errors: number[] = [];
  before(async () => {
    listener = new HttpListener({
      host: '127.0.0.1',
      port: 0,
      limits: { headersTimeoutMs: 400, requestTimeoutMs: 2000, keepAliveTimeoutMs: 500, maxHeaderSize: 2048 },
      onRequest: (_req, res) => res.end('ok'),
      onClientError: (_err, status) => errors.push(status),
    });
    await listener.listen();
    port = listener.port;
  });
  after(() => listener.close(true));

  test('keep-alive: two requests on one connection', async () => {
    const out = await exchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(out.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
  });

  test('requests without Host are served (HTTP/1.0 style clients)', async () => {
    const out = await exchange(port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 200/);
  });

  test('a malformed request line gets 400 and the connection closes', async () => {
    assert.match(await exchange(port, 'THIS IS NOT HTTP\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request/);
  });

  test('CONNECT gets 405 with Allow, not a silent close', async () => {
    const out = await exchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    assert.match(out, /\r\nAllow: GET, HEAD, POST, PUT, DELETE, OPTIONS\r\n/);
  });

  test('headers bigger than maxHeaderSize get 431', async () => {
    const out = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 431 /);
  });

  test('a client trickling its headers is cut off by headersTimeout (408)', async () => {
    const started = Date.now();
    const c = net.connect(port, '127.0.0.1');
    const request = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n';
    let i = 0;
    const timer = setInterval(() => {
      if (!c.destroyed && i < request.length) c.write(request[i++]!);
    }, 20);
    let out = '';
    c.on('data', (b) => (out += b.toString('latin1')));
    c.on('error', () => {});
    await new Promise<void>((resolve) => c.on('close', () => resolve()));
    clearInterval(timer);
    assert.match(out, /^HTTP\/1\.1 408 /);
    // It was cut off long before it could finish (the full head would take > 1 s at this rate).
    assert.ok(i < request.length, `sent ${i} of ${request.length} bytes`);
    assert.ok(Date.now() - started < 5000);
  });

  test('a silent connection is closed too', async () => {
    const out = await exchange(port, '');
    assert.match(out, /^HTTP\/1\.1 408 /);
  });

  test('the listener still serves after all that', async () => {
    assert.match(await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /200 OK[\s\S]*ok$/);
    assert.ok(errors.includes(400) && errors.includes(431) && errors.includes(408));
  });
});

describe('HttpListener admission', () => {
  test('admit() false closes the connection before any byte', async () => {
    const l = new HttpListener({
      host: '127.0.0.1',
      port: 0,
      limits: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 500, maxHeaderSize: 2048 },
      onRequest: (_req, res) => res.end('ok'),
      admit: () => false,
    });
    await l.listen();
    try {
      assert.equal(await exchange(l.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), '');
    } finally {
      await l.close(true);
    }
  });
});
