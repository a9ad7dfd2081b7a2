// The typed, validated configuration (built by build.ts from schema-global.ts and schema-vhost.ts).
// Every field carries SRS 5's default (config.md §3) and every duration is in milliseconds (`…Ms`)
// whatever unit the directive is written in.

import type { ConfDirective } from './directive.js';
import type { Endpoint } from './endpoint.js';
import type { LogLevel } from '../core/logger.js';

export type { Endpoint } from './endpoint.js';

export type TimeJitter = 'full' | 'zero' | 'off';

export interface HttpsConfig {
  enabled: boolean;
  listen: Endpoint;
  key: string;
  cert: string;
}

export interface HttpApiConfig {
  enabled: boolean;
  listen: Endpoint;
  /** Only echoed by `rpc=raw` in SRS 5; CORS on every HTTP port follows `httpServer.crossdomain`. */
  crossdomain: boolean;
  rawApi: { enabled: boolean; allowReload: boolean; allowQuery: boolean; allowUpdate: boolean };
  /** `metrics` (tsrs): /metrics needs the credentials too (SRS guards only paths containing /api/). */
  auth: { enabled: boolean; username: string; password: string; metrics: boolean };
  https: HttpsConfig;
}

export interface HttpServerConfig {
  enabled: boolean;
  listen: Endpoint;
  dir: string;
  crossdomain: boolean;
  https: HttpsConfig;
}

export interface RtcServerConfig {
  enabled: boolean;
  /** UDP port. */
  listen: number;
  tcp: { enabled: boolean; listen: number };
  protocol: string; // udp | tcp | all
  /** After `$ENV` resolution; `*` = auto-detect. */
  candidate: string;
  useAutoDetectNetworkIp: boolean;
  ipFamily: string; // ipv4 | ipv6 | all
  apiAsCandidates: boolean;
  resolveApiDomain: boolean;
  keepApiDomain: boolean;
  ecdsa: boolean;
  encrypt: boolean;
  reuseport: number;
  mergeNalus: boolean;
  blackHole: { enabled: boolean; addr: string };
}

export interface SrtServerConfig {
  enabled: boolean;
  /** UDP port. */
  listen: number;
  maxbw: number;
  mss: number;
  connectTimeoutMs: number;
  peerIdleTimeoutMs: number;
  defaultApp: string;
  peerLatencyMs: number;
  recvLatencyMs: number;
  latencyMs: number;
  tsbpdMode: boolean;
  tlpktDrop: boolean;
  sendBuf: number;
  recvBuf: number;
  payloadSize: number;
  passphrase: string;
  pbKeyLen: number;
  seiFilter: boolean;
  mixCorrect: boolean;
}

export interface StreamCasterConfig {
  enabled: boolean;
  /** mpegts_over_udp | flv | gb28181 (others are kept as written). */
  caster: string;
  output: string;
  listen: number;
  sip: { enabled: boolean; listen: number; timeoutMs: number; reinviteMs: number; candidate: string };
  directive: ConfDirective;
}

export interface StatsConfig {
  enabled: boolean;
  network: number;
  disk: string[];
}

export interface HeartbeatConfig {
  enabled: boolean;
  intervalMs: number;
  url: string;
  deviceId: string;
  summaries: boolean;
  ports: boolean;
}

export interface ExporterConfig {
  enabled: boolean;
  /** The API port answers /metrics: exporter on, or `enabled` not configured (tsrs); off → {"code":1090}. */
  metricsOnApi: boolean;
  listen: Endpoint;
  label: string;
  tag: string;
}

export interface CircuitBreakerConfig {
  enabled: boolean;
  highThreshold: number;
  highPulse: number;
  criticalThreshold: number;
  criticalPulse: number;
  dyingThreshold: number;
  dyingPulse: number;
}

export interface TencentCloudClsConfig {
  enabled: boolean;
  statHeartbeat: boolean;
  statStreams: boolean;
  debugLogging: boolean;
  heartbeatRatio: number;
  streamsRatio: number;
  label: string;
  tag: string;
  secretId: string;
  secretKey: string;
  endpoint: string;
  topicId: string;
}

export interface TencentCloudApmConfig {
  enabled: boolean;
  team: string;
  token: string;
  endpoint: string;
  serviceName: string;
  debugLogging: boolean;
}

