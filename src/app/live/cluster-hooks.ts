// What the RTMP connection asks of the cluster features (edge and origin cluster) without knowing them:
// features meet through app/live interfaces (ARCHITECTURE.md), so rtmp/ never imports edge/.
import type { Logger } from '../../core/logger.js';
import type { Amf0Value } from '../../kernel/format/amf0.js';
import type { VhostConfig } from '../../config/index.js';

/** An RTMP request as the cluster features need it. */
export interface ClusterRequest {
  vhost: VhostConfig;
  /** Host part of the client's tcUrl. */
  host: string;
  app: string;
  stream: string;
  /** Query with its leading `?`, or ''. */
  param: string;
}

export interface ClusterHooks {
  /**
   * Origin cluster (behaviours.md §6): for an RTMP play of a stream not published here, the RTMP URL of
   * the coworker that publishes it, to answer with a 302. Null when the vhost is not in an origin
   * cluster (serve the play here). Rejects (SRS error 3092) when no coworker has the stream.
   */
  locate(req: ClusterRequest, log: Logger): Promise<string | null>;
  /**
   * Edge token_traverse: before a client of an edge vhost may publish or play, an origin must accept an
   * RTMP connect with the client's tcUrl and connect arguments. Resolves at once when not configured;
   * rejects when every origin refuses or is unreachable.
   */
  traverse(req: ClusterRequest, tcUrl: string, connectArgs: Amf0Value, log: Logger): Promise<void>;
}
