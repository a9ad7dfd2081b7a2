// One `vhost <name> { ... }` block → VhostConfig, with SRS 5 getter defaults (config.md §3.8–3.22).
// Vhost-level env overrides (`SRS_VHOST_<BLOCK>_<NAME>`) apply to every vhost; blocks SRS never reads
// from env (security, refer, forward, cluster, transcode, ingest, exec) ignore env.

import { ConfigError } from '../core/errors.js';
import { type ConfDirective, arg0, where } from './directive.js';
import { Block, type Env, atof, atoi, envValue, notOff, onlyOn, secondsToMs } from './reader.js';
import type {
  ClusterConfig,
  DashConfig,
  DvrConfig,
  EngineConfig,
  ExecConfig,
  ForwardConfig,
  HdsConfig,
  HlsConfig,
  HttpHooksConfig,
  HttpRemuxConfig,
  HttpStaticConfig,
  IngestConfig,
  PlayConfig,
  PublishConfig,
  ReferConfig,
  SecurityConfig,
  SecurityRule,
  TimeJitter,
  TranscodeConfig,
  VhostConfig,
  VhostRtcConfig,
  VhostSrtConfig,
} from './schema.js';

/** SRS_PERF_MW_MSGS: merged-write message count cap. */
const MW_MSGS_MAX = 128;

/** Any word other than `full`/`zero` disables jitter correction (SRS `srs_time_jitter_string2int`). */
export function parseTimeJitter(v: string): TimeJitter {
  return v === 'full' ? 'full' : v === 'zero' ? 'zero' : 'off';
}

/** Whether `dvr_apply` selects `app/stream` (empty or `all` = every stream). */
export function dvrAppliesTo(apply: readonly string[], app: string, stream: string): boolean {
  if (apply.length === 0) return true;
  if (apply.length === 1 && apply[0] === 'all') return true;
  return apply.includes(`${app}/${stream}`);
}

function locate(b: Block, name: string): string {
  const d = b.get(name) ?? b.dir;
  return d ? where(d) : '<env>';
}

function capMwMsgs(v: number): number {
  return v > MW_MSGS_MAX ? MW_MSGS_MAX : v;
}

function buildPlay(v: Block, realtime: boolean, rtcRealtime: boolean): PlayConfig {
  const b = v.block('play');
  const mwMsgsRaw = b.raw('mw_msgs');
  return {
    gopCache: b.on('gop_cache'),
    gopCacheMaxFrames: b.int('gop_cache_max_frames', 2500),
    queueLengthMs: b.secMs('queue_length', 30000),
    timeJitter: parseTimeJitter(b.str('time_jitter', 'full')),
    atc: b.off('atc'),
    atcAuto: b.off('atc_auto'),
    mixCorrect: b.off('mix_correct'),
    mwLatencyMs: b.ms('mw_latency', 350),
    mwMsgs: capMwMsgs(mwMsgsRaw !== undefined ? atoi(mwMsgsRaw) : realtime ? 0 : 8),
    rtcMwMsgs: capMwMsgs(mwMsgsRaw !== undefined ? atoi(mwMsgsRaw) : rtcRealtime ? 0 : 1),
    sendMinIntervalMs: b.floatMs('send_min_interval', 0),
    reduceSequenceHeader: b.off('reduce_sequence_header'),
  };
}

function buildPublish(v: Block): PublishConfig {
  const b = v.block('publish');
  return {
    mr: b.off('mr'),
    mrLatencyMs: b.ms('mr_latency', 350),
    firstPktTimeoutMs: b.ms('firstpkt_timeout', 20000),
    normalTimeoutMs: b.ms('normal_timeout', 5000),
    parseSps: b.on('parse_sps'),
    tryAnnexbFirst: b.on('try_annexb_first'),
    kickoffForIdleMs: b.floatSecMs('kickoff_for_idle', 0),
  };
}

