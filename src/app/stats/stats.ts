// Live statistics of clients, streams and vhosts, shaped for SRS's /api/v1 (http-api.md §3).
// Connections register a ClientStat and keep its counters current; the API reads snapshots.
import { streamKey } from '../live/live-source.js';

export type ClientType =
  | 'rtmp-play'
  | 'flv-play'
  | 'hls-play'
  | 'rtc-play'
  | 'srt-play'
  | 'fmle-publish'
  | 'flash-publish'
  | 'haivision-publish'
  | 'rtc-publish'
  | 'srt-publish'
  // Stream casters (issue 16). SRS's casters republish over a loopback RTMP client, so SRS lists them as
  // fmle-publish from 127.0.0.1; tsrs publishes in-process and names the caster and its sender instead.
  | 'mpegts-caster'
  | 'flv-caster';

export interface ClientStat {
  readonly id: string;
  vhost: string;
  app: string;
  stream: string;
  /** Stream name as requested (HTTP keeps the extension). */
  name: string;
  ip: string;
  pageUrl: string;
  swfUrl: string;
  tcUrl: string;
  type: ClientType | '';
  publish: boolean;
  readonly createdAtMs: number;
  sendBytes(): number;
  recvBytes(): number;
  /** Disconnect this client (API DELETE). */
  kick(reason: string): void;
  /** Frames this viewer's queue dropped to keep up (slow-viewer policy), when the connection tracks it. */
  droppedFrames?(): number;
  /** TS continuity-counter errors of a publisher that ingests MPEG-TS (mpegts_over_udp caster). */
  continuityErrors?(): number;
  /** Link statistics of an SRT client (issue 14), shown by the API as `srt`. */
  srt?(): SrtLinkStats;
}

/** An SRT client's link as the API shows it (snake_case, like the rest of /api/v1/clients). */
export type SrtLinkStats = {
  rtt_ms: number;
  latency_ms: number;
  /** Packets the receiver found missing (publish) / retransmitted by us (play). */
  recv_lost: number;
  recv_retransmitted: number;
  recv_dropped: number;
  send_retransmitted: number;
  send_dropped: number;
  naks_received: number;
};

/** Sliding kbps over a 30 s window from periodic byte samples. */
export class KbpsWindow {
  private samples: { atMs: number; bytes: number }[] = [];
  sample(nowMs: number, totalBytes: number): void {
    this.samples.push({ atMs: nowMs, bytes: totalBytes });
    while (this.samples.length > 2 && nowMs - this.samples[1]!.atMs >= 30_000) this.samples.shift();
  }
  kbps(): number {
    if (this.samples.length < 2) return 0;
    const a = this.samples[0]!;
    const b = this.samples[this.samples.length - 1]!;
    const ms = b.atMs - a.atMs;
    return ms > 0 ? Math.round(((b.bytes - a.bytes) * 8) / ms) : 0;
  }
}

interface ClientEntry {
  stat: ClientStat;
  send: KbpsWindow;
  recv: KbpsWindow;
}

export interface ClientSnapshot {
  stat: ClientStat;
  sendKbps: number;
  recvKbps: number;
}

/** Bytes and kbps of a stream or a vhost: every client it had, closed ones included (SRS's SrsKbps). */
export interface TrafficSnapshot {
  sendBytes: number;
  recvBytes: number;
  sendKbps: number;
  recvKbps: number;
}

interface Aggregate {
  closedSend: number;
  closedRecv: number;
  send: KbpsWindow;
  recv: KbpsWindow;
}

/** The stream url (`/app/stream` or `vhost/app/stream`) a client is attached to, or '' before it is known. */
export function clientStreamKey(stat: ClientStat): string {
  return stat.vhost && stat.app && stat.stream ? streamKey(stat.vhost, stat.app, stat.stream) : '';
}

/** Random stat id `vid-xxxxxxx`, as SRS gives streams and vhosts. */
export function statId(random: () => number = Math.random): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let s = 'vid-';
  for (let i = 0; i < 7; i++) s += alphabet[Math.floor(random() * 36)];
  return s;
}

export class Stats {
  private readonly clients = new Map<string, ClientEntry>();
  /** Totals of closed connections, so server-wide byte counters never go backwards. */
  private closedSend = 0;
  private closedRecv = 0;
  clientsTotal = 0;
  clientErrorsTotal = 0;
  private readonly vhostIds = new Map<string, string>();
  private readonly streamIds = new Map<string, string>();
  /** By stream url; dropped at a sample once the stream has no client left. */
  private readonly streamTraffic = new Map<string, Aggregate>();
  /** By vhost name; kept for the process lifetime, like SRS's vhost stats. */
  private readonly vhostTraffic = new Map<string, Aggregate>();

  private aggregate(map: Map<string, Aggregate>, key: string): Aggregate {
    let a = map.get(key);
    if (!a) {
      a = { closedSend: 0, closedRecv: 0, send: new KbpsWindow(), recv: new KbpsWindow() };
      map.set(key, a);
    }
    return a;
  }

  addClient(stat: ClientStat): void {
    const entry = { stat, send: new KbpsWindow(), recv: new KbpsWindow() };
    // A connection starts from zero bytes: with this first point its kbps is known at the next sample.
    entry.send.sample(stat.createdAtMs, 0);
    entry.recv.sample(stat.createdAtMs, 0);
    this.clients.set(stat.id, entry);
    this.clientsTotal++;
  }

