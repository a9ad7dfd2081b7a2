// Public surface of the config layer: parse SRS config text/files into a validated, typed SrsConfig.

import { type ConfigOptions, buildConfig } from './build.js';
import { type ReadFile, parseConfTree } from './parser.js';
import type { Env } from './reader.js';
import type { SrsConfig } from './schema.js';

export * from './schema.js';
export { type ConfDirective, arg0, getChild, getChildren, where, formatDirective, cloneDirective } from './directive.js';
export { parseEndpoint, formatEndpoint, isValidIp } from './endpoint.js';
export { parseConfTree, type ReadFile } from './parser.js';
export { transformTree } from './transform.js';
export { type ConfigOptions, DEFAULT_VHOST, buildConfig, resolveVhost } from './build.js';
export { SUPPORTED_DIRECTIVES, extendSupported, isSupported, unsupportedWarnings } from './support.js';
export { dvrAppliesTo, parseTimeJitter } from './schema-vhost.js';
export { atoi, atof, type Env } from './reader.js';
export { loadConfigFile, loadConfigFromEnv, detectDocker, type LoadOptions } from './load-config.js';
export { diffConfig, type ConfigDiff } from './diff.js';

/**
 * Parses and validates config text. `readFile` serves `include` (paths as written, cwd-relative);
 * `env` supplies `SRS_*` overrides (env > file > default). Throws ConfigError naming file:line:column.
 */
export function parseConfigText(
  text: string,
  file: string,
  readFile?: ReadFile,
  env?: Env,
  options?: ConfigOptions,
): SrsConfig {
  return buildConfig(parseConfTree(text, file, readFile), file, env ?? {}, options);
}
