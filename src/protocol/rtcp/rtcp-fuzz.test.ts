import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { parseRtcp, serializeRtcp } from './rtcp-codec.js';
import type { RtcpPacket } from './rtcp-packet.js';
import { buildTwccFeedback } from './twcc.js';
import { prng } from '../../../test/fixtures/index.js';


const block = { ssrc: 9, fractionLost: 1, cumulativeLost: 2, highestSeq: 3, jitter: 4, lastSr: 5, delaySinceLastSr: 6 };
const twcc = buildTwccFeedback(
  [0, 1, 2, 5, 6, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 80].map((seq, i) => ({ seq, arrivalUs: 1_000_000 + i * 3000 - (i === 7 ? 40_000 : 0) })),
  { senderSsrc: 1, mediaSsrc: 2, fbPktCount: 0 },
);
const VALID: RtcpPacket[] = [
  { type: 'sr', ssrc: 1, ntpSeconds: 2, ntpFraction: 3, rtpTimestamp: 4, packetCount: 5, octetCount: 6, reports: [block] },
  { type: 'rr', ssrc: 1, reports: [block, block] },
  { type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, text: 'cname' }] }] },
  { type: 'bye', ssrcs: [1], reason: 'bye' },
  { type: 'nack', senderSsrc: 1, mediaSsrc: 2, lost: [1, 2, 3, 40, 90] },
  { type: 'pli', senderSsrc: 1, mediaSsrc: 2 },
  { type: 'fir', senderSsrc: 1, mediaSsrc: 0, entries: [{ ssrc: 2, seq: 3 }] },
  { type: 'remb', senderSsrc: 1, bitrate: 2_500_000, ssrcs: [2, 3] },
  ...twcc,
];
const compound = serializeRtcp(VALID);

function normalize(packets: RtcpPacket[]): RtcpPacket[] {
  return packets.map((p) => (p.type === 'nack' ? { ...p, lost: [...new Set(p.lost)].sort((a, b) => a - b) } : p));
}

test('fuzz: mutated compound RTCP and garbage only throw ProtocolError; what parses re-serializes', () => {
  const rnd = prng(0x12c9);
  for (let iter = 0; iter < 2000; iter++) {
    let input: Buffer;
    if (iter % 4 === 0) {
      input = Buffer.alloc(Math.floor(rnd() * 80));
      for (let i = 0; i < input.length; i++) input[i] = Math.floor(rnd() * 256);
      if (input.length > 1) {
        input[0] = 0x80 | (input[0]! & 0x3f);
        input[1] = 200 + Math.floor(rnd() * 8);
      }
    } else {
      input = Buffer.from(compound);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let f = 0; f < flips; f++) input[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
      if (rnd() < 0.2) input = input.subarray(0, Math.floor(rnd() * input.length));
    }
    let packets: RtcpPacket[];
    try {
      packets = parseRtcp(input);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `iteration ${iter}: ${String(err)}`);
      continue;
    }
    // Re-encoding what was parsed may refuse (e.g. 32 report blocks) but only with ProtocolError.
    // When it succeeds it parses back to the same packets; a NACK compares as a set, since a mutated
    // one may name a packet twice or out of order and the encoder packs it afresh.
    try {
      assert.deepEqual(normalize(parseRtcp(serializeRtcp(packets))), normalize(packets), `iteration ${iter} round trip`);
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      assert.ok(err instanceof ProtocolError, `iteration ${iter} re-encode: ${String(err)}`);
    }
  }
});
