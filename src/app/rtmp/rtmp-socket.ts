// The thin adapter between a TCP connection and the RTMP connection state machine: socket events in,
// writes out, and one timer armed at the machine's nextTimeout() (issue 12 point 6).
import type { Logger } from '../../core/logger.js';
import type { TcpConnection } from '../../transport/tcp.js';
import type { ServerContext } from '../context.js';
import type { ConnectionSlot } from '../admission/index.js';
import { RtmpConnection, type RelayMode, type RtmpLink, type PlaySinkSpec, type RtmpPlayerSink } from './rtmp-connection.js';
import { RelayPlaySink, RtmpPlaySink } from './rtmp-play-sink.js';

/** Wire `conn` to a new RtmpConnection; returns the connection (for shutdown). */
export function serveRtmp(conn: TcpConnection, ctx: ServerContext, log: Logger, slot?: ConnectionSlot, relay?: RelayMode): RtmpConnection {
  let timer: NodeJS.Timeout | null = null;
  let rtmp: RtmpConnection | null = null;
  const link: RtmpLink = {
    remoteAddress: conn.remoteAddress,
    remotePort: conn.remotePort,
    localAddress: conn.socket.localAddress ?? '',
    localPort: conn.localPort,
    get bytesIn() {
      return conn.bytesIn;
    },
    get bytesOut() {
      return conn.bytesOut;
    },
    write: (buffers) => void conn.write(buffers),
    close: (reason, hard) => conn.close(reason, hard),
    pause: () => conn.pause(),
    resume: () => conn.resume(),
    setNoDelay: (on) => conn.setNoDelay(on),
    armTimer: (atMs) => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (atMs === null) return;
      timer = setTimeout(() => {
        timer = null;
        rtmp?.checkTimeout(ctx.now());
      }, Math.max(0, atMs - ctx.now()));
      timer.unref();
    },
  };
  const playSink = (s: PlaySinkSpec): RtmpPlayerSink => {
    const Kind = s.kind === 'relay' ? RelayPlaySink : RtmpPlaySink;
    return new Kind(s.id, conn, s.encoder, s.streamId, s.options, s.log, s.events, s.sessionHasOutput);
  };
  rtmp = new RtmpConnection({
    link,
    log,
    now: () => ctx.now(),
    random: (n) => ctx.random(n),
    config: () => ctx.config(),
    registry: ctx.registry,
    admission: ctx.admission,
    slot,
    cluster: ctx.cluster,
    relay,
    playSink,
  });
  const machine = rtmp;
  conn.attach({
    onData: (bytes) => machine.receive(bytes, ctx.now()),
    onClose: (reason) => machine.transportClosed(reason),
    onDrain: () => machine.onDrain(),
  });
  return machine;
}
