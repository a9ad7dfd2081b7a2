// One SRT connection as a sans-I/O state machine (draft-sharabayko-srt §4): the listener side is made
// connected by SrtListener after the cookie check; the caller side runs induction then conclusion itself.
// `receive(datagram, now)` and `handleTimeout(now)` return events, `takeOutgoing()` the datagrams to
// send, `nextTimeout()` when to call handleTimeout. `now` is milliseconds on any monotonic clock.

import { ErrorCode, ProtocolError, TimeoutError, TsrsError } from '../../core/errors.js';
import { KmCommand, KmState, SrtCipher, decodeKm } from './crypto.js';
import {
  ExtType,
  HandshakeType,
  HsExtFlag,
  REJECT_BASE,
  RejectReason,
  SRT_MAGIC,
  SRT_VERSION,
  SrtFlag,
  UDT_DGRAM,
  decodeHandshake,
  decodeSrtInfo,
  encodeHandshake,
  encodeSrtInfo,
  encodeStreamIdExt,
  findExtension,
  type Handshake,
  type HsExtension,
  type HsSrtInfo,
} from './handshake.js';
import {
  ControlType,
  HEADER_SIZE,
  KeyFlag,
  decodeAck,
  decodeDropReq,
  decodeLossList,
  decodePacket,
  encodeControlPacket,
  type ControlPacket,
  type DataPacket,
} from './packet.js';
import { withDefaults, type SrtOptions } from './options.js';
import { SrtReceiver, type ControlOut, type Delivered, type ReceiverStats } from './receiver.js';
import { RttEstimator } from './rtt.js';
import { SrtSender, type SenderStats } from './sender.js';

const KEEPALIVE_US = 1_000_000;
const HANDSHAKE_RETRY_US = 250_000;
const KM_RETRY_US = 1_000_000;
/** Our announced SRT flags: live mode with TSBPD both ways, too-late drop, periodic NAK, R flag. */
const OUR_FLAGS = SrtFlag.TsbpdSnd | SrtFlag.TsbpdRcv | SrtFlag.TlPktDrop | SrtFlag.PeriodicNak | SrtFlag.RexmitFlag;

export type SrtRole = 'listener' | 'caller';
export type SrtConnectionState = 'induction' | 'conclusion' | 'connected' | 'closed';
export type SrtCloseReason = 'shutdown' | 'timeout' | 'rejected' | 'local';

export type SrtEvent =
  | { type: 'connected'; streamId: string; latencyMs: number; peerLatencyMs: number; encrypted: boolean }
  | { type: 'data'; payload: Buffer; seq: number; msgNo: number }
  | { type: 'key-installed'; keyFlags: number }
  | { type: 'closed'; reason: SrtCloseReason; error?: TsrsError; rejectCode?: number };

export interface SrtConnectionStats {
  state: SrtConnectionState;
  rttMs: number;
  rttVarMs: number;
  latencyMs: number;
  peerLatencyMs: number;
  /** Datagrams we could not use: malformed, wrong socket id, undecryptable. */
  ignored: number;
  undecryptable: number;
  receiver: ReceiverStats;
  sender: SenderStats;
  sendBuffered: number;
}

/** What the listener decided for one conclusion handshake; used to build the accepted connection. */
export interface AcceptedHandshake {
  peerHandshake: Handshake;
  /** Our conclusion response, as sent; repeated when the caller repeats its conclusion. */
  socketId: number;
  streamId: string;
  latencyUs: number;
  peerLatencyUs: number;
  peerFlags: number;
  cipher: SrtCipher | undefined;
  peerTimestamp: number;
}

function u32(random: (n: number) => Buffer): number {
  return random(4).readUInt32BE(0);
}

/** A fresh socket id: 31 bits, never 0 (0 addresses the listener). */
export function newSocketId(random: (n: number) => Buffer): number {
  return (u32(random) & 0x3fffffff) | 0x1;
}

