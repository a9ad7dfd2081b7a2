// Sending half of a live SRT connection (draft-sharabayko-srt §4.5-§4.8): a bounded send buffer,
// retransmission of NAKed packets first, ACK release and ACKACK, flow window, pacing from maxbw, and
// too-late drop with DROPREQ. Times in microseconds on the caller's clock.

import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { ControlType, encodeDropReq, HEADER_SIZE, KeyFlag, PacketPosition, writeDataHeader, type AckInfo, type LossRange } from './packet.js';
import type { ControlOut } from './receiver.js';
import { RttEstimator } from './rtt.js';
import { msgNoInc, seqInc, seqOffset } from './seq.js';

/** libsrt's SRT_TLPKTDROP_MINTHRESHOLD_MS: never drop younger than 1 s. */
const DROP_MIN_THRESHOLD_US = 1_000_000;
const UDP_IP_OVERHEAD = 28;
/** Most NAKed sequences remembered at once: a NAK flood cannot grow the list without bound. */
const MAX_LOSS_ENTRIES = 8192;

export interface SenderOptions {
  initialSeq: number;
  peerSocketId: number;
  /** The peer's receive latency (what it waits before delivery). */
  peerLatencyUs: number;
  bufferPackets: number;
  /** Peer's flow window from the handshake, in packets. */
  flowWindow: number;
  /** Bytes per second on the wire, 0 for no pacing. */
  maxBwBps: number;
  tlpktdrop: boolean;
  /** Socket start on our clock: packet timestamps count from it. */
  startUs: number;
  /** Encrypts a payload for a sequence number; returns the key flag used, or none. */
  encrypt?: (payload: Buffer, seq: number) => { payload: Buffer; keyFlag: number };
}

export interface SenderStats {
  sent: number;
  retransmitted: number;
  dropped: number;
  overflowDropped: number;
  naksReceived: number;
  acksReceived: number;
  ignoredNaks: number;
}

interface Entry {
  seq: number;
  msgNo: number;
  timestamp: number;
  originUs: number;
  payload: Buffer;
  keyFlag: number;
  sent: boolean;
  /** Last retransmission; a repeat NAK within the NAK interval does not resend it again. */
  rexmitUs: number;
}

export class SrtSender {
  readonly stats: SenderStats = { sent: 0, retransmitted: 0, dropped: 0, overflowDropped: 0, naksReceived: 0, acksReceived: 0, ignoredNaks: 0 };
  private readonly buffer: Entry[] = [];
  private nextSeq: number;
  private ackedSeq: number;
  private msgNo = 1;
  /** NAKed sequences to resend, sorted lazily; the set answers membership for duplicate NAKs. */
  private loss: number[] = [];
  private readonly lossSet = new Set<number>();
  private lossDirty = false;
  /** Unsent packets are always the tail of the buffer. */
  private unsentCount = 0;
  private nextSendUs = 0;
  private peerAvail: number;
  /** Last new packet sent or ACK progress: the tail-loss timer counts from it. */
  private lastProgressUs = 0;
  private lastAckNo = 0;

  constructor(
    private readonly opts: SenderOptions,
    private readonly rtt: RttEstimator,
    private readonly out: ControlOut,
  ) {
    this.nextSeq = opts.initialSeq;
    this.ackedSeq = opts.initialSeq;
    this.peerAvail = opts.flowWindow;
  }

  /** Queues one live message (one packet). Returns false and counts it when the buffer is full. */
  send(payload: Buffer, nowUs: number): boolean {
    if (payload.length === 0) return true;
    if (this.buffer.length >= this.opts.bufferPackets) {
      // Live mode: the oldest data is worth least; the receiver would drop it too late anyway.
      this.dropOldest(1);
      this.stats.overflowDropped++;
    }
    const seq = this.nextSeq;
    this.nextSeq = seqInc(seq);
    // No copy: a Buffer handed to send() is never mutated afterwards (ARCHITECTURE.md, media model).
    const enc = this.opts.encrypt ? this.opts.encrypt(payload, seq) : { payload, keyFlag: KeyFlag.None };
    this.buffer.push({
      seq,
      msgNo: this.msgNo,
      timestamp: (nowUs - this.opts.startUs) % 0x1_0000_0000,
      originUs: nowUs,
      payload: enc.payload,
      keyFlag: enc.keyFlag,
      sent: false,
      rexmitUs: -Infinity,
    });
    this.unsentCount++;
    this.msgNo = msgNoInc(this.msgNo);
    return true;
  }

