// Stream casters end to end (issue 16): ffmpeg pushes MPEG-TS over UDP and FLV over HTTP POST into one
// tsrs; each stream plays over RTMP, HTTP-FLV and HLS and ffmpeg decodes it without errors; hooks and the
// API see the caster's client; garbage on both ports is logged and harms nobody; a UDP sender that goes
// away unpublishes and publishes again when it comes back; through a lossy relay (1% of datagrams dropped,
// fixed seed) the API counts continuity errors and ~30 s of HLS decode with no stall over 2 s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { freePort, httpConf, probeStreams, run, startServer, type RunningServer } from './harness.js';
import { decodeAllSegments, pollUntil, readPlaylist } from './hls-helpers.js';
import { eventually, getJson, request, type Json } from './http-helpers.js';

const FRAGMENT_S = 2;
const LOSSY_PUSH_S = 36;
const LOSS = 0.01;

interface Pusher {
  proc: ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
  stop(): Promise<void>;
}

/** ffmpeg pushing a generated h264+aac live stream (-re) in `format` to `url`, for `seconds` or until stopped. */
function push(url: string, format: 'mpegts' | 'flv-post', seconds?: number): Pusher {
  const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100'];
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ar', '44100', '-b:a', '64k');
  if (seconds !== undefined) args.push('-t', String(seconds));
  if (format === 'mpegts') args.push('-f', 'mpegts', url);
  else args.push('-method', 'POST', '-f', 'flv', url);
  const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  return {
    proc,
    exited,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** mulberry32: a seeded PRNG, so the relay drops the same datagrams run after run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UDP forwarder dropping a fraction of the datagrams (a lossy network between encoder and server). */
async function lossyRelay(listenPort: number, toPort: number, loss: number, seed: number): Promise<{ forwarded: number; dropped: number; close(): void }> {
  const rnd = seeded(seed);
  const sock = dgram.createSocket('udp4');
  const stats = {
    forwarded: 0,
    dropped: 0,
    close: () => sock.close(),
  };
  sock.on('message', (msg) => {
    if (rnd() < loss) {
      stats.dropped++;
      return;
    }
    stats.forwarded++;
    sock.send(msg, toPort, '127.0.0.1');
  });
  await new Promise<void>((resolve) => sock.bind(listenPort, '127.0.0.1', () => resolve()));
  return stats;
}

/** ffmpeg decodes `frames` video frames of `url` at -v error: exit 0 and nothing on stderr. */
async function assertDecodes(url: string, frames = 50): Promise<void> {
  const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', url, '-frames:v', String(frames), '-f', 'null', '-'], 30_000);
  assert.equal(r.code, 0, `ffmpeg decode of ${url} failed: ${r.stderr}`);
  assert.equal(r.stderr.trim(), '', `ffmpeg decode of ${url} reported errors`);
}

/** RTMP, HTTP-FLV and HLS of a stream each carry h264 + aac and decode cleanly. */
async function assertPlaysEverywhere(srv: RunningServer, app: string, stream: string): Promise<void> {
  const urls = [`rtmp://127.0.0.1:${srv.ports.rtmp}/${app}/${stream}`, `http://127.0.0.1:${srv.ports.http}/${app}/${stream}.flv`];
  const m3u8 = `http://127.0.0.1:${srv.ports.http}/${app}/${stream}.m3u8`;
  // Two segments, so a live HLS reader has something to start from.
  await pollUntil(`${stream}.m3u8 with 2 segments`, () => (readPlaylist(join(srv.dir, 'html', app, `${stream}.m3u8`))?.entries.length ?? 0) >= 2, 20_000, 200);
  for (const url of [...urls, m3u8]) {
    const codecs = (await probeStreams(url)).map((s) => s.codec_name).filter((c) => c === 'h264' || c === 'aac');
    assert.deepEqual(codecs.sort(), ['aac', 'h264'], `${url} streams`);
    await assertDecodes(url);
  }
}

describe('stream casters: MPEG-TS over UDP and FLV over HTTP POST', { timeout: 150_000 }, () => {
  let srv: RunningServer;
  let udpPort: number;
  let lossyPort: number;
  let relayPort: number;
  let flvPort: number;
  let hookServer: http.Server;
  const hooks: Json[] = [];
  let relay: Awaited<ReturnType<typeof lossyRelay>>;
  let lossyPusher: Pusher;
  const pushers: Pusher[] = [];

  before(async () => {
    [udpPort, lossyPort, relayPort, flvPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    hookServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => (body += b.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Json);
        res.end('0');
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(hookServer.address() as { port: number }).port}/hooks`;
    srv = await startServer((p) =>
      httpConf(p, {
        vhostBody: `hls { enabled on; hls_fragment ${FRAGMENT_S}; hls_window 60; hls_path ./html; hls_dispose 0; }
  http_hooks { enabled on; on_publish ${hookUrl}; on_unpublish ${hookUrl}; }`,
        extra: `stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/livestream; listen ${udpPort}; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/lossy; listen ${lossyPort}; }
stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]; listen ${flvPort}; }`,
      }),
    );
    await srv.waitForLog(/caster: flv listen at/);
    // The lossy stream runs the whole time; its test, last, reads its HLS once ~30 s are there.
    relay = await lossyRelay(relayPort, lossyPort, LOSS, 16);
    lossyPusher = push(`udp://127.0.0.1:${relayPort}?pkt_size=1316`, 'mpegts', LOSSY_PUSH_S);
    pushers.push(lossyPusher);
  });

  after(async () => {
    await Promise.all(pushers.map((p) => p.stop()));
    relay?.close();
    await srv?.stop();
    await new Promise<void>((r) => (hookServer ? hookServer.close(() => r()) : r()));
  });

  test('TS over UDP plays over RTMP, HTTP-FLV and HLS; the API and hooks see the mpegts caster client', async () => {
    pushers.push(push(`udp://127.0.0.1:${udpPort}?pkt_size=1316`, 'mpegts'));
    await assertPlaysEverywhere(srv, 'live', 'livestream');
    const { json } = await getJson(`http://127.0.0.1:${srv.ports.api}/api/v1/clients/?count=100`);
    const c = (json.clients as Json[]).find((x) => x.url === '/live/livestream' && x.publish === true);
    assert.ok(c, 'publisher listed');
    assert.equal(c.type, 'mpegts-caster');
    assert.equal(c.ip, '127.0.0.1');
    assert.equal(typeof c.continuity_errors, 'number');
    const pub = hooks.find((h) => h.action === 'on_publish' && h.stream === 'livestream');
    assert.ok(pub, 'on_publish called');
    assert.equal(pub.app, 'live');
    assert.equal(pub.ip, '127.0.0.1');
  });

  test('FLV over HTTP POST plays over RTMP, HTTP-FLV and HLS; [app]/[stream] from the path; ends with the body', async () => {
    const pusher = push(`http://127.0.0.1:${flvPort}/live/post.flv`, 'flv-post');
    pushers.push(pusher);
    await assertPlaysEverywhere(srv, 'live', 'post');
    const { json } = await getJson(`http://127.0.0.1:${srv.ports.api}/api/v1/clients/?count=100`);
    const c = (json.clients as Json[]).find((x) => x.url === '/live/post' && x.publish === true);
    assert.ok(c, 'publisher listed');
    assert.equal(c.type, 'flv-caster');
    assert.equal(c.ip, '127.0.0.1');
    assert.ok(hooks.some((h) => h.action === 'on_publish' && h.app === 'live' && h.stream === 'post'));
    // The client ends the body (ffmpeg told to quit): the stream unpublishes.
    pusher.proc.kill('SIGINT');
    await pusher.exited;
    await eventually(async () => (hooks.some((h) => h.action === 'on_unpublish' && h.stream === 'post') ? true : undefined), 'on_unpublish of post', 10_000);
    await eventually(async () => {
      const s = (await getJson(`http://127.0.0.1:${srv.ports.api}/api/v1/streams/?count=100`)).json.streams as Json[];
      return s.find((x) => x.name === 'post')?.publish.active === false || !s.some((x) => x.name === 'post') ? true : undefined;
    }, 'post unpublished');
  });

  test('garbage on both caster ports: a clear error, no crash, the other stream still plays', async () => {
    const sock = dgram.createSocket('udp4');
    const junk = Buffer.alloc(1316);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 7) & 0xff;
    junk[0] = 0x11;
    const syncedJunk = Buffer.from(junk);
    syncedJunk[0] = 0x47; // passes the datagram check, garbage for the demuxer
    for (const d of [junk, syncedJunk, Buffer.from('hello'), Buffer.alloc(0)]) {
      await new Promise<void>((r) => sock.send(d, udpPort, '127.0.0.1', () => r()));
    }
    sock.close();
    await srv.waitForLog(/caster: dropped a datagram of \d+ bytes from 127\.0\.0\.1:\d+ that is not MPEG-TS/);

    const bad = await request(`http://127.0.0.1:${flvPort}/live/bad.flv`, { method: 'POST', body: junk });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /not an FLV stream/);
    await srv.waitForLog(/caster: flv: POST \/live\/bad from 127\.0\.0\.1: not an FLV stream/);
    // A good FLV header, then a broken tag: refused once the tag arrives.
    const flvHeader = Buffer.from([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]);
    const broken = await request(`http://127.0.0.1:${flvPort}/live/broken.flv`, { method: 'POST', body: Buffer.concat([flvHeader, junk]) });
    assert.equal(broken.status, 400);
    assert.equal((await request(`http://127.0.0.1:${flvPort}/live/get.flv`)).status, 405);
    assert.equal((await request(`http://127.0.0.1:${flvPort}/nostream.flv`, { method: 'POST', body: flvHeader })).status, 400);
    await srv.waitForLog(/caster: flv: GET \/live\/get\.flv from 127\.0\.0\.1 refused: only POST/);

    assert.equal(srv.proc.exitCode, null, 'server alive');
    await assertDecodes(`rtmp://127.0.0.1:${srv.ports.rtmp}/live/livestream`);
  });

  test('a UDP sender that goes away unpublishes after publish.normal_timeout; when it comes back the stream publishes again', async () => {
    const first = pushers.find((p) => p.proc.spawnargs.some((a) => a.includes(`:${udpPort}?`)))!;
    await first.stop();
    await srv.waitForLog(/caster: unpublish \/live\/livestream \(no datagram for \d+ms \(publish\.normal_timeout 5000ms\)\)/, 15_000);
    assert.ok(hooks.some((h) => h.action === 'on_unpublish' && h.stream === 'livestream'));
    pushers.push(push(`udp://127.0.0.1:${udpPort}?pkt_size=1316`, 'mpegts'));
    await eventually(async () => {
      const s = (await getJson(`http://127.0.0.1:${srv.ports.api}/api/v1/streams/?count=100`)).json.streams as Json[];
      return s.find((x) => x.name === 'livestream')?.publish.active === true ? true : undefined;
    }, 'livestream published again', 15_000);
    await assertDecodes(`rtmp://127.0.0.1:${srv.ports.rtmp}/live/livestream`);
  });

  test('1% datagram loss: the API counts continuity errors; ~30 s of HLS decode with no stall over 2 s', async (t) => {
    const api = `http://127.0.0.1:${srv.ports.api}/api/v1/streams/?count=100`;
    const errors = await eventually(async () => {
      const s = ((await getJson(api)).json.streams as Json[]).find((x) => x.name === 'lossy');
      return typeof s?.continuity_errors === 'number' && s.continuity_errors > 0 ? (s.continuity_errors as number) : undefined;
    }, 'continuity errors of lossy', 40_000, 500);
    assert.ok(relay.dropped > 0, 'the relay dropped datagrams');
    assert.ok(errors > 0);

    const m3u8 = join(srv.dir, 'html', 'live', 'lossy.m3u8');
    const list = await pollUntil('30 s of lossy HLS', () => {
      const p = readPlaylist(m3u8);
      return p && p.entries.reduce((t, e) => t + e.durationSec, 0) >= 30 ? p : null;
    }, (LOSSY_PUSH_S + 10) * 1000, 500);
    for (const e of list.entries) assert.ok(e.durationSec <= FRAGMENT_S * 2 + 0.5, `segment ${e.uri} lasts ${e.durationSec}s`);
    // Decoded video timestamps over the whole window: no gap over 2 s (a lost PES costs one frame).
    const copy = join(srv.dir, 'html', 'live', 'lossy-vod.m3u8');
    writeFileSync(copy, `${list.text}#EXT-X-ENDLIST\n`);
    const r = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', copy], 60_000);
    const ts = r.stdout.split('\n').map(Number).filter((n) => Number.isFinite(n) && n > 0);
    assert.ok(ts.length > 25 * 25, `decoded ${ts.length} video frames`);
    let maxGap = 0;
    for (let i = 1; i < ts.length; i++) maxGap = Math.max(maxGap, ts[i]! - ts[i - 1]!);
    const span = ts[ts.length - 1]! - ts[0]!;
    t.diagnostic(`relay dropped ${relay.dropped}/${relay.dropped + relay.forwarded} datagrams; continuity errors ${errors}; ${ts.length} frames over ${span.toFixed(1)}s, longest gap ${maxGap.toFixed(2)}s`);
    assert.ok(span >= 28, `decoded span ${span.toFixed(1)}s`);
    assert.ok(maxGap <= 2, `longest stall ${maxGap.toFixed(2)}s`);
    // ffmpeg reads every segment to the end (decode errors of damaged pictures are allowed here).
    const d = await decodeAllSegments(m3u8);
    assert.equal(d.code, 0, d.stderr.slice(0, 2000));
  });
});
