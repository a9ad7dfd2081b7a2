// One track of a source's format (issue 12): a codec configuration parsed once, with the facts outputs
// and the API need (profile, level, size, rate, channels, NALU length size, parameter sets). Built by the
// frame's codec view (once per sequence-header frame) and kept by MediaFormat.

import { aacProfileName, parseAudioSpecificConfig, type AudioSpecificConfig } from './codec/aac.js';
import { parseAv1CodecConfigurationRecord } from './codec/av1.js';
import { avcLevelName, avcProfileName, parseAvcDecoderConfigurationRecord, parseAvcSps } from './codec/h264.js';
import { hevcLevelName, hevcProfileName, parseHevcDecoderConfigurationRecord, parseHevcSps } from './codec/h265.js';
import { parseMpegAudioFrameHeader } from './codec/mp3.js';
import { OPUS_SAMPLE_RATE, parseOpusHead } from './codec/opus.js';
import type { AudioCodec, VideoCodec } from './codec-names.js';

export interface VideoTrackFormat {
  readonly kind: 'video';
  readonly codec: VideoCodec;
  /** The decoder configuration record (avcC/hvcC/av1C body), a view into the sequence-header frame; empty when none. */
  readonly config: Buffer;
  /** Profile name as SRS reports it ("High", "Main", "Main10", AV1: "0"), or "Other". */
  readonly profile: string;
  /** Level name ("3.1"; AV1: seq_level_idx), or "Other". */
  readonly level: string;
  /** Picture size from the first SPS (after cropping); 0 when unknown. */
  readonly width: number;
  readonly height: number;
  /** NALU length prefix size of the coded frames (H.264/H.265), else 4. */
  readonly naluLengthSize: 1 | 2 | 4;
  /** Parameter sets in decoding order (VPS, SPS, PPS) — views into `config`. */
  readonly parameterSets: readonly Buffer[];
  /** Why the config could not be parsed (the track then carries the codec only), else null. */
  readonly error: string | null;
}

export interface AudioTrackFormat {
  readonly kind: 'audio';
  readonly codec: AudioCodec;
  /** AudioSpecificConfig or OpusHead bytes (a view into the frame); empty when the codec has none. */
  readonly config: Buffer;
  /** Parsed AudioSpecificConfig (AAC only). */
  readonly asc: AudioSpecificConfig | null;
  /** Codec sampling rate (AAC: core rate; Opus: 48000), Hz; 0 when unknown. */
  readonly sampleRate: number;
  /** Channel count; 0 when unknown. */
  readonly channels: number;
  /** SRS profile name ("LC", "HE", …) or "Other". */
  readonly profile: string;
  /** The FLV SoundRate/SoundType flags of the frame that set the track (SRS 4/5 report these). */
  readonly flvSoundRate: number;
  readonly flvChannels: number;
  readonly error: string | null;
}

export type TrackFormat = VideoTrackFormat | AudioTrackFormat;


export const NO_BYTES = Buffer.alloc(0);

export function isOpusHead(b: Buffer): boolean {
  return b.length >= 8 && b.toString('latin1', 0, 8) === 'OpusHead';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A video track from a configuration record: profile, level and size from the record and its first SPS.
 * A record that does not parse gives `error` and no parameter sets; an SPS that does not parse gives
 * `error` but keeps the parameter sets (a TS output can still carry them; the API reports nothing).
 */
export function videoTrack(codec: VideoCodec, config: Buffer): VideoTrackFormat {
  const base = { kind: 'video' as const, codec, config, profile: 'Other', level: 'Other', width: 0, height: 0, naluLengthSize: 4 as const, parameterSets: [], error: null };
  if (config.length === 0) return base;
  try {
    if (codec === 'h264') {
      const r = parseAvcDecoderConfigurationRecord(config);
      const track = { ...base, profile: avcProfileName(r.profileIdc), level: avcLevelName(r.levelIdc), naluLengthSize: r.naluLengthSize, parameterSets: [...r.sps, ...r.pps] };
      return withPictureSize(track, r.sps[0], parseAvcSps);
    }
    if (codec === 'h265') {
      const r = parseHevcDecoderConfigurationRecord(config);
      const track = {
        ...base,
        profile: hevcProfileName(r.generalProfileIdc),
        level: hevcLevelName(r.generalLevelIdc),
        naluLengthSize: r.naluLengthSize,
        parameterSets: [...r.vps, ...r.sps, ...r.pps],
      };
      return withPictureSize(track, r.sps[0], parseHevcSps);
    }
    if (codec === 'av1') {
      const r = parseAv1CodecConfigurationRecord(config);
      return { ...base, profile: String(r.seqProfile), level: String(r.seqLevelIdx0) };
    }
  } catch (err) {
    return { ...base, error: errorText(err) };
  }
  return base;
}

function withPictureSize(track: VideoTrackFormat, sps: Buffer | undefined, parse: (sps: Buffer) => { width: number; height: number }): VideoTrackFormat {
  if (sps === undefined) return { ...track, error: `${track.codec}: sequence header without SPS` };
  try {
    const { width, height } = parse(sps);
    return { ...track, width, height };
  } catch (err) {
    return { ...track, error: errorText(err) };
  }
}

/** What audioTrack needs from an audio frame's codec view. */
export interface AudioSource {
  readonly codec: AudioCodec;
  readonly raw: Buffer;
  readonly flvSoundRate: number;
  readonly flvChannels: number;
}

/** An audio track from its config (AAC ASC, OpusHead; views into the frame) or, for codecs without one, from a frame. */
export function audioTrack(view: AudioSource): AudioTrackFormat {
  const raw = view.raw;
  const config = view.codec === 'aac' || (view.codec === 'opus' && isOpusHead(raw)) ? raw : NO_BYTES;
  const base = {
    kind: 'audio' as const,
    codec: view.codec,
    config,
    asc: null,
    sampleRate: 0,
    channels: 0,
    profile: 'Other',
    flvSoundRate: view.flvSoundRate,
    flvChannels: view.flvChannels,
    error: null,
  };
  try {
    switch (view.codec) {
      case 'aac': {
        const asc = parseAudioSpecificConfig(config);
        return { ...base, asc, sampleRate: asc.sampleRate, channels: asc.channels, profile: aacProfileName(asc.objectType) };
      }
      case 'mp3': {
        const h = parseMpegAudioFrameHeader(raw);
        return { ...base, sampleRate: h.sampleRate, channels: h.channels };
      }
      case 'opus': {
        if (config.length > 0) return { ...base, sampleRate: OPUS_SAMPLE_RATE, channels: parseOpusHead(config).channels };
        // No OpusHead: the TOC's stereo flag (RFC 6716 3.1) says 1 or 2 channels.
        return { ...base, sampleRate: OPUS_SAMPLE_RATE, channels: raw.length > 0 && (raw[0]! & 0x04) !== 0 ? 2 : 1 };
      }
      default:
        return { ...base, sampleRate: view.flvSoundRate, channels: view.flvChannels };
    }
  } catch (err) {
    return { ...base, error: errorText(err) };
  }
}
