// The RTMP listener(s): accepts sockets, takes a max_connections slot from the admission service, hands
// each to an RtmpConnection through the socket adapter.
import { newContextId } from '../../core/logger.js';
import { TcpListener, type ListenEndpoint, type TcpConnection } from '../../transport/tcp.js';
import type { ServerContext } from '../context.js';
import type { RtmpConnection, RelayMode } from './rtmp-connection.js';
import { serveRtmp } from './rtmp-socket.js';

export class RtmpServer {
  private listener: TcpListener | null = null;
  /** The worker-mesh relay listener (127.0.0.1, this process only), when the mesh is on. */
  private relayListener: TcpListener | null = null;
  private readonly live = new Set<RtmpConnection>();

  constructor(private readonly ctx: ServerContext) {}

  async listen(endpoints: ListenEndpoint[]): Promise<void> {
    this.listener = new TcpListener(endpoints, (conn) => this.accept(conn));
    await this.listener.listen();
    this.ctx.log.trace(`RTMP listen at ${endpoints.map((e) => `${e.host}:${e.port}`).join(', ')}`);
  }

  /**
   * Listen on a new set of endpoints (config reload): new sockets are bound first, so a failure leaves
   * the old ones serving; connections already accepted are not touched.
   */
  async rebind(endpoints: ListenEndpoint[]): Promise<void> {
    const next = new TcpListener(endpoints, (conn) => this.accept(conn));
    const old = this.listener;
    // Endpoints both sets share must be released before the new socket can take them.
    await old?.close();
    try {
      await next.listen();
    } catch (err) {
      await next.close();
      if (old) await old.listen().catch(() => undefined);
      throw err;
    }
    this.listener = next;
    this.ctx.log.trace(`RTMP listen at ${endpoints.map((e) => `${e.host}:${e.port}`).join(', ')} (reload)`);
  }

  /**
   * Worker mesh: listen on 127.0.0.1, on a port of this process alone (exclusive, not shared by
   * node:cluster), for other workers' relay pulls; returns the port.
   */
  async listenRelay(relay: RelayMode): Promise<number> {
    const listener = new TcpListener([{ host: '127.0.0.1', port: 0, exclusive: true }], (conn) => this.acceptRelay(conn, relay));
    await listener.listen();
    this.relayListener = listener;
    const port = listener.ports[0]!;
    this.ctx.log.trace(`mesh: relay listen at 127.0.0.1:${port}`);
    return port;
  }

  get relayPort(): number | undefined {
    return this.relayListener?.ports[0];
  }

  private acceptRelay(conn: TcpConnection, relay: RelayMode): void {
    // Not a client: no max_connections, no count (the viewers it serves are counted where they connected).
    const rtmp = serveRtmp(conn, this.ctx, this.ctx.log.child(newContextId()), undefined, relay);
    this.live.add(rtmp);
    conn.socket.once('close', () => this.live.delete(rtmp));
  }

  get ports(): number[] {
    return this.listener?.ports ?? [];
  }

  get connectionCount(): number {
    return this.live.size;
  }

  private accept(conn: TcpConnection): void {
    // Counted with every other listener's connections; the client ticket frees the slot at close.
    const slot = this.ctx.admission.openConnection('rtmp', conn.remoteAddress);
    if (!slot) {
      conn.close('max_connections', true);
      return;
    }
    const log = this.ctx.log.child(newContextId());
    const rtmp = serveRtmp(conn, this.ctx, log, slot);
    this.live.add(rtmp);
    conn.socket.once('close', () => this.live.delete(rtmp));
  }

  /** Stop accepting; with `closeClients` also drop every connection. */
  async close(closeClients: boolean): Promise<void> {
    await this.listener?.close();
    this.listener = null;
    await this.relayListener?.close();
    this.relayListener = null;
    if (closeClients) for (const c of this.live) c.close('server shutdown');
  }
}
