// MPEG-DASH for every vhost with `dash { enabled on; }` (config.md §3.14): a sink on each publishing source
// feeds the sans-I/O DashSegmenter (protocol/dash), whose file operations a per-stream DashFileWriter
// performs under dash_path. The HTTP server serves them as static files from http_server.dir.
//
// Per stream URL the segmenter and writer live as long as the process, so segment numbers keep rising and
// the MPD's window carries over a republish (as a new Period). Nothing here ever throws into the source:
// a bug in the segmenter drops DASH for that publish, a failed write is logged and the stream goes on,
// and when the disk cannot keep up (queued bytes over the bound) DASH is dropped for that publish.
//
// dash_dispose: after that many seconds without packets (publisher gone, or stalled) the MPD and every
// segment are deleted, as SRS's SrsDash::cycle does; 0 keeps them.

import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { resolveVhost, type DashConfig, type SrsConfig, type VhostConfig } from '../../config/index.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { DashSegmenter, type DashOp, type DashSegmenterOptions } from '../../protocol/dash/index.js';
import type { ServerContext } from '../context.js';
import type { LiveSource, PublishListener, SourceDropListener } from '../live/live-source.js';
import type { Sink } from '../live/sink.js';
import { DashFileWriter, type DashFileOp, type DashWriterOptions } from './dash-file-writer.js';

export interface DashServiceOptions extends DashWriterOptions {
  /** Time allowed for files to be written on shutdown. */
  closeTimeoutMs?: number;
}

/** The segmenter settings of one publish from the vhost's dash block. */
export function dashSegmenterOptions(dash: DashConfig, source: { vhost: string; app: string; stream: string }): DashSegmenterOptions {
  return {
    vhost: source.vhost,
    app: source.app,
    stream: source.stream,
    dashPath: dash.path,
    mpdFile: dash.mpdFile,
    fragmentMs: dash.fragmentMs,
    updatePeriodMs: dash.updatePeriodMs,
    timeshiftMs: dash.timeshiftMs,
    windowSize: dash.windowSize,
    cleanup: dash.cleanup,
  };
}

/** DASH applies to this vhost: enabled, and an origin (edges do not write DASH). */
function dashVhost(config: SrsConfig, vhost: string): VhostConfig | null {
  const v = resolveVhost(config, vhost);
  if (!v || !v.enabled || !v.dash.enabled || v.cluster.mode === 'remote') return null;
  return v;
}

export class DashService implements PublishListener, SourceDropListener {
  private readonly streams = new Map<string, DashStream>();
  private closed = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly options: DashServiceOptions = {},
  ) {}

  onPublish(source: LiveSource): void {
    this.start(source, true);
  }

  onUnpublish(source: LiveSource): void {
    this.streams.get(source.key)?.stop(source);
  }

  /** The source is gone for good (idle past its grace period): free its DASH state (after dash_dispose). */
  onSourceDropped(source: LiveSource): void {
    const stream = this.streams.get(source.key);
    stream?.drop(() => {
      if (this.streams.get(source.key) === stream) this.streams.delete(source.key);
    });
  }

  private start(source: LiveSource, withGop: boolean): void {
    if (this.closed) return;
    const vhost = dashVhost(this.ctx.config(), source.vhost);
    if (!vhost) return;
    let stream = this.streams.get(source.key);
    if (!stream) {
      stream = new DashStream(this.ctx, source.key, this.options);
      this.streams.set(source.key, stream);
    }
    stream.start(source, vhost, withGop);
  }

  /** The stream's DASH state (tests, API). */
  stream(key: string): DashStream | undefined {
    return this.streams.get(key);
  }

  /**
   * Config reloaded: start DASH for streams whose vhost now has it, stop it where it is off, and restart it
   * (closing the segment, a new Period from the next keyframe) where the dash block changed.
   */
  reload(): void {
    if (this.closed) return;
    const config = this.ctx.config();
    for (const source of this.ctx.registry.all()) {
      // Only publishes this listener follows (not edge proxies, not worker-mesh relays).
      if (!source.isPublishing || !this.ctx.registry.follows(this, source)) continue;
      const vhost = dashVhost(config, source.vhost);
      const stream = this.streams.get(source.key);
      const running = stream !== undefined && stream.isRunningFor(source);
      if (vhost && !running) this.start(source, true);
      else if (!vhost && running) stream.disable(source);
      else if (vhost && running && stream.settingsChanged(vhost.dash)) stream.restart(source, vhost);
    }
  }

  /**
   * Graceful shutdown: close every current segment and MPD, dispose where dash_dispose is set (as SRS),
   * and wait (bounded) for the files to be written.
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

/** One stream URL's DASH: segmenter and writer for the life of the process, a sink while it publishes. */
export class DashStream {
  readonly segmenter = new DashSegmenter();
  readonly writer: DashFileWriter;
  private sink: DashSink | null = null;
  private source: LiveSource | null = null;
  private settings = '';
  private disposeMs = 0;
  private disposeTimer: NodeJS.Timeout | null = null;
  /** Set when the source was dropped while dash_dispose was pending: forgets the stream once disposed. */
  private forgetWhenDisposed: (() => void) | null = null;
  private lastPacketAt = 0;
  private log: Logger;
  /** The writer refused more work in this publish (disk too slow): nothing more is queued. */
  private overloaded = false;
  /** Write errors logged in a row, and those not logged. */
  private failures = 0;
  private suppressed = 0;

