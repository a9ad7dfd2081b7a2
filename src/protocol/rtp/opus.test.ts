import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOpusHead } from '../../kernel/codec/opus.js';
import { OpusDepacketizer, encodeOpusHead, opusRtpPayload } from './opus.js';
import { encodeRtp, parseRtp } from './rtp-packet.js';

// TOC 0xfc: config 31 (CELT fullband 20 ms), stereo, one frame → 960 samples. 0xfb: config 31, code 3 (M frames).
const packet20ms = Buffer.from([0xfc, 1, 2, 3, 4]);
const rtp = (seq: number, ts: number, payload: Buffer) => parseRtp(encodeRtp({ payloadType: 111, sequence: seq, timestamp: ts, ssrc: 5 }, payload));

test('RTP → frames: OpusHead sequence header first, then 48 kHz frames with TOC durations, across a timestamp wrap', () => {
  const d = new OpusDepacketizer();
  const t0 = 2 ** 32 - 960;
  const first = d.push(rtp(1, t0, packet20ms));
  assert.equal(first.length, 2);
  const [head, f0] = first;
  assert.equal(head!.sequenceHeader, true);
  assert.equal(head!.codec, 'opus');
  assert.deepEqual(parseOpusHead(head!.view.raw), { version: 1, channels: 2, preSkip: 312, inputSampleRate: 48000, outputGain: 0, channelMappingFamily: 0 });
  assert.equal(head!.view.track()!.channels, 2);
  assert.equal(f0!.sequenceHeader, false);
  assert.deepEqual(f0!.view.raw, packet20ms);
  assert.equal(f0!.view.samples, 960);
  assert.equal(f0!.timescale, 48000);
  assert.equal(f0!.dtsTicks, t0);
  const [f1] = d.push(rtp(2, 0, Buffer.from([0xfb, 3, 0, 0, 0]))); // 3 frames of 20 ms
  assert.equal(f1!.dtsTicks, 2 ** 32, 'unwrapped');
  assert.equal(f1!.dts, Math.round(2 ** 32 / 48));
  assert.equal(f1!.view.samples, 2880);
  // Late, duplicate and empty packets are dropped.
  assert.equal(d.push(rtp(0, t0 - 960, packet20ms)).length, 0);
  assert.equal(d.push(rtp(2, 0, packet20ms)).length, 0);
  assert.equal(d.push(rtp(3, 2880, Buffer.alloc(0))).length, 0);
  assert.deepEqual(d.stats, { packets: 5, frames: 2, dropped: 3 });
});

test('frames → RTP: the payload is a view of the frame (no copy); none for the sequence header', () => {
  const d = new OpusDepacketizer(encodeOpusHead(1));
  const [head, frame] = d.push(rtp(1, 0, packet20ms));
  assert.equal(opusRtpPayload(head!), null);
  const p = opusRtpPayload(frame!)!;
  assert.equal(p.size, packet20ms.length);
  assert.equal(p.parts[0]!.buffer, frame!.payload.buffer);
  assert.deepEqual(p.parts[0], packet20ms);
  assert.equal(parseOpusHead(head!.view.raw).channels, 1);
});
