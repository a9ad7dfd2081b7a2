// RTP → H.264 access units (RFC 6184, packetization-mode 1: single NAL unit packets, STAP-A, FU-A), for
// WebRTC publishers and (later) RTSP ingest. Sans I/O: time is an argument.
//
// - Reorder buffer by extended (unwrapped) sequence number: packets are processed strictly in order. A
//   missing packet is waited for (a NACK may bring it) until `maxWaitMs` passed since the gap was seen, or
//   until the buffer would overflow; then it counts as lost.
// - Frames are assembled by RTP timestamp and closed by the marker bit (or by the next timestamp when a
//   sender omits the marker, RFC 6184 5.1 makes it a SHOULD).
// - Loss: a frame that a lost packet may belong to (the one in progress, and the next one when the gap
//   is between frames) is dropped, and `needsKeyframe` stays true (the caller sends PLI, RFC 4585 6.3.1)
//   and every frame is dropped until a complete IDR arrives. It starts true: decoding starts at an IDR.
// - SPS/PPS (in a STAP-A or alone) are taken out of the pictures and go into an AVC decoder configuration
//   record (ISO/IEC 14496-15 5.3.3.1), emitted as a sequence-header frame whenever they change.
// - Output: MediaFrames built by the media core's one FLV builder (`videoFrameFromFlv`) in the 90 kHz RTP
//   clock, timestamps unwrapped to 53-bit integers; pts = dts (browsers send no B-frames).
// The one copy at ingest happens here: NAL unit bytes go from packet views into the FLV body. Packets are
// held (as views) only until their frame is assembled, so the caller must not reuse a packet's buffer
// before push() returns frames for it; with Node's dgram every datagram is a fresh Buffer.
// Malformed payloads (FU-A without a start, a truncated STAP-A, STAP-B/MTAP/FU-B of mode 2) do not
// throw: the frame is dropped like a lost one and counted in `stats.malformed`, with `lastError` set.

import { parseAvcSps } from '../../kernel/codec/h264.js';
import { videoFrameFromFlv, type VideoFrame } from '../../kernel/media-frame.js';
import type { RtpPacket } from './rtp-packet.js';
import { CounterUnwrapper } from './rtp-timestamp.js';

/** H.264 RTP clock (RFC 6184 8.2.1). */
export const H264_CLOCK_RATE = 90000;

export interface H264DepacketizerOptions {
  /** Packets held for reordering (a power of two); a packet this far ahead of a gap ends the wait. */
  readonly reorderCapacity?: number;
  /** How long a gap is waited for (a retransmission takes about one RTT), ms. */
  readonly maxWaitMs?: number;
}

export interface H264DepacketizerStats {
  packets: number;
  /** Arrived after their sequence number was given up on or processed. */
  late: number;
  duplicates: number;
  /** Sequence numbers given up on. */
  lost: number;
  frames: number;
  /** Incomplete frames and frames skipped while waiting for a keyframe. */
  framesDropped: number;
  malformed: number;
}

const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;
const STAP_A = 24;
const FU_A = 28;
const NONE: VideoFrame[] = [];
/** FLV AVC tag header: [FrameType|CodecID 7][AVCPacketType][CompositionTime 24 bits]. */
const FLV_AVC_HEADER = 5;

export class H264Depacketizer {
  readonly stats: H264DepacketizerStats = { packets: 0, late: 0, duplicates: 0, lost: 0, frames: 0, framesDropped: 0, malformed: 0 };
  /** Why the last malformed payload was refused (for the session's log line). */
  lastError = '';

  private readonly capacity: number;
  private readonly mask: number;
  private readonly maxWaitMs: number;
  private readonly ring: (RtpPacket | undefined)[];
  private readonly ringSeq: Float64Array;
  private readonly seqs = new CounterUnwrapper(16);
  private readonly timestamps = new CounterUnwrapper(32);
  private nextSeq = -1;
  private highestSeq = -1;
  private buffered = 0;
  private gapSince: number | undefined;

