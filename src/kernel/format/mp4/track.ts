// MP4 tracks from MediaFrames (their codec view, never the FLV tag header): the track description an init segment or moov needs (from the
// AVC/HEVC decoder configuration record or the AAC AudioSpecificConfig of a sequence header), and the
// per-frame sample extraction and timing shared by the fragmented and the progressive writers.
//
// Sample data is the codec payload exactly as FLV carries it: AVCC/HVCC length-prefixed NAL units
// (ISO/IEC 14496-15 5.3.2 / 8.3.2, the same layout MP4 samples use) and raw AAC/MP3/Opus frames, so a
// sample is a view of the frame's payload, never a copy.

import { ErrorCode, ProtocolError } from '../../../core/errors.js';
import { parseAudioSpecificConfig } from '../../codec/aac.js';
import { parseAvcDecoderConfigurationRecord } from '../../codec/h264.js';
import { parseHevcDecoderConfigurationRecord } from '../../codec/h265.js';
import { parseMpegAudioFrameHeader } from '../../codec/mp3.js';
import { opusPacketSamples } from '../../codec/opus.js';
import type { MediaFrame } from '../../media-frame.js';

export type Mp4VideoCodec = 'h264' | 'h265';
export type Mp4AudioCodec = 'aac' | 'mp3' | 'opus';

export interface TrackInfo {
  kind: 'video' | 'audio';
  codec: Mp4VideoCodec | Mp4AudioCodec;
  /** Media timescale, ticks per second: 90000 for video, the sample rate for audio. */
  timescale: number;
  /**
   * Decoder configuration from the sequence header: AVCDecoderConfigurationRecord (avcC),
   * HEVCDecoderConfigurationRecord (hvcC), AudioSpecificConfig (AAC), OpusHead or empty (Opus), empty (MP3).
   */
  config: Buffer;
  width?: number;
  height?: number;
  /** Output sample rate, Hz (for HE-AAC the SBR rate, which is what a decoder outputs). */
  sampleRate?: number;
  channels?: number;
  /** track_ID in the init segment/moov and in fragments; by default the track's position in the list + 1. */
  trackId?: number;
}

export const VIDEO_TIMESCALE = 90000;

function mp4Error(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.MediaDecode, `mp4: ${message}`);
}

/**
 * The track a sequence header describes: AVC/HEVC decoder configuration record (legacy CodecID 7/12 or
 * Enhanced RTMP "avc1"/"hvc1" SequenceStart) or AAC AudioSpecificConfig. MP3 and Opus have no sequence
 * header in FLV, so their first coded frame describes the track instead (rate and channels from its
 * header / TOC byte). Returns null for any other frame; throws ProtocolError for a malformed record.
 * The config is copied, so the track does not keep the frame's payload alive.
 */
export function trackFromSequenceHeader(frame: MediaFrame): TrackInfo | null {
  if (frame.kind === 'video') {
    if (!frame.sequenceHeader || (frame.codec !== 'h264' && frame.codec !== 'h265')) return null;
    // Parsed once per header frame by its codec view (issue 12); the config is copied out of the payload.
    const t = frame.view.track()!;
    if (t.error !== null) throw mp4Error(t.error);
    return { kind: 'video', codec: frame.codec, timescale: VIDEO_TIMESCALE, config: Buffer.from(t.config), width: t.width, height: t.height };
  }
  if (frame.kind !== 'audio') return null;
  if (frame.codec === 'aac') {
    if (!frame.sequenceHeader) return null;
    const t = frame.view.track()!;
    if (t.asc === null) throw mp4Error(t.error ?? 'aac: bad AudioSpecificConfig');
    const asc = t.asc;
    const sampleRate = asc.sbr ? asc.extensionSampleRate : asc.sampleRate;
    // Parametric stereo decodes a mono core to two channels; channelConfiguration 0 (PCE) is rare: say 2.
    const channels = asc.ps || asc.channels === 0 ? 2 : asc.channels;
    return { kind: 'audio', codec: 'aac', timescale: sampleRate, config: Buffer.from(t.config), sampleRate, channels };
  }
  if (frame.codec === 'mp3' || frame.codec === 'opus') {
    if (frame.view.raw.length === 0) return null;
    const t = frame.view.track()!;
    if (t.error !== null) throw mp4Error(t.error);
    return { kind: 'audio', codec: frame.codec, timescale: t.sampleRate, config: Buffer.from(t.config), sampleRate: t.sampleRate, channels: t.channels };
  }
  return null;
}