export class SrtConnection {
  readonly role: SrtRole;
  readonly options: SrtOptions;
  readonly socketId: number;
  peerSocketId = 0;
  streamId = '';
  private stateValue: SrtConnectionState;
  private readonly startUs: number;
  private readonly rtt = new RttEstimator();
  private receiver: SrtReceiver | undefined;
  private sender: SrtSender | undefined;
  private cipher: SrtCipher | undefined;
  private out: Buffer[] = [];
  private lastRecvUs: number;
  private lastSentUs: number;
  private nowUs: number;
  private latencyUs = 0;
  private peerLatencyUs = 0;
  private ignored = 0;
  private undecryptable = 0;
  /** Caller: the handshake we repeat until answered; listener: our conclusion response. */
  private handshakeDatagram: Buffer | undefined;
  private handshakeSentUs = 0;
  private connectStartUs = 0;
  private initialSeq = 0;
  private cookie = 0;
  private events: SrtEvent[] = [];
  private readonly control: ControlOut;
  // Our own key refresh (sender side): packets sent with the current key, the next key's state.
  private txKeyFlag: number = KeyFlag.Even;
  private txPackets = 0;
  private pendingKm: { datagram: Buffer; sentUs: number } | undefined;

  private constructor(role: SrtRole, options: Partial<SrtOptions> | undefined, nowMs: number, socketId?: number) {
    this.role = role;
    this.options = withDefaults(options);
    validateOptions(this.options);
    this.nowUs = nowMs * 1000;
    this.startUs = this.nowUs;
    this.lastRecvUs = this.nowUs;
    this.lastSentUs = this.nowUs;
    this.socketId = socketId ?? newSocketId(this.options.random);
    this.stateValue = role === 'caller' ? 'induction' : 'connected';
    this.control = { sendControl: (type, typeInfo, cif, subtype) => this.sendControl(type, typeInfo, cif, subtype) };
  }

  /** A caller connection; the induction request is queued at once (takeOutgoing). */
  static connect(streamId: string, options: Partial<SrtOptions> | undefined, nowMs: number): SrtConnection {
    const c = new SrtConnection('caller', options, nowMs);
    c.streamId = streamId;
    c.initialSeq = u32(c.options.random) & 0x7fffffff;
    c.connectStartUs = c.nowUs;
    c.handshakeDatagram = c.encodeHs(
      {
        version: 4,
        encryption: 0,
        extensionField: UDT_DGRAM,
        initialSeq: c.initialSeq,
        mtu: c.options.mss,
        flowWindow: c.options.flowWindow,
        type: HandshakeType.Induction,
        socketId: c.socketId,
        cookie: 0,
        peerIp: Buffer.alloc(16),
        extensions: [],
      },
      0,
    );
    c.sendHandshake();
    return c;
  }

  /** A listener-side connection, already connected; made by SrtListener. */
  static accepted(a: AcceptedHandshake, response: Buffer, options: Partial<SrtOptions> | undefined, nowMs: number): SrtConnection {
    const c = new SrtConnection('listener', options, nowMs, a.socketId);
    c.peerSocketId = a.peerHandshake.socketId;
    c.streamId = a.streamId;
    c.cipher = a.cipher;
    c.handshakeDatagram = response;
    c.queue(response);
    c.establish(a.peerHandshake.initialSeq, a.latencyUs, a.peerLatencyUs, a.peerFlags, a.peerHandshake.flowWindow, a.peerTimestamp);
    return c;
  }

  get state(): SrtConnectionState {
    return this.stateValue;
  }

  get encrypted(): boolean {
    return this.cipher !== undefined;
  }

  private encodeHs(hs: Handshake, dest: number): Buffer {
    return encodeControlPacket({
      type: ControlType.Handshake,
      subtype: 0,
      typeInfo: 0,
      timestamp: this.timestamp(),
      destSocketId: dest,
      cif: encodeHandshake(hs),
    });
  }

  private timestamp(): number {
    return Math.max(0, Math.floor(this.nowUs - this.startUs)) % 0x1_0000_0000;
  }

  private queue(d: Buffer): void {
    this.out.push(d);
    this.lastSentUs = this.nowUs;
  }