  private dropOldest(n: number): void {
    const dropped = this.buffer.splice(0, n);
    if (!dropped.length) return;
    this.unsentCount = Math.min(this.unsentCount, this.buffer.length);
    const first = dropped[0]!;
    const last = dropped[dropped.length - 1]!;
    this.ackedSeq = seqInc(last.seq);
    this.pruneLoss();
    if (dropped.some((e) => e.sent)) {
      this.out.sendControl(ControlType.DropReq, first.msgNo, encodeDropReq(first.seq, last.seq));
    }
  }

  private pruneLoss(): void {
    if (!this.loss.length) return;
    this.loss = this.loss.filter((s) => {
      const keep = seqOffset(this.ackedSeq, s) >= 0;
      if (!keep) this.lossSet.delete(s);
      return keep;
    });
  }

  onAck(ackNo: number, ack: AckInfo, nowUs: number): void {
    this.stats.acksReceived++;
    const off = seqOffset(this.ackedSeq, ack.lastAckSeq);
    const inFlight = seqOffset(this.ackedSeq, this.nextSeq);
    if (off > 0 && off <= inFlight) {
      let n = 0;
      while (n < this.buffer.length && seqOffset(this.buffer[n]!.seq, ack.lastAckSeq) > 0) n++;
      this.buffer.splice(0, n);
      this.ackedSeq = ack.lastAckSeq;
      this.pruneLoss();
      this.lastProgressUs = nowUs;
    }
    if (ack.availBufPackets !== undefined) this.peerAvail = Math.max(2, ack.availBufPackets);
    if (ack.rttUs !== undefined) this.rtt.peerEstimate(ack.rttUs, ack.rttVarUs ?? 0);
    // A full ACK (numbered) is answered at once with an ACKACK carrying its number (§3.2.8).
    if (ackNo !== 0 && ackNo !== this.lastAckNo) {
      this.lastAckNo = ackNo;
      this.out.sendControl(ControlType.AckAck, ackNo, Buffer.alloc(4));
    }
  }

  /** NAK: queue the named packets we still hold; ranges outside what we sent are ignored and counted. */
  onNak(ranges: LossRange[], nowUs: number): void {
    this.stats.naksReceived++;
    // Like libsrt's reduced retransmission: a packet resent less than half an RTO ago (the periodic
    // NAK interval) is in flight already, so a NAK flood cannot multiply traffic.
    const holdUs = Math.max((this.rtt.rttUs + 4 * this.rtt.rttVarUs) / 2, 10_000);
    const sentUpTo = seqOffset(this.ackedSeq, this.nextSeq);
    for (const r of ranges) {
      const fromOff = seqOffset(this.ackedSeq, r.from);
      const toOff = seqOffset(this.ackedSeq, r.to);
      if (toOff < fromOff || toOff < 0 || fromOff >= sentUpTo) {
        this.stats.ignoredNaks++;
        continue;
      }
      const lo = Math.max(fromOff, 0);
      const hi = Math.min(toOff, sentUpTo - 1);
      for (let o = lo; o <= hi && this.loss.length < MAX_LOSS_ENTRIES; o++) {
        const s = seqInc(this.ackedSeq, o);
        if (this.lossSet.has(s)) continue;
        const e = this.entryFor(s);
        if (!e || nowUs - e.rexmitUs < holdUs) continue;
        this.lossSet.add(s);
        this.loss.push(s);
        this.lossDirty = true;
      }
    }
  }

  private entryFor(seq: number): Entry | undefined {
    if (!this.buffer.length) return undefined;
    const i = seqOffset(this.buffer[0]!.seq, seq);
    return i >= 0 && i < this.buffer.length ? this.buffer[i] : undefined;
  }

  private datagram(e: Entry, retransmitted: boolean): Buffer {
    const b = Buffer.allocUnsafe(HEADER_SIZE + e.payload.length);
    writeDataHeader(b, {
      seq: e.seq,
      position: PacketPosition.Solo,
      inOrder: false,
      keyFlag: e.keyFlag,
      retransmitted,
      msgNo: e.msgNo,
      timestamp: e.timestamp,
      destSocketId: this.opts.peerSocketId,
    });
    e.payload.copy(b, HEADER_SIZE);
    return b;
  }