export interface PlayConfig {
  gopCache: boolean;
  gopCacheMaxFrames: number;
  /** queue_length (integer seconds) × 1000. */
  queueLengthMs: number;
  timeJitter: TimeJitter;
  atc: boolean;
  atcAuto: boolean;
  mixCorrect: boolean;
  /** RTMP/FLV merged-write wait (RTC always uses 0). */
  mwLatencyMs: number;
  /** RTMP/FLV: default 8, 0 when `min_latency on`; capped at 128. */
  mwMsgs: number;
  /** The same for RTC sessions: default 1, 0 when realtime (which RTC is unless `min_latency off`). */
  rtcMwMsgs: number;
  sendMinIntervalMs: number;
  reduceSequenceHeader: boolean;
}

export interface PublishConfig {
  /** As configured; SRS uses merged read only when the vhost is not realtime (min_latency). */
  mr: boolean;
  mrLatencyMs: number;
  firstPktTimeoutMs: number;
  normalTimeoutMs: number;
  parseSps: boolean;
  tryAnnexbFirst: boolean;
  kickoffForIdleMs: number;
}

export interface HttpRemuxConfig {
  enabled: boolean;
  mount: string;
  fastCacheMs: number;
  dropIfNotMatch: boolean;
  hasAudio: boolean;
  hasVideo: boolean;
  guessHasAv: boolean;
}

export interface HttpStaticConfig {
  enabled: boolean;
  mount: string;
  dir: string;
}

export interface HlsConfig {
  enabled: boolean;
  /** `hls_storage` (SRS 2, revived): `disk` (default), `ram` (served from memory only) or `both`. */
  storage: 'disk' | 'ram' | 'both';
  fragmentMs: number;
  tdRatio: number;
  aofRatio: number;
  windowMs: number;
  /** Any value other than `ignore`/`continue` means disconnect (as SRS). */
  onError: 'ignore' | 'disconnect' | 'continue';
  path: string;
  m3u8File: string;
  tsFile: string;
  tsFloor: boolean;
  entryPrefix: string;
  /** Unknown values fall back to aac. */
  acodec: 'aac' | 'mp3' | 'an';
  /** Unknown values fall back to h264. */
  vcodec: 'h264' | 'vn';
  cleanup: boolean;
  disposeMs: number;
  waitKeyframe: boolean;
  nbNotify: number;
  dtsDirectly: boolean;
  ctx: boolean;
  tsCtx: boolean;
  keys: boolean;
  fragmentsPerKey: number;
  keyFile: string;
  keyFilePath: string;
  keyUrl: string;
}

export interface HdsConfig {
  enabled: boolean;
  fragmentMs: number;
  windowMs: number;
  path: string;
}

export interface DashConfig {
  enabled: boolean;
  fragmentMs: number;
  updatePeriodMs: number;
  timeshiftMs: number;
  path: string;
  mpdFile: string;
  windowSize: number;
  cleanup: boolean;
  disposeMs: number;
}

export interface DvrConfig {
  enabled: boolean;
  /** `dvr_apply` args; empty or `['all']` = every stream; else `app/stream` ids. See `dvrAppliesTo`. */
  apply: string[];
  plan: 'session' | 'segment';
  path: string;
  durationMs: number;
  waitKeyframe: boolean;
  timeJitter: TimeJitter;
}

export interface HttpHooksConfig {
  enabled: boolean;
  onConnect: string[];
  onClose: string[];
  onPublish: string[];
  onUnpublish: string[];
  onPlay: string[];
  onStop: string[];
  onDvr: string[];
  onHls: string[];
  onHlsNotify: string[];
}

export interface SecurityRule {
  action: 'allow' | 'deny';
  method: 'publish' | 'play';
  /** `all`, an IP, or an IPv4 CIDR. */
  target: string;
}

export interface SecurityConfig {
  enabled: boolean;
  rules: SecurityRule[];
}

export interface ReferConfig {
  enabled: boolean;
  all: string[] | undefined;
  play: string[] | undefined;
  publish: string[] | undefined;
}

export interface ForwardConfig {
  enabled: boolean;
  destination: string[];
  backend: string | undefined;
}

export interface ClusterConfig {
  mode: 'local' | 'remote';
  /** mode remote. */
  isEdge: boolean;
  origin: string[];
  tokenTraverse: boolean;
  vhost: string;
  debugSrsUpnode: boolean;
  protocol: string; // rtmp | flv | flvs
  followClient: boolean;
  originCluster: boolean;
  coworkers: string[];
}

export interface EngineConfig {
  /** The engine's arg (may be ''). */
  name: string;
  enabled: boolean;
  iformat: string;
  /** ffmpeg args, names prefixed with '-' (e.g. ['-i', 'logo.png', '-filter_complex', '...']). */
  vfilter: string[];
  vcodec: string;
  vbitrate: number;
  vfps: number;
  vwidth: number;
  vheight: number;
  vthreads: number;
  vprofile: string;
  vpreset: string;
  vparams: string[];
  acodec: string;
  abitrate: number;
  asampleRate: number;
  achannels: number;
  aparams: string[];
  perfile: string[];
  oformat: string;
  output: string;
}