  private sendControl(type: number, typeInfo: number, cif: Buffer, subtype = 0): void {
    if (this.stateValue === 'closed') return;
    this.queue(encodeControlPacket({ type, subtype, typeInfo, timestamp: this.timestamp(), destSocketId: this.peerSocketId, cif }));
  }

  private sendHandshake(): void {
    if (!this.handshakeDatagram) return;
    // Refresh the timestamp: the peer takes its TSBPD base from it.
    this.handshakeDatagram.writeUInt32BE(this.timestamp(), 8);
    this.queue(this.handshakeDatagram);
    this.handshakeSentUs = this.nowUs;
  }

  private establish(initialSeq: number, latencyUs: number, peerLatencyUs: number, peerFlags: number, peerFlowWindow: number, peerTs: number): void {
    this.stateValue = 'connected';
    this.initialSeq = initialSeq;
    this.latencyUs = latencyUs;
    this.peerLatencyUs = peerLatencyUs;
    const o = this.options;
    this.receiver = new SrtReceiver(
      {
        initialSeq,
        latencyUs,
        bufferPackets: o.rcvBufPackets,
        tlpktdrop: o.tlpktdrop && (peerFlags & SrtFlag.TlPktDrop) !== 0,
        periodicNak: o.nakReport,
      },
      this.rtt,
      this.control,
    );
    this.receiver.setTsbpdBase(this.nowUs, peerTs);
    this.sender = new SrtSender(
      {
        initialSeq,
        peerSocketId: this.peerSocketId,
        peerLatencyUs,
        bufferPackets: o.sndBufPackets,
        flowWindow: Math.max(2, Math.min(o.flowWindow, peerFlowWindow || o.flowWindow)),
        maxBwBps: o.maxBwBps,
        tlpktdrop: o.tlpktdrop && (peerFlags & SrtFlag.TlPktDrop) !== 0,
        startUs: this.startUs,
        encrypt: this.cipher ? (p, seq) => this.encryptPayload(p, seq) : undefined,
      },
      this.rtt,
      this.control,
    );
    this.events.push({
      type: 'connected',
      streamId: this.streamId,
      latencyMs: latencyUs / 1000,
      peerLatencyMs: peerLatencyUs / 1000,
      encrypted: this.cipher !== undefined,
    });
  }

  private encryptPayload(payload: Buffer, seq: number): { payload: Buffer; keyFlag: number } {
    const cipher = this.cipher!;
    this.refreshKeysIfDue();
    this.txPackets++;
    return { payload: cipher.crypt(payload, seq, this.txKeyFlag), keyFlag: this.txKeyFlag };
  }

  /**
   * Key refresh as the sender (§6.1.6): kmPreAnnounce packets before kmRefreshRate the other key is
   * made and announced by an in-band KMREQ; at kmRefreshRate we switch to it; kmPreAnnounce packets
   * later the old key is retired.
   */
  private refreshKeysIfDue(): void {
    const cipher = this.cipher!;
    const o = this.options;
    const other = this.txKeyFlag === KeyFlag.Even ? KeyFlag.Odd : KeyFlag.Even;
    if (this.txPackets === o.kmRefreshRate - o.kmPreAnnounce) {
      cipher.setKey(other, o.random(cipher.keyLength));
      this.announceKeys(KeyFlag.Even | KeyFlag.Odd);
    } else if (this.txPackets === o.kmRefreshRate) {
      this.txKeyFlag = other;
      this.txPackets = 0;
    } else if (this.txPackets === o.kmPreAnnounce && cipher.hasKey(other)) {
      cipher.dropKey(other);
      this.announceKeys(this.txKeyFlag);
    }
  }

  private announceKeys(keyFlags: number): void {
    const km = this.cipher!.makeKm(keyFlags);
    const d = encodeControlPacket({
      type: ControlType.UserDefined,
      subtype: KmCommand.KmReq,
      typeInfo: 0,
      timestamp: this.timestamp(),
      destSocketId: this.peerSocketId,
      cif: km,
    });
    this.pendingKm = { datagram: d, sentUs: this.nowUs };
    this.queue(d);
  }

