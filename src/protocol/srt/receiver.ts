// Receiving half of a live SRT connection (draft-sharabayko-srt §4.4-§4.8): a bounded buffer by
// sequence number, the loss list with immediate and periodic NAK, full ACKs every 10 ms and light ACKs
// every 64 packets, RTT from ACKACK, TSBPD delivery at base + timestamp + latency (+ drift), and
// too-late packet drop. All times are microseconds on the caller's clock, passed in.

import { ControlType, encodeAck, encodeLossList, type DataPacket, type LossRange } from './packet.js';
import { RttEstimator } from './rtt.js';
import { seqInc, seqOffset, seqDec } from './seq.js';

export const SYN_INTERVAL_US = 10_000;
const LIGHT_ACK_PACKETS = 64;
const MIN_NAK_INTERVAL_US = 20_000;
const ACK_HISTORY = 64;
/** libsrt's drift tracer: 1000 samples, correct when the mean drifts more than 5 ms. */
const DRIFT_SAMPLES = 1000;
const DRIFT_MAX_US = 5_000;
const TS_WRAP = 0x1_0000_0000;
/** Most loss ranges one NAK carries, so a NAK fits in one datagram. */
const MAX_NAK_RANGES = 150;

export interface ControlOut {
  sendControl(type: number, typeInfo: number, cif: Buffer, subtype?: number): void;
}

export interface ReceiverOptions {
  initialSeq: number;
  latencyUs: number;
  bufferPackets: number;
  tlpktdrop: boolean;
  /** Send periodic NAKs (the peer asked for NAKREPORT). */
  periodicNak: boolean;
}

export interface ReceiverStats {
  received: number;
  delivered: number;
  lost: number;
  dropped: number;
  duplicates: number;
  outOfWindow: number;
  retransmitted: number;
  naksSent: number;
  acksSent: number;
}

interface Slot {
  payload: Buffer;
  /** Unwrapped timestamp (64-bit-safe number) in µs on the peer's clock. */
  tsUs: number;
  msgNo: number;
}

interface LossEntry extends LossRange {
  lastNakUs: number;
}

export interface Delivered {
  payload: Buffer;
  seq: number;
  msgNo: number;
}

export class SrtReceiver {
  readonly stats: ReceiverStats = {
    received: 0,
    delivered: 0,
    lost: 0,
    dropped: 0,
    duplicates: 0,
    outOfWindow: 0,
    retransmitted: 0,
    naksSent: 0,
    acksSent: 0,
  };
  /** Next sequence to hand to the application. */
  private deliverSeq: number;
  /** First sequence not yet received in order (what an ACK reports). */
  private ackSeq: number;
  /** Highest sequence seen, or deliverSeq - 1 before the first packet. */
  private maxSeq: number;
  private readonly slots: (Slot | undefined)[];
  private loss: LossEntry[] = [];
  private latencyUs: number;
  private tsbpdBaseUs: number | undefined;
  private lastTsUs = 0;
  private ackNo = 0;
  private lastAckSentSeq: number;
  private lastAckAckedSeq: number;
  private lastFullAckUs = -Infinity;
  private lastNakCheckUs = -Infinity;
  private packetsSinceLightAck = 0;
  private readonly ackHistory: { ackNo: number; seq: number; sentUs: number }[] = [];
  private driftSum = 0;
  private driftCount = 0;
  /** Total drift correction applied to the TSBPD base, for stats and tests. */
  driftUs = 0;
  private rateWindowStartUs = 0;
  private rateWindowPackets = 0;
  private rateWindowBytes = 0;
  private packetsPerSecond = 0;
  private bytesPerSecond = 0;

  constructor(
    private readonly opts: ReceiverOptions,
    private readonly rtt: RttEstimator,
    private readonly out: ControlOut,
  ) {
    this.deliverSeq = opts.initialSeq;
    this.ackSeq = opts.initialSeq;
    this.maxSeq = seqDec(opts.initialSeq);
    this.lastAckSentSeq = opts.initialSeq;
    this.lastAckAckedSeq = opts.initialSeq;
    this.slots = new Array(opts.bufferPackets);
    this.latencyUs = opts.latencyUs;
  }

