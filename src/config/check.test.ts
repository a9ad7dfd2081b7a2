import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../core/errors.js';
import { type SrsConfig, extendSupported, parseConfigText } from './index.js';

function load(text: string, options?: Parameters<typeof parseConfigText>[4]): SrsConfig {
  return parseConfigText(text, 'c.conf', undefined, {}, options);
}

function configError(text: string): string {
  try {
    load(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, 1023);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

const OK = 'listen 1935;\ndaemon off;\n';

test('empty config is refused', () => {
  assert.equal(configError(''), 'c.conf: conf is empty');
  assert.equal(configError('# only comments\n'), 'c.conf: conf is empty');
});

test('unknown top-level directive', () => {
  assert.equal(configError(`${OK}listen_port 1935;`), 'c.conf:3:1: illegal directive listen_port');
});

test('include is not a directive left in the tree, and v4-only names are refused', () => {
  assert.equal(configError(`${OK}http_stream_x { }`), 'c.conf:3:1: illegal directive http_stream_x');
});

test('unknown directives inside checked blocks name their path', () => {
  assert.equal(configError(`${OK}http_api { enabled on; port 1985; }`), 'c.conf:3:24: illegal http_api.port');
  assert.equal(configError(`${OK}http_api { raw_api { enabled on; allow_all on; } }`), 'c.conf:3:34: illegal http_api.raw_api.allow_all');
  assert.equal(configError(`${OK}http_server { root ./html; }`), 'c.conf:3:15: illegal http_server.root');
  assert.equal(configError(`${OK}rtc_server { foo 1; }`), 'c.conf:3:14: illegal rtc_server.foo');
  assert.equal(configError(`${OK}stats { foo 1; }`), 'c.conf:3:9: illegal stats.foo');
  assert.equal(configError(`${OK}stream_caster { sip { foo 1; } }`), 'c.conf:3:23: illegal stream_caster.sip.foo');
});

test('unknown vhost directives: "illegal vhost.X of V" / "illegal vhost.hls.X of V"', () => {
  assert.equal(configError(`${OK}vhost a.com {\n  hls_fragment 2;\n}`), 'c.conf:4:3: illegal vhost.hls_fragment of a.com');
  assert.equal(
    configError(`${OK}vhost __defaultVhost__ {\n  hls {\n    enabled on;\n    hls_fragmnt 2;\n  }\n}`),
    'c.conf:6:5: illegal vhost.hls.hls_fragmnt of __defaultVhost__',
  );
  assert.equal(configError(`${OK}vhost v { play { gop 1; } }`), 'c.conf:3:18: illegal vhost.play.gop of v');
  assert.equal(
    configError(`${OK}vhost v { transcode { engine e { vcodec x; vbps 1; } } }`),
    'c.conf:3:44: illegal vhost.transcode.engine.vbps of v',
  );
});

test('unknown names in blocks SRS does not check only warn', () => {
  const c = load(`${OK}http_api { enabled on; https { enabled off; ciphers x; } } threads { interval 5; cpu 1; }`);
  assert.ok(c.warnings.includes('c.conf:3:45: unknown directive http_api.https.ciphers, ignored'));
  assert.ok(c.warnings.some((w) => w.includes('unknown directive threads.cpu')));
});

test('listen is required (unless env-only) and must be a valid ip and port', () => {
  assert.equal(configError('daemon off;'), 'c.conf: listen requires params');
  assert.equal(configError('listen;'), 'c.conf:1:1: listen requires params');
  assert.equal(configError('listen 0;'), 'c.conf:1:1: listen.port=0 is invalid');
  assert.equal(configError('listen localhost:1935;'), 'c.conf:1:1: listen.ip=localhost is invalid');
  assert.equal(configError('listen 1.2.3:1935;'), 'c.conf:1:1: listen.ip=1.2.3 is invalid');
  const c = load('listen 1935 [::]:1936 127.0.0.1:1937;');
  assert.deepEqual(c.listen, [
    { host: '0.0.0.0', port: 1935 },
    { host: '::', port: 1936 },
    { host: '127.0.0.1', port: 1937 },
  ]);
  assert.deepEqual(load('listen 1935;', { envOnly: true }).listen, [{ host: '0.0.0.0', port: 1935 }]);
});

test('daemon on + asprocess on conflict (daemon defaults to on)', () => {
  assert.equal(configError('listen 1935;\nasprocess on;'), 'c.conf:2:1: daemon conflicts with asprocess (set daemon off)');
  assert.equal(configError('listen 1935;\ndaemon on; asprocess on;'), 'c.conf:2:12: daemon conflicts with asprocess (set daemon off)');
  assert.equal(load('listen 1935; daemon off; asprocess on;').asprocess, true);
});

test('is_full on is refused', () => {
  assert.equal(configError(`${OK}is_full on;`), 'c.conf:3:1: never use full.conf(c.conf)');
  assert.equal(load(`${OK}is_full off;`).listen.length, 1);
});

test('max_connections, heartbeat.interval, stats.network ranges', () => {
  assert.equal(configError(`${OK}max_connections 0;`), 'c.conf:3:1: max_connections=0 is invalid');
  assert.equal(configError(`${OK}heartbeat { interval 0.5; }`), 'c.conf:3:13: invalid heartbeat.interval=0');
  assert.equal(configError(`${OK}stats { network -1; }`), 'c.conf:3:9: invalid stats.network=-1');
});

test('dvr_plan: invalid refused when dvr is enabled, warned otherwise', () => {
  assert.equal(
    configError(`${OK}vhost v { dvr { enabled on; dvr_plan append; } }`),
    'c.conf:3:29: invalid dvr_plan append of v, expect session or segment',
  );
  const c = load(`${OK}vhost v { dvr { dvr_plan append; } }`);
  assert.equal(c.vhosts.get('v')!.dvr.plan, 'session');
  assert.ok(c.warnings.some((w) => w.includes('invalid dvr_plan append of v')));
});

test('hls enabled + http_remux .ts mount conflict; only one http_remux', () => {
  assert.equal(
    configError(`${OK}vhost v { hls { enabled on; } http_remux { enabled on; mount [vhost]/[app]/[stream].ts; } }`),
    'c.conf:3:56: vhost.hls conflict with vhost.http-ts of v',
  );
  assert.equal(load(`${OK}vhost v { hls { enabled off; } http_remux { enabled on; mount /[app]/[stream].ts; } }`).vhosts.size, 1);
  assert.equal(
    configError(`${OK}vhost v { http_remux { enabled on; } http_remux { enabled off; } }`),
    'c.conf:3:38: vhost.http_remux only one but count=2 of v',
  );
});

test('forward enabled + publish.kickoff_for_idle conflict', () => {
  assert.equal(
    configError(`${OK}vhost v { forward { enabled on; destination 127.0.0.1:1936; } publish { kickoff_for_idle 10; } }`),
    'c.conf:3:73: vhost.forward conflicts with vhost.publish.kickoff_for_idle of v',
  );
});

test('ingest ids are unique per vhost', () => {
  assert.equal(
    configError(`${OK}vhost v {\n ingest a { }\n ingest a { }\n}`),
    'c.conf:5:2: ingest id=a exists for v (first at c.conf:4:2)',
  );
  assert.equal(load(`${OK}vhost v { ingest a { } } vhost w { ingest a { } }`).vhosts.size, 2);
});

test('http api/server listen and https consistency', () => {
  assert.equal(
    configError(`${OK}http_api { listen 8080; https { listen 1990; } } http_server { listen 8080; }`),
    'c.conf:3:33: for same http, https api(1990) != server(8088)',
  );
  assert.equal(
    configError(`${OK}http_api { listen 1985; https { listen 8088; } }`),
    'c.conf:3:12: for same https, http api(1985) != server(8080)',
  );
  assert.equal(configError(`${OK}http_api { https { enabled on; } }`), 'c.conf:3:20: https api depends on http');
  assert.equal(configError(`${OK}http_server { https { enabled on; } }`), 'c.conf:3:23: https stream depends on http');
  assert.equal(configError(`${OK}http_api { enabled on; listen 0; }`), 'c.conf:3:24: http_api.listen=0 has invalid port 0');
});

test('security rules need publish|play and a target', () => {
  assert.equal(
    configError(`${OK}vhost v { security { enabled on; allow all; } }`),
    'c.conf:3:34: vhost.security.allow of v expects publish|play, got all',
  );
  assert.equal(configError(`${OK}vhost v { security { deny play; } }`), 'c.conf:3:22: vhost.security.deny play of v needs all, an ip or a cidr');
});

test('srt passphrase and pbkeylen are checked when srt is enabled', () => {
  assert.equal(
    configError(`${OK}srt_server { enabled on; passphrase short; }`),
    'c.conf:3:26: srt_server.passphrase must be 10..79 chars, got 5',
  );
  assert.equal(configError(`${OK}srt_server { enabled on; pbkeylen 8; }`), 'c.conf:3:26: srt_server.pbkeylen must be 0, 16, 24 or 32, got 8');
});

test('chunk_size out of range only warns', () => {
  const c = load(`${OK}chunk_size 100;\nvhost v { chunk_size 70000; }`);
  assert.equal(c.chunkSize, 100);
  assert.ok(c.warnings.includes('c.conf:3:1: chunk_size=100 should be in [128, 65536]'));
  assert.ok(c.warnings.includes('c.conf:4:11: chunk_size=70000 of v should be in [128, 65536]'));
});

test('"not supported yet" warnings follow the supported set', () => {
  const text = `${OK}stats { enabled on; }\nvhost v {\n  hds { enabled on; }\n  dvr { enabled off; }\n  play { gop_cache on; }\n}`;
  const c = load(text);
  assert.deepEqual(
    c.warnings.filter((w) => w.includes('not supported')),
    ['c.conf:3:1: stats is not supported yet, ignored', 'c.conf:5:3: vhost.hds of v is not supported yet, ignored'],
  );
  const extended = load(text, { supported: extendSupported(['vhost.hds.*', 'stats']) });
  assert.deepEqual(extended.warnings.filter((w) => w.includes('not supported')), []);
  // Partial support of a block: only the missing children are named.
  const partial = load(`${OK}vhost v { hds { enabled on; hds_window 60; } }`, { supported: extendSupported(['vhost.hds.enabled']) });
  assert.deepEqual(
    partial.warnings.filter((w) => w.includes('not supported')),
    ['c.conf:3:29: vhost.hds.hds_window of v is not supported yet, ignored'],
  );
  // HLS is supported as a whole, hls_ctx sessions included.
  const hls = load(`${OK}vhost v { hls { enabled on; hls_keys on; hls_ctx on; } }`);
  assert.deepEqual(hls.warnings.filter((w) => w.includes('not supported')), []);
});

test('daemon on is accepted with a foreground warning', () => {
  const c = load('listen 1935;\ndaemon on;');
  assert.equal(c.daemon, true);
  assert.ok(c.warnings.includes('c.conf:2:1: daemon is ignored; use a supervisor (tsrs runs in the foreground)'));
  assert.ok(!load(OK).warnings.some((w) => w.includes('daemon')));
});
