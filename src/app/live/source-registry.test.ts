// SourceRegistry's idle cleanup (issue 12 #9): unused sources go after a grace period, with a notification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../core/logger.js';
import { SourceRegistry, type LiveSource } from './live-source.js';
import type { Sink } from './sink.js';

const quiet: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quiet };
const opts = { gopCache: true, gopCacheMaxFrames: 2500, reduceSequenceHeader: false };
const publisher = { id: 'p', kick() {} };
const viewer: Sink = { id: 'v', viewer: true, offer() {} };

function registry(graceMs: number): { r: SourceRegistry; dropped: string[] } {
  const r = new SourceRegistry(quiet, { graceMs });
  const dropped: string[] = [];
  r.addDropListener({ onSourceDropped: (s: LiveSource) => void dropped.push(s.key) });
  return { r, dropped };
}

test('an unused source is dropped once it has been unused for the grace period, and listeners hear of it', () => {
  const { r, dropped } = registry(30_000);
  const s = r.obtain('__defaultVhost__', 'live', 's', opts);
  s.startPublish(publisher);
  r.sweep(0);
  s.stopPublish(publisher);
  r.release(s);
  assert.equal(r.get('__defaultVhost__', 'live', 's'), s, 'kept at release: the grace period runs');
  r.sweep(1000);
  r.sweep(30_999);
  assert.equal(r.size, 1);
  assert.deepEqual(dropped, []);
  assert.equal(r.sweep(31_000), 1);
  assert.equal(r.get('__defaultVhost__', 'live', 's'), undefined);
  assert.deepEqual(dropped, ['/live/s']);
});

test('a source used again within the grace period is kept and its clock starts over', () => {
  const { r, dropped } = registry(100);
  const s = r.obtain('__defaultVhost__', 'live', 's', opts);
  r.sweep(0);
  s.addSink(viewer);
  r.sweep(150);
  s.removeSink(viewer);
  r.sweep(200);
  r.sweep(299);
  assert.equal(r.size, 1);
  assert.equal(r.get('__defaultVhost__', 'live', 's'), s, 'a republish within the grace would continue the source');
  r.sweep(300);
  assert.deepEqual(dropped, ['/live/s']);
  assert.notEqual(r.obtain('__defaultVhost__', 'live', 's', opts), s, 'a new source after the drop');
});

test('without a grace period release drops at once; a failing listener does not stop the others', () => {
  const { r, dropped } = registry(0);
  r.addDropListener({
    onSourceDropped: () => {
      throw new TypeError('bug');
    },
  });
  const after: string[] = [];
  r.addDropListener({ onSourceDropped: (s) => void after.push(s.key) });
  const s = r.obtain('a.com', 'live', 's', opts);
  s.addSink(viewer);
  r.release(s);
  assert.equal(r.size, 1, 'still watched');
  s.removeSink(viewer);
  r.release(s);
  assert.equal(r.size, 0);
  assert.deepEqual(dropped, ['a.com/live/s']);
  assert.deepEqual(after, ['a.com/live/s']);
});

test('obtain() starts the grace period over (a play that waited on its hooks still finds the source)', () => {
  const { r, dropped } = registry(100);
  const s = r.obtain('__defaultVhost__', 'live', 's', opts);
  r.sweep(0);
  r.sweep(90);
  assert.equal(r.obtain('__defaultVhost__', 'live', 's', opts), s);
  r.sweep(100);
  r.sweep(189);
  assert.deepEqual(dropped, []);
  r.sweep(200);
  assert.deepEqual(dropped, ['/live/s']);
});
