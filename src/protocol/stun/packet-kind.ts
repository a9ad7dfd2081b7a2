// One UDP port carries STUN, DTLS, SRTP and SRTCP for every peer: tell them apart by the first byte
// (RFC 7983 §7), then RTP from RTCP by the second byte (RFC 5761 §4: RTCP packet types 192-223 fall
// where an RTP payload type with the marker bit set would be 64-95, which RTP/AVP never assigns).

export type UdpPacketKind = 'stun' | 'zrtp' | 'dtls' | 'turn-channel' | 'rtp' | 'rtcp' | 'unknown';

export function classifyPacket(buf: Uint8Array): UdpPacketKind {
  if (buf.length === 0) return 'unknown';
  const b = buf[0]!;
  if (b <= 3) return 'stun';
  if (b >= 16 && b <= 19) return 'zrtp';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 64 && b <= 79) return 'turn-channel';
  if (b >= 128 && b <= 191) {
    if (buf.length < 2) return 'unknown';
    const pt = buf[1]!;
    return pt >= 192 && pt <= 223 ? 'rtcp' : 'rtp';
  }
  return 'unknown';
}
