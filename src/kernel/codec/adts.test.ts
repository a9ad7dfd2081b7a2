// ADTS splitting and ASC-from-ADTS, formerly format/mpegts/adts.ts (issue 12: one codec library).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adtsHeader, audioSpecificConfigFromAdts, parseAudioSpecificConfig, splitAdts } from './aac.js';

test('ADTS round trip through splitAdts, with CRC variant, garbage and truncation', () => {
  const asc = parseAudioSpecificConfig(Buffer.from([0x11, 0x88])); // LC, 48 kHz (index 3), mono
  const raw1 = Buffer.from([1, 2, 3, 4]);
  const raw2 = Buffer.from([5, 6]);
  const h1 = Buffer.from(adtsHeader(asc, raw1.length));
  const h2 = Buffer.from(adtsHeader(asc, raw2.length));
  // A 9-byte header (protection_absent 0, 2 CRC bytes).
  const h3 = Buffer.concat([h2, Buffer.from([0xaa, 0xbb])]);
  h3[1] = 0xf0;
  h3[3] = h2[3]! & 0xfc; // frame_length 11 < 2^11
  h3[4] = (11 >> 3) & 0xff;
  h3[5] = ((11 & 7) << 5) | 0x1f;
  const stream = Buffer.concat([Buffer.from([0x00, 0xff]), h1, raw1, h3, raw2, h2, raw2.subarray(0, 1)]);
  const frames = splitAdts(stream);
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[0]!.raw, raw1);
  assert.deepEqual(frames[1]!.raw, raw2);
  assert.equal(frames[0]!.profile, 1);
  assert.equal(frames[0]!.sampleRateIndex, 3);
  assert.equal(frames[0]!.channelConfiguration, 1);
  assert.deepEqual(audioSpecificConfigFromAdts(1, 4, 2), Buffer.from([0x12, 0x10]));
});

test('an explicit-rate AudioSpecificConfig (index 15, 44100 Hz) still gets an ADTS header at index 4', () => {
  // aot 2, sf index 15, 24-bit rate 44100 (0x00AC44), channel configuration 2.
  const asc = parseAudioSpecificConfig(Buffer.from([0x17, 0x80, 0x56, 0x22, 0x10]));
  assert.equal(asc.sampleRateIndex, 15);
  assert.equal(asc.sampleRate, 44100);
  assert.deepEqual([...adtsHeader(asc, 100)], [0xff, 0xf1, 0x50, 0x80, 0x0d, 0x7f, 0xfc]);
});
