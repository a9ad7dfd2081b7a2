import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from './index.js';

/** The repo root: the nearest ancestor with a package.json (tests run from dist/src/config/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    assert.notEqual(up, dir, 'package.json not found above the test file');
    dir = up;
  }
  return dir;
}

const root = repoRoot();
const confDir = join(root, 'conf');
const files = readdirSync(confDir).filter((f) => f.endsWith('.conf'));

test('conf/ holds the example configs', () => {
  for (const f of ['srs.conf', 'rtmp.conf', 'http.flv.live.conf', 'realtime.conf', 'console.conf', 'docs-example.conf']) {
    assert.ok(files.includes(f), `conf/${f} missing`);
  }
});

for (const f of files) {
  test(`conf/${f} parses and validates`, () => {
    const path = join(confDir, f);
    // Includes resolve against the repo root, as `tsrs -c conf/x.conf` runs from there.
    const cfg = parseConfigText(readFileSync(path, 'utf8'), `conf/${f}`, (p) => readFileSync(join(root, p), 'utf8'), {});
    assert.ok(cfg.listen.length > 0);
    assert.equal(cfg.daemon, false, 'examples run in the foreground');
    assert.ok(!cfg.warnings.some((w) => w.includes('illegal') || w.includes('unknown directive')), cfg.warnings.join('\n'));
    for (const v of cfg.vhosts.values()) assert.ok(v.name);
  });
}

test('conf/srs.conf is the documented default setup', () => {
  const cfg = parseConfigText(readFileSync(join(confDir, 'srs.conf'), 'utf8'), 'conf/srs.conf');
  assert.deepEqual(cfg.listen, [{ host: '0.0.0.0', port: 1935 }]);
  assert.equal(cfg.maxConnections, 1000);
  assert.equal(cfg.log.tank, 'console');
  assert.equal(cfg.httpApi.enabled, true);
  assert.equal(cfg.httpApi.listen.port, 1985);
  assert.equal(cfg.httpServer.enabled, true);
  assert.equal(cfg.httpServer.listen.port, 8080);
  assert.equal(cfg.httpServer.dir, './html');
  const v = cfg.vhosts.get('__defaultVhost__')!;
  assert.equal(v.hls.enabled, true);
  assert.equal(v.httpRemux.enabled, true);
  assert.equal(v.httpRemux.mount, '[vhost]/[app]/[stream].flv');
});

test('conf/realtime.conf turns on realtime mode', () => {
  const v = parseConfigText(readFileSync(join(confDir, 'realtime.conf'), 'utf8'), 'conf/realtime.conf').vhosts.get('__defaultVhost__')!;
  assert.equal(v.minLatency, true);
  assert.equal(v.play.mwMsgs, 0);
  assert.equal(v.play.mwLatencyMs, 100);
  assert.equal(v.play.gopCache, false);
  assert.equal(v.play.queueLengthMs, 10000);
  assert.equal(v.tcpNodelay, true);
});
