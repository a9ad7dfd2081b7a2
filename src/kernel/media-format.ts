// The per-source format (issue 12, point 3): the codec configurations of a source, parsed once when their
// sequence header (or, for codecs without one, their first frame) is published, and read by the API, HLS,
// DASH, DVR, TS and RTP outputs instead of re-parsing sequence headers or guessing from the GOP cache.
//
// Tracks are a list, so one source can carry AAC and, transcoded next to it, Opus of the same audio. At
// most one video track (one picture stream per source); audio tracks are keyed by codec.
// `version` starts at 0 (no track) and is bumped by every change: a new track, another codec, a new
// configuration record (e.g. an SPS change mid-stream), or reset() at unpublish. LiveSource stamps it on
// every frame (`frame.formatVersion`), so an output that sees a version it has not seen reacts (new fMP4
// init segment, HLS discontinuity, keyframe request) without comparing header bytes.

import { aacProfileName, parseAudioSpecificConfig, type AudioSpecificConfig } from './codec/aac.js';
import { parseAv1CodecConfigurationRecord } from './codec/av1.js';
import { avcLevelName, avcProfileName, parseAvcDecoderConfigurationRecord, parseAvcSps } from './codec/h264.js';
import { hevcLevelName, hevcProfileName, parseHevcDecoderConfigurationRecord, parseHevcSps } from './codec/h265.js';
import { parseMpegAudioFrameHeader } from './codec/mp3.js';
import { OPUS_SAMPLE_RATE, parseOpusHead } from './codec/opus.js';
import type { AudioCodec, AudioFrame, AudioView, MediaFrame, VideoCodec, VideoFrame } from './media-frame.js';

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

const NO_BYTES = Buffer.alloc(0);

export class MediaFormat {
  private trackList: TrackFormat[] = [];
  private versionNumber = 0;

  /** Bumped on every change of the track list; 0 before the first track. */
  get version(): number {
    return this.versionNumber;
  }

  get tracks(): readonly TrackFormat[] {
    return this.trackList;
  }

  video(): VideoTrackFormat | undefined {
    for (const t of this.trackList) if (t.kind === 'video') return t;
    return undefined;
  }

  /** The audio track of `codec`, or the first audio track. */
  audio(codec?: AudioCodec): AudioTrackFormat | undefined {
    for (const t of this.trackList) if (t.kind === 'audio' && (codec === undefined || t.codec === codec)) return t;
    return undefined;
  }

  /**
   * Learn from a published frame; returns true when the format changed (version bumped). Cheap for coded
   * frames of known tracks: a codec lookup, no parsing.
   */
  update(frame: MediaFrame): boolean {
    if (frame.kind === 'video') return this.updateVideo(frame);
    if (frame.kind === 'audio') return this.updateAudio(frame);
    return false;
  }

  /** The publisher left: forget every track (a new publish may carry other codecs). */
  reset(): void {
    if (this.trackList.length === 0) return;
    this.trackList = [];
    this.versionNumber++;
  }

  private updateVideo(frame: VideoFrame): boolean {
    const cur = this.video();
    if (!frame.sequenceHeader) {
      // Codecs without a configuration record (VP6) still make a track, from their first frame.
      if (cur !== undefined && cur.codec === frame.codec) return false;
      if (frame.codec === 'h264' || frame.codec === 'h265' || frame.codec === 'av1') return false; // wait for the record
      return this.setTrack(videoTrack(frame.codec, NO_BYTES));
    }
    const track = frame.view.track()!;
    if (cur !== undefined && cur.codec === frame.codec && cur.config.equals(track.config)) return false;
    return this.setTrack(track);
  }

  private updateAudio(frame: AudioFrame): boolean {
    const cur = this.audio(frame.codec);
    if (frame.codec === 'aac') {
      if (!frame.sequenceHeader) return false;
      const track = frame.view.track()!;
      if (cur !== undefined && cur.config.equals(track.config)) return false;
      return this.setTrack(track);
    }
    if (cur !== undefined) {
      // Opus may send its OpusHead after a first packet described the track.
      if (frame.codec !== 'opus' || !isOpusHead(frame.view.raw) || cur.config.equals(frame.view.raw)) return false;
    }
    return this.setTrack(frame.view.track()!);
  }

  private setTrack(track: TrackFormat): boolean {
    const i = this.trackList.findIndex((t) => t.kind === track.kind && (t.kind === 'video' || t.codec === track.codec));
    const next = this.trackList.slice();
    if (i >= 0) next[i] = track;
    else next.push(track);
    this.trackList = next; // a new array: readers holding `tracks` keep a consistent list
    this.versionNumber++;
    return true;
  }
}

function isOpusHead(b: Buffer): boolean {
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

/** An audio track from its config (AAC ASC, OpusHead; views into the frame) or, for codecs without one, from a frame. */
export function audioTrack(view: AudioView): AudioTrackFormat {
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
