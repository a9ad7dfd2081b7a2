import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { ChunkEncoder } from './chunk-encoder.js';
import { encodeAbort, encodeSetChunkSize, MAX_CHUNK_SIZE, MessageType, type RtmpMessage } from './message.js';
import { prng, randomBytes as bytesFrom } from '../../../test/fixtures/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const pattern = (n: number, start = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (start + i) & 0xff));

/** `a` shares no memory with `b` (small Buffers may live in the same pool slab, never overlapping). */
function assertDisjoint(a: Buffer, b: Buffer): void {
  if (a.buffer !== b.buffer) return;
  assert.ok(a.byteOffset + a.length <= b.byteOffset || b.byteOffset + b.length <= a.byteOffset, 'overlapping memory');
}

function isProtocolError(code: number) {
  return (err: unknown) => err instanceof ProtocolError && err.code === code;
}

/** A plain view of a message, for deepEqual. */
function view(m: RtmpMessage) {
  return { csid: m.chunkStreamId, type: m.typeId, sid: m.streamId, ts: m.timestamp, payload: m.payload.toString('hex') };
}
function decodeAll(parts: Buffer[], dec = new ChunkDecoder()) {
  const out: RtmpMessage[] = [];
  for (const p of parts) out.push(...dec.push(p));
  return out.map(view);
}
/** Decodes `stream` whole, split at every offset, and byte by byte; all must agree. */
function decodeEverySplit(stream: Buffer, expected: ReturnType<typeof view>[]): void {
  assert.deepEqual(decodeAll([stream]), expected);
  for (let cut = 1; cut < stream.length; cut++) {
    assert.deepEqual(decodeAll([stream.subarray(0, cut), stream.subarray(cut)]), expected, `cut at ${cut}`);
  }
  const bytes: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) bytes.push(stream.subarray(i, i + 1));
  assert.deepEqual(decodeAll(bytes), expected, 'byte by byte');
}

test('fmt 0 single-chunk message', () => {
  // fmt 0, csid 3, ts 1000, length 5, type 20, stream id 1 (little-endian), payload.
  const msgs = decodeAll([hex('03 0003e8 000005 14 01000000 0102030405')]);
  assert.deepEqual(msgs, [{ csid: 3, type: 20, sid: 1, ts: 1000, payload: '0102030405' }]);
});

test('basic header forms: 1, 2 and 3 bytes (csid 2..65599)', () => {
  const cases: [string, number][] = [
    ['02', 2],
    ['3f', 63],
    ['00 00', 64],
    ['00 ff', 319],
    ['01 00 01', 320],
    ['01 ff ff', 65599],
    ['01 10 27', 64 + 0x10 + 0x27 * 256],
  ];
  for (const [basic, csid] of cases) {
    const msgs = decodeAll([hex(`${basic} 000010 000002 08 01000000 aabb`)]);
    assert.deepEqual(msgs, [{ csid, type: 8, sid: 1, ts: 16, payload: 'aabb' }], basic);
  }
});

test('fmt 1/2/3 inherit the header and accumulate deltas', () => {
  const stream = hex(`
    04 000064 000003 08 01000000 aaaaaa
    44 000014 000004 09 bbbbbbbb
    84 00001e cccccccc
    c4 dddddddd
    c4 eeeeeeee`);
  const expected = [
    { csid: 4, type: 8, sid: 1, ts: 100, payload: 'aaaaaa' },
    { csid: 4, type: 9, sid: 1, ts: 120, payload: 'bbbbbbbb' },
    { csid: 4, type: 9, sid: 1, ts: 150, payload: 'cccccccc' },
    { csid: 4, type: 9, sid: 1, ts: 180, payload: 'dddddddd' },
    { csid: 4, type: 9, sid: 1, ts: 210, payload: 'eeeeeeee' },
  ];
  decodeEverySplit(stream, expected);
});

test('fmt 3 right after fmt 0 adds the fmt 0 timestamp again (spec 5.3.1.2.4, as FFmpeg, librtmp and SRS read it)', () => {
  const msgs = decodeAll([hex('05 000028 000001 08 01000000 11  c5 22  c5 33')]);
  assert.deepEqual(
    msgs.map((m) => m.ts),
    [40, 80, 120],
  );
});

test('a message spanning chunks, interleaved with another chunk stream', () => {
  const audio = pattern(300, 0);
  const video = pattern(10, 0x80);
  const stream = Buffer.concat([
    hex('04 000000 00012c 08 01000000'),
    audio.subarray(0, 128),
    hex('06 000000 00000a 09 01000000'),
    video,
    hex('c4'),
    audio.subarray(128, 256),
    hex('c4'),
    audio.subarray(256),
  ]);
  decodeEverySplit(stream, [
    { csid: 6, type: 9, sid: 1, ts: 0, payload: video.toString('hex') },
    { csid: 4, type: 8, sid: 1, ts: 0, payload: audio.toString('hex') },
  ]);
});

