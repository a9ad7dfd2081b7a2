// Shared by the caster unit tests only (not exported from index.ts): a ServerContext with the real
// admission service, source registry and stats, recording hooks, a settable clock and captured logs.
import type { Logger } from '../../core/logger.js';
import type { SrsConfig } from '../../config/index.js';
import { AdmissionService } from '../admission/index.js';
import type { ServerContext } from '../context.js';
import type { HookClientInfo } from '../hooks/http-hooks.js';
import { SourceRegistry } from '../live/live-source.js';
import { Stats } from '../stats/stats.js';

export class RecordingHooks {
  calls: { action: string; client: HookClientInfo }[] = [];
  /** Gate actions refused (as a hook answering non-zero). */
  deny = new Set<string>();
  async gate(_cfg: unknown, action: string, client: HookClientInfo): Promise<void> {
    this.calls.push({ action, client });
    if (this.deny.has(action)) throw new Error(`hook ${action} refused`);
  }
  async notify(_cfg: unknown, action: string, client: HookClientInfo): Promise<void> {
    this.calls.push({ action, client });
  }
}

export interface CasterTestContext {
  ctx: ServerContext;
  hooks: RecordingHooks;
  stats: Stats;
  lines: string[];
  clock: number;
}

export function casterTestContext(config: SrsConfig): CasterTestContext {
  const lines: string[] = [];
  const logger = (cid: string): Logger => ({
    cid,
    verbose() {},
    info: (m) => lines.push(m),
    trace: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
    child: (c) => logger(c),
  });
  const hooks = new RecordingHooks();
  const stats = new Stats();
  const t: CasterTestContext = { ctx: undefined as never, hooks, stats, lines, clock: 1_000_000 };
  const ctx: ServerContext = {
    config: () => config,
    registry: new SourceRegistry(logger('reg')),
    stats,
    log: logger('srv'),
    now: () => t.clock,
    random: (k) => Buffer.alloc(k),
    serverId: 'vid-test',
    serviceId: 'svc',
    hooks: hooks as never,
    admission: new AdmissionService(() => ctx),
    connections: 0,
  };
  t.ctx = ctx;
  return t;
}
