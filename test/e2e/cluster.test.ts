// Clusters end to end: several tsrs processes on loopback (origin + edges, origin failover, origin
// cluster with RTMP 302), forward to a second tsrs and to nginx with the RTMP module, and publish
// through an edge. Real ffmpeg/ffprobe clients; every test is bounded in time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Amf0Object } from '../../src/kernel/format/amf0.js';
import {
  ffmpegPlay,
  ffmpegPublish,
  freePort,
  httpConf,
  probeFrames,
  probeStreams,
  rtmpConf,
  startServer,
  startServerWith,
  type FfmpegPlayer,
  type RunningServer,
} from './harness.js';
import { RawRtmpClient } from './rtmp-client.js';

const TEST_TIMEOUT_MS = 90_000;

/** Everything a test started, stopped in reverse order whatever happens. */
class Cleanup {
  private readonly steps: (() => Promise<unknown> | void)[] = [];
  add<T>(thing: T, stop: (t: T) => Promise<unknown> | void): T {
    this.steps.push(() => stop(thing));
    return thing;
  }
  async run(): Promise<void> {
    for (const s of this.steps.reverse()) await Promise.resolve(s()).catch(() => undefined);
  }
}

function count(text: string, re: RegExp): number {
  return (text.match(new RegExp(re.source, 'g')) ?? []).length;
}

const edgeVhost = (origins: number[], extra = ''): string => `cluster {
    mode remote;
    origin ${origins.map((p) => `127.0.0.1:${p}`).join(' ')};
    ${extra}
  }`;

test('origin + 2 edges: RTMP and HTTP-FLV players on both edges, one pull per stream and edge', { timeout: TEST_TIMEOUT_MS }, async () => {
  const c = new Cleanup();
  try {
    const origin = c.add(await startServer((p) => rtmpConf(p)), (s) => s.stop());
    const edges: RunningServer[] = [];
    for (let i = 0; i < 2; i++) {
      edges.push(c.add(await startServerWith((p) => httpConf(p, { vhostBody: edgeVhost([origin.ports.rtmp]) })), (s) => s.stop()));
    }
    c.add(ffmpegPublish(`rtmp://127.0.0.1:${origin.ports.rtmp}/live/cam1`), (p) => p.stop());
    await origin.waitForLog(/RTMP FMLE publish \/live\/cam1/, 15_000);

    // Two long-running viewers per edge (one RTMP, one HTTP-FLV) share the edge's single pull.
    const players: FfmpegPlayer[] = [];
    for (const e of edges) {
      players.push(c.add(ffmpegPlay(`rtmp://127.0.0.1:${e.ports.rtmp}/live/cam1`), (p) => p.stop()));
      players.push(c.add(ffmpegPlay(`http://127.0.0.1:${e.ports.http}/live/cam1.flv`), (p) => p.stop()));
    }
    for (const e of edges) await e.waitForLog(/edge: pulling \/live\/cam1 from rtmp:\/\/127\.0\.0\.1:\d+\/live\/cam1/, 15_000);

    // A third viewer on each edge, checked frame by frame: video starts on a keyframe, audio flows.
    for (const e of edges) {
      const v = await probeFrames(`rtmp://127.0.0.1:${e.ports.rtmp}/live/cam1`, 'v', 30);
      assert.ok(v.length >= 25, `edge RTMP play got ${v.length} video frames`);
      assert.ok(v[0]!.keyFrame, 'an edge viewer starts on a keyframe (the edge keeps a GOP cache)');
      const streams = await probeStreams(`http://127.0.0.1:${e.ports.http}/live/cam1.flv`);
      assert.deepEqual(streams.filter((s) => s.codec_type !== 'data').map((s) => s.codec_name).sort(), ['aac', 'h264']);
    }
    for (const p of players) assert.equal(p.proc.exitCode, null, `a viewer stopped early: ${p.stderr()}`);

    // The origin saw exactly one play per edge, however many viewers each edge has.
    assert.equal(count(origin.output(), /RTMP play \/live\/cam1/), 2, origin.output().slice(-2000));
    for (const e of edges) assert.equal(count(e.output(), /edge: pull \/live\/cam1 for its first viewer/), 1);

    // The pull stops with the last viewer of the edge.
    for (const p of players) await p.stop();
    for (const e of edges) await e.waitForLog(/edge: stop pulling \/live\/cam1 \(no viewer left\)/, 10_000);
    await origin.waitForLog(/RTMP client closed[^\n]*\n[\s\S]*RTMP client closed/, 10_000);
  } finally {
    await c.run();
  }
});