test('extended timestamp on fmt 0, repeated on continuation chunks (FFmpeg, Flash, SRS)', () => {
  const payload = pattern(200);
  const stream = Buffer.concat([
    hex('06 ffffff 0000c8 09 01000000 01000000'),
    payload.subarray(0, 128),
    hex('c6 01000000'),
    payload.subarray(128),
  ]);
  decodeEverySplit(stream, [{ csid: 6, type: 9, sid: 1, ts: 0x01000000, payload: payload.toString('hex') }]);
});

test('extended timestamp not repeated on continuation chunks (2009 spec text, some encoders)', () => {
  const payload = pattern(200, 0x40);
  const stream = Buffer.concat([
    hex('06 ffffff 0000c8 09 01000000 01000000'),
    payload.subarray(0, 128),
    hex('c6'),
    payload.subarray(128),
  ]);
  decodeEverySplit(stream, [{ csid: 6, type: 9, sid: 1, ts: 0x01000000, payload: payload.toString('hex') }]);
});

test('a non-repeating continuation whose payload starts like the extended timestamp is still payload', () => {
  // Extended timestamp 0x01020304; the continuation payload starts 01 02 aa: two bytes match, then not.
  const payload = Buffer.concat([pattern(128), hex('0102aa0b0c')]);
  const stream = Buffer.concat([
    hex('07 ffffff 000085 08 01000000 01020304'),
    payload.subarray(0, 128),
    hex('c7'),
    payload.subarray(128),
  ]);
  decodeEverySplit(stream, [{ csid: 7, type: 8, sid: 1, ts: 0x01020304, payload: payload.toString('hex') }]);
  // A final chunk shorter than 4 bytes that differs at once is delivered without waiting for more bytes.
  const dec = new ChunkDecoder();
  const short = Buffer.concat([pattern(128), hex('55')]);
  const msgs = dec.push(Buffer.concat([hex('07 ffffff 000081 08 01000000 01020304'), short.subarray(0, 128), hex('c7 55')]));
  assert.equal(msgs.length, 1);
  assert.ok(msgs[0]!.payload.equals(short));
});

test('extended delta on fmt 1/2: continuation may repeat the delta (FFmpeg) or the absolute timestamp', () => {
  const payload = pattern(130);
  for (const repeat of ['02000000', '0200000a']) {
    const stream = Buffer.concat([
      hex('08 00000a 000001 08 01000000 00'),
      hex('48 ffffff 000082 08 02000000'),
      payload.subarray(0, 128),
      hex(`c8 ${repeat}`),
      payload.subarray(128),
    ]);
    decodeEverySplit(stream, [
      { csid: 8, type: 8, sid: 1, ts: 10, payload: '00' },
      { csid: 8, type: 8, sid: 1, ts: 0x0200000a, payload: payload.toString('hex') },
    ]);
  }
});

test('fmt 3 starting a message after an extended delta reads the 4-byte delta again', () => {
  const stream = hex(`
    09 000000 000001 08 01000000 01
    89 ffffff 01000000 02
    c9 01000000 03`);
  decodeEverySplit(stream, [
    { csid: 9, type: 8, sid: 1, ts: 0, payload: '01' },
    { csid: 9, type: 8, sid: 1, ts: 0x01000000, payload: '02' },
    { csid: 9, type: 8, sid: 1, ts: 0x02000000, payload: '03' },
  ]);
});

test('timestamps wrap modulo 2^32', () => {
  const stream = hex(`
    0a ffffff 000001 08 01000000 fffffff0 01
    8a 000020 02`);
  assert.deepEqual(
    decodeAll([stream]).map((m) => m.ts),
    [0xfffffff0, 0x10],
  );
});

test('Set Chunk Size applies to the chunks that follow it in the same push, and is returned', () => {
  const big = pattern(4000);
  const dec = new ChunkDecoder();
  const msgs = dec.push(
    Buffer.concat([hex('02 000000 000004 01 00000000 00001000'), hex('03 000000 000fa0 09 01000000'), big]),
  );
  assert.equal(dec.inChunkSize, 4096);
  assert.deepEqual(
    msgs.map((m) => m.typeId),
    [MessageType.SetChunkSize, MessageType.Video],
  );
  assert.ok(msgs[1]!.payload.equals(big));
});