  constructor(
    private readonly ctx: ServerContext,
    readonly key: string,
    options: DashWriterOptions,
  ) {
    this.log = ctx.log;
    this.writer = new DashFileWriter(
      {
        onError: (err, op) => this.onWriteError(err, op),
        onDeleteFailed: (path, err) => this.log.warn(`dash: delete ${path} failed: ${errorMessage(err)}`),
        onWritten: () => this.onWritten(),
      },
      options,
    );
  }

  get publishing(): boolean {
    return this.sink !== null;
  }

  isRunningFor(source: LiveSource): boolean {
    return this.sink !== null && this.source === source;
  }

  settingsChanged(dash: DashConfig): boolean {
    return JSON.stringify(dash) !== this.settings;
  }

  start(source: LiveSource, vhost: VhostConfig, withGop: boolean): void {
    if (this.sink) this.detach();
    this.cancelDispose();
    this.forgetWhenDisposed = null;
    this.log = this.ctx.log.child(source.sourceId || this.ctx.log.cid);
    this.source = source;
    this.overloaded = false;
    this.settings = JSON.stringify(vhost.dash);
    this.disposeMs = vhost.dash.disposeMs;
    this.push(this.segmenter.publish(dashSegmenterOptions(vhost.dash, source), this.ctx.now()));
    this.sink = new DashSink(this, source);
    this.lastPacketAt = this.ctx.now();
    // With the GOP: DASH started by a reload mid-stream begins at once, on the cached keyframe.
    source.addSink(this.sink, { gop: withGop });
    this.armDispose();
  }

  /** The publisher left: close the segment, update the MPD, arm dash_dispose. */
  stop(source: LiveSource): void {
    if (this.source !== source || this.sink === null) return;
    this.detach();
    this.push(this.segmenter.unpublish(this.ctx.now()));
    this.armDispose();
  }

  /** Reload turned DASH off for a live stream: like an unpublish. */
  disable(source: LiveSource): void {
    this.log.trace(`dash: disabled by reload for ${this.key}`);
    this.stop(source);
  }

  /** Reload changed the dash block: close this publish's segment and start again with the new settings. */
  restart(source: LiveSource, vhost: VhostConfig): void {
    this.log.trace(`dash: config changed, restart DASH for ${this.key}`);
    this.stop(source);
    // Without the GOP: its frames were segmented already; the new Period starts at the next keyframe.
    this.start(source, vhost, false);
  }

  /** Frames from the sink. */
  handle(frame: MediaFrame): void {
    const now = this.ctx.now();
    this.lastPacketAt = now;
    this.push(this.segmenter.offer(frame, now));
  }

  /** Queue file operations and log the segmenter's notes. */
  private push(ops: DashOp[]): void {
    for (const op of ops) {
      if (op.type !== 'log') continue;
      if (op.level === 'warn') this.log.warn(op.message);
      else this.log.trace(op.message);
    }
    if (this.overloaded || ops.length === 0) return;
    if (!this.writer.push(ops)) this.onOverload();
  }

