// HLS for every vhost with `hls { enabled on; }` (behaviours.md §9): a sink on each publishing source feeds
// the sans-I/O HlsMuxer (protocol/hls), whose file operations a per-stream HlsFileWriter performs.
//
// Per stream URL the muxer and writer live as long as the process, so [seq], the playlist window and the
// AES key continue across republishes as in SRS 5. A failure never reaches the source: the sink catches
// everything and applies hls_on_error:
//   ignore     → HLS off for this publish (the segment so far is closed, the playlist updated);
//   disconnect → the publisher is kicked;
//   continue   → logged once per segment, the failed segment is left out of the playlist, HLS goes on.
// Whatever the policy, when the disk cannot keep up (queued bytes over the bound) HLS is dropped for that
// publish with an error: memory must not grow without end.

import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { HlsConfig, SrsConfig, VhostConfig } from '../../config/index.js';
import { HlsMuxer, type HlsMuxerOptions, type HlsOp } from '../../protocol/hls/index.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import type { ServerContext } from '../context.js';
import { httpCall } from '../hooks/hook-client.js';
import { Fixed2, type HookClientInfo } from '../hooks/http-hooks.js';
import type { LiveSource, PublishListener, SourceDropListener } from '../live/live-source.js';
import { HlsMemoryFiles } from './hls-memory.js';
import type { Sink } from '../live/sink.js';
import { HlsFileWriter, describeOp, type HlsWriterOptions } from './hls-file-writer.js';

export interface HlsServiceOptions extends HlsWriterOptions {
  /** Time allowed for files to be written on shutdown. */
  closeTimeoutMs?: number;
  /**
   * Budget of the in-memory cache of the live window for `hls_storage disk`, bytes, all streams together
   * (TSRS_HLS_CACHE_MB; default DEFAULT_HLS_CACHE_BYTES; 0 = off, every request reads the disk).
   */
  cacheBytes?: number;
}

/** The muxer settings of one publish from the vhost's hls block. */
export function hlsMuxerOptions(hls: HlsConfig, source: { vhost: string; app: string; stream: string }, utcTime: boolean): HlsMuxerOptions {
  return {
    vhost: source.vhost,
    app: source.app,
    stream: source.stream,
    fragmentMs: hls.fragmentMs,
    tdRatio: hls.tdRatio,
    aofRatio: hls.aofRatio,
    windowMs: hls.windowMs,
    hlsPath: hls.path,
    m3u8File: hls.m3u8File,
    tsFile: hls.tsFile,
    tsFloor: hls.tsFloor,
    entryPrefix: hls.entryPrefix,
    acodec: hls.acodec,
    vcodec: hls.vcodec,
    cleanup: hls.cleanup,
    waitKeyframe: hls.waitKeyframe,
    dtsDirectly: hls.dtsDirectly,
    keys: hls.keys,
    fragmentsPerKey: hls.fragmentsPerKey,
    keyFile: hls.keyFile,
    keyFilePath: hls.keyFilePath,
    keyUrl: hls.keyUrl,
    utcTime,
  };
}

/** HLS applies to this vhost: enabled, and an origin (edges do not write HLS). */
function hlsVhost(config: SrsConfig, vhost: string): VhostConfig | null {
  const v = config.vhosts.get(vhost);
  if (!v || !v.enabled || !v.hls.enabled || v.cluster.mode === 'remote') return null;
  return v;
}

