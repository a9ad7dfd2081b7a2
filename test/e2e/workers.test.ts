// Multi-process mode (TSRS_WORKERS): workers share the RTMP and HTTP ports; the primary supervises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpegPublish, httpConf, rtmpConf, run, startServer, startServerWith, type RunningServer } from './harness.js';
import { RawRtmpClient } from './rtmp-client.js';
import { eventually, request } from './http-helpers.js';
import type { Amf0Object } from '../../src/kernel/format/amf0.js';

function apiPid(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // A new connection per request, so the primary hands each to the next worker.
    const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/versions', agent: false, headers: { Connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve((JSON.parse(body) as { pid: string }).pid));
    });
    req.on('error', reject);
  });
}

test('TSRS_WORKERS=2: two workers share the ports, a dead worker is replaced, SIGTERM stops all', async () => {
  process.env.TSRS_WORKERS = '2';
  const server = await startServer((p) => rtmpConf(p, '', `http_api { enabled on; listen ${p.api}; }`));
  delete process.env.TSRS_WORKERS;
  try {
    await server.waitForLog(/primary pid=\d+ started 2 workers/);
    await server.waitForLog(/RTMP listen at[\s\S]*RTMP listen at/);
    // The primary hands API connections only to workers that listen on the API port already.
    await server.waitForLog(/HTTP-API listen at[\s\S]*HTTP-API listen at/);
    const pids = new Set<string>();
    for (let i = 0; i < 20 && pids.size < 2; i++) pids.add(await apiPid(server.ports.api));
    assert.equal(pids.size, 2, `answers came from ${[...pids].join(', ')}`);
    assert.ok(![...pids].includes(String(server.proc.pid)), 'the primary serves nothing itself');

    // RTMP is served by the workers too.
    const c = await RawRtmpClient.open(server.ports.rtmp);
    assert.equal(await c.connectApp(`rtmp://127.0.0.1:${server.ports.rtmp}/live`), 1);
    c.close();

    const victim = Number([...pids][0]);
    process.kill(victim, 'SIGKILL');
    await server.waitForLog(new RegExp(`worker pid=${victim} exited \\(code=null, signal=SIGKILL\\); restarting`));
    await server.waitForLog(/(RTMP listen at[\s\S]*){3}/);
  } finally {
    const code = await server.stop();
    assert.equal(code, 0);
    assert.match(server.output(), /all workers exited/);
  }
});

// ---- worker mesh -----------------------------------------------------------------------------------

/** Log lines matching `re` (with the pid SRS's log format puts in each line), as [pid, line]. */
function linesOf(out: string, re: RegExp): { pid: number; line: string }[] {
  const found: { pid: number; line: string }[] = [];
  for (const line of out.split('\n')) {
    const m = line.match(/^\[[^\]]*\]\[\w+\]\[(\d+)\]/);
    if (m && re.test(line)) found.push({ pid: Number(m[1]), line });
  }
  return found;
}

/** Video and audio frames of one read (one TCP connection) of about `seconds` of a live URL. */
async function probeAv(url: string, seconds = 2): Promise<{ video: number; audio: number }> {
  const r = await run('ffprobe', ['-v', 'error', '-read_intervals', `%+${seconds}`, '-show_entries', 'frame=media_type', '-of', 'json', url], 20_000);
  if (r.code !== 0) throw new Error(`ffprobe ${url} failed (${r.code ?? r.signal}): ${r.stderr}`);
  const frames = (JSON.parse(r.stdout) as { frames?: { media_type: string }[] }).frames ?? [];
  return { video: frames.filter((f) => f.media_type === 'video').length, audio: frames.filter((f) => f.media_type === 'audio').length };
}

/** The relay port of each worker, by pid, from the primary's log. */
async function relayPorts(server: RunningServer): Promise<Map<number, number>> {
  await server.waitForLog(/(mesh: worker \d+ pid=\d+ relays on 127\.0\.0\.1:\d+[\s\S]*){2}/, 15_000);
  const ports = new Map<number, number>();
  for (const m of server.output().matchAll(/mesh: worker \d+ pid=(\d+) relays on 127\.0\.0\.1:(\d+)/g)) ports.set(Number(m[1]), Number(m[2]));
  return ports;
}