function buildHttpRemux(v: Block): HttpRemuxConfig {
  const b = v.block('http_remux');
  return {
    enabled: b.off('enabled'),
    mount: b.str('mount', '[vhost]/[app]/[stream].flv'),
    fastCacheMs: b.floatSecMs('fast_cache', 0),
    dropIfNotMatch: b.on('drop_if_not_match'),
    hasAudio: b.on('has_audio'),
    hasVideo: b.on('has_video'),
    guessHasAv: b.on('guess_has_av'),
  };
}

function buildHttpStatic(v: Block): HttpStaticConfig {
  const b = v.block('http_static');
  return { enabled: b.off('enabled'), mount: b.str('mount', '[vhost]/'), dir: b.str('dir', './objs/nginx/html') };
}

function buildHls(v: Block, warnings: string[]): HlsConfig {
  const b = v.block('hls');
  const path = b.str('hls_path', './objs/nginx/html');
  const onError = b.str('hls_on_error', 'continue');
  const acodec = b.str('hls_acodec', 'aac');
  const vcodec = b.str('hls_vcodec', 'h264');
  const mount = b.get('hls_mount');
  if (mount) warnings.push(`${where(mount)}: vhost.hls.hls_mount of ${arg0(v.dir)} is ignored: HLS is served at its file paths under http_server.dir`);
  const storageRaw = b.str('hls_storage', 'disk');
  const storage = storageRaw === 'ram' || storageRaw === 'both' ? storageRaw : 'disk';
  const keysRaw = b.raw('hls_keys');
  return {
    enabled: b.off('enabled'),
    storage,
    fragmentMs: b.floatSecMs('hls_fragment', 10000),
    tdRatio: b.float('hls_td_ratio', 1.0),
    aofRatio: b.float('hls_aof_ratio', 2.1),
    windowMs: b.floatSecMs('hls_window', 60000),
    onError: onError === 'ignore' || onError === 'continue' ? onError : 'disconnect',
    path,
    m3u8File: b.str('hls_m3u8_file', '[app]/[stream].m3u8'),
    tsFile: b.str('hls_ts_file', '[app]/[stream]-[seq].ts'),
    tsFloor: b.off('hls_ts_floor'),
    entryPrefix: b.str('hls_entry_prefix', ''),
    acodec: acodec === 'mp3' || acodec === 'an' ? acodec : 'aac',
    vcodec: vcodec === 'vn' ? 'vn' : 'h264',
    cleanup: b.on('hls_cleanup'),
    disposeMs: b.secMs('hls_dispose', 120000),
    waitKeyframe: b.on('hls_wait_keyframe'),
    nbNotify: b.int('hls_nb_notify', 64),
    dtsDirectly: b.on('hls_dts_directly'),
    ctx: b.on('hls_ctx'),
    tsCtx: b.on('hls_ts_ctx'),
    // SRS quirk: default off, yet any present value except `off` enables it.
    keys: keysRaw === undefined ? false : notOff(keysRaw),
    fragmentsPerKey: b.int('hls_fragments_per_key', 5),
    keyFile: b.str('hls_key_file', '[app]/[stream]-[seq].key'),
    keyFilePath: b.str('hls_key_file_path', path),
    keyUrl: b.str('hls_key_url', path),
  };
}

function buildHds(v: Block): HdsConfig {
  const b = v.block('hds');
  return {
    enabled: b.off('enabled'),
    fragmentMs: b.floatSecMs('hds_fragment', 10000),
    windowMs: b.floatSecMs('hds_window', 60000),
    path: b.str('hds_path', './objs/nginx/html'),
  };
}

function buildDash(v: Block): DashConfig {
  const b = v.block('dash');
  return {
    enabled: b.off('enabled'),
    fragmentMs: b.floatSecMs('dash_fragment', 10000),
    updatePeriodMs: b.floatSecMs('dash_update_period', 5000),
    timeshiftMs: b.floatSecMs('dash_timeshift', 300000),
    path: b.str('dash_path', './objs/nginx/html'),
    mpdFile: b.str('dash_mpd_file', '[app]/[stream].mpd'),
    windowSize: b.int('dash_window_size', 5),
    cleanup: b.on('dash_cleanup'),
    disposeMs: b.secMs('dash_dispose', 0),
  };
}