export class HlsService implements PublishListener, SourceDropListener {
  private readonly streams = new Map<string, HlsStream>();
  /**
   * Playlists and segments the HTTP server answers from memory: all of `hls_storage ram|both` streams,
   * and the live window of `hls_storage disk` streams within the cache budget.
   */
  readonly memory: HlsMemoryFiles;
  private closed = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly options: HlsServiceOptions = {},
  ) {
    this.memory = new HlsMemoryFiles({ cacheBytes: options.cacheBytes, now: () => ctx.now() });
  }

  /** Attach to the source registry (every publish from now on). */
  register(): this {
    this.ctx.registry.addPublishListener(this);
    this.ctx.registry.addDropListener(this);
    return this;
  }

  /** The source is gone for good (idle past its grace period): free its HLS state (after hls_dispose). */
  onSourceDropped(source: LiveSource): void {
    const stream = this.streams.get(source.key);
    stream?.drop(() => {
      if (this.streams.get(source.key) === stream) this.streams.delete(source.key);
    });
  }

  onPublish(source: LiveSource): void {
    if (this.closed) return;
    const vhost = hlsVhost(this.ctx.config(), source.vhost);
    if (!vhost) return;
    let stream = this.streams.get(source.key);
    if (!stream) {
      stream = new HlsStream(this.ctx, source.key, this.options, this.memory);
      this.streams.set(source.key, stream);
    }
    stream.start(source, vhost);
  }

  onUnpublish(source: LiveSource): void {
    this.streams.get(source.key)?.stop(source);
  }

  /**
   * Config reloaded: a live stream whose vhost now has HLS on starts it now (SRS's reload_vhost_hls);
   * streams already muxing follow a changed hls block at their next packet (see HlsSink).
   */
  reload(): void {
    if (this.closed) return;
    for (const source of this.ctx.registry.all()) {
      // Only publishes this listener follows (not edge proxies, not worker-mesh relays).
      if (!source.isPublishing || !this.ctx.registry.follows(this, source) || this.streams.get(source.key)?.publishing) continue;
      this.onPublish(source);
    }
  }

  /** The stream's HLS state (tests, API). */
  stream(key: string): HlsStream | undefined {
    return this.streams.get(key);
  }

  /**
   * Graceful shutdown: close every current segment and playlist, dispose where hls_dispose is set (as
   * SRS), and wait (bounded) for the files to be written.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.streams.values()].map((s) => s.shutdown());
    const timeout = this.options.closeTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(all), new Promise<void>((r) => (timer = setTimeout(r, timeout)))]);
    clearTimeout(timer);
  }
}

/** One stream URL's HLS: muxer and writer for the life of the process, a sink while it publishes. */
export class HlsStream {
  readonly muxer: HlsMuxer;
  readonly writer: HlsFileWriter;
  private sink: HlsSink | null = null;
  private source: LiveSource | null = null;
  private disposeTimer: NodeJS.Timeout | null = null;
  private disposeMs = 0;
  /** Set when the source was dropped while hls_dispose was pending: forgets the stream once disposed. */
  private forgetWhenDisposed: (() => void) | null = null;
  private log: Logger;
  /** The writer refused more work in this publish (disk too slow): nothing more is queued. */
  private overloaded = false;
  /** hls_on_error of the current (or last) publish. */
  private policy: HlsConfig['onError'] = 'continue';
  /** The publisher was kicked for an HLS error (once per publish). */
  private kicked = false;
  /** seq of the segment whose failure was already logged (one line per segment). */
  private lastFailedSeq = -1;
  /** What on_hls reports for the segments of the current (or last) publish. */
  private hooked: { vhost: VhostConfig; client: HookClientInfo; m3u8: string; m3u8Url: string } | null = null;

  /** hls_storage of the current publish (ram/both mirror the files into `memory`). */
  private storage: HlsConfig['storage'] = 'disk';
  /**
   * hls_storage disk: files written now go to the memory cache. Only while publishing: at unpublish the
   * stream's cached files are forgotten and served from disk, so a later publish of the same stream in
   * another process (TSRS_WORKERS) never meets a stale copy here.
   */
  private caching = false;

  constructor(
    private readonly ctx: ServerContext,
    readonly key: string,
    options: HlsWriterOptions,
    private readonly memory?: HlsMemoryFiles,
  ) {
    this.log = ctx.log;
    this.muxer = new HlsMuxer((n) => ctx.random(n));
    this.writer = new HlsFileWriter(
      {
        onError: (err, op) => this.onWriteError(err, describeOp(op), 'seq' in op ? op.seq : -1),
        onSegment: (op, bytes) => {
          // hls_storage disk: the cache follows the disk (a segment not kept, e.g. encrypted, replaces
          // whatever memory had at that path). ram|both mirror the muxer's ops instead (push).
          if (this.storage === 'disk' && this.memory) {
            if (bytes !== null && this.caching) this.memory.cacheSegment(op.path, bytes, this.key);
            else this.memory.remove(op.path);
          }
          this.log.info(`hls: segment ${op.path} seq=${op.seq} duration=${op.durationMs}ms`);
          this.onHls(op);
          this.onHlsNotify(op);
        },
        keepBytes: () => this.caching && this.storage === 'disk' && this.memory !== undefined && this.memory.cacheEnabled,
        onPlaylist: (path, text) => {
          if (this.storage !== 'disk') return;
          if (this.caching) this.memory?.cachePlaylist(path, Buffer.from(text), this.key);
          else this.memory?.remove(path);
        },
        onDelete: (path) => this.memory?.remove(path),
        onSegmentFailed: (seq) => this.push(this.muxer.forgetSegment(seq)),
        onDeleteFailed: (path, err) => this.log.warn(`hls: delete ${path} failed: ${errorMessage(err)}`),
      },
      options,
    );
  }

