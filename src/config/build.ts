// Parsed tree → validated SrsConfig: legacy transform, name whitelists, typed values with env
// overrides and SRS defaults, then the cross-directive check rules of SRS `check_normal_config`.

import { ConfigError } from '../core/errors.js';
import { type ConfDirective, getChild, getChildren, makeDirective, where } from './directive.js';
import { checkDirectiveNames } from './check.js';
import { Block, type Env } from './reader.js';
import {
  buildCircuitBreaker,
  buildCore,
  buildExporter,
  buildHeartbeat,
  buildHttp,
  buildListen,
  buildLog,
  buildRtcServer,
  buildSrtServer,
  buildStats,
  buildStreamCasters,
  buildTencentCloud,
  configuredInDocker,
  isFullConfig,
} from './schema-global.js';
import { buildVhost } from './schema-vhost.js';
import { unsupportedEnvWarnings } from './env-support.js';
import { SUPPORTED_DIRECTIVES, unsupportedWarnings } from './support.js';
import { transformTree } from './transform.js';
import type { SrsConfig, VhostConfig } from './schema.js';

export const DEFAULT_VHOST = '__defaultVhost__';

/** RTMP chunk size bounds (SRS_CONSTS_RTMP_MIN/MAX_CHUNK_SIZE); outside only warns, like SRS. */
const MIN_CHUNK_SIZE = 128;
const MAX_CHUNK_SIZE = 65536;

export interface ConfigOptions {
  /** `-e` / SRS_ENV_ONLY: no file; listen not required; daemon off and console log unless env says otherwise. */
  envOnly?: boolean;
  /** Running in a container (detected by the loader): default log tank becomes console. */
  inDocker?: boolean;
  /** Directives the server acts on; others produce "not supported yet" warnings. */
  supported?: ReadonlySet<string>;
}

function buildVhosts(tree: ConfDirective, chunkSize: number, env: Env, warnings: string[]): Map<string, VhostConfig> {
  const vhosts = new Map<string, VhostConfig>();
  for (const dir of getChildren(tree, 'vhost')) {
    const name = dir.args[0] ?? '';
    const first = vhosts.get(name);
    if (first) {
      // SRS looks vhosts up by first match: a later block with the same name is never used.
      warnings.push(`${where(dir)}: duplicated vhost ${name} (first at ${where(first.directive)}), ignored`);
      continue;
    }
    vhosts.set(name, buildVhost(dir, chunkSize, env, warnings));
  }
  return vhosts;
}

/** Cross-directive rules of SRS check_normal_config / check_number_connections / check_config. */
function checkRules(cfg: SrsConfig, tree: ConfDirective): void {
  const at = (name: string): string => {
    const d = getChild(tree, name);
    return d ? where(d) : cfg.file || '<env>';
  };
  const warnings = cfg.warnings;

  if (cfg.log.tank === 'file' && cfg.log.file === '') throw new ConfigError(`${at('srs_log_file')}: log file is empty`);

  for (const v of cfg.vhosts.values()) {
    const remuxes = getChildren(v.directive, 'http_remux');
    if (remuxes.length > 1) {
      throw new ConfigError(`${where(remuxes[1]!)}: vhost.http_remux only one but count=${remuxes.length} of ${v.name}`);
    }
    if (v.hls.enabled && v.httpRemux.enabled && v.httpRemux.mount.endsWith('.ts')) {
      const d = getChild(getChild(v.directive, 'http_remux'), 'mount') ?? v.directive;
      throw new ConfigError(`${where(d)}: vhost.hls conflict with vhost.http-ts of ${v.name}`);
    }
    if (v.forward.enabled && v.publish.kickoffForIdleMs > 0) {
      const d = getChild(getChild(v.directive, 'publish'), 'kickoff_for_idle') ?? v.directive;
      throw new ConfigError(`${where(d)}: vhost.forward conflicts with vhost.publish.kickoff_for_idle of ${v.name}`);
    }
  }

  if (cfg.chunkSize < MIN_CHUNK_SIZE || cfg.chunkSize > MAX_CHUNK_SIZE) {
    warnings.push(`${at('chunk_size')}: chunk_size=${cfg.chunkSize} should be in [${MIN_CHUNK_SIZE}, ${MAX_CHUNK_SIZE}]`);
  }
  for (const v of cfg.vhosts.values()) {
    if (v.chunkSize !== cfg.chunkSize && (v.chunkSize < MIN_CHUNK_SIZE || v.chunkSize > MAX_CHUNK_SIZE)) {
      const d = getChild(v.directive, 'chunk_size') ?? v.directive;
      warnings.push(`${where(d)}: chunk_size=${v.chunkSize} of ${v.name} should be in [${MIN_CHUNK_SIZE}, ${MAX_CHUNK_SIZE}]`);
    }
  }

  if (cfg.asprocess && cfg.daemon) {
    throw new ConfigError(`${at('asprocess')}: daemon conflicts with asprocess (set daemon off)`);
  }
  if (cfg.maxConnections <= 0) {
    throw new ConfigError(`${at('max_connections')}: max_connections=${cfg.maxConnections} is invalid`);
  }
  const full = isFullConfig(tree);
  if (full) throw new ConfigError(`${where(full)}: never use full.conf(${cfg.file})`);
}