  // The access unit being assembled.
  private frameTs: number | undefined;
  private units: Buffer[][] = [];
  private fu: Buffer[] | undefined;
  private broken = false;
  /** Packets were lost after the last complete frame: the next frame may lack its head. */
  private gapBeforeNext = false;
  private waitingKeyframe = true;

  private sps: Buffer | undefined;
  private pps: Buffer | undefined;
  private configDirty = false;

  constructor(opts: H264DepacketizerOptions = {}) {
    this.capacity = opts.reorderCapacity ?? 512;
    if ((this.capacity & (this.capacity - 1)) !== 0 || this.capacity < 2) throw new RangeError(`reorderCapacity ${this.capacity} is not a power of two`);
    this.mask = this.capacity - 1;
    this.maxWaitMs = opts.maxWaitMs ?? 150;
    this.ring = new Array<RtpPacket | undefined>(this.capacity).fill(undefined);
    this.ringSeq = new Float64Array(this.capacity).fill(-1);
  }

  /** True from a loss (and from the start) until a complete IDR: the caller should ask for a keyframe (PLI). */
  get needsKeyframe(): boolean {
    return this.waitingKeyframe;
  }

  /** Takes one RTP packet of the H.264 stream; returns the frames it completed (often none). */
  push(packet: RtpPacket, nowMs: number): VideoFrame[] {
    this.stats.packets++;
    const ext = this.seqs.unwrap(packet.sequence);
    if (this.nextSeq < 0) this.nextSeq = ext;
    if (ext < this.nextSeq - this.capacity) this.restartSequence(ext);
    else if (ext < this.nextSeq) {
      this.stats.late++;
      return NONE;
    }
    const slot = ext & this.mask;
    if (this.ringSeq[slot] === ext) {
      this.stats.duplicates++;
      return NONE;
    }
    let out = NONE;
    // Too far ahead: the oldest missing packets can no longer be waited for.
    while (ext - this.nextSeq >= this.capacity) out = this.skipGap(out, ext - this.capacity + 1);
    this.ring[slot] = packet;
    this.ringSeq[slot] = ext;
    this.buffered++;
    if (ext > this.highestSeq) this.highestSeq = ext;
    out = this.drain(out);
    return this.poll(nowMs, out);
  }

  /**
   * A packet far older than anything still held: the sender restarted its sequence numbers (a new
   * encoder behind the same SSRC). Without this every later packet would count as late forever.
   */
  private restartSequence(ext: number): void {
    this.ring.fill(undefined);
    this.ringSeq.fill(-1);
    this.buffered = 0;
    this.gapSince = undefined;
    this.highestSeq = ext;
    this.nextSeq = ext;
    // Its first packet is taken as a frame start, as the very first packet is; a frame in progress is lost.
    if (this.frameTs !== undefined) this.stats.framesDropped++;
    this.frameTs = undefined;
    this.units = [];
    this.fu = undefined;
    this.gapBeforeNext = false;
    this.waitingKeyframe = true;
  }

  /** Gives up on a gap waited for longer than maxWaitMs; call it from the session's timer too. */
  poll(nowMs: number, out: VideoFrame[] = NONE): VideoFrame[] {
    while (this.buffered > 0) {
      if (this.gapSince === undefined) this.gapSince = nowMs;
      if (nowMs - this.gapSince < this.maxWaitMs) break;
      out = this.skipGap(out, this.highestSeq + 1);
      this.gapSince = this.buffered > 0 ? nowMs : undefined;
    }
    return out;
  }

  /** When the caller's timer should call poll(), or undefined when nothing waits. */
  nextTimeout(): number | undefined {
    return this.gapSince === undefined ? undefined : this.gapSince + this.maxWaitMs;
  }

  /** Declares the packets from nextSeq up to the first held one (before `limit`) lost, then drains. */
  private skipGap(out: VideoFrame[], limit: number): VideoFrame[] {
    let s = this.nextSeq;
    while (s < limit && this.ringSeq[s & this.mask] !== s) s++;
    if (s > this.nextSeq) {
      this.stats.lost += s - this.nextSeq;
      this.nextSeq = s;
      this.markLoss();
    }
    return this.drain(out);
  }

