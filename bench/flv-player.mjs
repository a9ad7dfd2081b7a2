// A cheap HTTP-FLV player for load tests: a raw HTTP/1.1 GET over TCP, chunked or plain body, then FLV
// tag headers read for their type and timestamp. Tag bodies are counted and skipped, never copied; reads
// land in one buffer shared by every socket of the process (net `onread`).
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ClientStats } from './client-stats.mjs';

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const FLV_HEADER = 13; // 9-byte header + PreviousTagSize0
const TAG_HEADER = 11;

const enum_ = { Head: 0, Size: 1, SizeExt: 2, Data: 3, DataCrlf: 4, Done: 5 };

/** FLV body reader: header, then tags (11-byte header, body, 4-byte PreviousTagSize). */
export class FlvSkimmer {
  constructor(onMedia) {
    this.onMedia = onMedia;
    /** Bytes to skip before the next tag header (FLV header first, then body + PreviousTagSize). */
    this.skip = FLV_HEADER;
    this.hdr = Buffer.alloc(TAG_HEADER);
    this.hdrLen = 0;
    /** Latency probes only: called with (length, last 8 bytes) of every video tag body. */
    this.onVideoTail = null;
    this.tail = Buffer.alloc(8);
    /** Size of the video tag body being skipped when tails are wanted, else 0. */
    this.body = 0;
  }

  push(b, pos, end) {
    while (pos < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - pos);
        if (this.body >= 8) {
          // Body bytes are the first `body` of `body + 4` to skip; keep the last 8 of them.
          const off = this.body + 4 - this.skip;
          const from = Math.max(off, this.body - 8);
          const to = Math.min(off + n, this.body);
          if (to > from) b.copy(this.tail, from - (this.body - 8), pos + (from - off), pos + (to - off));
          if (off + n >= this.body) {
            this.onVideoTail(this.body, this.tail);
            this.body = 0;
          }
        }
        this.skip -= n;
        pos += n;
        continue;
      }
      let h = b;
      let p = pos;
      if (this.hdrLen > 0 || end - pos < TAG_HEADER) {
        const n = Math.min(TAG_HEADER - this.hdrLen, end - pos);
        b.copy(this.hdr, this.hdrLen, pos, pos + n);
        this.hdrLen += n;
        pos += n;
        if (this.hdrLen < TAG_HEADER) return;
        this.hdrLen = 0;
        h = this.hdr;
        p = 0;
      } else pos += TAG_HEADER;
      const type = h[p] & 0x1f;
      const size = (h[p + 1] << 16) | (h[p + 2] << 8) | h[p + 3];
      const ts = ((h[p + 7] << 24) | (h[p + 4] << 16) | (h[p + 5] << 8) | h[p + 6]) >>> 0;
      if (type === 8 || type === 9) this.onMedia(ts);
      this.skip = size + 4;
      if (this.onVideoTail !== null && type === 9) this.body = size;
    }
  }
}

/** One HTTP-FLV viewer of `http://host:port/path`. */
export class FlvPlayer {
  constructor(id, target, onClose) {
    this.stats = new ClientStats(id);
    this.target = target;
    this.onClose = onClose;
    this.flv = new FlvSkimmer((ts) => this.stats.media(ts));
    this.state = enum_.Head;
    this.head = '';
    this.chunked = false;
    this.chunkLeft = 0;
    this.sizeHex = 0;
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
    this.socket.on('connect', () =>
      this.socket.write(`GET ${target.path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUser-Agent: tsrs-bench\r\nAccept: */*\r\n\r\n`),
    );
    this.socket.on('error', (err) => this.close(err.code || err.message));
    this.socket.on('close', () => this.close('closed'));
  }

  onBytes(b, n) {
    let pos = 0;
    if (this.state === enum_.Head) {
      // The response head is small: keep it as a string until the blank line.
      const had = this.head.length;
      this.head += b.toString('latin1', 0, Math.min(n, 8192));
      const at = this.head.indexOf('\r\n\r\n');
      if (at < 0) {
        if (this.head.length > 16384) this.close('response head too large');
        return;
      }
      const head = this.head.slice(0, at);
      pos = at + 4 - had;
      this.head = '';
      const status = /^HTTP\/1\.[01] (\d+)/.exec(head);
      if (!status || status[1] !== '200') {
        this.close(`HTTP ${status ? status[1] : 'garbage'}`);
        return;
      }
      this.chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
      this.state = this.chunked ? enum_.Size : enum_.Data;
      this.chunkLeft = Infinity;
    }
    if (!this.chunked) {
      if (pos < n) this.flv.push(b, pos, n);
      return;
    }
    // Chunked transfer coding (RFC 9112 7.1): hex size [;ext] CRLF, data, CRLF; size 0 ends.
    while (pos < n) {
      switch (this.state) {
        case enum_.Size: {
          const c = b[pos++];
          if (c === 0x0a) {
            if (this.sizeHex === 0) {
              this.state = enum_.Done;
              this.close('stream ended');
              return;
            }
            this.chunkLeft = this.sizeHex;
            this.sizeHex = 0;
            this.state = enum_.Data;
          } else if (c === 0x3b || c === 0x0d || c === 0x20) {
            if (c === 0x3b) this.state = enum_.SizeExt;
          } else {
            const d = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
            this.sizeHex = this.sizeHex * 16 + d;
          }
          break;
        }
        case enum_.SizeExt:
          if (b[pos++] === 0x0a) {
            this.chunkLeft = this.sizeHex;
            this.sizeHex = 0;
            this.state = this.chunkLeft === 0 ? enum_.Done : enum_.Data;
          }
          break;
        case enum_.Data: {
          const m = Math.min(this.chunkLeft, n - pos);
          this.flv.push(b, pos, pos + m);
          pos += m;
          this.chunkLeft -= m;
          if (this.chunkLeft === 0) {
            this.state = enum_.DataCrlf;
            this.chunkLeft = 2;
          }
          break;
        }
        case enum_.DataCrlf:
          pos++;
          if (--this.chunkLeft === 0) this.state = enum_.Size;
          break;
        default:
          return;
      }
    }
  }

  close(reason) {
    const s = this.stats;
    if (s.closed) return;
    s.closed = true;
    if (reason !== 'stopped') s.error = reason === 'closed' ? 'server closed' : reason;
    this.socket.destroy();
    this.onClose?.(s);
  }
}
