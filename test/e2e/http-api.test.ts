// HTTP API end to end: a real tsrs process, ffmpeg publishing over RTMP, RTMP and HTTP-FLV players, and
// every answer checked against SRS 5's shapes (reference/srs-api-samples) field by field.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { ffmpegPlay, ffmpegPublish, httpConf, run, startServerWith, type FfmpegPlayer, type RunningServer } from './harness.js';
import { eventually, getJson, openStream, rawExchange, request, within, type Json, type StreamReader } from './http-helpers.js';


// Key order of SRS's objects (srs-api-samples/*.json, SrsStatistic*::dumps).
const STREAM_KEYS = ['id', 'name', 'vhost', 'app', 'tcUrl', 'url', 'live_ms', 'clients', 'frames', 'send_bytes', 'recv_bytes', 'kbps', 'publish', 'video', 'audio'];
const CLIENT_KEYS = ['id', 'vhost', 'stream', 'ip', 'pageUrl', 'swfUrl', 'tcUrl', 'url', 'name', 'type', 'publish', 'alive', 'send_bytes', 'recv_bytes', 'kbps'];
const SUMMARY_SELF_KEYS = ['version', 'pid', 'ppid', 'argv', 'cwd', 'mem_kbyte', 'mem_percent', 'cpu_percent', 'srs_uptime'];
const SUMMARY_SYSTEM_KEYS = [
  'cpu_percent', 'disk_read_KBps', 'disk_write_KBps', 'disk_busy_percent', 'mem_ram_kbyte', 'mem_ram_percent', 'mem_swap_kbyte',
  'mem_swap_percent', 'cpus', 'cpus_online', 'uptime', 'ilde_time', 'load_1m', 'load_5m', 'load_15m', 'net_sample_time',
  'net_recv_bytes', 'net_send_bytes', 'net_recvi_bytes', 'net_sendi_bytes', 'srs_sample_time', 'srs_recv_bytes',
  'srs_send_bytes', 'conn_sys', 'conn_sys_et', 'conn_sys_tw', 'conn_sys_udp', 'conn_srs',
];

let server: RunningServer;
let api: string;
let web: string;
let rtmp: string;
let publisher: ReturnType<typeof ffmpegPublish>;
/** An HTTP-FLV viewer kept open for the whole file: it must keep receiving while bad clients come and go. */
let viewer: StreamReader;

function assertEnvelope(j: Json): void {
  assert.equal(j.code, 0);
  assert.match(j.server, /^vid-[0-9a-z]{7}$/);
  assert.match(j.service, /^[0-9a-z]{8}$/);
  assert.equal(j.pid, String(server.proc.pid));
  assert.deepEqual(Object.keys(j).slice(0, 4), ['code', 'server', 'service', 'pid']);
}

/** SRS profile names for what ffprobe reports (srs_avc_profile2str). */
function srsProfile(ffprobeProfile: string): string {
  return ffprobeProfile.replace(/^Constrained /, '');
}

before(async () => {
  server = await startServerWith(
    (p) =>
      httpConf(p, {
        api: 'raw_api { enabled on; allow_reload on; }',
        extra: 'stats { disk sda; }',
      }),
    {
      env: { TSRS_HTTP_HEADERS_TIMEOUT_MS: '1000', TSRS_HTTP_REQUEST_TIMEOUT_MS: '3000', TSRS_HTTP_MAX_HEADER_SIZE: '8192' },
      prepare: (dir) => mkdirSync(join(dir, 'html')),
    },
  );
  api = `http://127.0.0.1:${server.ports.api}`;
  web = `http://127.0.0.1:${server.ports.http}`;
  rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
  publisher = ffmpegPublish(`${rtmp}/live/api`);
  await server.waitForLog(/publish \/live\/api\b/, 15_000);
  viewer = await openStream(`${web}/live/api.flv`);
  await viewer.waitBytes(10_000);
});

after(async () => {
  viewer?.close();
  await publisher?.stop();
  await server?.stop();
});

