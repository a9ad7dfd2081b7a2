import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileMount, matchMount, type Mount } from './mounts.js';

const mounts = (...m: [string, string][]): Mount[] => m.map(([v, t]) => compileMount(v, t)).filter((x): x is Mount => x !== null);

test('default vhost mount collapses [vhost] and matches any host', () => {
  const ms = mounts(['__defaultVhost__', '[vhost]/[app]/[stream].flv']);
  assert.deepEqual(matchMount(ms, '/live/cam1.flv', 'anything'), { vhost: '__defaultVhost__', format: 'flv', app: 'live', stream: 'cam1' });
});

test('segment count must equal the template', () => {
  const ms = mounts(['__defaultVhost__', '[vhost]/[app]/[stream].flv']);
  assert.equal(matchMount(ms, '/cam1.flv', 'h'), null);
  assert.equal(matchMount(ms, '/a/b/cam1.flv', 'h'), null);
  assert.equal(matchMount(ms, '/live/cam1.ts', 'h'), null);
});

test('a named vhost mount is bound to its Host and wins over the default', () => {
  const ms = mounts(['__defaultVhost__', '[vhost]/[app]/[stream].flv'], ['show.test', '[vhost]/[app]/[stream].flv']);
  assert.equal(matchMount(ms, '/live/c.flv', 'show.test')?.vhost, 'show.test');
  assert.equal(matchMount(ms, '/live/c.flv', 'other')?.vhost, '__defaultVhost__');
});

test('formats by extension; fixed mounts; non-live extension ignored', () => {
  assert.equal(compileMount('v', '[vhost]/[app]/[stream].mp4'), null);
  const ms = mounts(['__defaultVhost__', '/[app]/[stream].ts'], ['__defaultVhost__', '/radio/[stream].mp3'], ['__defaultVhost__', '/[app]/[stream].aac']);
  assert.equal(matchMount(ms, '/live/a.ts', 'h')?.format, 'ts');
  assert.deepEqual(matchMount(ms, '/radio/x.mp3', 'h'), { vhost: '__defaultVhost__', format: 'mp3', app: '', stream: 'x' });
  assert.equal(matchMount(ms, '/live/a.aac', 'h')?.format, 'aac');
});

test('regex characters in templates are literal', () => {
  const ms = mounts(['__defaultVhost__', '/x+y/[stream].flv']);
  assert.ok(matchMount(ms, '/x+y/s.flv', 'h'));
  assert.equal(matchMount(ms, '/xxy/s.flv', 'h'), null);
});
