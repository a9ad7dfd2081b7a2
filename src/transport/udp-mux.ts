// One UDP port for every WebRTC peer (issue 15; SRS `rtc_server.listen`): STUN, DTLS, SRTP and SRTCP of
// all sessions arrive on the same socket. A datagram is classified by its first byte (RFC 7983), then
// routed by its 5-tuple to the session that owns that address. An address we do not know yet may only
// bring STUN: its USERNAME (`<our ufrag>:<peer ufrag>`, RFC 8445 §7.2.2) names the session, which checks
// the MESSAGE-INTEGRITY and only then binds the address (`bind`) — so a spoofed packet cannot steal a
// session, and a peer whose address changes keeps its session (SRS's "client address changing").
//
// Node 20 has no SO_REUSEPORT for UDP: one process owns the port (see docs/webrtc.md).
import dgram from 'node:dgram';
import type { Logger } from '../core/logger.js';
import { classifyPacket, looksLikeStun, type UdpPacketKind } from '../protocol/stun/index.js';

/** Where a datagram came from (and where an answer goes). */
export interface UdpPeerAddress {
  readonly family: 'IPv4' | 'IPv6';
  readonly address: string;
  readonly port: number;
}

/** A session's side of the mux. */
export interface UdpPeer {
  /** One datagram of this peer; `kind` from the RFC 7983 classifier. Must not throw. */
  onDatagram(buf: Buffer, kind: UdpPacketKind, from: UdpPeerAddress): void;
}

/** The key of an address in the 5-tuple table (the local side is the one socket). */
export function addressKey(a: { address: string; port: number }): string {
  return `${a.address}|${a.port}`;
}

/**
 * The local ufrag of a STUN Binding request's USERNAME, read without decoding the whole message
 * (attribute walk, RFC 8489 §14); undefined when there is none.
 */
export function stunLocalUfrag(buf: Buffer): string | undefined {
  if (!looksLikeStun(buf)) return undefined;
  let p = 20;
  while (p + 4 <= buf.length) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    if (p + 4 + len > buf.length) return undefined;
    if (type === 0x0006) {
      const username = buf.toString('utf8', p + 4, p + 4 + len);
      const colon = username.indexOf(':');
      return colon > 0 ? username.slice(0, colon) : undefined;
    }
    p += 4 + ((len + 3) & ~3);
  }
  return undefined;
}

/** Counters for logs and tests. */
export interface UdpMuxCounters {
  received: number;
  /** Datagrams from an unknown address that were not STUN naming a known ufrag. */
  unrouted: number;
  sent: number;
  sendErrors: number;
}

/**
 * The routing tables, without a socket (unit-testable with byte fixtures): by address, then by ufrag.
 */
export class UdpDemux {
  private readonly byAddress = new Map<string, UdpPeer>();
  private readonly byUfrag = new Map<string, UdpPeer>();
  readonly counters: UdpMuxCounters = { received: 0, unrouted: 0, sent: 0, sendErrors: 0 };

  /** A session waits for checks naming this ufrag. */
  addUfrag(ufrag: string, peer: UdpPeer): void {
    this.byUfrag.set(ufrag, peer);
  }

  /** The session verified a check from this address: later packets from it go straight to it. */
  bind(from: UdpPeerAddress, peer: UdpPeer): void {
    this.byAddress.set(addressKey(from), peer);
  }

  /** The session is gone: its ufrag and every address bound to it. */
  remove(ufrag: string, peer: UdpPeer): void {
    if (this.byUfrag.get(ufrag) === peer) this.byUfrag.delete(ufrag);
    for (const [k, p] of this.byAddress) if (p === peer) this.byAddress.delete(k);
  }

  get sessions(): number {
    return this.byUfrag.size;
  }

  /** Route one datagram; returns the peer it went to, or null (dropped). */
  route(buf: Buffer, from: UdpPeerAddress): UdpPeer | null {
    this.counters.received++;
    const kind = classifyPacket(buf);
    let peer = this.byAddress.get(addressKey(from));
    if (peer === undefined || kind === 'stun') {
      // STUN always goes by its USERNAME: a peer may move to a new address (or share a NAT binding).
      const ufrag = kind === 'stun' ? stunLocalUfrag(buf) : undefined;
      const named = ufrag !== undefined ? this.byUfrag.get(ufrag) : undefined;
      if (named !== undefined) peer = named;
    }
    if (peer === undefined) {
      this.counters.unrouted++;
      return null;
    }
    peer.onDatagram(buf, kind, from);
    return peer;
  }
}

export interface UdpMuxOptions {
  port: number;
  /** IPv4 bind address; default all interfaces. */
  host?: string;
  /** Also bind `::` on the same port (best effort). */
  ipv6?: boolean;
}

/** The socket(s) of `rtc_server.listen` and the demux. */
export class UdpMux extends UdpDemux {
  private sockets: dgram.Socket[] = [];
  private boundPort = 0;

  constructor(private readonly log: Logger) {
    super();
  }

  get port(): number {
    return this.boundPort;
  }

  async listen(o: UdpMuxOptions): Promise<number> {
    const v4 = await this.open('udp4', o.host ?? '0.0.0.0', o.port);
    this.boundPort = v4.address().port;
    if (o.ipv6) {
      try {
        await this.open('udp6', '::', this.boundPort, true);
      } catch (err) {
        this.log.warn(`rtc: no IPv6 UDP on port ${this.boundPort}: ${(err as Error).message}`);
      }
    }
    return this.boundPort;
  }

  private open(type: 'udp4' | 'udp6', host: string, port: number, ipv6Only = false): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket({ type, ipv6Only, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
      s.once('error', reject);
      s.on('message', (buf, rinfo) => {
        try {
          this.route(buf, { family: rinfo.family as 'IPv4' | 'IPv6', address: rinfo.address, port: rinfo.port });
        } catch (err) {
          this.log.warn(`rtc: datagram from ${rinfo.address}:${rinfo.port} dropped: ${(err as Error).message}`);
        }
      });
      s.bind(port, host, () => {
        s.off('error', reject);
        s.on('error', (err) => this.log.warn(`rtc: UDP socket error: ${err.message}`));
        this.sockets.push(s);
        resolve(s);
      });
    });
  }

  /** Send one datagram (the buffer must not change until the callback: callers pass their own copy). */
  send(buf: Buffer, to: UdpPeerAddress, length = buf.length): void {
    const s = this.sockets.find((x) => (to.family === 'IPv6') === (x.address().family === 'IPv6')) ?? this.sockets[0];
    if (!s) return;
    this.counters.sent++;
    s.send(buf, 0, length, to.port, to.address, (err) => {
      if (err) this.counters.sendErrors++;
    });
  }

  close(): void {
    for (const s of this.sockets) s.close();
    this.sockets = [];
  }
}
