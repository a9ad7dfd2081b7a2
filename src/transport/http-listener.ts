// HTTP and HTTPS listeners (node:http/https) with the limits a public media server needs against bad
// clients: a deadline for the request head (slowloris), a deadline for the whole request, a cap on the
// header size (431), 400 for anything Node's parser rejects, and keep-alive for well-behaved clients.
// Routing is not done here: the owner passes one request handler and one upgrade handler.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';

export interface HttpLimits {
  /** The request line and headers must arrive within this time (slowloris). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this time (0: no limit). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this time. */
  keepAliveTimeoutMs: number;
  /** Largest request head in bytes; bigger ones get 431. */
  maxHeaderSize: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  // SRS reads each request with a 15 s receive timeout (SRS_HTTP_RECV_TIMEOUT).
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 15_000,
  maxHeaderSize: 16 * 1024,
};

export interface HttpListenerOptions {
  host: string;
  port: number;
  /** PEM key and certificate: serve HTTPS. */
  tls?: { key: Buffer; cert: Buffer };
  limits: HttpLimits;
  onRequest(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** `Upgrade:` requests (WebSocket); without it they are closed. */
  onUpgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Called for every accepted TCP connection; return false to close it at once (max_connections). */
  admit?(socket: net.Socket): boolean;
  /** A client sent something the parser rejected or was too slow; for logging. */
  onClientError?(err: NodeJS.ErrnoException, status: number, socket: net.Socket): void;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large', 413: 'Payload Too Large' };

/** The HTTP status for an error Node's parser reports through 'clientError' (0 = just close). */
export function clientErrorStatus(err: NodeJS.ErrnoException): number {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'HPE_INVALID_EOF_STATE':
      return 0;
    default:
      return 400;
  }
}

export class HttpListener {
  private readonly server: http.Server;
  private bound = 0;

  constructor(private readonly options: HttpListenerOptions) {
    const limits = options.limits;
    const serverOptions: http.ServerOptions = {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderSize,
      // The head/request deadlines are only checked this often; keep it well under the deadlines.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      // SRS answers HTTP/1.1 requests without Host (telnet, simple players); so do we.
      requireHostHeader: false,
      noDelay: true,
    };
    this.server = options.tls
      ? https.createServer({ ...serverOptions, key: options.tls.key, cert: options.tls.cert }, options.onRequest)
      : http.createServer(serverOptions, options.onRequest);
    // Node only applies headersTimeout when it is below requestTimeout; keep that invariant explicit.
    // requestTimeoutMs 0 means no deadline for the whole request (a long-running POST body: FLV caster).
    if (limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs) this.server.requestTimeout = limits.headersTimeoutMs;
    this.server.on('connection', (socket: net.Socket) => {
      if (options.admit && !options.admit(socket)) socket.destroy();
    });
    if (options.tls) {
      // TLS handshake failures (plain HTTP on the HTTPS port, scanners) only close that socket.
      this.server.on('tlsClientError', (_err: Error, socket: Duplex) => socket.destroy());
    }
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket as net.Socket));
    // CONNECT (proxy tunnelling) has its own event; unhandled, Node drops the socket without a word.
    // A media server is no proxy: answer 405 like any other method it does not serve (RFC 9110 §15.5.6).
    this.server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => {
      socket.on('error', () => socket.destroy());
      const text = 'Method Not Allowed';
      socket.end(`HTTP/1.1 405 ${text}\r\nAllow: GET, HEAD, POST, PUT, DELETE, OPTIONS\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
      setTimeout(() => socket.destroy(), 1000).unref();
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      if (options.onUpgrade) options.onUpgrade(req, socket, head);
      else socket.destroy();
    });
  }

  private onClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    const status = clientErrorStatus(err);
    this.options.onClientError?.(err, status, socket);
    // A response already under way on this socket (keep-alive) cannot be followed by a status line.
    const busy = (socket as net.Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (status && socket.writable && !busy) {
      const text = STATUS_TEXT[status] ?? 'Bad Request';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
      // A client that never reads must not keep the socket half-closed.
      setTimeout(() => socket.destroy(), 1000).unref();
    } else {
      socket.destroy();
    }
  }

  async listen(): Promise<void> {
    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, backlog: 1024 }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.bound = (this.server.address() as net.AddressInfo).port;
    this.server.on('error', () => {
      // Accept errors (EMFILE...) are transient; the listener keeps running.
    });
  }

  /** The bound port (the real one when configured with 0). */
  get port(): number {
    return this.bound;
  }

  get isTls(): boolean {
    return this.options.tls !== undefined;
  }

  /** Stop accepting; with `dropClients` also close every open connection (streams included). */
  close(dropClients: boolean): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (dropClients) this.server.closeAllConnections();
    else this.server.closeIdleConnections();
    return closed;
  }
}
