// Publisher-to-player latency. Our own RTMP publisher sends the generated FLV file paced by its
// timestamps and notes when each video frame left (after socket.write); probe players in the same
// process note when the last byte of the same frame arrived. Frames are matched by length and their last
// 8 bytes, so servers that rewrite timestamps (tsrs's time_jitter, nginx-rtmp) are measured alike.
// Publisher and probes share one clock (performance.now), so the number is what the server path adds:
// loopback TCP, the server's queues and merged writes, no encoder or player buffer.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ChunkDecoder } from '../dist/src/protocol/rtmp/chunk-decoder.js';
import { ChunkEncoder } from '../dist/src/protocol/rtmp/chunk-encoder.js';
import { commandMessage, decodeCommand } from '../dist/src/protocol/rtmp/commands.js';
import { HandshakeClient } from '../dist/src/protocol/rtmp/handshake.js';
import { MessageType, encodeSetChunkSize } from '../dist/src/protocol/rtmp/message.js';
import { FlvPlayer } from './flv-player.mjs';
import { percentile } from './load.mjs';
import { RtmpPlayer } from './rtmp-player.mjs';

/** The tags of an FLV file: type, timestamp (ms), payload view. */
export function readFlvTags(file) {
  const b = readFileSync(file);
  if (b.toString('latin1', 0, 3) !== 'FLV') throw new Error(`${file} is not FLV`);
  const tags = [];
  let p = b.readUInt32BE(5) + 4;
  while (p + 11 <= b.length) {
    const type = b[p] & 0x1f;
    const size = b.readUIntBE(p + 1, 3);
    const ts = (b.readUIntBE(p + 4, 3) | (b[p + 7] << 24)) >>> 0;
    if (p + 11 + size > b.length) break;
    tags.push({ type, ts, payload: b.subarray(p + 11, p + 11 + size) });
    p += 11 + size + 4;
  }
  return tags;
}

const frameKey = (length, tail8) => `${length}:${tail8.toString('hex')}`;

/** Publishes an FLV file over RTMP in real time, looping, and remembers when each video frame was sent. */
export class PacedPublisher {
  constructor(file, port, stream) {
    this.tags = readFlvTags(file);
    this.loopMs = this.tags[this.tags.length - 1].ts + 40;
    this.port = port;
    const [app, name] = stream.split('/');
    this.app = app;
    this.name = name;
    /** frame key -> performance.now() when it was written. */
    this.sent = new Map();
    this.encoder = new ChunkEncoder();
    this.decoder = new ChunkDecoder();
    this.timer = null;
    this.closed = false;
  }