/** Two tracks decode the same way (same codec and configuration), so one sample entry serves both. */
export function sameTrackConfig(a: TrackInfo, b: TrackInfo): boolean {
  return (
    a.kind === b.kind &&
    a.codec === b.codec &&
    a.config.equals(b.config) &&
    a.sampleRate === b.sampleRate &&
    a.channels === b.channels
  );
}

// ---------------------------------------------------------------------------------------------------------
// Samples

/** One sample ready for a trun or the sample tables. */
export interface Mp4Sample {
  /** Sample bytes: a view of the frame's payload. */
  readonly data: Buffer;
  /** Decode time in the track timescale (monotonic within the track). */
  readonly dts: number;
  /** Composition offset (pts - dts) in the track timescale; may be negative. */
  readonly cts: number;
  readonly sync: boolean;
}

export { opusPacketSamples } from '../../codec/opus.js';

/** Sample durations are 32-bit in stts and trun: a longer gap (a broken clock) is clamped, not thrown. */
export const MAX_SAMPLE_DURATION = 0xffffffff;

export function clampI32(v: number): number {
  return Math.max(-0x80000000, Math.min(0x7fffffff, v));
}

function validateNalus(data: Buffer, lengthSize: number, codec: string): void {
  let pos = 0;
  while (pos < data.length) {
    if (pos + lengthSize > data.length) throw mp4Error(`${codec}: truncated NALU length at ${pos}`);
    let len = 0;
    for (let i = 0; i < lengthSize; i++) len = len * 256 + data[pos + i]!;
    pos += lengthSize;
    if (len > data.length - pos) throw mp4Error(`${codec}: NALU of ${len} bytes at ${pos} runs past the end`);
    pos += len;
  }
}

/**
 * Turns frames into samples of one track: picks the codec payload out of the FLV body, converts ms
 * timestamps to the track timescale and keeps decode times strictly increasing.
 *
 * Audio timestamps from RTMP are whole milliseconds, so AAC frames 1024/44100 s apart arrive 23 or 24 ms
 * apart; when a frame lands within 1 ms of where the previous frame's known length puts it, it is placed
 * exactly there, so sample durations stay 1024 (and fragments stay contiguous) without drifting from the
 * source clock by more than a millisecond.
 */
export class TrackSampler {
  private readonly naluLengthSize: number;
  /** Ticks of one AAC frame (0 when not an integer in this timescale). */
  private readonly aacFrameTicks: number;
  private readonly toleranceTicks: number;
  private lastDts = -1;
  private predictedDts = -1;
  private lastHint = 0;
  private prevDuration = 0;

