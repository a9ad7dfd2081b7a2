// DVR (vhost dvr): record published streams to FLV or MP4, plans `session` and `segment`, as SRS does
// (behaviours.md §10): files written as `<path>.tmp` and renamed when closed, then `on_dvr`.
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { dvrAppliesTo, resolveVhost, type VhostConfig } from '../../config/index.js';
import { FlvFileWriter } from '../../kernel/format/flv-file.js';
import { Mp4FileWriter } from '../../kernel/format/mp4/mp4-file.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { expandStreamTemplate, expandTimeTemplate } from '../../protocol/hls/template.js';
import type { ServerContext } from '../context.js';
import { JitterCorrector } from '../live/jitter.js';
import type { LiveSource, PublishListener } from '../live/live-source.js';
import type { Sink } from '../live/sink.js';
import type { HookClientInfo } from '../hooks/http-hooks.js';
import { QueuedFileWriter, type Patch } from './file-writer.js';

interface FileFormat {
  start(): Buffer;
  add(frame: MediaFrame): Buffer;
  readonly durationMs: number;
  finalize(): { tail: Buffer | null; patches: Patch[] };
}

function formatFor(path: string): FileFormat {
  if (path.endsWith('.mp4')) {
    const w = new Mp4FileWriter();
    return {
      start: () => w.start(),
      add: (f) => w.add(f),
      get durationMs() {
        return w.durationMs;
      },
      finalize: () => {
        const t = w.finish();
        return { tail: t.tail, patches: [...t.patches] };
      },
    };
  }
  const w = new FlvFileWriter();
  return {
    start: () => w.start(),
    add: (f) => w.add(f),
    get durationMs() {
      return w.durationMs;
    },
    finalize: () => ({ tail: null, patches: w.finish().patches }),
  };
}

/** SRS: a dvr_path ending in neither .flv nor .mp4 is a directory; `/[stream].[timestamp].flv` is appended. */
export function dvrPathTemplate(path: string): string {
  if (path.endsWith('.flv') || path.endsWith('.mp4')) return path;
  return `${path.replace(/\/+$/, '')}/[stream].[timestamp].flv`;
}

/** One publish being recorded: a sink that writes files, cutting segments when the plan says so. */
class DvrRecorder implements Sink {
  readonly id: string;
  private jitter: JitterCorrector;
  private file: { writer: QueuedFileWriter; format: FileFormat; path: string; mp4: boolean; formatVersion: number; media: boolean } | null = null;
  /** Files opened because the format changed, to name the next one apart from a fixed dvr_path. */
  private formatFiles = 0;
  private metadata: MediaFrame | null = null;
  private videoHeader: MediaFrame | null = null;
  private audioHeader: MediaFrame | null = null;
  private hasVideo = false;
  private failed = false;
  private closing: Promise<void>[] = [];

  constructor(
    private readonly ctx: ServerContext,
    private readonly source: LiveSource,
    private readonly vhost: VhostConfig,
    private readonly log: Logger,
    private readonly hook: HookClientInfo,
  ) {
    this.id = `dvr:${source.key}`;
    this.jitter = new JitterCorrector(vhost.dvr.timeJitter);
  }

  offer(frame: MediaFrame): void {
    if (this.failed) return;
    if (frame.kind === 'data') this.metadata = frame;
    else if (frame.sequenceHeader) {
      if (frame.kind === 'video') this.videoHeader = frame;
      else this.audioHeader = frame;
    }
    if (frame.kind === 'video') this.hasVideo = true;
    if (this.file && this.formatChanged(frame)) {
      // An MP4 has one sample entry per track (its moov): media of a new SPS/codec/AAC config cannot follow
      // in it, so the recording goes on in a new file that starts with the new headers. FLV carries the new
      // sequence header in-band, as SRS writes it, and keeps the file.
      const from = this.file.path;
      this.closeFile(`format version ${this.file.formatVersion} -> ${frame.formatVersion}`);
      this.open(from);
      return;
    }
    if (!this.file || this.shouldReap(frame)) {
      if (this.file) this.closeFile('segment');
      this.open();
      // The new file already starts with the headers; do not write them twice.
      if (frame.kind === 'data' || frame.sequenceHeader) return;
    }
    this.write(this.jitter.correct(frame));
  }

  /** A sequence header of a new format version after media went into an MP4 file (issue 12 point 3). */
  private formatChanged(frame: MediaFrame): boolean {
    const file = this.file!;
    if (!file.mp4 || !frame.sequenceHeader) return false;
    if (!file.media) {
      file.formatVersion = frame.formatVersion; // still the file's opening headers
      return false;
    }
    return frame.formatVersion !== file.formatVersion;
  }

  private shouldReap(frame: MediaFrame): boolean {
    const d = this.vhost.dvr;
    if (d.plan !== 'segment' || !this.file) return false;
    if (this.file.format.durationMs < d.durationMs) return false;
    if (!d.waitKeyframe || !this.hasVideo) return true;
    return frame.kind === 'video' && frame.keyframe && !frame.sequenceHeader;
  }