test('Set Chunk Size of 0, above 16 MiB or with bit 31 set is a ProtocolError', () => {
  for (const v of ['00000000', '01000001', '80000080', 'ffffffff']) {
    const dec = new ChunkDecoder();
    assert.throws(() => dec.push(hex(`02 000000 000004 01 00000000 ${v}`)), isProtocolError(ErrorCode.RtmpChunkSize), v);
  }
  const dec = new ChunkDecoder();
  dec.push(hex('02 000000 000004 01 00000000 01000000'));
  assert.equal(dec.inChunkSize, MAX_CHUNK_SIZE);
  const one = new ChunkDecoder();
  // Chunk size 1: every payload byte gets its own chunk.
  const msgs = one.push(hex('02 000000 000004 01 00000000 00000001  03 000000 000003 14 00000000 aa c3 bb c3 cc'));
  assert.equal(msgs[1]!.payload.toString('hex'), 'aabbcc');
});

test('Abort discards the partial message on its chunk stream', () => {
  const dec = new ChunkDecoder();
  assert.deepEqual(dec.push(Buffer.concat([hex('04 000000 00012c 08 01000000'), pattern(128)])), []);
  assert.equal(dec.pendingBytes, 300);
  // Without the abort, fmt 0 on csid 4 would be refused.
  const msgs = dec.push(Buffer.concat([hex('02 000000 000004 02 00000000 00000004'), hex('04 000000 000002 08 01000000 beef')]));
  assert.deepEqual(
    msgs.map((m) => [m.typeId, m.payload.toString('hex')]),
    [
      [MessageType.Abort, '00000004'],
      [MessageType.Audio, 'beef'],
    ],
  );
  assert.equal(dec.pendingBytes, 0);
});

test('a fresh chunk stream may start with fmt 1 (librtmp ping, as SRS accepts) but not fmt 2/3', () => {
  // librtmp's ping: fmt 1 on csid 2, timestamp 0, length 6, type 4 (user control), PingRequest.
  const msgs = decodeAll([hex('42 000000 000006 04 0006 00000d0f')]);
  assert.deepEqual(msgs, [{ csid: 2, type: 4, sid: 0, ts: 0, payload: '000600000d0f' }]);
  assert.throws(() => new ChunkDecoder().push(hex('83 000010')), isProtocolError(ErrorCode.RtmpChunkStart));
  assert.throws(() => new ChunkDecoder().push(hex('c3')), isProtocolError(ErrorCode.RtmpChunkStart));
  // Refused on the basic header alone, before the rest of the chunk arrives.
  assert.throws(() => new ChunkDecoder().push(hex('bf')), isProtocolError(ErrorCode.RtmpChunkStart));
});

test('headers inside a partly received message: fmt 0 refused, fmt 1 only without a length change', () => {
  const start = Buffer.concat([hex('04 000000 00012c 08 01000000'), pattern(128)]);
  assert.throws(
    () => new ChunkDecoder().push(Buffer.concat([start, hex('04 000000 00012c 08 01000000')])),
    isProtocolError(ErrorCode.RtmpChunkStart),
  );
  assert.throws(
    () => new ChunkDecoder().push(Buffer.concat([start, hex('44 000000 00012d 08')])),
    isProtocolError(ErrorCode.RtmpPacketSize),
  );
  const ok = new ChunkDecoder().push(Buffer.concat([start, hex('44 000000 00012c 08'), pattern(128, 128), hex('84 000000'), pattern(44, 0)]));
  assert.equal(ok.length, 1);
  assert.equal(ok[0]!.payload.length, 300);
});

test('a message longer than maxMessageSize is refused from its header alone', () => {
  const dec = new ChunkDecoder({ maxMessageSize: 1000 });
  assert.throws(() => dec.push(hex('04 000000 0003e9 09 01000000')), isProtocolError(ErrorCode.RtmpMessageSize));
  assert.equal(dec.pendingBytes, 0);
  // The decoder stays failed.
  assert.throws(() => dec.push(hex('00')), isProtocolError(ErrorCode.RtmpMessageSize));
  // Exactly the limit is fine.
  assert.equal(new ChunkDecoder({ maxMessageSize: 100 }).push(Buffer.concat([hex('04 000000 000064 09 01000000'), pattern(100)])).length, 1);
});

test('huge declared lengths on many chunk streams hit the pending budget before allocating', () => {
  const dec = new ChunkDecoder();
  const parts: Buffer[] = [];
  // Each chunk stream gets a header announcing 16 MiB - 1 and one full 128-byte chunk.
  for (let csid = 3; csid < 20; csid++) {
    parts.push(hex(`${csid.toString(16).padStart(2, '0')} 000000 ffffff 09 01000000`), pattern(128));
  }
  assert.throws(() => dec.push(Buffer.concat(parts)), isProtocolError(ErrorCode.RtmpMessageSize));
  assert.ok(dec.pendingBytes <= 32 * 1024 * 1024);
});