/** An RTMP player on the shared port: which worker it landed on (srs_pid of the connect result). */
async function rtmpPlayer(port: number, stream: string): Promise<{ c: RawRtmpClient; pid: number; media(): { video: number; audio: number } }> {
  const c = await RawRtmpClient.open(port);
  const sid = await c.connectApp(`rtmp://127.0.0.1:${port}/live`);
  const result = c.commands().find((m) => m.name === '_result' && (m.args[0] as Amf0Object | undefined)?.code === 'NetConnection.Connect.Success')!;
  const data = (result.args[0] as Amf0Object).data as unknown as { entries: Record<string, unknown> };
  c.call(sid, 'play', null, stream);
  await c.waitForStatus('NetStream.Play.Start');
  const media = () => ({ video: c.messages.filter((m) => m.typeId === 9).length, audio: c.messages.filter((m) => m.typeId === 8).length });
  return { c, pid: Number(data.entries.srs_pid), media };
}

const meshEnv = { TSRS_WORKERS: '2' };

test('worker mesh: a stream published to one worker plays from both over RTMP and HTTP-FLV, and again after a republish', { timeout: 120_000 }, async () => {
  const server = await startServerWith((p) => httpConf(p), { env: meshEnv });
  const publishers: { stop(): Promise<void> }[] = [];
  const players: RawRtmpClient[] = [];
  try {
    await server.waitForLog(/worker mesh on/);
    const ports = await relayPorts(server);
    assert.equal(ports.size, 2);
    await server.waitForLog(/(RTMP listen at[\s\S]*){2}/);
    const rtmpUrl = `rtmp://127.0.0.1:${server.ports.rtmp}/live/mesh`;
    publishers.push(ffmpegPublish(rtmpUrl));
    await server.waitForLog(/RTMP FMLE publish \/live\/mesh/, 15_000);
    const owner = linesOf(server.output(), /RTMP FMLE publish \/live\/mesh/)[0]!.pid;
    assert.ok(ports.has(owner), `the publisher is on worker pid ${owner}`);

    // Each player is a new connection: the primary spreads them across both workers.
    for (const [proto, url, played] of [
      ['RTMP', rtmpUrl, /RTMP play \/live\/mesh/],
      ['HTTP-FLV', `http://127.0.0.1:${server.ports.http}/live/mesh.flv`, /HTTP FLV \w+ play \/live\/mesh/],
    ] as const) {
      for (let i = 0; i < 6 && new Set(linesOf(server.output(), played).map((l) => l.pid)).size < 2; i++) {
        const got = await probeAv(url);
        assert.ok(got.video >= 10 && got.audio >= 10, `${proto} player ${i}: ${got.video} video, ${got.audio} audio frames`);
      }
      const pids = new Set(linesOf(server.output(), played).map((l) => l.pid));
      assert.equal(pids.size, 2, `${proto} players were served by both workers (${[...pids].join(', ')})`);
    }
    // The worker without the publisher relayed it from the owner, over the owner's private port.
    const relayed = linesOf(server.output(), /mesh: relaying \/live\/mesh from worker/);
    assert.ok(relayed.length > 0 && relayed.every((l) => l.pid !== owner), relayed.map((l) => l.line).join('\n'));
    assert.ok(linesOf(server.output(), /mesh: relay play \/live\/mesh/).every((l) => l.pid === owner));

    // One waiting RTMP player on each worker; the publisher leaves and a new one comes (on either worker).
    const byPid = new Map<number, Awaited<ReturnType<typeof rtmpPlayer>>>();
    for (let i = 0; i < 8 && byPid.size < 2; i++) {
      const p = await rtmpPlayer(server.ports.rtmp, 'mesh');
      players.push(p.c);
      if (!byPid.has(p.pid)) byPid.set(p.pid, p);
      else p.c.close();
    }
    assert.equal(byPid.size, 2, 'an RTMP player on each worker');
    for (const p of byPid.values()) await p.c.waitFor((c) => c.messages.some((m) => m.typeId === 9), 10_000, `video on worker ${p.pid}`);
    await publishers.pop()!.stop();
    for (const p of byPid.values()) await p.c.waitForStatus('NetStream.Play.UnpublishNotify', 15_000);
    const before = new Map([...byPid].map(([pid, p]) => [pid, p.media()]));
    publishers.push(ffmpegPublish(rtmpUrl));
    for (const [pid, p] of byPid) {
      await p.c.waitFor(
        () => p.media().video > before.get(pid)!.video + 10 && p.media().audio > before.get(pid)!.audio + 10,
        20_000,
        `video and audio again on worker ${pid}`,
      );
    }
    const owner2 = linesOf(server.output(), /RTMP FMLE publish \/live\/mesh/)[1]!.pid;
    const other = [...byPid.keys()].find((pid) => pid !== owner2)!;
    assert.ok(linesOf(server.output(), /mesh: relaying \/live\/mesh from worker/).some((l) => l.pid === other), `worker ${other} relays the new publish`);
  } finally {
    for (const c of players) c.close();
    for (const p of publishers) await p.stop();
    assert.equal(await server.stop(), 0);
  }
});

