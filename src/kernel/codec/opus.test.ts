import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '../../core/errors.js';
import { expectOnlyProtocolErrors, fuzzInputs } from '../../../test/fixtures/index.js';
import { opusPacketSamples, parseOpusHead } from './opus.js';

// OpusHead written by ffmpeg (libopus, stereo, 48 kHz input): version 1, 2 channels, pre-skip 312.
const OPUS_HEAD = Buffer.from('4f707573486561640102380180bb0000000000', 'hex');

test('OpusHead from ffmpeg: version, channels, pre-skip, input rate, mapping family 0', () => {
  assert.deepEqual(parseOpusHead(OPUS_HEAD), {
    version: 1,
    channels: 2,
    preSkip: 312,
    inputSampleRate: 48000,
    outputGain: 0,
    channelMappingFamily: 0,
  });
});

test('OpusHead with a channel mapping table (family 1, 5.1)', () => {
  const head = Buffer.concat([OPUS_HEAD, Buffer.from([4, 2, 0, 4, 1, 2, 3, 5])]);
  head[9] = 6;
  head[18] = 1;
  const h = parseOpusHead(head);
  assert.equal(h.streamCount, 4);
  assert.equal(h.coupledCount, 2);
  assert.deepEqual(h.channelMapping, [0, 4, 1, 2, 3, 5]);
});

test('OpusHead: truncation, bad magic, unknown major version, bad family-0 channels throw ProtocolError', () => {
  for (let n = 0; n < OPUS_HEAD.length; n++) assert.throws(() => parseOpusHead(OPUS_HEAD.subarray(0, n)), ProtocolError, `len ${n}`);
  const bad = Buffer.from(OPUS_HEAD);
  bad[0] = 0x6f;
  assert.throws(() => parseOpusHead(bad), ProtocolError);
  const v2 = Buffer.from(OPUS_HEAD);
  v2[8] = 0x10;
  assert.throws(() => parseOpusHead(v2), ProtocolError);
  const three = Buffer.from(OPUS_HEAD);
  three[9] = 3;
  assert.throws(() => parseOpusHead(three), ProtocolError);
});

test('opusPacketSamples from the TOC: 20 ms CELT = 960, two frames = 1920, code 3 counts frames', () => {
  assert.equal(opusPacketSamples(Buffer.from([0xfc])), 960); // config 31 (CELT FB 20 ms), code 0
  assert.equal(opusPacketSamples(Buffer.from([0xfd])), 1920); // code 1: two frames
  assert.equal(opusPacketSamples(Buffer.from([0xfb, 0x03])), 2880); // config 31, code 3, 3 frames
  assert.equal(opusPacketSamples(Buffer.alloc(0)), 0);
});

test('fuzz: mutated OpusHead packets only throw ProtocolError', () => {
  const family1 = Buffer.concat([OPUS_HEAD, Buffer.from([4, 2, 0, 4, 1, 2, 3, 5])]);
  family1[9] = 6;
  family1[18] = 1;
  const r = expectOnlyProtocolErrors('opus', fuzzInputs([OPUS_HEAD, family1], 0x0b5, 3000, 64), (b) => parseOpusHead(b));
  assert.ok(r.accepted > 0 && r.refused > 0);
});
