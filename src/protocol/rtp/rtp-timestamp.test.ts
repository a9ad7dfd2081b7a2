import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sequenceDelta, sequenceUnwrapper, timestampUnwrapper } from './rtp-timestamp.js';

test('sequence numbers unwrap across 65535 → 0, and a late packet from before the wrap keeps its place', () => {
  const u = sequenceUnwrapper();
  assert.equal(u.unwrap(65534), 65534);
  assert.equal(u.unwrap(65535), 65535);
  assert.equal(u.unwrap(1), 65537);
  assert.equal(u.unwrap(0), 65536); // reordered
  assert.equal(u.unwrap(65533), 65533); // late, from before the wrap
  assert.equal(u.highest, 65537);
  for (let i = 2; i < 70000; i++) u.unwrap(i & 0xffff);
  assert.equal(u.unwrap(70000 & 0xffff), 65536 + 70000);
});

test('RTP timestamps unwrap past 2^32 to exact 53-bit integers, both directions', () => {
  const u = timestampUnwrapper();
  assert.equal(u.unwrap(0xffff_f000), 0xffff_f000);
  assert.equal(u.unwrap(0x0000_1000), 2 ** 32 + 0x1000);
  assert.equal(u.unwrap(0xffff_f800), 0xffff_f800); // a late frame from before the wrap
  let t = 2 ** 32 + 0x1000;
  for (let i = 0; i < 5000; i++) {
    t += 3_000_000; // ~33 s steps at 90 kHz: several more wraps
    assert.equal(u.unwrap(t % 2 ** 32), t);
  }
  assert.equal(u.peek((t + 10) % 2 ** 32), t + 10);
});

test('sequenceDelta is serial-number arithmetic', () => {
  assert.equal(sequenceDelta(1, 65535), 2);
  assert.equal(sequenceDelta(65535, 1), -2);
  assert.equal(sequenceDelta(100, 100), 0);
});
