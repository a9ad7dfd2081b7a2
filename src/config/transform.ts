// Legacy config forms that SRS 5 silently rewrites on load (config.md §1.1, SRS
// `srs_config_transform_vhost`). Runs on the parsed tree before checks, in place; returns the notes SRS
// would log as "transform: ..." warnings. Moved directives keep their original file:line.

import { type ConfDirective, getChild, getOrCreate, where } from './directive.js';

/** Vhost-level directives that SRS 3 moved into `play {}`. */
const PLAY_SHADOWS = new Set([
  'time_jitter',
  'mix_correct',
  'atc',
  'atc_auto',
  'mw_latency',
  'gop_cache',
  'gop_cache_max_frames',
  'queue_length',
  'send_min_interval',
  'reduce_sequence_header',
]);

/** Vhost-level directives that SRS 3 moved into `cluster {}`. */
const CLUSTER_SHADOWS = new Set(['mode', 'origin', 'token_traverse', 'vhost', 'debug_srs_upnode']);

/** GB28181 keys of SRS 4 that SRS 5 accepts and drops. */
const GB_CASTER_DROPPED = new Set([
  'tcp_enable',
  'rtp_port_min',
  'rtp_port_max',
  'wait_keyframe',
  'rtp_idle_timeout',
  'audio_enable',
  'auto_create_channel',
]);
const GB_SIP_DROPPED = new Set([
  'serial',
  'realm',
  'ack_timeout',
  'keepalive_timeout',
  'invite_port_fixed',
  'query_catalog_interval',
  'auto_play',
]);

function removeWhere(dir: ConfDirective, drop: (c: ConfDirective) => boolean): ConfDirective[] {
  const removed: ConfDirective[] = [];
  dir.children = dir.children.filter((c) => {
    if (!drop(c)) return true;
    removed.push(c);
    return false;
  });
  return removed;
}

/** Sets (creating if needed) `parent.name` to `args`, positioned at `from`. */
function setShadow(parent: ConfDirective, name: string, args: string[], from: ConfDirective): void {
  getOrCreate(parent, name, from).args = [...args];
}

function transformVhost(vhost: ConfDirective, notes: string[]): void {
  const vname = vhost.args[0] ?? '';
  const note = (from: ConfDirective, text: string): void => {
    notes.push(`${where(from)}: transform: ${text} of ${vname}`);
  };
  // Walk the live list like SRS does: a legacy directive is removed at index i and its target block is
  // found (or appended) among all children, so `gop_cache off; play { ... }` merges into that play block.
  let i = 0;
  const drop = (): void => {
    vhost.children.splice(i, 1);
  };
  while (i < vhost.children.length) {
    const conf = vhost.children[i]!;
    const n = conf.name;

    // SRS 2: vhost { http {} } => vhost { http_static {} }
    if (n === 'http') {
      conf.name = 'http_static';
      note(conf, 'vhost.http => vhost.http_static');
      i++;
      continue;
    }

    // SRS 3: http_remux.hstrs is always on; the directive is dropped.
    if (n === 'http_remux') {
      const hstrs = getChild(conf, 'hstrs');
      if (hstrs) conf.children = conf.children.filter((c) => c !== hstrs);
      i++;
      continue;
    }

    // SRS 3: refer/refer_play/refer_publish without block => refer { enabled on; all/play/publish }
    if ((n === 'refer' && conf.children.length === 0) || n === 'refer_play' || n === 'refer_publish') {
      drop();
      const refer = getOrCreate(vhost, 'refer', conf);
      getOrCreate(refer, 'enabled', conf, ['on']);
      const target = n === 'refer' ? 'all' : n === 'refer_play' ? 'play' : 'publish';
      setShadow(refer, target, conf.args, conf);
      note(conf, `vhost.${n} to vhost.refer.${target}`);
      continue;
    }

    // SRS 3: mr { enabled; latency; } => publish { mr; mr_latency; }
    if (n === 'mr') {
      drop();
      const publish = getOrCreate(vhost, 'publish', conf);
      const enabled = getChild(conf, 'enabled');
      if (enabled) {
        setShadow(publish, 'mr', enabled.args, enabled);
        note(enabled, 'vhost.mr.enabled to vhost.publish.mr');
      }
      const latency = getChild(conf, 'latency');
      if (latency) {
        setShadow(publish, 'mr_latency', latency.args, latency);
        note(latency, 'vhost.mr.latency to vhost.publish.mr_latency');
      }
      continue;
    }

    // SRS 3: publish_1stpkt_timeout / publish_normal_timeout => publish { firstpkt_timeout; normal_timeout; }
    if (n === 'publish_1stpkt_timeout' || n === 'publish_normal_timeout') {
      drop();
      const publish = getOrCreate(vhost, 'publish', conf);
      const target = n === 'publish_1stpkt_timeout' ? 'firstpkt_timeout' : 'normal_timeout';
      setShadow(publish, target, conf.args, conf);
      note(conf, `vhost.${n} to vhost.publish.${target}`);
      continue;
    }

    // SRS 3: play options at vhost level => play { ... }
    if (PLAY_SHADOWS.has(n)) {
      drop();
      const play = getOrCreate(vhost, 'play', conf);
      setShadow(play, n, conf.args, conf);
      note(conf, `vhost.${n} to vhost.play.${n}`);
      continue;
    }

    // SRS 3: forward host:port ...; => forward { enabled on; destination host:port ...; }
    if (n === 'forward' && conf.children.length === 0 && conf.args.length > 0) {
      getOrCreate(conf, 'enabled', conf).args = ['on'];
      setShadow(conf, 'destination', conf.args, conf);
      conf.args = [];
      note(conf, 'vhost.forward to vhost.forward.destination');
      i++;
      continue;
    }

    // SRS 3: edge options at vhost level => cluster { ... }
    if (CLUSTER_SHADOWS.has(n)) {
      drop();
      const cluster = getOrCreate(vhost, 'cluster', conf);
      setShadow(cluster, n, conf.args, conf);
      note(conf, `vhost.${n} to vhost.cluster.${n}`);
      continue;
    }

    // SRS 4: nack { enabled; no_copy; } twcc { enabled; } => rtc { nack; nack_no_copy; twcc; }
    if (n === 'nack' || n === 'twcc') {
      drop();
      const rtc = getOrCreate(vhost, 'rtc', conf);
      const enabled = getChild(conf, 'enabled');
      if (enabled) setShadow(rtc, n, enabled.args, enabled);
      if (n === 'nack') {
        const noCopy = getChild(conf, 'no_copy');
        if (noCopy) setShadow(rtc, 'nack_no_copy', noCopy.args, noCopy);
      }
      note(conf, `vhost.${n} to vhost.rtc.${n}`);
      continue;
    }

    // SRS 4: rtc { aac transcode|discard; bframe keep|discard; } => rtc { rtmp_to_rtc; keep_bframe; }
    if (n === 'rtc') {
      const aac = getChild(conf, 'aac');
      if (aac) {
        const v = aac.args[0] === 'transcode' ? 'on' : 'off';
        conf.children = conf.children.filter((c) => c !== aac);
        getOrCreate(conf, 'rtmp_to_rtc', aac).args = [v];
        note(aac, `vhost.rtc.aac to vhost.rtc.rtmp_to_rtc ${v}`);
      }
      const bframe = getChild(conf, 'bframe');
      if (bframe) {
        const v = bframe.args[0] === 'keep' ? 'on' : 'off';
        conf.children = conf.children.filter((c) => c !== bframe);
        getOrCreate(conf, 'keep_bframe', bframe).args = [v];
        note(bframe, `vhost.rtc.bframe to vhost.rtc.keep_bframe ${v}`);
      }
      i++;
      continue;
    }

    i++;
  }
}

