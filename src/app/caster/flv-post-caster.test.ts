// The FLV POST caster over real loopback HTTP with an FLV fixture: a body with a Content-Length and a
// chunked one split at odd offsets publish every tag to `[app]/[stream]` of the path and unpublish when
// the body ends; a body that is not FLV gets a 400 before any hook; a refused publish gets a 403; a
// client that hangs up mid-body unpublishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { parseConfigText } from '../../config/index.js';
import { demuxFlv } from '../../kernel/format/flv.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { DEFAULT_HTTP_LIMITS } from '../../transport/http-listener.js';
import { readFixture } from '../../../test/fixtures/index.js';
import { casterTestContext } from './caster-test-helpers.js';
import { FlvPostCaster } from './flv-post-caster.js';

const FLV = readFixture('h264-aac.flv');
const TAGS = demuxFlv(FLV).tags.length;

async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** POST `pieces` (chunked unless `length`), a tick apart; resolves with the status and body. */
function post(port: number, path: string, pieces: Buffer[], length = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const total = pieces.reduce((n, p) => n + p.length, 0);
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: length ? { 'Content-Length': total } : {} }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    const next = (i: number): void => {
      if (i === pieces.length) {
        req.end();
        return;
      }
      req.write(pieces[i]);
      setImmediate(() => next(i + 1));
    };
    next(0);
  });
}

async function setup() {
  const port = await freeTcpPort();
  const config = parseConfigText(`listen 1935; stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]; listen ${port}; } vhost __defaultVhost__ { }`, 'c.conf');
  const t = casterTestContext(config);
  const caster = new FlvPostCaster(t.ctx, config.streamCasters[0]!, { limits: DEFAULT_HTTP_LIMITS, host: '127.0.0.1' });
  await caster.start();
  const got: MediaFrame[] = [];
  const source = t.ctx.registry.obtain('__defaultVhost__', 'show', 'cam1', { gopCache: true, gopCacheMaxFrames: 2500, reduceSequenceHeader: false });
  source.addSink({ id: 'rec', offer: (f) => got.push(f) });
  return { ...t, port, caster, source, got };
}

test('FLV POST with a Content-Length and chunked at odd offsets: every tag published to [app]/[stream], unpublished at the end', async () => {
  const s = await setup();
  try {
    const r = await post(s.port, '/show/cam1.flv?token=abc', [FLV], true);
    assert.equal(r.status, 200);
    assert.equal(s.source.isPublishing, false);
    assert.equal(s.got.length, TAGS);
    const pub = s.hooks.calls.find((c) => c.action === 'on_publish')!;
    assert.equal(pub.client.app, 'show');
    assert.equal(pub.client.stream, 'cam1');
    assert.equal(pub.client.param, '?token=abc');
    assert.equal(pub.client.ip, '127.0.0.1');
    assert.deepEqual(
      s.hooks.calls.map((c) => c.action),
      ['on_connect', 'on_publish', 'on_unpublish', 'on_close'],
    );

    // Chunked, cut at offsets that split the header, tag headers and bodies.
    const pieces: Buffer[] = [];
    for (let p = 0, k = 1; p < FLV.length; k = (k * 7 + 3) % 997) {
      pieces.push(FLV.subarray(p, Math.min(FLV.length, p + k + 1)));
      p += k + 1;
    }
    const before = s.got.length;
    const c = await post(s.port, '/show/cam1.flv', pieces);
    assert.equal(c.status, 200);
    assert.equal(s.got.length - before, TAGS);
    assert.equal(s.hooks.calls.filter((x) => x.action === 'on_unpublish').length, 2);
    assert.equal(s.stats.allClients().length, 0, 'records ended');
  } finally {
    await s.caster.stop();
  }
});

