// The per-viewer part of a shared packet output (issue 12, point 3): each viewer writes its own RTP
// header (RFC 3550 5.1: version 2, marker, payload type, sequence number, timestamp, SSRC) and its own
// one-byte header extensions (RFC 8285 4.2: the ids it negotiated, e.g. transport-wide-cc's 16-bit
// sequence) in front of the shared payload, into a buffer of its own (which it may then SRTP-encrypt
// in place). Nothing here allocates per packet.

import { ticksIn, type MediaFrame } from '../../kernel/media-frame.js';
import type { RtpPayload } from './h264-payloader.js';

/**
 * A frame's RTP timestamp (before a viewer's random offset) in the payload clock: 90 kHz video (RFC 6184
 * 5.1), 48 kHz Opus (RFC 7587 4.1). From the frame's own ticks, so a 90 kHz ingest is carried exactly.
 */
export function rtpTimestamp(frame: MediaFrame, clockRate: number): number {
  return ticksIn(frame.ptsTicks, frame.timescale, clockRate) % 2 ** 32;
}

/** RTP fixed header size (no CSRCs). */
export const RTP_HEADER_SIZE = 12;

export interface RtpViewerOptions {
  readonly ssrc: number;
  readonly payloadType: number;
  /** First sequence number (RFC 3550: random). */
  readonly initialSequence: number;
  /** Offset added to every timestamp (RFC 3550: random). */
  readonly timestampOffset: number;
  /** One-byte extension id (1..14) of transport-wide-cc (draft-holmer-rmcat-transport-wide-cc-extensions-01), if negotiated. */
  readonly transportCcId?: number;
}

export class RtpHeaderWriter {
  private sequence: number;
  private transportSequence = 0;

  constructor(private readonly opts: RtpViewerOptions) {
    if (opts.transportCcId !== undefined && (opts.transportCcId < 1 || opts.transportCcId > 14)) {
      throw new RangeError(`one-byte header extension id ${opts.transportCcId} is outside 1..14`);
    }
    this.sequence = opts.initialSequence & 0xffff;
  }

  /** Bytes `write` needs for this payload. */
  packetSize(payload: RtpPayload): number {
    return RTP_HEADER_SIZE + (this.opts.transportCcId !== undefined ? 8 : 0) + payload.size;
  }

  /**
   * Writes one packet (header, extensions, then the payload parts) into `out` at `offset`; returns the bytes
   * written. `timestamp` is in the payload's clock (90 kHz video, 48 kHz Opus) before this viewer's offset.
   */
  write(payload: RtpPayload, timestamp: number, out: Buffer, offset = 0): number {
    const size = this.packetSize(payload);
    if (out.length - offset < size) throw new RangeError(`RTP packet of ${size} bytes does not fit at ${offset} in ${out.length}`);
    const ext = this.opts.transportCcId !== undefined;
    out[offset] = 0x80 | (ext ? 0x10 : 0); // V=2, P=0, X, CC=0
    out[offset + 1] = (payload.marker ? 0x80 : 0) | (this.opts.payloadType & 0x7f);
    out.writeUInt16BE(this.sequence, offset + 2);
    out.writeUInt32BE((timestamp + this.opts.timestampOffset) % 2 ** 32 >>> 0, offset + 4);
    out.writeUInt32BE(this.opts.ssrc >>> 0, offset + 8);
    this.sequence = (this.sequence + 1) & 0xffff;
    let p = offset + RTP_HEADER_SIZE;
    if (ext) {
      // RFC 8285 4.2: 0xBEDE, length 1 (32-bit words), then [id|len-1] and 2 bytes, padded to 4 bytes.
      out.writeUInt16BE(0xbede, p);
      out.writeUInt16BE(1, p + 2);
      out[p + 4] = (this.opts.transportCcId! << 4) | 1;
      out.writeUInt16BE(this.transportSequence, p + 5);
      out[p + 7] = 0;
      this.transportSequence = (this.transportSequence + 1) & 0xffff;
      p += 8;
    }
    for (const part of payload.parts) {
      part.copy(out, p);
      p += part.length;
    }
    return p - offset;
  }

  /** Sequence number the next packet gets. */
  get nextSequence(): number {
    return this.sequence;
  }
}
