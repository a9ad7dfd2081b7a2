import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import {
  GENUINE_FMS_KEY,
  GENUINE_FP_KEY,
  HANDSHAKE_SIZE,
  HandshakeClient,
  HandshakeServer,
  type HandshakeServerResult,
} from './handshake.js';
import { prng, randomBytes as bytesFrom } from '../../../test/fixtures/index.js';

// Deterministic randomness (mulberry32) so every run and every split sees the same bytes.
function randomSource(seed: number): (n: number) => Buffer {
  const rnd = prng(seed);
  return (n) => bytesFrom(rnd, n);
}
const NOW = 1_700_000_123_456;
const clock = () => NOW;

// An independent take on the digest checks, written the way FFmpeg's rtmpproto.c describes them: the
// digest offset is the sum of the 4 bytes at `base`, mod 728, plus base + 4; schema 0 has base 772,
// schema 1 base 8.
function digestPos(buf: Buffer, base: number): number {
  return ((buf[base]! + buf[base + 1]! + buf[base + 2]! + buf[base + 3]!) % 728) + base + 4;
}
function hmac(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}
function digestAt(buf: Buffer, pos: number, key: Buffer): Buffer {
  return hmac(key, buf.subarray(0, pos), buf.subarray(pos + 32, 1536));
}
function signedAt(buf: Buffer, base: number, key: Buffer): number {
  const pos = digestPos(buf, base);
  return digestAt(buf, pos, key).equals(buf.subarray(pos, pos + 32)) ? pos : -1;
}
const FP30 = GENUINE_FP_KEY.subarray(0, 30);
const FMS36 = GENUINE_FMS_KEY.subarray(0, 36);

/** C0+C1 as FFmpeg sends it: uptime 0, version 9.0.124.2, digest in schema 1 (base 8). */
function ffmpegC0C1(seed: number): Buffer {
  const c1 = bytesFrom(prng(seed), 1536);
  c1.writeUInt32BE(0, 0);
  Buffer.from([9, 0, 124, 2]).copy(c1, 4);
  const pos = digestPos(c1, 8);
  digestAt(c1, pos, FP30).copy(c1, pos);
  return Buffer.concat([Buffer.of(3), c1]);
}
/** C0+C1 as a Flash Player in schema 0 (key block first, digest block at 772). */
function flashSchema0C0C1(seed: number): Buffer {
  const c1 = bytesFrom(prng(seed), 1536);
  c1.writeUInt32BE(123456, 0);
  c1.writeUInt32BE(0x0a002d02, 4);
  const pos = digestPos(c1, 772);
  digestAt(c1, pos, FP30).copy(c1, pos);
  return Buffer.concat([Buffer.of(3), c1]);
}
/** A plain (simple handshake) client's C0+C1: time, zero, random. */
function plainC0C1(seed: number): Buffer {
  const c1 = bytesFrom(prng(seed), 1536);
  c1.writeUInt32BE(5000, 0);
  c1.writeUInt32BE(0, 4);
  return Buffer.concat([Buffer.of(3), c1]);
}

function isProtocolError(code?: number) {
  return (err: unknown) => err instanceof ProtocolError && (code === undefined || err.code === code);
}

/** Feeds `parts` to a fresh server; returns everything it sent, whether it finished, and the rest. */
function runServer(parts: Buffer[], seed = 1) {
  const server = new HandshakeServer(randomSource(seed), clock);
  const sent: Buffer[] = [];
  const rest: Buffer[] = [];
  let last: HandshakeServerResult | null = null;
  for (const p of parts) {
    last = server.receive(p);
    sent.push(...last.send);
    if (last.rest) rest.push(last.rest);
  }
  return { sent: Buffer.concat(sent), sendCount: sent.length, done: last?.done ?? false, rest: Buffer.concat(rest), complex: server.complex };
}

