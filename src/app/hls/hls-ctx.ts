// HLS viewer sessions (SRS 5 `hls_ctx`/`hls_ts_ctx`): a first playlist request gets a tiny variant
// playlist pointing at `?hls_ctx=<id>`; later requests with that id count as one viewer — listed in
// /api/v1/clients as `hls-play`, with on_play/on_stop callbacks, bytes counted for its segments, and
// kick-off through the API (then the playlist answers 404 "HLS stream <id> is EOF").
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../../core/errors.js';
import { newContextId, type Logger } from '../../core/logger.js';
import { SERVER_SIGNATURE } from '../../core/version.js';
import { resolveVhost, type VhostConfig } from '../../config/index.js';
import type { ServerContext } from '../context.js';
import type { AdmissionRequest, ClientBoundTicket } from '../admission/index.js';

interface HlsSession {
  id: string;
  vhost: VhostConfig;
  /** The admission's ticket: the client record (`hls-play`) and on_stop when the session ends. */
  ticket: ClientBoundTicket;
  lastSeenMs: number;
  sentBytes: number;
  log: Logger;
}

/** The playlist text a URL path names (from memory or disk), or null; the HTTP server knows its mounts. */
export type FileResolver = (urlPath: string) => Promise<string | null>;

/** How often idle sessions are looked for (SRS: every ~5 s). */
const SWEEP_MS = 5_000;

function hostnameOf(req: IncomingMessage): string {
  const host = req.headers.host ?? '';
  const v6 = host.match(/^\[([^\]]+)\]/);
  if (v6) return v6[1]!;
  const colon = host.indexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

