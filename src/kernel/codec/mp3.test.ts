import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../core/errors.js';
import { expectOnlyProtocolErrors, fuzzInputs, readFixture } from '../../../test/fixtures/index.js';
import { demuxFlv } from '../format/flv.js';
import { parseMpegAudioFrameHeader } from './mp3.js';

const AUDIO = demuxFlv(readFixture('mp3.flv')).tags.filter((t) => t.type === 8);

describe('MPEG audio frame header', () => {
  it('reads every frame of the ffmpeg/LAME fixture: MPEG-1 Layer III, 44.1 kHz mono 64 kbit/s', () => {
    assert.ok(AUDIO.length >= 38);
    for (const tag of AUDIO) {
      assert.equal(tag.body[0]! >> 4, 2); // SoundFormat 2 = MP3
      const h = parseMpegAudioFrameHeader(tag.body, 1);
      assert.equal(h.version, 1);
      assert.equal(h.layer, 3);
      assert.equal(h.sampleRate, 44100);
      assert.equal(h.channelMode, 'mono');
      assert.equal(h.channels, 1);
      assert.equal(h.samplesPerFrame, 1152);
      assert.equal(h.bitrateKbps, 64);
      // One frame per tag: 144 * 64000 / 44100 = 208.97 → 208, or 209 with padding.
      assert.equal(h.frameLength, tag.body.length - 1);
      assert.equal(h.frameLength, h.padding ? 209 : 208);
    }
  });

  const cases: Array<[string, string, Partial<ReturnType<typeof parseMpegAudioFrameHeader>>]> = [
    ['MPEG-1 Layer III 128k 44.1 kHz joint stereo', 'fffb9064', { version: 1, layer: 3, bitrateKbps: 128, sampleRate: 44100, channelMode: 'joint-stereo', channels: 2, frameLength: 417, crc: false }],
    ['MPEG-1 Layer III 320k 48 kHz padded', 'fffbe6c0', { bitrateKbps: 320, sampleRate: 48000, padding: true, frameLength: 961, channelMode: 'mono' }],
    ['MPEG-2 Layer III 32k 22.05 kHz', 'fff34000', { version: 2, layer: 3, bitrateKbps: 32, sampleRate: 22050, samplesPerFrame: 576, frameLength: 104, channelMode: 'stereo' }],
    ['MPEG-2.5 Layer III 8k 8 kHz', 'ffe31880', { version: 2.5, layer: 3, bitrateKbps: 8, sampleRate: 8000, samplesPerFrame: 576, frameLength: 72, channelMode: 'dual-channel' }],
    ['MPEG-1 Layer II 192k 48 kHz with CRC', 'fffca400', { version: 1, layer: 2, bitrateKbps: 192, sampleRate: 48000, crc: true, samplesPerFrame: 1152, frameLength: 576 }],
    ['MPEG-1 Layer I 384k 32 kHz', 'ffffc840', { version: 1, layer: 1, bitrateKbps: 384, sampleRate: 32000, samplesPerFrame: 384, padding: false, frameLength: 576 }],
    ['MPEG-1 Layer I 32k 44.1 kHz padded', 'ffff1200', { layer: 1, bitrateKbps: 32, padding: true, frameLength: 4 * (8 + 1) }],
    ['free format', 'fffb0000', { bitrateKbps: 0, frameLength: 0 }],
  ];
  for (const [name, hexHeader, expected] of cases) {
    it(`parses ${name}`, () => {
      const h = parseMpegAudioFrameHeader(Buffer.from(hexHeader, 'hex'));
      for (const [k, v] of Object.entries(expected)) assert.equal(h[k as keyof typeof h], v, k);
    });
  }

  it('refuses bad sync, reserved fields and truncation', () => {
    for (const bad of ['fefb9064', 'ff1b9064', 'ffeb9064', 'fff99064', 'fffbf064', 'fffb9c64', 'fffb90']) {
      assert.throws(() => parseMpegAudioFrameHeader(Buffer.from(bad, 'hex')), ProtocolError, bad);
    }
    assert.throws(() => parseMpegAudioFrameHeader(Buffer.from('00fffb9064', 'hex'), 2), ProtocolError);
    assert.equal(parseMpegAudioFrameHeader(Buffer.from('00fffb9064', 'hex'), 1).bitrateKbps, 128);
  });

  it('fuzz: random headers only throw ProtocolError', () => {
    const seeds = [AUDIO[0]!.body.subarray(1, 5), Buffer.from('fffb9064', 'hex'), Buffer.from('ffe31880', 'hex')];
    const { accepted, refused } = expectOnlyProtocolErrors('mp3', fuzzInputs(seeds, 0x3b3, 3000, 5), (b) => parseMpegAudioFrameHeader(b));
    assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  });
});
