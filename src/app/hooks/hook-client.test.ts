import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { ErrorCode, TimeoutError } from '../../core/errors.js';
import { HookError, httpCall } from './hook-client.js';

async function withServer(onRequest: http.RequestListener, fn: (url: string) => Promise<void>): Promise<void> {
  const server = http.createServer(onRequest);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await fn(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('a hook that never answers rejects with a TimeoutError naming the URL', async () => {
  await withServer(
    () => {}, // take the request, never answer
    async (url) => {
      const started = Date.now();
      const err = await httpCall('POST', url, '{}', { timeoutMs: 200 }).then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof TimeoutError, String(err));
      assert.equal(err.code, ErrorCode.SocketTimeout);
      assert.equal(err.message, `hook ${url}: timeout after 200ms`);
      assert.ok(Date.now() - started < 5000);
    },
  );
});

test('a hook whose connection fails rejects with a HookError, not a TimeoutError', async () => {
  await withServer(
    (req) => req.socket.destroy(),
    async (url) => {
      const err = await httpCall('POST', url, '{}', { timeoutMs: 5000 }).then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof HookError && !(err instanceof TimeoutError), String(err));
      assert.equal(err.code, ErrorCode.SocketRead);
    },
  );
});
