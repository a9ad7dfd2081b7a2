// What every feature of the server gets from the CLI: no globals, one object passed down.
import type { Logger } from '../core/logger.js';
import type { SrsConfig } from '../config/index.js';
import type { SourceRegistry } from './live/live-source.js';
import type { Stats } from './stats/stats.js';
import type { HttpHooks } from './hooks/http-hooks.js';
import type { ClusterHooks } from './live/cluster-hooks.js';
import type { Admission } from './admission/index.js';

export interface ServerContext {
  /** The config in force (reload swaps it; read it at decision points, never per frame). */
  config(): SrsConfig;
  readonly registry: SourceRegistry;
  readonly stats: Stats;
  /** The server-wide logger; `log.child(cid)` for a connection. */
  readonly log: Logger;
  /** Wall clock, ms. */
  now(): number;
  random(n: number): Buffer;
  /** Server identity reported to clients and hooks. */
  readonly serverId: string;
  readonly serviceId: string;
  /** HTTP callbacks (on_connect, on_publish, ...). */
  readonly hooks: HttpHooks;
  /**
   * max_connections, security, referer, the gating callbacks and the client records of every protocol
   * (issue 12 point 4): protocols ask it, they do not repeat it.
   */
  readonly admission: Admission;
  /** Open connections across all listeners (= `admission.connections`; /metrics reads it). */
  readonly connections: number;
  /** Edge token traverse and origin-cluster lookups (vhost cluster); set by the server once built. */
  cluster?: ClusterHooks;
}
