// The one TCP pump every TCP protocol uses: socket <-> handler, merged writes, idempotent close.
import net from 'node:net';

export interface ConnectionHandler {
  onData(bytes: Buffer): void;
  /** Called once, after the socket is gone. */
  onClose(reason: string): void;
  /** The socket's send buffer drained (a slow reader caught up). */
  onDrain?(): void;
}

export class TcpConnection {
  private handler: ConnectionHandler | null = null;
  private closed = false;
  bytesIn = 0;
  bytesOut = 0;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;

  constructor(readonly socket: net.Socket) {
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    socket.on('data', (bytes: Buffer) => {
      this.bytesIn += bytes.length;
      if (this.closed || !this.handler) return;
      this.handler.onData(bytes);
    });
    socket.on('drain', () => this.handler?.onDrain?.());
    socket.on('error', (err: NodeJS.ErrnoException) => this.close(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'peer reset' : `socket error: ${err.message}`));
    socket.on('end', () => this.close('peer closed'));
    socket.on('close', () => this.close('closed'));
  }

  attach(handler: ConnectionHandler): void {
    this.handler = handler;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes handed to the socket that the kernel has not taken yet. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /** Write several buffers as one writev. Returns false when the socket wants the writer to wait. */
  write(buffers: Buffer[]): boolean {
    if (this.closed || buffers.length === 0) return !this.closed;
    let n = 0;
    this.socket.cork();
    for (const b of buffers) {
      n += b.length;
      this.socket.write(b);
    }
    this.socket.uncork();
    this.bytesOut += n;
    return !this.socket.writableNeedDrain;
  }

  setNoDelay(on: boolean): void {
    this.socket.setNoDelay(on);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.closed) this.socket.resume();
  }

  /** Close once; flushes what was written unless `hard`. */
  close(reason: string, hard = false): void {
    if (this.closed) return;
    this.closed = true;
    if (hard) this.socket.destroy();
    else {
      this.socket.end();
      // A peer that never reads would keep the socket half-open forever.
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
    const h = this.handler;
    this.handler = null;
    h?.onClose(reason);
  }
}

export function normalizeAddress(addr: string): string {
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

export interface ListenEndpoint {
  host: string;
  port: number;
  /**
   * Bind this socket in this process even in a node:cluster worker (by default a worker's listen is
   * shared through the primary, which hands connections round-robin to every worker).
   */
  exclusive?: boolean;
}

/** Listens on several endpoints and hands each accepted socket over. */
export class TcpListener {
  private servers: net.Server[] = [];
  constructor(
    private readonly endpoints: ListenEndpoint[],
    private readonly onConnection: (conn: TcpConnection) => void,
  ) {}

  async listen(): Promise<void> {
    for (const ep of this.endpoints) {
      const server = net.createServer({ noDelay: false }, (socket) => this.onConnection(new TcpConnection(socket)));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // IPv6 "::" also takes IPv4 unless ipv6Only; matches SRS binding all families for port-only listens.
        server.listen({ host: ep.host, port: ep.port, backlog: 1024, exclusive: ep.exclusive === true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push(server);
    }
  }

  /** Actual bound ports (useful when configured with port 0). */
  get ports(): number[] {
    return this.servers.map((s) => (s.address() as net.AddressInfo).port);
  }

  /** Stop accepting; connections already accepted live on (they are owned by their handlers). */
  close(): Promise<void> {
    for (const s of this.servers) s.close();
    this.servers = [];
    return Promise.resolve();
  }
}