  private drain(out: VideoFrame[]): VideoFrame[] {
    for (;;) {
      const slot = this.nextSeq & this.mask;
      if (this.ringSeq[slot] !== this.nextSeq) break;
      const packet = this.ring[slot]!;
      this.ring[slot] = undefined;
      this.buffered--;
      this.nextSeq++;
      out = this.process(packet, out);
    }
    if (this.buffered === 0) this.gapSince = undefined;
    return out;
  }

  private markLoss(): void {
    if (this.frameTs !== undefined) this.broken = true;
    this.gapBeforeNext = true;
    this.waitingKeyframe = true;
  }

  private process(packet: RtpPacket, out: VideoFrame[]): VideoFrame[] {
    const ts = this.timestamps.unwrap(packet.timestamp);
    if (this.frameTs !== undefined && ts !== this.frameTs) out = this.finishFrame(out);
    if (this.frameTs === undefined) {
      this.frameTs = ts;
      this.broken = this.gapBeforeNext;
    }
    // A packet of the same frame after a gap: the lost packets were inside this frame, not the next.
    this.gapBeforeNext = false;
    const error = this.addPayload(packet.payload);
    if (error !== undefined) {
      this.stats.malformed++;
      this.lastError = error;
      this.broken = true;
    }
    if (packet.marker) out = this.finishFrame(out);
    return out;
  }

  /** Adds the NAL units of one payload to the frame; returns why it is malformed, if it is. */
  private addPayload(p: Buffer): string | undefined {
    if (p.length === 0) return 'empty payload';
    const type = p[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      if (this.fu !== undefined) return `NAL type ${type} inside an unfinished FU-A`;
      this.units.push([p]);
      return undefined;
    }
    if (type === STAP_A) {
      if (this.fu !== undefined) return 'STAP-A inside an unfinished FU-A';
      for (let i = 1; i < p.length; ) {
        if (i + 2 > p.length) return 'STAP-A unit size runs past the payload';
        const n = p.readUInt16BE(i);
        if (n === 0 || i + 2 + n > p.length) return `STAP-A unit of ${n} bytes runs past the payload`;
        this.units.push([p.subarray(i + 2, i + 2 + n)]);
        i += 2 + n;
      }
      return undefined;
    }
    if (type === FU_A) {
      if (p.length < 3) return `FU-A of ${p.length} bytes`;
      const header = p[1]!;
      const start = (header & 0x80) !== 0;
      const end = (header & 0x40) !== 0;
      if (start) {
        if (this.fu !== undefined) return 'FU-A start inside an unfinished FU-A';
        // The NAL unit header: F and NRI from the FU indicator, type from the FU header (RFC 6184 5.8).
        this.fu = [Buffer.of((p[0]! & 0xe0) | (header & 0x1f))];
      } else if (this.fu === undefined) return 'FU-A fragment without its start';
      this.fu.push(p.subarray(2));
      if (end) {
        this.units.push(this.fu);
        this.fu = undefined;
      }
      return undefined;
    }
    return `NAL type ${type} is not allowed in packetization-mode 1`;
  }

  private finishFrame(out: VideoFrame[]): VideoFrame[] {
    const ts = this.frameTs!;
    const complete = !this.broken && this.fu === undefined && this.units.length > 0;
    const units = this.units;
    this.frameTs = undefined;
    this.units = [];
    this.fu = undefined;
    this.broken = false;
    if (!complete) {
      this.stats.framesDropped++;
      this.waitingKeyframe = true;
      return out;
    }
    return this.emit(units, ts, out);
  }

