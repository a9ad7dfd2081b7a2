// Directive-name whitelists (SRS 5 `check_normal_config`): an unknown name is refused with SRS's
// message ("illegal directive X", "illegal vhost.hls.X of V") prefixed by file:line:column. Blocks SRS
// does not check (https, tcp, black_hole, threads, circuit_breaker, vendor blocks, hds, ingest.input)
// only produce a warning for unknown names, so configs SRS accepts keep loading.

import { ConfigError } from '../core/errors.js';
import { type ConfDirective, arg0, getChild, getChildren, where } from './directive.js';

const set = (names: string): ReadonlySet<string> => new Set(names.trim().split(/\s+/));

const ROOT = set(`
  listen pid chunk_size ff_log_dir ff_log_level srs_log_tank srs_log_level srs_log_level_v2 srs_log_file
  max_connections daemon heartbeat tencentcloud_apm http_api stats vhost pithy_print_ms http_server
  stream_caster rtc_server srt_server utc_time work_dir asprocess server_id grace_final_wait
  force_grace_quit grace_start_wait empty_ip_ok disable_daemon_for_docker inotify_auto_reload
  auto_reload_for_docker tcmalloc_release_rate query_latest_version first_wait_for_qlv threads
  circuit_breaker is_full in_docker tencentcloud_cls exporter`);

/** Strict (error) whitelists of top-level blocks. */
const ROOT_BLOCKS: Record<string, ReadonlySet<string>> = {
  http_api: set('enabled listen crossdomain raw_api auth https'),
  http_server: set('enabled listen dir crossdomain https'),
  srt_server: set(`enabled listen maxbw mss latency recvlatency peerlatency connect_timeout sendbuf recvbuf
    payloadsize default_app sei_filter mix_correct tlpktdrop tsbpdmode passphrase pbkeylen peer_idle_timeout`),
  heartbeat: set('enabled interval url device_id summaries ports'),
  stats: set('enabled network disk'),
  rtc_server: set(`enabled listen dir candidate ecdsa tcp encrypt reuseport merge_nalus black_hole protocol
    ip_family api_as_candidates resolve_api_domain keep_api_domain use_auto_detect_network_ip`),
  exporter: set('enabled listen label tag'),
};

/** Lenient (warning) whitelists of blocks SRS leaves unchecked. */
const LENIENT: Record<string, ReadonlySet<string>> = {
  'http_api.https': set('enabled listen key cert'),
  'http_server.https': set('enabled listen key cert'),
  'rtc_server.tcp': set('enabled listen'),
  'rtc_server.black_hole': set('enabled addr'),
  threads: set('interval'),
  circuit_breaker: set('enabled high_threshold high_pulse critical_threshold critical_pulse dying_threshold dying_pulse'),
  tencentcloud_cls: set(`enabled stat_heartbeat stat_streams debug_logging heartbeat_ratio streams_ratio label tag
    secret_id secret_key endpoint topic_id`),
  tencentcloud_apm: set('enabled team token endpoint service_name debug_logging'),
  'vhost.hds': set('enabled hds_fragment hds_window hds_path'),
  'vhost.ingest.input': set('type url'),
};

const RAW_API = set('enabled allow_reload allow_query allow_update');
const AUTH = set('enabled username password metrics');
const CASTER = set('enabled caster output listen sip');
const CASTER_SIP = set('enabled listen timeout reinvite candidate');

const VHOST = set(`enabled chunk_size min_latency tcp_nodelay dvr ingest hls http_hooks refer forward transcode
  bandcheck play publish cluster security http_remux dash http_static hds exec in_ack_size out_ack_size rtc srt`);

const ENGINE = set(`enabled vfilter vcodec vbitrate vfps vwidth vheight vthreads vprofile vpreset vparams acodec
  abitrate asample_rate achannels aparams output perfile iformat oformat`);

const VHOST_BLOCKS: Record<string, ReadonlySet<string>> = {
  dvr: set('enabled dvr_apply dvr_path dvr_plan dvr_duration dvr_wait_keyframe time_jitter'),
  refer: set('enabled all publish play'),
  exec: set('enabled publish'),
  play: set(`time_jitter mix_correct atc atc_auto mw_latency gop_cache gop_cache_max_frames queue_length
    send_min_interval reduce_sequence_header mw_msgs`),
  cluster: set('mode origin token_traverse vhost debug_srs_upnode coworkers origin_cluster protocol follow_client'),
  publish: set('mr mr_latency firstpkt_timeout normal_timeout parse_sps try_annexb_first kickoff_for_idle'),
  ingest: set('enabled input ffmpeg engine'),
  http_static: set('enabled mount dir'),
  http_remux: set('enabled mount fast_cache drop_if_not_match has_audio has_video guess_has_av'),
  dash: set(`enabled dash_fragment dash_update_period dash_timeshift dash_path dash_mpd_file dash_window_size
    dash_dispose dash_cleanup`),
  hls: set(`enabled hls_entry_prefix hls_path hls_fragment hls_window hls_on_error hls_storage hls_mount
    hls_td_ratio hls_aof_ratio hls_acodec hls_vcodec hls_m3u8_file hls_ts_file hls_ts_floor hls_cleanup
    hls_nb_notify hls_wait_keyframe hls_dispose hls_keys hls_fragments_per_key hls_key_file hls_key_file_path
    hls_key_url hls_dts_directly hls_ctx hls_ts_ctx`),
  http_hooks: set(`enabled on_connect on_close on_publish on_unpublish on_play on_stop on_dvr on_hls
    on_hls_notify`),
  forward: set('enabled destination backend'),
  security: set('enabled deny allow'),
  transcode: set('enabled ffmpeg engine'),
  rtc: set(`enabled nack twcc nack_no_copy bframe aac stun_timeout stun_strict_check dtls_role dtls_version
    drop_for_pt rtc_to_rtmp pli_for_rtmp rtmp_to_rtc keep_bframe opus_bitrate aac_bitrate keep_avc_nalu_sei`),
  srt: set('enabled srt_to_rtmp'),
};

