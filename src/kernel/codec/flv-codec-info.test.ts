import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../core/errors.js';
import { BitWriter, expectOnlyProtocolErrors, findMp4Box, fuzzInputs, readFixture } from '../../../test/fixtures/index.js';
import { demuxFlv } from '../format/flv.js';
import { audioCodecInfoFromFlv, videoCodecInfoFromFlv } from './flv-codec-info.js';

const tagsOf = (name: string) => demuxFlv(readFixture(name)).tags;
const H264_AAC = tagsOf('h264-aac.flv');
const YUV444 = tagsOf('h264-444-interlaced.flv');
const MP3 = tagsOf('mp3.flv');
const HVCC = findMp4Box(readFixture('h265.mp4'), 'hvcC');

const firstOf = (tags: ReturnType<typeof tagsOf>, type: number) => tags.find((t) => t.type === type)!.body;

describe('video codec info', () => {
  it('reports H.264 High 1.2 320x180 like SRS', () => {
    assert.deepEqual(videoCodecInfoFromFlv(firstOf(H264_AAC, 9)), { codec: 'H264', profile: 'High', level: '1.2', width: 320, height: 180 });
  });

  it('reports H.264 High 4:4:4 Predictive interlaced', () => {
    assert.deepEqual(videoCodecInfoFromFlv(firstOf(YUV444, 9)), { codec: 'H264', profile: 'High(444+Predictive)', level: '2.1', width: 176, height: 100 });
  });

  it('reports H.265 from a legacy CodecID 12 header and from an Enhanced RTMP hvc1 header', () => {
    const expected = { codec: 'H265', profile: 'Main', level: '2', width: 320, height: 180 };
    const legacy = Buffer.concat([Buffer.from([0x1c, 0x00, 0, 0, 0]), HVCC]);
    assert.deepEqual(videoCodecInfoFromFlv(legacy), expected);
    const enhanced = Buffer.concat([Buffer.from([0x90]), Buffer.from('hvc1'), HVCC]);
    assert.deepEqual(videoCodecInfoFromFlv(enhanced), expected);
  });

  it('reports H.264 from an Enhanced RTMP avc1 header', () => {
    const enhanced = Buffer.concat([Buffer.from([0x90]), Buffer.from('avc1'), firstOf(H264_AAC, 9).subarray(5)]);
    assert.equal(videoCodecInfoFromFlv(enhanced)!.codec, 'H264');
  });

  it('returns null for coded frames, end of sequence, other codecs and empty bodies', () => {
    const video = H264_AAC.filter((t) => t.type === 9);
    assert.equal(videoCodecInfoFromFlv(video[1]!.body), null);
    assert.equal(videoCodecInfoFromFlv(video.at(-1)!.body), null);
    assert.equal(videoCodecInfoFromFlv(Buffer.from([0x12, 0, 0])), null);
    assert.equal(videoCodecInfoFromFlv(Buffer.concat([Buffer.from([0x90]), Buffer.from('av01'), Buffer.from([0x81])])), null);
    assert.equal(videoCodecInfoFromFlv(Buffer.alloc(0)), null);
  });

  it('throws ProtocolError for a malformed sequence header', () => {
    assert.throws(() => videoCodecInfoFromFlv(Buffer.from([0x17, 0, 0, 0, 0, 1, 100, 0, 12, 0xff, 0xe0, 0])), /without SPS/);
    assert.throws(() => videoCodecInfoFromFlv(firstOf(H264_AAC, 9).subarray(0, 12)), ProtocolError);
    assert.throws(() => videoCodecInfoFromFlv(Buffer.from([0x17, 0])), ProtocolError);
  });

  it('fuzz: mutated sequence headers only throw ProtocolError', () => {
    const seeds = [firstOf(H264_AAC, 9), firstOf(YUV444, 9), Buffer.concat([Buffer.from([0x1c, 0x00, 0, 0, 0]), HVCC])];
    expectOnlyProtocolErrors('video-info', fuzzInputs(seeds, 0x71d, 3000, 128), (b) => videoCodecInfoFromFlv(b));
  });
});

