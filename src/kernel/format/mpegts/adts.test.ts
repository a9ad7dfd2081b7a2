import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adtsProfile, audioSpecificConfigFromAdts, parseAudioSpecificConfig, splitAdts, writeAdtsHeader } from './adts.js';

test('AudioSpecificConfig LC 44.1 kHz stereo → ADTS header bytes', () => {
  const cfg = parseAudioSpecificConfig(Buffer.from([0x12, 0x10]))!;
  assert.deepEqual(cfg, { objectType: 2, samplingFrequencyIndex: 4, channelConfiguration: 2 });
  const h = Buffer.alloc(7);
  writeAdtsHeader(h, 0, cfg, 100);
  // FFF1, profile 1 (LC), sf index 4, channels 2, frame_length 107, fullness 0x7FF, 1 raw block.
  assert.deepEqual([...h], [0xff, 0xf1, 0x50, 0x80, 0x0d, 0x7f, 0xfc]);
});

test('HE-AAC (explicit SBR) is carried as LC at the core rate, like SRS', () => {
  // aot 5, sf index 6 (24 kHz core), 2 channels, extension sf index 3 (48 kHz), aot 2
  const cfg = parseAudioSpecificConfig(Buffer.from([0x2b, 0x11, 0x88, 0x00]))!;
  assert.equal(cfg.objectType, 5);
  assert.equal(cfg.samplingFrequencyIndex, 6);
  assert.equal(adtsProfile(cfg.objectType), 1);
  assert.equal(adtsProfile(1), 0);
});

test('AudioSpecificConfig with escape object type, explicit rate, or too short', () => {
  assert.equal(parseAudioSpecificConfig(Buffer.from([0x12])), null);
  assert.equal(parseAudioSpecificConfig(Buffer.from([0x17, 0x80, 0, 0, 0])), null); // sf index 15
  assert.equal(parseAudioSpecificConfig(Buffer.from([0xf8, 0x00])), null); // escaped object type runs out of bits
});

test('ADTS round trip through splitAdts, with CRC variant, garbage and truncation', () => {
  const cfg = { objectType: 2, samplingFrequencyIndex: 3, channelConfiguration: 1 };
  const raw1 = Buffer.from([1, 2, 3, 4]);
  const raw2 = Buffer.from([5, 6]);
  const h1 = Buffer.alloc(7);
  const h2 = Buffer.alloc(7);
  writeAdtsHeader(h1, 0, cfg, raw1.length);
  writeAdtsHeader(h2, 0, cfg, raw2.length);
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
  assert.equal(frames[0]!.samplingFrequencyIndex, 3);
  assert.equal(frames[0]!.channelConfiguration, 1);
  assert.deepEqual(audioSpecificConfigFromAdts(1, 4, 2), Buffer.from([0x12, 0x10]));
});