  removeClient(id: string, failed = false): void {
    const e = this.clients.get(id);
    if (!e) return;
    const sent = e.stat.sendBytes();
    const received = e.stat.recvBytes();
    this.closedSend += sent;
    this.closedRecv += received;
    const key = clientStreamKey(e.stat);
    if (key) {
      const a = this.aggregate(this.streamTraffic, key);
      a.closedSend += sent;
      a.closedRecv += received;
    }
    if (e.stat.vhost) {
      const v = this.aggregate(this.vhostTraffic, e.stat.vhost);
      v.closedSend += sent;
      v.closedRecv += received;
    }
    if (failed) this.clientErrorsTotal++;
    this.clients.delete(id);
  }

  client(id: string): ClientSnapshot | undefined {
    const e = this.clients.get(id);
    return e && { stat: e.stat, sendKbps: e.send.kbps(), recvKbps: e.recv.kbps() };
  }

  allClients(): ClientSnapshot[] {
    return [...this.clients.values()].map((e) => ({ stat: e.stat, sendKbps: e.send.kbps(), recvKbps: e.recv.kbps() }));
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Take a byte sample of every client (called every few seconds by the server). */
  sample(nowMs: number): void {
    type Live = { send: number; recv: number; since: number };
    const streams = new Map<string, Live>();
    const vhosts = new Map<string, Live>();
    const add = (m: Map<string, Live>, k: string, send: number, recv: number, since: number): void => {
      const t = m.get(k);
      if (t) {
        t.send += send;
        t.recv += recv;
        t.since = Math.min(t.since, since);
      } else m.set(k, { send, recv, since });
    };
    for (const e of this.clients.values()) {
      const send = e.stat.sendBytes();
      const recv = e.stat.recvBytes();
      e.send.sample(nowMs, send);
      e.recv.sample(nowMs, recv);
      const key = clientStreamKey(e.stat);
      if (key) add(streams, key, send, recv, e.stat.createdAtMs);
      if (e.stat.vhost) add(vhosts, e.stat.vhost, send, recv, e.stat.createdAtMs);
    }
    // New streams/vhosts start from zero when their first client connected.
    const seed = (map: Map<string, Aggregate>, k: string, live: Live): void => {
      if (map.has(k)) return;
      const a = this.aggregate(map, k);
      a.send.sample(live.since, 0);
      a.recv.sample(live.since, 0);
    };
    for (const [key, live] of streams) seed(this.streamTraffic, key, live);
    for (const [name, live] of vhosts) seed(this.vhostTraffic, name, live);
    for (const [key, a] of this.streamTraffic) {
      const live = streams.get(key);
      if (!live) {
        // SRS drops a stream's stat when it has neither publisher nor clients.
        this.streamTraffic.delete(key);
        continue;
      }
      a.send.sample(nowMs, a.closedSend + live.send);
      a.recv.sample(nowMs, a.closedRecv + live.recv);
    }
    for (const [name, a] of this.vhostTraffic) {
      const live = vhosts.get(name) ?? { send: 0, recv: 0, since: nowMs };
      a.send.sample(nowMs, a.closedSend + live.send);
      a.recv.sample(nowMs, a.closedRecv + live.recv);
    }
  }

  /** Traffic of one stream url (closed clients since the stream appeared, plus live ones). */
  streamTrafficOf(key: string): TrafficSnapshot {
    return this.trafficOf(this.streamTraffic.get(key), (s) => clientStreamKey(s) === key);
  }

  /** Traffic of one vhost by name. */
  vhostTrafficOf(name: string): TrafficSnapshot {
    return this.trafficOf(this.vhostTraffic.get(name), (s) => s.vhost === name);
  }

  /** Vhost names that have had clients since the process started. */
  vhostNames(): string[] {
    const names = new Set(this.vhostTraffic.keys());
    for (const e of this.clients.values()) if (e.stat.vhost) names.add(e.stat.vhost);
    return [...names];
  }

  private trafficOf(a: Aggregate | undefined, mine: (s: ClientStat) => boolean): TrafficSnapshot {
    let sendBytes = a?.closedSend ?? 0;
    let recvBytes = a?.closedRecv ?? 0;
    for (const e of this.clients.values()) {
      if (!mine(e.stat)) continue;
      sendBytes += e.stat.sendBytes();
      recvBytes += e.stat.recvBytes();
    }
    return { sendBytes, recvBytes, sendKbps: a?.send.kbps() ?? 0, recvKbps: a?.recv.kbps() ?? 0 };
  }

  totals(): { sendBytes: number; recvBytes: number } {
    let s = this.closedSend;
    let r = this.closedRecv;
    for (const e of this.clients.values()) {
      s += e.stat.sendBytes();
      r += e.stat.recvBytes();
    }
    return { sendBytes: s, recvBytes: r };
  }

  /** Stable stat id of a vhost name. */
  vhostId(name: string): string {
    let id = this.vhostIds.get(name);
    if (!id) {
      id = statId();
      this.vhostIds.set(name, id);
    }
    return id;
  }

  /**
   * The source of a stream url was dropped (idle past its grace period, issue 12 #9): forget its id and
   * traffic, unless a client still names it (then the next sample drops the traffic once it leaves).
   */
  forgetStream(url: string): void {
    for (const e of this.clients.values()) if (clientStreamKey(e.stat) === url) return;
    this.streamIds.delete(url);
    this.streamTraffic.delete(url);
  }

  /** Stream urls with a stats record (id or traffic), for tests and leak checks. */
  get streamRecords(): number {
    let n = this.streamIds.size;
    for (const key of this.streamTraffic.keys()) if (!this.streamIds.has(key)) n++;
    return n;
  }

  /** Stable stat id of a stream url (kept until its source is dropped, see forgetStream). */
  streamId(url: string): string {
    let id = this.streamIds.get(url);
    if (!id) {
      id = statId();
      this.streamIds.set(url, id);
    }
    return id;
  }
}