  get publishing(): boolean {
    return this.sink !== null;
  }

  start(source: LiveSource, vhost: VhostConfig): void {
    if (this.sink) this.stop(this.source!);
    this.cancelDispose();
    this.forgetWhenDisposed = null;
    this.log = this.ctx.log.child(source.sourceId || this.ctx.log.cid);
    this.source = source;
    this.overloaded = false;
    this.kicked = false;
    this.lastFailedSeq = -1;
    this.policy = vhost.hls.onError;
    // Encrypted segments are only on disk, so hls_keys with hls_storage ram keeps the disk too.
    this.storage = vhost.hls.keys && vhost.hls.storage === 'ram' ? 'both' : vhost.hls.storage;
    this.disposeMs = vhost.hls.disposeMs;
    const opts = hlsMuxerOptions(vhost.hls, source, this.ctx.config().utcTime);
    this.muxer.publish(opts);
    const h = vhost.hls;
    this.log.trace(
      `hls: win=${h.windowMs}ms, frag=${h.fragmentMs}ms, prefix=${h.entryPrefix}, path=${h.path}, m3u8=${h.m3u8File}, ts=${h.tsFile}, ` +
        `tdr=${h.tdRatio.toFixed(2)}, aof=${h.aofRatio.toFixed(2)}, floor=${+h.tsFloor}, clean=${+h.cleanup}, waitk=${+h.waitKeyframe}, ` +
        `dispose=${h.disposeMs}ms, dts_directly=${+h.dtsDirectly}, keys=${+h.keys}`,
    );
    this.hooked = { vhost, client: this.hookClient(source), m3u8: this.muxer.playlistPath, m3u8Url: this.muxer.playlistPath.slice(h.path.length + 1) };
    this.sink = new HlsSink(this, source, vhost.hls, this.ctx);
    this.caching = true;
    source.addSink(this.sink, { gop: false });
  }

  /** The publisher as hooks describe it: its request (publishInfo), else its stats entry. */
  private hookClient(source: LiveSource): HookClientInfo {
    const info = source.publishInfo;
    const stat = this.ctx.stats.client(source.sourceId)?.stat;
    return {
      clientId: source.sourceId,
      ip: info?.ip ?? stat?.ip ?? '',
      vhost: source.vhost,
      app: source.app,
      stream: source.stream,
      param: info?.param ?? '',
      tcUrl: info?.tcUrl ?? stat?.tcUrl ?? '',
      pageUrl: info?.pageUrl ?? stat?.pageUrl ?? '',
      streamUrl: source.key,
      streamId: this.ctx.stats.streamId(source.key),
    };
  }

  /** http_hooks on_hls after each segment is on disk (SrsDvrAsyncCallOnHls); never blocks the stream. */
  private onHls(op: Extract<HlsOp, { type: 'close' }>): void {
    const h = this.hooked;
    if (h === null || !h.vhost.httpHooks.enabled || h.vhost.httpHooks.onHls.length === 0) return;
    // `url`: the TS URI under the playlist's directory unless it is an absolute http(s) URL.
    const slash = h.m3u8Url.lastIndexOf('/');
    const dir = slash < 0 ? './' : slash === 0 ? '/' : h.m3u8Url.slice(0, slash);
    const url = /^https?:\/\//.test(op.uri) ? op.uri : `${dir}/${op.uri}`;
    void this.ctx.hooks.notify(h.vhost.httpHooks, 'on_hls', h.client, this.log, {
      duration: new Fixed2(op.durationMs / 1000),
      cwd: process.cwd(),
      file: op.path,
      url,
      m3u8: h.m3u8,
      m3u8_url: h.m3u8Url,
      seq_no: op.seq,
    });
  }

