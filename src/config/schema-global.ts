// Top-level blocks of the typed config: core settings, http_api, http_server, rtc_server, srt_server,
// stream_caster, stats, heartbeat, exporter, circuit_breaker and the vendor blocks. Defaults and parse
// rules follow SRS 5's getters (config.md §3.1–3.7). Env overrides: `SRS_<PATH>` (reader.ts).

import type { LogLevel } from '../core/logger.js';
import { ConfigError } from '../core/errors.js';
import { type ConfDirective, arg0, getChild, where } from './directive.js';
import { type Endpoint, isValidIp, parseEndpoint } from './endpoint.js';
import { Block, type Env, atof, atoi, envValue, notOff, onlyOn } from './reader.js';
import type {
  CircuitBreakerConfig,
  ExporterConfig,
  HeartbeatConfig,
  HttpApiConfig,
  HttpServerConfig,
  HttpsConfig,
  LogConfig,
  RtcServerConfig,
  SrtServerConfig,
  StatsConfig,
  StreamCasterConfig,
  TencentCloudApmConfig,
  TencentCloudClsConfig,
} from './schema.js';

export interface GlobalBuildOptions {
  envOnly: boolean;
  inDocker: boolean;
}

/** The first non-empty env var among `names`. */
function firstEnv(env: Env, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = envValue(env, n);
    if (v !== undefined) return v;
  }
  return undefined;
}

const V1_LEVELS: Record<string, LogLevel> = {
  verbose: 'verbose',
  info: 'info',
  trace: 'trace',
  warn: 'warn',
  error: 'error',
};
/** srs_log_level_v2 uses log4j names, one step finer than v1's (trace=verbose, debug=info, info=trace). */
const V2_LEVELS: Record<string, LogLevel> = {
  trace: 'verbose',
  debug: 'info',
  info: 'trace',
  warn: 'warn',
  error: 'error',
};

export function buildLog(root: Block, opts: GlobalBuildOptions, warnings: string[]): LogConfig {
  const env = root.env;
  const tankRaw =
    firstEnv(env, 'SRS_SRS_LOG_TANK', 'SRS_LOG_TANK') ??
    (opts.envOnly ? 'console' : undefined) ??
    (arg0(root.get('srs_log_tank')) || undefined);
  // SRS: anything but `console` logs to file; the default is file, console inside docker.
  const tank: LogConfig['tank'] =
    tankRaw === undefined ? (opts.inDocker ? 'console' : 'file') : tankRaw === 'console' ? 'console' : 'file';

  const v2 = firstEnv(env, 'SRS_SRS_LOG_LEVEL_V2', 'SRS_LOG_LEVEL_V2') ?? (arg0(root.get('srs_log_level_v2')) || undefined);
  const v1 = firstEnv(env, 'SRS_SRS_LOG_LEVEL', 'SRS_LOG_LEVEL') ?? (arg0(root.get('srs_log_level')) || 'trace');
  let level: LogLevel;
  if (v2 !== undefined) {
    const mapped = V2_LEVELS[v2];
    if (!mapped) warnings.push(`${locate(root, 'srs_log_level_v2')}: invalid srs_log_level_v2 ${v2}, using trace`);
    level = mapped ?? 'trace';
  } else {
    const mapped = V1_LEVELS[v1];
    if (!mapped) warnings.push(`${locate(root, 'srs_log_level')}: invalid srs_log_level ${v1}, using trace`);
    level = mapped ?? 'trace';
  }
  const file = firstEnv(env, 'SRS_SRS_LOG_FILE', 'SRS_LOG_FILE') ?? (arg0(root.get('srs_log_file')) || './objs/srs.log');
  return { tank, level, file };
}

/** `file:line:col` of a directive in a block, or the block's own location. */
export function locate(block: Block, name?: string): string {
  const d = (name ? block.get(name) : undefined) ?? block.dir;
  return d ? where(d) : '<env>';
}

/** Endpoint check for servers that will bind: valid IP and port > 0. */
function checkBindable(ep: Endpoint, raw: string, what: string, at: string): void {
  if (!isValidIp(ep.host)) throw new ConfigError(`${at}: ${what}=${raw} has invalid ip ${ep.host}`);
  if (ep.port <= 0 || ep.port > 65535) throw new ConfigError(`${at}: ${what}=${raw} has invalid port ${ep.port}`);
}

