// A cheap RTMP player for load tests. It speaks RTMP with tsrs's own protocol layer (handshake, chunk
// encoder, AMF0 commands) and reads the server's chunk stream with a header-only parser: audio/video
// payloads are counted and skipped, never copied; only small control and command messages are assembled.
// Reads land in one buffer shared by every socket of the process (net `onread`), so a read allocates nothing.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { HandshakeClient } from '../dist/src/protocol/rtmp/handshake.js';
import { ChunkEncoder } from '../dist/src/protocol/rtmp/chunk-encoder.js';
import { commandMessage, decodeCommand } from '../dist/src/protocol/rtmp/commands.js';
import {
  MessageType,
  UserControlEvent,
  decodeSetChunkSize,
  decodeUserControl,
  decodeWindowAckSize,
  encodeAcknowledgement,
  encodePingResponse,
  encodeUserControl,
} from '../dist/src/protocol/rtmp/message.js';
import { ClientStats } from './client-stats.mjs';

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const MAX_HEADER = 18;
const EXTENDED = 0xffffff;
/** Messages whose payload the player needs; everything else is skipped. */
const COLLECT = new Set([MessageType.SetChunkSize, MessageType.Abort, MessageType.UserControl, MessageType.WindowAckSize, MessageType.CommandAmf0, MessageType.CommandAmf3]);

/** Per chunk stream: the last header seen (later headers inherit from it, spec 5.3.1.2). */
class ChunkStream {
  constructor() {
    this.timestamp = 0;
    /** Timestamp field of the last fmt 0/1/2 header: a fmt 3 message start adds it again. */
    this.delta = 0;
    this.extended = false;
    this.length = 0;
    this.typeId = 0;
    this.streamId = 0;
    /** Bytes of the current message still to come (0 between messages). */
    this.left = 0;
    /** Payload being assembled for COLLECT messages, else null. */
    this.payload = null;
    this.filled = 0;
  }
}

/**
 * Header-only chunk stream reader. `onMessageStart(stream)` fires for every message start, `onCollected`
 * with the assembled payload of control/command messages.
 */
export class ChunkSkimmer {
  constructor(onMedia, onCollected) {
    this.onMedia = onMedia;
    this.onCollected = onCollected;
    this.chunkSize = 128;
    /** Streams by chunk stream id (ids < 64 in an array; the rare larger ones in a Map). */
    this.low = new Array(64).fill(null);
    this.high = new Map();
    this.cur = null;
    this.chunkLeft = 0;
    this.hdr = Buffer.alloc(MAX_HEADER);
    this.hdrLen = 0;
    /** Latency probes only: called with (length, last 8 bytes) of every video message. */
    this.onVideoTail = null;
    this.tail = Buffer.alloc(8);
  }

  stream(csid) {
    if (csid < 64) {
      let s = this.low[csid];
      if (s === null) s = this.low[csid] = new ChunkStream();
      return s;
    }
    let s = this.high.get(csid);
    if (!s) this.high.set(csid, (s = new ChunkStream()));
    return s;
  }

  push(buf, pos, end) {
    while (pos < end) {
      const st = this.cur;
      if (st !== null) {
        let n = this.chunkLeft;
        if (n > end - pos) n = end - pos;
        if (st.payload !== null) {
          buf.copy(st.payload, st.filled, pos, pos + n);
          st.filled += n;
        } else if (this.onVideoTail !== null && st.typeId === MessageType.Video && st.left - n < 8 && st.length >= 8) {
          const off = st.length - st.left;
          const from = Math.max(off, st.length - 8);
          buf.copy(this.tail, from - (st.length - 8), pos + (from - off), pos + n);
          if (st.left === n) this.onVideoTail(st.length, this.tail);
        }
        pos += n;
        this.chunkLeft -= n;
        st.left -= n;
        if (this.chunkLeft === 0) {
          this.cur = null;
          if (st.left === 0) this.finish(st);
        }
        continue;
      }
      if (this.hdrLen === 0) {
        const used = this.header(buf, pos, end);
        if (used < 0) {
          buf.copy(this.hdr, 0, pos, end);
          this.hdrLen = end - pos;
          return;
        }
        pos += used;
        continue;
      }
      // A header split across reads: complete it in the small buffer.
      const had = this.hdrLen;
      const add = Math.min(MAX_HEADER - had, end - pos);
      buf.copy(this.hdr, had, pos, pos + add);
      const used = this.header(this.hdr, 0, had + add);
      if (used < 0) {
        this.hdrLen = had + add;
        return;
      }
      this.hdrLen = 0;
      pos += used - had;
    }
  }

  /** Parses one chunk header at b[p..e); returns its size or -1 when incomplete. */
  header(b, p, e) {
    if (p >= e) return -1;
    const b0 = b[p];
    const fmt = b0 >> 6;
    let csid = b0 & 63;
    let q = p + 1;
    if (csid === 0) {
      if (q + 1 > e) return -1;
      csid = 64 + b[q];
      q += 1;
    } else if (csid === 1) {
      if (q + 2 > e) return -1;
      csid = 64 + b[q] + b[q + 1] * 256;
      q += 2;
    }
    const st = this.stream(csid);
    let starts = st.left === 0;
    if (fmt <= 2) {
      const mh = fmt === 0 ? 11 : fmt === 1 ? 7 : 3;
      if (q + mh > e) return -1;
      let field = (b[q] << 16) | (b[q + 1] << 8) | b[q + 2];
      const ext = field === EXTENDED;
      if (ext && q + mh + 4 > e) return -1;
      if (fmt <= 1) {
        st.length = (b[q + 3] << 16) | (b[q + 4] << 8) | b[q + 5];
        st.typeId = b[q + 6];
        if (fmt === 0) st.streamId = b.readUInt32LE(q + 7);
      }
      q += mh;
      if (ext) {
        field = b.readUInt32BE(q);
        q += 4;
      }
      st.extended = ext;
      st.delta = field;
      st.timestamp = fmt === 0 ? field : st.timestamp + field;
      starts = true;
    } else {
      if (st.extended) {
        if (q + 4 > e) return -1;
        q += 4;
      }
      if (starts) st.timestamp += st.delta;
    }
    if (starts) {
      st.left = st.length;
      st.filled = 0;
      const t = st.typeId;
      if (t === MessageType.Video || t === MessageType.Audio || t === MessageType.Aggregate) {
        st.payload = null;
        this.onMedia(st.timestamp);
      } else st.payload = COLLECT.has(t) ? Buffer.allocUnsafe(st.length) : null;
      if (st.length === 0) {
        this.finish(st);
        return q - p;
      }
    }
    this.cur = st;
    this.chunkLeft = st.left < this.chunkSize ? st.left : this.chunkSize;
    return q - p;
  }

