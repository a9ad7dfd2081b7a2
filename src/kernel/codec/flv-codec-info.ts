// Stream codec info from FLV audio/video tag bodies, in the shape SRS's HTTP API reports under
// /api/v1/streams (`video: {codec, profile, level, width, height}`, `audio: {codec, sample_rate, channel,
// profile}`), see SrsStatisticStream::dumps in srs_app_statistic.cpp.

import { FLV_SOUND_RATES, FlvSoundFormat, FlvVideoCodecId, parseFlvAudioTagHeader, parseFlvVideoTagHeader } from '../format/flv.js';
import { parseAudioSpecificConfig } from './aac.js';
import { codecError } from './codec-error.js';
import { parseAvcDecoderConfigurationRecord, parseAvcSps, avcLevelName, avcProfileName } from './h264.js';
import { hevcLevelName, hevcProfileName, parseHevcDecoderConfigurationRecord, parseHevcSps } from './h265.js';
import { parseMpegAudioFrameHeader } from './mp3.js';

export interface VideoCodecInfo {
  readonly codec: 'H264' | 'H265';
  /** "High", "Main", "Baseline", … (H.264) or "Main", "Main10", … (H.265); "Other" when unnamed. */
  readonly profile: string;
  /** "3.1", …; "Other" when outside SRS's table. */
  readonly level: string;
  readonly width: number;
  readonly height: number;
}

export interface AudioCodecInfo {
  readonly codec: 'AAC' | 'MP3';
  readonly sample_rate: number;
  readonly channel: number;
  /** AAC object type name ("LC", "HE", "HEv2", "Main", "SSR"); "Other" for MP3 and unnamed types. */
  readonly profile: string;
}

/**
 * Video codec info from a video tag body: an AVC/HEVC sequence header (legacy CodecID 7/12 or Enhanced
 * RTMP "avc1"/"hvc1" SequenceStart). Returns null for coded frames and other codecs; throws ProtocolError
 * for a malformed configuration record or SPS. Profile and level come from the configuration record and
 * the size from the first SPS (after cropping), as SRS does.
 */
export function videoCodecInfoFromFlv(body: Buffer): VideoCodecInfo | null {
  if (body.length === 0) return null;
  const h = parseFlvVideoTagHeader(body);
  if (!h.sequenceHeader) return null;
  const config = body.subarray(h.dataOffset);
  if (h.codecId === FlvVideoCodecId.Avc || h.fourCc === 'avc1') {
    const record = parseAvcDecoderConfigurationRecord(config);
    const first = record.sps[0];
    if (first === undefined) throw codecError('h264', 'sequence header without SPS');
    const sps = parseAvcSps(first);
    return {
      codec: 'H264',
      profile: avcProfileName(record.profileIdc),
      level: avcLevelName(record.levelIdc),
      width: sps.width,
      height: sps.height,
    };
  }
  if (h.codecId === FlvVideoCodecId.Hevc || h.fourCc === 'hvc1') {
    const record = parseHevcDecoderConfigurationRecord(config);
    const first = record.sps[0];
    if (first === undefined) throw codecError('h265', 'sequence header without SPS');
    const sps = parseHevcSps(first);
    return {
      codec: 'H265',
      profile: hevcProfileName(record.generalProfileIdc),
      level: hevcLevelName(record.generalLevelIdc),
      width: sps.width,
      height: sps.height,
    };
  }
  return null;
}

export interface AudioCodecInfoOptions {
  /**
   * Where sample_rate and channel come from.
   * - 'flv' (default, what SRS 4 and 5 report): the FLV tag header's SoundRate/SoundType, except that an
   *   AAC rate of 11025, 22050 or 44100 Hz from the AudioSpecificConfig replaces SoundRate
   *   (SrsFormat::audio_aac_demux). A 48 kHz AAC stream therefore reports 44100, and channel is 2 for
   *   any AAC stream muxed by ffmpeg (FLV E.4.2 says AAC "should" be flagged stereo/44 kHz).
   * - 'codec' (what SRS 6+ reports): the AudioSpecificConfig rate and channel count (1 or 2), or the MP3
   *   frame header's.
   */
  readonly source?: 'flv' | 'codec';
}

/**
 * Audio codec info from an audio tag body: the AAC sequence header (AudioSpecificConfig), or any MP3 tag.
 * Returns null for raw AAC frames and other codecs; throws ProtocolError for a malformed config/header.
 */
export function audioCodecInfoFromFlv(body: Buffer, opts: AudioCodecInfoOptions = {}): AudioCodecInfo | null {
  if (body.length === 0) return null;
  const h = parseFlvAudioTagHeader(body);
  const exact = opts.source === 'codec';
  if (h.soundFormat === FlvSoundFormat.Aac) {
    if (h.aacPacketType !== 0) return null;
    const asc = parseAudioSpecificConfig(body.subarray(h.dataOffset));
    let sampleRate = FLV_SOUND_RATES[h.soundRate]!;
    let channel = h.soundType + 1;
    if (exact) {
      sampleRate = asc.sampleRate;
      channel = asc.channels === 1 ? 1 : 2;
    } else if (asc.sampleRate === 11025 || asc.sampleRate === 22050 || asc.sampleRate === 44100) {
      sampleRate = asc.sampleRate;
    }
    return { codec: 'AAC', sample_rate: sampleRate, channel, profile: asc.profileName };
  }
  if (h.soundFormat === FlvSoundFormat.Mp3 || h.soundFormat === FlvSoundFormat.Mp3_8k) {
    if (exact && body.length > h.dataOffset) {
      const frame = parseMpegAudioFrameHeader(body, h.dataOffset);
      return { codec: 'MP3', sample_rate: frame.sampleRate, channel: frame.channels, profile: 'Other' };
    }
    const sampleRate = h.soundFormat === FlvSoundFormat.Mp3_8k ? 8000 : FLV_SOUND_RATES[h.soundRate]!;
    return { codec: 'MP3', sample_rate: sampleRate, channel: h.soundType + 1, profile: 'Other' };
  }
  return null;
}