  /** The publisher left: close the segment, update the playlist, arm hls_dispose. */
  stop(source: LiveSource): void {
    if (this.source !== source || this.sink === null) return;
    this.detach();
    this.caching = false;
    this.memory?.forget(this.key);
    this.push(this.muxer.unpublish());
    this.armDispose();
  }

  /** Frames from the sink. */
  handle(frame: MediaFrame, nowMs: number): void {
    this.push(this.muxer.offer(frame, nowMs));
  }

  /** Reload changed the hls block: restart this publish with the new settings (or stop). */
  restart(vhost: VhostConfig | null): void {
    const source = this.source;
    if (source === null || this.sink === null) return;
    this.log.trace(`hls: config changed, ${vhost ? 'restart' : 'disable'} HLS for ${this.key}`);
    this.detach();
    if (!vhost) {
      // HLS off for this stream: like an unpublish, its files are left to the disk.
      this.caching = false;
      this.memory?.forget(this.key);
    }
    this.push(this.muxer.unpublish());
    // The new sink gets metadata and sequence headers again from the source (SRS: on_hls_request_sh).
    if (vhost) this.start(source, vhost);
  }

  /**
   * http_hooks on_hls_notify (SrsDvrAsyncCallOnHlsNotify): a GET per URL, `[server_id] [service_id] [app]
   * [stream] [ts_url] [param]` substituted (an absolute http segment URI replaces the URL), reading at most
   * hls_nb_notify bytes of the answer, which is otherwise ignored (usually a CDN prefetch).
   */
  private onHlsNotify(op: Extract<HlsOp, { type: 'close' }>): void {
    const h = this.hooked;
    if (h === null || !h.vhost.httpHooks.enabled || h.vhost.httpHooks.onHlsNotify.length === 0) return;
    const isHttp = /^https?:\/\//.test(op.uri);
    const urls = h.vhost.httpHooks.onHlsNotify.map((tpl) => {
      let u = isHttp ? op.uri : tpl;
      for (const [k, v] of [
        ['[server_id]', this.ctx.serverId],
        ['[service_id]', this.ctx.serviceId],
        ['[app]', h.client.app],
        ['[stream]', h.client.stream],
        ['[ts_url]', op.uri],
        ['[param]', h.client.param],
      ] as const) {
        u = u.split(k).join(v);
      }
      return u;
    });
    const nb = h.vhost.hls.nbNotify;
    const log = this.log;
    void (async () => {
      for (const url of urls) {
        const started = Date.now();
        try {
          const r = await httpCall('GET', url, '', { timeoutMs: 10_000 }, nb);
          log.trace(`http hook on_hls_notify success. client_id=${h.client.clientId}, url=${url}, code=${r.status}, spent=${Date.now() - started}ms, read=${Math.min(nb, Buffer.byteLength(r.body))}B`);
        } catch (err) {
          log.warn(`http hook on_hls_notify ${url} failed (ignored): ${errorMessage(err)}`);
        }
      }
    })();
  }

  /** Queue ops for the disk and log the muxer's notes. */
  push(ops: HlsOp[]): void {
    for (const op of ops) {
      if (op.type !== 'log') continue;
      if (op.level === 'warn') this.log.warn(op.message);
      else this.log.trace(op.message);
    }
    if (this.overloaded || ops.length === 0) return;
    if (this.storage !== 'disk') this.memory?.apply(this.key, ops);
    if (this.storage === 'ram') return;
    if (!this.writer.push(ops)) this.onOverload();
  }

