// The neutral media unit every ingest produces and every output consumes (issue 12, "Media core v2").
//
// A frame carries two things:
// - `payload`: the FLV tag body, the shared encoding of the RTMP/HTTP-FLV outputs (zero copy: for an RTMP
//   ingest it is exactly the bytes that arrived). Only the FLV ingest and the one frame builder below read
//   its tag header; every other output reads the codec view.
// - `view`: the codec view, made once by the builder and shared by every output and every retimed copy of
//   the frame: where the codec data starts, what kind of packet it is, and lazily (at most once, no copies)
//   the NALU views of H.264/H.265, the OBU views of AV1, the raw AAC/MP3/Opus frame and its sample count.
//   RTMP-only viewers never touch it, so the RTMP/FLV path pays one small object per frame and no parsing.
// Timestamps: `dts`/`pts` are integer milliseconds (the FLV/RTMP timebase that jitter-corrected outputs use),
// already unwrapped to 64-bit range by the ingest. `dtsTicks`/`ptsTicks` are the ingest's own integer clock
// in `timescale` Hz (1000 for FLV/RTMP, 90000 for TS, 48000 for Opus over RTP), so TS/HLS/fMP4/RTP outputs
// convert once from the source clock (`ticksIn`) instead of from rounded milliseconds.
// `formatVersion` ties the frame to the source's MediaFormat (media-format.ts): LiveSource.publish stamps
// it once, before any sink sees the frame; a codec or parameter-set change bumps it, so outputs compare
// versions instead of comparing sequence-header bytes.
// Frames are immutable once published: never write into `payload`, never restamp `formatVersion`.

import { splitObus, type Av1Obu } from './codec/av1.js';
import { splitAvccNalus } from './codec/h264.js';
import { parseMpegAudioFrameHeader } from './codec/mp3.js';
import { opusPacketSamples } from './codec/opus.js';
import type { AudioCodec, VideoCodec } from './codec-names.js';
import { audioTrack, videoTrack, type AudioTrackFormat, type VideoTrackFormat } from './track-format.js';

export type { AudioCodec, VideoCodec } from './codec-names.js';

export type MediaFrame = VideoFrame | AudioFrame | DataFrame;

/** FLV/RTMP clock: milliseconds. */
export const FLV_TIMESCALE = 1000;

interface FrameBase {
  /** Decode timestamp, ms. */
  readonly dts: number;
  /** FLV tag body as carried in RTMP (shared, never mutated). */
  readonly payload: Buffer;
  /** Clock rate of dtsTicks/ptsTicks, Hz. */
  readonly timescale: number;
  /** Decode time in the ingest's integer clock. */
  readonly dtsTicks: number;
  /** Presentation time in the ingest's integer clock. */
  readonly ptsTicks: number;
  /** Version of the source's MediaFormat; stamped once by LiveSource.publish (0 before). */
  formatVersion: number;
}

export interface VideoFrame extends FrameBase {
  readonly kind: 'video';
  readonly codec: VideoCodec;
  /** Presentation timestamp, ms (dts + composition time). */
  readonly pts: number;
  readonly keyframe: boolean;
  /** AVC/HEVC/AV1 decoder configuration record rather than a picture. */
  readonly sequenceHeader: boolean;
  readonly view: VideoView;
}

export interface AudioFrame extends FrameBase {
  readonly kind: 'audio';
  readonly codec: AudioCodec;
  readonly pts: number;
  readonly keyframe: false;
  /** AAC AudioSpecificConfig or Opus identification header rather than a coded frame. */
  readonly sequenceHeader: boolean;
  readonly view: AudioView;
}

/** Script data (onMetaData and other AMF0 data messages), payload = AMF0 bytes. */
export interface DataFrame extends FrameBase {
  readonly kind: 'data';
  readonly codec: 'amf0';
  readonly pts: number;
  readonly keyframe: false;
  readonly sequenceHeader: false;
}

/**
 * What a video packet carries: a decoder configuration record, coded pictures, the end of a sequence,
 * something outputs skip (Enhanced RTMP metadata, video info/command frames, unknown packet types), or a
 * body too short for its own header ('malformed': writers that must account for every frame reject it).
 */