  get latency(): number {
    return this.latencyUs;
  }

  /** HSv4 peers negotiate latency after the connection (in-band HSREQ). */
  setLatencyUs(us: number): void {
    this.latencyUs = us;
  }

  /** TSBPD base: our clock when the peer's clock read `peerTsUs` (set from the conclusion handshake). */
  setTsbpdBase(nowUs: number, peerTsUs: number): void {
    this.tsbpdBaseUs = nowUs - peerTsUs;
    this.lastTsUs = peerTsUs;
  }

  /**
   * The peer's 32-bit timestamp as a continuous number: it wraps every 2^32 µs (71.6 min), so a value
   * far below the last one is past the wrap, and one far above is a late packet from before it.
   */
  unwrapTimestamp(ts: number): number {
    const carry = Math.floor(this.lastTsUs / TS_WRAP) * TS_WRAP;
    let full = carry + ts;
    if (full - this.lastTsUs > TS_WRAP / 2) full -= TS_WRAP;
    else if (this.lastTsUs - full > TS_WRAP / 2) full += TS_WRAP;
    if (full > this.lastTsUs) this.lastTsUs = full;
    return full;
  }

  /** When a packet with this unwrapped timestamp is due for delivery. */
  playTimeUs(tsUs: number): number {
    return (this.tsbpdBaseUs ?? 0) + tsUs + this.latencyUs + this.driftUs;
  }

  private slotIndex(seq: number): number {
    return seq % this.slots.length;
  }

  /** Handles one data packet whose payload is already decrypted. */
  onData(p: DataPacket, nowUs: number): void {
    const off = seqOffset(this.deliverSeq, p.seq);
    if (this.tsbpdBaseUs === undefined) this.setTsbpdBase(nowUs, p.timestamp);
    const tsUs = this.unwrapTimestamp(p.timestamp);
    if (off < 0) {
      // Already delivered or given up on: a late retransmission or a duplicate.
      this.stats.duplicates++;
      return;
    }
    if (off >= this.slots.length) {
      // A jump beyond the buffer: SRT would have to NAK millions of packets. Ignore and count it.
      this.stats.outOfWindow++;
      return;
    }
    const idx = this.slotIndex(p.seq);
    if (this.slots[idx]) {
      this.stats.duplicates++;
      return;
    }
    this.stats.received++;
    if (p.retransmitted) this.stats.retransmitted++;
    this.countRate(p.payload.length, nowUs);
    // Copy: the datagram buffer belongs to the socket layer and is reused.
    this.slots[idx] = { payload: Buffer.from(p.payload), tsUs, msgNo: p.msgNo };
    const ahead = seqOffset(this.maxSeq, p.seq);
    if (ahead > 0) {
      if (ahead > 1) {
        const range = { from: seqInc(this.maxSeq), to: seqDec(p.seq) };
        this.loss.push({ ...range, lastNakUs: nowUs });
        this.stats.lost += ahead - 1;
        this.sendNak([range]);
      }
      this.maxSeq = p.seq;
    } else {
      this.removeLoss(p.seq);
    }
    this.advanceAck();
    if (++this.packetsSinceLightAck >= LIGHT_ACK_PACKETS) {
      this.packetsSinceLightAck = 0;
      this.out.sendControl(ControlType.Ack, 0, encodeAck({ lastAckSeq: this.ackSeq }));
    }
  }

  private countRate(bytes: number, nowUs: number): void {
    if (nowUs - this.rateWindowStartUs >= 1_000_000) {
      const secs = (nowUs - this.rateWindowStartUs) / 1e6;
      this.packetsPerSecond = Math.round(this.rateWindowPackets / secs);
      this.bytesPerSecond = Math.round(this.rateWindowBytes / secs);
      this.rateWindowStartUs = nowUs;
      this.rateWindowPackets = 0;
      this.rateWindowBytes = 0;
    }
    this.rateWindowPackets++;
    this.rateWindowBytes += bytes;
  }

  private advanceAck(): void {
    while (seqOffset(this.ackSeq, this.maxSeq) >= 0 && this.slots[this.slotIndex(this.ackSeq)]) {
      this.ackSeq = seqInc(this.ackSeq);
    }
  }

