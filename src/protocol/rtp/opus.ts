// Opus over RTP (RFC 7587): one Opus packet per RTP packet, 48 kHz RTP clock whatever the coded
// bandwidth (4.1), durations from the TOC byte (RFC 6716 3.1, kernel/codec/opus.ts). Both ways:
// - RTP → frames (WebRTC publishers, RTSP ingest): one copy of the packet into an FLV body
//   [SoundFormat 13][Opus packet], the media core's Opus framing, built by `audioFrameFromFlv` at 48 kHz,
//   after one sequence-header frame carrying an OpusHead (RFC 7845 5.1), which the media core treats as
//   the Opus sequence header.
// - frames → RTP: the payload is a view of the frame's raw packet, shared by every viewer.

import { OPUS_SAMPLE_RATE } from '../../kernel/codec/opus.js';
import { audioFrameFromFlv, type AudioFrame } from '../../kernel/media-frame.js';
import type { RtpPayload } from './h264-payloader.js';
import type { RtpPacket } from './rtp-packet.js';
import { CounterUnwrapper } from './rtp-timestamp.js';

/** RFC 7587 4.1: the RTP clock of Opus is always 48 kHz. */
export const OPUS_CLOCK_RATE = OPUS_SAMPLE_RATE;

/**
 * FLV audio tag byte 0 of our Opus frames: SoundFormat 13 (Opus, Enhanced-RTMP-era extension as SRS 6
 * and ffmpeg use it), SoundRate 3 (44 kHz flag: FLV has no 48 kHz), 16-bit, stereo.
 */
export const FLV_OPUS_TAG_BYTE = (13 << 4) | (3 << 2) | (1 << 1) | 1;

/** An OpusHead identification header (RFC 7845 5.1), mapping family 0 (mono/stereo). */
export function encodeOpusHead(channels: 1 | 2 = 2, preSkip = 312, inputSampleRate = OPUS_SAMPLE_RATE): Buffer {
  const b = Buffer.alloc(19);
  b.write('OpusHead', 0, 'latin1');
  b[8] = 1; // version
  b[9] = channels;
  b.writeUInt16LE(preSkip, 10);
  b.writeUInt32LE(inputSampleRate, 12);
  b.writeInt16LE(0, 16); // output gain
  b[18] = 0; // channel mapping family 0
  return b;
}

/** The sequence-header frame of an Opus track: FLV body [tag byte][OpusHead] at `ticks` (48 kHz). */
export function opusSequenceHeaderFrame(head: Buffer, ticks: number): AudioFrame {
  const body = Buffer.allocUnsafe(1 + head.length);
  body[0] = FLV_OPUS_TAG_BYTE;
  head.copy(body, 1);
  return audioFrameFromFlv(body, Math.round(ticks / 48), OPUS_CLOCK_RATE, ticks)!;
}

/** An Opus frame from a raw Opus packet at `ticks` (48 kHz): one copy into the FLV body. */
export function opusFrame(packet: Buffer, ticks: number): AudioFrame {
  const body = Buffer.allocUnsafe(1 + packet.length);
  body[0] = FLV_OPUS_TAG_BYTE;
  packet.copy(body, 1);
  return audioFrameFromFlv(body, Math.round(ticks / 48), OPUS_CLOCK_RATE, ticks)!;
}

export interface OpusDepacketizerStats {
  packets: number;
  frames: number;
  /** Late or duplicated packets (timestamp not after the last frame's) and empty payloads. */
  dropped: number;
}

const NONE: AudioFrame[] = [];

/**
 * RTP → Opus frames. Audio is not held for reordering (a late 20 ms packet is worth less than the delay):
 * a packet whose timestamp is not after the last one is dropped. Timestamps are unwrapped to 53 bits.
 */
export class OpusDepacketizer {
  readonly stats: OpusDepacketizerStats = { packets: 0, frames: 0, dropped: 0 };
  private readonly timestamps = new CounterUnwrapper(32);
  private last = -Infinity;
  private headSent = false;

  constructor(private readonly head: Buffer = encodeOpusHead()) {}

  /** Frames for one RTP packet: the sequence header before the first, then the packet's frame (or none). */
  push(packet: RtpPacket): AudioFrame[] {
    this.stats.packets++;
    const ts = this.timestamps.unwrap(packet.timestamp);
    // RFC 7587 4.2: a payload is never empty (a 1-byte TOC at least).
    if (packet.payload.length === 0 || ts <= this.last) {
      this.stats.dropped++;
      return NONE;
    }
    this.last = ts;
    this.stats.frames++;
    const frame = opusFrame(packet.payload, ts);
    if (this.headSent) return [frame];
    this.headSent = true;
    return [opusSequenceHeaderFrame(this.head, ts), frame];
  }
}

/**
 * The RTP payload of an Opus frame (a view of its raw packet, shared by every viewer), or null for
 * sequence headers and other codecs. The marker bit stays clear: RFC 7587 4.2 sets it only on the first
 * packet after a DTX pause, which the viewer's writer knows, not the frame.
 */
export function opusRtpPayload(frame: AudioFrame): RtpPayload | null {
  if (frame.codec !== 'opus' || frame.sequenceHeader) return null;
  const raw = frame.view.raw;
  if (raw.length === 0) return null;
  return { parts: [raw], size: raw.length, marker: false };
}
