// One WebRTC peer on the shared UDP port (issue 15): ICE-lite (answer Binding requests, end after
// `stun_timeout` without them), DTLS 1.2 (werift-dtls; server role unless `dtls_role active` or the
// offer says otherwise), SRTP keys from the DTLS exporter (RFC 5764 §4.2), then RTP out and SRTCP in.
//
// States: `ice` (waiting for the first valid check) → `dtls` (handshake) → `connected` (SRTP ready,
// media flows) → `closed`. Any state → closed on stun timeout, DTLS failure, a wrong fingerprint,
// DELETE, kick or server stop.
import { createHash } from 'node:crypto';
import { ErrorCode, ProtocolError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { SdpFingerprint } from '../../protocol/sdp/index.js';
import { buildBindingError, buildBindingSuccess, checkBindingRequest, decodeStun, type UdpPacketKind } from '../../protocol/stun/index.js';
import type { UdpPeer, UdpPeerAddress } from '../../transport/udp-mux.js';
import type { DtlsCertificate } from './dtls-certificate.js';
import { DtlsClient, DtlsServer, HashAlgorithm, SignatureAlgorithm, SrtcpSession, SrtpProfile, type DtlsSocket } from './werift.js';
import { SrtpProtector } from './srtp-protect.js';

export type RtcSessionState = 'ice' | 'dtls' | 'connected' | 'closed';

/** What a session needs from the UDP port. */
export interface RtcSessionPort {
  bind(from: UdpPeerAddress, peer: UdpPeer): void;
  send(buf: Buffer, to: UdpPeerAddress): void;
}

export interface RtcSessionOptions {
  id: string;
  localUfrag: string;
  localPwd: string;
  remoteFingerprint: SdpFingerprint;
  localSetup: 'active' | 'passive';
  cert: DtlsCertificate;
  stunTimeoutMs: number;
  now(): number;
  log: Logger;
}

/** What the owner hears from a session. */
export interface RtcSessionEvents {
  /** SRTP is ready: media may flow. */
  onConnected(session: RtcSession): void;
  /** Decrypted RTCP from the peer (compound). */
  onRtcp(session: RtcSession, rtcp: Buffer): void;
  /** The session ended (once). */
  onClosed(session: RtcSession, reason: string): void;
}

export class RtcSession implements UdpPeer {
  state: RtcSessionState = 'ice';
  /** Where the peer is: the address of the last nominated (or first valid) check. */
  remote: UdpPeerAddress | null = null;
  private lastStunAt: number;
  private dtls: DtlsSocket | null = null;
  /** The transport werift reads from: incoming DTLS records are handed to its onData. */
  private dtlsIn: ((data: Buffer, addr: unknown) => void) | null = null;
  private srtp: SrtpProtector | null = null;
  private srtcp: SrtcpSession | null = null;
  /** SRTP profile negotiated by DTLS (use_srtp). */
  srtpProfile = 0;
  bytesSent = 0;
  bytesReceived = 0;
  readonly createdAt: number;

  constructor(
    readonly o: RtcSessionOptions,
    private readonly port: RtcSessionPort,
    private readonly events: RtcSessionEvents,
  ) {
    this.createdAt = o.now();
    this.lastStunAt = this.createdAt;
  }

  get id(): string {
    return this.o.id;
  }

  onDatagram(buf: Buffer, kind: UdpPacketKind, from: UdpPeerAddress): void {
    if (this.state === 'closed') return;
    this.bytesReceived += buf.length;
    try {
      if (kind === 'stun') this.onStun(buf, from);
      else if (kind === 'dtls') this.onDtls(buf, from);
      else if (kind === 'rtcp') this.onSrtcp(buf);
      // SRTP from a player (none in play sessions) and anything else is ignored.
    } catch (err) {
      this.o.log.warn(`rtc session ${this.id}: ${kind} from ${from.address}:${from.port} dropped: ${errorMessage(err)}`);
    }
  }

  /** Called about once a second by the owner: the ICE consent timeout (RFC 7675, SRS stun_timeout). */
  tick(now: number): void {
    if (this.state === 'closed') return;
    if (now - this.lastStunAt > this.o.stunTimeoutMs) this.close(`no STUN binding request for ${this.o.stunTimeoutMs} ms (stun_timeout)`);
  }

  private onStun(buf: Buffer, from: UdpPeerAddress): void {
    const packet = decodeStun(buf);
    if (packet.messageClass !== 'request') return; // a lite agent sends no requests, so expects no answers
    let check;
    try {
      check = checkBindingRequest(packet, this.o.localPwd, this.o.localUfrag);
    } catch (err) {
      // 401 for a credential problem, as RFC 8489 §9.1.3 asks; the request was not from our peer.
      this.port.send(buildBindingError(packet, { code: 401, reason: 'Unauthorized' }), from);
      throw err;
    }
    if (check.roleConflict) {
      this.port.send(buildBindingError(packet, { code: 487, reason: 'Role Conflict' }, this.o.localPwd), from);
      return;
    }
    this.lastStunAt = this.o.now();
    this.port.bind(from, this);
    this.port.send(buildBindingSuccess(packet, { family: from.family, address: from.address, port: from.port }, this.o.localPwd), from);
    const moved = this.remote !== null && (this.remote.address !== from.address || this.remote.port !== from.port);
    if (this.remote === null || (check.useCandidate && moved)) {
      if (moved) this.o.log.trace(`rtc session ${this.id}: peer moved to ${from.address}:${from.port}`);
      this.remote = from;
    }
    if (this.state === 'ice') {
      this.state = 'dtls';
      this.startDtls();
    }
  }

  private startDtls(): void {
    const session = this;
    const transport = {
      type: 'udp',
      closed: false,
      address: { address: '0.0.0.0', family: 'IPv4', port: 0 },
      onData: (_data: Buffer, _addr: unknown): void => {},
      send: async (data: Buffer): Promise<void> => {
        if (session.remote && session.state !== 'closed') {
          session.bytesSent += data.length;
          session.port.send(data, session.remote);
        }
      },
      close: async (): Promise<void> => {},
    };
    const options = {
      transport: transport as never,
      cert: this.o.cert.certPem,
      key: this.o.cert.keyPem,
      signatureHash: { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 },
      // AEAD_AES_128_GCM first: one cipher call per packet (issue 15); AES_CM_128_HMAC_SHA1_80 for the rest.
      srtpProfiles: [SrtpProfile.AeadAes128Gcm, SrtpProfile.AesCm128HmacSha1_80] as never,
      certificateRequest: true,
      extendedMasterSecret: true,
    };
    this.dtlsIn = (data, addr) => transport.onData(data, addr);
    const dtls = this.o.localSetup === 'active' ? new DtlsClient(options) : new DtlsServer(options);
    this.dtls = dtls;
    dtls.onConnect.subscribe(() => this.onDtlsConnected());
    dtls.onError.subscribe((err: Error) => this.close(`DTLS: ${err.message}`));
    dtls.onClose.subscribe(() => this.close('DTLS close_notify from the peer'));
    if (dtls instanceof DtlsClient) dtls.connect().catch((err: unknown) => this.close(`DTLS connect: ${errorMessage(err)}`));
  }

  private onDtls(buf: Buffer, from: UdpPeerAddress): void {
    if (!this.dtlsIn) throw new ProtocolError(ErrorCode.RtcDtls, 'DTLS before any valid STUN check');
    this.dtlsIn(buf, { address: from.address, port: from.port });
  }

  private onDtlsConnected(): void {
    if (this.state !== 'dtls' || !this.dtls) return;
    try {
      this.checkFingerprint(this.dtls.remoteCertificate);
      const profile = this.dtls.srtp.srtpProfile ?? 0;
      const gcm = profile === SrtpProfile.AeadAes128Gcm;
      if (!gcm && profile !== SrtpProfile.AesCm128HmacSha1_80) throw new ProtocolError(ErrorCode.RtcSrtpInit, `no SRTP profile negotiated (use_srtp ${profile})`);
      const k = this.dtls.extractSessionKeys(16, gcm ? 12 : 14);
      const keys = { localMasterKey: k.localKey, localMasterSalt: k.localSalt, remoteMasterKey: k.remoteKey, remoteMasterSalt: k.remoteSalt };
      this.srtp = new SrtpProtector(keys, profile);
      this.srtcp = new SrtcpSession({ keys, profile });
      this.srtpProfile = profile;
    } catch (err) {
      this.close(errorMessage(err));
      return;
    }
    this.state = 'connected';
    this.o.log.trace(`rtc session ${this.id}: DTLS done, SRTP ${this.srtpProfile === SrtpProfile.AeadAes128Gcm ? 'AEAD_AES_128_GCM' : 'AES_CM_128_HMAC_SHA1_80'}, peer ${this.remote?.address}:${this.remote?.port}`);
    this.events.onConnected(this);
  }

  /** RFC 8122 §5 / RFC 5763 §5: the certificate the peer showed must be the one its SDP named. */
  private checkFingerprint(der: Buffer | undefined): void {
    if (!der) throw new ProtocolError(ErrorCode.RtcDtls, 'DTLS: the peer sent no certificate');
    const algorithm = this.o.remoteFingerprint.algorithm.toLowerCase().replace('-', '');
    let got: string;
    try {
      got = createHash(algorithm).update(der).digest('hex');
    } catch {
      throw new ProtocolError(ErrorCode.RtcDtls, `DTLS: unsupported fingerprint hash ${this.o.remoteFingerprint.algorithm}`);
    }
    const want = this.o.remoteFingerprint.value.replace(/:/g, '').toLowerCase();
    if (got !== want) throw new ProtocolError(ErrorCode.RtcDtls, `DTLS: certificate fingerprint ${got} does not match the SDP's ${want}`);
  }

  private onSrtcp(buf: Buffer): void {
    if (!this.srtcp) return;
    let rtcp: Buffer;
    try {
      rtcp = this.srtcp.decrypt(buf);
    } catch (err) {
      throw new ProtocolError(ErrorCode.RtcSrtpUnprotect, `SRTCP unprotect: ${errorMessage(err)}`);
    }
    this.events.onRtcp(this, rtcp);
  }

  /**
   * Protect one RTP packet (`headerLength` bytes of header and extensions, then the payload) and send it;
   * returns the SRTP bytes (for the NACK history), or null when the session cannot send.
   */
  sendRtp(packet: Buffer, headerLength: number): Buffer | null {
    if (this.state !== 'connected' || !this.srtp || !this.remote) return null;
    const out = this.srtp.protect(packet, headerLength);
    this.bytesSent += out.length;
    this.port.send(out, this.remote);
    return out;
  }

  /** Send already-protected bytes again (a NACKed packet). */
  resend(srtpPacket: Buffer): void {
    if (this.state !== 'connected' || !this.remote) return;
    this.bytesSent += srtpPacket.length;
    this.port.send(srtpPacket, this.remote);
  }

  sendRtcp(rtcp: Buffer): void {
    if (this.state !== 'connected' || !this.srtcp || !this.remote) return;
    const out = this.srtcp.encrypt(rtcp);
    this.bytesSent += out.length;
    this.port.send(out, this.remote);
  }

  close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    try {
      this.dtls?.close();
    } catch {
      // werift may throw on a socket that never finished its handshake; nothing to clean then.
    }
    this.o.log.trace(`rtc session ${this.id} closed: ${reason}`);
    this.events.onClosed(this, reason);
  }
}