test('FLV POST: not FLV gets a 400 before any hook; bad path 400; GET 405; refused publish 403', async () => {
  const s = await setup();
  try {
    const bad = await post(s.port, '/show/cam1.flv', [Buffer.from('GIF89a this is not a video at all')]);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /not an FLV stream/);
    assert.equal(s.hooks.calls.length, 0);
    assert.ok(s.lines.some((l) => /POST \/show\/cam1 from 127\.0\.0\.1: not an FLV stream/.test(l)));
    assert.equal((await post(s.port, '/show/cam1.flv', [Buffer.from('FL')])).status, 400, 'body ends before the header');
    assert.equal((await post(s.port, '/cam1.flv', [FLV])).status, 400);
    const get = await new Promise<number>((resolve) => http.get({ host: '127.0.0.1', port: s.port, path: '/show/cam1.flv', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }));
    assert.equal(get, 405);
    s.hooks.deny.add('on_publish');
    const refused = await post(s.port, '/show/cam1.flv', [FLV], true);
    assert.equal(refused.status, 403);
    assert.equal(s.source.isPublishing, false);
    assert.equal(s.got.length, 0);
  } finally {
    await s.caster.stop();
  }
});

test('FLV POST: a client that hangs up mid-body unpublishes', async () => {
  const s = await setup();
  try {
    const sock = net.connect(s.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`POST /show/cam1.flv HTTP/1.1\r\nHost: x\r\nContent-Length: ${FLV.length}\r\n\r\n`);
    sock.write(FLV.subarray(0, FLV.length >> 1));
    await until('published', () => s.source.isPublishing && s.got.length > 0);
    sock.destroy();
    await until('unpublished', () => !s.source.isPublishing);
    assert.ok(s.hooks.calls.some((c) => c.action === 'on_unpublish'));
  } finally {
    await s.caster.stop();
  }
});

test('FLV POST: security deny applies to the sender IP (403); an API kick ends the publish and the connection', async () => {
  const port = await freeTcpPort();
  const config = parseConfigText(
    `listen 1935; stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]; listen ${port}; }
     vhost __defaultVhost__ { security { enabled on; deny publish 127.0.0.1; allow publish all; allow play all; } }`,
    'c.conf',
  );
  const t = casterTestContext(config);
  const caster = new FlvPostCaster(t.ctx, config.streamCasters[0]!, { limits: DEFAULT_HTTP_LIMITS, host: '127.0.0.1' });
  await caster.start();
  try {
    const denied = await post(port, '/show/cam1.flv', [FLV], true);
    assert.equal(denied.status, 403);
    assert.ok(t.lines.some((l) => /publish show\/cam1 from 127\.0\.0\.1 refused/.test(l)));
  } finally {
    await caster.stop();
  }

  const s = await setup();
  try {
    const sock = net.connect(s.port, '127.0.0.1');
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`POST /show/cam1.flv HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${FLV.length.toString(16)}\r\n`);
    sock.write(FLV);
    await until('published', () => s.source.isPublishing);
    const record = s.stats.allClients().find((c) => c.stat.publish)!.stat;
    assert.equal(record.type, 'flv-caster');
    record.kick('api');
    await until('unpublished', () => !s.source.isPublishing);
    await closed;
  } finally {
    await s.caster.stop();
  }
});

test('FLV POST: a body that lasts longer than the HTTP request deadline keeps publishing (live bodies have none)', async () => {
  const port = await freeTcpPort();
  const config = parseConfigText(`listen 1935; stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]; listen ${port}; } vhost __defaultVhost__ { }`, 'c.conf');
  const t = casterTestContext(config);
  // A 300 ms whole-request deadline on the server's other HTTP ports; the caster lifts it.
  const caster = new FlvPostCaster(t.ctx, config.streamCasters[0]!, { limits: { ...DEFAULT_HTTP_LIMITS, headersTimeoutMs: 200, requestTimeoutMs: 300 }, host: '127.0.0.1' });
  await caster.start();
  try {
    const pieces: Buffer[] = [];
    for (let p = 0; p < FLV.length; p += 1024) pieces.push(FLV.subarray(p, p + 1024));
    const started = Date.now();
    const r = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/show/slow.flv', method: 'POST', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      let i = 0;
      const timer = setInterval(() => {
        if (i < pieces.length) req.write(pieces[i++]);
        else {
          clearInterval(timer);
          req.end();
        }
      }, 1000 / pieces.length + 60);
    });
    assert.equal(r, 200);
    assert.ok(Date.now() - started > 900, 'the body took longer than the deadline');
  } finally {
    await caster.stop();
  }
});
