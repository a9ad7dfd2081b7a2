// Issue 12 point 7: malformed media reports the generic MediaDecode code whatever protocol carried it,
// not RTMP's message-decode code (a bad SPS from SRT or WHIP is no RTMP fault).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, ProtocolError } from '../core/errors.js';
import { parseAdtsHeader, parseAudioSpecificConfig } from './codec/aac.js';
import { parseAvcDecoderConfigurationRecord, parseAvcSps } from './codec/h264.js';
import { parseMpegAudioFrameHeader } from './codec/mp3.js';
import { FlvDemuxer } from './format/flv.js';
import { trackFromSequenceHeader } from './format/mp4/track.js';
import { videoFrameFromFlv } from './media-frame.js';

const isMediaDecode = (e: unknown): boolean => e instanceof ProtocolError && e.code === ErrorCode.MediaDecode;

test('codec, FLV and MP4 parsers refuse malformed bytes with MediaDecode', () => {
  const cases: Array<[string, () => unknown]> = [
    ['avcC truncated (byte reader)', () => parseAvcDecoderConfigurationRecord(Buffer.from([1, 0x64]))],
    ['avcC bad version (codec check)', () => parseAvcDecoderConfigurationRecord(Buffer.from([2, 0x64, 0, 0x1f, 0xff, 0xe1]))],
    ['SPS truncated (bit reader)', () => parseAvcSps(Buffer.from([0x67, 0x64]))],
    ['AudioSpecificConfig empty', () => parseAudioSpecificConfig(Buffer.alloc(0))],
    ['ADTS bad sync', () => parseAdtsHeader(Buffer.alloc(7))],
    ['MP3 bad sync', () => parseMpegAudioFrameHeader(Buffer.alloc(4))],
    ['FLV bad signature', () => new FlvDemuxer().push(Buffer.from('464c5801050000000900000000', 'hex'))],
    [
      'MP4 track from an AVC sequence header without SPS',
      () => {
        // FLV AVC sequence header (keyframe, AVCPacketType 0) with an avcC that lists no SPS.
        const frame = videoFrameFromFlv(Buffer.from([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe0, 0]), 0);
        assert.ok(frame);
        return trackFromSequenceHeader(frame);
      },
    ],
  ];
  for (const [what, run] of cases) assert.throws(run, isMediaDecode, what);
});