/**
 * Rewrites SRS 1–4 config forms into their SRS 5 shape, in place. Returns the notes to show as warnings.
 */
export function transformTree(root: ConfDirective): string[] {
  const notes: string[] = [];
  for (const dir of root.children) {
    // SRS 2: top-level http_stream {} => http_server {}
    if (dir.name === 'http_stream') {
      dir.name = 'http_server';
      notes.push(`${where(dir)}: transform: http_stream => http_server`);
      continue;
    }

    // SRS 4: rtc_server { perf_stat; queue_length; } are removed.
    if (dir.name === 'rtc_server') {
      for (const c of removeWhere(dir, (c) => c.name === 'perf_stat' || c.name === 'queue_length')) {
        notes.push(`${where(c)}: transform: rtc_server.${c.name} is removed, ignored`);
      }
    }

    // SRS 4 spelling: srt_server { tlpkdrop; } => tlpktdrop
    if (dir.name === 'srt_server') {
      for (const c of dir.children) {
        if (c.name === 'tlpkdrop') {
          c.name = 'tlpktdrop';
          notes.push(`${where(c)}: transform: srt_server.tlpkdrop => srt_server.tlpktdrop`);
        }
      }
    }

    if (dir.name === 'stream_caster') {
      // SRS 5: GB28181 keys of SRS 4 are accepted and dropped.
      for (const c of removeWhere(dir, (c) => GB_CASTER_DROPPED.has(c.name))) {
        notes.push(`${where(c)}: transform: config ${c.name} for GB is not used`);
      }
      const sip = getChild(dir, 'sip');
      if (sip) {
        for (const c of removeWhere(sip, (c) => GB_SIP_DROPPED.has(c.name))) {
          notes.push(`${where(c)}: transform: config sip.${c.name} for GB is not used`);
        }
      }
      // SRS 5: stream_caster { host X; } => stream_caster { sip { candidate X; } }
      for (const host of removeWhere(dir, (c) => c.name === 'host')) {
        const target = getOrCreate(dir, 'sip', host);
        target.children.push({ ...host, name: 'candidate', args: [...host.args], children: [] });
        notes.push(`${where(host)}: transform: move stream_caster.host to sip.candidate for GB`);
      }
    }

    if (dir.name === 'vhost') transformVhost(dir, notes);
  }
  return notes;
}