  /** Handles one datagram from the peer. Bad packets are counted and ignored, never thrown. */
  receive(datagram: Buffer, nowMs: number): SrtEvent[] {
    this.nowUs = Math.max(this.nowUs, nowMs * 1000);
    if (this.stateValue === 'closed') return this.drainEvents();
    try {
      const p = decodePacket(datagram);
      if (p.kind === 'control' && p.type === ControlType.Handshake) this.onHandshake(p);
      else if (this.stateValue !== 'connected') this.ignored++;
      else if (p.destSocketId !== this.socketId) this.ignored++;
      else {
        this.lastRecvUs = this.nowUs;
        if (p.kind === 'data') this.onData(p);
        else this.onControl(p);
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.ignored++;
    }
    this.pump();
    return this.drainEvents();
  }

  private onData(p: DataPacket): void {
    if (p.keyFlag !== KeyFlag.None) {
      if (!this.cipher || !this.cipher.hasKey(p.keyFlag)) {
        this.undecryptable++;
        return;
      }
      p.payload = this.cipher.crypt(p.payload, p.seq, p.keyFlag);
    } else if (this.cipher) {
      // An encrypted session accepts no clear payloads.
      this.undecryptable++;
      return;
    }
    this.receiver!.onData(p, this.nowUs);
  }

  private onControl(p: ControlPacket): void {
    switch (p.type) {
      case ControlType.Keepalive:
        return;
      case ControlType.Ack:
        this.sender!.onAck(p.typeInfo, decodeAck(p.cif), this.nowUs);
        return;
      case ControlType.Nak:
        this.sender!.onNak(decodeLossList(p.cif), this.nowUs);
        return;
      case ControlType.AckAck:
        this.receiver!.onAckAck(p.typeInfo, p.timestamp, this.nowUs);
        return;
      case ControlType.DropReq:
        this.receiver!.onDropReq(decodeDropReq(p.cif));
        return;
      case ControlType.Shutdown:
        this.finish('shutdown', undefined, false);
        return;
      case ControlType.UserDefined:
        this.onUserDefined(p);
        return;
      default:
        // Congestion warning, peer error and unknown types carry nothing live mode acts on.
        return;
    }
  }

  /** In-band SRT commands: HSREQ from an HSv4 peer, key refresh KMREQ, and KMRSP to ours. */
  private onUserDefined(p: ControlPacket): void {
    if (p.subtype === ExtType.HsReq) {
      const info = decodeSrtInfo(p.cif);
      const latencyUs = Math.max(this.options.latencyMs, info.sendTsbpdDelayMs) * 1000;
      this.latencyUs = latencyUs;
      this.receiver!.setLatencyUs(latencyUs);
      this.sendControl(ControlType.UserDefined, 0, encodeSrtInfo({ srtVersion: SRT_VERSION, flags: OUR_FLAGS, recvTsbpdDelayMs: latencyUs / 1000, sendTsbpdDelayMs: 0 }), ExtType.HsRsp);
      return;
    }
    if (p.subtype === KmCommand.KmReq) {
      if (!this.cipher) {
        this.sendControl(ControlType.UserDefined, 0, kmStateWord(KmState.NoSecret), KmCommand.KmRsp);
        return;
      }
      const km = decodeKm(p.cif);
      try {
        this.cipher.installKm(km);
      } catch {
        this.sendControl(ControlType.UserDefined, 0, kmStateWord(KmState.BadSecret), KmCommand.KmRsp);
        return;
      }
      this.events.push({ type: 'key-installed', keyFlags: km.keyFlags });
      this.sendControl(ControlType.UserDefined, 0, Buffer.from(p.cif), KmCommand.KmRsp);
      return;
    }
    if (p.subtype === KmCommand.KmRsp) {
      this.pendingKm = undefined;
    }
  }

  private onHandshake(p: ControlPacket): void {
    const hs = decodeHandshake(p.cif);
    if (this.role === 'listener') {
      // The caller did not get our conclusion response: answer its repeat the same way.
      if (hs.type === HandshakeType.Conclusion && hs.socketId === this.peerSocketId && this.handshakeDatagram) {
        this.lastRecvUs = this.nowUs;
        this.queue(this.handshakeDatagram);
      } else this.ignored++;
      return;
    }
    if (this.stateValue === 'induction') {
      if (hs.type !== HandshakeType.Induction) return this.rejectedBy(hs);
      if (hs.version < 5 || hs.extensionField !== SRT_MAGIC) {
        this.finish('rejected', new ProtocolError(ErrorCode.SrtConn, 'srt: the listener does not speak HSv5'), true, REJECT_BASE + RejectReason.Version);
        return;
      }
      this.cookie = hs.cookie;
      this.stateValue = 'conclusion';
      this.handshakeDatagram = this.encodeHs(this.callerConclusion(hs), 0);
      this.sendHandshake();
      return;
    }
    if (this.stateValue === 'conclusion') {
      if (hs.type === HandshakeType.Induction) return; // a late repeat of the induction answer
      if (hs.type !== HandshakeType.Conclusion) return this.rejectedBy(hs);
      this.onConclusionResponse(hs, p.timestamp);
    }
  }

  private rejectedBy(hs: Handshake): void {
    if (hs.type >= REJECT_BASE) {
      this.finish('rejected', new ProtocolError(ErrorCode.SrtConn, `srt: connection rejected, code ${hs.type}`), false, hs.type);
    } else this.ignored++;
  }

  private callerConclusion(induction: Handshake): Handshake {
    const o = this.options;
    const extensions: HsExtension[] = [
      { type: ExtType.HsReq, data: encodeSrtInfo({ srtVersion: SRT_VERSION, flags: OUR_FLAGS, recvTsbpdDelayMs: o.latencyMs, sendTsbpdDelayMs: o.peerLatencyMs }) },
    ];
    let extensionField: number = HsExtFlag.HsReq;
    if (o.passphrase) {
      this.cipher = new SrtCipher(o.passphrase, o.pbKeyLen, o.random(16));
      this.cipher.setKey(KeyFlag.Even, o.random(o.pbKeyLen));
      extensions.push({ type: ExtType.KmReq, data: this.cipher.makeKm(KeyFlag.Even) });
      extensionField |= HsExtFlag.KmReq;
    }
    if (this.streamId) {
      extensions.push({ type: ExtType.Sid, data: encodeStreamIdExt(this.streamId) });
      extensionField |= HsExtFlag.Config;
    }
    return {
      version: 5,
      encryption: o.passphrase ? o.pbKeyLen / 8 : 0,
      extensionField,
      initialSeq: this.initialSeq,
      mtu: o.mss,
      flowWindow: o.flowWindow,
      type: HandshakeType.Conclusion,
      socketId: this.socketId,
      cookie: this.cookie,
      peerIp: induction.peerIp,
      extensions,
    };
  }

  private onConclusionResponse(hs: Handshake, peerTs: number): void {
    const rspExt = findExtension(hs, ExtType.HsRsp);
    if (!rspExt) throw new ProtocolError(ErrorCode.SrtConn, 'srt: conclusion response without HSRSP');
    const rsp: HsSrtInfo = decodeSrtInfo(rspExt.data);
    if (this.cipher) {
      const km = findExtension(hs, ExtType.KmRsp);
      if (!km || km.data.length <= 4) {
        const state = km && km.data.length === 4 ? km.data.readUInt32BE(0) : KmState.NoSecret;
        this.finish('rejected', new ProtocolError(ErrorCode.SrtConn, `srt: peer refused our keys (KM state ${state})`), true, REJECT_BASE + RejectReason.BadSecret);
        return;
      }
    }
    this.peerSocketId = hs.socketId;
    this.handshakeDatagram = undefined;
    // HSRSP: its receiver delay is what the peer holds (our send side); its sender delay is ours.
    const latencyUs = Math.max(this.options.latencyMs, rsp.sendTsbpdDelayMs) * 1000;
    const peerLatencyUs = Math.max(this.options.peerLatencyMs, rsp.recvTsbpdDelayMs) * 1000;
    this.establish(this.initialSeq, latencyUs, peerLatencyUs, rsp.flags, hs.flowWindow, peerTs);
  }

  /** Queues one live message (at most payloadSize bytes). Returns false when not connected. */
  send(payload: Buffer, nowMs: number): boolean {
    this.nowUs = Math.max(this.nowUs, nowMs * 1000);
    if (this.stateValue !== 'connected' || !this.sender) return false;
    if (payload.length > this.options.payloadSize) {
      throw new TsrsError(ErrorCode.SrtSockopt, `srt: payload of ${payload.length} bytes exceeds payloadsize ${this.options.payloadSize}`);
    }
    this.sender.send(payload, this.nowUs);
    this.pump();
    return true;
  }

  /** Timers: handshake retries, ACK/NAK, delivery, retransmission, keepalive, idle timeout. */
  handleTimeout(nowMs: number): SrtEvent[] {
    this.nowUs = Math.max(this.nowUs, nowMs * 1000);
    if (this.stateValue === 'closed') return this.drainEvents();
    if (this.stateValue === 'induction' || this.stateValue === 'conclusion') {
      if (this.nowUs - this.connectStartUs >= this.options.connectTimeoutMs * 1000) {
        this.finish('timeout', new TimeoutError('srt: connect timed out', { code: ErrorCode.SrtTimeout }), false);
      } else if (this.nowUs - this.handshakeSentUs >= HANDSHAKE_RETRY_US) this.sendHandshake();
      return this.drainEvents();
    }
    if (this.nowUs - this.lastRecvUs >= this.options.peerIdleTimeoutMs * 1000) {
      this.finish('timeout', new TimeoutError(`srt: peer idle for ${this.options.peerIdleTimeoutMs} ms`, { code: ErrorCode.SrtTimeout }), true);
      return this.drainEvents();
    }
    this.receiver!.tick(this.nowUs);
    if (this.pendingKm && this.nowUs - this.pendingKm.sentUs >= KM_RETRY_US) {
      this.pendingKm.sentUs = this.nowUs;
      this.queue(this.pendingKm.datagram);
    }
    this.pump();
    if (this.nowUs - this.lastSentUs >= KEEPALIVE_US) this.sendControl(ControlType.Keepalive, 0, Buffer.alloc(4));
    return this.drainEvents();
  }

  private pump(): void {
    if (this.stateValue !== 'connected') return;
    const delivered: Delivered[] = this.receiver!.deliver(this.nowUs);
    for (const d of delivered) this.events.push({ type: 'data', payload: d.payload, seq: d.seq, msgNo: d.msgNo });
    const before = this.out.length;
    this.sender!.poll(this.nowUs, this.out);
    if (this.out.length !== before) this.lastSentUs = this.nowUs;
  }

  /** Absolute time (ms, same clock as `now`) of the next handleTimeout call; undefined once closed. */
  nextTimeout(): number | undefined {
    if (this.stateValue === 'closed') return undefined;
    let t: number;
    if (this.stateValue !== 'connected') {
      t = Math.min(this.handshakeSentUs + HANDSHAKE_RETRY_US, this.connectStartUs + this.options.connectTimeoutMs * 1000);
    } else {
      t = Math.min(this.lastRecvUs + this.options.peerIdleTimeoutMs * 1000, this.lastSentUs + KEEPALIVE_US);
      t = Math.min(t, this.receiver!.nextTimeUs(this.nowUs));
      const s = this.sender!.nextTimeUs(this.nowUs);
      if (s !== undefined) t = Math.min(t, s);
      if (this.pendingKm) t = Math.min(t, this.pendingKm.sentUs + KM_RETRY_US);
    }
    return Math.max(t, this.nowUs) / 1000;
  }

  /** Datagrams to send, oldest first; the array is handed over. */
  takeOutgoing(): Buffer[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  /** Local close: a SHUTDOWN to the peer (when connected) and all buffers freed. Idempotent. */
  close(nowMs: number): SrtEvent[] {
    this.nowUs = Math.max(this.nowUs, nowMs * 1000);
    if (this.stateValue !== 'closed') this.finish('local', undefined, this.stateValue === 'connected');
    return this.drainEvents();
  }

  private finish(reason: SrtCloseReason, error: TsrsError | undefined, sendShutdown: boolean, rejectCode?: number): void {
    if (this.stateValue === 'closed') return;
    if (sendShutdown && this.peerSocketId) this.sendControl(ControlType.Shutdown, 0, Buffer.alloc(4));
    this.stateValue = 'closed';
    this.receiver = undefined;
    this.sender = undefined;
    this.handshakeDatagram = undefined;
    this.pendingKm = undefined;
    this.events.push({ type: 'closed', reason, error, rejectCode });
  }

  /** Events raised outside receive/handleTimeout, e.g. 'connected' of a connection SrtListener just made. */
  takeEvents(): SrtEvent[] {
    return this.drainEvents();
  }

  private drainEvents(): SrtEvent[] {
    if (!this.events.length) return this.events;
    const e = this.events;
    this.events = [];
    return e;
  }

  /** Packets in the send buffer not yet acknowledged: read per frame by a fan-out, so no stats object. */
  get sendBuffered(): number {
    return this.sender?.buffered ?? 0;
  }

  stats(): SrtConnectionStats {
    const emptyRx: ReceiverStats = { received: 0, delivered: 0, lost: 0, dropped: 0, duplicates: 0, outOfWindow: 0, retransmitted: 0, naksSent: 0, acksSent: 0 };
    const emptyTx: SenderStats = { sent: 0, retransmitted: 0, dropped: 0, overflowDropped: 0, naksReceived: 0, acksReceived: 0, ignoredNaks: 0 };
    return {
      state: this.stateValue,
      rttMs: this.rtt.rttUs / 1000,
      rttVarMs: this.rtt.rttVarUs / 1000,
      latencyMs: this.latencyUs / 1000,
      peerLatencyMs: this.peerLatencyUs / 1000,
      ignored: this.ignored,
      undecryptable: this.undecryptable,
      receiver: this.receiver ? { ...this.receiver.stats } : emptyRx,
      sender: this.sender ? { ...this.sender.stats } : emptyTx,
      sendBuffered: this.sender?.buffered ?? 0,
    };
  }
}

function kmStateWord(state: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(state, 0);
  return b;
}

export function validateOptions(o: SrtOptions): void {
  const fail = (m: string) => new TsrsError(ErrorCode.SrtSockopt, `srt: ${m}`);
  if (o.passphrase && (o.passphrase.length < 10 || o.passphrase.length > 79)) throw fail('passphrase must be 10..79 characters');
  if (o.pbKeyLen !== 16 && o.pbKeyLen !== 24 && o.pbKeyLen !== 32) throw fail(`pbkeylen ${o.pbKeyLen} (16, 24 or 32)`);
  if (o.mss < 76 || o.mss > 1500) throw fail(`mss ${o.mss} (76..1500)`);
  if (o.payloadSize < 1 || o.payloadSize > o.mss - 28 - HEADER_SIZE) throw fail(`payloadsize ${o.payloadSize} exceeds mss ${o.mss} - 44`);
  if (o.latencyMs < 0 || o.latencyMs > 0xffff || o.peerLatencyMs < 0 || o.peerLatencyMs > 0xffff) throw fail('latency out of range');
  if (o.rcvBufPackets < 32 || o.sndBufPackets < 32 || o.flowWindow < 32) throw fail('buffers must hold at least 32 packets');
  if (o.kmPreAnnounce < 1 || o.kmPreAnnounce * 2 > o.kmRefreshRate) throw fail('kmpreannounce must be at most half of kmrefreshrate');
}

