// http_remux.fast_cache: keep the last N seconds of audio of each published stream, so a new HTTP-AAC/MP3
// listener's player fills its buffer at once instead of waiting N seconds (SRS SrsBufferCache).
import type { MediaFrame } from '../../kernel/media-frame.js';
import { resolveVhost } from '../../config/index.js';
import type { ServerContext } from '../context.js';
import type { LiveSource, PublishListener } from '../live/live-source.js';
import type { Sink } from '../live/sink.js';

class AudioCache implements Sink {
  readonly id: string;
  private frames: MediaFrame[] = [];
  constructor(source: LiveSource, private readonly durationMs: number) {
    this.id = `fast-cache:${source.key}`;
  }
  offer(frame: MediaFrame): void {
    if (frame.kind !== 'audio' || frame.sequenceHeader) return;
    this.frames.push(frame);
    const oldest = frame.dts - this.durationMs;
    let drop = 0;
    while (drop < this.frames.length && this.frames[drop]!.dts < oldest) drop++;
    if (drop > 0) this.frames.splice(0, drop);
  }
  snapshot(): readonly MediaFrame[] {
    return this.frames;
  }
}

export class AudioFastCaches implements PublishListener {
  /** A worker-mesh relay has HTTP-AAC/MP3 listeners of its own: they want the cache too. */
  readonly relay = true;
  private readonly caches = new Map<LiveSource, AudioCache>();
  constructor(private readonly ctx: ServerContext) {
    ctx.registry.addPublishListener(this);
  }

  onPublish(source: LiveSource): void {
    const v = resolveVhost(this.ctx.config(), source.vhost);
    const r = v?.httpRemux;
    if (!r?.enabled || r.fastCacheMs <= 0 || !/\.(aac|mp3)$/.test(r.mount)) return;
    const cache = new AudioCache(source, r.fastCacheMs);
    this.caches.set(source, cache);
    source.addSink(cache, { gop: false });
  }

  onUnpublish(source: LiveSource): void {
    const cache = this.caches.get(source);
    if (!cache) return;
    this.caches.delete(source);
    source.removeSink(cache);
  }

  /** The cached audio of a source, oldest first (empty when there is none). */
  audioOf(source: LiveSource): readonly MediaFrame[] {
    return this.caches.get(source)?.snapshot() ?? [];
  }
}
