// An HLS viewer for load tests: polls the playlist (following a variant playlist, e.g. tsrs's hls_ctx
// one), fetches each new segment once over a keep-alive connection, and counts its bytes without keeping
// them. It starts at the newest segment. Media time is the sum of the EXTINF of the segments it finished,
// so "lag" and "drift" mean the same as for the streaming players, at segment granularity.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { ClientStats } from './client-stats.mjs';

export class HlsPlayer {
  constructor(id, target, onClose) {
    this.stats = new ClientStats(id);
    this.target = target;
    this.onClose = onClose;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.playlist = new URL(`http://${target.host}:${target.port}${target.path}`);
    /** Media sequence number of the last segment fetched (or queued), -1 before the first playlist. */
    this.lastSeq = -1;
    this.queue = [];
    this.fetching = false;
    this.mediaMs = 0;
    this.timer = null;
    this.failures = 0;
    this.poll();
  }

  get(url, onData) {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { agent: this.agent }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`HTTP ${res.statusCode}`));
          return;
        }
        res.on('data', (b) => {
          this.stats.bytes += b.length;
          onData?.(b);
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
      this.req = req;
    });
  }

  async poll() {
    if (this.stats.closed) return;
    let text = '';
    let next = 1000;
    try {
      await this.get(this.playlist, (b) => (text += b.toString('latin1')));
      this.failures = 0;
      next = this.onPlaylist(text);
    } catch (err) {
      // The playlist appears one segment after the publish; a few misses are normal.
      if (++this.failures > 30) return this.close(`playlist: ${err.message}`);
    }
    if (!this.stats.closed) this.timer = setTimeout(() => this.poll(), next);
  }

  /** Queues new segments; returns the delay before the next poll (ms). */
  onPlaylist(text) {
    const lines = text.split(/\r?\n/);
    const variant = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF'));
    if (variant >= 0) {
      const uri = lines.slice(variant + 1).find((l) => l && !l.startsWith('#'));
      if (uri) this.playlist = new URL(uri, this.playlist);
      return 0;
    }
    let seq = 0;
    let target = 2;
    const segs = [];
    let dur = 0;
    for (const l of lines) {
      if (l.startsWith('#EXT-X-MEDIA-SEQUENCE:')) seq = Number(l.slice(22));
      else if (l.startsWith('#EXT-X-TARGETDURATION:')) target = Number(l.slice(22));
      else if (l.startsWith('#EXTINF:')) dur = parseFloat(l.slice(8));
      else if (l && !l.startsWith('#')) segs.push({ seq: seq + segs.length, dur, uri: new URL(l, this.playlist) });
    }
    if (segs.length === 0) return 1000;
    if (this.lastSeq < 0) this.lastSeq = segs[segs.length - 1].seq - 1;
    for (const s of segs) {
      if (s.seq > this.lastSeq) {
        this.queue.push(s);
        this.lastSeq = s.seq;
      }
    }
    this.fetch();
    return Math.max(500, (target * 1000) / 2);
  }

  async fetch() {
    if (this.fetching) return;
    this.fetching = true;
    while (this.queue.length && !this.stats.closed) {
      const s = this.queue.shift();
      try {
        await this.get(s.uri);
      } catch (err) {
        if (this.stats.closed) break;
        continue; // a segment that left the window before we got to it
      }
      this.mediaMs += s.dur * 1000;
      this.stats.media(this.mediaMs);
      this.stats.endRead(performance.now());
    }
    this.fetching = false;
  }

  close(reason) {
    const s = this.stats;
    if (s.closed) return;
    s.closed = true;
    if (reason !== 'stopped') s.error = reason;
    if (this.timer) clearTimeout(this.timer);
    this.req?.destroy();
    this.agent.destroy();
    this.onClose?.(s);
  }
}