export type VideoPacket = 'config' | 'coded' | 'end' | 'other' | 'malformed';

const EMPTY = Buffer.alloc(0);

/** The codec view of a video frame: views into the payload, parsed at most once, shared by every output. */
export class VideoView {
  private dataView: Buffer | undefined;
  private nalusCache: readonly Buffer[] | undefined;
  private nalusLengthSize = 0;
  private obusCache: readonly Av1Obu[] | undefined;
  private trackCache: VideoTrackFormat | undefined;

  constructor(
    private readonly payload: Buffer,
    /** Where the codec data (record, AVCC NALUs, OBUs) begins in the FLV payload. */
    readonly dataOffset: number,
    readonly codec: VideoCodec,
    readonly packet: VideoPacket,
  ) {}

  /** The codec bytes after the FLV tag header: the configuration record, or the coded access unit. */
  get data(): Buffer {
    if (this.dataView === undefined) {
      this.dataView = this.dataOffset < this.payload.length ? this.payload.subarray(this.dataOffset) : EMPTY;
    }
    return this.dataView;
  }

  /**
   * NAL units of an H.264/H.265 coded frame (views, no copies), split once per frame whatever the number of
   * outputs. `lengthSize` comes from the configuration record (MediaFormat track `naluLengthSize`, 4 almost
   * always). Empty NAL units are left out. Throws ProtocolError when a length runs past the end.
   */
  nalus(lengthSize: 1 | 2 | 4 = 4): readonly Buffer[] {
    if (this.packet !== 'coded' || (this.codec !== 'h264' && this.codec !== 'h265')) return [];
    if (this.nalusCache === undefined || this.nalusLengthSize !== lengthSize) {
      const all = splitAvccNalus(this.payload, lengthSize, Math.min(this.dataOffset, this.payload.length));
      this.nalusCache = all.some((n) => n.length === 0) ? all.filter((n) => n.length > 0) : all;
      this.nalusLengthSize = lengthSize;
    }
    return this.nalusCache;
  }

  /**
   * The parsed configuration record of a sequence-header frame (profile, level, size, NALU length size,
   * parameter sets), parsed at most once however many outputs ask; null for other packets. A malformed
   * record gives a track with `error` set rather than throwing.
   */
  track(): VideoTrackFormat | null {
    if (this.packet !== 'config') return null;
    if (this.trackCache === undefined) this.trackCache = videoTrack(this.codec, this.data);
    return this.trackCache;
  }

  /** OBUs of an AV1 temporal unit (views), split once. Throws ProtocolError on a malformed OBU. */
  obus(): readonly Av1Obu[] {
    if (this.codec !== 'av1') return [];
    if (this.obusCache === undefined) this.obusCache = splitObus(this.data);
    return this.obusCache;
  }
}

/** The codec view of an audio frame: the raw codec frame and its duration in samples. */
export class AudioView {
  private rawView: Buffer | undefined;
  private sampleCount = -1;
  private trackCache: AudioTrackFormat | undefined;

  constructor(
    private readonly payload: Buffer,
    /** Where the raw codec frame (or the AudioSpecificConfig) begins in the FLV payload. */
    readonly dataOffset: number,
    readonly codec: AudioCodec,
    readonly config: boolean,
  ) {}

  /**
   * The audio track this frame describes, parsed at most once: from the AudioSpecificConfig of an AAC
   * sequence header, the OpusHead, or (codecs without a config) from this frame. Null for raw AAC frames.
   * A malformed config gives a track with `error` set rather than throwing.
   */
  track(): AudioTrackFormat | null {
    if (this.codec === 'aac' && !this.config) return null;
    if (this.trackCache === undefined) this.trackCache = audioTrack(this);
    return this.trackCache;
  }

  /** An AAC body without its AACPacketType, or with a type other than 0 (config) and 1 (raw frame). */
  get malformed(): boolean {
    return this.codec === 'aac' && (this.payload.length < 2 || this.payload[1]! > 1);
  }

  /** FLV SoundRate flag in Hz (5512..44100): what SRS 4/5 report for non-AAC streams and some AAC ones. */
  get flvSoundRate(): number {
    const b0 = this.payload[0]!;
    return b0 >> 4 === 14 ? 8000 : FLV_SOUND_RATES_HZ[(b0 >> 2) & 3]!; // SoundFormat 14: "MP3 8 kHz"
  }

