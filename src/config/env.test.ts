import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { loadConfigFile, loadConfigFromEnv, parseConfigText } from './index.js';

const TEXT = `listen 1935;
daemon off;
srs_log_tank file;
http_api { enabled on; listen 1985; raw_api { enabled off; } }
http_server { enabled on; listen 8080; dir ./html; }
vhost __defaultVhost__ { play { gop_cache on; } hls { hls_fragment 10; } }
vhost a.com { }
`;

function load(env: Record<string, string | undefined>) {
  return parseConfigText(TEXT, 'e.conf', undefined, env);
}

test('env wins over file: listen, http_api.listen, raw_api.enabled, http_server.dir', () => {
  const c = load({
    SRS_LISTEN: '1936 127.0.0.1:1937',
    SRS_HTTP_API_LISTEN: '127.0.0.1:2985',
    SRS_HTTP_API_RAW_API_ENABLED: 'on',
    SRS_HTTP_SERVER_DIR: '/srv/html',
    SRS_HTTP_SERVER_HTTPS_LISTEN: '9443',
  });
  assert.deepEqual(c.listen, [
    { host: '0.0.0.0', port: 1936 },
    { host: '127.0.0.1', port: 1937 },
  ]);
  assert.deepEqual(c.httpApi.listen, { host: '127.0.0.1', port: 2985 });
  assert.equal(c.httpApi.rawApi.enabled, true);
  assert.equal(c.httpServer.dir, '/srv/html');
  assert.equal(c.httpServer.https.listen.port, 9443);
});

test('empty env values are ignored', () => {
  const c = load({ SRS_LISTEN: '', SRS_HTTP_API_LISTEN: '' });
  assert.equal(c.listen[0]!.port, 1935);
  assert.equal(c.httpApi.listen.port, 1985);
});

test('vhost-level env applies to every vhost', () => {
  const c = load({ SRS_VHOST_PLAY_GOP_CACHE: 'off', SRS_VHOST_HLS_HLS_FRAGMENT: '2.5', SRS_VHOST_HLS_ENABLED: 'on' });
  for (const v of c.vhosts.values()) {
    assert.equal(v.play.gopCache, false, v.name);
    assert.equal(v.hls.fragmentMs, 2500, v.name);
    assert.equal(v.hls.enabled, true, v.name);
  }
});

test('env bool rules follow the directive: default-off needs on, default-on needs off', () => {
  assert.equal(load({ SRS_VHOST_PUBLISH_MR: 'yes' }).vhosts.get('a.com')!.publish.mr, false);
  assert.equal(load({ SRS_VHOST_PUBLISH_MR: 'on' }).vhosts.get('a.com')!.publish.mr, true);
  assert.equal(load({ SRS_VHOST_PLAY_GOP_CACHE: 'no' }).vhosts.get('a.com')!.play.gopCache, true);
  assert.equal(load({ SRS_DAEMON: 'yes' }).daemon, true);
  assert.equal(load({ SRS_UTC_TIME: 'on' }).utcTime, true);
});

test('vhost chunk_size, min_latency, tcp_nodelay, http_remux mount from env', () => {
  const c = load({
    SRS_VHOST_CHUNK_SIZE: '4096',
    SRS_VHOST_MIN_LATENCY: 'on',
    SRS_VHOST_TCP_NODELAY: 'on',
    SRS_VHOST_HTTP_REMUX_MOUNT: '[vhost]/[app]/[stream].ts',
    SRS_VHOST_DVR_DVR_PATH: '/rec/[stream].mp4',
    SRS_VHOST_RTC_RTMP_TO_RTC: 'on',
  });
  assert.equal(c.chunkSize, 4096, 'SRS reads the global chunk_size from SRS_VHOST_CHUNK_SIZE too');
  const v = c.vhosts.get('a.com')!;
  assert.equal(v.chunkSize, 4096);
  assert.equal(v.minLatency, true);
  assert.equal(v.play.mwMsgs, 0);
  assert.equal(v.tcpNodelay, true);
  assert.equal(v.httpRemux.mount, '[vhost]/[app]/[stream].ts');
  assert.equal(v.dvr.path, '/rec/[stream].mp4');
  assert.equal(v.rtc.rtmpToRtc, true);
});

