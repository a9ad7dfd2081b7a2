// The listening side of SRT (draft-sharabayko-srt §4.3.1): stateless until a caller proves its address
// with the SYN cookie. An induction gets the cookie; a conclusion carrying a valid cookie is checked
// (HSv5 HSREQ, stream id, key material, latency) and becomes a connected SrtConnection.

import { createHmac } from 'node:crypto';
import { ErrorCode, ProtocolError, TsrsError } from '../../core/errors.js';
import { SrtCipher, decodeKm } from './crypto.js';
import {
  ExtType,
  HandshakeType,
  HsExtFlag,
  REJECT_BASE,
  RejectReason,
  SRT_MAGIC,
  SRT_VERSION,
  SrtFlag,
  decodeHandshake,
  decodeSrtInfo,
  decodeStreamIdExt,
  encodeHandshake,
  encodePeerIp,
  encodeSrtInfo,
  findExtension,
  type Handshake,
  type HsExtension,
} from './handshake.js';
import { ControlType, decodePacket, encodeControlPacket } from './packet.js';
import { SrtConnection, newSocketId, validateOptions } from './connection.js';
import { withDefaults, type SrtOptions } from './options.js';

const COOKIE_BUCKET_MS = 60_000;
const OUR_FLAGS = SrtFlag.TsbpdSnd | SrtFlag.TsbpdRcv | SrtFlag.TlPktDrop | SrtFlag.PeriodicNak | SrtFlag.RexmitFlag;

export interface SrtPeer {
  address: string;
  port: number;
}

/** What the server may decide before a connection exists; a number rejects (RejectReason or >= 1000). */
export type SrtAcceptCheck = (request: { streamId: string; peer: SrtPeer; encrypted: boolean }) => number | undefined;

export interface SrtListenerStats {
  inductions: number;
  accepted: number;
  rejected: number;
  badCookies: number;
  ignored: number;
}

export type SrtListenResult =
  | { type: 'reply'; datagram: Buffer }
  | { type: 'accepted'; connection: SrtConnection; streamId: string }
  | { type: 'rejected'; datagram: Buffer; rejectCode: number; error: TsrsError }
  | { type: 'ignored'; error?: ProtocolError };

export class SrtListener {
  readonly options: SrtOptions;
  readonly stats: SrtListenerStats = { inductions: 0, accepted: 0, rejected: 0, badCookies: 0, ignored: 0 };
  private readonly secret: Buffer;
  private readonly listenerId: number;
  private readonly startMs: number;

  constructor(options: Partial<SrtOptions> | undefined, nowMs: number, private readonly check?: SrtAcceptCheck) {
    this.options = withDefaults(options);
    validateOptions(this.options);
    this.secret = this.options.random(16);
    this.listenerId = newSocketId(this.options.random);
    this.startMs = nowMs;
  }

  /** SYN cookie: a keyed hash of the peer address and a one-minute time bucket. */
  cookieFor(peer: SrtPeer, nowMs: number, bucketOffset = 0): number {
    const bucket = Math.floor(nowMs / COOKIE_BUCKET_MS) + bucketOffset;
    return createHmac('sha1', this.secret).update(`${peer.address}|${peer.port}|${bucket}`).digest().readUInt32BE(0);
  }

  /** One datagram from a peer that has no connection yet. Never throws on peer input. */
  receive(datagram: Buffer, peer: SrtPeer, nowMs: number): SrtListenResult {
    let hs: Handshake;
    let timestamp: number;
    try {
      const p = decodePacket(datagram);
      if (p.kind !== 'control' || p.type !== ControlType.Handshake) {
        this.stats.ignored++;
        return { type: 'ignored' };
      }
      hs = decodeHandshake(p.cif);
      timestamp = p.timestamp;
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.stats.ignored++;
      return { type: 'ignored', error: err };
    }
    if (hs.type === HandshakeType.Induction) return this.onInduction(hs, peer, nowMs);
    if (hs.type === HandshakeType.Conclusion) return this.onConclusion(hs, timestamp, peer, nowMs);
    this.stats.ignored++;
    return { type: 'ignored' };
  }

  private onInduction(hs: Handshake, peer: SrtPeer, nowMs: number): SrtListenResult {
    this.stats.inductions++;
    const o = this.options;
    const reply: Handshake = {
      version: 5,
      encryption: o.passphrase ? o.pbKeyLen / 8 : 0,
      extensionField: SRT_MAGIC,
      initialSeq: hs.initialSeq,
      mtu: o.mss,
      flowWindow: o.flowWindow,
      type: HandshakeType.Induction,
      socketId: this.listenerId,
      cookie: this.cookieFor(peer, nowMs),
      peerIp: encodePeerIp(peer.address),
      extensions: [],
    };
    return { type: 'reply', datagram: this.packet(reply, hs.socketId, nowMs) };
  }

  private packet(hs: Handshake, dest: number, nowMs: number, timestamp?: number): Buffer {
    return encodeControlPacket({
      type: ControlType.Handshake,
      subtype: 0,
      typeInfo: 0,
      timestamp: timestamp ?? Math.floor((nowMs - this.startMs) * 1000) % 0x1_0000_0000,
      destSocketId: dest,
      cif: encodeHandshake(hs),
    });
  }

