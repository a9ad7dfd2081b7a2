import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TsrsError } from '../../core/errors.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { ChunkEncoder } from './chunk-encoder.js';
import { encodeSetChunkSize, MessageType, type RtmpMessage } from './message.js';
import { prng, randomBytes as bytesFrom } from '../../../test/fixtures/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const pattern = (n: number, start = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (start + i) & 0xff));

function msg(chunkStreamId: number, typeId: number, streamId: number, timestamp: number, payload: Buffer): RtmpMessage {
  return { chunkStreamId, typeId, streamId, timestamp, payload };
}
function view(m: RtmpMessage) {
  return { csid: m.chunkStreamId, type: m.typeId, sid: m.streamId, ts: m.timestamp, payload: m.payload.toString('hex') };
}
/** fmt of the first chunk of each encoded message. */
function fmts(enc: ChunkEncoder, msgs: RtmpMessage[]): number[] {
  return msgs.map((m) => enc.encodeToBuffer(m)[0]! >>> 6);
}

test('first message on a chunk stream is fmt 0 with the full header', () => {
  const enc = new ChunkEncoder();
  assert.equal(enc.outChunkSize, 128);
  const bytes = enc.encodeToBuffer(msg(3, 20, 1, 1000, hex('0102030405')));
  assert.equal(bytes.toString('hex'), '030003e800000514010000000102030405');
});

test('header compression: fmt 1 on length/type change, fmt 2 on a new delta, fmt 3 on a repeated delta', () => {
  const enc = new ChunkEncoder();
  const p4 = pattern(4);
  assert.deepEqual(
    fmts(enc, [
      msg(4, 8, 1, 0, p4), // fresh: 0
      msg(4, 8, 1, 20, p4), // delta 20 after fmt 0: 2 (no fmt 3 until a real delta was sent)
      msg(4, 8, 1, 40, p4), // delta 20 again: 3
      msg(4, 8, 1, 60, p4), // 3
      msg(4, 8, 1, 90, p4), // delta 30: 2
      msg(4, 8, 1, 120, pattern(5)), // length change: 1
      msg(4, 9, 1, 150, pattern(5)), // type change: 1
      msg(4, 9, 1, 180, pattern(5)), // 3
      msg(4, 9, 2, 210, pattern(5)), // stream id change: 0
      msg(4, 9, 2, 100, pattern(5)), // timestamp backwards: 0
      msg(4, 9, 2, 100, pattern(5)), // delta 0 after fmt 0: 2
      msg(4, 9, 2, 100, pattern(5)), // delta 0 again: 3
    ]),
    [0, 2, 3, 3, 2, 1, 1, 3, 0, 0, 2, 3],
  );
  const bytes = new ChunkEncoder();
  bytes.encodeToBuffer(msg(4, 8, 1, 0, p4));
  assert.equal(bytes.encodeToBuffer(msg(4, 8, 1, 20, p4)).toString('hex'), '84000014' + p4.toString('hex'));
  assert.equal(bytes.encodeToBuffer(msg(4, 8, 1, 40, p4)).toString('hex'), 'c4' + p4.toString('hex'));
  assert.equal(bytes.encodeToBuffer(msg(4, 9, 1, 45, pattern(2))).toString('hex'), '44000005000002090001');
});

test('chunk streams are tracked independently', () => {
  const enc = new ChunkEncoder();
  assert.deepEqual(
    fmts(enc, [msg(4, 8, 1, 0, pattern(3)), msg(6, 9, 1, 0, pattern(3)), msg(4, 8, 1, 10, pattern(3)), msg(6, 9, 1, 10, pattern(3))]),
    [0, 0, 2, 2],
  );
});

test('basic header forms for csid 2..65599; ids outside are refused', () => {
  const cases: [number, string][] = [
    [2, '02'],
    [63, '3f'],
    [64, '0000'],
    [319, '00ff'],
    [320, '010001'],
    [65599, '01ffff'],
  ];
  for (const [csid, basic] of cases) {
    const bytes = new ChunkEncoder().encodeToBuffer(msg(csid, 8, 1, 0, pattern(200)));
    assert.equal(bytes.subarray(0, basic.length / 2).toString('hex'), basic);
    // The continuation chunk uses the same id with fmt 3.
    const cont = bytes.subarray(basic.length / 2 + 11 + 128);
    const contBasic = (parseInt(basic.slice(0, 2), 16) | 0xc0).toString(16) + basic.slice(2);
    assert.equal(cont.subarray(0, basic.length / 2).toString('hex'), contBasic);
    assert.deepEqual(new ChunkDecoder().push(bytes).map(view), [view(msg(csid, 8, 1, 0, pattern(200)))]);
  }
  for (const bad of [0, 1, 65600, 1.5]) {
    assert.throws(() => new ChunkEncoder().encodeToBuffer(msg(bad, 8, 1, 0, pattern(1))), TsrsError);
  }
});

