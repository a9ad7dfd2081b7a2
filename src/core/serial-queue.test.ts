import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialQueue } from './serial-queue.js';

test('jobs run one at a time, in order; idle resolves when all are done', async () => {
  const log: string[] = [];
  let active = 0;
  const q = new SerialQueue<number>(async (n) => {
    active++;
    assert.equal(active, 1);
    log.push(`start ${n}`);
    await new Promise((r) => setImmediate(r));
    log.push(`end ${n}`);
    active--;
  });
  await q.idle();
  q.jobs.push(1, 2);
  q.kick();
  q.jobs.push(3);
  q.kick();
  assert.ok(q.busy);
  await q.idle();
  assert.equal(q.busy, false);
  assert.deepEqual(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
});
