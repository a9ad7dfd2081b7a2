// Live statistics of clients, streams and vhosts, shaped for SRS's /api/v1 (http-api.md §3).
// Connections register a ClientStat and keep its counters current; the API reads snapshots.

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
  | 'srt-publish';

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
}

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

  addClient(stat: ClientStat): void {
    this.clients.set(stat.id, { stat, send: new KbpsWindow(), recv: new KbpsWindow() });
    this.clientsTotal++;
  }

  removeClient(id: string, failed = false): void {
    const e = this.clients.get(id);
    if (!e) return;
    this.closedSend += e.stat.sendBytes();
    this.closedRecv += e.stat.recvBytes();
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
    for (const e of this.clients.values()) {
      e.send.sample(nowMs, e.stat.sendBytes());
      e.recv.sample(nowMs, e.stat.recvBytes());
    }
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

  /** Stable stat id of a stream url (kept while the process runs, like SRS). */
  streamId(url: string): string {
    let id = this.streamIds.get(url);
    if (!id) {
      id = statId();
      this.streamIds.set(url, id);
    }
    return id;
  }
}
