// stream_caster mpegts_over_udp (issue 16): MPEG-TS datagrams (188×N bytes) on one UDP port make one
// stream, the output URL's. Loss and reordering are the TS demuxer's business (a PES cut by a lost packet
// is dropped, continuity-counter jumps are counted and shown in the API as `continuity_errors`). A sender
// silent for the vhost's publish.normal_timeout (SRS's loopback RTMP publish times out the same way)
// unpublishes; its next datagrams publish again. A new sender address starts a new publish (a restarted
// encoder's clock starts over).
//
// Workers (TSRS_WORKERS > 1): Node 20 has no UDP SO_REUSEPORT, and node:cluster would share one socket
// and hand each datagram to any worker, splitting the stream. So with a mesh the socket is bound
// `exclusive`: the first worker to bind owns the port, the others retry now and then (taking over when
// the owner dies), and the mesh relays the stream to viewers on other workers.
import dgram from 'node:dgram';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { newContextId } from '../../core/logger.js';
import { TsDemuxer } from '../../kernel/format/mpegts/index.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import type { StreamCasterConfig } from '../../config/index.js';
import type { ServerContext } from '../context.js';
import { CasterPublish } from './caster-publish.js';
import { casterRequest } from './output-url.js';

const TS_PACKET_BYTES = 188;
/** Frames kept while the publish is being admitted (hooks may take a while); more are dropped. */
const MAX_PENDING_FRAMES = 4096;
/** How often the sender's silence is checked. */
const IDLE_CHECK_MS = 500;
/** A refused publish is tried again after this long (not at every datagram). */
const RETRY_REFUSED_MS = 3000;
/** A worker that lost the race for the port tries again after this long. */
const REBIND_MS = 5000;
/** Garbage datagrams are logged at most this often. */
const GARBAGE_LOG_MS = 10_000;

export interface MpegtsUdpCasterOptions {
  /** Several workers share the server: bind exclusively, retry when another worker owns the port. */
  exclusive: boolean;
  /** Host to bind (SRS binds every address). */
  host?: string;
}

/**
 * How long the first frames are held, at most, for the stream's other track: RTMP publishers send both
 * sequence headers first, and outputs (HLS) fix their tracks at the first frames, so a TS stream starts
 * once every elementary stream of the PMT has shown up, or after this much media.
 */
const START_GATE_MS = 1500;

type State =
  | { kind: 'idle' }
  | { kind: 'collecting'; pending: MediaFrame[] }
  | { kind: 'admitting'; pending: MediaFrame[] }
  | { kind: 'publishing'; publish: CasterPublish }
  | { kind: 'refused'; untilMs: number };

export class MpegtsUdpCaster {
  private socket: dgram.Socket | null = null;
  private bound = 0;
  private state: State = { kind: 'idle' };
  private demuxer = new TsDemuxer();
  /** The sender of the current session (`ip:port`), '' before the first datagram. */
  private sender = '';
  private senderIp = '';
  private lastRecvMs = 0;
  private recvBytes = 0;
  private garbage = 0;
  private lastGarbageLogMs = -Infinity;
  private idleTimer: NodeJS.Timeout | null = null;
  private rebindTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The port was found owned by another worker (said once, not at every retry). */
  private toldBusy = false;
  /** Bumped at every new session, so a late admission result of an old one is dropped. */
  private session = 0;
  private readonly log: Logger;

  constructor(
    private readonly ctx: ServerContext,
    private readonly cfg: StreamCasterConfig,
    private readonly options: MpegtsUdpCasterOptions,
  ) {
    this.log = ctx.log.child(newContextId());
  }

  /** The bound UDP port (0 while another worker owns it). */
  get port(): number {
    return this.bound;
  }

  /** Continuity-counter errors of the current session. */
  get continuityErrors(): number {
    return this.demuxer.stats.discontinuities;
  }

  async start(): Promise<void> {
    await this.bind();
    this.idleTimer = setInterval(() => this.checkIdle(), IDLE_CHECK_MS);
    this.idleTimer.unref();
  }