test('our complex client and our server complete a complex handshake', () => {
  const server = new HandshakeServer(randomSource(1), clock);
  const client = new HandshakeClient(randomSource(2), clock);
  const c0c1 = client.start();
  assert.equal(c0c1.length, 1537);
  assert.equal(c0c1[0], 3);
  assert.ok(signedAt(c0c1.subarray(1), 8, FP30) > 0, 'client C1 is signed in schema 1');

  const r1 = server.receive(c0c1);
  assert.equal(r1.done, false);
  assert.equal(r1.complex, true);
  assert.equal(r1.send.length, 1);
  const s0s1s2 = r1.send[0]!;
  assert.equal(s0s1s2.length, 3073);
  assert.equal(s0s1s2[0], 3);
  const s1 = s0s1s2.subarray(1, 1537);
  const s2 = s0s1s2.subarray(1537);
  assert.equal(s1.readUInt32BE(0), NOW >>> 0);
  const s1pos = signedAt(s1, 8, FMS36);
  assert.ok(s1pos > 0, 'S1 is signed with the FMS key in the client schema');
  // S2 check as FFmpeg does it: HMAC(HMAC(FMS key 68, C1 digest), S2[0..1504]) at S2[1504..].
  const c1pos = digestPos(c0c1.subarray(1), 8);
  const s2key = hmac(GENUINE_FMS_KEY, c0c1.subarray(1 + c1pos, 1 + c1pos + 32));
  assert.ok(hmac(s2key, s2.subarray(0, 1504)).equals(s2.subarray(1504)));

  const r2 = client.receive(s0s1s2);
  assert.equal(r2.done, true);
  assert.equal(r2.complex, true);
  assert.equal(r2.rest, null);
  const c2 = r2.send[0]!;
  assert.equal(c2.length, 1536);
  const c2key = hmac(GENUINE_FP_KEY, s1.subarray(s1pos, s1pos + 32));
  assert.ok(hmac(c2key, c2.subarray(0, 1504)).equals(c2.subarray(1504)), 'C2 carries the complex digest');

  const r3 = server.receive(c2);
  assert.deepEqual([r3.done, r3.rest, r3.send.length, r3.complex], [true, null, 0, true]);
  assert.equal(server.done, true);
});

test('our plain client and our server complete a plain handshake', () => {
  const server = new HandshakeServer(randomSource(3), clock);
  const client = new HandshakeClient(randomSource(4), clock, { complex: false });
  const c0c1 = client.start();
  assert.equal(c0c1.readUInt32BE(5), 0, 'plain C1 has a zero version field');
  const r1 = server.receive(c0c1);
  assert.equal(r1.complex, false);
  const s0s1s2 = r1.send[0]!;
  assert.equal(s0s1s2[0], 3);
  assert.equal(s0s1s2.readUInt32BE(1), NOW >>> 0, 'S1 time');
  assert.equal(s0s1s2.readUInt32BE(5), 0, 'S1 zero field (5.2.3)');
  assert.ok(s0s1s2.subarray(1537).equals(c0c1.subarray(1)), 'S2 echoes C1');
  const r2 = client.receive(s0s1s2);
  assert.equal(r2.done, true);
  assert.equal(r2.complex, false);
  assert.ok(r2.send[0]!.equals(s0s1s2.subarray(1, 1537)), 'C2 echoes S1');
  assert.equal(server.receive(r2.send[0]!).done, true);
});

test('a complex client falls back to echoing S1 for a plain server', () => {
  const client = new HandshakeClient(randomSource(5), clock);
  client.start();
  const s1 = bytesFrom(prng(99), 1536);
  const s2 = bytesFrom(prng(98), 1536);
  const tail = Buffer.from([0x02, 0x00, 0x00]);
  const r = client.receive(Buffer.concat([Buffer.of(3), s1, s2, tail]));
  assert.equal(r.done, true);
  assert.equal(r.complex, false);
  assert.ok(r.send[0]!.equals(s1));
  assert.ok(r.rest!.equals(tail));
});

test('FFmpeg-style complex C0C1 (schema 1) gets a complex answer FFmpeg can verify', () => {
  const c0c1 = ffmpegC0C1(10);
  const { sent, complex } = runServer([c0c1]);
  assert.equal(complex, true);
  const s1 = sent.subarray(1, 1537);
  // FFmpeg tries base 772 first, then base 8; ours is in the client's schema, 1.
  assert.equal(signedAt(s1, 772, FMS36), -1);
  assert.ok(signedAt(s1, 8, FMS36) > 0);
  assert.equal(s1.readUInt32BE(4), 0x01000504, 'S1 version as SRS sends it');
  const c1pos = digestPos(c0c1.subarray(1), 8);
  const key = hmac(GENUINE_FMS_KEY, c0c1.subarray(1 + c1pos, 1 + c1pos + 32));
  assert.ok(hmac(key, sent.subarray(1537, 1537 + 1504)).equals(sent.subarray(1537 + 1504)));
});