  /**
   * Datagrams due now: too-late packets are dropped first, then retransmissions, then new packets
   * within the flow window, each spaced by the pacing interval when maxbw is set.
   */
  poll(nowUs: number, into: Buffer[] = []): Buffer[] {
    if (this.opts.tlpktdrop) this.dropTooLate(nowUs);
    if (this.lossDirty) {
      this.loss.sort((a, b) => seqOffset(b, a));
      this.lossDirty = false;
    }
    while (nowUs >= this.nextSendUs) {
      let d: Buffer | undefined;
      while (this.loss.length && !d) {
        const s = this.loss.shift()!;
        this.lossSet.delete(s);
        const e = this.entryFor(s);
        if (e) {
          e.rexmitUs = nowUs;
          d = this.datagram(e, true);
          this.stats.retransmitted++;
        }
      }
      if (!d) {
        const e = this.firstUnsent();
        if (!e) {
          d = this.tailProbe(nowUs);
          if (!d) break;
          into.push(d);
          break;
        }
        if (seqOffset(this.ackedSeq, e.seq) >= Math.min(this.opts.flowWindow, this.peerAvail)) break;
        e.sent = true;
        this.unsentCount--;
        d = this.datagram(e, false);
        this.stats.sent++;
        this.lastProgressUs = nowUs;
      }
      into.push(d);
      if (this.opts.maxBwBps > 0) {
        this.nextSendUs = Math.max(this.nextSendUs, nowUs - 1_000) + ((d.length + UDP_IP_OVERHEAD) * 1e6) / this.opts.maxBwBps;
      }
    }
    return into;
  }

  /**
   * Tail loss: the receiver only sees a hole when a later packet arrives, so when the stream pauses
   * with packets unacknowledged for a retransmission timeout, resend the newest one; its arrival
   * makes the receiver NAK anything missing before it.
   */
  private tailProbe(nowUs: number): Buffer | undefined {
    const due = this.tailProbeUs();
    if (due === undefined || nowUs < due) return undefined;
    this.lastProgressUs = nowUs;
    this.stats.retransmitted++;
    return this.datagram(this.buffer[this.buffer.length - 1]!, true);
  }

  private tailProbeUs(): number | undefined {
    if (this.unsentCount > 0 || this.loss.length || !this.buffer.length) return undefined;
    // Not below 40 ms: at low packet rates (audio only) the next packet usually comes first and its
    // arrival makes the receiver NAK, which is the normal repair path; the probe is for real pauses.
    const rto = Math.max(this.rtt.rttUs + 4 * this.rtt.rttVarUs + 20_000, 40_000);
    return this.lastProgressUs + rto;
  }

  private firstUnsent(): Entry | undefined {
    return this.unsentCount > 0 ? this.buffer[this.buffer.length - this.unsentCount] : undefined;
  }

  private dropTooLate(nowUs: number): void {
    const threshold = Math.max(this.opts.peerLatencyUs, DROP_MIN_THRESHOLD_US) + 20_000;
    let n = 0;
    while (n < this.buffer.length && nowUs - this.buffer[n]!.originUs > threshold) n++;
    if (n > 0) {
      this.stats.dropped += n;
      this.dropOldest(n);
    }
  }

  /** When poll() has something to do: pacing, a pending retransmission or unsent data. */
  nextTimeUs(nowUs: number): number | undefined {
    // New data waiting for a flow-window slot is not due: the next ACK opens the window.
    const next = this.firstUnsent();
    const canSendNew = next !== undefined && seqOffset(this.ackedSeq, next.seq) < Math.min(this.opts.flowWindow, this.peerAvail);
    const pending = this.loss.length > 0 || canSendNew;
    let t: number | undefined = pending ? Math.max(nowUs, this.nextSendUs) : this.tailProbeUs();
    if (this.opts.tlpktdrop && this.buffer.length) {
      const threshold = Math.max(this.opts.peerLatencyUs, DROP_MIN_THRESHOLD_US) + 20_000;
      const drop = this.buffer[0]!.originUs + threshold + 1;
      t = t === undefined ? drop : Math.min(t, drop);
    }
    return t;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  get pendingRetransmits(): number {
    return this.loss.length;
  }

  get lastAcked(): number {
    return this.ackedSeq;
  }
}

export function assertPositive(name: string, v: number): void {
  if (!(v > 0)) throw new ProtocolError(ErrorCode.SrtSockopt, `srt: ${name} must be positive, got ${v}`);
}
