// Which directives tsrs acts on. Everything in config.md parses and validates, but a directive the
// server does not implement yet yields a "not supported yet" warning so users are not misled. Paths are
// dotted (`vhost.hls`, `http_api.https`); `x.*` covers `x` and everything below it.

import { type ConfDirective, arg0, getChild, where } from './directive.js';

export const SUPPORTED_DIRECTIVES: ReadonlySet<string> = new Set([
  'listen',
  'pid',
  'daemon',
  'srs_log_tank',
  'srs_log_level',
  'srs_log_level_v2',
  'srs_log_file',
  'max_connections',
  'chunk_size',
  'utc_time',
  'pithy_print_ms',
  'work_dir',
  'server_id',
  'grace_start_wait',
  'grace_final_wait',
  'force_grace_quit',
  'is_full',
  'http_api.*',
  'http_server.*',
  'vhost.enabled',
  'vhost.chunk_size',
  'vhost.min_latency',
  'vhost.tcp_nodelay',
  'vhost.in_ack_size',
  'vhost.out_ack_size',
  'vhost.play.*',
  'vhost.publish.*',
  'vhost.http_remux.*',
  'vhost.http_static.*',
  'vhost.security.*',
  'vhost.dvr.*',
  'vhost.dash.*',
  // HLS, including the hls_ctx viewer sessions served by the HTTP server (app/hls/hls-ctx.ts).
  ...[
    'enabled', 'hls_fragment', 'hls_td_ratio', 'hls_aof_ratio', 'hls_window', 'hls_on_error', 'hls_path',
    'hls_m3u8_file', 'hls_ts_file', 'hls_ts_floor', 'hls_entry_prefix', 'hls_acodec', 'hls_vcodec',
    'hls_cleanup', 'hls_dispose', 'hls_wait_keyframe', 'hls_dts_directly', 'hls_keys', 'hls_fragments_per_key',
    'hls_key_file', 'hls_key_file_path', 'hls_key_url', 'hls_nb_notify', 'hls_ctx', 'hls_ts_ctx', 'hls_storage',
  ].map((d) => `vhost.hls.${d}`),
  'vhost.http_hooks.on_hls',
  'vhost.http_hooks.on_hls_notify',
  'vhost.http_hooks.on_dvr',
  'vhost.refer.*',
  // Forward (destination and SRS 5's backend) and cluster: edge pull/push over RTMP, token traverse,
  // origin cluster. The edge's HTTP-FLV pull (cluster.protocol flv/flvs, follow_client) is not done.
  'vhost.forward.*',
  ...['mode', 'origin', 'token_traverse', 'vhost', 'debug_srs_upnode', 'origin_cluster', 'coworkers'].map((d) => `vhost.cluster.${d}`),
  'vhost.http_hooks.on_connect',
  'vhost.http_hooks.on_close',
  'vhost.http_hooks.on_publish',
  'vhost.http_hooks.on_unpublish',
  'vhost.http_hooks.on_play',
  'vhost.http_hooks.on_stop',
  'vhost.http_hooks.enabled',
  // ffmpeg: transcode, ingest (file and stream inputs; device is refused when the ingest starts), exec.
  'ff_log_dir',
  'ff_log_level',
  'vhost.transcode.*',
  'vhost.ingest.*',
  'vhost.exec.*',
  // WebRTC play over one UDP port (app/webrtc, issue 15 first slice): RTMP → RTC, H.264 video.
  ...['enabled', 'listen', 'candidate', 'ecdsa', 'ip_family'].map((d) => `rtc_server.${d}`),
  ...['enabled', 'rtmp_to_rtc', 'stun_timeout', 'dtls_role', 'keep_bframe'].map((d) => `vhost.rtc.${d}`),
  // Stream casters (issue 16): mpegts_over_udp and flv; gb28181 (and so `sip`) is refused at load.
  ...['enabled', 'caster', 'output', 'listen'].map((d) => `stream_caster.${d}`),
  // SRT server (issue 14). tsbpdmode: TSBPD is always on (live mode); sei_filter/mix_correct are not done.
  ...[
    'enabled', 'listen', 'default_app', 'latency', 'peerlatency', 'recvlatency', 'passphrase', 'pbkeylen', 'tlpktdrop',
    'tsbpdmode', 'connect_timeout', 'peer_idle_timeout', 'maxbw', 'mss', 'payloadsize', 'sendbuf', 'recvbuf',
  ].map((d) => `srt_server.${d}`),
]);

/** A new set: the defaults (or `base`) plus `extra` paths, for the app to declare features it gained. */
export function extendSupported(extra: Iterable<string>, base: ReadonlySet<string> = SUPPORTED_DIRECTIVES): Set<string> {
  const out = new Set(base);
  for (const p of extra) out.add(p);
  return out;
}

/** Whether `path` is covered by `supported` (exactly, or via an ancestor's `.*`). */
export function isSupported(path: string, supported: ReadonlySet<string>): boolean {
  if (supported.has(path) || supported.has(`${path}.*`)) return true;
  const parts = path.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    if (supported.has(`${parts.slice(0, i).join('.')}.*`)) return true;
  }
  return false;
}

export function hasSupportedDescendant(path: string, supported: ReadonlySet<string>): boolean {
  const prefix = `${path}.`;
  for (const p of supported) if (p.startsWith(prefix)) return true;
  return false;
}

/** A block with an `enabled` child that is not `on` is switched off: nothing to warn about. */
function switchedOff(d: ConfDirective): boolean {
  const e = getChild(d, 'enabled');
  return e !== undefined && arg0(e) !== 'on';
}

/**
 * "not supported yet" warnings for every configured directive outside `supported`, one per top-most
 * unsupported directive (children of an unsupported block are not listed again).
 */
export function unsupportedWarnings(root: ConfDirective, supported: ReadonlySet<string> = SUPPORTED_DIRECTIVES): string[] {
  const out: string[] = [];
  const walk = (dir: ConfDirective, prefix: string): void => {
    for (const c of dir.children) {
      const path = prefix ? `${prefix}.${c.name}` : c.name;
      if (isSupported(path, supported)) continue;
      if (hasSupportedDescendant(path, supported)) {
        walk(c, path);
        continue;
      }
      if (switchedOff(c)) continue;
      // `asprocess off;`, `query_latest_version off;`: a feature turned off needs no support.
      if (c.children.length === 0 && c.args.length === 1 && c.args[0] === 'off') continue;
      const of = prefix.startsWith('vhost') ? ` of ${vhostName(root, c)}` : '';
      out.push(`${where(c)}: ${path}${of} is not supported yet, ignored`);
    }
  };
  walk(root, '');
  return out;
}

/** The name of the vhost that (transitively) contains `d`. */
function vhostName(root: ConfDirective, d: ConfDirective): string {
  const contains = (node: ConfDirective): boolean => node === d || node.children.some(contains);
  for (const v of root.children) if (v.name === 'vhost' && contains(v)) return arg0(v);
  return '';
}