  /** @param previous the file a format change just closed: a fixed dvr_path must not overwrite it. */
  private open(previous?: string): void {
    const now = this.ctx.now();
    let path = expandStreamTemplate(dvrPathTemplate(this.vhost.dvr.path), this.source.vhost, this.source.app, this.source.stream);
    path = expandTimeTemplate(path, now, this.ctx.config().utcTime);
    if (previous !== undefined && path === previous) {
      const dot = path.lastIndexOf('.');
      path = `${path.slice(0, dot)}.${++this.formatFiles}${path.slice(dot)}`;
    }
    const format = formatFor(path);
    const writer = new QueuedFileWriter(`${path}.tmp`);
    const formatVersion = Math.max(this.videoHeader?.formatVersion ?? 0, this.audioHeader?.formatVersion ?? 0);
    this.file = { writer, format, path, mp4: path.endsWith('.mp4'), formatVersion, media: false };
    this.jitter = new JitterCorrector(this.vhost.dvr.timeJitter);
    writer.append(format.start());
    // Every file starts with the metadata and sequence headers so it plays on its own.
    for (const f of [this.metadata, this.videoHeader, this.audioHeader]) if (f) this.write(this.jitter.correct(f));
    this.log.trace(`dvr: recording ${this.source.key} to ${path}`);
  }

  private write(frame: MediaFrame): void {
    const file = this.file!;
    if (!file.media && frame.kind !== 'data' && !frame.sequenceHeader) file.media = true;
    let bytes: Buffer;
    try {
      bytes = file.format.add(frame);
    } catch (err) {
      this.log.warn(`dvr: skip a frame that cannot be recorded: ${errorMessage(err)}`);
      return;
    }
    if (!file.writer.append(bytes)) {
      this.failed = true;
      this.log.error(`dvr: recording ${file.path} failed: ${errorMessage(file.writer.error)}; the file so far is kept`);
      this.closeFile('error');
    }
  }

  private closeFile(why: string): void {
    const file = this.file;
    if (!file) return;
    this.file = null;
    let tail: Buffer | null = null;
    let patches: Patch[] = [];
    try {
      ({ tail, patches } = file.format.finalize());
    } catch (err) {
      this.log.warn(`dvr: cannot finalize ${file.path}: ${errorMessage(err)}`);
    }
    if (tail) file.writer.append(tail);
    const durationMs = file.format.durationMs;
    const done = file.writer.finish(patches, file.path).then((err) => {
      if (err) {
        this.log.error(`dvr: ${file.path}: ${errorMessage(err)}`);
        return;
      }
      this.log.trace(`dvr: closed ${file.path} (${why}), duration=${(durationMs / 1000).toFixed(2)}s`);
      void this.ctx.hooks.notify(this.vhost.httpHooks, 'on_dvr', this.hook, this.log, { cwd: process.cwd(), file: file.path });
    });
    this.closing.push(done);
  }

  /** Close the current file (unpublish or shutdown); resolves when every file is on disk. */
  async stop(): Promise<void> {
    this.closeFile('unpublish');
    await Promise.all(this.closing);
  }
}

export class DvrService implements PublishListener {
  private readonly recorders = new Map<LiveSource, DvrRecorder>();

  constructor(private readonly ctx: ServerContext) {}

  onPublish(source: LiveSource): void {
    const vhost = resolveVhost(this.ctx.config(), source.vhost);
    if (!vhost?.dvr.enabled || !dvrAppliesTo(vhost.dvr.apply, source.app, source.stream)) return;
    const log = this.ctx.log.child(source.sourceId || this.ctx.log.cid);
    const info = source.publishInfo;
    const hook: HookClientInfo = {
      clientId: source.sourceId,
      ip: info?.ip ?? '',
      vhost: source.vhost,
      app: source.app,
      stream: source.stream,
      param: info?.param ?? '',
      tcUrl: info?.tcUrl ?? '',
      pageUrl: info?.pageUrl ?? '',
      streamUrl: source.key,
      streamId: this.ctx.stats.streamId(source.key),
    };
    const rec = new DvrRecorder(this.ctx, source, vhost, log, hook);
    this.recorders.set(source, rec);
    // With the GOP: a recording started by a reload mid-stream begins on a keyframe.
    source.addSink(rec, { gop: true });
  }

  onUnpublish(source: LiveSource): void {
    const rec = this.recorders.get(source);
    if (!rec) return;
    this.recorders.delete(source);
    source.removeSink(rec);
    void rec.stop();
  }

  /** Config reloaded: start recording streams whose vhost now has DVR on, stop those where it is off. */
  reload(): void {
    for (const source of this.ctx.registry.all()) {
      // Only publishes this listener follows (not edge proxies, not worker-mesh relays).
      if (!source.isPublishing || !this.ctx.registry.follows(this, source)) continue;
      const vhost = resolveVhost(this.ctx.config(), source.vhost);
      const wanted = !!vhost?.dvr.enabled && dvrAppliesTo(vhost.dvr.apply, source.app, source.stream);
      const has = this.recorders.has(source);
      if (wanted && !has) this.onPublish(source);
      else if (!wanted && has) this.onUnpublish(source);
    }
  }

  /** Finish every recording (server shutdown). */
  async stop(): Promise<void> {
    const all = [...this.recorders.entries()];
    this.recorders.clear();
    await Promise.all(all.map(([source, rec]) => (source.removeSink(rec), rec.stop())));
  }
}
