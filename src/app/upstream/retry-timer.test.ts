import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetryTimer } from './retry-timer.js';

test('RetryTimer: one pending retry at a time, run once, then free to schedule again', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let runs = 0;
  const r = new RetryTimer(() => runs++);
  r.schedule(100);
  r.schedule(10); // already pending: the first one stands
  assert.equal(r.pending, true);
  t.mock.timers.tick(50);
  assert.equal(runs, 0);
  t.mock.timers.tick(50);
  assert.equal(runs, 1);
  assert.equal(r.pending, false);
  r.schedule(10);
  t.mock.timers.tick(10);
  assert.equal(runs, 2);
});

test('RetryTimer: cancel() drops the pending retry', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let runs = 0;
  const r = new RetryTimer(() => runs++);
  r.schedule(100);
  r.cancel();
  assert.equal(r.pending, false);
  t.mock.timers.tick(200);
  assert.equal(runs, 0);
  r.cancel(); // idempotent
});