test('edge failover: the first origin dies, the edge goes on from the second', { timeout: TEST_TIMEOUT_MS }, async () => {
  const c = new Cleanup();
  try {
    const a = c.add(await startServer((p) => rtmpConf(p)), (s) => s.stop());
    const b = c.add(await startServer((p) => rtmpConf(p)), (s) => s.stop());
    c.add(ffmpegPublish(`rtmp://127.0.0.1:${a.ports.rtmp}/live/fo`), (p) => p.stop());
    c.add(ffmpegPublish(`rtmp://127.0.0.1:${b.ports.rtmp}/live/fo`), (p) => p.stop());
    await a.waitForLog(/RTMP FMLE publish \/live\/fo/, 15_000);
    await b.waitForLog(/RTMP FMLE publish \/live\/fo/, 15_000);
    const edge = c.add(await startServer((p) => rtmpConf(p, edgeVhost([a.ports.rtmp, b.ports.rtmp]))), (s) => s.stop());

    const player = c.add(ffmpegPlay(`rtmp://127.0.0.1:${edge.ports.rtmp}/live/fo`), (p) => p.stop());
    await edge.waitForLog(new RegExp(`edge: pulling /live/fo from rtmp://127\\.0\\.0\\.1:${a.ports.rtmp}/`), 15_000);

    a.proc.kill('SIGKILL');
    await edge.waitForLog(new RegExp(`edge: pulling /live/fo from rtmp://127\\.0\\.0\\.1:${b.ports.rtmp}/`), 15_000);
    const frames = await probeFrames(`rtmp://127.0.0.1:${edge.ports.rtmp}/live/fo`, 'v', 25);
    assert.ok(frames.length >= 20, `after failover the edge serves video (${frames.length} frames)`);
    assert.equal(player.proc.exitCode, null, `the viewer that was watching survives the failover: ${player.stderr()}`);
    assert.equal(count(b.output(), /RTMP play \/live\/fo/), 1);
  } finally {
    await c.run();
  }
});

test('publish to an edge reaches the origin; an unreachable origin fails the publish', { timeout: TEST_TIMEOUT_MS }, async () => {
  const c = new Cleanup();
  try {
    const origin = c.add(await startServer((p) => rtmpConf(p)), (s) => s.stop());
    const edge = c.add(await startServer((p) => rtmpConf(p, edgeVhost([origin.ports.rtmp]))), (s) => s.stop());
    c.add(ffmpegPublish(`rtmp://127.0.0.1:${edge.ports.rtmp}/live/up?token=t1`), (p) => p.stop());
    await edge.waitForLog(/edge: publishing \/live\/up to rtmp:\/\/127\.0\.0\.1:\d+\/live\/up\?token=t1/, 15_000);
    await origin.waitForLog(/RTMP FMLE publish \/live\/up param=\?token=t1/, 15_000);
    const streams = await probeStreams(`rtmp://127.0.0.1:${origin.ports.rtmp}/live/up`);
    assert.deepEqual(streams.filter((s) => s.codec_type !== 'data').map((s) => s.codec_name).sort(), ['aac', 'h264']);

    // An edge whose origin is down: the encoder is dropped soon after it starts.
    const deadPort = await freePort();
    const lonely = c.add(await startServer((p) => rtmpConf(p, edgeVhost([deadPort]))), (s) => s.stop());
    const doomed = c.add(ffmpegPublish(`rtmp://127.0.0.1:${lonely.ports.rtmp}/live/nowhere`), (p) => p.stop());
    await lonely.waitForLog(/edge: publish of \/live\/nowhere failed upstream, kick the publisher/, 15_000);
    const code = await new Promise<number | null>((resolve) => {
      if (doomed.proc.exitCode !== null) resolve(doomed.proc.exitCode);
      else doomed.proc.once('close', (c2) => resolve(c2));
    });
    assert.notEqual(code, 0, 'ffmpeg sees its publish fail');
  } finally {
    await c.run();
  }
});

