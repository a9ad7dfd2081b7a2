import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../core/logger.js';
import { audioFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { QueuedSink, type QueuedSinkOptions } from './queued-sink.js';

const quiet: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quiet };
const events = { publishNotify() {}, unpublishNotify() {}, hopeless() {} };
const aac = (ts: number): MediaFrame => audioFrameFromFlv(Buffer.from([0xaf, 1, 0x21]), ts)!;
const lowLatency: QueuedSinkOptions = { jitter: 'off', queueLengthMs: 30_000, mwLatencyMs: 0 };

/** Records its batches; `fail` makes writeFrames throw (a broken socket path). */
class RecordingSink extends QueuedSink {
  readonly batches: number[][] = [];
  fail = false;
  protected pendingBytes(): number {
    return 0;
  }
  protected writeFrames(frames: MediaFrame[]): void {
    if (this.fail) throw new Error('write failed');
    this.batches.push(frames.map((f) => f.dts));
  }
}

const endOfTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('mw_latency 0: all due sinks are flushed by one microtask per turn, each with its own batch', async () => {
  const sinks = Array.from({ length: 50 }, (_, i) => new RecordingSink(`s${i}`, lowLatency, quiet, events));
  const real = globalThis.queueMicrotask;
  let scheduled = 0;
  globalThis.queueMicrotask = (cb) => {
    scheduled++;
    real(cb);
  };
  try {
    for (const s of sinks) s.offer(aac(0));
    for (const s of sinks) s.offer(aac(23));
    assert.equal(scheduled, 1, 'one end-of-turn pass, not one per viewer');
    await endOfTurn();
    for (const s of sinks) assert.deepEqual(s.batches, [[0, 23]]);
    // The next turn schedules again.
    for (const s of sinks) s.offer(aac(46));
    assert.equal(scheduled, 2);
    await endOfTurn();
    for (const s of sinks) assert.deepEqual(s.batches, [[0, 23], [46]]);
  } finally {
    globalThis.queueMicrotask = real;
  }
});

test('a sink that fails to write does not stop the others in the same pass; a closed one is skipped', async () => {
  const [a, b, c] = [0, 1, 2].map((i) => new RecordingSink(`s${i}`, lowLatency, quiet, events)) as [RecordingSink, RecordingSink, RecordingSink];
  a.fail = true;
  for (const s of [a, b, c]) s.offer(aac(0));
  c.close();
  await endOfTurn();
  assert.deepEqual(a.batches, []);
  assert.deepEqual(b.batches, [[0]]);
  assert.deepEqual(c.batches, []);
});