function buildHttps(block: Block, defListen: string, enabledParent: boolean): HttpsConfig & { rawListen: string } {
  // SRS quirk: https.listen/key/cert return arg0 even when empty; we treat empty as default.
  const rawListen = block.str('listen', defListen);
  const cfg = {
    enabled: block.off('enabled'),
    listen: parseEndpoint(rawListen),
    key: block.str('key', './conf/server.key'),
    cert: block.str('cert', './conf/server.crt'),
    rawListen,
  };
  if (cfg.enabled && enabledParent) checkBindable(cfg.listen, rawListen, `${block.path}.listen`, locate(block, 'listen'));
  return cfg;
}

export function buildHttp(root: Block): { httpApi: HttpApiConfig; httpServer: HttpServerConfig } {
  const apiB = root.block('http_api');
  const srvB = root.block('http_server');
  const apiListen = apiB.str('listen', '1985');
  const srvListen = srvB.str('listen', '8080');
  const srvHttps = buildHttps(srvB.block('https'), '8088', srvB.off('enabled'));
  // SRS: when the API shares the HTTP server port, its HTTPS port follows the server's by default.
  const apiHttpsDefault = apiListen === srvListen ? srvHttps.rawListen : '1990';
  const apiHttps = buildHttps(apiB.block('https'), apiHttpsDefault, apiB.off('enabled'));

  const httpApi: HttpApiConfig = {
    enabled: apiB.off('enabled'),
    listen: parseEndpoint(apiListen),
    crossdomain: apiB.on('crossdomain'),
    rawApi: {
      enabled: apiB.block('raw_api').off('enabled'),
      allowReload: apiB.block('raw_api').off('allow_reload'),
      // Removed features in SRS 4+: accepted, always off.
      allowQuery: false,
      allowUpdate: false,
    },
    auth: {
      enabled: apiB.block('auth').off('enabled'),
      username: apiB.block('auth').str('username', ''),
      password: apiB.block('auth').str('password', ''),
      metrics: apiB.block('auth').off('metrics'),
    },
    https: { enabled: apiHttps.enabled, listen: apiHttps.listen, key: apiHttps.key, cert: apiHttps.cert },
  };
  const httpServer: HttpServerConfig = {
    enabled: srvB.off('enabled'),
    listen: parseEndpoint(srvListen),
    dir: srvB.str('dir', './objs/nginx/html'),
    crossdomain: srvB.on('crossdomain'),
    https: { enabled: srvHttps.enabled, listen: srvHttps.listen, key: srvHttps.key, cert: srvHttps.cert },
  };

  // SRS check_normal_config: listens non-empty; shared HTTP port implies shared HTTPS port and vice versa.
  if (apiListen === '') throw new ConfigError(`${locate(apiB, 'listen')}: http_api.listen requires params`);
  if (srvListen === '') throw new ConfigError(`${locate(srvB, 'listen')}: http_server.listen requires params`);
  if (apiListen === srvListen && apiHttps.rawListen !== srvHttps.rawListen) {
    throw new ConfigError(
      `${locate(apiB.block('https'), 'listen')}: for same http, https api(${apiHttps.rawListen}) != server(${srvHttps.rawListen})`,
    );
  }
  if (apiHttps.rawListen === srvHttps.rawListen && apiListen !== srvListen) {
    throw new ConfigError(`${locate(apiB, 'listen')}: for same https, http api(${apiListen}) != server(${srvListen})`);
  }
  if (httpApi.https.enabled && !httpApi.enabled) {
    throw new ConfigError(`${locate(apiB.block('https'), 'enabled')}: https api depends on http`);
  }
  if (httpServer.https.enabled && !httpServer.enabled) {
    throw new ConfigError(`${locate(srvB.block('https'), 'enabled')}: https stream depends on http`);
  }
  if (httpApi.enabled) checkBindable(httpApi.listen, apiListen, 'http_api.listen', locate(apiB, 'listen'));
  if (httpServer.enabled) checkBindable(httpServer.listen, srvListen, 'http_server.listen', locate(srvB, 'listen'));
  return { httpApi, httpServer };
}

/** SRS `srs_getenv` key for an arbitrary value: strip a leading `$`, upper-case, `.` → `_`. */
function rawEnvKey(v: string): string {
  return v.replace(/^\$/, '').replace(/\./g, '_').toUpperCase();
}

