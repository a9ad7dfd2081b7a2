// "not supported yet" warnings for SRS_* environment variables (config.md §1: env overrides the file and
// is the whole config with -e). A variable naming a directive tsrs ignores is reported like the same
// directive written in a file, so `SRS_HEARTBEAT_ENABLED=on` is not dropped silently.

import { knownDirectivePaths } from './check.js';
import { type Env, envName, envValue } from './reader.js';
import { hasSupportedDescendant, isSupported } from './support.js';

let envToPaths: Map<string, string[]> | undefined;

/** SRS_* name → the directive paths it overrides (a name can in theory stand for more than one). */
function pathsByEnvName(): Map<string, string[]> {
  if (envToPaths) return envToPaths;
  const m = new Map<string, string[]>();
  for (const p of knownDirectivePaths()) {
    const n = envName(p);
    const list = m.get(n);
    if (list) list.push(p);
    else m.set(n, [p]);
  }
  return (envToPaths = m);
}

/** The top-most directive on `path` that is unsupported, as the file walk reports it; undefined if supported. */
function topUnsupported(path: string, supported: ReadonlySet<string>): string | undefined {
  if (isSupported(path, supported)) return undefined;
  const parts = path.split('.');
  for (let i = 1; i <= parts.length; i++) {
    const p = parts.slice(0, i).join('.');
    if (!hasSupportedDescendant(p, supported)) return p;
  }
  return path;
}

/**
 * Warnings for set (non-empty) SRS_* variables that override unsupported directives: one per top-most
 * unsupported directive, naming the variables. Same exemptions as the file walk: a block whose
 * `enabled` is set to anything but `on`, and a plain directive set to `off`, need no support.
 */
export function unsupportedEnvWarnings(env: Env, supported: ReadonlySet<string>): string[] {
  const byTop = new Map<string, string[]>();
  for (const [name, paths] of pathsByEnvName()) {
    const value = envValue(env, name);
    if (value === undefined) continue;
    for (const path of paths) {
      const top = topUnsupported(path, supported);
      if (top === undefined) continue;
      if (top === path && value === 'off') continue;
      if (top !== path) {
        const enabled = envValue(env, envName(`${top}.enabled`));
        if (enabled !== undefined && enabled !== 'on') continue;
      }
      const names = byTop.get(top) ?? [];
      if (!names.includes(name)) names.push(name);
      byTop.set(top, names);
    }
  }
  return [...byTop].map(([top, names]) => `<env> ${names.join(' ')}: ${top} is not supported yet, ignored`);
}