test('more chunk streams than maxChunkStreams is a ProtocolError', () => {
  const dec = new ChunkDecoder({ maxChunkStreams: 4 });
  const ok = [3, 4, 5, 6].map((c) => hex(`${c.toString(16).padStart(2, '0')} 000000 000001 08 01000000 00`));
  assert.equal(dec.push(Buffer.concat(ok)).length, 4);
  assert.throws(() => dec.push(hex('07 000000 000001 08 01000000 00')), isProtocolError(ErrorCode.RtmpChunkStart));
});

test('zero-length messages', () => {
  decodeEverySplit(hex('03 000005 000000 14 00000000  c3  03 000000 000001 12 00000000 ff'), [
    { csid: 3, type: 20, sid: 0, ts: 5, payload: '' },
    { csid: 3, type: 20, sid: 0, ts: 10, payload: '' },
    { csid: 3, type: 18, sid: 0, ts: 0, payload: 'ff' },
  ]);
});

test('payloads are fresh buffers: reusing the pushed buffer does not change them', () => {
  const socketBuffer = Buffer.concat([hex('04 000000 00012c 08 01000000'), pattern(128), hex('c4'), pattern(128, 128), hex('c4'), pattern(44, 0)]);
  const dec = new ChunkDecoder();
  const first = dec.push(socketBuffer.subarray(0, 200));
  const second = dec.push(socketBuffer.subarray(200));
  assert.equal(first.length + second.length, 1);
  const msg = second[0]!;
  const copy = Buffer.from(msg.payload);
  socketBuffer.fill(0xee);
  assert.ok(msg.payload.equals(copy));
  assertDisjoint(msg.payload, socketBuffer);
  // One buffer for the whole message (not a concatenation of chunks): its length is the message length.
  assert.equal(msg.payload.length, 300);
});

test('bytesReceived counts every pushed byte', () => {
  const dec = new ChunkDecoder();
  dec.push(hex('03 000000'));
  dec.push(hex('000001 14 00000000 00'));
  assert.equal(dec.bytesReceived, 13);
});

test('fuzz: random bytes only throw ProtocolError and stay within the memory budget', () => {
  const rnd = prng(0xdecade);
  for (let iter = 0; iter < 3000; iter++) {
    const dec = new ChunkDecoder({ maxMessageSize: 1 << 20 });
    const input = bytesFrom(rnd, 1 + Math.floor(rnd() * 600));
    // Bias towards plausible first bytes so parsing gets past the first header.
    if (rnd() < 0.5) input[0] = Math.floor(rnd() * 64);
    try {
      let pos = 0;
      while (pos < input.length) {
        const n = 1 + Math.floor(rnd() * 64);
        dec.push(input.subarray(pos, pos + n));
        pos += n;
        assert.ok(dec.pendingBytes <= 2 << 20);
      }
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `iteration ${iter}: ${String(err)}`);
    }
  }
});

test('fuzz: mutated valid streams only throw ProtocolError', () => {
  const rnd = prng(0xfeed);
  for (let iter = 0; iter < 1500; iter++) {
    const enc = new ChunkEncoder();
    const parts: Buffer[] = [];
    if (rnd() < 0.5) {
      const size = 1 + Math.floor(rnd() * 300);
      enc.encode(encodeSetChunkSize(size), parts);
      enc.outChunkSize = size;
    }
    let ts = Math.floor(rnd() * 0x2000000);
    for (let i = 0; i < 12; i++) {
      ts = (ts + Math.floor(rnd() * 0x800000)) >>> 0;
      enc.encode(
        {
          chunkStreamId: 3 + Math.floor(rnd() * 4) * (rnd() < 0.1 ? 100 : 1),
          typeId: [8, 9, 18, 20][Math.floor(rnd() * 4)]!,
          streamId: Math.floor(rnd() * 2),
          timestamp: ts,
          payload: bytesFrom(rnd, Math.floor(rnd() * 400)),
        },
        parts,
      );
      if (rnd() < 0.1) enc.encode(encodeAbort(3 + Math.floor(rnd() * 4)), parts);
    }
    const input = Buffer.concat(parts);
    const flips = 1 + Math.floor(rnd() * 6);
    for (let f = 0; f < flips; f++) input[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
    const dec = new ChunkDecoder({ maxMessageSize: 1 << 16, maxChunkStreams: 64 });
    try {
      let pos = 0;
      while (pos < input.length) {
        const n = 1 + Math.floor(rnd() * 300);
        for (const m of dec.push(input.subarray(pos, pos + n))) assert.ok(m.payload.length <= 1 << 16);
        pos += n;
        assert.ok(dec.pendingBytes <= 2 << 16);
      }
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `iteration ${iter}: ${String(err)}`);
    }
  }
});