/** rtc_server.candidate: `$NAME` reads env NAME (unset → `*`); SRS also tries an env named after the value. */
function rtcCandidate(b: Block): string {
  const env = b.env;
  const fromEnv = envValue(env, 'SRS_RTC_SERVER_CANDIDATE');
  if (fromEnv !== undefined) {
    if (!fromEnv.startsWith('$')) return fromEnv;
    const indirect = envValue(env, rawEnvKey(fromEnv));
    if (indirect !== undefined) return indirect;
  }
  const v = arg0(b.get('candidate'));
  if (v === '') return '*';
  const named = envValue(env, rawEnvKey(v));
  if (named !== undefined) return named;
  return v.startsWith('$') ? '*' : v;
}

export function buildRtcServer(root: Block): RtcServerConfig {
  const b = root.block('rtc_server');
  return {
    enabled: b.off('enabled'),
    listen: b.int('listen', 8000),
    tcp: { enabled: b.block('tcp').off('enabled'), listen: b.block('tcp').int('listen', 8000) },
    protocol: b.str('protocol', 'udp'),
    candidate: rtcCandidate(b),
    useAutoDetectNetworkIp: b.on('use_auto_detect_network_ip'),
    ipFamily: b.str('ip_family', 'ipv4'),
    apiAsCandidates: b.on('api_as_candidates'),
    resolveApiDomain: b.on('resolve_api_domain'),
    keepApiDomain: b.off('keep_api_domain'),
    ecdsa: b.on('ecdsa'),
    encrypt: b.on('encrypt'),
    reuseport: b.int('reuseport', 1),
    mergeNalus: b.off('merge_nalus'),
    blackHole: { enabled: b.block('black_hole').off('enabled'), addr: b.block('black_hole').str('addr', '') },
  };
}

export function buildSrtServer(root: Block): SrtServerConfig {
  const b = root.block('srt_server');
  const cfg: SrtServerConfig = {
    enabled: b.off('enabled'),
    listen: b.int('listen', 10080),
    maxbw: b.int('maxbw', -1),
    mss: b.int('mss', 1500),
    connectTimeoutMs: b.ms('connect_timeout', 3000),
    peerIdleTimeoutMs: b.ms('peer_idle_timeout', 10000),
    defaultApp: b.str('default_app', 'live'),
    peerLatencyMs: b.int('peerlatency', 0),
    recvLatencyMs: b.int('recvlatency', 120),
    latencyMs: b.int('latency', 120),
    tsbpdMode: b.on('tsbpdmode'),
    tlpktDrop: b.on('tlpktdrop'),
    sendBuf: b.int('sendbuf', 8192 * (1500 - 28)),
    recvBuf: b.int('recvbuf', 8192 * (1500 - 28)),
    payloadSize: b.int('payloadsize', 1316),
    passphrase: b.str('passphrase', ''),
    pbKeyLen: b.int('pbkeylen', 0),
    seiFilter: b.on('sei_filter'),
    mixCorrect: b.on('mix_correct'),
  };
  if (cfg.enabled) {
    // libsrt refuses these when setting socket options; SRS then fails to start the SRT server.
    const len = cfg.passphrase.length;
    if (len > 0 && (len < 10 || len > 79)) {
      throw new ConfigError(`${locate(b, 'passphrase')}: srt_server.passphrase must be 10..79 chars, got ${len}`);
    }
    if (![0, 16, 24, 32].includes(cfg.pbKeyLen)) {
      throw new ConfigError(`${locate(b, 'pbkeylen')}: srt_server.pbkeylen must be 0, 16, 24 or 32, got ${cfg.pbKeyLen}`);
    }
  }
  return cfg;
}

/** Casters tsrs runs (issue 16); `gb28181` is refused at load until it is built, `rtsp` left SRS in v4. */
const SUPPORTED_CASTERS = new Set(['mpegts_over_udp', 'flv']);

/** An enabled caster must name a supported engine, a port and an output (SRS fails such a caster at start). */
function checkCaster(b: Block, cfg: StreamCasterConfig): void {
  if (!cfg.enabled) return;
  if (cfg.caster === 'gb28181') {
    throw new ConfigError(`${locate(b, 'caster')}: stream_caster gb28181 is not supported by tsrs (only mpegts_over_udp and flv)`);
  }
  if (!SUPPORTED_CASTERS.has(cfg.caster)) {
    throw new ConfigError(`${locate(b, 'caster')}: unsupported stream_caster.caster "${cfg.caster}" (mpegts_over_udp or flv)`);
  }
  if (cfg.listen <= 0 || cfg.listen > 65535) throw new ConfigError(`${locate(b, 'listen')}: stream_caster.listen has invalid port ${cfg.listen}`);
  if (cfg.output === '') throw new ConfigError(`${locate(b, 'output')}: stream_caster.output is empty (an rtmp:// URL naming the stream)`);
  if (!/^rtmp:\/\/[^/]+\/.+\/.+/.test(cfg.output)) {
    throw new ConfigError(`${locate(b, 'output')}: stream_caster.output=${cfg.output} is not rtmp://host[:port]/app/stream`);
  }
}

