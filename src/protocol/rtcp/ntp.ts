// NTP timestamps as RTCP carries them (RFC 3550 §4): seconds since 1900 plus a 32-bit fraction. The
// caller passes wall-clock milliseconds in (this layer reads no clock).

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch). */
export const NTP_UNIX_OFFSET_S = 2208988800;

export interface NtpTime {
  seconds: number;
  fraction: number;
}

export function ntpFromUnixMs(unixMs: number): NtpTime {
  const totalS = Math.floor(unixMs / 1000);
  const ms = unixMs - totalS * 1000;
  return { seconds: (totalS + NTP_UNIX_OFFSET_S) >>> 0, fraction: Math.floor((ms / 1000) * 0x100000000) >>> 0 };
}

/** The middle 32 bits (16.16 fixed point) used by LSR and round-trip time (RFC 3550 §6.4.1). */
export function ntpMiddle32(t: NtpTime): number {
  return (((t.seconds & 0xffff) << 16) | (t.fraction >>> 16)) >>> 0;
}

/**
 * Round-trip time a sender learns from a report block on its SR (RFC 3550 §6.4.1, figure 2):
 * now - LSR - DLSR, in milliseconds. Undefined when the block has no LSR (the peer has had no SR yet).
 */
export function roundTripMs(block: { lastSr: number; delaySinceLastSr: number }, nowUnixMs: number): number | undefined {
  if (block.lastSr === 0) return undefined;
  const now = ntpMiddle32(ntpFromUnixMs(nowUnixMs));
  const rtt = (now - block.lastSr - block.delaySinceLastSr) >>> 0;
  // A reply "from the future" (clock step, bogus DLSR) wraps to a huge value: report 0 instead.
  if (rtt > 0x80000000) return 0;
  return (rtt / 65536) * 1000;
}
