import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../core/logger.js';
import { audioFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
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
