import type { MediaFrame } from '../../kernel/media-frame.js';

/**
 * An output attached to a LiveSource: an RTMP player, an HTTP-FLV viewer, an HLS muxer, a recorder...
 * The hub calls these synchronously and never switches on the kind of sink.
 */
export interface Sink {
  /** A short id for logs and stats (the connection's context id for players). */
  readonly id: string;
  /**
   * A viewer (player) rather than a service sink (HLS, DVR, forward): viewers make a stream "demanded",
   * which is what starts an edge's pull from its origin (SourceRegistry.addDemandListener).
   */
  readonly viewer?: boolean;
  /** One frame, live or from the caches during catch-up. Must not throw for the hub's sake (it is guarded anyway). */
  offer(frame: MediaFrame): void;
  /** A publisher started (or restarted) on the source. */
  onPublish?(): void;
  /** The publisher left; the sink stays attached for a republish unless it chooses to close. */
  onUnpublish?(): void;
}
