import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MSGNO_MAX, SEQ_MAX, msgNoInc, seqCmp, seqDec, seqInc, seqLen, seqOffset } from './seq.js';

test('sequence numbers wrap at 2^31: the distance across the wrap is small and signed', () => {
  assert.equal(seqInc(SEQ_MAX), 0);
  assert.equal(seqDec(0), SEQ_MAX);
  assert.equal(seqOffset(SEQ_MAX - 1, 2), 4);
  assert.equal(seqOffset(2, SEQ_MAX - 1), -4);
  assert.ok(seqCmp(SEQ_MAX, 0) < 0, 'the last number before the wrap is before 0');
  assert.ok(seqCmp(5, 3) > 0);
  assert.equal(seqLen(SEQ_MAX, 1), 3);
  assert.equal(seqInc(10, -11), SEQ_MAX);
});

test('message numbers wrap at 2^26 and skip 0', () => {
  assert.equal(msgNoInc(1), 2);
  assert.equal(msgNoInc(MSGNO_MAX), 1);
});