test('hook env override is one URL (SRS 5 does not split it)', () => {
  const c = load({ SRS_VHOST_HTTP_HOOKS_ON_PUBLISH: 'http://a/x http://b/y', SRS_VHOST_HTTP_HOOKS_ENABLED: 'on' });
  const v = c.vhosts.get('a.com')!;
  assert.equal(v.httpHooks.enabled, true);
  assert.deepEqual(v.httpHooks.onPublish, ['http://a/x http://b/y']);
});

test('log env aliases: SRS_SRS_LOG_* wins over SRS_LOG_*', () => {
  assert.equal(load({ SRS_LOG_TANK: 'console' }).log.tank, 'console');
  assert.equal(load({ SRS_SRS_LOG_TANK: 'file', SRS_LOG_TANK: 'console' }).log.tank, 'file');
  assert.equal(load({ SRS_LOG_LEVEL: 'warn' }).log.level, 'warn');
  assert.equal(load({ SRS_SRS_LOG_LEVEL: 'error', SRS_LOG_LEVEL: 'warn' }).log.level, 'error');
  assert.equal(load({ SRS_LOG_LEVEL_V2: 'debug' }).log.level, 'info');
  assert.equal(load({ SRS_LOG_FILE: '/var/log/tsrs.log' }).log.file, '/var/log/tsrs.log');
  assert.equal(load({ SRS_SRS_LOG_FILE: '/a.log', SRS_LOG_FILE: '/b.log' }).log.file, '/a.log');
});

test('server id, pid, heartbeat and srt from env', () => {
  const c = load({
    SRS_SERVER_ID: 'edge-7',
    SRS_PID: '/run/tsrs.pid',
    SRS_HEARTBEAT_URL: 'http://hb/api',
    SRS_HEARTBEAT_INTERVAL: '3',
    SRS_SRT_SERVER_LATENCY: '200',
  });
  assert.equal(c.serverId, 'edge-7');
  assert.equal(c.pid, '/run/tsrs.pid');
  assert.equal(c.heartbeat.url, 'http://hb/api');
  assert.equal(c.heartbeat.intervalMs, 3000);
  assert.equal(c.srtServer.latencyMs, 200);
});

test('blocks SRS never reads from env ignore SRS_* vars', () => {
  const c = load({ SRS_VHOST_SECURITY_ENABLED: 'on', SRS_STATS_ENABLED: 'off', SRS_VHOST_FORWARD_ENABLED: 'on', SRS_VHOST_ENABLED: 'off' });
  const v = c.vhosts.get('a.com')!;
  assert.equal(v.security.enabled, false);
  assert.equal(v.forward.enabled, false);
  assert.equal(v.enabled, true);
  assert.equal(c.stats.enabled, true);
});

test('env-only mode: no listen required, daemon off, console, __defaultVhost__ created', () => {
  const c = loadConfigFromEnv({});
  assert.equal(c.envOnly, true);
  assert.equal(c.file, '');
  assert.deepEqual(c.listen, []);
  assert.equal(c.daemon, false);
  assert.equal(c.log.tank, 'console');
  assert.deepEqual([...c.vhosts.keys()], ['__defaultVhost__']);
  assert.equal(c.vhosts.get('__defaultVhost__')!.play.gopCache, true);

  const e = loadConfigFromEnv({
    SRS_LISTEN: '1935',
    SRS_DAEMON: 'on',
    SRS_LOG_TANK: 'file',
    SRS_HTTP_API_ENABLED: 'on',
    SRS_VHOST_HTTP_REMUX_ENABLED: 'on',
  });
  assert.deepEqual(e.listen, [{ host: '0.0.0.0', port: 1935 }]);
  assert.equal(e.daemon, true);
  assert.equal(e.log.tank, 'file');
  assert.equal(e.httpApi.enabled, true);
  assert.equal(e.vhosts.get('__defaultVhost__')!.httpRemux.enabled, true);
});