describe('index, versions, summaries and the other system routes', () => {
  test('/api/v1/versions', async () => {
    const { res, json } = await getJson(`${api}/api/v1/versions`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.match(String(res.headers.server), /^SRS\/5\.0\.216/);
    assertEnvelope(json);
    assert.deepEqual(json.data, { major: 5, minor: 0, revision: 216, version: '5.0.216' });
    // Compact JSON, like SRS.
    assert.doesNotMatch(res.text, /\s/);
  });

  test('versions is also on the HTTP server port', async () => {
    const { json } = await getJson(`${web}/api/v1/versions`);
    assert.equal(json.data.version, '5.0.216');
  });

  test('/, /api/ and /api/v1/ indexes', async () => {
    const root = (await getJson(`${api}/`)).json;
    assertEnvelope(root);
    assert.deepEqual(root.urls, { api: 'the api root', rtc: { v1: { play: 'Play stream', publish: 'Publish stream', nack: 'Simulate the NACK' } } });
    assert.deepEqual((await getJson(`${api}/api/`)).json.urls, { v1: 'the api version 1.0' });
    const v1 = (await getJson(`${api}/api/v1/`)).json;
    assert.deepEqual(Object.keys(v1.urls), [
      'versions', 'summaries', 'rusages', 'self_proc_stats', 'system_proc_stats', 'meminfos', 'authors', 'features', 'requests',
      'vhosts', 'streams', 'clients', 'raw', 'clusters', 'perf', 'tcmalloc',
    ]);
    assert.deepEqual(Object.keys(v1.tests), ['requests', 'errors', 'redirects', '[vhost]']);
  });

  test('unknown paths: /api/v1/<x> falls back to the v1 index, others to the root JSON', async () => {
    assert.ok((await getJson(`${api}/api/v1/requests`)).json.tests);
    assert.ok((await getJson(`${api}/api/v1/tcmalloc`)).json.tests);
    assert.equal((await getJson(`${api}/no/such/thing`)).json.urls.api, 'the api root');
    assert.equal((await getJson(`${api}/rtc/v2/nothing`)).json.urls.api, 'the api root');
  });

  test('WebRTC off: /rtc/v1/play/ and /publish/ answer {"code":400}, WHIP/WHEP an HTTP 503', async () => {
    const offer = JSON.stringify({ api: `${api}/rtc/v1/play/`, streamurl: 'webrtc://127.0.0.1/live/api', sdp: 'v=0\r\n' });
    for (const path of ['/rtc/v1/play/', '/rtc/v1/publish/']) {
      const r = await request(`${api}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: offer });
      assert.equal(r.status, 200, path);
      assert.equal(r.text, '{"code":400}', path);
    }
    for (const path of ['/rtc/v1/whip/?app=live&stream=x', '/rtc/v1/whep/?app=live&stream=api', '/rtc/v1/whip-play/?app=live&stream=api']) {
      const r = await request(`${api}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: 'v=0\r\n' });
      assert.equal(r.status, 503, path);
      assert.match(r.text, /WebRTC is not enabled/);
    }
    const preflight = await request(`${api}/rtc/v1/whip/?app=live&stream=x`, { method: 'OPTIONS', headers: { Origin: 'http://page.example', 'Access-Control-Request-Method': 'POST' } });
    // The mux answers the CORS preflight (crossdomain on), so a page sees the 503, not a network error.
    assert.equal(preflight.status, 200);
    assert.ok(preflight.headers['access-control-allow-origin']);
  });

  test('/api/v1/summaries shape', async () => {
    const { res, json } = await getJson(`${api}/api/v1/summaries`);
    assertEnvelope(json);
    assert.deepEqual(Object.keys(json.data), ['ok', 'now_ms', 'self', 'system']);
    assert.deepEqual(Object.keys(json.data.self), SUMMARY_SELF_KEYS);
    assert.deepEqual(Object.keys(json.data.system), SUMMARY_SYSTEM_KEYS);
    const self = json.data.self;
    assert.equal(self.version, '5.0.216');
    assert.equal(self.pid, server.proc.pid);
    assert.match(self.argv, /main\.js -c .*test\.conf/);
    assert.equal(self.cwd, server.dir);
    assert.ok(self.mem_kbyte > 1000);
    assert.ok(Math.abs(json.data.now_ms - Date.now()) < 5000);
    // Floats carry exactly two decimals.
    for (const k of ['mem_percent', 'cpu_percent']) assert.match(res.text, new RegExp(`"${k}":\\d+\\.\\d{2}[,}]`));
    for (const k of ['cpu_percent', 'mem_ram_percent', 'load_1m', 'uptime', 'ilde_time']) assert.match(res.text, new RegExp(`"${k}":\\d+\\.\\d{2}[,}]`));
    assert.ok(json.data.system.cpus >= 1);
    assert.ok(json.data.system.mem_ram_kbyte > 0);
    assert.ok(json.data.system.srs_recv_bytes > 0, 'the publisher has sent bytes');
    assert.ok(json.data.system.conn_srs >= 2);
  });

  test('rusages, self_proc_stats, system_proc_stats, meminfos, authors, features', async () => {
    const ru = (await getJson(`${api}/api/v1/rusages`)).json;
    assertEnvelope(ru);
    assert.equal(Object.keys(ru.data).length, 18);
    assert.ok(ru.data.ru_maxrss > 0);
    const self = (await getJson(`${api}/api/v1/self_proc_stats`)).json;
    assert.equal(self.data.pid, server.proc.pid);
    assert.match(self.data.state, /^[A-Za-z]$/);
    assert.ok('cguest_time' in self.data && 'rsslim' in self.data);
    const sys = (await getJson(`${api}/api/v1/system_proc_stats`)).json;
    assert.deepEqual(Object.keys(sys.data), ['ok', 'sample_time', 'percent', 'user', 'nice', 'sys', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest']);
    const mem = (await getJson(`${api}/api/v1/meminfos`)).json;
    assert.deepEqual(Object.keys(mem.data), ['ok', 'sample_time', 'percent_ram', 'percent_swap', 'MemActive', 'RealInUse', 'NotInUse', 'MemTotal', 'MemFree', 'Buffers', 'Cached', 'SwapTotal', 'SwapFree']);
    const authors = (await getJson(`${api}/api/v1/authors`)).json;
    assert.equal(authors.data.license, 'MIT');
    const features = (await getJson(`${api}/api/v1/features`)).json;
    assert.deepEqual(Object.keys(features.data), ['options', 'options2', 'build', 'build2', 'features']);
    assert.equal(features.data.features.api, true);
  });

  test('tests/requests, tests/errors, tests/redirects', async () => {
    const r = (await getJson(`${api}/api/v1/tests/requests?x=1`)).json;
    assert.equal(r.data.path, '/api/v1/tests/requests');
    assert.equal(r.data.METHOD, 'GET');
    assert.match(r.data.uri, /\/api\/v1\/tests\/requests\?x=1$/);
    assert.equal(r.data.headers.sigature, 'SRS');
    const e = await request(`${api}/api/v1/tests/errors`);
    assert.equal(e.text, '{"code":100}');
    const redirect = await request(`${api}/api/v1/tests/redirects`);
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, '/api/v1/tests/errors');
    const vhostBound = await request(`${api}/api/v1/tests/errors`, { headers: { Host: 'error.srs.com' } });
    assert.equal(vhostBound.text, '{"code":100}');
  });
});

describe('streams, vhosts and clients of a live RTMP publish', () => {
  let players: FfmpegPlayer[] = [];
  after(async () => {
    for (const p of players) await p.stop();
    players = [];
  });

  test('/api/v1/streams/ field by field', async () => {
    const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,profile,level,width,height,sample_rate', '-of', 'json', `${rtmp}/live/api`], 20_000);
    assert.equal(probe.code, 0, probe.stderr);
    const streamsInfo = (JSON.parse(probe.stdout) as { streams: Json[] }).streams;
    const v = streamsInfo.find((s) => s.codec_type === 'video')!;

    const { res, json } = await getJson(`${api}/api/v1/streams/`);
    assertEnvelope(json);
    assert.deepEqual(Object.keys(json), ['code', 'server', 'service', 'pid', 'streams']);
    assert.equal(json.streams.length, 1);
    const s = json.streams[0];
    assert.deepEqual(Object.keys(s), STREAM_KEYS);
    assert.match(s.id, /^vid-[0-9a-z]{7}$/);
    assert.equal(s.name, 'api');
    assert.match(s.vhost, /^vid-[0-9a-z]{7}$/);
    assert.equal(s.app, 'live');
    assert.equal(s.tcUrl, `${rtmp}/live`);
    assert.equal(s.url, '/live/api');
    assert.ok(Math.abs(s.live_ms - Date.now()) < 5000, 'live_ms is the current time');
    assert.ok(s.clients >= 2, 'publisher and the HTTP-FLV viewer');
    assert.ok(s.frames > 0);
    assert.ok(s.recv_bytes > 0 && s.send_bytes > 0);
    assert.deepEqual(Object.keys(s.kbps), ['recv_30s', 'send_30s']);
    assert.ok(Number.isInteger(s.kbps.recv_30s) && Number.isInteger(s.kbps.send_30s));
    assert.equal(s.publish.active, true);
    assert.match(s.publish.cid, /^[0-9a-z]{8}$/);
    assert.deepEqual(s.video, { codec: 'H264', profile: srsProfile(v.profile), level: (v.level / 10).toFixed(1).replace(/\.0$/, ''), width: 320, height: 240 });
    assert.deepEqual(s.audio, { codec: 'AAC', sample_rate: 44100, channel: 2, profile: 'LC' });
    assert.doesNotMatch(res.text, /\s/);

    // By id, and the frame counter moves.
    const one = (await getJson(`${api}/api/v1/streams/${s.id}`)).json;
    assertEnvelope(one);
    assert.equal(one.stream.id, s.id);
    await eventually(async () => ((await getJson(`${api}/api/v1/streams/${s.id}`)).json.stream.frames > s.frames ? true : undefined), 'frames to grow');
  });

  test('kbps over 30 s becomes non-zero for a live publish', async () => {
    await eventually(
      async () => {
        const s = (await getJson(`${api}/api/v1/streams/`)).json.streams[0];
        return s.kbps.recv_30s > 0 ? true : undefined;
      },
      'recv_30s > 0',
      15_000,
      500,
    );
  });

  test('streams: unknown id → {"code":2048}; other methods → 405; /api/v1/streams → 302', async () => {
    assert.equal((await request(`${api}/api/v1/streams/vid-nope`)).text, '{"code":2048}');
    const id = (await getJson(`${api}/api/v1/streams/`)).json.streams[0].id;
    const del = await request(`${api}/api/v1/streams/${id}`, { method: 'DELETE' });
    assert.equal(del.status, 405);
    assert.equal(del.text, 'Method Not Allowed');
    const redirect = await request(`${api}/api/v1/streams?start=0&count=5`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, '/api/v1/streams/?start=0&count=5');
  });

  test('paging: start past the end gives an empty list, count < 10 still returns up to 10', async () => {
    assert.deepEqual((await getJson(`${api}/api/v1/streams/?start=5`)).json.streams, []);
    assert.equal((await getJson(`${api}/api/v1/streams/?count=1`)).json.streams.length, 1);
  });

  test('/api/v1/vhosts/ and by id', async () => {
    const { json } = await getJson(`${api}/api/v1/vhosts/`);
    assertEnvelope(json);
    const v = json.vhosts.find((x: Json) => x.name === '__defaultVhost__');
    assert.deepEqual(Object.keys(v), ['id', 'name', 'enabled', 'clients', 'streams', 'send_bytes', 'recv_bytes', 'kbps', 'hls']);
    assert.equal(v.enabled, true);
    assert.equal(v.streams, 1);
    assert.ok(v.clients >= 2);
    assert.deepEqual(v.hls, { enabled: false });
    const stream = (await getJson(`${api}/api/v1/streams/`)).json.streams[0];
    assert.equal(stream.vhost, v.id);
    assert.equal((await getJson(`${api}/api/v1/vhosts/${v.id}`)).json.vhost.name, '__defaultVhost__');
    assert.equal((await request(`${api}/api/v1/vhosts/vid-nope`)).text, '{"code":2014}');
    assert.equal((await request(`${api}/api/v1/vhosts/${v.id}`, { method: 'POST' })).status, 405);
  });

  test('/api/v1/clients/ lists the publisher, an RTMP player and the HTTP-FLV viewer', async () => {
    const player = ffmpegPlay(`${rtmp}/live/api`);
    players.push(player);
    const clients = await eventually(async () => {
      const list = (await getJson(`${api}/api/v1/clients/`)).json.clients as Json[];
      return list.some((c) => c.type === 'rtmp-play') ? list : undefined;
    }, 'the RTMP player in /api/v1/clients/');
    const stream = (await getJson(`${api}/api/v1/streams/`)).json.streams[0];
    const byType = (t: string): Json => clients.find((c) => c.type === t)!;
    for (const c of clients) {
      assert.deepEqual(Object.keys(c), CLIENT_KEYS);
      assert.match(c.id, /^[0-9a-z]{8}$/);
      assert.equal(c.vhost, stream.vhost);
      assert.equal(c.stream, stream.id);
      assert.equal(c.ip, '127.0.0.1');
      assert.equal(c.url, '/live/api');
    }
    const pub = byType('fmle-publish');
    assert.equal(pub.publish, true);
    assert.equal(pub.name, 'api');
    assert.equal(pub.tcUrl, `${rtmp}/live`);
    assert.equal(pub.id, stream.publish.cid);
    assert.ok(pub.recv_bytes > 0);
    const rtmpPlayer = byType('rtmp-play');
    assert.equal(rtmpPlayer.publish, false);
    const flv = byType('flv-play');
    assert.equal(flv.name, 'api.flv');
    assert.equal(flv.tcUrl, `http://127.0.0.1:${server.ports.http}/live`);
    assert.ok(flv.send_bytes > 0);
    // Sorted by id like SRS's map.
    assert.deepEqual(clients.map((c) => c.id), clients.map((c) => c.id).sort());
    // alive is an SRS float: two decimals in the raw text.
    const raw = (await request(`${api}/api/v1/clients/${pub.id}`)).text;
    assert.match(raw, /"alive":\d+\.\d{2},/);
    assert.equal(JSON.parse(raw).client.id, pub.id);
  });

  test('DELETE /api/v1/clients/<id> kicks the RTMP player off; the id is then gone', async () => {
    const rtmpPlayers = async (): Promise<string[]> =>
      ((await getJson(`${api}/api/v1/clients/`)).json.clients as Json[]).filter((c) => c.type === 'rtmp-play').map((c) => c.id as string);
    const existing = new Set(await rtmpPlayers());
    const player = ffmpegPlay(`${rtmp}/live/api`);
    players.push(player);
    const id = await eventually(async () => (await rtmpPlayers()).find((x) => !existing.has(x)), 'the new RTMP player');
    const del = (await getJson(`${api}/api/v1/clients/${id}`, { method: 'DELETE' })).json;
    assertEnvelope(del);
    assert.deepEqual(Object.keys(del), ['code', 'server', 'service', 'pid']);
    // The player's connection is closed: ffmpeg ends on its own.
    await within(player.exited, 10_000, 'the kicked ffmpeg player to exit');
    await eventually(async () => ((await request(`${api}/api/v1/clients/${id}`)).text === '{"code":2049}' ? true : undefined), 'the kicked client to disappear');
    assert.equal((await request(`${api}/api/v1/clients/${id}`, { method: 'DELETE' })).text, '{"code":2049}');
    assert.equal((await request(`${api}/api/v1/clients/`, { method: 'DELETE' })).text, '{"code":2049}');
    assert.equal((await request(`${api}/api/v1/clients/${id}`, { method: 'PUT' })).text, '{"code":2049}');
    await server.waitForLog(new RegExp(`kickoff client id=${id}`));
  });

  test('JSONP DELETE (callback + method=DELETE) kicks an HTTP-FLV viewer', async () => {
    const flvViewers = async (): Promise<string[]> =>
      ((await getJson(`${api}/api/v1/clients/`)).json.clients as Json[]).filter((c) => c.type === 'flv-play').map((c) => c.id as string);
    const existing = new Set(await flvViewers());
    const extra = await openStream(`${web}/live/api.flv`);
    await extra.waitBytes(1000);
    const id = await eventually(async () => (await flvViewers()).find((x) => !existing.has(x)), 'the new HTTP-FLV viewer');
    const r = await request(`${api}/api/v1/clients/${id}?callback=cb&method=DELETE`);
    assert.equal(r.headers['content-type'], 'text/javascript');
    assert.match(r.text, /^cb\(\{"code":0,"server":"vid-[0-9a-z]{7}","service":"[0-9a-z]{8}","pid":"\d+"\}\)$/);
    await within(extra.ended, 10_000, 'the kicked HTTP-FLV response to end');
  });
});

describe('API conventions', () => {
  test('JSONP wraps any answer; an invalid callback is refused with 4058', async () => {
    const r = await request(`${api}/api/v1/versions?callback=JSON_CALLBACK`);
    assert.equal(r.headers['content-type'], 'text/javascript');
    assert.match(r.text, /^JSON_CALLBACK\(\{"code":0,.*"data":\{"major":5/);
    const notFound = await request(`${api}/api/v1/streams/vid-x?callback=cb`);
    assert.equal(notFound.text, 'cb({"code":2048})');
    const bad = await request(`${api}/api/v1/versions?callback=${encodeURIComponent('alert(1)')}`);
    assert.equal(bad.text, '{"code":4058}');
  });

  test('CORS: headers when Origin is sent; OPTIONS preflight 200', async () => {
    const r = await request(`${api}/api/v1/versions`, { headers: { Origin: 'http://console.example' } });
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-allow-methods'], '*');
    assert.equal(r.headers['access-control-allow-credentials'], 'false');
    assert.equal((await request(`${api}/api/v1/versions`)).headers['access-control-allow-origin'], undefined);
    const pre = await request(`${api}/api/v1/clients/x`, { method: 'OPTIONS', headers: { Origin: 'http://console.example', 'Access-Control-Request-Method': 'DELETE' } });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
  });

  test('raw API: rpc=raw, reload, reload-fetch, unknown rpc', async () => {
    const raw = (await getJson(`${api}/api/v1/raw?rpc=raw`)).json;
    assert.deepEqual(raw, {
      code: 0,
      http_api: { enabled: true, listen: String(server.ports.api), crossdomain: true, raw_api: { enabled: true, allow_reload: true, allow_query: false, allow_update: false } },
    });
    const before = (await getJson(`${api}/api/v1/raw?rpc=reload-fetch`)).json;
    assert.deepEqual(Object.keys(before.data), ['err', 'msg', 'state', 'rid']);
    assert.equal((await request(`${api}/api/v1/raw?rpc=reload`)).text, '{"code":0}');
    const done = await eventually(async () => {
      const d = (await getJson(`${api}/api/v1/raw?rpc=reload-fetch`)).json.data;
      return d.rid !== before.data.rid && d.state === 90 ? d : undefined;
    }, 'the reload to finish');
    assert.equal(done.err, 0);
    assert.match(done.rid, /^[0-9a-z]{7}$/);
    await server.waitForLog(/raw api reload: config reloaded/);
    assert.equal((await request(`${api}/api/v1/raw?rpc=query`)).text, '{"code":1060}');
    assert.equal((await request(`${api}/api/v1/raw`)).text, '{"code":1060}');
  });

  test('clusters: this server is the origin of a stream it publishes, null otherwise', async () => {
    const yes = (await getJson(`${api}/api/v1/clusters?vhost=__defaultVhost__&app=live&stream=api&ip=127.0.0.1&coworker=127.0.0.1:${server.ports.api}`)).json;
    assert.deepEqual(yes.data.query, { ip: '127.0.0.1', vhost: '__defaultVhost__', app: 'live', stream: 'api' });
    assert.equal(yes.data.origin.port, server.ports.rtmp);
    assert.equal(yes.data.origin.vhost, '__defaultVhost__');
    assert.equal(yes.data.origin.api, `127.0.0.1:${server.ports.api}`);
    assert.deepEqual(yes.data.origin.routers, [yes.data.origin.api]);
    const no = (await getJson(`${api}/api/v1/clusters?vhost=__defaultVhost__&app=live&stream=none`)).json;
    assert.equal(no.data.origin, null);
  });

  test('/metrics: SRS exporter families and per-stream tsrs_* series', async () => {
    const r = await request(`${api}/metrics`);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    for (const name of ['srs_node_uname_info', 'srs_build_info', 'srs_cpu_percent', 'srs_memory', 'srs_send_bytes_total', 'srs_receive_bytes_total', 'srs_streams', 'srs_clients', 'srs_clients_total', 'srs_clients_errs_total']) {
      assert.match(r.text, new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'), name);
    }
    assert.match(r.text, /^srs_streams 1$/m);
    assert.match(r.text, /^srs_build_info\{server="vid-[0-9a-z]{7}",service="[0-9a-z]{8}",pid="\d+",build_date="[^"]+",major="5",version="5\.0\.216",code="Bee"\} 1$/m);
    assert.match(r.text, /^tsrs_stream_clients\{vhost="__defaultVhost__",app="live",stream="api"\} [1-9]\d*$/m);
    assert.match(r.text, /^tsrs_stream_receive_bytes_total\{vhost="__defaultVhost__",app="live",stream="api"\} [1-9]\d*$/m);
    assert.match(r.text, /^tsrs_process_resident_memory_bytes [1-9]\d*$/m);
    // Every sample line is `name{labels} value` or `name value`.
    for (const line of r.text.trim().split('\n')) if (!line.startsWith('#')) assert.match(line, /^[a-z_]+(\{[^}]*\})? -?[\d.e+]+$/, line);
  });

  test('bodies: malformed JSON → 400 {"code":400}; oversized → 413', async () => {
    const bad = await request(`${api}/api/v1/clusters`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"vhost": ' });
    assert.equal(bad.status, 400);
    assert.equal(bad.text, '{"code":400}');
    const ok = await request(`${api}/api/v1/clusters?vhost=x`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    assert.equal(ok.status, 200);
    const big = await request(`${api}/api/v1/clusters`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: Buffer.alloc(2 * 1024 * 1024, 0x20) }).catch((e: Error) => e);
    // The server may answer 413 and close before the client finished sending; both prove the limit.
    if (!(big instanceof Error)) assert.equal(big.status, 413);
  });
});

describe('bad clients never disturb the others', () => {
  test('a URL with .. is refused', async () => {
    const r = await rawExchange(server.ports.api, 'GET /api/v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(r.text, /^HTTP\/1\.1 400 /);
    const enc = await rawExchange(server.ports.http, 'GET /live/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(enc.text, /^HTTP\/1\.1 400 /);
  });

  test('malformed request line → 400', async () => {
    const r = await rawExchange(server.ports.api, 'HELLO THERE\r\n\r\n');
    assert.match(r.text, /^HTTP\/1\.1 400 Bad Request/);
    const r2 = await rawExchange(server.ports.http, 'GET / HTTP/9.9.9\r\n\r\n');
    assert.match(r2.text, /^HTTP\/1\.1 400 /);
  });

  test('CONNECT → 405 with Allow on the API and HTTP server ports (was closed without an answer)', async () => {
    for (const port of [server.ports.api, server.ports.http]) {
      const r = await rawExchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      assert.match(r.text, /^HTTP\/1\.1 405 Method Not Allowed\r\n/, String(port));
      assert.match(r.text, /\r\nAllow: /);
    }
  });

  test('huge headers → 431', async () => {
    const r = await rawExchange(server.ports.api, `GET /api/v1/versions HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 431 /);
  });

  test('slowloris: a client trickling its headers is cut off by the header timeout', async () => {
    const c = net.connect(server.ports.http, '127.0.0.1');
    const head = `GET /live/api.flv HTTP/1.1\r\nHost: x\r\nUser-Agent: ${'s'.repeat(200)}\r\n\r\n`;
    let sent = 0;
    const timer = setInterval(() => {
      if (!c.destroyed && sent < head.length) c.write(head[sent++]!);
    }, 25);
    let answer = '';
    c.on('data', (b) => (answer += b.toString('latin1')));
    c.on('error', () => {});
    const started = Date.now();
    await within(new Promise<void>((r) => c.on('close', () => r())), 8000, 'the slow client to be cut off');
    clearInterval(timer);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.ok(sent < head.length, `cut off after ${sent}/${head.length} bytes`);
    assert.ok(Date.now() - started < 5000);
  });

  test('an idle connection that never sends a request is closed too', async () => {
    const r = await rawExchange(server.ports.api, '', 8000);
    assert.equal(r.closedByServer, true);
  });

  test('the long-lived HTTP-FLV viewer kept receiving, and the API still answers', async () => {
    const before = viewer.bytes();
    await viewer.waitBytes(before + 10_000);
    assert.equal((await getJson(`${api}/api/v1/versions`)).json.code, 0);
    const s = (await getJson(`${api}/api/v1/streams/`)).json.streams[0];
    assert.equal(s.publish.active, true);
  });
});

describe('API on the HTTP server port (reuse) with Basic auth', () => {
  let srv: RunningServer;
  let base: string;
  const auth = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;
  before(async () => {
    srv = await startServerWith(
      (p) => `listen ${p.rtmp};
daemon off;
srs_log_tank console;
http_api { enabled on; listen ${p.http}; auth { enabled on; username admin; password s3cret; } }
http_server { enabled on; listen ${p.http}; dir ./html; }
vhost __defaultVhost__ { }
`,
      {
        prepare: (dir) => {
          mkdirSync(join(dir, 'html'));
          writeFileSync(join(dir, 'html', 'index.html'), '<h1>tsrs</h1>');
        },
      },
    );
    base = `http://127.0.0.1:${srv.ports.http}`;
  });
  after(async () => {
    await srv?.stop();
  });

  test('one port: / is the static root, /api/ routes are the API', async () => {
    await srv.waitForLog(/HTTP-API: reuse the HTTP server/);
    const root = await request(`${base}/`);
    assert.equal(root.status, 200);
    assert.equal(root.text, '<h1>tsrs</h1>');
    const v = await request(`${base}/api/v1/versions`, { headers: { Authorization: auth } });
    assert.equal(JSON.parse(v.text).data.version, '5.0.216');
  });

  test('auth: no or wrong credentials → 401 with WWW-Authenticate; right ones → 200', async () => {
    const none = await request(`${base}/api/v1/summaries`);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic');
    assert.equal(none.text, '');
    const wrong = await request(`${base}/api/v1/summaries`, { headers: { Authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
    assert.equal(wrong.status, 401);
    const good = await request(`${base}/api/v1/summaries`, { headers: { Authorization: auth } });
    assert.equal(good.status, 200);
    // Only paths with /api/ are protected; static files, /metrics (SRS default) and OPTIONS preflights are not.
    assert.equal((await request(`${base}/`)).status, 200);
    assert.equal((await request(`${base}/metrics`)).status, 200);
    assert.equal((await request(`${base}/api/v1/versions`, { method: 'OPTIONS', headers: { Origin: 'http://x' } })).status, 200);
  });
});

describe('/metrics opt-ins: http_api.auth.metrics and exporter { enabled off; }', () => {
  const auth = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;

  test('auth.metrics on: /metrics needs the API credentials', async () => {
    const srv = await startServerWith(
      (p) => `listen ${p.rtmp};
daemon off;
srs_log_tank console;
http_api { enabled on; listen ${p.api}; auth { enabled on; username admin; password s3cret; metrics on; } }
vhost __defaultVhost__ { }
`,
    );
    try {
      const url = `http://127.0.0.1:${srv.ports.api}/metrics`;
      const none = await request(url);
      assert.equal(none.status, 401);
      assert.equal(none.headers['www-authenticate'], 'Basic');
      const good = await request(url, { headers: { Authorization: auth } });
      assert.equal(good.status, 200);
      assert.match(good.text, /^# TYPE srs_build_info gauge$/m);
    } finally {
      await srv.stop();
    }
  });

  test('exporter { enabled off; } answers {"code":1090} like SRS 5', async () => {
    const srv = await startServerWith(
      (p) => `listen ${p.rtmp};
daemon off;
srs_log_tank console;
http_api { enabled on; listen ${p.api}; }
exporter { enabled off; }
vhost __defaultVhost__ { }
`,
    );
    try {
      const r = await request(`http://127.0.0.1:${srv.ports.api}/metrics`);
      assert.equal(r.status, 200);
      assert.equal(r.text, '{"code":1090}');
    } finally {
      await srv.stop();
    }
  });
});
