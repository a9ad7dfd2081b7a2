// Reading values the way SRS's getters do: env var (if non-empty) > first directive's arg0 > default.
// Numbers parse like C atoi/atof (leading junk-free prefix, garbage = 0); booleans follow the two SRS
// rules (config.md §1): default-off flags are true only for the literal `on`; default-on flags are
// true unless the literal `off`.

import { type ConfDirective, arg0, getChild, getChildren } from './directive.js';

export type Env = Record<string, string | undefined>;

/** C `atoi`/`atol`: optional whitespace and sign, then decimal digits; anything else stops. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const v = Number.parseInt(m[1]!, 10);
  return Number.isFinite(v) ? v : 0;
}

/** C `atof`: decimal float prefix (with exponent), `inf`/`nan` words; garbage = 0. */
export function atof(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(s);
  if (m) return Number.parseFloat(m[1]!);
  const w = /^[ \t\n\v\f\r]*([+-]?)(inf(?:inity)?|nan)/i.exec(s);
  if (!w) return 0;
  if (w[2]!.toLowerCase() === 'nan') return Number.NaN;
  return w[1] === '-' ? -Infinity : Infinity;
}

/** Seconds (float) → milliseconds, truncated at the microsecond like SRS's `srs_utime_t` cast. */
export function secondsToMs(sec: number): number {
  return Math.trunc(sec * 1_000_000) / 1000;
}

/** Default-off flag: only `on` is true (SRS_CONF_PERFER_FALSE). */
export function onlyOn(v: string): boolean {
  return v === 'on';
}

/** Default-on flag: anything but `off` is true (SRS_CONF_PERFER_TRUE). */
export function notOff(v: string): boolean {
  return v !== 'off';
}

/** `SRS_` env name for a dotted config path: upper-case, `.` → `_` (SRS `srs_getenv`). */
export function envName(path: string): string {
  return `SRS_${path.replace(/\./g, '_').toUpperCase()}`;
}

/** An env value, treating empty as unset (SRS checks `!srs_getenv(key).empty()`). */
export function envValue(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * A view of one config block with env overrides. `path` is the dotted path used for env names
 * (`http_api`, `vhost.hls`); `envEnabled` false for blocks SRS never reads from env (security, refer,
 * cluster, forward, transcode, ingest, exec, stats, stream_caster).
 */
export class Block {
  constructor(
    readonly dir: ConfDirective | undefined,
    readonly path: string,
    readonly env: Env,
    readonly envEnabled = true,
  ) {}

  /** A child block (first one with that name). */
  block(name: string, envEnabled = this.envEnabled): Block {
    return new Block(getChild(this.dir, name), this.path ? `${this.path}.${name}` : name, this.env, envEnabled);
  }

  get(name: string): ConfDirective | undefined {
    return getChild(this.dir, name);
  }

  all(name: string): ConfDirective[] {
    return getChildren(this.dir, name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** The env override for `name` when env is enabled for this block. */
  envOf(name: string): string | undefined {
    if (!this.envEnabled) return undefined;
    return envValue(this.env, envName(this.path ? `${this.path}.${name}` : name));
  }

  /** Raw value: env, then arg0 when non-empty, else undefined. */
  raw(name: string): string | undefined {
    const e = this.envOf(name);
    if (e !== undefined) return e;
    const v = arg0(this.get(name));
    return v === '' ? undefined : v;
  }

  str(name: string, def: string): string {
    return this.raw(name) ?? def;
  }

  int(name: string, def: number): number {
    const v = this.raw(name);
    return v === undefined ? def : atoi(v);
  }

  float(name: string, def: number): number {
    const v = this.raw(name);
    return v === undefined ? def : atof(v);
  }

  /** Default-off flag. */
  off(name: string): boolean {
    const v = this.raw(name);
    return v === undefined ? false : onlyOn(v);
  }

  /** Default-on flag. */
  on(name: string): boolean {
    const v = this.raw(name);
    return v === undefined ? true : notOff(v);
  }

  /** Integer milliseconds (atoi). */
  ms(name: string, defMs: number): number {
    return this.int(name, defMs);
  }

  /** Float milliseconds (atof), e.g. send_min_interval. */
  floatMs(name: string, defMs: number): number {
    const v = this.raw(name);
    return v === undefined ? defMs : Math.trunc(atof(v) * 1000) / 1000;
  }

  /** Integer seconds (atoi) → ms, e.g. queue_length, hls_dispose, dvr_duration. */
  secMs(name: string, defMs: number): number {
    const v = this.raw(name);
    return v === undefined ? defMs : atoi(v) * 1000;
  }

  /** Float seconds (atof) → ms, e.g. hls_fragment, fast_cache. */
  floatSecMs(name: string, defMs: number): number {
    const v = this.raw(name);
    return v === undefined ? defMs : secondsToMs(atof(v));
  }

  /** All args of a list directive, or undefined when absent (env replaces it with one space-split list). */
  list(name: string): string[] | undefined {
    const e = this.envOf(name);
    if (e !== undefined) return e.split(' ').filter((s) => s !== '');
    const d = this.get(name);
    return d ? [...d.args] : undefined;
  }
}
