// MP4 tracks from FLV-bodied MediaFrames: the track description an init segment or moov needs (from the
// AVC/HEVC decoder configuration record or the AAC AudioSpecificConfig of a sequence header), and the
// per-frame sample extraction and timing shared by the fragmented and the progressive writers.
//
// Sample data is the codec payload exactly as FLV carries it: AVCC/HVCC length-prefixed NAL units
// (ISO/IEC 14496-15 5.3.2 / 8.3.2, the same layout MP4 samples use) and raw AAC/MP3/Opus frames, so a
// sample is a view of the frame's payload, never a copy.

import { ErrorCode, ProtocolError } from '../../../core/errors.js';
import { parseAudioSpecificConfig } from '../../codec/aac.js';
import { parseAvcDecoderConfigurationRecord, parseAvcSps } from '../../codec/h264.js';
import { parseHevcDecoderConfigurationRecord, parseHevcSps } from '../../codec/h265.js';
import { parseMpegAudioFrameHeader } from '../../codec/mp3.js';
import { opusPacketSamples } from '../../codec/opus.js';
import type { MediaFrame } from '../../media-frame.js';
import { FlvExVideoPacketType, parseFlvVideoTagHeader } from '../flv.js';

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
  return new ProtocolError(ErrorCode.RtmpMessageDecode, `mp4: ${message}`);
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
    const h = parseFlvVideoTagHeader(frame.payload);
    const config = Buffer.from(frame.payload.subarray(h.dataOffset));
    if (frame.codec === 'h264') {
      const record = parseAvcDecoderConfigurationRecord(config);
      const sps = record.sps[0];
      if (sps === undefined) throw mp4Error('h264 sequence header without SPS');
      const { width, height } = parseAvcSps(sps);
      return { kind: 'video', codec: 'h264', timescale: VIDEO_TIMESCALE, config, width, height };
    }
    const record = parseHevcDecoderConfigurationRecord(config);
    const sps = record.sps[0];
    if (sps === undefined) throw mp4Error('h265 sequence header without SPS');
    const { width, height } = parseHevcSps(sps);
    return { kind: 'video', codec: 'h265', timescale: VIDEO_TIMESCALE, config, width, height };
  }
  if (frame.kind !== 'audio') return null;
  const p = frame.payload;
  if (frame.codec === 'aac') {
    if (!frame.sequenceHeader) return null;
    const config = Buffer.from(p.subarray(2));
    const asc = parseAudioSpecificConfig(config);
    const sampleRate = asc.sbr ? asc.extensionSampleRate : asc.sampleRate;
    // Parametric stereo decodes a mono core to two channels; channelConfiguration 0 (PCE) is rare: say 2.
    const channels = asc.ps || asc.channels === 0 ? 2 : asc.channels;
    return { kind: 'audio', codec: 'aac', timescale: sampleRate, config, sampleRate, channels };
  }
  if (frame.codec === 'mp3') {
    if (p.length < 2) return null;
    const h = parseMpegAudioFrameHeader(p, 1);
    return { kind: 'audio', codec: 'mp3', timescale: h.sampleRate, config: Buffer.alloc(0), sampleRate: h.sampleRate, channels: h.channels };
  }
  if (frame.codec === 'opus') {
    if (p.length < 2) return null;
    const channels = (p[1]! & 0x04) !== 0 ? 2 : 1;
    return { kind: 'audio', codec: 'opus', timescale: 48000, config: Buffer.alloc(0), sampleRate: 48000, channels };
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
    const p = frame.payload;
    if (frame.kind === 'video') {
      // Video info / command frames (FrameType 5) carry no picture and may be shorter than a full header.
      if (p.length > 0 && ((p[0]! >> 4) & 0x07) === 5) return null;
      const h = parseFlvVideoTagHeader(p);
      const coded =
        h.fourCc === null
          ? h.packetType === 1
          : h.packetType === FlvExVideoPacketType.CodedFrames || h.packetType === FlvExVideoPacketType.CodedFramesX;
      if (!coded) return null;
      const data = p.subarray(h.dataOffset);
      if (data.length === 0) return null;
      validateNalus(data, this.naluLengthSize, t.codec);
      return { data, sync: frame.keyframe, hint: 0 };
    }
    if (t.codec === 'aac') {
      if (p.length < 2) throw mp4Error('aac: audio tag without AACPacketType');
      if (p[1] !== 1) throw mp4Error(`aac: AACPacketType ${p[1]}`);
      const data = p.subarray(2);
      if (data.length === 0) return null;
      return { data, sync: true, hint: this.aacFrameTicks };
    }
    const data = p.subarray(1);
    if (data.length === 0) return null;
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
