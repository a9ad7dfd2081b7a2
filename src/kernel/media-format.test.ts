// The per-source format (issue 12, point 3): tracks parsed once, a version bumped by every change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AAC_ASC, H264_AVCC, H264_PPS, H264_SPS, avcC, videoBody } from './format/mpegts/mpegts-test-helpers.js';
import { MediaFormat } from './media-format.js';
import { audioFrameFromFlv, videoFrameFromFlv } from './media-frame.js';

const aacHeader = (asc: Buffer) => audioFrameFromFlv(Buffer.concat([Buffer.from([0xaf, 0]), asc]), 0)!;
const opusHead = Buffer.from('4f707573486561640102380180bb0000000000', 'hex');

test('a sequence header makes a track; the same header again changes nothing; an SPS change bumps the version', () => {
  const format = new MediaFormat();
  assert.equal(format.version, 0);
  assert.equal(format.update(videoFrameFromFlv(videoBody(7, true, 0, 0, H264_AVCC), 0)!), true);
  assert.equal(format.version, 1);
  const v = format.video()!;
  assert.deepEqual([v.codec, v.width, v.height, v.profile], ['h264', 64, 48, 'High']);
  assert.equal(format.update(videoFrameFromFlv(videoBody(7, true, 0, 0, Buffer.from(H264_AVCC)), 40)!), false);
  assert.equal(format.update(videoFrameFromFlv(videoBody(7, true, 1, 0, Buffer.from([0, 0, 0, 1, 0x65])), 40)!), false);
  assert.equal(format.version, 1);
  // Same PPS, another SPS (level 4.0 instead of 1.0): a new record mid-stream.
  const sps2 = Buffer.from(H264_SPS);
  sps2[3] = 40;
  assert.equal(format.update(videoFrameFromFlv(videoBody(7, true, 0, 0, avcC(sps2, H264_PPS)), 80)!), true);
  assert.equal(format.version, 2);
  assert.equal(format.video()!.level, '4');
  assert.equal(format.tracks.length, 1, 'one video track, replaced');
});

test('tracks are a list: AAC and Opus of the same audio side by side; reset() forgets them', () => {
  const format = new MediaFormat();
  format.update(aacHeader(AAC_ASC));
  format.update(audioFrameFromFlv(Buffer.concat([Buffer.from([0xd2]), opusHead]), 0)!);
  assert.deepEqual(format.tracks.map((t) => t.codec), ['aac', 'opus']);
  assert.equal(format.version, 2);
  assert.deepEqual([format.audio('aac')!.sampleRate, format.audio('aac')!.channels, format.audio('aac')!.profile], [44100, 2, 'LC']);
  assert.deepEqual([format.audio('opus')!.sampleRate, format.audio('opus')!.channels], [48000, 2]);
  // Coded Opus packets of a known track are a lookup, not a change.
  assert.equal(format.update(audioFrameFromFlv(Buffer.from([0xd2, 0xfc, 1]), 20)!), false);
  format.reset();
  assert.deepEqual([format.tracks.length, format.version], [0, 3]);
});

test('an explicit-rate AudioSpecificConfig is a valid track (rate 44100 from the 24-bit field)', () => {
  const format = new MediaFormat();
  format.update(aacHeader(Buffer.from([0x17, 0x80, 0x56, 0x22, 0x10])));
  const t = format.audio()!;
  assert.equal(t.error, null);
  assert.deepEqual([t.sampleRate, t.channels], [44100, 2]);
});

test('MP3 has no sequence header: its first frame makes the track', () => {
  const format = new MediaFormat();
  assert.equal(format.update(audioFrameFromFlv(Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64, 0x00, 0x00]), 0)!), true);
  assert.deepEqual([format.audio()!.codec, format.audio()!.sampleRate, format.audio()!.channels], ['mp3', 44100, 2]);
  assert.equal(format.update(audioFrameFromFlv(Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64, 0x00, 0x00]), 26)!), false);
});

test('a broken record still makes a track (codec known) with the parse error, never a throw', () => {
  const format = new MediaFormat();
  format.update(videoFrameFromFlv(videoBody(7, true, 0, 0, Buffer.from([1, 100, 0, 12, 0xff, 0xe1, 0, 50])), 0)!);
  const t = format.video()!;
  assert.equal(t.codec, 'h264');
  assert.match(t.error ?? '', /h264/);
});
