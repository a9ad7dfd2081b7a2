// tsrs as a library (src/index.ts): a server started in this process from a config object, its
// publish/play/stop/unpublish events with ffmpeg publishing and an HTTP-FLV viewer, its stats, reload, stop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configText, parseConfigText, startServer, type ClientEvent, type EmbeddedServer, type StreamEvent } from '../../src/index.js';
import { ffmpegPublish, freePort } from './harness.js';
import { getJson, openStream } from './http-helpers.js';

function waitFor<T>(what: string, list: T[], pred: (x: T) => boolean, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = (): void => {
      const hit = list.find(pred);
      if (hit !== undefined) return resolve(hit);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(list)}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

describe('configText: object form of a config', () => {
  test('booleans, arrays, blocks, vhosts and quoting round-trip through the parser', () => {
    const text = configText({
      listen: [1935, '127.0.0.1:1936'],
      daemon: false,
      srs_log_tank: 'console',
      http_api: { enabled: true, listen: 1985, auth: { enabled: true, username: 'admin', password: 'two words' } },
      vhost: { __defaultVhost__: { hls: { enabled: true, hls_fragment: 2 } }, 'a.com': { play: { gop_cache: false } } },
    });
    const c = parseConfigText(text, 'obj.conf');
    assert.deepEqual(c.listen.map((l) => l.port), [1935, 1936]);
    assert.equal(c.httpApi.auth.password, 'two words');
    assert.equal(c.vhosts.get('__defaultVhost__')!.hls.enabled, true);
    assert.equal(c.vhosts.get('__defaultVhost__')!.hls.fragmentMs, 2000);
    assert.equal(c.vhosts.get('a.com')!.play.gopCache, false);
  });

  test('a bad config rejects startServer with a ConfigError', async () => {
    await assert.rejects(startServer({ config: { listen: 1935, no_such_directive: 1 } }), (e) => e instanceof ConfigError && /no_such_directive/.test(e.message));
  });
});

describe('embedded server', () => {
  let server: EmbeddedServer;
  let ports: { rtmp: number; http: number; api: number };
  let dir: string;
  const streams: { name: string; e: StreamEvent }[] = [];
  const clients: { name: string; e: ClientEvent }[] = [];

  before(async () => {
    ports = { rtmp: await freePort(), http: await freePort(), api: await freePort() };
    dir = mkdtempSync(join(tmpdir(), 'tsrs-embed-'));
    server = await startServer({
      config: {
        listen: ports.rtmp,
        daemon: false,
        srs_log_tank: 'console',
        srs_log_level: 'warn',
        http_api: { enabled: true, listen: ports.api },
        http_server: { enabled: true, listen: ports.http, dir },
        vhost: { __defaultVhost__: { http_remux: { enabled: true, mount: '[vhost]/[app]/[stream].flv' } } },
      },
      clientPollMs: 50,
    });
    for (const name of ['publish', 'unpublish'] as const) server.on(name, (e) => streams.push({ name, e }));
    for (const name of ['play', 'stop'] as const) server.on(name, (e) => clients.push({ name, e }));
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('publish, play, stop, unpublish events; stats as /api/v1; the HTTP API is served', async () => {
    const publisher = ffmpegPublish(`rtmp://127.0.0.1:${ports.rtmp}/live/embedded`);
    try {
      const pub = await waitFor('publish', streams, (s) => s.name === 'publish');
      assert.deepEqual(pub.e, { vhost: '__defaultVhost__', app: 'live', stream: 'embedded' });

      const viewer = await openStream(`http://127.0.0.1:${ports.http}/live/embedded.flv`);
      await viewer.waitBytes(1000);
      const play = await waitFor('play', clients, (c) => c.name === 'play');
      assert.equal(play.e.type, 'flv-play');
      assert.equal(play.e.stream, 'embedded');
      assert.equal(play.e.ip, '127.0.0.1');

      const stats = server.stats();
      assert.equal(stats.streams.length, 1);
      const s = stats.streams[0] as Record<string, unknown>;
      assert.equal(s.name, 'embedded');
      assert.equal(s.clients, 2, 'publisher and viewer');
      assert.equal(stats.clients.length, 2);
      assert.ok(stats.recvBytes >= 0);
      // The same object the HTTP API serves.
      const api = (await getJson(`http://127.0.0.1:${ports.api}/api/v1/streams/`)).json;
      assert.equal(api.streams[0].id, s.id);

      viewer.close();
      const stop = await waitFor('stop', clients, (c) => c.name === 'stop');
      assert.equal(stop.e.id, play.e.id);
    } finally {
      await publisher.stop();
    }
    await waitFor('unpublish', streams, (s) => s.name === 'unpublish');
  });

  test('a listener that throws does not break the server', async () => {
    server.once('publish', () => {
      throw new Error('listener bug');
    });
    const publisher = ffmpegPublish(`rtmp://127.0.0.1:${ports.rtmp}/live/second`);
    try {
      await waitFor('second publish', streams, (s) => s.name === 'publish' && s.e.stream === 'second');
    } finally {
      await publisher.stop();
    }
  });

  test('reload applies a new config object', () => {
    const notApplied = server.reload({
      listen: ports.rtmp,
      daemon: false,
      srs_log_tank: 'console',
      srs_log_level: 'warn',
      http_api: { enabled: true, listen: ports.api },
      http_server: { enabled: true, listen: ports.http, dir },
      vhost: { __defaultVhost__: { http_remux: { enabled: true, mount: '[vhost]/[app]/[stream].flv' } }, 'b.com': {} },
    });
    assert.deepEqual(notApplied, []);
    assert.ok(server.config.vhosts.has('b.com'));
  });
});