export function buildStreamCasters(root: Block): StreamCasterConfig[] {
  return root.all('stream_caster').map((dir) => {
    const b = new Block(dir, 'stream_caster', root.env, false);
    const sip = b.block('sip');
    const cfg: StreamCasterConfig = {
      enabled: b.off('enabled'),
      caster: b.str('caster', ''),
      output: b.str('output', ''),
      listen: b.int('listen', 0),
      sip: {
        enabled: sip.on('enabled'),
        listen: sip.int('listen', 5060),
        timeoutMs: sip.floatSecMs('timeout', 60000),
        reinviteMs: sip.floatSecMs('reinvite', 5000),
        candidate: sip.str('candidate', '*'),
      },
      directive: dir,
    };
    checkCaster(b, cfg);
    return cfg;
  });
}

export function buildStats(root: Block): StatsConfig {
  const b = root.block('stats', false);
  const cfg = { enabled: b.on('enabled'), network: b.int('network', 0), disk: b.get('disk')?.args.slice() ?? [] };
  if (cfg.network < 0) throw new ConfigError(`${locate(b, 'network')}: invalid stats.network=${cfg.network}`);
  return cfg;
}

export function buildHeartbeat(root: Block): HeartbeatConfig {
  const b = root.block('heartbeat');
  const cfg = {
    enabled: b.off('enabled'),
    intervalMs: b.secMs('interval', 10000),
    url: b.str('url', 'http://127.0.0.1:8085/api/v1/servers'),
    deviceId: b.str('device_id', ''),
    summaries: b.off('summaries'),
    ports: b.off('ports'),
  };
  // Checked even when disabled, like SRS.
  if (cfg.intervalMs <= 0) {
    throw new ConfigError(`${locate(b, 'interval')}: invalid heartbeat.interval=${cfg.intervalMs / 1000}`);
  }
  return cfg;
}

export function buildExporter(root: Block): ExporterConfig {
  const b = root.block('exporter');
  const raw = b.str('listen', '9972');
  const enabled = b.off('enabled');
  // SRS 5 answers /metrics with {"code":1090} unless the exporter is on; tsrs keeps serving it on the API
  // port while `enabled` is not set at all (configs that scrape it keep working), and honours an explicit off.
  const metricsOnApi = enabled || b.raw('enabled') === undefined;
  const cfg = { enabled, metricsOnApi, listen: parseEndpoint(raw), label: b.str('label', ''), tag: b.str('tag', '') };
  if (cfg.enabled) checkBindable(cfg.listen, raw, 'exporter.listen', locate(b, 'listen'));
  return cfg;
}

export function buildCircuitBreaker(root: Block): CircuitBreakerConfig {
  const b = root.block('circuit_breaker');
  return {
    enabled: b.on('enabled'),
    highThreshold: b.int('high_threshold', 90),
    highPulse: b.int('high_pulse', 2),
    criticalThreshold: b.int('critical_threshold', 95),
    criticalPulse: b.int('critical_pulse', 1),
    dyingThreshold: b.int('dying_threshold', 99),
    dyingPulse: b.int('dying_pulse', 5),
  };
}

export function buildTencentCloud(root: Block): { cls: TencentCloudClsConfig; apm: TencentCloudApmConfig } {
  const c = root.block('tencentcloud_cls');
  const a = root.block('tencentcloud_apm');
  return {
    cls: {
      enabled: c.off('enabled'),
      statHeartbeat: c.on('stat_heartbeat'),
      statStreams: c.on('stat_streams'),
      debugLogging: c.off('debug_logging'),
      heartbeatRatio: c.int('heartbeat_ratio', 1),
      streamsRatio: c.int('streams_ratio', 1),
      label: c.str('label', ''),
      tag: c.str('tag', ''),
      secretId: c.str('secret_id', ''),
      secretKey: c.str('secret_key', ''),
      endpoint: c.str('endpoint', ''),
      topicId: c.str('topic_id', ''),
    },
    apm: {
      enabled: a.off('enabled'),
      team: a.str('team', ''),
      token: a.str('token', ''),
      endpoint: a.str('endpoint', ''),
      serviceName: a.str('service_name', 'srs-server'),
      debugLogging: a.off('debug_logging'),
    },
  };
}

