import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandDuration, expandSeq, expandStreamTemplate, expandTimeTemplate, replaceAll, segmentUri, srsDirname } from './template.js';

const T = Date.UTC(2024, 2, 5, 7, 8, 9, 10); // 2024-03-05 07:08:09.010 UTC

test('stream variables: every occurrence, literal', () => {
  assert.equal(expandStreamTemplate('[vhost]/[app]/[stream]-[stream].m3u8', '__defaultVhost__', 'live', 'cam1'), '__defaultVhost__/live/cam1-cam1.m3u8');
  assert.equal(expandStreamTemplate('[app]/[stream].m3u8', 'v', 'a.b', '[app]'), 'a.b/[app].m3u8', 'no re-scan of inserted text');
  assert.equal(replaceAll('aaa', 'a', 'aa'), 'aaaaaa');
});

test('time variables in UTC (config.md §4 example) and [timestamp] in ms', () => {
  assert.equal(expandTimeTemplate('/rec/[2006][01][02]/[15][04][05]-[999].ts', T, true), '/rec/20240305/070809-010.ts');
  assert.equal(expandTimeTemplate('x-[timestamp].ts', T, true), `x-${T}.ts`);
  assert.equal(expandTimeTemplate('plain.ts', T, true), 'plain.ts');
});

test('time variables in local time follow the process time zone', () => {
  const d = new Date(T);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const want = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  assert.equal(expandTimeTemplate('[2006][01][02]-[15][04][05].[999]', T, false), want);
});

test('[seq] and [duration]', () => {
  assert.equal(expandSeq('[app]/[stream]-[seq].ts', 42), '[app]/[stream]-42.ts');
  assert.equal(expandDuration('cam-3-[duration].ts', 2040.7), 'cam-3-2040.ts');
});

test('srs_path_dirname', () => {
  assert.equal(srsDirname('live/cam.m3u8'), 'live');
  assert.equal(srsDirname('cam.m3u8'), './');
  assert.equal(srsDirname('/cam.m3u8'), '/');
  assert.equal(srsDirname('./objs/nginx/html/live/cam.m3u8'), './objs/nginx/html/live');
});

test('segment URIs: relative to the playlist, hls_entry_prefix with and without a trailing slash', () => {
  const m3u8 = './objs/nginx/html/live/livestream.m3u8';
  const ts = './objs/nginx/html/live/livestream-3.ts';
  assert.equal(segmentUri(ts, m3u8, 'live/livestream.m3u8', ''), 'livestream-3.ts');
  assert.equal(segmentUri(ts, m3u8, 'live/livestream.m3u8', 'http://cdn'), 'http://cdn/live/livestream-3.ts');
  assert.equal(segmentUri(ts, m3u8, 'live/livestream.m3u8', 'http://cdn/'), 'http://cdn/livestream-3.ts');
  // TS in a sub directory of the playlist's.
  assert.equal(segmentUri('/h/live/ts/cam-1.ts', '/h/live/cam.m3u8', 'live/cam.m3u8', ''), 'ts/cam-1.ts');
  // TS outside the playlist's directory: SRS lists the full path.
  assert.equal(segmentUri('/h/other/cam-1.ts', '/h/live/cam.m3u8', 'live/cam.m3u8', ''), 'h/other/cam-1.ts');
  assert.equal(segmentUri('/h/live2/cam-1.ts', '/h/live/cam.m3u8', 'live/cam.m3u8', ''), 'h/live2/cam-1.ts', 'directory boundary');
  // Playlist at the root of hls_path: no directory after the prefix.
  assert.equal(segmentUri('/h/cam-1.ts', '/h/cam.m3u8', 'cam.m3u8', 'http://cdn'), 'http://cdn/cam-1.ts');
});
