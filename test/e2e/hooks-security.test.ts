// HTTP callbacks, IP security and referer checks with real clients and a recording hook server.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ffmpegPublish, probeStreams, rtmpConf, run, startServer, type RunningServer } from './harness.js';

interface Call {
  path: string;
  body: Record<string, unknown>;
  raw: string;
  signature: string | undefined;
}

/** A callback backend: records every request, answers per path (default allow). */
class HookServer {
  calls: Call[] = [];
  deny = new Set<string>();
  private server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c));
    req.on('end', () => {
      const path = req.url ?? '';
      this.calls.push({ path, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {}, raw, signature: req.headers['x-tsrs-signature'] as string | undefined });
      for (const w of [...this.waiters]) w();
      const refuse = [...this.deny].some((p) => path.startsWith(p));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(refuse ? '{"code":1,"msg":"denied by test"}' : '{"code":0}');
    });
  });
  private waiters = new Set<() => void>();
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
  url(action: string): string {
    return `http://127.0.0.1:${this.port}/${action}`;
  }
  actions(stream: string): string[] {
    return this.calls.filter((c) => c.body.stream === stream || (c.body.action === 'on_close' && this.clientsOf(stream).has(c.body.client_id as string))).map((c) => c.body.action as string);
  }
  private clientsOf(stream: string): Set<string> {
    return new Set(this.calls.filter((c) => c.body.stream === stream).map((c) => c.body.client_id as string));
  }
  waitFor(pred: (calls: Call[]) => boolean, timeoutMs = 15_000, what = 'hook calls'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pred(this.calls)) {
          done();
          resolve();
        }
      };
      const t = setTimeout(() => {
        done();
        reject(new Error(`timeout waiting for ${what}; got ${JSON.stringify(this.calls.map((c) => `${c.body.action}:${c.body.stream}`))}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(t);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

const hooks = new HookServer();
let server: RunningServer;
let rtmp: string;

before(async () => {
  await hooks.start();
  process.env.TSRS_HOOKS_SECRET = 'test-secret';
  server = await startServer((p) =>
    rtmpConf(
      p,
      `http_hooks {
    enabled on;
    on_connect ${hooks.url('connect')};
    on_close ${hooks.url('close')};
    on_publish ${hooks.url('publish')} ${hooks.url('publish2')};
    on_unpublish ${hooks.url('unpublish')};
    on_play ${hooks.url('play')};
    on_stop ${hooks.url('stop')};
  }
  http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }`,
      `http_server { enabled on; listen ${p.http}; dir ./; }
vhost secure.test {
  security { enabled on; allow publish 127.0.0.1; deny play 127.0.0.0/8; }
  http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
}
vhost refer.test {
  refer { enabled on; play studio.example.com; }
}`,
    ),
  );
  delete process.env.TSRS_HOOKS_SECRET;
  rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
});

after(async () => {
  await server.stop();
  await hooks.stop();
});

beforeEach(() => {
  hooks.deny.clear();
});

describe('http hooks', () => {
  test('publish and play: bodies in SRS field order, the full lifecycle, signed', async () => {
    const pub = ffmpegPublish(`${rtmp}/live/hooked?token=abc`);
    await hooks.waitFor((c) => c.some((x) => x.path === '/publish2' && x.body.stream === 'hooked'), 15_000, 'on_publish to both urls');
    const probe = await probeStreams(`${rtmp}/live/hooked`);
    assert.ok(probe.some((s) => s.codec_type === 'video'));
    await pub.stop();
    await hooks.waitFor((c) => c.some((x) => x.body.action === 'on_unpublish' && x.body.stream === 'hooked'), 15_000, 'on_unpublish');
    await hooks.waitFor((c) => c.filter((x) => x.body.action === 'on_close').length >= 2, 15_000, 'on_close for publisher and player');

    const publish = hooks.calls.find((c) => c.path === '/publish' && c.body.stream === 'hooked')!;
    assert.deepEqual(Object.keys(publish.body), ['server_id', 'service_id', 'action', 'client_id', 'ip', 'vhost', 'app', 'tcUrl', 'stream', 'param', 'stream_url', 'stream_id']);
    assert.equal(publish.body.vhost, '__defaultVhost__');
    assert.equal(publish.body.app, 'live');
    assert.equal(publish.body.param, '?token=abc');
    assert.equal(publish.body.stream_url, '/live/hooked');
    assert.equal(publish.body.ip, '127.0.0.1');
    assert.match(publish.body.client_id as string, /^[0-9a-z]{8}$/);
    assert.match(publish.body.stream_id as string, /^vid-[0-9a-z]{7}$/);
    assert.equal(publish.signature, `sha256=${createHmac('sha256', 'test-secret').update(publish.raw).digest('hex')}`);

    const connect = hooks.calls.find((c) => c.body.action === 'on_connect' && c.body.client_id === publish.body.client_id)!;
    assert.deepEqual(Object.keys(connect.body), ['server_id', 'service_id', 'action', 'client_id', 'ip', 'vhost', 'app', 'stream', 'param', 'tcUrl', 'pageUrl']);
    const play = hooks.calls.find((c) => c.body.action === 'on_play' && c.body.stream === 'hooked')!;
    assert.deepEqual(Object.keys(play.body), ['server_id', 'service_id', 'action', 'client_id', 'ip', 'vhost', 'app', 'stream', 'tcUrl', 'param', 'pageUrl', 'stream_url', 'stream_id']);
    const stop = hooks.calls.find((c) => c.body.action === 'on_stop' && c.body.stream === 'hooked');
    assert.ok(stop, 'on_stop after the player left');
    assert.deepEqual(Object.keys(stop.body), ['server_id', 'service_id', 'action', 'client_id', 'ip', 'vhost', 'app', 'tcUrl', 'stream', 'param', 'stream_url', 'stream_id']);
    const unpublish = hooks.calls.find((c) => c.body.action === 'on_unpublish' && c.body.stream === 'hooked')!;
    assert.deepEqual(Object.keys(unpublish.body), Object.keys(publish.body));
    assert.equal(unpublish.body.client_id, publish.body.client_id);
    const close = hooks.calls.find((c) => c.body.action === 'on_close' && c.body.client_id === publish.body.client_id)!;
    assert.deepEqual(Object.keys(close.body), ['server_id', 'service_id', 'action', 'client_id', 'ip', 'vhost', 'app', 'send_bytes', 'recv_bytes']);
    assert.ok((close.body.recv_bytes as number) > 10_000);
    // Order for the publisher: connect, publish (both urls), unpublish, close.
    const mine = hooks.calls.filter((c) => c.body.client_id === publish.body.client_id).map((c) => c.path);
    assert.deepEqual(mine, ['/connect', '/publish', '/publish2', '/unpublish', '/close']);
  });

  test('a denied publish fails ffmpeg and sends no on_unpublish', async () => {
    hooks.deny.add('/publish2');
    const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc', '-t', '5', '-c:v', 'libx264', '-f', 'flv', `${rtmp}/live/refused`], 20_000);
    assert.notEqual(r.code, 0);
    await server.waitForLog(/code=3064\(HookCodeNotZero\) : hook http:\/\/127\.0\.0\.1:\d+\/publish2: code 1/);
    await hooks.waitFor((c) => c.some((x) => x.body.action === 'on_close' && hooks.calls.some((y) => y.body.stream === 'refused' && y.body.client_id === x.body.client_id)));
    assert.ok(!hooks.calls.some((c) => c.body.action === 'on_unpublish' && c.body.stream === 'refused'));
  });

  test('a denied play closes RTMP and HTTP-FLV players', async () => {
    const pub = ffmpegPublish(`${rtmp}/live/noplay`);
    try {
      await server.waitForLog(/publish \/live\/noplay\b/);
      hooks.deny.add('/play');
      const r = await run('ffprobe', ['-v', 'error', '-show_streams', `${rtmp}/live/noplay`], 15_000);
      assert.notEqual(r.code, 0);
      const h = await run('ffprobe', ['-v', 'error', '-show_streams', `http://127.0.0.1:${server.ports.http}/live/noplay.flv`], 15_000);
      assert.notEqual(h.code, 0);
      await server.waitForLog(/HTTP FLV play denied/);
      hooks.deny.clear();
      const ok = await probeStreams(`http://127.0.0.1:${server.ports.http}/live/noplay.flv`);
      assert.ok(ok.some((s) => s.codec_type === 'video'));
      const flvPlay = hooks.calls.find((c) => c.body.action === 'on_play' && c.body.stream === 'noplay' && c.body.tcUrl === 'rtmp://__defaultVhost__/live');
      assert.ok(flvPlay, 'HTTP-FLV on_play carries the rebuilt tcUrl');
    } finally {
      await pub.stop();
    }
  });
});