  /** `originMs` is the ms timestamp that maps to decode time 0 (earlier frames are clamped to 0). */
  constructor(readonly track: TrackInfo, private readonly originMs = 0) {
    let lengthSize = 4;
    let aacTicks = 0;
    try {
      if (track.codec === 'h264') lengthSize = parseAvcDecoderConfigurationRecord(track.config).naluLengthSize;
      else if (track.codec === 'h265') lengthSize = parseHevcDecoderConfigurationRecord(track.config).naluLengthSize;
      else if (track.codec === 'aac') {
        const asc = parseAudioSpecificConfig(track.config);
        aacTicks = this.ticksFor(1024, asc.sampleRate);
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // A config this writer cannot read: keep the defaults (4-byte NALU lengths, no AAC snapping).
    }
    this.naluLengthSize = lengthSize;
    this.aacFrameTicks = aacTicks;
    this.toleranceTicks = Math.ceil(track.timescale / 1000) + 1;
  }

  private ticksFor(samples: number, rate: number): number {
    const t = (samples * this.track.timescale) / rate;
    return Number.isInteger(t) ? t : 0;
  }

  /** Milliseconds to track ticks (rounded). */
  toTicks(ms: number): number {
    return Math.round((ms * this.track.timescale) / 1000);
  }

  /** Decode time of the latest sample, or -1 before the first. */
  get lastDecodeTime(): number {
    return this.lastDts;
  }

  /**
   * Duration to give the latest sample while no later one exists: its known frame length (audio), else
   * the previous sample's duration, else 1/25 s for video (a single-frame track).
   */
  get lastSampleDuration(): number {
    if (this.lastHint > 0) return this.lastHint;
    if (this.prevDuration > 0) return this.prevDuration;
    return this.track.kind === 'video' ? Math.round(this.track.timescale / 25) : 1024;
  }

  /**
   * Duration of the latest sample if the next frame is decoded at `nextDtsMs`: snapped like `take()`
   * would snap it, and never below 1 tick (a next frame at or before the latest one gives the estimate).
   */
  durationUntil(nextDtsMs: number): number {
    if (this.lastDts < 0) return this.lastSampleDuration;
    let t = Math.max(0, this.toTicks(nextDtsMs - this.originMs));
    if (this.predictedDts >= 0 && Math.abs(t - this.predictedDts) <= this.toleranceTicks) t = this.predictedDts;
    return t > this.lastDts ? t - this.lastDts : this.lastSampleDuration;
  }

  /**
   * The sample a frame carries for this track, or null when it carries none (another kind or codec, a
   * sequence header, an end-of-sequence or info packet, an empty body). Throws ProtocolError for a
   * malformed body; the sampler's state is then unchanged.
   */
  take(frame: MediaFrame): Mp4Sample | null {
    const picked = this.pick(frame);
    if (picked === null) return null;
    let dts = Math.max(0, this.toTicks(frame.dts - this.originMs));
    if (this.predictedDts >= 0 && Math.abs(dts - this.predictedDts) <= this.toleranceTicks) dts = this.predictedDts;
    if (this.lastDts >= 0 && dts <= this.lastDts) dts = this.lastDts + 1;
    if (this.lastDts >= 0) this.prevDuration = dts - this.lastDts;
    this.lastDts = dts;
    this.lastHint = picked.hint;
    this.predictedDts = picked.hint > 0 ? dts + picked.hint : -1;
    // Composition offsets are 32-bit in trun/ctts; FLV's 24-bit ms offsets fit any sane timescale.
    const cts = clampI32(Math.round(((frame.pts - frame.dts) * this.track.timescale) / 1000));
    return { data: picked.data, dts, cts, sync: picked.sync };
  }

  /** The codec payload, sync flag and known duration (ticks, 0 if unknown) of a frame of this track. */
  private pick(frame: MediaFrame): { data: Buffer; sync: boolean; hint: number } | null {
    const t = this.track;
    if (frame.kind !== t.kind || frame.codec !== t.codec || frame.sequenceHeader) return null;
    if (frame.kind === 'video') {
      // Only pictures: not end-of-sequence, metadata or video info/command packets (the frame's codec view).
      if (frame.view.packet === 'malformed') throw mp4Error(`${t.codec}: video tag shorter than its header`);
      if (frame.view.packet !== 'coded') return null;
      const data = frame.view.data;
      if (data.length === 0) return null;
      validateNalus(data, this.naluLengthSize, t.codec);
      return { data, sync: frame.keyframe, hint: 0 };
    }
    if (frame.kind !== 'audio') return null;
    if (frame.view.malformed) throw mp4Error('aac: audio tag without a valid AACPacketType');
    const data = frame.view.raw;
    if (data.length === 0) return null;
    if (t.codec === 'aac') return { data, sync: true, hint: this.aacFrameTicks };
    let hint = 0;
    if (t.codec === 'mp3') {
      try {
        const h = parseMpegAudioFrameHeader(data);
        hint = this.ticksFor(h.samplesPerFrame, h.sampleRate);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        // Not at a frame header: decoders resync, so keep the bytes but do not predict timing.
      }
    } else {
      hint = this.ticksFor(opusPacketSamples(data), 48000);
    }
    return { data, sync: true, hint };
  }
}
