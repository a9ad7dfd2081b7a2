import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { ByteStreamSink, OUTPUT_HIGH_WATER, type ByteStreamOptions, type ViewerEvents } from './byte-stream-sink.js';
import { aac, drainForgivesScenario, inter, key, label, notReadingScenario, resumesScenario, quiet, shrinkScenario, tooSlowScenario, type ViewerHarness } from './byte-stream-test-helpers.js';

/** The policy over an output that records frames (no encoding): the rules themselves. */
function fakeViewer(options: ByteStreamOptions, events: ViewerEvents): ViewerHarness {
  let pending = 0;
  const written: string[] = [];
  const output = {
    pendingBytes: () => pending,
    writeFrames: (frames: MediaFrame[], dts: readonly number[]) => {
      frames.forEach((f, i) => written.push(label(f.kind, f.payload, dts[i]!)));
    },
  };
  return { sink: new ByteStreamSink('v', output, options, quiet, events), setPending: (n) => (pending = n), written: () => written, hopeless: [] };
}

test('policy: a backed-up viewer is shrunk to the headers and resumes video at a keyframe', () => shrinkScenario(fakeViewer));
test('policy: a viewer that takes no byte is fed nothing and is closed after queue_length', () => notReadingScenario(fakeViewer));
test('policy: a viewer that drains too slowly is closed at the third shrink', () => tooSlowScenario(fakeViewer));
test('policy: a drain between shrinks keeps the viewer', () => drainForgivesScenario(fakeViewer));

test('policy: an output refusing a frame kind never gets it', async () => {
  const written: string[] = [];
  const output = {
    pendingBytes: () => 0,
    accepts: (f: MediaFrame) => f.kind !== 'video',
    writeFrames: (frames: MediaFrame[], dts: readonly number[]) => frames.forEach((f, i) => written.push(label(f.kind, f.payload, dts[i]!))),
  };
  const sink = new ByteStreamSink('v', output, { jitter: 'off', queueLengthMs: 1000, mwLatencyMs: 0 }, quiet, { publishNotify() {}, unpublishNotify() {}, hopeless() {} });
  sink.offer(key(0));
  sink.offer(aac(10));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(written, ['A@10']);
});
test('policy: a viewer that read nothing for a while resumes with the headers and the next keyframe', () => resumesScenario(fakeViewer));

test('policy: a non-reader is still closed when a republish restarts the timeline (jitter off)', async () => {
  const hopeless: string[] = [];
  const v = fakeViewer({ jitter: 'off', queueLengthMs: 1000, mwLatencyMs: 0 }, { publishNotify() {}, unpublishNotify() {}, hopeless: (r) => void hopeless.push(r) });
  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
  v.sink.offer(key(50_000));
  await turn();
  v.setPending(OUTPUT_HIGH_WATER + 1);
  for (let t = 50_040; t < 50_400; t += 40) {
    v.sink.offer(inter(t));
    await turn();
  }
  // The publisher comes back with timestamps from 0: the viewer still reads nothing.
  for (let t = 0; t < 1200 && hopeless.length === 0; t += 40) {
    v.sink.offer(t % 1000 === 0 ? key(t) : inter(t));
    await turn();
  }
  assert.equal(hopeless.length, 1);
  assert.match(hopeless[0]!, /took no byte/);
});