  /** An exception from the muxer (a bug or unexpected input): the error policy decides. */
  onMuxError(err: unknown): void {
    this.fail(`hls: mux error for ${this.key}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  private onWriteError(err: unknown, what: string, seq: number): void {
    if (seq >= 0 && seq === this.lastFailedSeq) return;
    if (seq >= 0) this.lastFailedSeq = seq;
    this.fail(`hls: ${what} failed for ${this.key}: ${errorMessage(err)}`);
  }

  private fail(message: string): void {
    const policy = this.policy;
    if (this.kicked) {
      this.log.error(message);
      return;
    }
    if (policy === 'continue') {
      this.log.error(`${message} (hls_on_error continue: HLS goes on)`);
      return;
    }
    if (policy === 'ignore') {
      this.log.error(`${message} (hls_on_error ignore: HLS disabled for this publish)`);
      const source = this.source;
      if (source && this.sink) this.stop(source);
      return;
    }
    this.log.error(`${message} (hls_on_error disconnect: kick the publisher)`);
    const source = this.source;
    this.kicked = true;
    if (source && this.sink) {
      this.sink.stopped = true;
      source.currentPublisher?.kick('hls error');
    }
  }

  private onOverload(): void {
    this.overloaded = true;
    this.log.error(
      `hls: the disk cannot keep up with ${this.key} (${this.writer.pendingBytes} bytes waiting), HLS disabled for this publish; other outputs are unaffected`,
    );
    this.writer.abort();
    this.detach();
    this.muxer.abort();
  }

  private detach(): void {
    const sink = this.sink;
    if (sink === null) return;
    sink.stopped = true;
    this.sink = null;
    this.source?.removeSink(sink);
  }

  private armDispose(): void {
    this.cancelDispose();
    if (this.disposeMs <= 0) return;
    this.disposeTimer = setTimeout(() => {
      this.disposeTimer = null;
      if (this.sink !== null) return;
      this.log.trace(`hls cycle to dispose hls ${this.key}, timeout=${this.disposeMs}ms`);
      this.overloaded = false;
      this.push(this.muxer.dispose());
      this.forgetWhenDisposed?.();
      this.forgetWhenDisposed = null;
    }, this.disposeMs);
    this.disposeTimer.unref();
  }

  private cancelDispose(): void {
    if (this.disposeTimer) clearTimeout(this.disposeTimer);
    this.disposeTimer = null;
  }

  /**
   * The source was dropped: `forget` removes this stream from the service now, or after the pending
   * hls_dispose (which still deletes the files). ram|both copies in memory go with it (the disk files of
   * `both` stay, as for `disk`).
   */
  drop(forget: () => void): void {
    if (this.sink !== null) return;
    // A pending hls_dispose deletes both the files and their memory copies (push) when it fires.
    if (this.disposeTimer !== null) {
      this.forgetWhenDisposed = forget;
      return;
    }
    if (this.storage !== 'disk') this.memory?.apply(this.key, this.muxer.dispose());
    forget();
  }

  /** Server shutdown: close the publish, dispose when configured, let the writes finish. */
  async shutdown(): Promise<void> {
    this.cancelDispose();
    if (this.source && this.sink) {
      this.detach();
      this.push(this.muxer.unpublish());
    }
    if (this.disposeMs > 0) {
      this.overloaded = false;
      this.push(this.muxer.dispose());
    }
    await this.writer.idle();
  }
}

/** The sink on a publishing source: frames into the stream's muxer, never an exception into the hub. */
export class HlsSink implements Sink {
  readonly id: string;
  stopped = false;
  private configSeen: SrsConfig;
  private readonly settings: string;

  constructor(
    private readonly stream: HlsStream,
    private readonly source: LiveSource,
    hls: HlsConfig,
    private readonly ctx: ServerContext,
  ) {
    this.id = `hls:${source.key}`;
    this.configSeen = ctx.config();
    this.settings = JSON.stringify([hls, this.configSeen.utcTime]);
  }

  offer(frame: MediaFrame): void {
    if (this.stopped) return;
    try {
      // A reload swaps the config object; HLS restarts at the next packet if its block changed.
      const config = this.ctx.config();
      if (config !== this.configSeen && this.reloaded(config)) return;
      this.stream.handle(frame, this.ctx.now());
    } catch (err) {
      this.stream.onMuxError(err);
    }
  }

  private reloaded(config: SrsConfig): boolean {
    this.configSeen = config;
    const v = hlsVhost(config, this.source.vhost);
    if (v !== null && JSON.stringify([v.hls, config.utcTime]) === this.settings) return false;
    this.stream.restart(v);
    return true;
  }
}