export interface TranscodeConfig {
  /** '' = every stream of the vhost, `app`, or `app/stream`. */
  scope: string;
  enabled: boolean;
  ffmpeg: string;
  engines: EngineConfig[];
}

export interface IngestConfig {
  id: string;
  enabled: boolean;
  input: { type: string; url: string };
  ffmpeg: string;
  engines: EngineConfig[];
}

export interface ExecConfig {
  enabled: boolean;
  /** One command line (args) per `publish` directive. */
  publish: string[][];
}

export interface VhostRtcConfig {
  enabled: boolean;
  rtmpToRtc: boolean;
  rtcToRtmp: boolean;
  keepBframe: boolean;
  keepAvcNaluSei: boolean;
  opusBitrate: number;
  aacBitrate: number;
  pliForRtmpMs: number;
  nack: boolean;
  nackNoCopy: boolean;
  twcc: boolean;
  stunTimeoutMs: number;
  stunStrictCheck: boolean;
  dtlsRole: string; // passive | active
  dtlsVersion: string; // auto | dtls1.0 | dtls1.2
  dropForPt: number;
}

export interface VhostSrtConfig {
  enabled: boolean;
  srtToRtmp: boolean;
}

export interface VhostConfig {
  name: string;
  enabled: boolean;
  /** Falls back to the global chunk_size. */
  chunkSize: number;
  /** `min_latency` for RTMP/FLV (default off). */
  minLatency: boolean;
  /** `min_latency` as RTC reads it (default on, "not off"). */
  rtcMinLatency: boolean;
  tcpNodelay: boolean;
  inAckSize: number;
  outAckSize: number;
  play: PlayConfig;
  publish: PublishConfig;
  httpRemux: HttpRemuxConfig;
  httpStatic: HttpStaticConfig;
  hls: HlsConfig;
  hds: HdsConfig;
  dash: DashConfig;
  dvr: DvrConfig;
  httpHooks: HttpHooksConfig;
  security: SecurityConfig;
  refer: ReferConfig;
  forward: ForwardConfig;
  cluster: ClusterConfig;
  transcodes: TranscodeConfig[];
  ingests: IngestConfig[];
  exec: ExecConfig;
  rtc: VhostRtcConfig;
  srt: VhostSrtConfig;
  /** The (transformed) vhost block, for raw access and reload diffs. */
  directive: ConfDirective;
}

export interface LogConfig {
  tank: 'console' | 'file';
  /** Effective level (srs_log_level_v2 wins when set). */
  level: LogLevel;
  file: string;
}

export interface SrsConfig {
  /** Config file path ('' in env-only mode). */
  file: string;
  envOnly: boolean;
  listen: Endpoint[];
  pid: string;
  /** As configured; tsrs always runs in the foreground (see warnings). */
  daemon: boolean;
  asprocess: boolean;
  maxConnections: number;
  chunkSize: number;
  log: LogConfig;
  ffLogDir: string;
  ffLogLevel: string;
  utcTime: boolean;
  pithyPrintMs: number;
  workDir: string;
  /** undefined = not configured: the app generates and persists one (SRS: `vid-` + 7 chars next to the pid file). */
  serverId: string | undefined;
  emptyIpOk: boolean;
  inDocker: boolean;
  graceStartWaitMs: number;
  graceFinalWaitMs: number;
  forceGraceQuit: boolean;
  disableDaemonForDocker: boolean;
  inotifyAutoReload: boolean;
  autoReloadForDocker: boolean;
  tcmallocReleaseRate: number;
  queryLatestVersion: boolean;
  firstWaitForQlvMs: number;
  threads: { intervalMs: number };
  circuitBreaker: CircuitBreakerConfig;
  tencentcloudCls: TencentCloudClsConfig;
  tencentcloudApm: TencentCloudApmConfig;
  exporter: ExporterConfig;
  heartbeat: HeartbeatConfig;
  stats: StatsConfig;
  httpApi: HttpApiConfig;
  httpServer: HttpServerConfig;
  rtcServer: RtcServerConfig;
  srtServer: SrtServerConfig;
  streamCasters: StreamCasterConfig[];
  /** Keyed by vhost name; includes '__defaultVhost__' if configured. First block wins on duplicates. */
  vhosts: Map<string, VhostConfig>;
  /** The transformed tree, for raw access and reload diff. */
  tree: ConfDirective;
  /** Transform notes, "not supported yet" notes and soft check failures; never logged here. */
  warnings: string[];
}
