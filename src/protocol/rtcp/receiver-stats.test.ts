import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ntpFromUnixMs, ntpMiddle32, roundTripMs } from './ntp.js';
import { RtpReceiverStats } from './receiver-stats.js';

test('NTP: Unix epoch offset, fraction, middle 32 bits', () => {
  assert.deepEqual(ntpFromUnixMs(0), { seconds: 2208988800, fraction: 0 });
  assert.deepEqual(ntpFromUnixMs(1500), { seconds: 2208988801, fraction: 0x80000000 });
  assert.equal(ntpMiddle32({ seconds: 0x12345678, fraction: 0x9abcdef0 }), 0x56789abc);
});

test('round-trip time = now - LSR - DLSR', () => {
  const srSentMs = 1_700_000_000_000;
  const lastSr = ntpMiddle32(ntpFromUnixMs(srSentMs));
  // The receiver held the SR 250 ms; the RR arrives 400 ms after the SR left: RTT 150 ms.
  const rtt = roundTripMs({ lastSr, delaySinceLastSr: 0.25 * 65536 }, srSentMs + 400);
  assert.ok(rtt !== undefined && Math.abs(rtt - 150) < 0.1, String(rtt));
  assert.equal(roundTripMs({ lastSr: 0, delaySinceLastSr: 0 }, srSentMs), undefined);
  assert.equal(roundTripMs({ lastSr, delaySinceLastSr: 10 * 65536 }, srSentMs + 400), 0);
});

test('receiver stats: loss, fraction per interval, sequence wrap, duplicates', () => {
  const s = new RtpReceiverStats(0xabc, 90000);
  assert.equal(s.reportBlock(0), undefined);
  // 65530..65535, 0..9 with 3 and 4 lost: 16 expected, 14 received.
  const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 5, 6, 7, 8, 9];
  seqs.forEach((seq, i) => s.onRtp(seq, i * 3000, i * 33));
  const b1 = s.reportBlock(1000)!;
  assert.equal(b1.ssrc, 0xabc);
  assert.equal(b1.highestSeq, 65536 + 9);
  assert.equal(b1.cumulativeLost, 2);
  assert.equal(b1.fractionLost, Math.floor((2 * 256) / 16));
  // Next interval: 10 packets, none lost, one duplicate: fraction 0, cumulative 1.
  for (let seq = 10; seq < 20; seq++) s.onRtp(seq, seq * 3000, seq * 33);
  s.onRtp(15, 15 * 3000, 700);
  const b2 = s.reportBlock(2000)!;
  assert.equal(b2.fractionLost, 0);
  assert.equal(b2.cumulativeLost, 1);
});

test('receiver stats: a lone far jump is ignored, two in sequence restart the count', () => {
  const s = new RtpReceiverStats(1, 48000);
  for (let seq = 100; seq < 110; seq++) s.onRtp(seq, seq * 960, seq * 20);
  assert.equal(s.onRtp(40000, 0, 300), false);
  assert.equal(s.highestSeq, 109);
  assert.equal(s.onRtp(110, 110 * 960, 320), true);
  assert.equal(s.onRtp(50000, 0, 400), false);
  assert.equal(s.onRtp(50001, 960, 420), true);
  assert.equal(s.highestSeq, 50001);
  assert.equal(s.packetsReceived, 1);
});

test('receiver stats: jitter follows transit variation (RFC 3550 A.8), LSR/DLSR from the last SR', () => {
  const s = new RtpReceiverStats(1, 90000);
  // Perfectly paced: 3000 ticks per 33.333 ms, so transit is constant and jitter stays 0.
  for (let i = 0; i < 50; i++) s.onRtp(i, (i * 3000 + 0xfffff000) >>> 0, (i * 100) / 3);
  assert.equal(s.reportBlock(2000)!.jitter, 0);
  // Alternate 10 ms early/late: consecutive transits differ by 20 ms = 1800 ticks, jitter converges there.
  for (let i = 50; i < 400; i++) s.onRtp(i, i * 3000, (i * 100) / 3 + (i % 2 ? 10 : -10));
  const j = s.reportBlock(20000)!.jitter;
  assert.ok(j > 1750 && j < 1850, String(j));
  s.onSenderReport({ seconds: 0x00012345, fraction: 0x67890000 }, 30000);
  const b = s.reportBlock(30500)!;
  assert.equal(b.lastSr, 0x23456789);
  assert.equal(b.delaySinceLastSr, 32768);
});
