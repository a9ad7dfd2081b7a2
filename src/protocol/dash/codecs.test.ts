import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFixture } from '../../../test/fixtures/index.js';
import { demuxFlv } from '../../kernel/format/flv.js';
import { findBox, parseBoxes } from '../../kernel/format/mp4/mp4-test-helpers.js';
import { trackFromSequenceHeader, type TrackInfo } from '../../kernel/format/mp4/index.js';
import { audioFrameFromFlv, videoFrameFromFlv } from '../../kernel/media-frame.js';
import { aacCodecString, avcCodecString, codecsString, hevcCodecString } from './codecs.js';

/** The tracks of the H.264 + AAC fixture, from its sequence headers. */
function fixtureTracks(): { video: TrackInfo; audio: TrackInfo } {
  const { tags } = demuxFlv(readFixture('h264-aac.flv'));
  let video: TrackInfo | null = null;
  let audio: TrackInfo | null = null;
  for (const tag of tags) {
    if (tag.type === 9 && video === null) video = trackFromSequenceHeader(videoFrameFromFlv(tag.body, tag.timestamp)!);
    if (tag.type === 8 && audio === null) audio = trackFromSequenceHeader(audioFrameFromFlv(tag.body, tag.timestamp)!);
  }
  return { video: video!, audio: audio! };
}

/** An HEVCDecoderConfigurationRecord with no parameter set arrays, enough for the codecs string. */
function hvcC(opts: { space?: number; tier?: 1 | 0; profile: number; compat: number; constraint: number[]; level: number }): Buffer {
  const b = Buffer.alloc(23);
  b[0] = 1;
  b[1] = ((opts.space ?? 0) << 6) | ((opts.tier ?? 0) << 5) | opts.profile;
  b.writeUInt32BE(opts.compat >>> 0, 2);
  Buffer.from(opts.constraint.concat([0, 0, 0, 0, 0, 0]).slice(0, 6)).copy(b, 6);
  b[12] = opts.level;
  b.set([0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x00], 13);
  return b;
}

describe('DASH codecs strings', () => {
  test('H.264: avc1.PPCCLL from the avcC of a real x264 stream (High, level 1.2: what ffmpeg dash writes)', () => {
    const { video } = fixtureTracks();
    assert.equal(codecsString(video), 'avc1.64000c');
    // Baseline constrained 3.0 and Main 4.1, from the record's bytes 1..3.
    assert.equal(avcCodecString(Buffer.from([1, 0x42, 0xe0, 0x1e, 0xff, 0xe0, 0x00])), 'avc1.42e01e');
    assert.equal(avcCodecString(Buffer.from([1, 0x4d, 0x40, 0x29, 0xff, 0xe0, 0x00])), 'avc1.4d4029');
  });

  test('H.265: hvc1.<profile>.<reversed compat>.<tier><level>.<constraints> (14496-15 E.3)', () => {
    const box = findBox(parseBoxes(readFixture('h265.mp4')), 'moov/trak/mdia/minf/stbl/stsd/hvc1/hvcC')!;
    // x265 Main, level 2 (level_idc 60), progressive + frame-only constraint bits.
    assert.equal(hevcCodecString(box.payload), 'hvc1.1.6.L60.90');
    // The examples of 14496-15 E.3 and common players' test vectors.
    assert.equal(hevcCodecString(hvcC({ profile: 1, compat: 0x60000000, constraint: [0xb0], level: 93 })), 'hvc1.1.6.L93.B0');
    assert.equal(hevcCodecString(hvcC({ profile: 2, compat: 0x20000000, constraint: [0xb0], level: 120, tier: 1 })), 'hvc1.2.4.H120.B0');
    assert.equal(hevcCodecString(hvcC({ space: 1, profile: 1, compat: 0x60000000, constraint: [0x90, 0, 0, 0, 0, 0x01], level: 90 })), 'hvc1.A1.6.L90.90.00.00.00.00.01');
    assert.equal(hevcCodecString(hvcC({ profile: 1, compat: 0x60000000, constraint: [], level: 93 })), 'hvc1.1.6.L93');
  });

  test('AAC: mp4a.40.<audio object type>, HE-AAC as 5 and HE-AACv2 as 29 (explicit or implicit)', () => {
    const { audio } = fixtureTracks();
    assert.equal(codecsString(audio), 'mp4a.40.2');
    assert.equal(aacCodecString(Buffer.from('1210', 'hex')), 'mp4a.40.2'); // LC 44.1 kHz stereo
    assert.equal(aacCodecString(Buffer.from('2b1188', 'hex')), 'mp4a.40.5'); // explicit SBR
    assert.equal(aacCodecString(Buffer.from('eb1188', 'hex')), 'mp4a.40.29'); // explicit PS
    assert.equal(aacCodecString(Buffer.from('131056e598', 'hex')), 'mp4a.40.5'); // LC + sync extension (implicit SBR)
  });

  test('MP3 and Opus', () => {
    const mp3: TrackInfo = { kind: 'audio', codec: 'mp3', timescale: 44100, config: Buffer.alloc(0), sampleRate: 44100, channels: 1 };
    assert.equal(codecsString(mp3), 'mp4a.6B');
    assert.equal(codecsString({ ...mp3, timescale: 22050, sampleRate: 22050 }), 'mp4a.69');
    assert.equal(codecsString({ kind: 'audio', codec: 'opus', timescale: 48000, config: Buffer.alloc(0), sampleRate: 48000, channels: 2 }), 'opus');
  });

  test('a malformed decoder configuration throws ProtocolError', () => {
    assert.throws(() => avcCodecString(Buffer.from([0])), { name: 'ProtocolError' });
    assert.throws(() => hevcCodecString(Buffer.from([1, 2, 3])), { name: 'ProtocolError' });
  });
});