  private emit(units: Buffer[][], ts: number, out: VideoFrame[]): VideoFrame[] {
    let idr = false;
    let size = 0;
    for (const u of units) {
      const type = u[0]![0]! & 0x1f;
      if (type === NAL_SPS || type === NAL_PPS) {
        const nal = u.length === 1 ? u[0]! : Buffer.concat(u);
        const prev = type === NAL_SPS ? this.sps : this.pps;
        if (prev === undefined || !prev.equals(nal)) {
          const copy = Buffer.from(nal); // kept past this packet: never a view of the input
          if (type === NAL_SPS) this.sps = copy;
          else this.pps = copy;
          this.configDirty = true;
        }
        continue;
      }
      if (type === NAL_AUD) continue;
      if (type === NAL_IDR) idr = true;
      size += 4;
      for (const part of u) size += part.length;
    }
    const dtsMs = Math.round(ts / 90);
    if (this.configDirty && this.sps !== undefined && this.pps !== undefined) {
      this.configDirty = false;
      const record = buildAvcDecoderConfigurationRecord([this.sps], [this.pps]);
      const body = Buffer.allocUnsafe(FLV_AVC_HEADER + record.length);
      body.writeUInt32BE(0x17000000, 0);
      body[4] = 0;
      record.copy(body, FLV_AVC_HEADER);
      out = push(out, videoFrameFromFlv(body, dtsMs, H264_CLOCK_RATE, ts, ts));
    }
    if (size === 0) return out; // parameter sets only
    if (this.waitingKeyframe && (!idr || this.sps === undefined || this.pps === undefined)) {
      this.stats.framesDropped++;
      return out;
    }
    if (idr) this.waitingKeyframe = false;
    const body = Buffer.allocUnsafe(FLV_AVC_HEADER + size);
    body[0] = idr ? 0x17 : 0x27;
    body.writeUInt32BE(0x01000000, 1); // AVCPacketType 1, composition time 0
    let p = FLV_AVC_HEADER;
    for (const u of units) {
      const type = u[0]![0]! & 0x1f;
      if (type === NAL_SPS || type === NAL_PPS || type === NAL_AUD) continue;
      const lenAt = p;
      p += 4;
      for (const part of u) p += part.copy(body, p);
      body.writeUInt32BE(p - lenAt - 4, lenAt);
    }
    this.stats.frames++;
    return push(out, videoFrameFromFlv(body, dtsMs, H264_CLOCK_RATE, ts, ts));
  }
}

function push(out: VideoFrame[], frame: VideoFrame | null): VideoFrame[] {
  if (frame === null) return out;
  if (out === NONE) return [frame];
  out.push(frame);
  return out;
}

/** Profiles whose avcC carries the chroma format and bit depth trailer (ISO/IEC 14496-15 5.3.3.1.1). */
const TRAILER_PROFILES = new Set([100, 110, 122, 144]);

/**
 * An AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1) with 4-byte NAL unit lengths from SPS and
 * PPS NAL units (with their NAL headers). High profiles get the chroma/bit-depth trailer when the SPS parses.
 */
export function buildAvcDecoderConfigurationRecord(sps: readonly Buffer[], pps: readonly Buffer[]): Buffer {
  const first = sps[0];
  if (first === undefined || first.length < 4) throw new RangeError('an avcC needs an SPS of at least 4 bytes');
  const profile = first[1]!;
  let trailer: Buffer | undefined;
  if (TRAILER_PROFILES.has(profile)) {
    try {
      const s = parseAvcSps(first);
      trailer = Buffer.from([0xfc | s.chromaFormatIdc, 0xf8 | (s.bitDepthLuma - 8), 0xf8 | (s.bitDepthChroma - 8), 0]);
    } catch {
      trailer = undefined; // a decoder reads the SPS itself; the trailer is informational
    }
  }
  let size = 7 + (trailer?.length ?? 0);
  for (const s of sps) size += 2 + s.length;
  for (const s of pps) size += 2 + s.length;
  const b = Buffer.allocUnsafe(size);
  b[0] = 1;
  b[1] = profile;
  b[2] = first[2]!;
  b[3] = first[3]!;
  b[4] = 0xff; // reserved 6 bits + lengthSizeMinusOne 3
  b[5] = 0xe0 | sps.length;
  let p = 6;
  for (const s of sps) {
    b.writeUInt16BE(s.length, p);
    p += 2 + s.copy(b, p + 2);
  }
  b[p++] = pps.length;
  for (const s of pps) {
    b.writeUInt16BE(s.length, p);
    p += 2 + s.copy(b, p + 2);
  }
  if (trailer !== undefined) trailer.copy(b, p);
  return b;
}
