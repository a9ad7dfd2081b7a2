import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlvDemuxer } from '../../kernel/format/flv.js';
import { audioFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { FlvStreamEncoder } from './stream-encoders.js';

const aac = (ts: number, fill: number): MediaFrame => audioFrameFromFlv(Buffer.from([0xaf, 1, fill, fill, fill]), ts)!;

/** Encodes one batch and returns its Buffers plus the bytes they held at that moment (what was sent). */
function batch(enc: FlvStreamEncoder, frames: MediaFrame[]): { parts: Buffer[]; sent: Buffer } {
  const parts: Buffer[] = [];
  enc.encode(frames, frames.map((f) => f.dts), parts);
  return { parts, sent: Buffer.concat(parts) };
}

test('FLV encoder: a stream of batches decodes to the frames, with and without recycle() between them', () => {
  const enc = new FlvStreamEncoder(true, false, false);
  const wire: Buffer[] = [Buffer.concat(enc.start())];
  const frames = Array.from({ length: 400 }, (_, i) => aac(i * 23, i & 0xff));
  for (let i = 0; i < frames.length; i += 8) {
    // Recycle between every other batch: like an output whose socket had drained.
    if ((i / 8) % 2 === 1) enc.recycle();
    wire.push(batch(enc, frames.slice(i, i + 8)).sent);
  }
  const tags = new FlvDemuxer().push(Buffer.concat(wire));
  assert.equal(tags.length, frames.length);
  tags.forEach((t, i) => {
    assert.equal(t.type, 8);
    assert.equal(t.timestamp, i * 23);
    assert.deepEqual(t.body, frames[i]!.payload);
  });
});

test('FLV encoder: tag headers are new memory until recycle(), then the same memory again', () => {
  const enc = new FlvStreamEncoder(true, false, false);
  const a = batch(enc, [aac(0, 1), aac(23, 2)]);
  const b = batch(enc, [aac(46, 3)]);
  const headA = a.parts[0]!;
  // Without recycle, batch b did not write over batch a (it may still sit in a socket's queue).
  assert.deepEqual(Buffer.concat(a.parts), a.sent);
  assert.notEqual(b.parts[0]!.byteOffset, headA.byteOffset);
  enc.recycle();
  const c = batch(enc, [aac(69, 4)]);
  assert.equal(c.parts[0]!.buffer, headA.buffer);
  assert.equal(c.parts[0]!.byteOffset, headA.byteOffset);
  // And now a's header Buffers hold c's bytes: why only an output that has sent everything may recycle.
  assert.notDeepEqual(Buffer.concat(a.parts), a.sent);
});