  /** An exception from the segmenter (a bug or unexpected input): DASH is dropped for this publish. */
  onSegmenterError(err: unknown): void {
    this.log.error(`dash: error for ${this.key}, DASH disabled for this publish: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    const source = this.source;
    if (source === null || this.sink === null) return;
    this.detach();
    try {
      this.push(this.segmenter.unpublish(this.ctx.now()));
    } catch (again) {
      this.log.error(`dash: cannot close ${this.key}: ${errorMessage(again)}`);
    }
    this.armDispose();
  }

  private onWriteError(err: unknown, op: DashFileOp): void {
    // One line per failure streak (a full disk fails every write); the count when it ends.
    this.failures++;
    if (this.failures > 3) {
      this.suppressed++;
      return;
    }
    const what = op.type === 'write' ? `write ${op.what} ${op.path}` : `delete ${op.path}`;
    this.log.error(`dash: ${what} failed for ${this.key}: ${errorMessage(err)}${this.failures === 3 ? ' (further errors not logged until a write succeeds)' : ''}`);
  }

  private onWritten(): void {
    if (this.failures === 0) return;
    if (this.suppressed > 0) this.log.warn(`dash: writes succeed again for ${this.key} after ${this.suppressed} more failures`);
    this.failures = 0;
    this.suppressed = 0;
  }

  private onOverload(): void {
    this.overloaded = true;
    this.log.error(
      `dash: the disk cannot keep up with ${this.key} (${this.writer.pendingBytes} bytes waiting), DASH disabled for this publish; other outputs are unaffected`,
    );
    this.writer.abort();
    this.detach();
    this.segmenter.unpublish(this.ctx.now());
  }

  private detach(): void {
    const sink = this.sink;
    if (sink === null) return;
    sink.stopped = true;
    this.sink = null;
    this.source?.removeSink(sink);
  }

  /**
   * dash_dispose: once the publisher is gone, delete everything after that long; while it publishes, a
   * watchdog does the same when packets stop for that long (SRS disposes a stalled stream too).
   */
  private armDispose(): void {
    this.cancelDispose();
    if (this.disposeMs <= 0) return;
    const publishing = this.sink !== null;
    const wait = publishing ? Math.max(0, this.lastPacketAt + this.disposeMs - this.ctx.now()) : this.disposeMs;
    this.disposeTimer = setTimeout(() => {
      this.disposeTimer = null;
      if (this.sink !== null) {
        if (this.ctx.now() - this.lastPacketAt < this.disposeMs) {
          this.armDispose();
          return;
        }
        this.log.trace(`dash: no packets for ${this.ctx.now() - this.lastPacketAt}ms, dispose ${this.key}`);
        this.dispose();
        // Packets may come back: the watchdog stays.
        this.lastPacketAt = this.ctx.now();
        this.armDispose();
        return;
      }
      this.log.trace(`dash cycle to dispose dash ${this.key}, timeout=${this.disposeMs}ms`);
      this.dispose();
      this.forgetWhenDisposed?.();
      this.forgetWhenDisposed = null;
    }, wait);
    this.disposeTimer.unref();
  }

  private dispose(): void {
    this.overloaded = false;
    this.push(this.segmenter.dispose(this.ctx.now()));
  }

  private cancelDispose(): void {
    if (this.disposeTimer) clearTimeout(this.disposeTimer);
    this.disposeTimer = null;
  }

  /** The source was dropped: `forget` removes this stream from the service now, or after the pending dash_dispose. */
  drop(forget: () => void): void {
    if (this.sink !== null) return;
    if (this.disposeTimer === null) forget();
    else this.forgetWhenDisposed = forget;
  }

  /** Server shutdown: close the publish, dispose when configured, let the writes finish. */
  async shutdown(): Promise<void> {
    this.cancelDispose();
    if (this.source && this.sink) {
      this.detach();
      this.push(this.segmenter.unpublish(this.ctx.now()));
    }
    if (this.disposeMs > 0) this.dispose();
    await this.writer.idle();
  }
}

/** The sink on a publishing source: frames into the stream's segmenter, never an exception into the hub. */
export class DashSink implements Sink {
  readonly id: string;
  stopped = false;

  constructor(
    private readonly stream: DashStream,
    source: LiveSource,
  ) {
    this.id = `dash:${source.key}`;
  }

  offer(frame: MediaFrame): void {
    if (this.stopped) return;
    try {
      this.stream.handle(frame);
    } catch (err) {
      this.stream.onSegmenterError(err);
    }
  }
}