function peerIp(req: IncomingMessage): string {
  const xff = req.headers['x-forwarded-for'];
  const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
  if (first) return first;
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** Append `hls_ctx=<id>` to every URI line of a playlist (hls_ts_ctx). */
export function tagPlaylist(m3u8: string, id: string): string {
  return m3u8
    .split('\n')
    .map((line) => (line && !line.startsWith('#') ? `${line}${line.includes('?') ? '&' : '?'}hls_ctx=${id}` : line))
    .join('\n');
}

export class HlsContexts {
  private readonly sessions = new Map<string, HlsSession>();
  /** Ids kicked through the API: their playlist requests get 404 until they start a new session. */
  private readonly expired = new Set<string>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: ServerContext) {}

  private ensureSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** For the HTTP server: take `.m3u8` requests of hls_ctx vhosts; count `.ts` bytes of known sessions. */
  tryHandle(req: IncomingMessage, res: ServerResponse, url: URL, resolveFile: FileResolver): boolean {
    if (req.method !== 'GET') return false;
    const path = url.pathname;
    const isPlaylist = path.endsWith('.m3u8');
    const id = url.searchParams.get('hls_ctx');
    if (!isPlaylist) {
      if (id && path.endsWith('.ts')) this.countSegment(id, res);
      return false;
    }
    const vhost = resolveVhost(this.ctx.config(), hostnameOf(req));
    if (!vhost || !vhost.enabled || !vhost.hls.enabled || !vhost.hls.ctx) return false;
    const slash = path.lastIndexOf('/');
    const app = path.slice(1, slash) || 'live';
    const stream = path.slice(slash + 1, -'.m3u8'.length);
    if (id && this.expired.has(id)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', Server: SERVER_SIGNATURE });
      res.end(`HLS stream ${id} is EOF`);
      return true;
    }
    const known = id ? this.sessions.get(id) : undefined;
    if (known) {
      known.lastSeenMs = this.ctx.now();
      void this.servePlaylist(res, resolveFile, path, known, vhost);
      return true;
    }
    // A new viewer (or an id we do not know): admit it, then hand out its session URL.
    const sid = id && /^[0-9a-z]{1,32}$/i.test(id) ? id : newContextId();
    const log = this.ctx.log.child(sid);
    const query = new URLSearchParams(url.search);
    query.delete('hls_ctx');
    const param = query.toString() ? `?${query.toString()}` : '';
    const tcUrl = `http://${req.headers.host ?? ''}/${app}`;
    const request: AdmissionRequest = {
      vhost,
      app,
      stream,
      param,
      tcUrl,
      pageUrl: typeof req.headers.referer === 'string' ? req.headers.referer : '',
      type: 'hls-play',
      // Hooks and the record name the session's stream with its extension (http-callbacks.md §4).
      name: `${stream}.m3u8`,
      hookStream: `${stream}.m3u8`,
    };
    void this.admit(res, url, request, peerIp(req), log, sid, resolveFile, path, !!id);
    return true;
  }

  private async admit(
    res: ServerResponse,
    url: URL,
    request: AdmissionRequest,
    ip: string,
    log: Logger,
    sid: string,
    resolveFile: FileResolver,
    path: string,
    hadId: boolean,
  ): Promise<void> {
    let session: HlsSession | undefined;
    let ticket: ClientBoundTicket;
    try {
      ticket = await this.ctx.admission.admit({
        action: 'play',
        request,
        client: {
          proto: 'hls',
          id: sid,
          ip,
          log,
          tcUrl: request.tcUrl,
          pageUrl: request.pageUrl,
          sendBytes: () => session?.sentBytes ?? 0,
          recvBytes: () => 0,
          kick: (reason) => this.end(sid, `kicked: ${reason}`, true),
        },
      });
    } catch (err) {
      log.warn(`HLS play denied: ${errorMessage(err)}`);
      res.destroy();
      return;
    }
    const vhost = request.vhost;
    session = { id: sid, vhost, ticket, lastSeenMs: this.ctx.now(), sentBytes: 0, log };
    this.sessions.set(sid, session);
    this.ensureSweeper();
    log.trace(`HLS play ${ticket.hook.streamUrl}, hls_ctx=${sid}, ip=${ip}`);
    if (hadId) {
      void this.servePlaylist(res, resolveFile, path, session, vhost);
      return;
    }
    const next = new URLSearchParams(url.search);
    next.set('hls_ctx', sid);
    const body = `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,AVERAGE-BANDWIDTH=1\n${path}?${next.toString()}\n`;
    res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Content-Length': Buffer.byteLength(body), Server: SERVER_SIGNATURE });
    res.end(body);
    session.sentBytes += body.length;
  }

  private async servePlaylist(res: ServerResponse, resolveFile: FileResolver, path: string, session: HlsSession, vhost: VhostConfig): Promise<void> {
    const text = await resolveFile(path);
    if (text === null) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', Server: SERVER_SIGNATURE });
      res.end('Not Found');
      return;
    }
    const body = vhost.hls.tsCtx ? tagPlaylist(text, session.id) : text;
    res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Content-Length': Buffer.byteLength(body), Server: SERVER_SIGNATURE, 'Cache-Control': 'no-cache' });
    res.end(body);
    session.sentBytes += Buffer.byteLength(body);
  }

  private countSegment(id: string, res: ServerResponse): void {
    const s = this.sessions.get(id);
    if (!s) return;
    s.lastSeenMs = this.ctx.now();
    res.once('finish', () => {
      const len = Number(res.getHeader('content-length') ?? 0);
      if (Number.isFinite(len)) s.sentBytes += len;
    });
  }

  private end(id: string, reason: string, kicked: boolean): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    if (kicked) this.expired.add(id);
    // Ends the client record and fires on_stop.
    s.ticket.close(reason);
    s.log.trace(`HLS session ${id} ended: ${reason}, send=${s.sentBytes}B`);
  }

  /** Sessions idle for 2×hls_window are over (SRS's rule). */
  private sweep(): void {
    const now = this.ctx.now();
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastSeenMs > 2 * s.vhost.hls.windowMs) this.end(s.id, 'idle', false);
    }
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const id of [...this.sessions.keys()]) this.end(id, 'server shutdown', false);
  }
}