  finish(st) {
    if (st.payload !== null) {
      const payload = st.payload;
      st.payload = null;
      if (st.typeId === MessageType.SetChunkSize) this.chunkSize = decodeSetChunkSize(payload);
      this.onCollected({ typeId: st.typeId, streamId: st.streamId, timestamp: st.timestamp, chunkStreamId: 0, payload });
    }
  }
}

/**
 * One RTMP viewer: connect -> createStream -> play, then count. `url` parts: host, port, app, stream.
 * `onClose(stats)` fires once.
 */
export class RtmpPlayer {
  constructor(id, target, onClose) {
    this.stats = new ClientStats(id);
    this.target = target;
    this.onClose = onClose;
    this.encoder = new ChunkEncoder();
    this.handshake = new HandshakeClient(randomBytes, () => Date.now());
    this.skimmer = new ChunkSkimmer(
      (ts) => this.stats.media(ts),
      (msg) => this.onControl(msg),
    );
    this.ackWindow = 0;
    this.received = 0;
    this.lastAck = 0;
    this.streamId = 0;
    this.playing = false;
    this.now = 0;
    const stats = this.stats;
    this.socket = net.connect({
      host: target.host,
      port: target.port,
      onread: {
        buffer: READ_BUFFER,
        callback: (n, buf) => {
          const now = performance.now();
          this.now = now;
          stats.bytes += n;
          this.onBytes(buf, n);
          stats.endRead(now);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => this.socket.write(this.handshake.start()));
    this.socket.on('error', (err) => this.close(err.code || err.message));
    this.socket.on('close', () => this.close('closed'));
  }

  onBytes(buf, n) {
    if (!this.handshake.done) {
      const r = this.handshake.receive(buf.subarray(0, n));
      for (const b of r.send) this.socket.write(b);
      if (!r.done) return;
      this.send(commandMessage(0, 3, 'connect', 1, {
        app: this.target.app,
        flashVer: 'LNX 9,0,124,2',
        tcUrl: `rtmp://${this.target.host}:${this.target.port}/${this.target.app}`,
        fpad: false,
        capabilities: 15,
        audioCodecs: 4071,
        videoCodecs: 252,
        videoFunction: 1,
      }));
      if (r.rest) this.feed(r.rest, r.rest.length);
      return;
    }
    this.feed(buf, n);
  }

  feed(buf, n) {
    try {
      this.skimmer.push(buf, 0, n);
    } catch (err) {
      this.close(`bad stream: ${err.message}`);
      return;
    }
    if (this.ackWindow > 0) {
      this.received += n;
      if (this.received - this.lastAck >= this.ackWindow) {
        this.lastAck = this.received;
        this.send(encodeAcknowledgement(this.received % 0x100000000));
      }
    }
  }

  send(msg) {
    if (!this.stats.closed) this.socket.write(this.encoder.encodeToBuffer(msg));
  }

  onControl(msg) {
    switch (msg.typeId) {
      case MessageType.WindowAckSize:
        this.ackWindow = decodeWindowAckSize(msg.payload);
        return;
      case MessageType.UserControl: {
        const uc = decodeUserControl(msg.payload);
        if (uc.event === UserControlEvent.PingRequest) this.send(encodePingResponse(uc.value));
        return;
      }
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.onCommand(decodeCommand(msg));
        return;
    }
  }

  onCommand(cmd) {
    if (cmd.name === '_result' && cmd.transactionId === 1) {
      this.send(commandMessage(0, 3, 'createStream', 2, null));
    } else if (cmd.name === '_result' && cmd.transactionId === 2) {
      this.streamId = typeof cmd.args[0] === 'number' ? cmd.args[0] : 1;
      // ffmpeg's order: play (start -1000 = live), then the client's buffer length.
      this.send(commandMessage(this.streamId, 8, 'play', 0, null, this.target.stream, -1000));
      this.send(encodeUserControl(UserControlEvent.SetBufferLength, this.streamId, 3000));
    } else if (cmd.name === '_error') {
      this.close(`command refused: ${JSON.stringify(cmd.args[0] ?? null)}`);
    } else if (cmd.name === 'onStatus') {
      const info = cmd.args[0];
      const code = info && typeof info === 'object' ? info.code : '';
      if (code === 'NetStream.Play.Start') this.playing = true;
      else if (info && typeof info === 'object' && info.level === 'error') this.close(`play refused: ${code}`);
    }
  }

  close(reason) {
    const s = this.stats;
    if (s.closed) return;
    s.closed = true;
    if (reason !== 'closed' && reason !== 'stopped') s.error = reason;
    else if (reason === 'closed') s.error = 'server closed';
    this.socket.destroy();
    this.onClose?.(s);
  }
}