  private removeLoss(seq: number): void {
    for (let i = 0; i < this.loss.length; i++) {
      const e = this.loss[i]!;
      if (seqOffset(e.from, seq) < 0 || seqOffset(seq, e.to) < 0) continue;
      if (e.from === e.to) this.loss.splice(i, 1);
      else if (e.from === seq) e.from = seqInc(seq);
      else if (e.to === seq) e.to = seqDec(seq);
      else {
        this.loss.splice(i + 1, 0, { from: seqInc(seq), to: e.to, lastNakUs: e.lastNakUs });
        e.to = seqDec(seq);
      }
      return;
    }
  }

  /** Forgets every loss before `seq` (delivered past it, or the sender dropped it). */
  private trimLoss(seq: number): void {
    while (this.loss.length) {
      const e = this.loss[0]!;
      if (seqOffset(e.to, seq) > 0) this.loss.shift();
      else {
        if (seqOffset(e.from, seq) > 0) e.from = seq;
        break;
      }
    }
  }

  private sendNak(ranges: LossRange[]): void {
    this.stats.naksSent++;
    this.out.sendControl(ControlType.Nak, 0, encodeLossList(ranges));
  }

  /** DROPREQ from the sender: it will never send these; stop waiting for them. */
  onDropReq(range: LossRange): void {
    if (seqOffset(this.deliverSeq, range.to) < 0) return;
    if (seqOffset(this.maxSeq, range.to) > this.slots.length) return;
    for (let s = range.from, n = 0; n < this.slots.length; s = seqInc(s), n++) {
      if (seqOffset(this.deliverSeq, s) >= 0) this.removeLoss(s);
      if (s === range.to) break;
    }
    // Delivery skips what is missing once a later packet is due; here we only stop NAKing.
  }

  /** ACKACK for our ACK `ackNo`: an RTT sample, and a drift sample from the peer's timestamp. */
  onAckAck(ackNo: number, peerTs: number, nowUs: number): void {
    const i = this.ackHistory.findIndex((h) => h.ackNo === ackNo);
    if (i < 0) return;
    const h = this.ackHistory[i]!;
    this.ackHistory.splice(0, i + 1);
    this.rtt.sample(nowUs - h.sentUs);
    if (seqOffset(this.lastAckAckedSeq, h.seq) > 0) this.lastAckAckedSeq = h.seq;
    this.sampleDrift(peerTs, nowUs);
  }

  private sampleDrift(peerTs: number, nowUs: number): void {
    if (this.tsbpdBaseUs === undefined) return;
    const expected = this.tsbpdBaseUs + this.driftUs + this.unwrapTimestamp(peerTs);
    this.driftSum += nowUs - expected - this.rtt.rttUs / 2;
    if (++this.driftCount < DRIFT_SAMPLES) return;
    const mean = this.driftSum / this.driftCount;
    this.driftSum = 0;
    this.driftCount = 0;
    if (Math.abs(mean) > DRIFT_MAX_US) this.driftUs += mean;
  }

  /** Periodic work: the full ACK every 10 ms and the periodic NAK. */
  tick(nowUs: number): void {
    if (nowUs - this.lastFullAckUs >= SYN_INTERVAL_US) {
      this.lastFullAckUs = nowUs;
      const unacked = this.ackSeq !== this.lastAckAckedSeq;
      const advanced = this.ackSeq !== this.lastAckSentSeq;
      if (advanced || unacked) this.sendFullAck(nowUs);
    }
    const nakInterval = Math.max((this.rtt.rttUs + 4 * this.rtt.rttVarUs) / 2, MIN_NAK_INTERVAL_US);
    if (this.opts.periodicNak && this.loss.length && nowUs - this.lastNakCheckUs >= MIN_NAK_INTERVAL_US) {
      this.lastNakCheckUs = nowUs;
      const due: LossRange[] = [];
      for (const e of this.loss) {
        if (nowUs - e.lastNakUs < nakInterval) continue;
        e.lastNakUs = nowUs;
        due.push({ from: e.from, to: e.to });
        if (due.length >= MAX_NAK_RANGES) break;
      }
      if (due.length) this.sendNak(due);
    }
  }

