// Edge push (SRS SrsEdgeForwarder): a client publishing to an edge vhost is relayed to one origin (taken
// round-robin). As in SRS the client already got NetStream.Publish.Start; when the origin cannot be
// reached or refuses, or the relay breaks later, the local publisher is kicked, so the publish fails.
import type { Logger } from '../../core/logger.js';
import type { VhostConfig } from '../../config/index.js';
import { outboundUrl } from '../../protocol/rtmp/request.js';
import type { LiveSource, Publisher } from '../live/live-source.js';
import { PushSink, RtmpClient, upnodeArgs, withDefaultPort } from '../upstream/index.js';
import type { RoundRobin } from './round-robin.js';

/** SRS_EDGE_INGESTER_TIMEOUT-like bound for reaching the origin and starting to publish there. */
const SETUP_TIMEOUT_MS = 10_000;

export interface EdgePusherOptions {
  source: LiveSource;
  /** The local client publishing to the edge. */
  publisher: Publisher;
  vhost: VhostConfig;
  lb: RoundRobin;
  log: Logger;
  serverId: string;
  random: (n: number) => Buffer;
  now: () => number;
}

export class EdgePusher {
  private readonly sink: PushSink;
  private client: RtmpClient | null = null;
  private stopped = false;
  url = '';

  constructor(private readonly o: EdgePusherOptions) {
    this.sink = new PushSink(
      `edge-push-${o.log.cid}`,
      { pending: () => this.client?.pendingBytes ?? Infinity, send: (frames) => this.client?.write(frames) },
      // Jitter off: the origin gets the publisher's own timestamps, as SRS relays them.
      { jitter: 'off', queueLengthMs: o.vhost.play.queueLengthMs, mwLatencyMs: 0 },
      o.log,
      {
        publishNotify: () => {},
        unpublishNotify: () => {},
        hopeless: (reason) => this.fail(`origin too slow: ${reason}`),
      },
    );
  }

  start(): void {
    const { source, vhost } = this.o;
    const origins = vhost.cluster.origin;
    if (origins.length === 0) {
      this.fail(`vhost ${vhost.name} has no cluster.origin`);
      return;
    }
    const server = withDefaultPort(this.o.lb.select(origins));
    const target = vhost.cluster.vhost.replace('[vhost]', source.vhost);
    this.url = outboundUrl(server, source.app, source.stream, source.publishInfo?.param ?? '', target);
    // Frames wait in the sink's queue until the origin accepts the publish.
    source.addSink(this.sink, { gop: false });
    const client: RtmpClient = new RtmpClient(
      {
        url: this.url,
        mode: 'publish',
        log: this.o.log,
        random: this.o.random,
        now: this.o.now,
        setupTimeoutMs: SETUP_TIMEOUT_MS,
        chunkSize: vhost.chunkSize,
        connectArgs: vhost.cluster.debugSrsUpnode ? upnodeArgs(this.o.serverId, '', this.o.log.cid) : undefined,
      },
      {
        onReady: () => {
          this.o.log.trace(`edge: publishing ${source.key} to ${this.url}`);
          this.sink.onDrain();
        },
        onDrain: () => this.sink.onDrain(),
        onEnd: (end) => {
          if (client === this.client) this.fail(`origin ${this.url}: ${end.reason}`);
        },
      },
    );
    this.client = client;
    this.o.log.trace(`edge: relay the publish of ${source.key} to ${this.url}`);
    client.start();
  }

  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.o.source.removeSink(this.sink);
    this.sink.close();
    const c = this.client;
    this.client = null;
    c?.close(reason);
  }

  private fail(reason: string): void {
    if (this.stopped) return;
    this.o.log.warn(`edge: publish of ${this.o.source.key} failed upstream, kick the publisher: ${reason}`);
    this.stop(reason);
    this.o.publisher.kick(`edge publish failed: ${reason}`);
  }
}
