import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { parseStreamId } from './stream-id.js';

test('stream ids in every form SRS 4 reads', () => {
  const cases: [string, object][] = [
    ['#!::r=live/livestream,m=publish', { mode: 'publish', vhost: '', app: 'live', stream: 'livestream', param: '' }],
    ['#!::r=live/livestream,m=request', { mode: 'play', vhost: '', app: 'live', stream: 'livestream', param: '' }],
    ['#!::r=live/livestream', { mode: 'play', vhost: '', app: 'live', stream: 'livestream', param: '' }],
    ['#!::h=example.com,r=live/livestream,m=publish', { mode: 'publish', vhost: 'example.com', app: 'live', stream: 'livestream', param: '' }],
    ['#!::h=live/livestream,m=publish', { mode: 'publish', vhost: '', app: 'live', stream: 'livestream', param: '' }],
    ['#!::h=example.com/live/livestream', { mode: 'play', vhost: 'example.com', app: 'live', stream: 'livestream', param: '' }],
    ['#!::r=live/livestream?secret=abc,m=publish', { mode: 'publish', vhost: '', app: 'live', stream: 'livestream', param: '?secret=abc' }],
    ['#!::r=live/livestream,m=publish,key=v', { mode: 'publish', vhost: '', app: 'live', stream: 'livestream', param: '?key=v' }],
    ['#!::r=live/s?a=1,m=PUBLISH,u=bob', { mode: 'publish', vhost: '', app: 'live', stream: 's', param: '?a=1&u=bob' }],
    ['#!::r=livestream,m=publish', { mode: 'publish', vhost: '', app: 'def', stream: 'livestream', param: '' }],
    ['live/livestream', { mode: 'play', vhost: '', app: 'live', stream: 'livestream', param: '' }],
    ['livestream', { mode: 'play', vhost: '', app: 'def', stream: 'livestream', param: '' }],
    ['a/b/c', { mode: 'play', vhost: '', app: 'a/b', stream: 'c', param: '' }],
  ];
  for (const [id, want] of cases) assert.deepEqual(parseStreamId(id, 'def'), want, id);
});

test('unusable stream ids throw ProtocolError (SrtConn)', () => {
  for (const id of ['', '#!::m=publish', '#!::r=live/s,m=bogus', '#!::r=/', 'live/']) {
    assert.throws(() => parseStreamId(id), (e: unknown) => e instanceof ProtocolError && e.code === 6006, id);
  }
});
