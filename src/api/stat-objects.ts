// The vhost, stream and client objects of /api/v1 (http-api.md §3.2–3.4, SrsStatistic*::dumps), built
// from the server's live state: the source registry (publish state, codec, frames) and the client stats
// (bytes, kbps, types). Ids are SRS-style stat ids (`vid-xxxxxxx`), lists are sorted by id.
import type { ServerContext } from '../app/context.js';
import type { LiveSource } from '../app/live/live-source.js';
import { clientStreamKey, type ClientSnapshot } from '../app/stats/stats.js';
import { f2, type JsonValue } from './json.js';

type Obj = Record<string, JsonValue | undefined>;

/** A stream as the API sees it: a stream url with a publisher or at least one client. */
export interface StreamView {
  id: string;
  key: string;
  vhost: string;
  app: string;
  stream: string;
  source: LiveSource | undefined;
  clients: ClientSnapshot[];
}

const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Clients known to the API: connections that have said what they do (SRS adds them at play/publish). */
export function listClients(ctx: ServerContext): ClientSnapshot[] {
  return ctx.stats
    .allClients()
    .filter((c) => c.stat.type !== '' && clientStreamKey(c.stat) !== '')
    .sort((a, b) => byId(a.stat, b.stat));
}

export function collectStreams(ctx: ServerContext): StreamView[] {
  const views = new Map<string, StreamView>();
  const view = (vhost: string, app: string, stream: string, key: string): StreamView => {
    let v = views.get(key);
    if (!v) {
      v = { id: ctx.stats.streamId(key), key, vhost, app, stream, source: ctx.registry.get(vhost, app, stream), clients: [] };
      views.set(key, v);
    }
    return v;
  };
  for (const c of listClients(ctx)) view(c.stat.vhost, c.stat.app, c.stat.stream, clientStreamKey(c.stat)).clients.push(c);
  for (const s of ctx.registry.all()) if (s.isPublishing) view(s.vhost, s.app, s.stream, s.key);
  return [...views.values()].sort(byId);
}

export function findStream(ctx: ServerContext, id: string): StreamView | undefined {
  return collectStreams(ctx).find((s) => s.id === id);
}

// Codec info comes from the source's MediaFormat (issue 12: parsed once at publish, not re-parsed per API
// call nor guessed from the GOP cache), in the shape SrsStatisticStream::dumps reports.

/** SRS names HEVC "HEVC" in API stats (srs_video_codec_id2str); only H.264/H.265 are reported. */
function videoObject(source: LiveSource | undefined): JsonValue {
  if (!source?.isPublishing) return null;
  const t = source.format.video();
  if (!t || (t.codec !== 'h264' && t.codec !== 'h265') || t.error !== null) return null;
  return { codec: t.codec === 'h265' ? 'HEVC' : 'H264', profile: t.profile, level: t.level, width: t.width, height: t.height };
}

/**
 * SRS 4/5 report the FLV tag's SoundRate/SoundType, except that an AAC rate of 11025, 22050 or 44100 Hz
 * from the AudioSpecificConfig replaces SoundRate (SrsFormat::audio_aac_demux): a 48 kHz AAC stream says
 * 44100 and any ffmpeg AAC stream says 2 channels. Only AAC and MP3 are reported.
 */
function audioObject(source: LiveSource | undefined): JsonValue {
  if (!source?.isPublishing) return null;
  const t = source.format.audio('aac') ?? source.format.audio('mp3');
  if (!t || (t.codec === 'aac' && t.error !== null)) return null; // an MP3 track needs no parse to be named
  let sampleRate = t.flvSoundRate;
  if (t.codec === 'aac' && (t.sampleRate === 11025 || t.sampleRate === 22050 || t.sampleRate === 44100)) sampleRate = t.sampleRate;
  return { codec: t.codec === 'aac' ? 'AAC' : 'MP3', sample_rate: sampleRate, channel: t.flvChannels, profile: t.profile };
}

