import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../core/logger.js';
import { audioFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { ChunkEncoder } from '../../protocol/rtmp/chunk-encoder.js';
import type { TcpConnection } from '../../transport/tcp.js';
import { RtmpPlaySink } from './rtmp-play-sink.js';

const quiet: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quiet };
const events = { publishNotify() {}, unpublishNotify() {}, hopeless() {} };
const aac = (ts: number): MediaFrame => audioFrameFromFlv(Buffer.from([0xaf, 1, 0x21]), ts)!;
const endOfTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The first chunk header of each of two batches, written with `pendingBytes` queued and the session's output state. */
async function twoBatches(pendingBytes: number, sessionHasOutput: boolean): Promise<[Buffer, Buffer]> {
  const writes: Buffer[][] = [];
  const conn = { pendingBytes, write: (b: Buffer[]) => (writes.push(b), true) } as unknown as TcpConnection;
  const sink = new RtmpPlaySink('p', conn, new ChunkEncoder(), 1, { jitter: 'off', queueLengthMs: 30_000, mwLatencyMs: 0 }, quiet, events, () => sessionHasOutput);
  sink.offer(aac(0));
  await endOfTurn();
  sink.offer(aac(23));
  await endOfTurn();
  assert.equal(writes.length, 2);
  return [writes[0]![0]!, writes[1]![0]!];
}

test('an RTMP player whose socket has sent everything reuses its chunk-header memory', async () => {
  const [first, second] = await twoBatches(0, false);
  assert.equal(second.buffer, first.buffer);
  assert.equal(second.byteOffset, first.byteOffset);
});

test('an RTMP player with bytes queued, or session messages not yet written, never writes over them', async () => {
  for (const [pending, sessionOut] of [[100, false], [0, true]] as const) {
    const [first, second] = await twoBatches(pending, sessionOut);
    assert.ok(second.buffer !== first.buffer || second.byteOffset >= first.byteOffset + first.length, `pending=${pending} session=${sessionOut}`);
  }
});
