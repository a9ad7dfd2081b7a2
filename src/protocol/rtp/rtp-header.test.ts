import assert from 'node:assert/strict';
import { test } from 'node:test';
import { payloadH264 } from './h264-payloader.js';
import { audioFrameFromFlv, videoFrameFromFlv } from '../../kernel/media-frame.js';
import { RtpHeaderWriter, rtpTimestamp } from './rtp-header.js';

test('each viewer writes its own header (SSRC, sequence, timestamp) in front of the same shared payload', () => {
  const [p] = payloadH264([Buffer.from([0x41, 0x9a, 0x01])]);
  const a = new RtpHeaderWriter({ ssrc: 0x11223344, payloadType: 102, initialSequence: 0xffff, timestampOffset: 1000 });
  const b = new RtpHeaderWriter({ ssrc: 0xaabbccdd, payloadType: 96, initialSequence: 7, timestampOffset: 0 });
  const outA = Buffer.alloc(64);
  const outB = Buffer.alloc(64);
  assert.equal(a.write(p!, 90_000, outA), 15);
  assert.equal(b.write(p!, 90_000, outB), 15);
  assert.deepEqual(outA.subarray(0, 15), Buffer.from('80e6ffff0001637811223344419a01', 'hex'));
  assert.deepEqual(outB.subarray(0, 15), Buffer.from('80e0000700015f90aabbccdd419a01', 'hex'));
  a.write(p!, 93_000, outA);
  assert.equal(outA.readUInt16BE(2), 0, 'sequence wraps at 2^16');
  assert.equal(a.nextSequence, 1);
});

test('transport-cc one-byte header extension (RFC 8285) with the viewer negotiated id and its own counter', () => {
  const [p] = payloadH264([Buffer.from([0x41, 0x9a, 0x01])]);
  const w = new RtpHeaderWriter({ ssrc: 1, payloadType: 96, initialSequence: 0, timestampOffset: 0, transportCcId: 3 });
  const out = Buffer.alloc(64);
  assert.equal(w.packetSize(p!), 23);
  assert.equal(w.write(p!, 0, out), 23);
  assert.equal(out[0], 0x90, 'X bit');
  assert.deepEqual(out.subarray(12, 20), Buffer.from('bede000131000000', 'hex'));
  w.write(p!, 0, out, 30);
  assert.deepEqual(out.subarray(42, 50), Buffer.from('bede000131000100', 'hex'));
  assert.throws(() => w.write(p!, 0, Buffer.alloc(10)), RangeError);
  assert.throws(() => new RtpHeaderWriter({ ssrc: 1, payloadType: 96, initialSequence: 0, timestampOffset: 0, transportCcId: 15 }), RangeError);
});

test('RTP timestamps from the frame clock: ms frames scale exactly, 90 kHz ticks pass through unrounded', () => {
  const v = videoFrameFromFlv(Buffer.from([0x27, 1, 0, 0, 0x28, 0, 0, 0, 1, 0x41]), 1001)!;
  assert.equal(rtpTimestamp(v, 90000), (1001 + 40) * 90, 'PTS, with the composition time');
  const ts = audioFrameFromFlv(Buffer.from([0xd2, 0xfc, 1]), 23, 90000, 2090)!;
  assert.equal(rtpTimestamp(ts, 90000), 2090);
  assert.equal(rtpTimestamp(audioFrameFromFlv(Buffer.from([0xd2, 0xfc, 1]), 20)!, 48000), 960);
});