function haveNginxRtmp(): boolean {
  const r = spawnSync('nginx', ['-v']);
  return r.status === 0 && spawnSync('test', ['-f', '/usr/lib/nginx/modules/ngx_rtmp_module.so']).status === 0;
}

/** nginx with the RTMP module on a loopback port, in its own temp prefix. */
async function startNginxRtmp(): Promise<{ port: number; proc: ChildProcess; stop(): Promise<void>; output(): string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-nginx-'));
  mkdirSync(join(dir, 'logs'));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
master_process off;
error_log stderr info;
pid nginx.pid;
events { worker_connections 128; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    application live { live on; }
  }
}
`,
  );
  const proc = spawn('nginx', ['-p', dir, '-c', 'nginx.conf', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const closed = new Promise<void>((r) => proc.on('close', () => r()));
  // Ready when the port accepts connections.
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('forward to a second tsrs and to nginx-rtmp: both serve the stream', { timeout: TEST_TIMEOUT_MS, skip: !haveNginxRtmp() && 'nginx with libnginx-mod-rtmp is not installed' }, async () => {
  const c = new Cleanup();
  try {
    const nginx = c.add(await startNginxRtmp(), (n) => n.stop());
    const second = c.add(await startServer((p) => rtmpConf(p)), (s) => s.stop());
    const origin = c.add(
      await startServer((p) =>
        rtmpConf(p, `forward { enabled on; destination 127.0.0.1:${second.ports.rtmp} 127.0.0.1:${nginx.port}; }`),
      ),
      (s) => s.stop(),
    );
    c.add(ffmpegPublish(`rtmp://127.0.0.1:${origin.ports.rtmp}/live/fwd?k=v`), (p) => p.stop());
    await origin.waitForLog(new RegExp(`forward: publishing /live/fwd to rtmp://127\\.0\\.0\\.1:${second.ports.rtmp}/live/fwd\\?k=v`), 15_000);
    await origin.waitForLog(new RegExp(`forward: publishing /live/fwd to rtmp://127\\.0\\.0\\.1:${nginx.port}/live/fwd\\?k=v`), 15_000);
    await second.waitForLog(/RTMP FMLE publish \/live\/fwd param=\?k=v/, 10_000);

    for (const url of [`rtmp://127.0.0.1:${second.ports.rtmp}/live/fwd`, `rtmp://127.0.0.1:${nginx.port}/live/fwd`]) {
      const streams = await probeStreams(url);
      assert.deepEqual(streams.filter((s) => s.codec_type !== 'data').map((s) => s.codec_name).sort(), ['aac', 'h264'], url);
      const v = await probeFrames(url, 'v', 25);
      assert.ok(v.length >= 20, `${url}: ${v.length} video frames`);
    }
  } finally {
    await c.run();
  }
});

test('forward reconnects when the destination comes back', { timeout: TEST_TIMEOUT_MS }, async () => {
  const c = new Cleanup();
  try {
    const destPort = await freePort();
    const origin = c.add(await startServer((p) => rtmpConf(p, `forward { enabled on; destination 127.0.0.1:${destPort}; }`)), (s) => s.stop());
    c.add(ffmpegPublish(`rtmp://127.0.0.1:${origin.ports.rtmp}/live/later`), (p) => p.stop());
    await origin.waitForLog(/forward: rtmp:\/\/127\.0\.0\.1:\d+\/live\/later ended: [^\n]*retry in 3000ms/, 15_000);
    const dest = c.add(await startServerWith((p) => rtmpConf(p), { ports: { rtmp: destPort } }), (s) => s.stop());
    await origin.waitForLog(/forward: publishing \/live\/later/, 15_000);
    const v = await probeFrames(`rtmp://127.0.0.1:${dest.ports.rtmp}/live/later`, 'v', 25);
    assert.ok(v.length >= 20);
  } finally {
    await c.run();
  }
});

