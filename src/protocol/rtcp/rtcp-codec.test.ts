import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { encodeRtcpPacket, parseRtcp, serializeRtcp } from './rtcp-codec.js';
import type { RtcpPacket } from './rtcp-packet.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const block = { ssrc: 0x11223344, fractionLost: 25, cumulativeLost: -3, highestSeq: 0x0001fffe, jitter: 90, lastSr: 0xaabbccdd, delaySinceLastSr: 65536 };

test('SR with a report block: bytes laid out as RFC 3550 §6.4.1', () => {
  const sr: RtcpPacket = { type: 'sr', ssrc: 0xdeadbeef, ntpSeconds: 0xe8f0a1b2, ntpFraction: 0x80000000, rtpTimestamp: 90000, packetCount: 100, octetCount: 123456, reports: [block] };
  const bytes = encodeRtcpPacket(sr);
  assert.deepEqual(
    bytes,
    hex(`81c8000c deadbeef e8f0a1b2 80000000 00015f90 00000064 0001e240
         11223344 19fffffd 0001fffe 0000005a aabbccdd 00010000`),
  );
  assert.deepEqual(parseRtcp(bytes), [sr]);
});

test('compound RR + SDES CNAME + BYE with reason round-trips; SDES pads with the end item', () => {
  const packets: RtcpPacket[] = [
    { type: 'rr', ssrc: 1, reports: [block, { ...block, ssrc: 2, cumulativeLost: 0x7fffff }] },
    { type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, text: 'abcd' }] }, { ssrc: 2, items: [{ type: 1, text: 'h2Pu1Hc8R5x3HZeJ' }, { type: 6, text: 'tsrs' }] }] },
    { type: 'bye', ssrcs: [1, 2], reason: 'done' },
  ];
  const bytes = serializeRtcp(packets);
  assert.deepEqual(parseRtcp(bytes), packets);
  // SDES chunk 1: ssrc, 01 04 'abcd', end item + padding to 12 bytes.
  const sdesAt = 4 + 4 + 48;
  assert.deepEqual(bytes.subarray(sdesAt, sdesAt + 16), hex('82ca000b 00000001 01046162 63640000'));
  assert.deepEqual(parseRtcp(serializeRtcp([{ type: 'bye', ssrcs: [7] }])), [{ type: 'bye', ssrcs: [7] }]);
});

test('generic NACK: PID/BLP bytes and expansion back to the lost list', () => {
  const nack: RtcpPacket = { type: 'nack', senderSsrc: 1, mediaSsrc: 0x2850142, lost: [100, 101, 103, 116, 117, 200] };
  const bytes = encodeRtcpPacket(nack);
  // 100 + bits for 101 (bit0), 103 (bit2), 116 (bit15); then 117 starts a new entry; then 200.
  assert.deepEqual(bytes, hex('81cd0005 00000001 02850142 00648005 00750000 00c80000'));
  assert.deepEqual(parseRtcp(bytes), [nack]);
});

test('PLI, FIR and REMB bytes', () => {
  assert.deepEqual(encodeRtcpPacket({ type: 'pli', senderSsrc: 1, mediaSsrc: 2 }), hex('81ce0002 00000001 00000002'));
  const fir: RtcpPacket = { type: 'fir', senderSsrc: 1, mediaSsrc: 0, entries: [{ ssrc: 2, seq: 7 }] };
  assert.deepEqual(encodeRtcpPacket(fir), hex('84ce0004 00000001 00000000 00000002 07000000'));
  assert.deepEqual(parseRtcp(encodeRtcpPacket(fir)), [fir]);
  // 1 Mbit/s = 250000 * 2^2: exp 2, mantissa 0x3d090.
  const remb: RtcpPacket = { type: 'remb', senderSsrc: 1, bitrate: 1_000_000, ssrcs: [0x2a] };
  const bytes = encodeRtcpPacket(remb);
  assert.deepEqual(bytes, hex('8fce0005 00000001 00000000 52454d42 010bd090 0000002a'));
  assert.deepEqual(parseRtcp(bytes), [remb]);
});

