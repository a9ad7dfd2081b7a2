// The outbound RTMP client against our own server, in one process on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Logger } from '../../core/logger.js';
import { parseConfigText } from '../../config/index.js';
import { encodeAmf0 } from '../../kernel/format/amf0.js';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { Server } from '../server.js';
import { LogWriter } from '../log/srs-logger.js';
import { ErrorCode } from '../../core/errors.js';
import { RtmpClient, UpstreamError, type UpstreamEnd } from './rtmp-client.js';

const quiet: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quiet };

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const config = parseConfigText(`listen 127.0.0.1:${await freePort()}; srs_log_tank console; srs_log_level error; vhost __defaultVhost__ { }`, 't.conf');
  const server = new Server(config, new LogWriter({ tank: 'console', level: 'error', file: '', utcTime: false }));
  await server.start();
  try {
    await fn(server.ports.rtmp[0]!);
  } finally {
    await server.stop();
  }
}

function client(url: string, mode: 'publish' | 'play', events: { ready?: () => void; frame?: (f: MediaFrame) => void; end?: (e: UpstreamEnd) => void }, setupTimeoutMs = 5000): RtmpClient {
  return new RtmpClient(
    { url, mode, log: quiet, random: randomBytes, now: Date.now, setupTimeoutMs },
    { onReady: events.ready, onFrame: events.frame, onEnd: (e) => events.end?.(e) },
  );
}

const until = <T>(make: (resolve: (v: T) => void) => void, ms = 5000): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    make((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });

/** Start a client and resolve once it is publishing/playing. */
function started(url: string, mode: 'publish' | 'play', frame?: (f: MediaFrame) => void): Promise<RtmpClient> {
  return until<RtmpClient>((resolve) => {
    const c: RtmpClient = client(url, mode, { ready: () => resolve(c), frame });
    c.start();
  });
}

test('publish with our client, play with our client: frames arrive intact, in order', async () => {
  await withServer(async (port) => {
    const url = `rtmp://127.0.0.1:${port}/live/c1?k=v`;
    const got: MediaFrame[] = [];
    const player = await started(url, 'play', (f) => got.push(f));
    const pub = await started(url, 'publish');
    const frames: MediaFrame[] = [
      dataFrame(encodeAmf0('onMetaData', { width: 320 }), 0),
      videoFrameFromFlv(Buffer.from([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]), 0)!,
      audioFrameFromFlv(Buffer.from([0xaf, 0, 0x12, 0x10]), 0)!,
      videoFrameFromFlv(Buffer.concat([Buffer.from([0x17, 1, 0, 0, 0]), Buffer.alloc(70_000, 0x65)]), 40)!,
      audioFrameFromFlv(Buffer.from([0xaf, 1, 0x21, 0x22]), 46)!,
      videoFrameFromFlv(Buffer.from([0x27, 1, 0, 0, 0, 0x41]), 80)!,
    ];
    pub.write(frames); // false when the socket wants a drain (70 kB at once); the frames are queued anyway
    await until<void>((resolve) => {
      const check = setInterval(() => {
        if (got.filter((f) => f.kind !== 'data').length >= 5) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    const av = got.filter((f) => f.kind !== 'data');
    assert.deepEqual(
      av.map((f) => `${f.kind}@${f.dts}${f.sequenceHeader ? ' sh' : ''}`),
      ['video@0 sh', 'audio@0 sh', 'video@40', 'audio@46', 'video@80'],
    );
    assert.ok(av[2]!.payload.equals(frames[3]!.payload), 'a 70 kB frame over several chunks');
    assert.ok(got.some((f) => f.kind === 'data'), 'metadata reaches the player');
    pub.close('test done');
    player.close('test done');
  });
});

test('a second publisher is refused by the server: the end says refused', async () => {
  await withServer(async (port) => {
    const url = `rtmp://127.0.0.1:${port}/live/busy`;
    const first = await started(url, 'publish');
    const end = await until<UpstreamEnd>((r) => client(url, 'publish', { end: r }).start());
    assert.equal(end.wasReady, false);
    assert.equal(end.refused, true, end.reason);
    assert.match(end.reason, /NetStream\.Publish\.BadName/);
    first.close('done');
  });
});

test('setup timeout: a server that accepts and never answers', async () => {
  const silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (silent.address() as net.AddressInfo).port;
    const started = Date.now();
    const end = await until<UpstreamEnd>((r) => client(`rtmp://127.0.0.1:${port}/live/x`, 'play', { end: r }, 300).start());
    assert.match(end.reason, /no play start .* within 300ms/);
    assert.equal(end.timedOut, true);
    assert.equal(new UpstreamError(end).code, ErrorCode.SocketTimeout);
    assert.ok(Date.now() - started < 2000);
  } finally {
    silent.close();
  }
});

test('connection refused ends at once with the socket error', async () => {
  const port = await freePort();
  const end = await until<UpstreamEnd>((r) => client(`rtmp://127.0.0.1:${port}/live/x`, 'publish', { end: r }).start());
  assert.match(end.reason, /ECONNREFUSED/);
  assert.equal(end.wasReady, false);
  assert.equal(end.timedOut, undefined);
  assert.equal(new UpstreamError(end).code, ErrorCode.SocketRead);
});

test('idle timeout: a player whose upstream goes silent after Play.Start ends timed out', async () => {
  await withServer(async (port) => {
    let ready = false;
    const end = await until<UpstreamEnd>((r) =>
      new RtmpClient(
        { url: `rtmp://127.0.0.1:${port}/live/nobody`, mode: 'play', log: quiet, random: randomBytes, now: Date.now, setupTimeoutMs: 5000, idleTimeoutMs: 300 },
        { onReady: () => (ready = true), onEnd: r },
      ).start(),
    );
    assert.equal(ready, true, 'the server answered Play.Start');
    assert.match(end.reason, /nothing from upstream for \d+ms/);
    assert.equal(end.wasReady, true);
    assert.equal(end.timedOut, true);
    assert.equal(new UpstreamError(end).code, ErrorCode.SocketTimeout);
  });
});
