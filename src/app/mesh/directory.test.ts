import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshDirectory } from './directory.js';
import { parsePrimaryMessage, parseWorkerMessage } from './messages.js';

const s = (stream: string) => ({ key: `/live/${stream}`, vhost: '__defaultVhost__', app: 'live', stream });

test('the first publish of a stream is broadcast with its owner and relay port', () => {
  const d = new MeshDirectory();
  assert.deepEqual(d.ready(1, 4001), []);
  d.ready(2, 4002);
  const out = d.publish(1, s('a'));
  assert.deepEqual(out.broadcast, [{ tsrsMesh: 1, type: 'publish', ...s('a'), port: 4001, owner: 1 }]);
  assert.deepEqual(out.log, []);
  assert.deepEqual(d.owner('/live/a'), { ...s('a'), owner: 1, port: 4001 });
});

test('unpublish by the owner is broadcast and forgets the stream; by a stranger it is ignored', () => {
  const d = new MeshDirectory();
  d.ready(1, 4001);
  d.ready(2, 4002);
  d.publish(1, s('a'));
  const stranger = d.unpublish(2, '/live/a');
  assert.deepEqual(stranger.broadcast, []);
  assert.match(stranger.log[0]!, /ignore unpublish/);
  const out = d.unpublish(1, '/live/a');
  assert.deepEqual(out.broadcast, [{ tsrsMesh: 1, type: 'unpublish', key: '/live/a', owner: 1 }]);
  assert.equal(d.owner('/live/a'), undefined);
  assert.equal(d.size, 0);
});

test('a second publisher of one stream on another worker is a logged conflict: the first keeps it', () => {
  const d = new MeshDirectory();
  d.ready(1, 4001);
  d.ready(2, 4002);
  d.publish(1, s('a'));
  const out = d.publish(2, s('a'));
  assert.deepEqual(out.broadcast, []);
  assert.match(out.log[0]!, /conflict: worker 2 also publishes \/live\/a, owned by worker 1/);
  assert.equal(d.owner('/live/a')?.owner, 1);
  // When the owner leaves, the other publisher takes over (unpublish, then the new owner).
  const handover = d.unpublish(1, '/live/a');
  assert.deepEqual(handover.broadcast, [
    { tsrsMesh: 1, type: 'unpublish', key: '/live/a', owner: 1 },
    { tsrsMesh: 1, type: 'publish', ...s('a'), port: 4002, owner: 2 },
  ]);
  // The non-owner leaving before the owner says nothing to anyone.
  d.publish(1, s('a'));
  assert.deepEqual(d.unpublish(1, '/live/a').broadcast, []);
  assert.equal(d.owner('/live/a')?.owner, 2);
});

test('a worker that dies loses its streams: unpublish for each is broadcast', () => {
  const d = new MeshDirectory();
  d.ready(1, 4001);
  d.ready(2, 4002);
  d.publish(1, s('a'));
  d.publish(1, s('b'));
  d.publish(2, s('c'));
  const out = d.workerGone(1);
  assert.deepEqual(out.broadcast, [
    { tsrsMesh: 1, type: 'unpublish', key: '/live/a', owner: 1 },
    { tsrsMesh: 1, type: 'unpublish', key: '/live/b', owner: 1 },
  ]);
  assert.equal(d.owner('/live/a'), undefined);
  assert.equal(d.owner('/live/c')?.owner, 2);
  // Its port is gone too: a publish from the dead id (a late message) is refused.
  assert.deepEqual(d.publish(1, s('d')).broadcast, []);
});

test('a worker that becomes ready gets the current directory; publishes before ready are refused', () => {
  const d = new MeshDirectory();
  assert.match(d.publish(1, s('a')).log[0]!, /never said ready/);
  d.ready(1, 4001);
  d.ready(2, 4002);
  d.publish(1, s('a'));
  d.publish(2, s('b'));
  d.publish(2, s('a')); // conflict: not in the snapshot as an owner
  assert.deepEqual(d.ready(3, 4003), [
    { tsrsMesh: 1, type: 'publish', ...s('a'), port: 4001, owner: 1 },
    { tsrsMesh: 1, type: 'publish', ...s('b'), port: 4002, owner: 2 },
  ]);
});

test('mesh messages are validated; other IPC and malformed ones are refused with a reason', () => {
  assert.deepEqual(parseWorkerMessage({ tsrsMesh: 1, type: 'ready', port: 4001 }), { tsrsMesh: 1, type: 'ready', port: 4001 });
  assert.deepEqual(parseWorkerMessage({ tsrsMesh: 1, type: 'publish', ...s('a'), extra: 1 }), { tsrsMesh: 1, type: 'publish', ...s('a') });
  assert.equal(parseWorkerMessage({ cmd: 'other' }), 'not a mesh message');
  assert.equal(typeof parseWorkerMessage({ tsrsMesh: 1, type: 'ready', port: 70000 }), 'string');
  assert.equal(typeof parseWorkerMessage({ tsrsMesh: 1, type: 'publish', key: '/live/a' }), 'string');
  assert.equal(typeof parseWorkerMessage({ tsrsMesh: 2, type: 'ready', port: 1 }), 'string');
  assert.equal(typeof parseWorkerMessage({ tsrsMesh: 1, type: 'boom' }), 'string');
  assert.deepEqual(parsePrimaryMessage({ tsrsMesh: 1, type: 'unpublish', key: '/live/a', owner: 2 }), { tsrsMesh: 1, type: 'unpublish', key: '/live/a', owner: 2 });
  assert.equal(typeof parsePrimaryMessage({ tsrsMesh: 1, type: 'publish', ...s('a'), port: 4001 }), 'string');
  assert.equal(typeof parsePrimaryMessage(null), 'string');
  assert.equal(typeof parsePrimaryMessage('x'), 'string');
});
