// The file-system edge of the config layer: reads the config file (and its includes) and detects a
// container, then hands everything to the pure parser. SRS_ENV_ONLY / SRS_CONFIG_FILE as in SRS 5.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { type ConfigOptions, buildConfig } from './build.js';
import { makeDirective } from './directive.js';
import { parseConfTree } from './parser.js';
import { envValue } from './reader.js';
import type { SrsConfig } from './schema.js';

export type LoadOptions = Omit<ConfigOptions, 'envOnly'>;

/** SRS `srs_detect_docker`: PID 1's cgroup mentions docker. Errors mean "not in docker". */
export function detectDocker(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): boolean {
  try {
    return read('/proc/1/cgroup').includes('/docker');
  } catch {
    return false;
  }
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/**
 * Loads and validates a config file. `SRS_ENV_ONLY` (any value) switches to env-only mode and
 * `SRS_CONFIG_FILE` replaces `path`, like SRS 5. Include paths resolve against the process cwd.
 */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): SrsConfig {
  if (env['SRS_ENV_ONLY'] !== undefined) return loadConfigFromEnv(env, options);
  const file = envValue(env, 'SRS_CONFIG_FILE') ?? path;
  let text: string;
  try {
    text = readText(file);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`no config file at ${file}: ${why}`, { cause: err });
  }
  const tree = parseConfTree(text, file, readText);
  return buildConfig(tree, file, env, { inDocker: options.inDocker ?? detectDocker(), supported: options.supported });
}

/** `-e` / SRS_ENV_ONLY mode: no file; every setting comes from `SRS_*` env vars and defaults. */
export function loadConfigFromEnv(env: NodeJS.ProcessEnv, options: LoadOptions = {}): SrsConfig {
  const tree = makeDirective('', [], { file: '', line: 0, column: 0 });
  return buildConfig(tree, '', env, { envOnly: true, inDocker: options.inDocker ?? false, supported: options.supported });
}
