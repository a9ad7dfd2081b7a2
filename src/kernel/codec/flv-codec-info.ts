// Stream codec info from FLV audio/video tag bodies, in the shape SRS's HTTP API reports under
// /api/v1/streams (`video: {codec, profile, level, width, height}`, `audio: {codec, sample_rate, channel,
// profile}`), see SrsStatisticStream::dumps in srs_app_statistic.cpp.
// Built on the one FLV frame builder and the track parsing of the per-source format (issue 12): this
// module reads no FLV tag header itself. The server's API reads the source's MediaFormat directly.

import { videoFrameFromFlv, audioFrameFromFlv } from '../media-frame.js';
import { codecError } from './codec-error.js';
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
  const frame = videoFrameFromFlv(body, 0);
  if (frame === null || !frame.sequenceHeader || (frame.codec !== 'h264' && frame.codec !== 'h265')) return null;
  const t = frame.view.track()!;
  if (t.config.length === 0) throw codecError(frame.codec, 'sequence header without a configuration record');
  if (t.error !== null) throw codecError(frame.codec, t.error.replace(/^h26[45]: /, ''));
  return { codec: frame.codec === 'h264' ? 'H264' : 'H265', profile: t.profile, level: t.level, width: t.width, height: t.height };
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
  const frame = audioFrameFromFlv(body, 0);
  if (frame === null) return null;
  const view = frame.view;
  const exact = opts.source === 'codec';
  if (frame.codec === 'aac') {
    if (view.malformed) throw codecError('aac', 'audio tag without a valid AACPacketType');
    if (!frame.sequenceHeader) return null;
    const t = view.track()!;
    if (t.asc === null) throw codecError('aac', (t.error ?? 'bad AudioSpecificConfig').replace(/^aac: /, ''));
    let sampleRate = view.flvSoundRate;
    let channel = view.flvChannels;
    if (exact) {
      sampleRate = t.asc.sampleRate;
      channel = t.asc.channels === 1 ? 1 : 2;
    } else if (t.asc.sampleRate === 11025 || t.asc.sampleRate === 22050 || t.asc.sampleRate === 44100) {
      sampleRate = t.asc.sampleRate;
    }
    return { codec: 'AAC', sample_rate: sampleRate, channel, profile: t.profile };
  }
  if (frame.codec === 'mp3') {
    if (exact && view.raw.length > 0) {
      const h = parseMpegAudioFrameHeader(view.raw);
      return { codec: 'MP3', sample_rate: h.sampleRate, channel: h.channels, profile: 'Other' };
    }
    return { codec: 'MP3', sample_rate: view.flvSoundRate, channel: view.flvChannels, profile: 'Other' };
  }
  return null;
}
