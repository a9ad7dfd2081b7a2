// SRTP protect for the send path (RFC 3711 §3.1, RFC 7714 §8): one call per packet straight from the
// viewer's RTP bytes, with no header object in between. The session keys come from werift's SRTP
// context (its RFC 3711 §4.3 key derivation, already checked against browsers); this file only does the
// per-packet work. Measured cost: docs/webrtc.md.
import { createCipheriv, createHmac } from 'node:crypto';
import { SrtpProfile, SrtpSession } from './werift.js';

export interface SrtpMasterKeys {
  localMasterKey: Buffer;
  localMasterSalt: Buffer;
  remoteMasterKey: Buffer;
  remoteMasterSalt: Buffer;
}

const GCM_TAG = 16;
const HMAC_TAG = 10;

/** Per-SSRC rollover counter of the packets we send (RFC 3711 §3.3.1): +1 when the sequence wraps. */
class Rollover {
  private last = -1;
  roc = 0;
  update(seq: number): number {
    if (this.last >= 0 && seq < this.last && this.last - seq > 0x8000) this.roc = (this.roc + 1) >>> 0;
    this.last = seq;
    return this.roc;
  }
}

export class SrtpProtector {
  private readonly key: Buffer;
  private readonly salt: Buffer;
  private readonly authKey: Buffer;
  private readonly gcm: boolean;
  private readonly iv: Buffer;
  private readonly rocs = new Map<number, Rollover>();

  constructor(keys: SrtpMasterKeys, profile: number) {
    // werift derives the session keys (RFC 3711 §4.3.1 AES-CM PRF, labels 0/1/2) when its context is made.
    const ctx = new SrtpSession({ keys, profile }).localContext;
    this.key = ctx.srtpSessionKey;
    this.salt = ctx.srtpSessionSalt;
    this.authKey = ctx.srtpSessionAuthTag;
    this.gcm = profile === SrtpProfile.AeadAes128Gcm;
    this.iv = Buffer.alloc(this.gcm ? 12 : 16);
  }

  /** Bytes protect adds after the payload. */
  get overhead(): number {
    return this.gcm ? GCM_TAG : HMAC_TAG;
  }

  /**
   * Protects `packet` (an RTP packet whose header, with extensions, is `headerLength` bytes) into a new
   * buffer (the datagram handed to the socket, which it keeps until sent).
   */
  protect(packet: Buffer, headerLength: number): Buffer {
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    let r = this.rocs.get(ssrc);
    if (r === undefined) {
      r = new Rollover();
      this.rocs.set(ssrc, r);
    }
    const roc = r.update(seq);
    const out = Buffer.allocUnsafe(packet.length + this.overhead);
    packet.copy(out, 0, 0, headerLength);
    const iv = this.iv;
    this.salt.copy(iv, 0, 0, iv.length);
    if (this.gcm) {
      // RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; AAD = the header.
      iv.writeUInt32BE((iv.readUInt32BE(2) ^ ssrc) >>> 0, 2);
      iv.writeUInt32BE((iv.readUInt32BE(6) ^ roc) >>> 0, 6);
      iv.writeUInt16BE(iv.readUInt16BE(10) ^ seq, 10);
      const c = createCipheriv('aes-128-gcm', this.key, iv);
      c.setAAD(packet.subarray(0, headerLength));
      const enc = c.update(packet.subarray(headerLength));
      enc.copy(out, headerLength);
      c.final();
      c.getAuthTag().copy(out, packet.length);
      return out;
    }
    // RFC 3711 §4.1.1: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16); then HMAC-SHA1 over
    // header || encrypted payload || ROC, 80 bits kept (§4.2).
    iv.writeUInt16BE(0, 14);
    iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
    iv.writeUInt32BE((iv.readUInt32BE(8) ^ roc) >>> 0, 8);
    iv.writeUInt16BE(iv.readUInt16BE(12) ^ seq, 12);
    const c = createCipheriv('aes-128-ctr', this.key, iv);
    const enc = c.update(packet.subarray(headerLength));
    enc.copy(out, headerLength);
    const mac = createHmac('sha1', this.authKey);
    mac.update(out.subarray(0, packet.length));
    const rocBytes = this.iv.subarray(0, 4);
    rocBytes.writeUInt32BE(roc, 0);
    mac.update(rocBytes);
    mac.digest().copy(out, packet.length, 0, HMAC_TAG);
    return out;
  }
}
