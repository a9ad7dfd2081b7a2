// The bookkeeping of HLS in memory: the hls_storage disk cache's budget and eviction order, deletes,
// playlists never evicted, off at 0, and ram|both mirror entries outside the budget.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import type { HlsOp } from '../../protocol/hls/index.js';
import { DEFAULT_HLS_CACHE_BYTES, HlsMemoryFiles } from './hls-memory.js';

const bytes = (n: number, fill = 0x47): Buffer => Buffer.alloc(n, fill);
const seg = (stream: string, seq: number): string => `/srv/hls/live/${stream}-${seq}.ts`;

test('default budget is 64 MiB; a budget of 0 (or nonsense) turns the cache off', () => {
  assert.equal(new HlsMemoryFiles().cacheBytes, DEFAULT_HLS_CACHE_BYTES);
  assert.equal(DEFAULT_HLS_CACHE_BYTES, 64 * 1024 * 1024);
  for (const cacheBytes of [0, -5, Number.NaN]) {
    const m = new HlsMemoryFiles({ cacheBytes });
    assert.equal(m.cacheEnabled, false);
    m.cacheSegment(seg('a', 0), bytes(10));
    m.cachePlaylist('/srv/hls/live/a.m3u8', Buffer.from('#EXTM3U\n'));
    assert.equal(m.size, 0);
    assert.equal(m.cachedBytes, 0);
    assert.equal(m.get(seg('a', 0)), undefined);
    assert.equal(m.counters.hits, 0);
  }
});

test('over the budget the segments closed first go, across streams; the newest stay', () => {
  const m = new HlsMemoryFiles({ cacheBytes: 1000 });
  m.cacheSegment(seg('a', 0), bytes(300, 1));
  m.cacheSegment(seg('b', 7), bytes(300, 2));
  m.cacheSegment(seg('a', 1), bytes(300, 3));
  assert.equal(m.cachedBytes, 900);
  assert.equal(m.counters.evictions, 0);
  // 1200 > 1000: the oldest (a-0) goes, b-7 (closed before a-1) stays while the total fits.
  m.cacheSegment(seg('b', 8), bytes(300, 4));
  assert.equal(m.cachedBytes, 900);
  assert.equal(m.counters.evictions, 1);
  assert.equal(m.has(seg('a', 0)), false);
  assert.deepEqual([seg('b', 7), seg('a', 1), seg('b', 8)].map((p) => m.has(p)), [true, true, true]);
  // A big one pushes out as many as needed, oldest first.
  m.cacheSegment(seg('a', 2), bytes(700, 5));
  assert.deepEqual([seg('b', 7), seg('a', 1), seg('b', 8), seg('a', 2)].map((p) => m.has(p)), [false, false, true, true]);
  assert.equal(m.cachedBytes, 1000);
  assert.equal(m.counters.evictions, 3);
  // Bigger than the whole budget: not kept, nothing else evicted.
  m.cacheSegment(seg('c', 0), bytes(1001));
  assert.equal(m.has(seg('c', 0)), false);
  assert.equal(m.cachedBytes, 1000);
});

test('the same path cached again replaces the bytes and counts as the newest', () => {
  const m = new HlsMemoryFiles({ cacheBytes: 1000 });
  m.cacheSegment(seg('a', 0), bytes(400, 1));
  m.cacheSegment(seg('a', 1), bytes(400, 2));
  m.cacheSegment(seg('a', 0), bytes(200, 3)); // e.g. a dropped segment's number reused
  assert.equal(m.cachedBytes, 600);
  assert.equal(m.get(seg('a', 0))!.bytes[0], 3);
  m.cacheSegment(seg('a', 2), bytes(400, 4)); // 1000: fits
  m.cacheSegment(seg('a', 3), bytes(100, 5)); // 1100: a-1 (now the oldest) goes, not a-0
  assert.equal(m.has(seg('a', 1)), false);
  assert.equal(m.has(seg('a', 0)), true);
  assert.equal(m.cachedBytes, 700);
});

test('remove (hls_cleanup, hls_dispose) frees the bytes at once; unknown paths are ignored', () => {
  const m = new HlsMemoryFiles({ cacheBytes: 1000 });
  m.cacheSegment(seg('a', 0), bytes(300));
  m.cachePlaylist('/srv/hls/live/a.m3u8', Buffer.from('#EXTM3U\n'));
  m.remove(seg('a', 0));
  m.remove('/srv/hls/live/a-0.key');
  assert.equal(m.cachedBytes, 0);
  assert.equal(m.has(seg('a', 0)), false);
  m.remove('/srv/hls/live/a.m3u8');
  assert.equal(m.size, 0);
});