function illegal(d: ConfDirective, what: string): never {
  throw new ConfigError(`${where(d)}: illegal ${what}`);
}

function lenient(block: ConfDirective | undefined, path: string, warnings: string[], ofVhost?: string): void {
  const allowed = LENIENT[path];
  if (!block || !allowed) return;
  for (const c of block.children) {
    if (!allowed.has(c.name)) {
      warnings.push(`${where(c)}: unknown directive ${path}.${c.name}${ofVhost ? ` of ${ofVhost}` : ''}, ignored`);
    }
  }
}

function checkVhost(vhost: ConfDirective, warnings: string[]): void {
  const vname = arg0(vhost);
  for (const conf of vhost.children) {
    const n = conf.name;
    if (!VHOST.has(n)) illegal(conf, `vhost.${n} of ${vname}`);
    const allowed = VHOST_BLOCKS[n];
    if (allowed) {
      for (const c of conf.children) {
        if (!allowed.has(c.name)) illegal(c, `vhost.${n}.${c.name} of ${vname}`);
      }
    }
    if (n === 'transcode') {
      for (const engine of getChildren(conf, 'engine')) {
        for (const e of engine.children) {
          if (!ENGINE.has(e.name)) illegal(e, `vhost.transcode.engine.${e.name} of ${vname}`);
        }
      }
    }
    if (n === 'ingest') {
      lenient(getChild(conf, 'input'), 'vhost.ingest.input', warnings, vname);
      for (const engine of getChildren(conf, 'engine')) {
        for (const e of engine.children) {
          if (!ENGINE.has(e.name)) illegal(e, `vhost.ingest.engine.${e.name} of ${vname}`);
        }
      }
    }
    if (n === 'hds') lenient(conf, 'vhost.hds', warnings, vname);
    if (n === 'bandcheck') warnings.push(`${where(conf)}: vhost.bandcheck of ${vname} is removed, ignored`);
  }
}

/** Refuses unknown directive names (throws ConfigError); returns warnings for lenient blocks. */
export function checkDirectiveNames(root: ConfDirective): string[] {
  const warnings: string[] = [];
  for (const conf of root.children) {
    if (!ROOT.has(conf.name)) illegal(conf, `directive ${conf.name}`);
  }
  // SRS checks only the first block of each name (later duplicates are never read).
  for (const [name, allowed] of Object.entries(ROOT_BLOCKS)) {
    const block = getChild(root, name);
    for (const c of block?.children ?? []) {
      if (!allowed.has(c.name)) illegal(c, `${name}.${c.name}`);
    }
  }
  const api = getChild(root, 'http_api');
  for (const c of getChild(api, 'raw_api')?.children ?? []) {
    if (!RAW_API.has(c.name)) illegal(c, `http_api.raw_api.${c.name}`);
  }
  for (const c of getChild(api, 'auth')?.children ?? []) {
    if (!AUTH.has(c.name)) illegal(c, `http_api.auth.${c.name}`);
  }
  lenient(getChild(api, 'https'), 'http_api.https', warnings);
  lenient(getChild(getChild(root, 'http_server'), 'https'), 'http_server.https', warnings);
  const rtc = getChild(root, 'rtc_server');
  lenient(getChild(rtc, 'tcp'), 'rtc_server.tcp', warnings);
  lenient(getChild(rtc, 'black_hole'), 'rtc_server.black_hole', warnings);
  for (const name of ['threads', 'circuit_breaker', 'tencentcloud_cls', 'tencentcloud_apm']) {
    lenient(getChild(root, name), name, warnings);
  }
  for (const caster of getChildren(root, 'stream_caster')) {
    for (const c of caster.children) {
      if (!CASTER.has(c.name)) illegal(c, `stream_caster.${c.name}`);
      if (c.name === 'sip') {
        for (const s of c.children) {
          if (!CASTER_SIP.has(s.name)) illegal(s, `stream_caster.sip.${s.name}`);
        }
      }
    }
  }
  for (const vhost of getChildren(root, 'vhost')) checkVhost(vhost, warnings);
  return warnings;
}

/** Every directive path the whitelists know (`http_api.auth.enabled`, `vhost.hls.hls_fragment`...). */
export function knownDirectivePaths(): string[] {
  const out: string[] = [...ROOT];
  const under = (prefix: string, names: Iterable<string>): void => {
    for (const n of names) out.push(`${prefix}.${n}`);
  };
  for (const [name, names] of Object.entries(ROOT_BLOCKS)) under(name, names);
  for (const [path, names] of Object.entries(LENIENT)) under(path, names);
  under('http_api.raw_api', RAW_API);
  under('http_api.auth', AUTH);
  under('stream_caster', CASTER);
  under('stream_caster.sip', CASTER_SIP);
  under('vhost', VHOST);
  for (const [name, names] of Object.entries(VHOST_BLOCKS)) under(`vhost.${name}`, names);
  under('vhost.transcode.engine', ENGINE);
  under('vhost.ingest.engine', ENGINE);
  return out;
}
