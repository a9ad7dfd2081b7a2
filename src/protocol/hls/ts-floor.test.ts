import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AacDtsRebuilder, guessSamplesPerFrame } from './aac-dts.js';
import { TsFloor } from './ts-floor.js';

test('hls_ts_floor: the first piece is floor(now/fragment)−1, then +1 per segment', () => {
  const f = new TsFloor();
  const frag = 10000;
  const t0 = 1_700_000_000_000;
  const p0 = f.next(t0, frag);
  assert.equal(p0.timestamp, Math.floor(t0 / frag) - 1);
  assert.equal(p0.deviation, -1);
  assert.equal(p0.warning, undefined);
  // Segment closes early (clock still in the same piece): forced +1 anyway, deviation 0, warned as dup.
  const p1 = f.next(t0 + 100, frag);
  assert.equal(p1.timestamp, p0.timestamp + 1);
  assert.equal(p1.deviation, 0);
  assert.match(p1.warning!, /dup\/jmp/);
  assert.equal(f.reapAllowanceMs(frag), 0);
  // Clock jumps far ahead: still +1, the deviation goes negative and shortens the next reap.
  const p2 = f.next(t0 + 50 * frag, frag);
  assert.equal(p2.timestamp, p1.timestamp + 1);
  assert.ok(p2.deviation < -40);
  assert.ok(f.reapAllowanceMs(frag) < 0);
});

test('hls_ts_floor: more than 20 pieces ahead of the clock resets to the clock', () => {
  const f = new TsFloor();
  const t0 = 1_000_000;
  let last = f.next(t0, 1000).timestamp;
  for (let i = 0; i < 21; i++) last = f.next(t0, 1000).timestamp;
  assert.equal(last, Math.floor(t0 / 1000) + 20);
  assert.equal(f.next(t0, 1000).timestamp, Math.floor(t0 / 1000) - 1, 'reset after 21 ahead');
});

test('AAC samples per frame guessed from the FLV delta as SRS', () => {
  assert.equal(guessSamplesPerFrame(0, 44100), 0);
  assert.equal(guessSamplesPerFrame(23, 44100), 1024);
  assert.equal(guessSamplesPerFrame(21, 44100), 960);
  assert.equal(guessSamplesPerFrame(46, 44100), 2048);
  assert.equal(guessSamplesPerFrame(128, 8000), 1024);
  assert.equal(guessSamplesPerFrame(100, 44100), 4096);
});

test('AAC DTS rebuilt from sample counts: jitter-free 1024-sample steps (SRS #547)', () => {
  const r = new AacDtsRebuilder();
  const out: number[] = [];
  for (let i = 0; i < 100; i++) out.push(r.next(5000 + Math.round((i * 1024 * 1000) / 44100), 44100));
  assert.equal(out[0], 5000);
  for (let i = 1; i < out.length; i++) assert.ok(Math.abs(out[i]! - out[i - 1]! - (1024 * 1000) / 44100) < 1e-9);
  // Backwards: restart from the FLV timestamp.
  assert.equal(r.next(1000, 44100), 1000);
  assert.ok(Math.abs(r.next(1023, 44100) - (1000 + (1024 * 1000) / 44100)) < 1e-9);
  // A long pause drifts more than 500 ms from the count: resync.
  assert.equal(r.next(5000, 44100), 5000);
});