test('loadConfigFile: reads file and includes (cwd-relative paths as written), SRS_CONFIG_FILE, SRS_ENV_ONLY', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-config-'));
  try {
    const main = join(dir, 'main.conf');
    const inc = join(dir, 'vhost.conf');
    writeFileSync(inc, 'vhost inc.com { play { gop_cache off; } }\n');
    writeFileSync(main, `listen 1935;\ndaemon off;\ninclude ${inc};\n`);
    const c = loadConfigFile(main, {}, { inDocker: false });
    assert.equal(c.file, main);
    assert.equal(c.vhosts.get('inc.com')!.play.gopCache, false);
    assert.equal(c.vhosts.get('inc.com')!.directive.file, inc);

    const other = join(dir, 'other.conf');
    writeFileSync(other, 'listen 2935;\ndaemon off;\n');
    assert.equal(loadConfigFile(main, { SRS_CONFIG_FILE: other }).listen[0]!.port, 2935);

    const envOnly = loadConfigFile(join(dir, 'missing.conf'), { SRS_ENV_ONLY: '', SRS_LISTEN: '3935' });
    assert.equal(envOnly.envOnly, true);
    assert.equal(envOnly.listen[0]!.port, 3935);

    assert.throws(() => loadConfigFile(join(dir, 'missing.conf'), {}), (err: unknown) => {
      return err instanceof ConfigError && err.message.startsWith(`no config file at ${join(dir, 'missing.conf')}`);
    });

    writeFileSync(main, `listen 1935;\ndaemon off;\ninclude ${join(dir, 'nope.conf')};\n`);
    assert.throws(() => loadConfigFile(main, {}), (err: unknown) => {
      return err instanceof ConfigError && err.message.startsWith(`${main}:3:9: include "${join(dir, 'nope.conf')}": cannot read file`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('env naming an unsupported directive warns like the same directive in a file (-e and file mode)', () => {
  const fromFile = parseConfigText('listen 1935;\nheartbeat { enabled on; }\nvhost __defaultVhost__ { }\n', 'h.conf', undefined, {});
  assert.ok(fromFile.warnings.some((w) => /heartbeat is not supported yet, ignored/.test(w)), fromFile.warnings.join('\n'));

  const e = loadConfigFromEnv({ SRS_LISTEN: '1935', SRS_HEARTBEAT_ENABLED: 'on', SRS_HEARTBEAT_INTERVAL: '5' });
  const hb = e.warnings.filter((w) => /heartbeat is not supported yet, ignored/.test(w));
  assert.deepEqual(hb, ['<env> SRS_HEARTBEAT_ENABLED SRS_HEARTBEAT_INTERVAL: heartbeat is not supported yet, ignored']);

  // vhost-level and nested paths report the top-most unsupported directive, as the file walk does.
  const hds = loadConfigFromEnv({ SRS_VHOST_HDS_ENABLED: 'on', SRS_VHOST_HLS_HLS_FRAGMENT: '2' });
  assert.ok(hds.warnings.some((w) => w === '<env> SRS_VHOST_HDS_ENABLED: vhost.hds is not supported yet, ignored'), hds.warnings.join('\n'));
  assert.ok(!hds.warnings.some((w) => /hls/.test(w)), 'supported directives do not warn');

  // Switched off needs no support; an override of a file works the same.
  assert.ok(!loadConfigFromEnv({ SRS_HEARTBEAT_ENABLED: 'off' }).warnings.some((w) => /heartbeat/.test(w)));
  assert.ok(load({ SRS_HEARTBEAT_ENABLED: 'on' }).warnings.some((w) => /SRS_HEARTBEAT_ENABLED: heartbeat is not supported yet/.test(w)));
  assert.deepEqual(load({ SRS_LISTEN: '1936', SRS_HTTP_API_LISTEN: '1986' }).warnings.filter((w) => w.startsWith('<env>')), []);
});
