import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffConfig, parseConfigText } from './index.js';

const BASE = `listen 1935; daemon off; max_connections 100;
http_api { enabled on; }
vhost a { play { gop_cache on; } http_remux { enabled on; } }
vhost b { }
`;

test('identical configs diff as same', () => {
  const d = diffConfig(parseConfigText(BASE, 'a.conf'), parseConfigText(BASE, 'b.conf'));
  assert.equal(d.same, true);
  assert.deepEqual(d.changed, []);
});

test('diff lists changed top-level keys, vhost changes, and restart-only changes', () => {
  const before = parseConfigText(BASE, 'a.conf');
  const after = parseConfigText(
    `listen 1936; daemon off; max_connections 200;
http_api { enabled on; listen 2000; }
vhost a { play { gop_cache off; } http_remux { enabled off; } }
vhost c { }
`,
    'a.conf',
  );
  const d = diffConfig(before, after);
  assert.equal(d.same, false);
  assert.deepEqual(d.changed, ['listen', 'maxConnections', 'httpApi']);
  assert.deepEqual(d.vhostsAdded, ['c']);
  assert.deepEqual(d.vhostsRemoved, ['b']);
  assert.deepEqual(d.vhostsChanged.get('a'), ['play', 'httpRemux']);
  assert.deepEqual(d.needsRestart, ['httpApi', 'vhost.a.httpRemux']);
});