export function streamObject(ctx: ServerContext, s: StreamView): Obj {
  const traffic = ctx.stats.streamTrafficOf(s.key);
  const publisher = s.clients.find((c) => c.stat.publish);
  const first = publisher ?? s.clients[0];
  const active = s.source?.isPublishing ?? false;
  const cid = s.source?.sourceId || publisher?.stat.id || '';
  return {
    id: s.id,
    name: s.stream,
    vhost: ctx.stats.vhostId(s.vhost),
    app: s.app,
    tcUrl: first?.stat.tcUrl ?? '',
    url: s.key,
    live_ms: ctx.now(),
    clients: s.clients.length,
    frames: s.source?.counters.videoFrames ?? 0,
    send_bytes: traffic.sendBytes,
    recv_bytes: traffic.recvBytes,
    kbps: { recv_30s: traffic.recvKbps, send_30s: traffic.sendKbps },
    publish: cid ? { active, cid } : { active },
    video: videoObject(s.source),
    audio: audioObject(s.source),
    // tsrs: TS continuity-counter errors of a publisher that ingests MPEG-TS (issue 16, UDP caster).
    continuity_errors: publisher?.stat.continuityErrors?.(),
  };
}

export function clientObject(ctx: ServerContext, c: ClientSnapshot): Obj {
  const st = c.stat;
  const key = clientStreamKey(st);
  return {
    id: st.id,
    vhost: ctx.stats.vhostId(st.vhost),
    stream: ctx.stats.streamId(key),
    ip: st.ip,
    pageUrl: st.pageUrl,
    swfUrl: st.swfUrl,
    tcUrl: st.tcUrl,
    url: key,
    name: st.name,
    type: st.type,
    publish: st.publish,
    alive: f2((ctx.now() - st.createdAtMs) / 1000),
    send_bytes: st.sendBytes(),
    recv_bytes: st.recvBytes(),
    kbps: { recv_30s: c.recvKbps, send_30s: c.sendKbps },
    continuity_errors: st.continuityErrors?.(),
    // tsrs: RTT, loss and retransmissions of an SRT client (issue 14).
    srt: st.srt?.(),
  };
}

export interface VhostView {
  id: string;
  name: string;
}

export function collectVhosts(ctx: ServerContext): VhostView[] {
  const names = new Set(ctx.stats.vhostNames());
  for (const s of ctx.registry.all()) if (s.isPublishing) names.add(s.vhost);
  return [...names].map((name) => ({ id: ctx.stats.vhostId(name), name })).sort(byId);
}

export function vhostObject(ctx: ServerContext, v: VhostView): Obj {
  const conf = ctx.config().vhosts.get(v.name);
  const traffic = ctx.stats.vhostTrafficOf(v.name);
  let streams = 0;
  for (const s of ctx.registry.all()) if (s.vhost === v.name && s.isPublishing) streams++;
  const clients = listClients(ctx).filter((c) => c.stat.vhost === v.name).length;
  const hlsOn = conf?.hls.enabled ?? false;
  return {
    id: v.id,
    name: v.name,
    enabled: conf?.enabled ?? false,
    clients,
    streams,
    send_bytes: traffic.sendBytes,
    recv_bytes: traffic.recvBytes,
    kbps: { recv_30s: traffic.recvKbps, send_30s: traffic.sendKbps },
    hls: hlsOn && conf ? { enabled: true, fragment: f2(conf.hls.fragmentMs / 1000) } : { enabled: false },
  };
}

/** Page of a sorted list: `start` = max(0, atoi), `count` = max(10, atoi) (http-api.md §4). */
export function page<T>(items: T[], url: URL): T[] {
  const start = Math.max(0, atoi(url.searchParams.get('start')));
  const count = Math.max(10, atoi(url.searchParams.get('count')));
  return items.slice(start, start + count);
}

/** C atoi: leading integer, else 0. */
export function atoi(s: string | null): number {
  const n = Number.parseInt((s ?? '').trim(), 10);
  return Number.isFinite(n) ? n : 0;
}