  /** Connects, publishes, and starts sending; resolves once the server accepted the publish. */
  start() {
    return new Promise((resolve, reject) => {
      const hs = new HandshakeClient(randomBytes, () => Date.now());
      const s = (this.socket = net.connect(this.port, '127.0.0.1'));
      s.setNoDelay(true);
      s.on('error', (err) => reject(err));
      s.on('close', () => {
        this.closed = true;
        reject(new Error('publisher connection closed'));
      });
      s.on('connect', () => s.write(hs.start()));
      const send = (msg) => s.write(this.encoder.encodeToBuffer(msg));
      const onCommand = (cmd) => {
        if (cmd.name === '_result' && cmd.transactionId === 1) send(commandMessage(0, 3, 'createStream', 2, null));
        else if (cmd.name === '_result' && cmd.transactionId === 2) {
          this.streamId = typeof cmd.args[0] === 'number' ? cmd.args[0] : 1;
          send(commandMessage(this.streamId, 5, 'publish', 0, null, this.name, 'live'));
        } else if (cmd.name === 'onStatus') {
          const code = cmd.args[0]?.code;
          if (code === 'NetStream.Publish.Start') {
            this.pace();
            resolve();
          } else if (cmd.args[0]?.level === 'error') reject(new Error(`publish refused: ${code}`));
        }
      };
      s.on('data', (b) => {
        if (!hs.done) {
          const r = hs.receive(b);
          for (const x of r.send) s.write(x);
          if (!r.done) return;
          send(encodeSetChunkSize(60000));
          this.encoder.outChunkSize = 60000;
          send(commandMessage(0, 3, 'connect', 1, { app: this.app, type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; tsrs-bench)', tcUrl: `rtmp://127.0.0.1:${this.port}/${this.app}` }));
          if (!r.rest) return;
          b = r.rest;
        }
        for (const m of this.decoder.push(b)) {
          if (m.typeId === MessageType.CommandAmf0) onCommand(decodeCommand(m));
        }
      });
    });
  }

  pace() {
    const t0 = performance.now();
    let i = 0;
    let loop = 0;
    const out = [];
    const batch = [];
    const msg = { typeId: 0, streamId: this.streamId, timestamp: 0, chunkStreamId: 0, payload: null };
    const step = () => {
      if (this.closed) return;
      const now = performance.now() - t0;
      this.socket.cork();
      for (;;) {
        const tag = this.tags[i];
        const ts = tag.ts + loop * this.loopMs;
        if (ts > now) break;
        msg.typeId = tag.type === 8 ? MessageType.Audio : tag.type === 9 ? MessageType.Video : MessageType.DataAmf0;
        msg.chunkStreamId = tag.type === 8 ? 4 : tag.type === 9 ? 6 : 5;
        msg.timestamp = ts;
        msg.payload = tag.payload;
        out.length = 0;
        this.encoder.encode(msg, out);
        for (const x of out) this.socket.write(x);
        if (tag.type === 9 && tag.payload.length >= 8) batch.push(frameKey(tag.payload.length, tag.payload.subarray(tag.payload.length - 8)));
        if (++i === this.tags.length) {
          i = 0;
          loop++;
        }
      }
      this.socket.uncork();
      // The write is done once uncork returns: stamp the frames of this batch.
      const at = performance.now();
      for (const k of batch) {
        this.sent.delete(k);
        this.sent.set(k, at);
      }
      batch.length = 0;
      if (this.sent.size > 2000) for (const k of [...this.sent.keys()].slice(0, 1000)) this.sent.delete(k);
      this.timer = setTimeout(step, 2);
    };
    step();
  }

  stop() {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
  }
}

/**
 * Opens `probes` viewers for `seconds` and returns the latency distribution (ms) of the video frames they
 * received, skipping the first 2 s of each (the GOP burst of a late join is not latency).
 */
export async function measureLatency({ publisher, proto, rtmpPort, httpPort, stream, seconds = 10, probes = 4 }) {
  const [app, name] = stream.split('/');
  const delays = [];
  const players = [];
  for (let i = 0; i < probes; i++) {
    const p =
      proto === 'rtmp'
        ? new RtmpPlayer(-1 - i, { host: '127.0.0.1', port: rtmpPort, app, stream: name }, null)
        : new FlvPlayer(-1 - i, { host: '127.0.0.1', port: httpPort, path: `/${app}/${name}.flv` }, null);
    const skimmer = proto === 'rtmp' ? p.skimmer : p.flv;
    const startedAt = performance.now();
    skimmer.onVideoTail = (length, tail) => {
      const sentAt = publisher.sent.get(frameKey(length, tail));
      if (sentAt === undefined || p.now - startedAt < 2000) return;
      delays.push(p.now - sentAt);
    };
    players.push(p);
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  for (const p of players) p.close('stopped');
  delays.sort((a, b) => a - b);
  const r = (v) => (v === null ? null : Number(v.toFixed(1)));
  return { probes, frames: delays.length, medianMs: r(percentile(delays, 50)), p95Ms: r(percentile(delays, 95)), maxMs: r(delays.length ? delays[delays.length - 1] : null) };
}

export function latencyLine(l) {
  return `latency (publisher write -> player read, ${l.frames} frames) median ${l.medianMs} p95 ${l.p95Ms} max ${l.maxMs} ms`;
}