test('origin cluster: RTMP 302 to the coworker that has the stream; an edge in front follows it', { timeout: TEST_TIMEOUT_MS }, async () => {
  const c = new Cleanup();
  try {
    const rtmp = [await freePort(), await freePort()];
    const api = [await freePort(), await freePort()];
    const coworkers = api.map((p) => `127.0.0.1:${p}`).join(' ');
    const origins: RunningServer[] = [];
    for (let i = 0; i < 2; i++) {
      origins.push(
        c.add(
          await startServerWith(
            (p) =>
              rtmpConf(
                p,
                `cluster { mode local; origin_cluster on; coworkers ${coworkers}; }`,
                `http_api { enabled on; listen ${p.api}; }`,
              ),
            { ports: { rtmp: rtmp[i], api: api[i] } },
          ),
          (s) => s.stop(),
        ),
      );
    }
    const [o1, o2] = origins as [RunningServer, RunningServer];
    c.add(ffmpegPublish(`rtmp://127.0.0.1:${rtmp[0]}/live/oc`), (p) => p.stop());
    await o1.waitForLog(/RTMP FMLE publish \/live\/oc/, 15_000);

    // A player at the other origin is told where to go (SRS's wire format: onStatus with ex.redirect2).
    const raw = await RawRtmpClient.open(rtmp[1]!);
    try {
      const sid = await raw.connectApp(`rtmp://127.0.0.1:${rtmp[1]}/live`);
      raw.call(sid, 'play', null, 'oc');
      const status = await raw.waitFor(
        (r) => r.commands().find((m) => m.name === 'onStatus' && (m.args[0] as Amf0Object | undefined)?.level === 'error'),
        15_000,
        'the 302',
      );
      const info = status.args[0] as Amf0Object;
      assert.equal(info.code, 'NetConnection.Connect.Rejected');
      assert.equal(info.description, 'RTMP 302 Redirect');
      const ex = info.ex as Amf0Object;
      assert.equal(ex.code, 302);
      assert.equal(ex.redirect2, `rtmp://127.0.0.1:${rtmp[0]}/live/oc`);
      assert.equal(ex.redirect, `rtmp://127.0.0.1:${rtmp[0]}/live`);
      await raw.waitClosed(10_000);
    } finally {
      raw.close();
    }

    // Nobody has it: the player is dropped (SRS error 3092).
    const none = await RawRtmpClient.open(rtmp[1]!);
    try {
      const sid = await none.connectApp(`rtmp://127.0.0.1:${rtmp[1]}/live`);
      none.call(sid, 'play', null, 'ghost');
      await none.waitClosed(15_000);
      assert.ok(!none.commands().some((m) => m.name === 'onStatus' && (m.args[0] as Amf0Object | undefined)?.code === 'NetStream.Play.Start'));
      await o2.waitForLog(/code=3092\(Unknown\)|no coworker publishes live\/ghost/, 5_000);
    } finally {
      none.close();
    }

    // The full path: an edge whose origin is the wrong member follows the 302 and serves the stream.
    const edge = c.add(await startServer((p) => rtmpConf(p, edgeVhost([rtmp[1]!]))), (s) => s.stop());
    const frames = await probeFrames(`rtmp://127.0.0.1:${edge.ports.rtmp}/live/oc`, 'v', 25);
    assert.ok(frames.length >= 20, `${frames.length} video frames through edge -> 302 -> origin`);
    await edge.waitForLog(new RegExp(`edge: RTMP 302 for /live/oc to rtmp://127\\.0\\.0\\.1:${rtmp[0]}/live/oc`), 5_000);
    await edge.waitForLog(new RegExp(`edge: pulling /live/oc from rtmp://127\\.0\\.0\\.1:${rtmp[0]}/`), 5_000);
  } finally {
    await c.run();
  }
});