/** RTMP listen endpoints: SRS_LISTEN (space separated) or the `listen` args; each must be bindable. */
export function buildListen(root: Block, envOnly: boolean): Endpoint[] {
  const fromEnv = envValue(root.env, 'SRS_LISTEN');
  const dir = root.get('listen');
  const raws = fromEnv !== undefined ? fromEnv.split(' ').filter((s) => s !== '') : (dir?.args ?? []);
  const at = dir ? where(dir) : fromEnv !== undefined ? '<env SRS_LISTEN>' : root.dir?.file || '<env>';
  if (!envOnly && raws.length === 0) throw new ConfigError(`${at}: listen requires params`);
  return raws.map((raw) => {
    const ep = parseEndpoint(raw);
    if (!isValidIp(ep.host)) throw new ConfigError(`${at}: listen.ip=${ep.host} is invalid`);
    if (ep.port <= 0 || ep.port > 65535) throw new ConfigError(`${at}: listen.port=${ep.port} is invalid`);
    return ep;
  });
}

/** Core scalars of the top level. */
export function buildCore(root: Block, opts: GlobalBuildOptions) {
  const env = root.env;
  // In env-only mode SRS sets SRS_DAEMON=off unless given.
  const daemonRaw = envValue(env, 'SRS_DAEMON') ?? (opts.envOnly ? 'off' : undefined) ?? (arg0(root.get('daemon')) || undefined);
  const qlv = root.get('query_latest_version');
  const qlvEnv = root.envOf('query_latest_version');
  const trr = root.raw('tcmalloc_release_rate');
  const threadsMs = root.block('threads').secMs('interval', 5000);
  const serverId = envValue(env, 'SRS_SERVER_ID') ?? (arg0(root.get('server_id')) || undefined);
  return {
    pid: root.str('pid', './objs/srs.pid'),
    daemon: daemonRaw === undefined ? true : notOff(daemonRaw),
    asprocess: root.off('asprocess'),
    maxConnections: root.int('max_connections', 1000),
    // SRS reads the global chunk_size override from SRS_VHOST_CHUNK_SIZE.
    chunkSize: (() => {
      const e = envValue(env, 'SRS_VHOST_CHUNK_SIZE');
      if (e !== undefined) return atoi(e);
      return new Block(root.dir, '', env, false).int('chunk_size', 60000);
    })(),
    ffLogDir: root.str('ff_log_dir', './objs'),
    ffLogLevel: root.str('ff_log_level', 'info'),
    utcTime: root.off('utc_time'),
    pithyPrintMs: root.ms('pithy_print_ms', 10000),
    workDir: root.str('work_dir', './'),
    serverId,
    emptyIpOk: root.on('empty_ip_ok'),
    inDocker: opts.inDocker,
    graceStartWaitMs: root.ms('grace_start_wait', 2300),
    graceFinalWaitMs: root.ms('grace_final_wait', 3200),
    forceGraceQuit: root.off('force_grace_quit'),
    disableDaemonForDocker: root.on('disable_daemon_for_docker'),
    inotifyAutoReload: root.off('inotify_auto_reload'),
    autoReloadForDocker: root.on('auto_reload_for_docker'),
    tcmallocReleaseRate: trr === undefined ? 0.8 : Math.min(10, Math.max(0, atof(trr))),
    // SRS quirk: default off, but a present directive enables unless `off`; env uses the `on` rule.
    queryLatestVersion: qlvEnv !== undefined ? onlyOn(qlvEnv) : qlv ? notOff(arg0(qlv)) : false,
    firstWaitForQlvMs: root.secMs('first_wait_for_qlv', 300000),
    threads: { intervalMs: threadsMs > 0 ? threadsMs : 5000 },
  };
}

/** `in_docker on` (config or SRS_IN_DOCKER) forces docker behaviour when detection failed. */
export function configuredInDocker(root: Block): boolean {
  return root.off('in_docker');
}

/** `is_full on` marks SRS's full.conf, which must never be used to run a server. */
export function isFullConfig(rootDir: ConfDirective): ConfDirective | undefined {
  const d = getChild(rootDir, 'is_full');
  return d && onlyOn(arg0(d)) ? d : undefined;
}
