// Reload diff: what changed between two validated configs, so the app restarts only that (config.md §5).
// Values are compared structurally on the typed config (env overrides included), not on the text.

import type { SrsConfig, VhostConfig } from './schema.js';

/** Top-level keys SRS 5 cannot change on reload (daemon, pid, logs, HTTP servers, SRT, casters...). */
const NOT_RELOADABLE_TOP = new Set([
  'daemon',
  'pid',
  'log',
  'workDir',
  'serverId',
  'httpApi',
  'httpServer',
  'srtServer',
  'streamCasters',
  'exporter',
]);

/** Vhost sections that SRS 5 does not reload for an existing vhost. */
const NOT_RELOADABLE_VHOST = new Set(['httpStatic', 'httpRemux']);

const IGNORED_TOP = new Set(['file', 'envOnly', 'tree', 'warnings', 'vhosts']);

export interface ConfigDiff {
  /** True when nothing differs. */
  same: boolean;
  /** Changed top-level keys of SrsConfig (e.g. `listen`, `maxConnections`, `rtcServer`). */
  changed: string[];
  vhostsAdded: string[];
  vhostsRemoved: string[];
  /** Per existing vhost, its changed keys (`enabled`, `play`, `hls`, `transcodes`...). */
  vhostsChanged: Map<string, string[]>;
  /** Changes SRS applies only after a restart, as `key` or `vhost.<name>.<key>`. */
  needsRestart: string[];
}

/** JSON with sorted keys; Maps and ConfDirective back-references are skipped by the callers. */
function stable(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const o = val as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .filter((k) => k !== 'directive')
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return val;
  });
}

function vhostChanges(a: VhostConfig, b: VhostConfig): string[] {
  const out: string[] = [];
  for (const key of Object.keys(a) as (keyof VhostConfig)[]) {
    if (key === 'directive' || key === 'name') continue;
    if (stable(a[key]) !== stable(b[key])) out.push(key);
  }
  return out;
}

export function diffConfig(before: SrsConfig, after: SrsConfig): ConfigDiff {
  const changed: string[] = [];
  for (const key of Object.keys(after) as (keyof SrsConfig)[]) {
    if (IGNORED_TOP.has(key)) continue;
    if (stable(before[key]) !== stable(after[key])) changed.push(key);
  }
  const vhostsAdded = [...after.vhosts.keys()].filter((n) => !before.vhosts.has(n));
  const vhostsRemoved = [...before.vhosts.keys()].filter((n) => !after.vhosts.has(n));
  const vhostsChanged = new Map<string, string[]>();
  const needsRestart = changed.filter((k) => NOT_RELOADABLE_TOP.has(k));
  for (const [name, b] of after.vhosts) {
    const a = before.vhosts.get(name);
    if (!a) continue;
    const keys = vhostChanges(a, b);
    if (keys.length === 0) continue;
    vhostsChanged.set(name, keys);
    for (const k of keys) {
      if (NOT_RELOADABLE_VHOST.has(k)) needsRestart.push(`vhost.${name}.${k}`);
    }
    if (a.cluster.mode !== b.cluster.mode) needsRestart.push(`vhost.${name}.cluster.mode`);
    if (a.cluster.originCluster !== b.cluster.originCluster || stable(a.cluster.coworkers) !== stable(b.cluster.coworkers)) {
      needsRestart.push(`vhost.${name}.cluster.originCluster`);
    }
    if (stable(a.dvr.apply) !== stable(b.dvr.apply)) needsRestart.push(`vhost.${name}.dvr.apply`);
  }
  const same = changed.length === 0 && vhostsAdded.length === 0 && vhostsRemoved.length === 0 && vhostsChanged.size === 0;
  return { same, changed, vhostsAdded, vhostsRemoved, vhostsChanged, needsRestart };
}