test('forward backend (SRS 5): on_forward decides the targets; a failing backend fails the publish', { timeout: TEST_TIMEOUT_MS }, async () => {
  const c = new Cleanup();
  const bodies: string[] = [];
  let answer = '';
  const backend = http.createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(answer);
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  c.add(backend, (b) => new Promise<void>((r) => b.close(() => r())));
  const backendUrl = `http://127.0.0.1:${(backend.address() as net.AddressInfo).port}/api/v1/forward`;
  try {
    const target = c.add(await startServer((p) => rtmpConf(p)), (s) => s.stop());
    answer = JSON.stringify({ code: 0, data: { urls: [`rtmp://127.0.0.1:${target.ports.rtmp}/dyn/renamed?from=backend`] } });
    const origin = c.add(await startServer((p) => rtmpConf(p, `forward { enabled on; destination 127.0.0.1:1; backend ${backendUrl}; }`)), (s) => s.stop());
    c.add(ffmpegPublish(`rtmp://127.0.0.1:${origin.ports.rtmp}/live/b1?tk=1`), (p) => p.stop());
    await target.waitForLog(/RTMP FMLE publish \/dyn\/renamed param=\?from=backend/, 15_000);
    const body = JSON.parse(bodies[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['action', 'server_id', 'service_id', 'client_id', 'ip', 'vhost', 'app', 'tcUrl', 'stream', 'param']);
    assert.equal(body.action, 'on_forward');
    assert.equal(body.app, 'live');
    assert.equal(body.stream, 'b1');
    assert.equal(body.param, '?tk=1');
    const v = await probeFrames(`rtmp://127.0.0.1:${target.ports.rtmp}/dyn/renamed`, 'v', 20);
    assert.ok(v.length >= 15);

    // No data.urls in the answer: the publish is refused.
    answer = '{"code":0}';
    const doomed = c.add(ffmpegPublish(`rtmp://127.0.0.1:${origin.ports.rtmp}/live/b2`), (p) => p.stop());
    await origin.waitForLog(/forward: backend [^\n]* failed, kick the publisher of \/live\/b2/, 15_000);
    await new Promise<void>((resolve) => (doomed.proc.exitCode !== null ? resolve() : doomed.proc.once('close', () => resolve())));
  } finally {
    await c.run();
  }
});

test('edge token_traverse: the client is refused when no origin accepts its connect', { timeout: TEST_TIMEOUT_MS }, async () => {
  const c = new Cleanup();
  try {
    const origin = c.add(await startServer((p) => rtmpConf(p)), (s) => s.stop());
    c.add(ffmpegPublish(`rtmp://127.0.0.1:${origin.ports.rtmp}/live/tt`), (p) => p.stop());
    await origin.waitForLog(/RTMP FMLE publish \/live\/tt/, 15_000);
    const edge = c.add(await startServer((p) => rtmpConf(p, edgeVhost([origin.ports.rtmp], 'token_traverse on;'))), (s) => s.stop());
    const v = await probeFrames(`rtmp://127.0.0.1:${edge.ports.rtmp}/live/tt?token=abc`, 'v', 10);
    assert.ok(v.length >= 5);
    await edge.waitForLog(/edge: token traverse ok at 127\.0\.0\.1:\d+ for rtmp:\/\/127\.0\.0\.1:\d+\/live/, 5_000);

    const deadPort = await freePort();
    const closedEdge = c.add(await startServer((p) => rtmpConf(p, edgeVhost([deadPort], 'token_traverse on;'))), (s) => s.stop());
    await assert.rejects(probeFrames(`rtmp://127.0.0.1:${closedEdge.ports.rtmp}/live/tt`, 'v', 5, 15_000));
    await closedEdge.waitForLog(/edge token traverse: no origin answered/, 5_000);
  } finally {
    await c.run();
  }
});
