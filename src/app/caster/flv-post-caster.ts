// stream_caster flv (issue 16): FLV pushed by HTTP POST (`ffmpeg -method POST -f flv
// http://host:8936/live/s.flv`), chunked or with a Content-Length. `[app]`/`[stream]` of the output URL
// come from the path. The body is parsed as it arrives; the publish ends with the body or the socket.
// A body that is not FLV gets a 400 before anything is published; a bad tag later ends that publish only.
import type http from 'node:http';
import type net from 'node:net';
import { errorMessage } from '../../core/errors.js';
import { newContextId, type Logger } from '../../core/logger.js';
import { FlvDemuxer, FlvTagType, type FlvTag } from '../../kernel/format/flv.js';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv } from '../../kernel/media-frame.js';
import type { StreamCasterConfig } from '../../config/index.js';
import { HttpListener, type HttpLimits } from '../../transport/http-listener.js';
import type { ServerContext } from '../context.js';
import { CasterPublish } from './caster-publish.js';
import { appStreamOfPath, casterRequest } from './output-url.js';

/** Tags kept while the publish is admitted (the request is paused meanwhile; this bounds what was read). */
const MAX_PENDING_TAGS = 4096;

export interface FlvPostCasterOptions {
  limits: HttpLimits;
  host?: string;
}

export class FlvPostCaster {
  private readonly listener: HttpListener;
  private readonly active = new Set<FlvPostRequest>();

