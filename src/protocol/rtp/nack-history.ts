// A bounded per-source history of sent RTP packets, for NACK retransmission (RFC 4585 6.2.1) and RTX
// (RFC 4588). Bounded by count (a ring of `capacity` slots, indexed by sequence number) and by age
// (`maxAgeMs`: an older packet is useless to the receiver's jitter buffer), whichever comes first.
// Entries keep the shared payloads (RtpPayload parts: views of frames), never copies, and parallel typed
// arrays hold the header fields, so adding a packet allocates nothing.

import type { RtpPayload } from './h264-payloader.js';
import type { RtpPacket } from './rtp-packet.js';

export interface NackHistoryOptions {
  /** Slots, a power of two up to 32768 (so a 16-bit sequence number maps to one slot). */
  readonly capacity?: number;
  /** Oldest packet still answered, ms. */
  readonly maxAgeMs?: number;
}

/** One remembered packet: its header fields (original SSRC space) and shared payload. */
export interface SentPacket {
  readonly sequence: number;
  readonly timestamp: number;
  readonly marker: boolean;
  readonly payload: RtpPayload;
  readonly sentAtMs: number;
}

export class NackHistory {
  readonly capacity: number;
  private readonly mask: number;
  private readonly maxAgeMs: number;
  private readonly seqs: Int32Array;
  private readonly timestamps: Float64Array;
  private readonly sentAt: Float64Array;
  private readonly markers: Uint8Array;
  private readonly payloads: (RtpPayload | undefined)[];

  constructor(opts: NackHistoryOptions = {}) {
    this.capacity = opts.capacity ?? 1024;
    if ((this.capacity & (this.capacity - 1)) !== 0 || this.capacity < 1 || this.capacity > 32768) {
      throw new RangeError(`NACK history capacity ${this.capacity} is not a power of two in 1..32768`);
    }
    this.mask = this.capacity - 1;
    this.maxAgeMs = opts.maxAgeMs ?? 1000;
    this.seqs = new Int32Array(this.capacity).fill(-1);
    this.timestamps = new Float64Array(this.capacity);
    this.sentAt = new Float64Array(this.capacity);
    this.markers = new Uint8Array(this.capacity);
    this.payloads = new Array<RtpPayload | undefined>(this.capacity).fill(undefined);
  }

  /** Remembers a sent packet (16-bit sequence number, 32-bit timestamp), replacing the one in its slot. */
  add(sequence: number, timestamp: number, payload: RtpPayload, nowMs: number): void {
    const slot = sequence & this.mask;
    this.seqs[slot] = sequence & 0xffff;
    this.timestamps[slot] = timestamp >>> 0;
    this.sentAt[slot] = nowMs;
    this.markers[slot] = payload.marker ? 1 : 0;
    this.payloads[slot] = payload;
  }

  /** Remembers a received packet as forwarded (payload view of the datagram: the caller must not reuse it). */
  addPacket(packet: RtpPacket, nowMs: number): void {
    this.add(packet.sequence, packet.timestamp, { parts: [packet.payload], size: packet.payload.length, marker: packet.marker }, nowMs);
  }

  /** The packet with this sequence number if still held and not older than maxAgeMs. */
  get(sequence: number, nowMs: number): SentPacket | undefined {
    const slot = sequence & this.mask;
    const payload = this.payloads[slot];
    if (payload === undefined || this.seqs[slot] !== (sequence & 0xffff)) return undefined;
    const sentAtMs = this.sentAt[slot]!;
    if (nowMs - sentAtMs > this.maxAgeMs) return undefined;
    return { sequence: sequence & 0xffff, timestamp: this.timestamps[slot]!, marker: this.markers[slot] === 1, payload, sentAtMs };
  }

  /** Forgets everything (a new publisher, a format change). */
  clear(): void {
    this.seqs.fill(-1);
    this.payloads.fill(undefined);
  }
}

/**
 * The RTX payload of a retransmission (RFC 4588 4): the original sequence number (OSN) then the original
 * payload, as parts (the payload's parts are shared, not copied). The caller writes it with the RTX
 * stream's SSRC, payload type and its own sequence number, and the original timestamp and marker.
 */
export function rtxPayload(original: SentPacket): RtpPayload {
  const osn = Buffer.allocUnsafe(2);
  osn.writeUInt16BE(original.sequence, 0);
  return { parts: [osn, ...original.payload.parts], size: 2 + original.payload.size, marker: original.marker };
}

/**
 * The original packet inside a received RTX packet (RFC 4588 4: OSN, then the payload), with the original
 * SSRC and payload type the session maps from the RTX ones; null when it has no OSN (an RTX padding probe).
 */
export function unwrapRtx(rtx: RtpPacket, ssrc: number, payloadType: number): RtpPacket | null {
  if (rtx.payload.length < 2) return null;
  return { ...rtx, ssrc, payloadType, sequence: rtx.payload.readUInt16BE(0), payload: rtx.payload.subarray(2) };
}
