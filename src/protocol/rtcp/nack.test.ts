import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compressNack, expandNack } from './nack.js';

test('expand: PID plus BLP bits, wrapping at 65535', () => {
  assert.deepEqual(expandNack([{ pid: 10, blp: 0b101 }]), [10, 11, 13]);
  assert.deepEqual(expandNack([{ pid: 65534, blp: 0b11 }]), [65534, 65535, 0]);
  assert.deepEqual(expandNack([{ pid: 1, blp: 0xffff }]).length, 17);
});

test('compress: greedy 17-packet windows, duplicates dropped, order relative to the first across the wrap', () => {
  assert.deepEqual(compressNack([]), []);
  assert.deepEqual(compressNack([5]), [{ pid: 5, blp: 0 }]);
  const run = Array.from({ length: 17 }, (_, i) => 100 + i);
  assert.deepEqual(compressNack(run), [{ pid: 100, blp: 0xffff }]);
  assert.deepEqual(compressNack([...run, 117]), [{ pid: 100, blp: 0xffff }, { pid: 117, blp: 0 }]);
  assert.deepEqual(compressNack([65535, 0, 1, 65534, 1]), [{ pid: 65534, blp: 0b111 }]);
  // Round trip for a scattered list crossing the wrap.
  const lost = [65500, 65501, 65520, 65535, 3, 4, 40, 41, 56, 57];
  assert.deepEqual(expandNack(compressNack(lost)), lost);
});