test('worker mesh: the private relay port refuses a play without the mesh token', { timeout: 60_000 }, async () => {
  const server = await startServerWith((p) => rtmpConf(p), { env: meshEnv });
  try {
    const ports = await relayPorts(server);
    const [pid, port] = [...ports][0]!;
    assert.notEqual(port, server.ports.rtmp);
    for (const [i, stream] of ['nokey', 'badkey?tsrs_mesh=0123456789abcdef0123456789abcdef0123456789abcdef'].entries()) {
      const c = await RawRtmpClient.open(port);
      const sid = await c.connectApp(`rtmp://127.0.0.1:${port}/live`);
      c.call(sid, 'play', null, stream);
      await c.waitForStatus('NetStream.Play.Failed');
      await c.waitClosed();
      await server.waitForLog(new RegExp(`(mesh: refused a play of /live/\\w+ on the relay port[\\s\\S]*){${i + 1}}`));
    }
    assert.ok(linesOf(server.output(), /mesh: refused a play/).every((l) => l.pid === pid));
    // A publish on the relay port is refused too.
    const c = await RawRtmpClient.open(port);
    const sid = await c.connectApp(`rtmp://127.0.0.1:${port}/live`);
    c.call(sid, 'publish', null, 'sneaky', 'live');
    await c.waitForStatus('NetStream.Publish.Denied');
    await server.waitForLog(/mesh: refused a publish on the relay port/);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('worker mesh: only the worker that has the publisher writes HLS', { timeout: 90_000 }, async () => {
  const server = await startServerWith(
    (p) => httpConf(p, { vhostBody: 'hls { enabled on; hls_fragment 1; hls_window 4; hls_path ./hls; hls_dispose 0; }' }),
    { env: meshEnv },
  );
  const pub: { stop(): Promise<void> }[] = [];
  try {
    await relayPorts(server);
    await server.waitForLog(/(RTMP listen at[\s\S]*){2}/);
    pub.push(ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/hlsmesh`));
    await server.waitForLog(/RTMP FMLE publish \/live\/hlsmesh/, 15_000);
    const owner = linesOf(server.output(), /RTMP FMLE publish \/live\/hlsmesh/)[0]!.pid;
    // Make the other worker relay the stream (players until one lands there).
    for (let i = 0; i < 6 && linesOf(server.output(), /mesh: relaying \/live\/hlsmesh/).length === 0; i++) {
      const got = await probeAv(`http://127.0.0.1:${server.ports.http}/live/hlsmesh.flv`, 1);
      assert.ok(got.video > 0 && got.audio > 0);
    }
    assert.ok(linesOf(server.output(), /mesh: relaying \/live\/hlsmesh/).some((l) => l.pid !== owner), 'the other worker relays the stream');
    await eventually(async () => existsSync(join(server.dir, 'hls/live/hlsmesh.m3u8')) || undefined, 'the HLS playlist', 15_000);
    const muxers = linesOf(server.output(), /hls: win=/);
    assert.equal(muxers.length, 1, muxers.map((l) => l.line).join('\n'));
    assert.equal(muxers[0]!.pid, owner);
    // Both workers serve the playlist (from the shared disk).
    for (let i = 0; i < 2; i++) {
      const r = await request(`http://127.0.0.1:${server.ports.http}/live/hlsmesh.m3u8`, { headers: { Connection: 'close' } });
      assert.equal(r.status, 200);
    }
  } finally {
    for (const p of pub) await p.stop();
    assert.equal(await server.stop(), 0);
  }
});