function buildDvr(v: Block, warnings: string[]): DvrConfig {
  const b = v.block('dvr');
  const enabled = b.off('enabled');
  const plan = b.str('dvr_plan', 'session');
  if (plan !== 'session' && plan !== 'segment') {
    // SRS fails the publish with 3083; refuse at load when DVR is on, else just note it.
    const msg = `${locate(b, 'dvr_plan')}: invalid dvr_plan ${plan} of ${arg0(v.dir)}, expect session or segment`;
    if (enabled) throw new ConfigError(msg);
    warnings.push(msg);
  }
  const apply = b.get('dvr_apply');
  return {
    enabled,
    apply: apply && arg0(apply) !== '' ? [...apply.args] : [],
    plan: plan === 'segment' ? 'segment' : 'session',
    path: b.str('dvr_path', './objs/nginx/html/[app]/[stream].[timestamp].flv'),
    durationMs: b.secMs('dvr_duration', 30000),
    waitKeyframe: b.on('dvr_wait_keyframe'),
    timeJitter: parseTimeJitter(b.str('time_jitter', 'full')),
  };
}

function buildHooks(v: Block): HttpHooksConfig {
  const b = v.block('http_hooks');
  // SRS 5: an env override becomes a single URL (no splitting).
  const urls = (name: string): string[] => {
    const e = b.envOf(name);
    if (e !== undefined) return [e];
    return b.get(name)?.args.slice() ?? [];
  };
  return {
    enabled: b.off('enabled'),
    onConnect: urls('on_connect'),
    onClose: urls('on_close'),
    onPublish: urls('on_publish'),
    onUnpublish: urls('on_unpublish'),
    onPlay: urls('on_play'),
    onStop: urls('on_stop'),
    onDvr: urls('on_dvr'),
    onHls: urls('on_hls'),
    onHlsNotify: urls('on_hls_notify'),
  };
}

function buildSecurity(v: Block): SecurityConfig {
  const b = v.block('security', false);
  const rules: SecurityRule[] = [];
  for (const d of b.dir?.children ?? []) {
    if (d.name !== 'allow' && d.name !== 'deny') continue;
    const [method, target] = d.args;
    // SRS silently never matches a rule with another method, yet counts it as an allow rule, which
    // then blocks everyone: refuse such a rule instead.
    if (method !== 'publish' && method !== 'play') {
      throw new ConfigError(`${where(d)}: vhost.security.${d.name} of ${arg0(v.dir)} expects publish|play, got ${method ?? '(none)'}`);
    }
    if (!target) throw new ConfigError(`${where(d)}: vhost.security.${d.name} ${method} of ${arg0(v.dir)} needs all, an ip or a cidr`);
    rules.push({ action: d.name, method, target });
  }
  return { enabled: b.off('enabled'), rules };
}

function buildRefer(v: Block): ReferConfig {
  const b = v.block('refer', false);
  return { enabled: b.off('enabled'), all: b.list('all'), play: b.list('play'), publish: b.list('publish') };
}

function buildForward(v: Block): ForwardConfig {
  const b = v.block('forward', false);
  const backend = arg0(b.get('backend'));
  return { enabled: b.off('enabled'), destination: b.list('destination') ?? [], backend: backend || undefined };
}

function buildCluster(v: Block): ClusterConfig {
  const b = v.block('cluster', false);
  const mode = b.str('mode', 'local') === 'remote' ? 'remote' : 'local';
  return {
    mode,
    isEdge: mode === 'remote',
    origin: b.list('origin') ?? [],
    tokenTraverse: b.off('token_traverse'),
    vhost: b.str('vhost', '[vhost]'),
    debugSrsUpnode: b.on('debug_srs_upnode'),
    protocol: b.str('protocol', 'rtmp'),
    followClient: b.off('follow_client'),
    originCluster: b.off('origin_cluster'),
    coworkers: b.list('coworkers') ?? [],
  };
}