test('playlists are never evicted and not counted; a new one replaces the old', () => {
  const m = new HlsMemoryFiles({ cacheBytes: 500 });
  m.cachePlaylist('/srv/hls/live/a.m3u8', Buffer.from('#EXTM3U\n#1\n'));
  for (let i = 0; i < 10; i++) m.cacheSegment(seg('a', i), bytes(200));
  assert.equal(m.counters.evictions, 8);
  assert.equal(m.cachedBytes, 400);
  m.cachePlaylist('/srv/hls/live/a.m3u8', Buffer.from('#EXTM3U\n#2\n'));
  const pl = m.get('/srv/hls/live/a.m3u8')!;
  assert.equal(pl.bytes.toString(), '#EXTM3U\n#2\n');
  assert.equal(pl.contentType, 'application/vnd.apple.mpegurl');
  assert.equal(m.cachedBytes, 400);
});

test('get: the shared buffer itself (no copy), relative paths resolve against the cwd, hits counted', () => {
  const m = new HlsMemoryFiles({ cacheBytes: 1000, now: () => Date.UTC(2024, 0, 2, 3, 4, 5) });
  const b = bytes(188);
  m.cacheSegment('objs/hls/live/a-0.ts', b);
  const f = m.get(resolve('objs/hls/live/a-0.ts'))!;
  assert.equal(f.bytes, b);
  assert.equal(f.contentType, 'video/MP2T');
  assert.equal(f.modified, 'Tue, 02 Jan 2024 03:04:05 GMT');
  assert.equal(m.get('./objs/hls/live/a-0.ts')!.bytes, b);
  assert.equal(m.get('objs/hls/live/nope.ts'), undefined);
  assert.equal(m.counters.hits, 2);
});

test('hls_storage ram|both mirror entries: outside the budget, never evicted; a disk write or delete replaces them', () => {
  const m = new HlsMemoryFiles({ cacheBytes: 400 });
  const ops: HlsOp[] = [
    { type: 'open', seq: 0, tmpPath: '/r/live/a-0.ts.tmp', cipher: null },
    { type: 'data', seq: 0, bytes: bytes(188, 1) },
    { type: 'data', seq: 0, bytes: bytes(188, 2) },
    { type: 'close', seq: 0, tmpPath: '/r/live/a-0.ts.tmp', path: '/r/live/a-0.ts', uri: 'a-0.ts', durationMs: 2000 },
    { type: 'playlist', path: '/r/live/a.m3u8', playlist: { entries: [{ seq: 0, durationMs: 2000, uri: 'a-0.ts', discontinuity: false, key: null }], minTargetMs: 2000 } },
  ];
  m.apply('/live/a', ops);
  assert.equal(m.get('/r/live/a-0.ts')!.bytes.length, 376);
  assert.match(m.get('/r/live/a.m3u8')!.bytes.toString(), /^#EXTM3U\n[^]*a-0\.ts\n$/);
  assert.equal(m.cachedBytes, 0);
  for (let i = 0; i < 5; i++) m.cacheSegment(seg('b', i), bytes(200));
  assert.ok(m.has('/r/live/a-0.ts'), 'mirror entries are not evicted');
  // The stream switched to disk: its playlist write replaces the mirror one (with the cache off, drops it).
  const off = new HlsMemoryFiles({ cacheBytes: 0 });
  off.apply('/live/a', ops);
  off.cachePlaylist('/r/live/a.m3u8', Buffer.from('#EXTM3U\n'));
  off.cacheSegment('/r/live/a-0.ts', bytes(10));
  assert.equal(off.size, 0);
  m.apply('/live/a', [{ type: 'delete', path: '/r/live/a-0.ts', reason: 'cleanup' }]);
  assert.equal(m.has('/r/live/a-0.ts'), false);
});

test('forget: a stream that stopped publishing leaves memory (its disk-mode files only)', () => {
  const m = new HlsMemoryFiles({ cacheBytes: 1000 });
  m.cacheSegment(seg('a', 0), bytes(100), '/live/a');
  m.cachePlaylist('/srv/hls/live/a.m3u8', Buffer.from('#EXTM3U\n'), '/live/a');
  m.cacheSegment(seg('b', 0), bytes(100), '/live/b');
  m.apply('/live/a', [{ type: 'playlist', path: '/r/live/a.m3u8', playlist: { entries: [{ seq: 0, durationMs: 2000, uri: 'a-0.ts', discontinuity: false, key: null }], minTargetMs: 2000 } }]);
  m.forget('/live/a');
  assert.deepEqual([seg('a', 0), '/srv/hls/live/a.m3u8', seg('b', 0), '/r/live/a.m3u8'].map((p) => m.has(p)), [false, false, true, true]);
  assert.equal(m.cachedBytes, 100);
});