test('Flash-style complex C0C1 in schema 0 gets a schema 0 answer', () => {
  const c0c1 = flashSchema0C0C1(11);
  const { sent, complex } = runServer([c0c1]);
  assert.equal(complex, true);
  const s1 = sent.subarray(1, 1537);
  assert.ok(signedAt(s1, 772, FMS36) > 0);
  const c1pos = digestPos(c0c1.subarray(1), 772);
  const key = hmac(GENUINE_FMS_KEY, c0c1.subarray(1 + c1pos, 1 + c1pos + 32));
  assert.ok(hmac(key, sent.subarray(1537, 1537 + 1504)).equals(sent.subarray(1537 + 1504)));
});

test('a plain C0C1 gets a plain answer: S1 time/zero/random, S2 = C1', () => {
  const c0c1 = plainC0C1(12);
  const { sent, complex } = runServer([c0c1]);
  assert.equal(complex, false);
  assert.equal(sent.length, 3073);
  assert.equal(sent[0], 3);
  assert.equal(sent.readUInt32BE(5), 0);
  assert.ok(sent.subarray(1537).equals(c0c1.subarray(1)));
});

test('a C1 with a corrupted digest falls back to the plain handshake', () => {
  const c0c1 = ffmpegC0C1(13);
  const pos = 1 + digestPos(c0c1.subarray(1), 8);
  c0c1[pos]! ^= 0xff;
  assert.equal(runServer([c0c1]).complex, false);
});

test('C0C1, C2 and the first chunks in one push: answer, done and rest at once', () => {
  const tail = Buffer.from('030000000000191400000000', 'hex');
  const all = Buffer.concat([ffmpegC0C1(14), bytesFrom(prng(15), 1536), tail]);
  const server = new HandshakeServer(randomSource(1), clock);
  const r = server.receive(all);
  assert.equal(r.send.length, 1);
  assert.equal(r.done, true);
  assert.equal(r.complex, true);
  assert.ok(r.rest!.equals(tail));
  all.fill(0);
  assert.ok(r.rest!.equals(tail), 'rest is a copy, not a view of the socket buffer');
  // After done, anything else is passed through as rest.
  const more = server.receive(Buffer.from([1, 2, 3]));
  assert.deepEqual([more.done, more.send.length, [...more.rest!]], [true, 0, [1, 2, 3]]);
});

for (const [name, c0c1] of [
  ['complex', ffmpegC0C1(20)],
  ['plain', plainC0C1(21)],
] as const) {
  test(`server handles a ${name} handshake split at every offset and byte by byte`, () => {
    const tail = Buffer.from('0300000000000514000000000102030405', 'hex');
    const stream = Buffer.concat([c0c1, bytesFrom(prng(22), 1536), tail]);
    const whole = runServer([stream]);
    assert.equal(whole.done, true);
    assert.ok(whole.rest.equals(tail));
    for (let cut = 1; cut < stream.length; cut++) {
      const r = runServer([stream.subarray(0, cut), stream.subarray(cut)]);
      assert.equal(r.sendCount, 1, `cut ${cut}`);
      assert.ok(r.sent.equals(whole.sent), `cut ${cut}`);
      assert.equal(r.done, true, `cut ${cut}`);
      assert.ok(r.rest.equals(tail), `cut ${cut}`);
    }
    // One byte at a time: S0S1S2 exactly when C1's last byte arrives, done exactly at C2's last byte.
    const server = new HandshakeServer(randomSource(1), clock);
    const rest: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      const r = server.receive(stream.subarray(i, i + 1));
      assert.equal(r.send.length, i === 1536 ? 1 : 0, `byte ${i}`);
      assert.equal(r.done, i >= 1537 + 1535, `byte ${i}`);
      if (r.rest) rest.push(r.rest);
    }
    assert.ok(Buffer.concat(rest).equals(tail));
  });
}

