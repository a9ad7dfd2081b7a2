// RTMP behaviours that need a scripted client: notifies across republish, AMF3, timeouts, limits, slow players.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ffmpegPublish, freePort, probeStreams, rtmpConf, run, startServer, type RunningServer } from './harness.js';
import { RawRtmpClient } from './rtmp-client.js';
import { MessageType } from '../../src/protocol/rtmp/message.js';

let server: RunningServer;

before(async () => {
  server = await startServer((p) =>
    rtmpConf(
      p,
      `chunk_size 4096;
  publish { firstpkt_timeout 1500; normal_timeout 1500; }
  play { queue_length 2; mw_latency 100; }`,
    ),
  );
});

after(async () => {
  await server.stop();
});

const videoCount = (c: RawRtmpClient): number => c.messages.filter((m) => m.typeId === MessageType.Video).length;

describe('players across a republish', () => {
  test('a player gets UnpublishNotify, stays, then PublishNotify and the new stream', async () => {
    const url = `rtmp://127.0.0.1:${server.ports.rtmp}/live`;
    const player = await RawRtmpClient.open(server.ports.rtmp);
    try {
      const sid = await player.connectApp(url);
      player.call(sid, 'play', null, 'repub');
      await player.waitForStatus('NetStream.Play.Start');
      // The server announced the vhost's chunk size before the connect result.
      const setChunk = player.messages.find((m) => m.typeId === MessageType.SetChunkSize);
      assert.equal(setChunk?.payload.readUInt32BE(0), 4096);

      let pub = ffmpegPublish(`${url}/repub`);
      await player.waitFor((c) => videoCount(c) > 10, 15_000, 'video from the first publisher');
      await pub.stop();
      await player.waitForStatus('NetStream.Play.UnpublishNotify');
      assert.equal(player.closed, false);

      const before = videoCount(player);
      pub = ffmpegPublish(`${url}/repub`);
      try {
        await player.waitForStatus('NetStream.Play.PublishNotify');
        await player.waitFor((c) => videoCount(c) > before + 10, 15_000, 'video from the second publisher');
        // The new stream starts with its sequence header (AVC packet type 0).
        const afterNotify = player.messages.filter((m) => m.typeId === MessageType.Video).slice(before);
        assert.equal(afterNotify[0]!.payload[1], 0);
      } finally {
        await pub.stop();
      }
    } finally {
      player.close();
    }
  });
});

describe('client dialects', () => {
  for (const complex of [true, false]) {
    test(`${complex ? 'complex' : 'plain'} handshake and an AMF3 (type 17) connect are accepted`, async () => {
      const c = await RawRtmpClient.open(server.ports.rtmp, { complex });
      try {
        const sid = await c.connectApp(`rtmp://127.0.0.1:${server.ports.rtmp}/live`, true);
        assert.equal(sid, 1);
      } finally {
        c.close();
      }
    });
  }

  test('pause stops delivery and unpause resumes it', async () => {
    const url = `rtmp://127.0.0.1:${server.ports.rtmp}/live`;
    const pub = ffmpegPublish(`${url}/pausing`);
    const c = await RawRtmpClient.open(server.ports.rtmp);
    // A second player of the same stream is the clock: "while paused" is measured in frames it receives.
    const ref = await RawRtmpClient.open(server.ports.rtmp);
    try {
      await server.waitForLog(/publish \/live\/pausing\b/);
      const sid = await c.connectApp(url);
      c.call(sid, 'play', null, 'pausing');
      const refSid = await ref.connectApp(url);
      ref.call(refSid, 'play', null, 'pausing');
      await c.waitFor((x) => videoCount(x) > 5, 10_000, 'video');
      c.call(sid, 'pause', null, true, 0);
      await c.waitForStatus('NetStream.Pause.Notify');
      // In-flight data lands while the reference gets 10 more frames; then 25 more (1 s) must bring nothing.
      const refAt = videoCount(ref);
      await ref.waitFor((x) => videoCount(x) >= refAt + 10, 10_000, 'reference video');
      const paused = videoCount(c);
      await ref.waitFor((x) => videoCount(x) >= refAt + 35, 10_000, 'reference video while paused');
      assert.ok(videoCount(c) - paused <= 1, `paused but got ${videoCount(c) - paused} frames`);
      c.call(sid, 'pause', null, false, 0);
      await c.waitForStatus('NetStream.Unpause.Notify');
      await c.waitFor((x) => videoCount(x) > paused + 5, 10_000, 'video after unpause');
    } finally {
      c.close();
      ref.close();
      await pub.stop();
    }
  });
});