  private reject(hs: Handshake, peer: SrtPeer, nowMs: number, reason: number, why: string): SrtListenResult {
    this.stats.rejected++;
    const code = reason >= REJECT_BASE ? reason : REJECT_BASE + reason;
    const reply: Handshake = { ...hs, version: 5, extensionField: 0, type: code, socketId: 0, peerIp: encodePeerIp(peer.address), extensions: [] };
    return {
      type: 'rejected',
      datagram: this.packet(reply, hs.socketId, nowMs),
      rejectCode: code,
      error: new TsrsError(ErrorCode.SrtConn, `srt: rejected ${peer.address}:${peer.port}: ${why}`),
    };
  }

  private onConclusion(hs: Handshake, peerTs: number, peer: SrtPeer, nowMs: number): SrtListenResult {
    if (hs.cookie !== this.cookieFor(peer, nowMs) && hs.cookie !== this.cookieFor(peer, nowMs, -1)) {
      // A wrong cookie gets no answer: answering would let a spoofed address reflect traffic.
      this.stats.badCookies++;
      return { type: 'ignored', error: new ProtocolError(ErrorCode.SrtConn, 'srt: conclusion with a wrong SYN cookie') };
    }
    const o = this.options;
    let peerFlags = OUR_FLAGS;
    let latencyMs = o.latencyMs;
    let peerLatencyMs = o.peerLatencyMs;
    let streamId = '';
    let cipher: SrtCipher | undefined;
    const extensions: HsExtension[] = [];
    let extensionField = 0;
    if (hs.version >= 5) {
      const req = findExtension(hs, ExtType.HsReq);
      if (!req) return this.reject(hs, peer, nowMs, RejectReason.Rogue, 'HSv5 conclusion without HSREQ');
      let info;
      let sid: string;
      try {
        info = decodeSrtInfo(req.data);
        const sidExt = findExtension(hs, ExtType.Sid);
        sid = sidExt ? decodeStreamIdExt(sidExt.data) : '';
      } catch (err) {
        return this.reject(hs, peer, nowMs, RejectReason.Rogue, (err as Error).message);
      }
      streamId = sid;
      if (info.flags & SrtFlag.Stream) return this.reject(hs, peer, nowMs, RejectReason.MessageApi, 'stream (file) mode is not supported');
      peerFlags = info.flags;
      // TSBPD both ways: each receiver waits the larger of what it wants and what the sender asks (§4.4).
      latencyMs = Math.max(o.latencyMs, info.sendTsbpdDelayMs);
      peerLatencyMs = Math.max(o.peerLatencyMs, info.recvTsbpdDelayMs);
      const kmExt = findExtension(hs, ExtType.KmReq);
      if (kmExt && !o.passphrase) return this.reject(hs, peer, nowMs, RejectReason.Unsecure, 'peer encrypts, we have no passphrase');
      if (!kmExt && o.passphrase) return this.reject(hs, peer, nowMs, RejectReason.Unsecure, 'a passphrase is set, the peer does not encrypt');
      extensions.push({
        type: ExtType.HsRsp,
        data: encodeSrtInfo({ srtVersion: SRT_VERSION, flags: OUR_FLAGS, recvTsbpdDelayMs: latencyMs, sendTsbpdDelayMs: peerLatencyMs }),
      });
      extensionField |= HsExtFlag.HsReq;
      if (kmExt) {
        try {
          const km = decodeKm(kmExt.data);
          cipher = new SrtCipher(o.passphrase, km.keyLength, km.salt);
          cipher.installKm(km);
        } catch (err) {
          return this.reject(hs, peer, nowMs, RejectReason.BadSecret, (err as Error).message);
        }
        extensions.push({ type: ExtType.KmRsp, data: kmExt.data });
        extensionField |= HsExtFlag.KmReq;
      }
    } else if (o.passphrase) {
      return this.reject(hs, peer, nowMs, RejectReason.Unsecure, 'HSv4 peer cannot meet the passphrase');
    }
    const verdict = this.check?.({ streamId, peer, encrypted: cipher !== undefined });
    if (verdict !== undefined) return this.reject(hs, peer, nowMs, verdict, `refused stream id ${JSON.stringify(streamId)}`);

    const socketId = newSocketId(o.random);
    const reply: Handshake = {
      version: hs.version >= 5 ? 5 : 4,
      encryption: 0,
      extensionField,
      initialSeq: hs.initialSeq,
      mtu: Math.min(o.mss, hs.mtu || o.mss),
      flowWindow: o.flowWindow,
      type: HandshakeType.Conclusion,
      socketId,
      cookie: hs.cookie,
      peerIp: encodePeerIp(peer.address),
      extensions,
    };
    const connection = SrtConnection.accepted(
      { peerHandshake: hs, socketId, streamId, latencyUs: latencyMs * 1000, peerLatencyUs: peerLatencyMs * 1000, peerFlags, cipher, peerTimestamp: peerTs },
      this.packet(reply, hs.socketId, nowMs, 0),
      o,
      nowMs,
    );
    this.stats.accepted++;
    return { type: 'accepted', connection, streamId };
  }
}
