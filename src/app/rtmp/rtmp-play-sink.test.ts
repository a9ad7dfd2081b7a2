import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../core/logger.js';
import { audioFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { ChunkDecoder } from '../../protocol/rtmp/chunk-decoder.js';
import { ChunkEncoder } from '../../protocol/rtmp/chunk-encoder.js';
import { MessageType } from '../../protocol/rtmp/message.js';
import type { TcpConnection } from '../../transport/tcp.js';
import type { ByteStreamOptions, ViewerEvents } from '../live/byte-stream-sink.js';
import { drainForgivesScenario, label, notReadingScenario, resumesScenario, shrinkScenario, tooSlowScenario, type ViewerHarness } from '../live/byte-stream-test-helpers.js';
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

/** An RTMP player over a fake connection; what it wrote is decoded back into messages as a client would. */
function rtmpViewer(options: ByteStreamOptions, events: ViewerEvents): ViewerHarness {
  const decoder = new ChunkDecoder();
  const written: string[] = [];
  const conn = {
    pendingBytes: 0,
    write: (bufs: Buffer[]) => {
      // Decoded at once: the encoder may reuse its header memory for the next batch.
      for (const m of decoder.push(Buffer.concat(bufs))) {
        const kind = m.typeId === MessageType.Video ? 'video' : m.typeId === MessageType.Audio ? 'audio' : 'data';
        written.push(label(kind, m.payload, m.timestamp));
      }
      return true;
    },
  };
  const sink = new RtmpPlaySink('p', conn as unknown as TcpConnection, new ChunkEncoder(), 1, options, quiet, events, () => false);
  return { sink, setPending: (n) => (conn.pendingBytes = n), written: () => written, hopeless: [] };
}

test('RTMP player: a backed-up player is shrunk to the headers, re-sent before the next keyframe', () => shrinkScenario(rtmpViewer));
test('RTMP player: a player that takes no byte is fed nothing and is closed after queue_length (SlowConsumerError)', () => notReadingScenario(rtmpViewer));
test('RTMP player: a player that drains too slowly is closed at the third shrink', () => tooSlowScenario(rtmpViewer));
test('RTMP player: a drain between shrinks keeps the player', () => drainForgivesScenario(rtmpViewer));
test('RTMP player: a player that read nothing for a while resumes with the headers and the next keyframe', () => resumesScenario(rtmpViewer));