  /** FLV SoundType flag: 1 (mono) or 2 (stereo). */
  get flvChannels(): number {
    return (this.payload[0]! & 1) + 1;
  }

  /** The raw AAC frame (or AudioSpecificConfig when `config`), MP3 frame or Opus packet (a view). */
  get raw(): Buffer {
    if (this.rawView === undefined) {
      this.rawView = this.dataOffset < this.payload.length ? this.payload.subarray(this.dataOffset) : EMPTY;
    }
    return this.rawView;
  }

  /**
   * Samples in this frame at the codec's own rate (AAC core rate: 1024; MP3: from its frame header; Opus:
   * from the TOC, at 48 kHz), so outputs compute durations as samples/rate rather than from ms differences.
   * 0 for configs, empty frames and codecs without a known frame size.
   */
  get samples(): number {
    if (this.sampleCount < 0) this.sampleCount = this.countSamples();
    return this.sampleCount;
  }

  private countSamples(): number {
    const raw = this.raw;
    if (this.config || raw.length === 0) return 0;
    switch (this.codec) {
      case 'aac':
        return 1024; // ISO/IEC 14496-3: one raw_data_block is 1024 samples (960-sample framing is not used by FLV)
      case 'opus':
        return opusPacketSamples(raw);
      case 'mp3':
        try {
          return parseMpegAudioFrameHeader(raw).samplesPerFrame;
        } catch {
          return 0; // not at a frame header: decoders resync, we just cannot say
        }
      default:
        return 0;
    }
  }
}

/** FLV SoundRate (2 bits) → Hz (FLV 10.1 E.4.2.1). */
const FLV_SOUND_RATES_HZ = [5512, 11025, 22050, 44100];
const VIDEO_CODECS: Record<number, VideoCodec> = { 4: 'vp6', 5: 'vp6', 7: 'h264', 12: 'h265' };
const AUDIO_CODECS: Record<number, AudioCodec> = { 2: 'mp3', 7: 'g711a', 8: 'g711u', 10: 'aac', 11: 'speex', 13: 'opus', 14: 'mp3' };
/** Enhanced-RTMP FourCCs (video tag with the IsExHeader bit). */
const FOURCC_CODECS: Record<string, VideoCodec> = { hvc1: 'h265', av01: 'av1', avc1: 'h264' };
/** FLV VideoTagHeader FrameType 5: video info/command frame, no picture (FLV 10.1 E.4.3.1). */
const FRAME_TYPE_COMMAND = 5;

/**
 * The one FLV frame builder: classifies an FLV video tag body (legacy header or Enhanced RTMP) without
 * copying it, and attaches the codec view. Returns null for an empty body (some encoders send zero-length
 * tags; they are dropped). An ingest with its own clock (TS: 90 kHz) passes it as timescale/ticks, so
 * outputs in that clock get the exact source times; `dts` stays the ms value FLV/RTMP outputs use.
 */
