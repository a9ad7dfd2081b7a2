// Connection options with libsrt's defaults (srt.h / socketoptions), in the units their names say.

import { randomBytes } from 'node:crypto';

export interface SrtOptions {
  /** SRTO_RCVLATENCY: how long we hold received packets before delivery (TSBPD). */
  latencyMs: number;
  /** SRTO_PEERLATENCY: the least latency we ask of the peer's receiver. */
  peerLatencyMs: number;
  passphrase: string;
  /** SRTO_PBKEYLEN: 16, 24 or 32 bytes (AES-128/192/256); used when we make the keys. */
  pbKeyLen: number;
  /** SRTO_MSS: largest datagram (IP + UDP + SRT header + payload). */
  mss: number;
  /** SRTO_PAYLOADSIZE: largest payload in one data packet (live: 1316 = 7 TS packets). */
  payloadSize: number;
  /** SRTO_FC: flow window in packets. */
  flowWindow: number;
  /** SRTO_RCVBUF / SRTO_SNDBUF, in packets. */
  rcvBufPackets: number;
  sndBufPackets: number;
  /** SRTO_MAXBW in bytes/s; 0 = no pacing. */
  maxBwBps: number;
  /** SRTO_PEERIDLETIMEO. */
  peerIdleTimeoutMs: number;
  /** SRTO_CONNTIMEO (caller). */
  connectTimeoutMs: number;
  /** SRTO_TLPKTDROP. */
  tlpktdrop: boolean;
  /** SRTO_NAKREPORT: periodic NAK. */
  nakReport: boolean;
  /** SRTO_KMREFRESHRATE / SRTO_KMPREANNOUNCE, in packets. */
  kmRefreshRate: number;
  kmPreAnnounce: number;
  /** Randomness for socket ids, initial sequence numbers, cookies and keys (tests pass a seeded one). */
  random: (n: number) => Buffer;
}

export const DEFAULT_SRT_OPTIONS: SrtOptions = {
  latencyMs: 120,
  peerLatencyMs: 0,
  passphrase: '',
  pbKeyLen: 16,
  mss: 1500,
  payloadSize: 1316,
  flowWindow: 25600,
  rcvBufPackets: 8192,
  sndBufPackets: 8192,
  maxBwBps: 0,
  peerIdleTimeoutMs: 5000,
  connectTimeoutMs: 3000,
  tlpktdrop: true,
  nakReport: true,
  kmRefreshRate: 0x1000000,
  kmPreAnnounce: 0x10000,
  random: randomBytes,
};

export function withDefaults(o: Partial<SrtOptions> | undefined): SrtOptions {
  return { ...DEFAULT_SRT_OPTIONS, ...(o ?? {}) };
}
