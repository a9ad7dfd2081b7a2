// ICE-TCP (RFC 6544 §3.1) frames every STUN/DTLS/RTP/RTCP packet on the stream with a 16-bit length
// (the RFC 4571 framing). A push parser: feed any chunking, get whole packets back.

import { ErrorCode, ProtocolError } from '../../core/errors.js';

/** Length-prefixed framing for writev: [2-byte header, packet] (no copy of the packet). */
export function frameIceTcp(packet: Buffer): [Buffer, Buffer] {
  if (packet.length > 0xffff) {
    throw new ProtocolError(ErrorCode.RtcTcpSize, `ICE-TCP: packet of ${packet.length} bytes exceeds 65535`);
  }
  const header = Buffer.allocUnsafe(2);
  header.writeUInt16BE(packet.length, 0);
  return [header, packet];
}

export class IceTcpDeframer {
  private pending: Buffer | undefined;

  /**
   * @param maxFrame frames longer than this are refused (ProtocolError RtcTcpSize): a WebRTC packet
   *   never nears 64 KiB, so a huge length means the stream is not ICE-TCP.
   */
  constructor(private readonly maxFrame = 0xffff) {}

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  /**
   * Returns the packets completed by this chunk, in order. A packet that lies wholly inside `chunk` is
   * a view of it (no copy): copy it before keeping it past the next read. Zero-length frames are skipped.
   */
  push(chunk: Buffer): Buffer[] {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const out: Buffer[] = [];
    let pos = 0;
    while (buf.length - pos >= 2) {
      const len = buf.readUInt16BE(pos);
      if (len > this.maxFrame) {
        throw new ProtocolError(ErrorCode.RtcTcpSize, `ICE-TCP: frame of ${len} bytes exceeds ${this.maxFrame}`);
      }
      if (buf.length - pos - 2 < len) break;
      if (len > 0) out.push(buf.subarray(pos + 2, pos + 2 + len));
      pos += 2 + len;
    }
    // Keep the tail as its own copy so the caller may reuse its read buffer.
    if (pos < buf.length) this.pending = Buffer.from(buf.subarray(pos));
    return out;
  }
}