describe('audio codec info', () => {
  it('reports AAC LC as SRS 4/5 do: FLV rate/channels, overridden only by 11025/22050/44100', () => {
    assert.deepEqual(audioCodecInfoFromFlv(firstOf(H264_AAC, 8)), { codec: 'AAC', sample_rate: 44100, channel: 2, profile: 'LC' });
  });

  it('reports AAC from the AudioSpecificConfig with source: codec', () => {
    assert.deepEqual(audioCodecInfoFromFlv(firstOf(H264_AAC, 8), { source: 'codec' }), { codec: 'AAC', sample_rate: 48000, channel: 2, profile: 'LC' });
  });

  it('applies the SRS 4/5 rate override for a 22.05 kHz mono AAC flagged 44 kHz stereo', () => {
    const w = new BitWriter().bits(5, 2).bits(4, 7).bits(4, 1).bits(3, 0);
    const body = Buffer.concat([Buffer.from([0xaf, 0x00]), w.toBuffer()]);
    assert.deepEqual(audioCodecInfoFromFlv(body), { codec: 'AAC', sample_rate: 22050, channel: 2, profile: 'LC' });
    assert.deepEqual(audioCodecInfoFromFlv(body, { source: 'codec' }), { codec: 'AAC', sample_rate: 22050, channel: 1, profile: 'LC' });
    const he = new BitWriter().bits(5, 5).bits(4, 6).bits(4, 2).bits(4, 3).bits(5, 2).bits(3, 0);
    assert.equal(audioCodecInfoFromFlv(Buffer.concat([Buffer.from([0xaf, 0x00]), he.toBuffer()]))!.profile, 'HE');
  });

  it('reports MP3 from the FLV header and from the frame header', () => {
    assert.deepEqual(audioCodecInfoFromFlv(firstOf(MP3, 8)), { codec: 'MP3', sample_rate: 44100, channel: 1, profile: 'Other' });
    assert.deepEqual(audioCodecInfoFromFlv(firstOf(MP3, 8), { source: 'codec' }), { codec: 'MP3', sample_rate: 44100, channel: 1, profile: 'Other' });
    assert.deepEqual(audioCodecInfoFromFlv(Buffer.from([0xe2])), { codec: 'MP3', sample_rate: 8000, channel: 1, profile: 'Other' });
  });

  it('returns null for raw AAC frames, other codecs and empty bodies', () => {
    assert.equal(audioCodecInfoFromFlv(H264_AAC.filter((t) => t.type === 8)[1]!.body), null);
    assert.equal(audioCodecInfoFromFlv(Buffer.from([0x72, 0xd5])), null); // G.711 A-law
    assert.equal(audioCodecInfoFromFlv(Buffer.alloc(0)), null);
  });

  it('throws ProtocolError for a malformed AAC sequence header or MP3 frame', () => {
    assert.throws(() => audioCodecInfoFromFlv(Buffer.from([0xaf, 0x00, 0x10])), ProtocolError);
    assert.throws(() => audioCodecInfoFromFlv(Buffer.from([0xaf])), ProtocolError);
    assert.throws(() => audioCodecInfoFromFlv(Buffer.from([0x2e, 0x00, 0x00, 0x00, 0x00]), { source: 'codec' }), ProtocolError);
  });

  it('fuzz: mutated audio tags only throw ProtocolError', () => {
    const seeds = [firstOf(H264_AAC, 8), firstOf(MP3, 8).subarray(0, 16)];
    expectOnlyProtocolErrors('audio-info', fuzzInputs(seeds, 0xa1d, 3000, 32), (b) => {
      audioCodecInfoFromFlv(b);
      audioCodecInfoFromFlv(b, { source: 'codec' });
    });
  });
});