describe('publisher timeouts', () => {
  test('a publisher that never sends a packet is closed after firstpkt_timeout', async () => {
    const c = await RawRtmpClient.open(server.ports.rtmp);
    const sid = await c.connectApp(`rtmp://127.0.0.1:${server.ports.rtmp}/live`);
    c.call(sid, 'publish', null, 'silent', 'live');
    await c.waitForStatus('NetStream.Publish.Start');
    const started = Date.now();
    await c.waitClosed(10_000);
    assert.ok(Date.now() - started >= 1000, 'closed too early');
    await server.waitForLog(/publish timeout: no packet for \d+ms \(limit 1500ms, first packet\)/);
  });

  test('a publisher that stops sending is closed after normal_timeout, and the stream is free again', async () => {
    const c = await RawRtmpClient.open(server.ports.rtmp);
    const sid = await c.connectApp(`rtmp://127.0.0.1:${server.ports.rtmp}/live`);
    c.call(sid, 'publish', null, 'stalled', 'live');
    await c.waitForStatus('NetStream.Publish.Start');
    c.send({ typeId: MessageType.Video, streamId: sid, timestamp: 0, chunkStreamId: 6, payload: Buffer.from([0x17, 0, 0, 0, 0, 1, 0x42, 0, 0x1e]) });
    await c.waitClosed(10_000);
    await server.waitForLog(/limit 1500ms, normal\)/);
    const again = await RawRtmpClient.open(server.ports.rtmp);
    try {
      const sid2 = await again.connectApp(`rtmp://127.0.0.1:${server.ports.rtmp}/live`);
      again.call(sid2, 'publish', null, 'stalled', 'live');
      await again.waitForStatus('NetStream.Publish.Start');
    } finally {
      again.close();
    }
  });
});

describe('slow players', () => {
  test('a player that stops reading is shrunk then dropped; a normal player is unaffected', async () => {
    const url = `rtmp://127.0.0.1:${server.ports.rtmp}/live`;
    // ~8 Mbit/s so the stuck player's socket buffers fill within seconds.
    const pub = run(
      'ffmpeg',
      ['-hide_banner', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', '40', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '8M', '-minrate', '8M', '-maxrate', '8M', '-bufsize', '2M', '-g', '25', '-c:a', 'aac', '-f', 'flv', `${url}/slow`],
      60_000,
    );
    await server.waitForLog(/publish \/live\/slow\b/, 20_000);
    const stuck = await RawRtmpClient.open(server.ports.rtmp);
    const sid = await stuck.connectApp(url);
    stuck.call(sid, 'play', null, 'slow');
    await stuck.waitForStatus('NetStream.Play.Start');
    stuck.socket.pause(); // never read again
    const good = run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', `${url}/slow`, '-t', '6', '-f', 'null', '-'], 40_000);
    await server.waitForLog(/play shrink the queue for a slow viewer/, 30_000);
    await server.waitForLog(/viewer too slow/, 30_000);
    const r = await good;
    assert.equal(r.code, 0, r.stderr);
    stuck.close();
    const p = await pub;
    assert.ok(p.code === 0 || p.code === null || p.signal !== null);
  });
});

describe('limits', () => {
  test('max_connections refuses connections over the limit', async () => {
    const limited = await startServer((p) => rtmpConf(p, '', '').replace('max_connections 1000;', 'max_connections 2;'));
    const sockets: net.Socket[] = [];
    try {
      const open = async (): Promise<net.Socket> => {
        const s = net.connect(limited.ports.rtmp, '127.0.0.1');
        await new Promise<void>((r) => s.once('connect', () => r()));
        s.on('error', () => {});
        sockets.push(s);
        return s;
      };
      await open();
      await open();
      await limited.waitForLog(/RTMP listen/);
      const third = await open();
      await new Promise<void>((resolve) => third.once('close', () => resolve()));
      await limited.waitForLog(/max_connections 2 reached/);
      assert.equal(sockets[0]!.destroyed, false);
      assert.equal(sockets[1]!.destroyed, false);
    } finally {
      for (const s of sockets) s.destroy();
      await limited.stop();
    }
  });
});

describe('listeners', () => {
  test('several listen endpoints, IPv4 and IPv6: publish on [::1], play on 127.0.0.1', async () => {
    const v6 = await freePort('::1');
    const multi = await startServer((p) => rtmpConf(p).replace(`listen ${p.rtmp};`, `listen 127.0.0.1:${p.rtmp} [::1]:${v6};`));
    const pub = ffmpegPublish(`rtmp://[::1]:${v6}/live/v6`, 'h264');
    try {
      await multi.waitForLog(/publish \/live\/v6\b/);
      assert.match(multi.output(), new RegExp(`RTMP listen at 127\\.0\\.0\\.1:${multi.ports.rtmp}, ::1:${v6}`));
      const streams = await probeStreams(`rtmp://127.0.0.1:${multi.ports.rtmp}/live/v6`);
      assert.ok(streams.some((s) => s.codec_name === 'h264'));
    } finally {
      await pub.stop();
      await multi.stop();
    }
  });
});
