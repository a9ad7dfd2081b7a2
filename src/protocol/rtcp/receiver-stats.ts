// What a receiver of one RTP source tracks to write its RTCP report block (RFC 3550 appendix A.1
// sequence numbers, A.3 loss, A.8 jitter, §6.4.1 LSR/DLSR). Times are arguments: no clock is read.

import { ntpMiddle32, type NtpTime } from './ntp.js';
import type { RtcpReportBlock } from './rtcp-packet.js';

const SEQ_MOD = 0x10000;
/** RFC 3550 A.1: a jump forward up to this many is loss; further is a restart or garbage. */
const MAX_DROPOUT = 3000;
/** A packet this far behind the highest seen is late or duplicate, not a restart. */
const MAX_MISORDER = 100;

export class RtpReceiverStats {
  private started = false;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  /** RFC 3550 A.1: the seq after a large jump; a second packet there means the sender restarted. */
  private badSeq = SEQ_MOD + 1;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit: number | undefined;
  /** Jitter in timestamp units, kept fractional; reported rounded. */
  private jitterTs = 0;
  private lastSr = 0;
  private lastSrArrivalMs: number | undefined;

  constructor(
    readonly ssrc: number,
    readonly clockRate: number,
  ) {}

  /** Packets counted (duplicates included, as RFC 3550 A.3 counts them). */
  get packetsReceived(): number {
    return this.received;
  }

  /** Extended highest sequence number received. */
  get highestSeq(): number {
    return this.cycles + this.maxSeq;
  }

  /**
   * Records one RTP packet. Returns false for a packet taken as a stray after a large jump (not
   * counted; a second one in sequence restarts the statistics, as the sender evidently did).
   */
  onRtp(seq: number, rtpTimestamp: number, arrivalMs: number): boolean {
    seq &= 0xffff;
    if (!this.started) {
      this.restart(seq);
      this.started = true;
    } else {
      const delta = (seq - this.maxSeq + SEQ_MOD) % SEQ_MOD;
      if (delta < MAX_DROPOUT) {
        if (seq < this.maxSeq) this.cycles += SEQ_MOD;
        this.maxSeq = seq;
      } else if (delta <= SEQ_MOD - MAX_MISORDER) {
        if (seq !== this.badSeq) {
          this.badSeq = (seq + 1) % SEQ_MOD;
          return false;
        }
        this.restart(seq);
      }
      // else: duplicate or reordered within MAX_MISORDER, counted below.
    }
    this.received++;
    // A.8: transit time in timestamp units; its variation smoothed by 1/16.
    const arrivalTs = (arrivalMs * this.clockRate) / 1000;
    const transit = arrivalTs - (rtpTimestamp >>> 0);
    if (this.transit !== undefined) {
      let d = Math.abs(transit - this.transit);
      // A timestamp wrap shows as a 2^32 step in transit: not jitter.
      if (d > 0x80000000) d = Math.abs(d - 0x100000000);
      this.jitterTs += (d - this.jitterTs) / 16;
    }
    this.transit = transit;
    return true;
  }

  /** Records a sender report from this source, for LSR/DLSR in our next report block. */
  onSenderReport(ntp: NtpTime, arrivalMs: number): void {
    this.lastSr = ntpMiddle32(ntp);
    this.lastSrArrivalMs = arrivalMs;
  }

  /** The report block for now; starts a new interval for fraction lost. Undefined before any packet. */
  reportBlock(nowMs: number): RtcpReportBlock | undefined {
    if (!this.started) return undefined;
    const extendedMax = this.cycles + this.maxSeq;
    const expected = extendedMax - this.baseSeq + 1;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.received));
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    const dlsr =
      this.lastSrArrivalMs === undefined ? 0 : Math.max(0, Math.round(((nowMs - this.lastSrArrivalMs) / 1000) * 65536));
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: lost,
      highestSeq: extendedMax >>> 0,
      jitter: Math.round(this.jitterTs) >>> 0,
      lastSr: this.lastSr,
      delaySinceLastSr: dlsr >>> 0,
    };
  }

  private restart(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.cycles = 0;
    this.badSeq = SEQ_MOD + 1;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
  }
}