describe('security and refer', () => {
  test('allow publish 127.0.0.1 and deny play 127.0.0.0/8', async () => {
    const pub = ffmpegPublish(`${rtmp}/live/sec?vhost=secure.test`, 'h264');
    try {
      await server.waitForLog(/publish secure\.test\/live\/sec\b/);
      const r = await run('ffprobe', ['-v', 'error', '-show_streams', `${rtmp}/live/sec?vhost=secure.test`], 15_000);
      assert.notEqual(r.code, 0);
      await server.waitForLog(/security: play denied for 127\.0\.0\.1 by rule "deny play 127\.0\.0\.0\/8"/);
    } finally {
      await pub.stop();
    }
  });

  test('refer play: only a page URL under studio.example.com may play', async () => {
    const pub = ffmpegPublish(`${rtmp}/live/ref?vhost=refer.test`, 'h264');
    try {
      await server.waitForLog(/publish refer\.test\/live\/ref\b/);
      const denied = await run('ffprobe', ['-v', 'error', '-show_streams', `${rtmp}/live/ref?vhost=refer.test`], 15_000);
      assert.notEqual(denied.code, 0);
      await server.waitForLog(/refer: page url "" is not allowed for play/);
      const wrong = await run('ffprobe', ['-v', 'error', '-rtmp_pageurl', 'http://evil.test/x.html', '-show_streams', `${rtmp}/live/ref?vhost=refer.test`], 15_000);
      assert.notEqual(wrong.code, 0);
      const ok = await run('ffprobe', ['-v', 'error', '-rtmp_pageurl', 'https://www.studio.example.com/live.html', '-show_streams', `${rtmp}/live/ref?vhost=refer.test`], 15_000);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /codec_name=h264/);
    } finally {
      await pub.stop();
    }
  });
});