  private async bind(): Promise<void> {
    const socket = dgram.createSocket({ type: 'udp4' });
    socket.on('message', (msg, rinfo) => {
      try {
        this.onDatagram(msg, rinfo.address, rinfo.port);
      } catch (err) {
        // A bug on one datagram must not take the server down (ARCHITECTURE.md: bad input never crashes).
        this.log.error(`caster: datagram from ${rinfo.address}:${rinfo.port} failed: ${errorMessage(err)}`);
      }
    });
    const host = this.options.host ?? '0.0.0.0';
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: host, port: this.cfg.listen, exclusive: this.options.exclusive }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      socket.close();
      const code = (err as NodeJS.ErrnoException).code;
      if (this.options.exclusive && code === 'EADDRINUSE' && !this.stopped) {
        if (!this.toldBusy) this.log.trace(`caster: udp port ${this.cfg.listen} is owned by another worker; trying again every ${REBIND_MS / 1000}s`);
        this.toldBusy = true;
        this.rebindTimer = setTimeout(() => {
          this.rebindTimer = null;
          this.bind().catch((e: unknown) => this.log.warn(`caster: udp rebind failed: ${errorMessage(e)}`));
        }, REBIND_MS);
        this.rebindTimer.unref();
        return;
      }
      throw err;
    }
    socket.on('error', (err) => this.log.warn(`caster: udp socket error: ${err.message}`));
    if (this.stopped) {
      socket.close();
      return;
    }
    this.socket = socket;
    this.bound = socket.address().port;
    this.log.trace(`caster: mpegts_over_udp listen at udp://${host}:${this.bound}, output ${this.cfg.output}`);
  }

  private onDatagram(msg: Buffer, ip: string, port: number): void {
    const now = this.ctx.now();
    const from = `${ip}:${port}`;
    if (msg.length % TS_PACKET_BYTES !== 0 || msg[0] !== 0x47) {
      // Not TS: logged, counted, never published; the demuxer would only resync over it anyway.
      this.garbage++;
      if (now - this.lastGarbageLogMs >= GARBAGE_LOG_MS) {
        this.lastGarbageLogMs = now;
        this.log.warn(`caster: dropped a datagram of ${msg.length} bytes from ${from} that is not MPEG-TS (188×N bytes starting with 0x47); ${this.garbage} so far`);
      }
      return;
    }
    if (this.sender !== '' && from !== this.sender) {
      // A new sender (a restarted encoder): its clock starts over, so does the stream.
      this.endSession(`new sender ${from}`);
    }
    if (this.sender === '') {
      this.sender = from;
      this.senderIp = ip;
    }
    this.lastRecvMs = now;
    this.recvBytes += msg.length;
    let frames: MediaFrame[];
    try {
      frames = this.demuxer.push(msg);
    } catch (err) {
      this.log.warn(`caster: bad TS from ${from}: ${errorMessage(err)}`);
      return;
    }
    if (frames.length === 0) return;
    const st = this.state;
    switch (st.kind) {
      case 'publishing':
        for (const f of frames) st.publish.publish(f);
        return;
      case 'admitting':
        for (const f of frames) if (st.pending.length < MAX_PENDING_FRAMES) st.pending.push(f);
        return;
      case 'refused':
        // Try again with a fresh demuxer, so the new publish starts with the sequence headers.
        if (now >= st.untilMs) {
          this.state = { kind: 'idle' };
          this.demuxer = new TsDemuxer();
        }
        return;
      case 'idle':
      case 'collecting': {
        const pending = st.kind === 'collecting' ? st.pending : [];
        for (const f of frames) if (pending.length < MAX_PENDING_FRAMES) pending.push(f);
        if (this.readyToStart(pending)) this.open(startOrder(pending));
        else this.state = { kind: 'collecting', pending };
        return;
      }
    }
  }

  /** Every elementary stream of the PMT has its first frame (video: its sequence header), or the gate timed out. */
  private readyToStart(pending: MediaFrame[]): boolean {
    const want = this.demuxer.streams;
    const video = want.video === null || pending.some((f) => f.kind === 'video' && f.sequenceHeader);
    const audio = want.audio === null || pending.some((f) => f.kind === 'audio');
    if (video && audio) return true;
    if (pending.length >= MAX_PENDING_FRAMES) return true;
    return pending[pending.length - 1]!.dts - pending[0]!.dts >= START_GATE_MS;
  }

  /** The first frames of a session: admit the publish, keeping the frames that arrive meanwhile. */
  private open(pending: MediaFrame[]): void {
    this.state = { kind: 'admitting', pending };
    const session = ++this.session;
    const req = casterRequest(this.cfg.output, {});
    const log = this.ctx.log.child(newContextId());
    CasterPublish.open(this.ctx, {
      type: 'mpegts-caster',
      ip: this.senderIp,
      localPort: this.bound,
      log,
      recvBytes: () => this.recvBytes,
      kick: (reason) => {
        if (session === this.session) this.endSession(`kicked: ${reason}`);
      },
      continuityErrors: () => this.demuxer.stats.discontinuities,
    }, req).then(
      (publish) => {
        if (session !== this.session || this.stopped) {
          publish.close(this.stopped ? 'server stopping' : 'sender gone');
          return;
        }
        this.state = { kind: 'publishing', publish };
        for (const f of pending) publish.publish(f);
      },
      (err: unknown) => {
        if (session !== this.session) return;
        log.warn(`caster: publish ${this.cfg.output} from ${this.sender} refused: ${errorMessage(err)}`);
        this.state = { kind: 'refused', untilMs: this.ctx.now() + RETRY_REFUSED_MS };
      },
    );
  }

  private checkIdle(): void {
    if (this.sender === '') return;
    const v = this.state.kind === 'publishing' ? this.state.publish.vhost : null;
    const timeoutMs = v?.publish.normalTimeoutMs ?? 5000;
    const silentMs = this.ctx.now() - this.lastRecvMs;
    if (silentMs > timeoutMs) this.endSession(`no datagram for ${silentMs}ms (publish.normal_timeout ${timeoutMs}ms)`);
  }

  /** The sender is gone (timeout, kick, another sender): unpublish and start the next session afresh. */
  private endSession(reason: string): void {
    const st = this.state;
    const s = this.demuxer.stats;
    if (st.kind === 'publishing') {
      this.log.trace(`caster: ${this.sender} ended (${reason}): ${s.packets} packets, ${s.discontinuities} continuity errors, ${s.droppedPes} PES dropped, ${this.recvBytes} bytes`);
      st.publish.close(reason);
    }
    this.session++;
    this.state = { kind: 'idle' };
    this.demuxer = new TsDemuxer();
    this.sender = '';
    this.senderIp = '';
    this.recvBytes = 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    if (this.rebindTimer) clearTimeout(this.rebindTimer);
    this.endSession('server stopping');
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

/** Sequence headers first (as an RTMP publisher sends them), then the frames in their order. */
function startOrder(frames: MediaFrame[]): MediaFrame[] {
  return [...frames.filter((f) => f.sequenceHeader), ...frames.filter((f) => !f.sequenceHeader)];
}