test('TWCC feedback captured from Chrome (pion/rtcp test vectors) decodes, padding and all', () => {
  // Run-length chunk of 7 small deltas.
  const a = hex('afcd0007 fa17fa17 193dd8bb 00040007 10636e01 20074c24 24100c0c 10000003');
  const [fa] = parseRtcp(a);
  assert.ok(fa?.type === 'twcc');
  assert.equal(fa.senderSsrc, 4195875351);
  assert.equal(fa.mediaSsrc, 423483579);
  assert.equal(fa.baseSeq, 4);
  assert.equal(fa.referenceTime, 1074030);
  assert.equal(fa.fbPktCount, 1);
  const ref = 1074030 * 64000;
  const steps = [19000, 9000, 9000, 4000, 3000, 3000, 4000];
  let t = ref;
  assert.deepEqual(fa.arrivals, steps.map((d) => (t += d)));
  // Same packet re-encoded: identical but for our zero padding without the P bit.
  const again = encodeRtcpPacket(fa);
  assert.deepEqual(again.subarray(1, 31), a.subarray(1, 31));
  assert.equal(again[0], 0x8f);

  // Two-bit vector with a lost packet and a large delta, then a run-length chunk of losses.
  const b = hex('afcd0007 9b74f61f 9371dcbc 853c0009 63f916b3 d5520030 9baa6aaa 7b010901');
  const [fb] = parseRtcp(b);
  assert.ok(fb?.type === 'twcc');
  assert.equal(fb.baseSeq, 34108);
  assert.equal(fb.fbPktCount, 179);
  t = 6551830 * 64000;
  const expected = [38750, 42500, 26500, 42500, 30750].map((d) => (t += d));
  assert.deepEqual(fb.arrivals, [...expected, undefined, t + 66250, undefined, undefined]);
  assert.deepEqual(parseRtcp(encodeRtcpPacket(fb)), [fb]);
});

test('unknown packet types (XR, APP) are kept whole and re-serialized', () => {
  const xr = hex('80cf0002 00000001 05000000');
  const parsed = parseRtcp(xr);
  assert.deepEqual(parsed, [{ type: 'unknown', packetType: 207, count: 0, body: hex('00000001 05000000') }]);
  assert.deepEqual(serializeRtcp(parsed), xr);
});

test('malformed RTCP throws ProtocolError RtcRtcp', () => {
  const cases: Array<[string, Buffer]> = [
    ['short', hex('81c8')],
    ['version 1', hex('41c90001 00000001')],
    ['overrun', hex('81c90007 00000001')],
    ['RR count larger than body', hex('82c90001 00000001')],
    ['padding not last', Buffer.concat([hex('a1c90001 00000001'), hex('80c90001 00000001')])],
    ['padding too large', hex('a0c90001 00000009')],
    ['padding of zero', hex('a0c90001 00000100')],
    ['NACK FCI empty', hex('81cd0002 00000001 00000002')],
    ['SDES without end', hex('81ca0002 00000001 01026162')],
    ['BYE reason overrun', hex('81cb0002 00000001 09616263')],
    ['TWCC deltas truncated', hex('8fcd0005 00000001 00000002 00010007 00000000 20070000')],
    ['TWCC reserved symbol', hex('8fcd0005 00000001 00000002 00010001 00000000 60010000')],
    ['trailing bytes', hex('80c90001 00000001 0000')],
  ];
  for (const [name, buf] of cases) {
    assert.throws(() => parseRtcp(buf), (e: unknown) => e instanceof ProtocolError && e.code === 5007, name);
  }
  assert.throws(() => encodeRtcpPacket({ type: 'nack', senderSsrc: 1, mediaSsrc: 2, lost: [] }), ProtocolError);
  assert.throws(() => encodeRtcpPacket({ type: 'rr', ssrc: 1, reports: new Array(32).fill(block) }), ProtocolError);
});
