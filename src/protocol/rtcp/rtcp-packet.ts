// RTCP packets (RFC 3550 §6) and the feedback messages WebRTC uses (RFC 4585 generic NACK and PLI,
// RFC 5104 FIR, draft-alvestrand-rmcat-remb REMB, draft-holmer-rmcat-transport-wide-cc-extensions-01
// TWCC): a typed model, one compound parser and one serializer. Sans-I/O, bytes in, bytes out.

export const RtcpType = { SR: 200, RR: 201, SDES: 202, BYE: 203, APP: 204, RTPFB: 205, PSFB: 206, XR: 207 } as const;
/** FMT values of transport-layer (RTPFB) and payload-specific (PSFB) feedback. */
export const RtpfbFmt = { Nack: 1, Twcc: 15 } as const;
export const PsfbFmt = { Pli: 1, Fir: 4, Afb: 15 } as const;

/** RFC 3550 §6.4.1 report block. */
export interface RtcpReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, in 1/256. */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | seq). */
  highestSeq: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP time of the last SR received. */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s. */
  delaySinceLastSr: number;
}

export interface RtcpSenderReport {
  type: 'sr';
  ssrc: number;
  /** NTP timestamp, 32.32 fixed point split in two words. */
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: RtcpReportBlock[];
}

export interface RtcpReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: RtcpReportBlock[];
}

export interface RtcpSdesItem {
  /** 1 CNAME, 2 NAME, ... 8 PRIV (RFC 3550 §6.5). */
  type: number;
  text: string;
}

export interface RtcpSdes {
  type: 'sdes';
  chunks: Array<{ ssrc: number; items: RtcpSdesItem[] }>;
}

export interface RtcpBye {
  type: 'bye';
  ssrcs: number[];
  reason?: string;
}

/** Generic NACK (RFC 4585 §6.2.1), with the lost sequence numbers already expanded from PID/BLP. */
export interface RtcpNack {
  type: 'nack';
  senderSsrc: number;
  mediaSsrc: number;
  lost: number[];
}

/** Picture Loss Indication (RFC 4585 §6.3.1). */
export interface RtcpPli {
  type: 'pli';
  senderSsrc: number;
  mediaSsrc: number;
}

/** Full Intra Request (RFC 5104 §4.3.1): one entry per encoder asked, each with its command number. */
export interface RtcpFir {
  type: 'fir';
  senderSsrc: number;
  mediaSsrc: number;
  entries: Array<{ ssrc: number; seq: number }>;
}

/** Receiver Estimated Max Bitrate (draft-alvestrand-rmcat-remb-03 §2.2). */
export interface RtcpRemb {
  type: 'remb';
  senderSsrc: number;
  /** Bits per second (mantissa * 2^exp, so large values lose low bits). */
  bitrate: number;
  ssrcs: number[];
}

/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
 * `arrivals[i]` is for transport sequence number baseSeq + i (mod 2^16): the arrival time in
 * microseconds on the feedback's own clock (referenceTime * 64 ms plus the receive deltas, so every
 * value is a multiple of 250 us), or undefined when that packet was not received.
 */
export interface RtcpTwcc {
  type: 'twcc';
  senderSsrc: number;
  mediaSsrc: number;
  baseSeq: number;
  /** 24-bit, in units of 64 ms. */
  referenceTime: number;
  /** Feedback packet count, 8-bit, so the sender can detect lost feedback. */
  fbPktCount: number;
  arrivals: Array<number | undefined>;
}

/** APP, XR and feedback types this model does not read, kept whole. */
export interface RtcpUnknown {
  type: 'unknown';
  packetType: number;
  /** The 5-bit count / FMT field. */
  count: number;
  /** Everything after the 4-byte header, padding removed. */
  body: Buffer;
}

export type RtcpPacket =
  | RtcpSenderReport
  | RtcpReceiverReport
  | RtcpSdes
  | RtcpBye
  | RtcpNack
  | RtcpPli
  | RtcpFir
  | RtcpRemb
  | RtcpTwcc
  | RtcpUnknown;