test('extended timestamp: 0xFFFFFF in the header, 4 bytes after it and on every continuation chunk', () => {
  const enc = new ChunkEncoder();
  const payload = pattern(300);
  const bytes = enc.encodeToBuffer(msg(6, 9, 1, 0x01000000, payload));
  const expected = Buffer.concat([
    hex('06 ffffff 00012c 09 01000000 01000000'),
    payload.subarray(0, 128),
    hex('c6 01000000'),
    payload.subarray(128, 256),
    hex('c6 01000000'),
    payload.subarray(256),
  ]);
  assert.equal(bytes.toString('hex'), expected.toString('hex'));
  // Exactly 0xFFFFFF is already extended.
  assert.equal(new ChunkEncoder().encodeToBuffer(msg(6, 9, 1, 0xffffff, pattern(1))).toString('hex'), '06ffffff0000010901000000' + '00ffffff' + '00');
  // Extended delta on fmt 2, repeated on its continuation.
  const d = new ChunkEncoder();
  d.encodeToBuffer(msg(6, 9, 1, 5, pattern(130)));
  assert.equal(
    d.encodeToBuffer(msg(6, 9, 1, 5 + 0x02000000, pattern(130))).toString('hex'),
    Buffer.concat([hex('86 ffffff 02000000'), pattern(128), hex('c6 02000000'), pattern(2, 128)]).toString('hex'),
  );
});

test('zero-copy output: payload views plus headers from one allocation, never rewritten', () => {
  const enc = new ChunkEncoder();
  const payload = Buffer.alloc(1000, 7);
  const out: Buffer[] = [];
  enc.encode(msg(6, 9, 1, 1234, payload), out);
  assert.equal(out.length, 16); // 8 chunks: header + payload each
  const headers = out.filter((_, i) => i % 2 === 0);
  const views = out.filter((_, i) => i % 2 === 1);
  for (const v of views) assert.equal(v.buffer, payload.buffer, 'payload is not copied');
  assert.equal(new Set(headers.map((h) => h.buffer)).size, 1, 'all headers share one allocation');
  // Contiguous regions of that allocation, in order.
  for (let i = 1; i < headers.length; i++) assert.equal(headers[i]!.byteOffset, headers[i - 1]!.byteOffset + headers[i - 1]!.length);
  const snapshot = headers.map((h) => Buffer.from(h));
  // Many more messages (and a slab rollover) must not touch handed-out headers.
  for (let i = 0; i < 5000; i++) enc.encode(msg(3 + (i % 5), 8, 1, 1234 + i * 7, pattern(i % 300)), []);
  headers.forEach((h, i) => assert.ok(h.equals(snapshot[i]!), `header ${i} changed`));
});

test('outChunkSize validation', () => {
  const enc = new ChunkEncoder();
  enc.outChunkSize = 60000;
  assert.equal(enc.outChunkSize, 60000);
  for (const bad of [0, -1, 16 * 1024 * 1024 + 1, 1.5, NaN]) assert.throws(() => (enc.outChunkSize = bad), TsrsError);
  assert.throws(() => enc.encodeToBuffer(msg(3, 9, 1, 0, Buffer.alloc(0x1000000))), TsrsError);
});

test('zero-length messages are a bare header', () => {
  const enc = new ChunkEncoder();
  const out: Buffer[] = [];
  enc.encode(msg(3, 20, 0, 0, Buffer.alloc(0)), out);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.toString('hex'), '030000000000001400000000');
});

/** Random message streams with chunk size changes, timestamps across 0xFFFFFF and near 2^32. */
function randomSession(seed: number, count: number, maxSize: number) {
  const rnd = prng(seed);
  const enc = new ChunkEncoder();
  const parts: Buffer[] = [];
  const expected: RtmpMessage[] = [];
  const csids = [3, 4, 5, 6, 7, 8, 64, 319, 320, 65599];
  const ts = new Map<number, number>();
  const starts = [0, 0xfffff0, 0xfffffe, 0xffffffff - 5000, 0x7fffff00, Math.floor(rnd() * 2 ** 32)];
  for (let i = 0; i < count; i++) {
    if (rnd() < 0.08) {
      const size = rnd() < 0.3 ? 1 + Math.floor(rnd() * 16) : 1 + Math.floor(rnd() * 70000);
      const m = encodeSetChunkSize(size);
      enc.encode(m, parts);
      expected.push(m);
      enc.outChunkSize = size;
    }
    const csid = csids[Math.floor(rnd() * csids.length)]!;
    let t = ts.get(csid) ?? starts[Math.floor(rnd() * starts.length)]!;
    const r = rnd();
    if (r < 0.5) t += 33;
    else if (r < 0.6) t += Math.floor(rnd() * 0x2000000);
    else if (r < 0.7) t -= Math.floor(rnd() * 1000);
    else if (r < 0.8) t = starts[Math.floor(rnd() * starts.length)]!;
    t = t >>> 0;
    ts.set(csid, t);
    const sizeRoll = rnd();
    const cap = sizeRoll < 0.6 ? 300 : sizeRoll < 0.95 ? 20000 : maxSize;
    const size = Math.floor(rnd() * Math.min(cap, maxSize));
    const m = msg(csid, [8, 9, 18, 20, 15, 22][Math.floor(rnd() * 6)]!, rnd() < 0.8 ? 1 : Math.floor(rnd() * 5), t, bytesFrom(rnd, size));
    enc.encode(m, parts);
    expected.push(m);
  }
  return { stream: Buffer.concat(parts), expected: expected.map(view), rnd };
}