test('client handles S0S1S2 split at every offset and byte by byte', () => {
  const server = new HandshakeServer(randomSource(30), clock);
  const c0c1 = new HandshakeClient(randomSource(31), clock).start();
  const s0s1s2 = server.receive(c0c1).send[0]!;
  const tail = Buffer.from('02000000000004010000000000001000', 'hex');
  const stream = Buffer.concat([s0s1s2, tail]);
  const expect = (() => {
    const c = new HandshakeClient(randomSource(31), clock);
    c.start();
    return c.receive(stream);
  })();
  assert.equal(expect.complex, true);
  for (let cut = 1; cut < stream.length; cut++) {
    const c = new HandshakeClient(randomSource(31), clock);
    c.start();
    const a = c.receive(stream.subarray(0, cut));
    const b = c.receive(stream.subarray(cut));
    const sent = Buffer.concat([...a.send, ...b.send]);
    const rest = Buffer.concat([a.rest ?? Buffer.alloc(0), b.rest ?? Buffer.alloc(0)]);
    assert.ok(sent.equals(expect.send[0]!), `cut ${cut}`);
    assert.ok(rest.equals(tail), `cut ${cut}`);
    assert.equal(b.done, true);
  }
  const c = new HandshakeClient(randomSource(31), clock);
  c.start();
  let sends = 0;
  for (let i = 0; i < stream.length; i++) {
    const r = c.receive(stream.subarray(i, i + 1));
    sends += r.send.length;
    assert.equal(r.done, i >= 3072);
  }
  assert.equal(sends, 1);
});

test('garbage C0 fails on the first byte, without waiting for C1', () => {
  for (const text of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'POST /api', '\x16\x03\x01\x02\x00', '\x00', '\x04']) {
    const server = new HandshakeServer(randomSource(1), clock);
    assert.throws(() => server.receive(Buffer.from(text, 'latin1')), isProtocolError(ErrorCode.RtmpHandshake), JSON.stringify(text));
    const byByte = new HandshakeServer(randomSource(1), clock);
    assert.throws(() => byByte.receive(Buffer.from(text, 'latin1').subarray(0, 1)), isProtocolError(ErrorCode.RtmpHandshake));
  }
  const client = new HandshakeClient(randomSource(1), clock);
  client.start();
  assert.throws(() => client.receive(Buffer.from('HTTP/1.1 400')), isProtocolError(ErrorCode.RtmpHandshake));
});

test('C0 = 6 (RTMPE) is answered in clear when C1 is complex, refused when plain (as SRS)', () => {
  const complex = ffmpegC0C1(40);
  complex[0] = 6;
  const r = runServer([complex]);
  assert.equal(r.complex, true);
  assert.equal(r.sent[0], 3);
  const plain = plainC0C1(41);
  plain[0] = 6;
  const server = new HandshakeServer(randomSource(1), clock);
  assert.equal(server.receive(plain.subarray(0, 100)).send.length, 0, 'undecided until C1 is complete');
  assert.throws(() => server.receive(plain.subarray(100)), isProtocolError(ErrorCode.RtmpPlainRequired));
});

test('fuzz: random and mutated handshakes only ever throw ProtocolError', () => {
  const rnd = prng(0xc0ffee);
  const seeds = [ffmpegC0C1(50), flashSchema0C0C1(51), plainC0C1(52)];
  for (let iter = 0; iter < 400; iter++) {
    let input: Buffer;
    if (iter % 2 === 0) {
      input = bytesFrom(rnd, Math.floor(rnd() * 4000));
      if (iter % 4 === 0 && input.length > 0) input[0] = rnd() < 0.5 ? 3 : 6;
    } else {
      input = Buffer.concat([seeds[iter % 3]!, bytesFrom(rnd, Math.floor(rnd() * 1600))]);
      const flips = 1 + Math.floor(rnd() * 8);
      for (let f = 0; f < flips; f++) input[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
    }
    const server = new HandshakeServer(randomSource(iter), clock);
    const client = new HandshakeClient(randomSource(iter), clock, { complex: rnd() < 0.5 });
    client.start();
    for (const side of [server, client]) {
      try {
        let pos = 0;
        while (pos < input.length) {
          const n = 1 + Math.floor(rnd() * 700);
          const r = side.receive(input.subarray(pos, pos + n));
          for (const b of r.send) assert.ok(b.length === 3073 || b.length === 1536);
          pos += n;
        }
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `iteration ${iter}: ${String(err)}`);
      }
    }
  }
});

test('handshake sizes', () => {
  assert.equal(HANDSHAKE_SIZE, 1536);
});
