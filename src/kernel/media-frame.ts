// The neutral media unit every ingest produces and every output consumes.
//
// Timestamps are integer milliseconds (RTMP/FLV's timescale), already unwrapped to 64-bit range by the
// ingest, so sessions longer than 2^32 ms (~49.7 days) or protocols whose 32-bit stamps wrap sooner keep
// rising. `payload` is the FLV tag body exactly as RTMP carries it (audio/video tag header + codec data),
// so RTMP and FLV outputs share it without re-encoding; TS/MP4 outputs parse it once per frame.
// Frames are immutable: never write into `payload` once a frame has been published.

export type VideoCodec = 'h264' | 'h265' | 'av1' | 'vp6' | 'unknown-video';
export type AudioCodec = 'aac' | 'mp3' | 'opus' | 'speex' | 'g711a' | 'g711u' | 'unknown-audio';

export type MediaFrame = VideoFrame | AudioFrame | DataFrame;

interface FrameBase {
  /** Decode timestamp, ms. */
  readonly dts: number;
  /** FLV tag body as carried in RTMP (shared, never mutated). */
  readonly payload: Buffer;
}

export interface VideoFrame extends FrameBase {
  readonly kind: 'video';
  readonly codec: VideoCodec;
  /** Presentation timestamp, ms (dts + composition time). */
  readonly pts: number;
  readonly keyframe: boolean;
  /** AVC/HEVC decoder configuration record rather than a picture. */
  readonly sequenceHeader: boolean;
}

export interface AudioFrame extends FrameBase {
  readonly kind: 'audio';
  readonly codec: AudioCodec;
  readonly pts: number;
  readonly keyframe: false;
  /** AAC AudioSpecificConfig rather than a raw frame. */
  readonly sequenceHeader: boolean;
}

/** Script data (onMetaData and other AMF0 data messages), payload = AMF0 bytes. */
export interface DataFrame extends FrameBase {
  readonly kind: 'data';
  readonly codec: 'amf0';
  readonly pts: number;
  readonly keyframe: false;
  readonly sequenceHeader: false;
}

const VIDEO_CODECS: Record<number, VideoCodec> = { 4: 'vp6', 5: 'vp6', 7: 'h264', 12: 'h265' };
const AUDIO_CODECS: Record<number, AudioCodec> = { 2: 'mp3', 7: 'g711a', 8: 'g711u', 10: 'aac', 11: 'speex', 13: 'opus' };
/** Enhanced-RTMP FourCCs (video tag with the IsExHeader bit). */
const FOURCC_CODECS: Record<string, VideoCodec> = { hvc1: 'h265', av01: 'av1', avc1: 'h264' };

/**
 * Classify an FLV video tag body (legacy header or enhanced RTMP) without copying it.
 * Returns null for an empty body (some encoders send zero-length tags; they are dropped).
 */
export function videoFrameFromFlv(payload: Buffer, dts: number): VideoFrame | null {
  if (payload.length < 1) return null;
  const b0 = payload[0]!;
  const frameType = (b0 >> 4) & 0x07;
  const isEx = (b0 & 0x80) !== 0;
  if (isEx) {
    // Enhanced RTMP: [1|frameType(3)|packetType(4)][FourCC(4)] ...
    const packetType = b0 & 0x0f;
    const fourcc = payload.length >= 5 ? payload.toString('latin1', 1, 5) : '';
    let cts = 0;
    if (packetType === 1 && payload.length >= 8) cts = payload.readIntBE(5, 3);
    return {
      kind: 'video',
      codec: FOURCC_CODECS[fourcc] ?? 'unknown-video',
      dts,
      pts: dts + cts,
      keyframe: frameType === 1,
      sequenceHeader: packetType === 0,
      payload,
    };
  }
  const codecId = b0 & 0x0f;
  const codec = VIDEO_CODECS[codecId] ?? 'unknown-video';
  const hasAvcHeader = codec === 'h264' || codec === 'h265';
  const sequenceHeader = hasAvcHeader && payload.length >= 2 && payload[1] === 0;
  const cts = hasAvcHeader && payload.length >= 5 ? payload.readIntBE(2, 3) : 0;
  return { kind: 'video', codec, dts, pts: dts + cts, keyframe: frameType === 1, sequenceHeader, payload };
}

export function audioFrameFromFlv(payload: Buffer, dts: number): AudioFrame | null {
  if (payload.length < 1) return null;
  const codec = AUDIO_CODECS[(payload[0]! >> 4) & 0x0f] ?? 'unknown-audio';
  const sequenceHeader = codec === 'aac' && payload.length >= 2 && payload[1] === 0;
  return { kind: 'audio', codec, dts, pts: dts, keyframe: false, sequenceHeader, payload };
}

export function dataFrame(payload: Buffer, dts: number): DataFrame {
  return { kind: 'data', codec: 'amf0', dts, pts: dts, keyframe: false, sequenceHeader: false, payload };
}

/** The same frame at another timestamp (payload shared). */
export function retimed<T extends MediaFrame>(frame: T, dts: number): T {
  if (frame.dts === dts) return frame;
  return { ...frame, dts, pts: dts + (frame.pts - frame.dts) };
}
