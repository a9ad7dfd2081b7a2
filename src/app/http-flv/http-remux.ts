// HTTP live remux (SRS http_remux): HTTP-FLV, HTTP-TS, HTTP-AAC, HTTP-MP3 and WebSocket-FLV viewers of
// live sources. The HTTP server offers every GET/HEAD and upgrade here before its static files.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { errorMessage } from '../../core/errors.js';
import { newContextId, type Logger } from '../../core/logger.js';
import { SERVER_SIGNATURE } from '../../core/version.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { resolveVhost, type SrsConfig, type VhostConfig } from '../../config/index.js';
import type { ServerContext } from '../context.js';
import type { LiveSource } from '../live/live-source.js';
import type { ClientBoundTicket } from '../admission/index.js';
import { QueuedSink, type QueuedSinkOptions, type ViewerEvents } from '../live/queued-sink.js';
import { sourceOptionsOf, viewerOptionsOf } from '../live/source-options.js';
import { AudioFastCaches } from './fast-cache.js';
import { compileMount, matchMount, type Mount, type MountMatch } from './mounts.js';
import { createEncoder, type StreamEncoder } from './stream-encoders.js';

/** Where a viewer's bytes go: an HTTP response body or a WebSocket. */
export interface ViewerOutput {
  write(buffers: Buffer[]): void;
  pending(): number;
  /**
   * True when every Buffer given to write() so far has left the process (handed to the kernel, held by
   * no queue), so the encoder may reuse its scratch memory. Outputs that cannot tell leave it out.
   */
  released?(): boolean;
  /** Finish cleanly (stream ended). */
  end(): void;
  /** Drop at once (kicked, hopeless). */
  destroy(): void;
}

export class HttpStreamSink extends QueuedSink {
  constructor(
    id: string,
    private readonly output: ViewerOutput,
    private readonly encoder: StreamEncoder,
    options: QueuedSinkOptions,
    log: Logger,
    events: ViewerEvents,
  ) {
    super(id, options, log, events);
  }
  protected override accepts(frame: MediaFrame): boolean {
    return this.encoder.accepts(frame);
  }
  protected pendingBytes(): number {
    return this.output.pending();
  }
  protected writeFrames(frames: MediaFrame[], dts: readonly number[]): void {
    const out: Buffer[] = [];
    if (this.encoder.recycle && this.output.released?.()) this.encoder.recycle();
    this.encoder.encode(frames, dts, out);
    if (out.length) this.output.write(out);
  }
}