/**
 * Builds the validated config from a parsed tree (mutated in place by the legacy transform).
 * Throws ConfigError naming file:line:column.
 */
export function buildConfig(tree: ConfDirective, file: string, env: Env = {}, options: ConfigOptions = {}): SrsConfig {
  const envOnly = options.envOnly ?? false;
  const warnings: string[] = transformTree(tree);

  if (envOnly && tree.children.length === 0) {
    tree.children.push(makeDirective('vhost', [DEFAULT_VHOST], { file, line: 0, column: 0 }));
  }
  if (!envOnly && tree.children.length === 0) throw new ConfigError(`${file}: conf is empty`);

  warnings.push(...checkDirectiveNames(tree));

  const root = new Block(tree, '', env, true);
  const inDocker = (options.inDocker ?? false) || configuredInDocker(root);
  const opts = { envOnly, inDocker };
  const core = buildCore(root, opts);
  const listen = buildListen(root, envOnly);
  const heartbeat = buildHeartbeat(root);
  const stats = buildStats(root);
  const { httpApi, httpServer } = buildHttp(root);
  const log = buildLog(root, opts, warnings);
  const cloud = buildTencentCloud(root);

  const cfg: SrsConfig = {
    file,
    envOnly,
    listen,
    ...core,
    log,
    circuitBreaker: buildCircuitBreaker(root),
    tencentcloudCls: cloud.cls,
    tencentcloudApm: cloud.apm,
    exporter: buildExporter(root),
    heartbeat,
    stats,
    httpApi,
    httpServer,
    rtcServer: buildRtcServer(root),
    srtServer: buildSrtServer(root),
    streamCasters: buildStreamCasters(root),
    vhosts: buildVhosts(tree, core.chunkSize, env, warnings),
    tree,
    warnings,
  };

  checkRules(cfg, tree);

  if (cfg.daemon) {
    const d = getChild(tree, 'daemon');
    warnings.push(`${d ? where(d) : file || '<env>'}: daemon is ignored; use a supervisor (tsrs runs in the foreground)`);
  }
  warnings.push(...unsupportedWarnings(tree, options.supported ?? SUPPORTED_DIRECTIVES));
  warnings.push(...unsupportedEnvWarnings(env, options.supported ?? SUPPORTED_DIRECTIVES));
  return cfg;
}

/** The vhost serving `name`: exact match, else `__defaultVhost__`, else undefined (SRS get_vhost). */
export function resolveVhost(config: SrsConfig, name: string): VhostConfig | undefined {
  return config.vhosts.get(name) ?? config.vhosts.get(DEFAULT_VHOST);
}