test('round trip: random messages (0..200 KB), random chunk sizes, timestamps across 0xFFFFFF and 2^32', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const { stream, expected, rnd } = randomSession(seed, 150, 200 * 1024);
    const dec = new ChunkDecoder();
    const got: RtmpMessage[] = [];
    let pos = 0;
    while (pos < stream.length) {
      const n = rnd() < 0.2 ? 1 + Math.floor(rnd() * 20) : 1 + Math.floor(rnd() * 70000);
      got.push(...dec.push(stream.subarray(pos, pos + n)));
      pos += n;
    }
    assert.equal(got.length, expected.length, `seed ${seed}`);
    assert.deepEqual(got.map(view), expected, `seed ${seed}`);
    assert.equal(dec.bytesReceived, stream.length);
    assert.equal(dec.pendingBytes, 0);
  }
});

test('round trip split at every offset and byte by byte', () => {
  let sawChunkSize = false;
  let sawExtended = false;
  for (let seed = 100; seed < 103; seed++) {
    const { stream, expected } = randomSession(seed, 14, 600);
    sawChunkSize ||= expected.some((m) => m.type === MessageType.SetChunkSize);
    sawExtended ||= expected.some((m) => m.ts >= 0xffffff);
    const whole = new ChunkDecoder().push(stream).map(view);
    assert.deepEqual(whole, expected);
    for (let cut = 1; cut < stream.length; cut++) {
      const dec = new ChunkDecoder();
      const got = [...dec.push(stream.subarray(0, cut)), ...dec.push(stream.subarray(cut))];
      assert.deepEqual(got.map(view), expected, `seed ${seed} cut ${cut}`);
    }
    const dec = new ChunkDecoder();
    const got: RtmpMessage[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...dec.push(stream.subarray(i, i + 1)));
    assert.deepEqual(got.map(view), expected, `seed ${seed} byte by byte`);
  }
  assert.ok(sawChunkSize && sawExtended, 'the seeds cover chunk size changes and extended timestamps');
});

test('round trip of a long run with extended deltas and fmt 3 reuse', () => {
  const enc = new ChunkEncoder();
  enc.outChunkSize = 100;
  const parts: Buffer[] = [];
  const expected: RtmpMessage[] = [];
  let t = 0;
  for (let i = 0; i < 200; i++) {
    // Alternate big constant deltas (extended) and small ones; equal sizes so fmt 3 kicks in.
    t = (t + (i % 20 < 10 ? 0x1000000 : 40)) >>> 0;
    const m = msg(6, MessageType.Video, 1, t, pattern(250, i));
    enc.encode(m, parts);
    expected.push(m);
  }
  const stream = Buffer.concat(parts);
  const dec = new ChunkDecoder();
  dec.push(new ChunkEncoder().encodeToBuffer(encodeSetChunkSize(100)));
  assert.deepEqual(dec.push(stream).map(view), expected.map(view));
});

test('recycle(): headers are carved from the same slab memory again, and stay correct', () => {
  const dec = new ChunkDecoder();
  const enc = new ChunkEncoder();
  const first: Buffer[] = [];
  enc.encode(msg(6, 9, 1, 0, pattern(40)), first);
  const head = first[0]!;
  const second: Buffer[] = [];
  enc.encode(msg(6, 9, 1, 40, pattern(40, 7)), second);
  // Without recycle the next header is new memory; after it, the first header's bytes are written over.
  assert.ok(second[0]!.buffer !== head.buffer || second[0]!.byteOffset >= head.byteOffset + head.length);
  const wire = [Buffer.concat(first), Buffer.concat(second)];
  enc.recycle();
  const third: Buffer[] = [];
  enc.encode(msg(6, 9, 1, 80, pattern(40, 9)), third);
  assert.equal(third[0]!.buffer, head.buffer);
  assert.equal(third[0]!.byteOffset, head.byteOffset);
  wire.push(Buffer.concat(third));
  const out = dec.push(Buffer.concat(wire)).map(view);
  assert.deepEqual(out.map((m) => [m.ts, m.payload]), [
    [0, pattern(40).toString('hex')],
    [40, pattern(40, 7).toString('hex')],
    [80, pattern(40, 9).toString('hex')],
  ]);
});