/** CRLF that ends every chunk; shared by all viewers and never written to. */
const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * The body of a chunked response written straight to the socket: one chunk per merged write (size line,
 * the batch's Buffers, CRLF) in one cork/uncork, like RTMP. Through `res.write` every Buffer became a chunk
 * of its own with two extra string writes, which tripled the writev's iovecs and doubled the CPU of an
 * HTTP-FLV viewer (issue 8). Node still owns the response: headers go out first (`flushHeaders`), and
 * `res.end()` writes the last chunk, so the framing stays valid and keep-alive works. An HTTP/1.0 viewer
 * gets the plain body up to the close, as Node (and SRS) would send it.
 */
function socketOutput(res: ServerResponse, socket: Socket, chunked: boolean): ViewerOutput {
  res.flushHeaders();
  return {
    write: (bufs) => {
      let n = 0;
      for (const b of bufs) n += b.length;
      if (n === 0 || !socket.writable) return;
      socket.cork();
      if (chunked) socket.write(Buffer.from(`${n.toString(16)}\r\n`, 'latin1'));
      for (const b of bufs) socket.write(b);
      if (chunked) socket.write(CRLF);
      socket.uncork();
    },
    pending: () => res.writableLength + socket.writableLength,
    // Node's Writable counts a write until libuv is done with it, so 0 means nothing is referenced.
    released: () => res.writableLength + socket.writableLength === 0,
    end: () => res.end(),
    destroy: () => res.destroy(),
  };
}

/** A response not yet bound to its socket (a pipelined request waiting its turn): Node's own chunking. */
function responseOutput(res: ServerResponse): ViewerOutput {
  return {
    write: (bufs) => {
      res.cork();
      for (const b of bufs) res.write(b);
      res.uncork();
    },
    pending: () => res.writableLength + (res.socket?.writableLength ?? 0),
    end: () => res.end(),
    destroy: () => res.destroy(),
  };
}

/** Peer IP as SRS reports it: X-Forwarded-For's first entry, else X-Real-IP, else the socket. */
export function clientIp(req: IncomingMessage): string {
  const xff = req.headers['x-forwarded-for'];
  const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
  if (first) return first;
  const real = req.headers['x-real-ip'];
  if (typeof real === 'string' && real) return real;
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function hostnameOf(req: IncomingMessage): string {
  const host = req.headers.host ?? '';
  const v6 = host.match(/^\[([^\]]+)\]/);
  if (v6) return v6[1]!;
  const colon = host.indexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

/** What the admission's client record reads of a viewer before and after its sink exists. */
interface ViewerState {
  sent: number;
  sink: HttpStreamSink | null;
  kick(reason: string): void;
}

export class HttpRemux {
  private mountsFor: SrsConfig | null = null;
  private mounts: Mount[] = [];
  /** Loaded on the first WS-FLV viewer: the ws library is ~5 MB of RSS that most servers never use. */
  private wss: Promise<WebSocketServer> | null = null;
  private readonly viewers = new Set<{ close(reason: string): void }>();

  private readonly fastCaches: AudioFastCaches;

  constructor(private readonly ctx: ServerContext) {
    this.fastCaches = new AudioFastCaches(ctx);
  }

  private currentMounts(): Mount[] {
    const config = this.ctx.config();
    if (this.mountsFor !== config) {
      this.mounts = [];
      for (const v of config.vhosts.values()) {
        if (!v.enabled || !v.httpRemux.enabled) continue;
        const m = compileMount(v.name, v.httpRemux.mount);
        if (m) this.mounts.push(m);
      }
      this.mountsFor = config;
    }
    return this.mounts;
  }

  private match(req: IncomingMessage, url: URL): { m: MountMatch; vhost: VhostConfig } | null {
    const m = matchMount(this.currentMounts(), url.pathname, hostnameOf(req));
    if (!m) return null;
    const vhost = resolveVhost(this.ctx.config(), m.vhost);
    if (!vhost || !vhost.enabled || !vhost.httpRemux.enabled) return null;
    if (!m.app) {
      // A template without [app] serves whichever app publishes that stream name (SRS mounts per stream).
      for (const s of this.ctx.registry.all()) if (s.vhost === vhost.name && s.stream === m.stream) m.app = s.app;
      if (!m.app) m.app = 'live';
    }
    return { m, vhost };
  }

  /** True when the request matched a live mount and was taken. */
  tryHandle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const hit = this.match(req, url);
    if (!hit) return false;
    const { m, vhost } = hit;
    const log = this.ctx.log.child(newContextId());
    const state: ViewerState = { sent: 0, sink: null, kick: () => res.destroy() };
    this.admit(req, url, m, vhost, log, state).then(
      (ticket) => {
        if (res.destroyed || req.socket.destroyed) {
          ticket.abandon('viewer left while admitted');
          return;
        }
        this.serve(req, res, url, m, vhost, log, ticket, state);
      },
      (err) => {
        // SRS closes a refused HTTP player without any response.
        log.warn(`HTTP ${m.format.toUpperCase()} play denied: ${errorMessage(err)}`);
        res.destroy();
      },
    );
    return true;
  }

  /**
   * Security, referer and on_play for an HTTP viewer through the admission service; the ticket holds its
   * client record and fires on_stop when closed. Hooks get the tcUrl rebuilt as `rtmp://<vhost>/<app>`
   * (http-callbacks.md §4), the record the HTTP one.
   */
  private admit(req: IncomingMessage, url: URL, m: MountMatch, vhost: VhostConfig, log: Logger, state: ViewerState): Promise<ClientBoundTicket> {
    const pageUrl = typeof req.headers.referer === 'string' ? req.headers.referer : '';
    return this.ctx.admission.admit({
      action: 'play',
      client: {
        proto: 'http-flv',
        id: log.cid,
        ip: clientIp(req),
        log,
        tcUrl: `http://${req.headers.host ?? ''}/${m.app}`,
        pageUrl,
        sendBytes: () => state.sent,
        recvBytes: () => req.socket.bytesRead,
        kick: (reason) => state.kick(reason),
        droppedFrames: () => state.sink?.droppedFrames ?? 0,
      },
      request: {
        vhost,
        app: m.app,
        stream: m.stream,
        param: url.search,
        tcUrl: `rtmp://${vhost.name}/${m.app}`,
        pageUrl,
        type: 'flv-play',
        name: url.pathname.slice(url.pathname.lastIndexOf('/') + 1),
      },
    });
  }

  private serve(req: IncomingMessage, res: ServerResponse, url: URL, m: MountMatch, vhost: VhostConfig, log: Logger, ticket: ClientBoundTicket, state: ViewerState): void {
    const source = this.obtain(vhost, m);
    const encoder = this.encoderFor(m, vhost, source);
    const headers: Record<string, string> = {
      'Content-Type': encoder.contentType,
      Server: SERVER_SIGNATURE,
      'Cache-Control': 'no-cache',
    };
    if (req.headers.origin && this.ctx.config().httpServer.crossdomain) {
      Object.assign(headers, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Headers': '*',
        'Access-Control-Allow-Methods': '*',
        'Access-Control-Expose-Headers': '*',
        'Access-Control-Allow-Credentials': 'false',
      });
    }
    // Said explicitly so the framing is known here: the body may be written straight to the socket.
    const chunked = req.httpVersionMajor > 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1);
    if (chunked) headers['Transfer-Encoding'] = 'chunked';
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      this.ctx.registry.release(source);
      // Nothing was played: no on_stop, as before the admission service.
      ticket.abandon('HEAD');
      return;
    }
    res.socket?.setNoDelay(vhost.tcpNodelay);
    const output = res.socket ? socketOutput(res, res.socket, chunked) : responseOutput(res);
    const viewer = this.attachViewer(url, m, vhost, source, encoder, output, log, 'http', ticket, state);
    res.on('drain', () => viewer.sink.onDrain());
    res.socket?.on('drain', () => viewer.sink.onDrain());
    res.on('close', () => viewer.close('viewer left'));
  }

  /** WebSocket upgrade on an `.flv` mount (WS-FLV for browser players). */
  tryUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return false;
    }
    const hit = this.match(req, url);
    if (!hit || hit.m.format !== 'flv') return false;
    const { m, vhost } = hit;
    const log = this.ctx.log.child(newContextId());
    const state: ViewerState = { sent: 0, sink: null, kick: () => socket.destroy() };
    this.admit(req, url, m, vhost, log, state).then(
      (ticket) =>
        this.webSockets().then(
          (wss) => {
            if (socket.destroyed) {
              ticket.abandon('viewer left while admitted');
              return;
            }
            // A socket lost during the WebSocket handshake never reaches serveWs: its record goes too.
            let attached = false;
            socket.once('close', () => {
              if (!attached) ticket.abandon('viewer left during the WebSocket handshake');
            });
            wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
              attached = true;
              this.serveWs(ws, url, m, vhost, log, ticket, state);
            });
          },
          (err) => {
            log.error(`WS-FLV: cannot load the WebSocket library: ${errorMessage(err)}`);
            ticket.abandon('no WebSocket library');
            socket.destroy();
          },
        ),
      (err) => {
        log.warn(`WS-FLV play denied: ${errorMessage(err)}`);
        socket.destroy();
      },
    );
    return true;
  }

  private webSockets(): Promise<WebSocketServer> {
    this.wss ??= import('ws').then((ws) => new ws.WebSocketServer({ noServer: true, perMessageDeflate: false }));
    return this.wss;
  }

  private serveWs(ws: WebSocket, url: URL, m: MountMatch, vhost: VhostConfig, log: Logger, ticket: ClientBoundTicket, state: ViewerState): void {
    {
      const source = this.obtain(vhost, m);
      const encoder = this.encoderFor(m, vhost, source);
      const output: ViewerOutput = {
        write: (bufs) => ws.send(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs), { binary: true }),
        pending: () => ws.bufferedAmount,
        end: () => ws.close(1000, 'stream ended'),
        destroy: () => ws.terminate(),
      };
      const viewer = this.attachViewer(url, m, vhost, source, encoder, output, log, 'ws', ticket, state);
      ws.on('close', () => viewer.close('viewer left'));
      ws.on('error', (err) => viewer.close(`websocket error: ${err.message}`));
      ws.on('message', () => {
        // Players send nothing we need; ignore anything they do send.
      });
    }
  }

  private obtain(vhost: VhostConfig, m: MountMatch): LiveSource {
    return this.ctx.registry.obtain(vhost.name, m.app, m.stream, sourceOptionsOf(vhost));
  }

  private encoderFor(m: MountMatch, vhost: VhostConfig, source: LiveSource): StreamEncoder {
    const r = vhost.httpRemux;
    let hasAudio = r.hasAudio;
    let hasVideo = r.hasVideo;
    // The source's format knows its tracks (issue 12), no need to guess from the GOP cache.
    const format = source.format;
    if (r.guessHasAv && source.isPublishing && format.tracks.length > 0) {
      // SRS v5 guess: announce what the stream actually carries, so players do not wait for a missing track.
      hasAudio = format.audio() !== undefined;
      hasVideo = format.video() !== undefined;
    }
    const audioCodec = format.audio('aac') === undefined && format.audio('mp3') !== undefined ? 'mp3' : 'aac';
    return createEncoder(m.format, { hasAudio, hasVideo, audioCodec, dropIfNotMatch: r.dropIfNotMatch });
  }

  private attachViewer(
    url: URL,
    m: MountMatch,
    vhost: VhostConfig,
    source: LiveSource,
    encoder: StreamEncoder,
    output: ViewerOutput,
    log: Logger,
    via: 'http' | 'ws',
    ticket: ClientBoundTicket,
    state: ViewerState,
  ): { sink: HttpStreamSink; close(reason: string): void } {
    let closed = false;
    let sink: HttpStreamSink;
    const close = (reason: string): void => {
      if (closed) return;
      closed = true;
      sink.close();
      source.removeSink(sink);
      this.ctx.registry.release(source);
      // Ends the client record and fires on_stop.
      ticket.close(reason);
      this.viewers.delete(viewer);
      log.trace(`HTTP ${m.format.toUpperCase()} ${via} viewer closed: ${reason}, send=${state.sent}B`);
    };
    const counted: ViewerOutput = {
      write: (bufs) => {
        for (const b of bufs) state.sent += b.length;
        output.write(bufs);
      },
      pending: output.pending,
      released: output.released,
      end: output.end,
      destroy: output.destroy,
    };
    // Audio-only formats skip the GOP (it would replay seconds of audio); they start with live audio.
    const withGop = m.format === 'flv' || m.format === 'ts';
    sink = new HttpStreamSink(
      log.cid,
      counted,
      encoder,
      viewerOptionsOf(vhost, source),
      log,
      {
        publishNotify: () => {},
        // The stream ended: finish the response so the player sees a clean end of file.
        unpublishNotify: () => {
          output.end();
          close('stream unpublished');
        },
        hopeless: (reason) => {
          output.destroy();
          close(reason);
        },
      },
    );
    state.sink = sink;
    state.kick = (reason) => {
      output.destroy();
      close(`kicked: ${reason}`);
    };
    const stat = ticket.stat;
    const viewer = { close: (reason: string) => stat.kick(reason) };
    this.viewers.add(viewer);
    log.trace(
      `HTTP ${m.format.toUpperCase()} ${via} play ${source.key}${url.search ? ` param=${url.search}` : ''}, ip=${stat.ip}${source.isPublishing ? `, source_id=${source.sourceId}` : ', waiting for the publisher'}`,
    );
    try {
      const start = encoder.start();
      if (start.length) counted.write(start);
      // The viewer's query goes with the stream's demand: an edge pulls from its origin with it.
      source.addSink(sink, { gop: withGop, param: url.search });
      // Audio-only formats start with the fast_cache seconds of audio instead of the GOP.
      if (!withGop) for (const f of this.fastCaches.audioOf(source)) sink.offer(f);
    } catch (err) {
      log.warn(`HTTP remux start failed: ${errorMessage(err)}`);
      stat.kick('start failed');
    }
    return { sink, close };
  }

  /** Drop every viewer (server shutdown). */
  close(): void {
    for (const v of [...this.viewers]) v.close('server shutdown');
    void this.wss?.then(
      (wss) => wss.close(),
      () => undefined,
    );
  }
}
