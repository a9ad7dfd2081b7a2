import type { VhostConfig } from '../../config/index.js';
import type { SourceOptions } from './live-source.js';
import type { JitterAlgorithm } from './jitter.js';
import type { LiveSource } from './live-source.js';
import type { QueuedSinkOptions } from './queued-sink.js';

/** The source-level settings of a vhost (read when a source is created or the config reloads). */
export function sourceOptionsOf(v: VhostConfig): SourceOptions {
  return {
    gopCache: v.play.gopCache,
    gopCacheMaxFrames: v.play.gopCacheMaxFrames,
    reduceSequenceHeader: v.play.reduceSequenceHeader,
    mixCorrect: v.play.mixCorrect,
    edge: v.cluster.isEdge,
  };
}

/** A viewer's delivery settings: jitter off under ATC (or atc_auto with bravo_atc metadata), realtime merged writes. */
export function viewerOptionsOf(v: VhostConfig, source: LiveSource): QueuedSinkOptions {
  const atc = v.play.atc || (v.play.atcAuto && source.bravoAtc);
  const jitter: JitterAlgorithm = atc ? 'off' : v.play.timeJitter;
  return { jitter, queueLengthMs: v.play.queueLengthMs, mwLatencyMs: v.minLatency ? 0 : v.play.mwLatencyMs };
}
