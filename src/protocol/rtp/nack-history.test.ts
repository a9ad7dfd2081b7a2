import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RtpPayload } from './h264-payloader.js';
import { NackHistory, rtxPayload, unwrapRtx } from './nack-history.js';
import { RtpHeaderWriter } from './rtp-header.js';
import { encodeRtp, parseRtp } from './rtp-packet.js';

const payload = (n: number, marker = false): RtpPayload => {
  const b = Buffer.alloc(10, n & 0xff);
  return { parts: [Buffer.from([0x7c]), b], size: 11, marker };
};

test('lookup by sequence number; the same payload object (no copy); bounded by count', () => {
  const h = new NackHistory({ capacity: 8, maxAgeMs: 1000 });
  const sent: RtpPayload[] = [];
  for (let i = 0; i < 20; i++) {
    const seq = (65530 + i) & 0xffff; // across the 16-bit wrap
    sent.push(payload(i, i % 3 === 0));
    h.add(seq, 1000 + i, sent[i]!, 0);
  }
  for (let i = 0; i < 20; i++) {
    const got = h.get((65530 + i) & 0xffff, 1);
    if (i < 12) assert.equal(got, undefined, `${i} was pushed out of the ring`);
    else {
      assert.equal(got!.payload, sent[i], 'the shared payload itself');
      assert.deepEqual([got!.sequence, got!.timestamp, got!.marker], [(65530 + i) & 0xffff, 1000 + i, i % 3 === 0]);
    }
  }
  assert.equal(h.get(5, 1), undefined, 'never sent');
});

test('bounded by age: a packet older than maxAgeMs is not retransmitted', () => {
  const h = new NackHistory({ capacity: 64, maxAgeMs: 500 });
  h.add(1, 0, payload(1), 1000);
  h.add(2, 0, payload(2), 1400);
  assert.ok(h.get(1, 1500));
  assert.equal(h.get(1, 1501), undefined);
  assert.ok(h.get(2, 1900));
  h.clear();
  assert.equal(h.get(2, 1900), undefined);
});

test('RTX (RFC 4588): OSN + original payload written with the RTX SSRC/PT/sequence, and unwrapped back', () => {
  const h = new NackHistory();
  const original = payload(9, true);
  h.add(4242, 777, original, 0);
  const entry = h.get(4242, 10)!;
  const rtx = rtxPayload(entry);
  assert.equal(rtx.parts[1], original.parts[0], 'payload parts shared');
  const writer = new RtpHeaderWriter({ ssrc: 0xbeef, payloadType: 97, initialSequence: 100, timestampOffset: 0 });
  const out = Buffer.alloc(writer.packetSize(rtx));
  writer.write(rtx, entry.timestamp, out);
  const p = parseRtp(out);
  assert.deepEqual([p.ssrc, p.payloadType, p.sequence, p.timestamp, p.marker], [0xbeef, 97, 100, 777, true]);
  assert.equal(p.payload.readUInt16BE(0), 4242);
  const back = unwrapRtx(p, 0x1234, 96)!;
  assert.deepEqual([back.ssrc, back.payloadType, back.sequence, back.timestamp], [0x1234, 96, 4242, 777]);
  assert.deepEqual(back.payload, Buffer.concat(original.parts));
  // An RTX padding probe (no OSN) is not a packet.
  assert.equal(unwrapRtx(parseRtp(encodeRtp({ payloadType: 97, sequence: 1, timestamp: 0, ssrc: 1 }, Buffer.alloc(0))), 1, 96), null);
});

test('addPacket remembers a received packet as forwarded', () => {
  const h = new NackHistory();
  const p = parseRtp(encodeRtp({ marker: true, payloadType: 96, sequence: 9, timestamp: 90, ssrc: 1 }, Buffer.from('abc')));
  h.addPacket(p, 0);
  const got = h.get(9, 0)!;
  assert.equal(got.payload.parts[0]!.buffer, p.bytes.buffer);
  assert.equal(got.marker, true);
});