/** `k v;` children as ffmpeg args: names get a leading '-' unless they have one (SRS `srs_prefix_underscores_ifno`). */
function ffmpegParams(b: Block, name: string): string[] {
  const out: string[] = [];
  for (const d of b.get(name)?.children ?? []) {
    out.push(d.name.startsWith('-') ? d.name : `-${d.name}`);
    const v = arg0(d);
    if (v !== '') out.push(v);
  }
  return out;
}

function buildEngine(dir: ConfDirective, env: Env): EngineConfig {
  const b = new Block(dir, 'engine', env, false);
  return {
    name: arg0(dir),
    enabled: b.off('enabled'),
    iformat: b.str('iformat', 'flv'),
    vfilter: ffmpegParams(b, 'vfilter'),
    vcodec: b.str('vcodec', ''),
    vbitrate: b.int('vbitrate', 0),
    vfps: b.float('vfps', 0),
    vwidth: b.int('vwidth', 0),
    vheight: b.int('vheight', 0),
    vthreads: b.int('vthreads', 1),
    vprofile: b.str('vprofile', ''),
    vpreset: b.str('vpreset', ''),
    vparams: ffmpegParams(b, 'vparams'),
    acodec: b.str('acodec', ''),
    abitrate: b.int('abitrate', 0),
    asampleRate: b.int('asample_rate', 0),
    achannels: b.int('achannels', 0),
    aparams: ffmpegParams(b, 'aparams'),
    perfile: ffmpegParams(b, 'perfile'),
    oformat: b.str('oformat', 'flv'),
    output: b.str('output', ''),
  };
}

function buildTranscodes(v: Block): TranscodeConfig[] {
  return v.all('transcode').map((dir) => {
    const b = new Block(dir, 'transcode', v.env, false);
    return {
      scope: arg0(dir),
      enabled: b.off('enabled'),
      ffmpeg: b.str('ffmpeg', ''),
      engines: b.all('engine').map((e) => buildEngine(e, v.env)),
    };
  });
}

function buildIngests(v: Block, warnings: string[]): IngestConfig[] {
  const seen = new Map<string, ConfDirective>();
  return v.all('ingest').map((dir) => {
    const id = arg0(dir);
    const first = seen.get(id);
    if (first) {
      throw new ConfigError(`${where(dir)}: ingest id=${id} exists for ${arg0(v.dir)} (first at ${where(first)})`);
    }
    seen.set(id, dir);
    const b = new Block(dir, 'ingest', v.env, false);
    const input = b.block('input');
    const cfg: IngestConfig = {
      id,
      enabled: b.off('enabled'),
      input: { type: input.str('type', 'file'), url: input.str('url', '') },
      ffmpeg: b.str('ffmpeg', ''),
      engines: b.all('engine').map((e) => buildEngine(e, v.env)),
    };
    if (cfg.enabled && cfg.input.type !== 'file' && cfg.input.type !== 'stream') {
      warnings.push(`${where(dir)}: ingest ${id} of ${arg0(v.dir)} has unsupported input.type ${cfg.input.type}`);
    }
    return cfg;
  });
}

function buildExec(v: Block): ExecConfig {
  const b = v.block('exec', false);
  return { enabled: b.off('enabled'), publish: b.all('publish').map((d) => [...d.args]) };
}

/** An int that SRS resets to its default (with a warning) outside [min, max]. */
function ranged(b: Block, name: string, def: number, min: number, max: number, warnings: string[]): number {
  const v = b.int(name, def);
  if (v < min || v > max) {
    warnings.push(`${locate(b, name)}: ${b.path}.${name}=${v} out of [${min}, ${max}], reset to ${def}`);
    return def;
  }
  return v;
}

