// One UDP socket for a datagram protocol (SRT): bind, datagrams in, datagrams out. The protocol layer
// does the rest; this file only owns the socket.
//
// Node 20 has no SO_REUSEPORT for UDP, and node:cluster would share one socket and hand each datagram to
// any worker (splitting a connection). So with several workers the port is bound `exclusive`: the first
// worker to bind owns it, and bindUdp reports `null` to the others (EADDRINUSE) so they can retry later.
import dgram from 'node:dgram';

export interface UdpPeer {
  address: string;
  port: number;
}

export class UdpEndpoint {
  private closed = false;
  bytesIn = 0;
  bytesOut = 0;

  private constructor(private readonly socket: dgram.Socket) {}

  /** Bind `port` on `host`; null when `exclusive` and another process owns the port. */
  static async bind(o: { host: string; port: number; exclusive: boolean; onMessage: (msg: Buffer, from: UdpPeer) => void; onError: (err: Error) => void }): Promise<UdpEndpoint | null> {
    const socket = dgram.createSocket({ type: o.host.includes(':') ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: o.host, port: o.port, exclusive: o.exclusive }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      socket.close();
      if (o.exclusive && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') return null;
      throw err;
    }
    const ep = new UdpEndpoint(socket);
    socket.on('message', (msg, rinfo) => {
      ep.bytesIn += msg.length;
      o.onMessage(msg, rinfo);
    });
    socket.on('error', o.onError);
    return ep;
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(datagram: Buffer, to: UdpPeer): void {
    if (this.closed) return;
    this.bytesOut += datagram.length;
    this.socket.send(datagram, to.port, to.address);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