  constructor(
    private readonly ctx: ServerContext,
    private readonly cfg: StreamCasterConfig,
    private readonly options: FlvPostCasterOptions,
  ) {
    this.listener = new HttpListener({
      host: options.host ?? '0.0.0.0',
      port: cfg.listen,
      // The body is a live stream: no deadline for the whole request, only for its head.
      limits: { ...options.limits, requestTimeoutMs: 0 },
      onRequest: (req, res) => {
        try {
          this.onRequest(req, res);
        } catch (err) {
          ctx.log.warn(`caster: flv: ${req.method ?? ''} ${req.url ?? ''} failed: ${errorMessage(err)}`);
          reply(res, 400, 'bad request');
          req.resume();
        }
      },
      admit: (socket) => this.admit(socket),
      onClientError: (err, status, socket) => {
        if (status) ctx.log.info(`caster: flv: ${status} for client ${socket.remoteAddress ?? ''}: ${err.code ?? err.message}`);
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  async start(): Promise<void> {
    await this.listener.listen();
    this.ctx.log.trace(`caster: flv listen at http://${this.options.host ?? '0.0.0.0'}:${this.listener.port}, output ${this.cfg.output}`);
  }

  async stop(): Promise<void> {
    for (const r of [...this.active]) r.end('server stopping');
    await this.listener.close(true);
  }

  private admit(socket: net.Socket): boolean {
    const slot = this.ctx.admission.openConnection('caster', socket.remoteAddress ?? '');
    if (!slot) return false;
    socket.once('close', () => slot.release());
    return true;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const log = this.ctx.log.child(newContextId());
    const ip = req.socket.remoteAddress ?? '';
    const url = new URL(req.url ?? '/', 'http://caster');
    if (req.method !== 'POST') {
      log.warn(`caster: flv: ${req.method ?? ''} ${url.pathname} from ${ip} refused: only POST`);
      reply(res, 405, 'only POST of an FLV stream');
      req.resume();
      return;
    }
    let names: { app: string; stream: string } | null = null;
    try {
      names = appStreamOfPath(decodeURIComponent(url.pathname));
    } catch {
      names = null;
    }
    if (!names) {
      log.warn(`caster: flv: POST ${url.pathname} from ${ip} refused: the path must be /<app>/<stream>.flv`);
      reply(res, 400, 'the path must be /<app>/<stream>.flv');
      req.resume();
      return;
    }
    const r = new FlvPostRequest(this.ctx, this.cfg, req, res, log, ip, names, url.search, this.listener.port, () => this.active.delete(r));
    this.active.add(r);
    r.start();
  }
}

function reply(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${text}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}

/** One POST: the body parsed as FLV, published once admitted. */
class FlvPostRequest {
  private readonly demuxer = new FlvDemuxer();
  private publish: CasterPublish | null = null;
  private admitting = false;
  private pending: FlvTag[] = [];
  private done = false;
  private bytes = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly cfg: StreamCasterConfig,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly log: Logger,
    private readonly ip: string,
    private readonly names: { app: string; stream: string },
    private readonly search: string,
    private readonly localPort: number,
    private readonly ended: () => void,
  ) {}

  start(): void {
    this.req.on('data', (chunk: Buffer) => {
      try {
        this.onData(chunk);
      } catch (err) {
        this.fail(`failed: ${errorMessage(err)}`);
      }
    });
    this.req.on('end', () => this.finish());
    this.req.on('error', (err) => this.end(`request error: ${err.message}`));
    this.res.on('close', () => this.end('client closed'));
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    this.bytes += chunk.length;
    let tags: FlvTag[];
    try {
      tags = this.demuxer.push(chunk);
    } catch (err) {
      this.fail(`not an FLV stream: ${errorMessage(err)}`);
      return;
    }
    if (this.publish) {
      for (const t of tags) this.emit(this.publish, t);
      return;
    }
    for (const t of tags) if (this.pending.length < MAX_PENDING_TAGS) this.pending.push(t);
    // The FLV signature is checked before anything is published (or any hook fired).
    if (this.demuxer.header !== null && !this.admitting) this.admit();
  }

  private admit(): void {
    this.admitting = true;
    this.req.pause();
    const param = this.search === '?' ? '' : this.search;
    const request = casterRequest(this.cfg.output, this.names, param);
    CasterPublish.open(this.ctx, {
      type: 'flv-caster',
      ip: this.ip,
      localPort: this.localPort,
      log: this.log,
      recvBytes: () => this.bytes,
      kick: (reason) => this.end(`kicked: ${reason}`, true),
    }, request).then(
      (publish) => {
        if (this.done) {
          publish.close('client left while admitted');
          return;
        }
        this.publish = publish;
        const pending = this.pending;
        this.pending = [];
        for (const t of pending) this.emit(publish, t);
        this.req.resume();
        if (this.req.readableEnded) this.finish();
      },
      (err: unknown) => {
        this.log.warn(`caster: flv: publish ${request.app}/${request.stream} from ${this.ip} refused: ${errorMessage(err)}`);
        if (this.done) return;
        reply(this.res, 403, `publish refused: ${errorMessage(err)}`);
        this.end('publish refused', true);
      },
    );
  }

  private emit(publish: CasterPublish, tag: FlvTag): void {
    const frame =
      tag.type === FlvTagType.Video
        ? videoFrameFromFlv(tag.body, tag.timestamp)
        : tag.type === FlvTagType.Audio
          ? audioFrameFromFlv(tag.body, tag.timestamp)
          : dataFrame(tag.body, tag.timestamp);
    if (frame) publish.publish(frame);
  }

  /** The body ended: the client is done publishing. */
  private finish(): void {
    if (this.done || (this.admitting && !this.publish)) return; // still admitting: finished once admitted
    if (!this.publish) {
      this.fail(this.bytes === 0 ? 'empty body' : `not an FLV stream (${this.bytes} bytes, no FLV header)`);
      return;
    }
    reply(this.res, 200, 'ok');
    this.end('client ended the body');
  }

  private fail(reason: string): void {
    this.log.warn(`caster: flv: POST /${this.names.app}/${this.names.stream} from ${this.ip}: ${reason}`);
    reply(this.res, 400, reason);
    this.end(reason, true);
  }

  end(reason: string, destroy = false): void {
    if (this.done) return;
    this.done = true;
    this.pending = [];
    this.publish?.close(reason);
    this.ended();
    if (destroy) {
      // Stop reading the rest of a bad or refused body; the reply (if any) is flushed first.
      this.req.unpipe();
      if (!this.res.writableEnded) this.res.destroy();
      else this.res.once('finish', () => this.req.socket.destroy());
    }
  }
}
