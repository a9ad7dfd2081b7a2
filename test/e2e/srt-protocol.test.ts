// Interop of the sans-I/O SRT layer (src/protocol/srt) with real libsrt clients (ffmpeg, srt-live-transmit)
// through a few-line UDP adapter that lives only here; the server's own SRT wiring is elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { SrtConnection, SrtListener, type SrtEvent, type SrtOptions } from '../../src/protocol/srt/index.js';

const now = () => performance.now();

/** Drives one connection: sends its datagrams, runs its timer, forwards its events. */
class Driver {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    readonly conn: SrtConnection,
    private readonly sock: dgram.Socket,
    private readonly port: number,
    private readonly address: string,
    private readonly onEvent: (e: SrtEvent) => void,
  ) {}
  run(events: SrtEvent[]): void {
    for (const e of events) this.onEvent(e);
    for (const d of this.conn.takeOutgoing()) this.sock.send(d, this.port, this.address);
    clearTimeout(this.timer);
    const t = this.conn.nextTimeout();
    if (t !== undefined) this.timer = setTimeout(() => this.run(this.conn.handleTimeout(now())), Math.max(0, t - now()));
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

interface TestServer {
  port: number;
  events: SrtEvent[];
  payloads: Buffer[];
  rejects: number[];
  closed: Promise<SrtEvent>;
  drivers: Driver[];
  stop(): void;
}

async function listen(options: Partial<SrtOptions>): Promise<TestServer> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const listener = new SrtListener(options, now());
  const byPeer = new Map<string, Driver>();
  const events: SrtEvent[] = [];
  const payloads: Buffer[] = [];
  const rejects: number[] = [];
  let resolveClosed!: (e: SrtEvent) => void;
  const closed = new Promise<SrtEvent>((r) => (resolveClosed = r));
  const drivers: Driver[] = [];
  sock.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    const d = byPeer.get(key);
    if (d) return d.run(d.conn.receive(msg, now()));
    const r = listener.receive(msg, rinfo, now());
    if (r.type === 'reply' || r.type === 'rejected') sock.send(r.datagram, rinfo.port, rinfo.address);
    if (r.type === 'rejected') rejects.push(r.rejectCode);
    if (r.type === 'accepted') {
      const nd = new Driver(r.connection, sock, rinfo.port, rinfo.address, (e) => {
        events.push(e);
        if (e.type === 'data') payloads.push(e.payload);
        if (e.type === 'closed') resolveClosed(e);
      });
      byPeer.set(key, nd);
      drivers.push(nd);
      nd.run([]);
    }
  });
  return {
    port: sock.address().port,
    events,
    payloads,
    rejects,
    closed,
    drivers,
    stop() {
      for (const d of drivers) d.stop();
      sock.close();
    },
  };
}

function waitExit(p: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      p.kill('SIGKILL');
    }, ms);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

function assertTs(payloads: Buffer[]): void {
  assert.ok(payloads.length > 20, `got ${payloads.length} payloads`);
  for (const p of payloads) {
    assert.equal(p.length % 188, 0, 'payload is whole TS packets');
    for (let o = 0; o < p.length; o += 188) assert.equal(p[o], 0x47, 'TS sync byte');
  }
}

test('ffmpeg (libsrt caller) publishes MPEG-TS to our listener with a stream id', { timeout: 30_000 }, async () => {
  const srv = await listen({ latencyMs: 120 });
  try {
    const url = `srt://127.0.0.1:${srv.port}?streamid=#!::r=live/s,m=publish&latency=200000`;
    const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', url], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    ff.stderr!.on('data', (d) => (err += d));
    const code = await waitExit(ff, 20_000);
    assert.equal(code, 0, err);
    const closed = await srv.closed;
    assert.equal(closed.type === 'closed' && closed.reason, 'shutdown');
    const connected = srv.events.find((e) => e.type === 'connected');
    assert.ok(connected && connected.type === 'connected');
    assert.equal(connected.streamId, '#!::r=live/s,m=publish');
    assert.equal(connected.latencyMs, 200, 'the larger latency wins (ffmpeg asked 200 ms)');
    assertTs(srv.payloads);
  } finally {
    srv.stop();
  }
});