function buildRtc(v: Block, warnings: string[]): VhostRtcConfig {
  const b = v.block('rtc');
  const pliRaw = b.raw('pli_for_rtmp');
  let pliForRtmpMs = pliRaw === undefined ? 6000 : secondsToMs(atof(pliRaw));
  if (pliForRtmpMs < 500 || pliForRtmpMs > 30000) {
    warnings.push(`${locate(b, 'pli_for_rtmp')}: vhost.rtc.pli_for_rtmp=${pliRaw} out of [0.5, 30] s, reset to 6`);
    pliForRtmpMs = 6000;
  }
  return {
    enabled: b.off('enabled'),
    rtmpToRtc: b.off('rtmp_to_rtc'),
    rtcToRtmp: b.off('rtc_to_rtmp'),
    keepBframe: b.off('keep_bframe'),
    keepAvcNaluSei: b.on('keep_avc_nalu_sei'),
    opusBitrate: ranged(b, 'opus_bitrate', 48000, 8000, 320000, warnings),
    aacBitrate: ranged(b, 'aac_bitrate', 48000, 8000, 320000, warnings),
    pliForRtmpMs,
    nack: b.on('nack'),
    nackNoCopy: b.on('nack_no_copy'),
    twcc: b.on('twcc'),
    stunTimeoutMs: b.secMs('stun_timeout', 30000),
    stunStrictCheck: b.off('stun_strict_check'),
    dtlsRole: b.str('dtls_role', 'passive'),
    dtlsVersion: b.str('dtls_version', 'auto'),
    dropForPt: b.int('drop_for_pt', 0),
  };
}

function buildSrt(v: Block): VhostSrtConfig {
  const b = v.block('srt');
  // SRS quirk: on when absent, but when present only `on` enables.
  const s = b.raw('srt_to_rtmp');
  return { enabled: b.off('enabled'), srtToRtmp: s === undefined ? true : onlyOn(s) };
}

export function buildVhost(dir: ConfDirective, globalChunkSize: number, env: Env, warnings: string[]): VhostConfig {
  const v = new Block(dir, 'vhost', env, true);
  const name = arg0(dir);
  // min_latency: RTMP/FLV use the default-off rule, RTC the default-on one (SRS get_realtime_enabled).
  const ml = v.raw('min_latency');
  const minLatency = ml === undefined ? false : onlyOn(ml);
  const rtcMinLatency = ml === undefined ? true : notOff(ml);
  const chunkEnv = envValue(env, 'SRS_VHOST_CHUNK_SIZE');
  const chunkRaw = arg0(v.get('chunk_size'));
  const enabledRaw = arg0(v.get('enabled')); // SRS never reads vhost.enabled from env
  return {
    name,
    enabled: enabledRaw === '' ? true : notOff(enabledRaw),
    chunkSize: chunkEnv !== undefined ? atoi(chunkEnv) : chunkRaw !== '' ? atoi(chunkRaw) : globalChunkSize,
    minLatency,
    rtcMinLatency,
    tcpNodelay: v.off('tcp_nodelay'),
    inAckSize: v.int('in_ack_size', 0),
    outAckSize: v.int('out_ack_size', 2500000),
    play: buildPlay(v, minLatency, rtcMinLatency),
    publish: buildPublish(v),
    httpRemux: buildHttpRemux(v),
    httpStatic: buildHttpStatic(v),
    hls: buildHls(v, warnings),
    hds: buildHds(v),
    dash: buildDash(v),
    dvr: buildDvr(v, warnings),
    httpHooks: buildHooks(v),
    security: buildSecurity(v),
    refer: buildRefer(v),
    forward: buildForward(v),
    cluster: buildCluster(v),
    transcodes: buildTranscodes(v),
    ingests: buildIngests(v, warnings),
    exec: buildExec(v),
    rtc: buildRtc(v, warnings),
    srt: buildSrt(v),
    directive: dir,
  };
}
