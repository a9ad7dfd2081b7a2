import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../core/logger.js';
import { audioFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import type { ByteStreamOptions, ViewerEvents } from '../live/byte-stream-sink.js';
import { drainForgivesScenario, label, notReadingScenario, resumesScenario, shrinkScenario, tooSlowScenario, type ViewerHarness } from '../live/byte-stream-test-helpers.js';
import { HttpStreamSink, type ViewerOutput } from './http-stream-sink.js';
import { FlvStreamEncoder } from './stream-encoders.js';

const quiet: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quiet };
const events = { publishNotify() {}, unpublishNotify() {}, hopeless() {} };
const aac = (ts: number): MediaFrame => audioFrameFromFlv(Buffer.from([0xaf, 1, 0x21]), ts)!;
const endOfTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** An output that records every write; `released` says whether the previous writes have left. */
function recordingOutput(released: boolean | undefined): ViewerOutput & { writes: Buffer[][] } {
  const writes: Buffer[][] = [];
  const out: ViewerOutput & { writes: Buffer[][] } = { writes, write: (b) => void writes.push(b), pending: () => 0, end() {}, destroy() {} };
  if (released !== undefined) out.released = () => released;
  return out;
}

async function twoBatches(output: ReturnType<typeof recordingOutput>): Promise<[Buffer, Buffer]> {
  const sink = new HttpStreamSink('v', output, new FlvStreamEncoder(true, false, false), { jitter: 'off', queueLengthMs: 30_000, mwLatencyMs: 0 }, quiet, events);
  sink.offer(aac(0));
  await endOfTurn();
  sink.offer(aac(23));
  await endOfTurn();
  assert.equal(output.writes.length, 2);
  return [output.writes[0]![0]!, output.writes[1]![0]!];
}

test('an HTTP viewer whose output has sent everything reuses its header memory for the next batch', async () => {
  const [first, second] = await twoBatches(recordingOutput(true));
  assert.equal(second.buffer, first.buffer);
  assert.equal(second.byteOffset, first.byteOffset);
});

test('an HTTP viewer with bytes still queued (or an output that cannot tell) never writes over them', async () => {
  for (const released of [false, undefined]) {
    const [first, second] = await twoBatches(recordingOutput(released));
    assert.ok(second.buffer !== first.buffer || second.byteOffset >= first.byteOffset + first.length, `released=${released}`);
  }
});

/** FLV tags (11-byte header, body, 4-byte PreviousTagSize) back into labels, as a player would read them. */
function flvLabels(body: Buffer, into: string[]): void {
  for (let p = 0; p + 11 <= body.length; ) {
    const type = body[p]! & 0x1f;
    const size = body.readUIntBE(p + 1, 3);
    const ts = (body[p + 7]! * 0x1000000 + body.readUIntBE(p + 4, 3)) >>> 0;
    const tag = body.subarray(p + 11, p + 11 + size);
    into.push(label(type === 9 ? 'video' : type === 8 ? 'audio' : 'data', tag, ts));
    p += 11 + size + 4;
  }
}

/** An HTTP-FLV viewer whose output records and parses what the sink wrote. */
function flvViewer(options: ByteStreamOptions, events: ViewerEvents): ViewerHarness {
  let pending = 0;
  const written: string[] = [];
  const output: ViewerOutput = {
    write: (bufs) => flvLabels(Buffer.concat(bufs), written),
    pending: () => pending,
    released: () => pending === 0,
    end() {},
    destroy() {},
  };
  const sink = new HttpStreamSink('v', output, new FlvStreamEncoder(true, true, false), options, quiet, events);
  return { sink, setPending: (n) => (pending = n), written: () => written, hopeless: [] };
}

test('HTTP-FLV viewer: a backed-up viewer is shrunk to the headers, re-sent before the next keyframe', () => shrinkScenario(flvViewer));
test('HTTP-FLV viewer: a viewer that takes no byte is fed nothing and is closed after queue_length (SlowConsumerError)', () => notReadingScenario(flvViewer));
test('HTTP-FLV viewer: a viewer that drains too slowly is closed at the third shrink', () => tooSlowScenario(flvViewer));
test('HTTP-FLV viewer: a drain between shrinks keeps the viewer', () => drainForgivesScenario(flvViewer));
test('HTTP-FLV viewer: a viewer that read nothing for a while resumes with the headers and the next keyframe', () => resumesScenario(flvViewer));
