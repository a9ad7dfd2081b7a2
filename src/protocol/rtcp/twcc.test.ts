import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRtcpPacket, parseRtcp } from './rtcp-codec.js';
import { buildTwccFeedback, type TwccArrival } from './twcc.js';

const opts = { senderSsrc: 1, mediaSsrc: 0x1234, fbPktCount: 254 };

test('builder: gaps become not-received, arrivals quantized to 250 us from the 64 ms reference', () => {
  const arrivals: TwccArrival[] = [
    { seq: 1000, arrivalUs: 5_000_100 },
    { seq: 1001, arrivalUs: 5_001_000 },
    { seq: 1004, arrivalUs: 5_030_000 },
    { seq: 1003, arrivalUs: 5_020_000 }, // out of order: sorted by seq
    { seq: 1001, arrivalUs: 9_999_999 }, // duplicate: first one kept
    { seq: 1005, arrivalUs: 4_990_000 }, // arrived before the reference: negative (large) delta
  ];
  const [fb, ...rest] = buildTwccFeedback(arrivals, opts);
  assert.equal(rest.length, 0);
  assert.ok(fb);
  assert.equal(fb.baseSeq, 1000);
  assert.equal(fb.referenceTime, 78); // floor(5_000_100 / 64_000)
  assert.equal(fb.fbPktCount, 254);
  const ref = 78 * 64000;
  assert.deepEqual(fb.arrivals, [ref + 8000, ref + 9000, undefined, ref + 28000, ref + 38000, ref - 2000]);
  const wire = encodeRtcpPacket(fb);
  assert.deepEqual(parseRtcp(wire), [fb]);
  // Chunks: 6 statuses [1,1,0,1,1,2] -> one 2-bit vector chunk: 11 01 01 00 01 01 10 00 = 0xd458 (7th slot unused).
  assert.equal(wire.readUInt16BE(20), 0xd458);
});

test('builder: long loss runs use run-length chunks; 16-bit seq wrap; unwrapped seqs keep order', () => {
  const arrivals: TwccArrival[] = [
    { seq: 65530, arrivalUs: 1_000_000 },
    { seq: 65536 + 40, arrivalUs: 1_010_000 },
  ];
  const [fb] = buildTwccFeedback(arrivals, opts);
  assert.ok(fb);
  assert.equal(fb.baseSeq, 65530);
  assert.equal(fb.arrivals.length, 47);
  const back = parseRtcp(encodeRtcpPacket(fb))[0];
  assert.deepEqual(back, fb);
  assert.equal(fb.arrivals.filter((a) => a !== undefined).length, 2);
});

test('builder: splits when a delta passes 16 bits or the status count passes the limit; counts wrap', () => {
  const far = buildTwccFeedback([{ seq: 1, arrivalUs: 0 }, { seq: 2, arrivalUs: 9_000_000 }], opts);
  assert.equal(far.length, 2);
  assert.deepEqual(far.map((f) => f.fbPktCount), [254, 255]);
  assert.deepEqual(far.map((f) => f.baseSeq), [1, 2]);
  const many = Array.from({ length: 250 }, (_, i) => ({ seq: i, arrivalUs: 1000 * i }));
  const split = buildTwccFeedback(many, { ...opts, fbPktCount: 255, maxStatusCount: 100 });
  assert.deepEqual(split.map((f) => [f.baseSeq, f.arrivals.length, f.fbPktCount]), [[0, 100, 255], [100, 100, 0], [200, 50, 1]]);
  for (const f of split) assert.deepEqual(parseRtcp(encodeRtcpPacket(f)), [f]);
  assert.deepEqual(buildTwccFeedback([], opts), []);
});

test('builder: reference time wraps at 24 bits', () => {
  const big = (0x1000000 + 5) * 64000 + 1000;
  const [fb] = buildTwccFeedback([{ seq: 7, arrivalUs: big }, { seq: 8, arrivalUs: big + 500 }], opts);
  assert.ok(fb);
  assert.equal(fb.referenceTime, 5);
  assert.deepEqual(fb.arrivals, [5 * 64000 + 1000, 5 * 64000 + 1500]);
  assert.deepEqual(parseRtcp(encodeRtcpPacket(fb)), [fb]);
});