export function videoFrameFromFlv(payload: Buffer, dts: number, timescale = FLV_TIMESCALE, dtsTicks = dts, ptsTicks?: number): VideoFrame | null {
  if (payload.length < 1) return null;
  const b0 = payload[0]!;
  const frameType = (b0 >> 4) & 0x07;
  let codec: VideoCodec;
  let cts = 0;
  let dataOffset: number;
  let packet: VideoPacket;
  if ((b0 & 0x80) !== 0) {
    // Enhanced RTMP: [1|frameType(3)|packetType(4)][FourCC(4)] ...; only AVC/HEVC CodedFrames carry a CTS.
    const packetType = b0 & 0x0f;
    const fourcc = payload.length >= 5 ? payload.toString('latin1', 1, 5) : '';
    codec = FOURCC_CODECS[fourcc] ?? 'unknown-video';
    dataOffset = 5;
    if (packetType === 1 && (codec === 'h264' || codec === 'h265')) {
      if (payload.length >= 8) cts = payload.readIntBE(5, 3);
      dataOffset = 8;
    }
    // 0 SequenceStart, 1 CodedFrames, 2 SequenceEnd, 3 CodedFramesX (CTS 0), 4 Metadata, 5 MPEG2TSSequenceStart.
    packet = packetType === 0 ? 'config' : packetType === 1 || packetType === 3 ? 'coded' : packetType === 2 ? 'end' : 'other';
  } else {
    codec = VIDEO_CODECS[b0 & 0x0f] ?? 'unknown-video';
    if (codec === 'h264' || codec === 'h265') {
      // Legacy: [FrameType|CodecId][AVCPacketType][CompositionTime(3)]: 0 = record, 1 = NALUs, 2 = end of sequence.
      const avcPacketType = payload.length >= 2 ? payload[1]! : -1;
      if (payload.length >= 5) cts = payload.readIntBE(2, 3);
      dataOffset = 5;
      packet = avcPacketType === 0 ? 'config' : avcPacketType === 1 ? 'coded' : avcPacketType === 2 ? 'end' : 'other';
      if (payload.length < 5) packet = avcPacketType === 0 ? 'config' : 'malformed';
    } else {
      dataOffset = 1;
      packet = 'coded';
    }
  }
  if (frameType === FRAME_TYPE_COMMAND) packet = 'other';
  return {
    kind: 'video',
    codec,
    dts,
    pts: dts + cts,
    keyframe: frameType === 1,
    sequenceHeader: packet === 'config',
    payload,
    timescale,
    dtsTicks,
    ptsTicks: ptsTicks ?? dtsTicks + ticksIn(cts, FLV_TIMESCALE, timescale),
    formatVersion: 0,
    view: new VideoView(payload, dataOffset, codec, packet),
  };
}

/** The one FLV audio frame builder: [SoundFormat|rate|size|type] (+ AACPacketType for AAC), then codec data. */
export function audioFrameFromFlv(payload: Buffer, dts: number, timescale = FLV_TIMESCALE, dtsTicks = dts): AudioFrame | null {
  if (payload.length < 1) return null;
  const codec = AUDIO_CODECS[(payload[0]! >> 4) & 0x0f] ?? 'unknown-audio';
  // AAC: AACPacketType 0. Opus: an identification header "OpusHead" (RFC 7845 5.1) instead of a packet.
  const sequenceHeader =
    codec === 'aac' ? payload.length >= 2 && payload[1] === 0 : codec === 'opus' && payload.length >= 9 && payload[1] === 0x4f && payload.toString('latin1', 1, 9) === 'OpusHead';
  const dataOffset = codec === 'aac' ? 2 : 1;
  return {
    kind: 'audio',
    codec,
    dts,
    pts: dts,
    keyframe: false,
    sequenceHeader,
    payload,
    timescale,
    dtsTicks,
    ptsTicks: dtsTicks,
    formatVersion: 0,
    view: new AudioView(payload, dataOffset, codec, sequenceHeader),
  };
}

export function dataFrame(payload: Buffer, dts: number): DataFrame {
  return {
    kind: 'data',
    codec: 'amf0',
    dts,
    pts: dts,
    keyframe: false,
    sequenceHeader: false,
    payload,
    timescale: FLV_TIMESCALE,
    dtsTicks: dts,
    ptsTicks: dts,
    formatVersion: 0,
  };
}

/** The same frame at another timestamp, ms (payload and codec view shared; ticks shifted by the same amount). */
export function retimed<T extends MediaFrame>(frame: T, dts: number): T {
  if (frame.dts === dts) return frame;
  const shift = frame.timescale === FLV_TIMESCALE ? dts - frame.dts : Math.round(((dts - frame.dts) * frame.timescale) / FLV_TIMESCALE);
  return { ...frame, dts, pts: dts + (frame.pts - frame.dts), dtsTicks: frame.dtsTicks + shift, ptsTicks: frame.ptsTicks + shift };
}

/** A frame time (`frame.dtsTicks` or `frame.ptsTicks`) in another clock, e.g. 90 kHz for TS; exact when the clocks divide. */
export function ticksIn(ticks: number, fromTimescale: number, toTimescale: number): number {
  if (fromTimescale === toTimescale) return ticks;
  if (toTimescale % fromTimescale === 0) return ticks * (toTimescale / fromTimescale);
  return Math.round((ticks * toTimescale) / fromTimescale);
}