  private sendFullAck(nowUs: number): void {
    this.ackNo = (this.ackNo + 1) >>> 0 || 1;
    this.lastAckSentSeq = this.ackSeq;
    this.ackHistory.push({ ackNo: this.ackNo, seq: this.ackSeq, sentUs: nowUs });
    if (this.ackHistory.length > ACK_HISTORY) this.ackHistory.shift();
    this.stats.acksSent++;
    const used = seqOffset(this.deliverSeq, this.maxSeq) + 1;
    this.out.sendControl(
      ControlType.Ack,
      this.ackNo,
      encodeAck({
        lastAckSeq: this.ackSeq,
        rttUs: Math.round(this.rtt.rttUs),
        rttVarUs: Math.round(this.rtt.rttVarUs),
        availBufPackets: Math.max(2, this.slots.length - used),
        packetsPerSecond: this.packetsPerSecond,
        linkCapacityPps: this.packetsPerSecond,
        receiveRateBps: this.bytesPerSecond,
      }),
    );
  }

  /**
   * Packets whose play time has come, in order. With tlpktdrop a gap whose later packet is already due
   * is given up (counted in `dropped`); without it delivery waits for the retransmission.
   */
  deliver(nowUs: number, into: Delivered[] = []): Delivered[] {
    for (;;) {
      if (seqOffset(this.deliverSeq, this.maxSeq) < 0) break;
      const idx = this.slotIndex(this.deliverSeq);
      const slot = this.slots[idx];
      if (slot) {
        if (this.playTimeUs(slot.tsUs) > nowUs) break;
        this.slots[idx] = undefined;
        into.push({ payload: slot.payload, seq: this.deliverSeq, msgNo: slot.msgNo });
        this.stats.delivered++;
        this.deliverSeq = seqInc(this.deliverSeq);
        continue;
      }
      if (!this.opts.tlpktdrop) break;
      const next = this.firstPresentAfter(this.deliverSeq);
      if (next === undefined) break;
      const nextSlot = this.slots[this.slotIndex(next)]!;
      if (this.playTimeUs(nextSlot.tsUs) > nowUs) break;
      const gap = seqOffset(this.deliverSeq, next);
      this.stats.dropped += gap;
      this.deliverSeq = next;
      this.trimLoss(next);
      if (seqOffset(this.ackSeq, next) > 0) {
        this.ackSeq = next;
        this.advanceAck();
      }
    }
    return into;
  }

  private firstPresentAfter(seq: number): number | undefined {
    let s = seqInc(seq);
    while (seqOffset(s, this.maxSeq) >= 0) {
      if (this.slots[this.slotIndex(s)]) return s;
      s = seqInc(s);
    }
    return undefined;
  }

  /** The earliest time something here needs a tick or a delivery. */
  nextTimeUs(nowUs: number): number {
    // The ACK timer runs only while an ACK is owed (libsrt also skips an ACK the peer already ACKACKed).
    const ackOwed = this.ackSeq !== this.lastAckSentSeq || this.ackSeq !== this.lastAckAckedSeq;
    let t = ackOwed ? this.lastFullAckUs + SYN_INTERVAL_US : Infinity;
    if (this.loss.length && this.opts.periodicNak) t = Math.min(t, this.lastNakCheckUs + MIN_NAK_INTERVAL_US);
    if (seqOffset(this.deliverSeq, this.maxSeq) >= 0) {
      // A missing head only has a deadline when tlpktdrop may skip it; otherwise we wait for the data.
      let slot = this.slots[this.slotIndex(this.deliverSeq)];
      if (!slot && this.opts.tlpktdrop) {
        const next = this.firstPresentAfter(this.deliverSeq);
        if (next !== undefined) slot = this.slots[this.slotIndex(next)];
      }
      if (slot) t = Math.min(t, this.playTimeUs(slot.tsUs));
    }
    return Math.max(t, nowUs);
  }

  get lossCount(): number {
    let n = 0;
    for (const e of this.loss) n += seqOffset(e.from, e.to) + 1;
    return n;
  }

  get lossRanges(): LossRange[] {
    return this.loss.map((e) => ({ from: e.from, to: e.to }));
  }

  get nextAckSeq(): number {
    return this.ackSeq;
  }
}
