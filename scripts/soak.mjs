#!/usr/bin/env node
// Soak test: a real tsrs process under publish/unpublish/play churn over RTMP, HTTP-FLV and HLS, with
// HTTP hooks and DVR on. The server samples its own RSS, heap, active handles and open fds (see
// soak-sampler.mjs); after the warm-up the last fifth of the run must not have grown past the first fifth.
//
//   node scripts/soak.mjs [--minutes 3 | --hours 1] [--streams 2] [--interval 5] [--warmup-minutes 1]
//                         [--out DIR] [--dist DIR]
//
// Exit 0 when nothing grew, 1 on growth or when the server died. Writes DIR/samples.jsonl, DIR/summary.json,
// DIR/soak.svg (the curve) and DIR/srs.log. Clients are ffmpeg (publish with -c copy, RTMP play) and Node
// (HTTP-FLV, HLS), so the load stays light: a few streams, a few viewers each.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyse, renderSvg } from './soak-report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');

function parseArgs(argv) {
  const o = { minutes: 3, streams: 2, interval: 5, warmupMinutes: undefined, out: undefined, dist: join(repo, 'dist') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--minutes') o.minutes = Number(v());
    else if (a === '--hours') o.minutes = Number(v()) * 60;
    else if (a === '--streams') o.streams = Number(v());
    else if (a === '--interval') o.interval = Number(v());
    else if (a === '--warmup-minutes') o.warmupMinutes = Number(v());
    else if (a === '--out') o.out = resolve(v());
    else if (a === '--dist') o.dist = resolve(v());
    else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  // Warm-up: the JIT, the young generation and the GOP caches settle in the first minute or so.
  o.warmupMinutes ??= Math.min(5, Math.max(1, o.minutes / 4));
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const out = opts.out ?? mkdtempSync(join(tmpdir(), 'tsrs-soak-'));
mkdirSync(out, { recursive: true });
const work = join(out, 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'html'), { recursive: true });
mkdirSync(join(work, 'dvr'), { recursive: true });
const samplesFile = join(out, 'samples.jsonl');
rmSync(samplesFile, { force: true });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rand = (lo, hi) => lo + Math.random() * (hi - lo);
/** The first non-200 answers, to say what they were. */
const clientErrorSamples = [];
const clientError = (what) => {
  counts.clientErrors++;
  if (clientErrorSamples.length < 20) clientErrorSamples.push(`${((Date.now() - started) / 60_000).toFixed(1)} min ${what}`);
};
const counts = { publishes: 0, rtmpPlays: 0, flvPlays: 0, hlsPlaylists: 0, hlsSegments: 0, hooks: 0, dvrFiles: 0, apiCalls: 0, clientErrors: 0 };

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

function run(cmd, args) {
  return new Promise((res) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b) => (err += b));
    p.on('exit', (code) => res({ code, err }));
  });
}

function get(url, { keepMs, onData } = {}) {
  return new Promise((res) => {
    const req = http.get(url, (r) => {
      const chunks = [];
      let timer;
      if (keepMs !== undefined) timer = setTimeout(() => req.destroy(), keepMs);
      r.on('data', (c) => (onData ? onData(c) : chunks.push(c)));
      const done = () => {
        clearTimeout(timer);
        res({ status: r.statusCode, body: Buffer.concat(chunks) });
      };
      r.on('end', done);
      r.on('close', done);
      r.on('error', done);
    });
    req.on('error', () => res({ status: 0, body: Buffer.alloc(0) }));
    req.setTimeout(15_000, () => req.destroy());
  });
}

// Hooks: answer 0 to everything; on_dvr deletes the finished recording so the disk stays flat.
const hookServer = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    counts.hooks++;
    try {
      const j = JSON.parse(body);
      if (j.action === 'on_dvr' && typeof j.file === 'string') {
        counts.dvrFiles++;
        rmSync(resolve(work, j.file), { force: true });
      }
    } catch {
      // not JSON: still answer
    }
    res.end('0');
  });
});

const ports = { rtmp: await freePort(), http: await freePort(), api: await freePort(), hooks: await freePort() };
await new Promise((r) => hookServer.listen(ports.hooks, '127.0.0.1', r));
const hook = `http://127.0.0.1:${ports.hooks}/hook`;

const conf = `listen ${ports.rtmp};
max_connections 1000;
daemon off;
srs_log_tank file;
srs_log_file ${join(out, 'srs.log')};
srs_log_level trace;
http_api { enabled on; listen ${ports.api}; }
http_server { enabled on; listen ${ports.http}; dir ${join(work, 'html')}; }
vhost __defaultVhost__ {
  hls { enabled on; hls_path ${join(work, 'html')}; hls_fragment 2; hls_window 10; hls_dispose 10; }
  http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
  dvr { enabled on; dvr_plan session; dvr_path ${join(work, 'dvr')}/[app]/[stream].[timestamp].flv; }
  http_hooks {
    enabled on;
    on_publish ${hook}; on_unpublish ${hook}; on_play ${hook}; on_stop ${hook}; on_dvr ${hook}; on_hls ${hook};
  }
}
`;
writeFileSync(join(work, 'soak.conf'), conf);

// A 10 s clip, looped by the publisher with -c copy: publishing costs almost no CPU.
const clip = join(out, 'clip.flv');
if (!existsSync(clip)) {
  const r = await run('ffmpeg', [
    '-hide_banner', '-v', 'error',
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=10',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=10',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-y', clip,
  ]);
  if (r.code !== 0) throw new Error(`ffmpeg clip: ${r.err}`);
}

const server = spawn(
  process.execPath,
  ['--expose-gc', '--max-semi-space-size=2', '--import', join(here, 'soak-sampler.mjs'), join(opts.dist, 'src', 'cli', 'main.js'), '-c', join(work, 'soak.conf')],
  {
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TSRS_SOAK_SAMPLES: samplesFile, TSRS_SOAK_INTERVAL_MS: String(opts.interval * 1000) },
  },
);
let serverOut = '';
server.stdout.on('data', (b) => (serverOut = (serverOut + b).slice(-20_000)));
server.stderr.on('data', (b) => (serverOut = (serverOut + b).slice(-20_000)));
let serverExit;
server.on('exit', (code, sig) => (serverExit = { code, sig }));

// Whatever ends this script (Ctrl-C, a closed stdout pipe, an exception), tsrs and ffmpeg go with it.
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  if (serverExit === undefined) server.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => process.exit(130));
process.stdout.on('error', () => process.exit(1));

const started = Date.now();
const endAt = started + opts.minutes * 60_000;
const base = `127.0.0.1`;
console.log(`soak: ${opts.minutes} min, ${opts.streams} streams, warm-up ${opts.warmupMinutes} min, samples every ${opts.interval} s → ${out}`);

// Wait for the API.
for (let i = 0; ; i++) {
  const r = await get(`http://${base}:${ports.api}/api/v1/versions`);
  if (r.status === 200) break;
  if (i > 100 || serverExit) throw new Error(`server did not start:\n${serverOut}`);
  await sleep(100);
}

function startFfmpeg(args) {
  const p = spawn('ffmpeg', ['-hide_banner', '-v', 'error', '-nostdin', ...args], { stdio: 'ignore' });
  children.add(p);
  p.on('exit', () => children.delete(p));
  return p;
}
function stopChild(p, signal = 'SIGTERM') {
  return new Promise((res) => {
    if (p.exitCode !== null || p.signalCode !== null) return res();
    p.once('exit', () => res());
    p.kill(signal);
  });
}

async function rtmpViewer(stream, until) {
  while (Date.now() < until - 3000) {
    counts.rtmpPlays++;
    const p = startFfmpeg(['-rw_timeout', '10000000', '-i', `rtmp://${base}:${ports.rtmp}/live/${stream}`, '-c', 'copy', '-f', 'null', '-']);
    await sleep(rand(4000, 12000));
    await stopChild(p);
    await sleep(rand(200, 1500));
  }
}

async function flvViewer(stream, until) {
  while (Date.now() < until - 3000) {
    counts.flvPlays++;
    const r = await get(`http://${base}:${ports.http}/live/${stream}.flv`, { keepMs: rand(3000, 10000), onData: () => {} });
    if (r.status !== 200) clientError(`HTTP-FLV ${stream}: ${r.status}`);
    await sleep(rand(200, 1500));
  }
}

// One HLS viewer session: the master playlist (a new hls_ctx each time, like SRS), then the media playlist
// and its newest segment every 2 s for a while; then a new session.
async function hlsViewer(stream, until) {
  while (Date.now() < until - 3000) {
    let playlist = `http://${base}:${ports.http}/live/${stream}.m3u8`;
    const sessionEnd = Math.min(until, Date.now() + rand(5000, 15000));
    while (Date.now() < sessionEnd) {
      const r = await get(playlist);
      counts.hlsPlaylists++;
      if (r.status !== 200) {
        await sleep(1000);
        continue;
      }
      const text = r.body.toString();
      const uris = text.split('\n').filter((l) => l && !l.startsWith('#'));
      const last = uris.at(-1);
      if (last && text.includes('#EXT-X-STREAM-INF')) {
        playlist = new URL(last, playlist).href;
        continue;
      }
      if (last) {
        const s = await get(new URL(last, playlist).href);
        if (s.status === 200) counts.hlsSegments++;
        else clientError(`HLS segment ${last}: ${s.status}`);
      }
      await sleep(2000);
    }
  }
}

async function streamLoop(index) {
  const stream = `soak${index}`;
  await sleep(index * 3000);
  let cycle = 0;
  while (Date.now() < endAt - 15_000) {
    cycle++;
    counts.publishes++;
    const publisher = startFfmpeg(['-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy', '-f', 'flv', `rtmp://${base}:${ports.rtmp}/live/${stream}`]);
    await sleep(2000);
    const until = Math.min(Date.now() + rand(20_000, 40_000), endAt - 5000);
    await Promise.all([rtmpViewer(stream, until), flvViewer(stream, until), hlsViewer(stream, until)]);
    // Alternate a clean unpublish and an abrupt one (the TCP connection just dies).
    await stopChild(publisher, cycle % 2 ? 'SIGTERM' : 'SIGKILL');
    await sleep(rand(1000, 4000));
  }
}

async function apiPoller() {
  const paths = ['/api/v1/streams/', '/api/v1/clients/', '/api/v1/summaries', '/metrics'];
  let i = 0;
  while (Date.now() < endAt) {
    const path = paths[i++ % paths.length];
    const r = await get(`http://${base}:${ports.api}${path}`);
    counts.apiCalls++;
    if (r.status !== 200) clientError(`API ${path}: ${r.status}`);
    await sleep(1000);
  }
}

let progressTimer = setInterval(() => {
  const min = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`soak: ${min} min ${JSON.stringify(counts)}`);
}, 60_000);

await Promise.all([...Array.from({ length: opts.streams }, (_, i) => streamLoop(i)), apiPoller()]);
clearInterval(progressTimer);
for (const c of [...children]) await stopChild(c, 'SIGKILL');

// Idle check: with every client gone, the fd count must come back near where it was before the churn.
await sleep(Math.max(3 * opts.interval * 1000, 10_000));
const alive = serverExit === undefined;
server.kill('SIGTERM');
await new Promise((r) => (serverExit ? r() : server.once('exit', r)));
hookServer.close();

const samples = readFileSync(samplesFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const report = analyse(samples, { warmupMs: opts.warmupMinutes * 60_000, churnEndMs: endAt - started });
const summary = { minutes: opts.minutes, streams: opts.streams, intervalS: opts.interval, alive, counts, clientErrorSamples, ...report };
writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2));
writeFileSync(join(out, 'soak.svg'), renderSvg(samples, { warmupMs: opts.warmupMinutes * 60_000, title: `tsrs soak: ${opts.minutes} min, ${opts.streams} streams churning (RTMP, HTTP-FLV, HLS, hooks, DVR)` }));
console.log(JSON.stringify(summary, null, 2));
console.log(`soak: samples, summary.json and soak.svg in ${out}`);
if (!alive) console.error(`soak: FAIL: the server died (${JSON.stringify(serverExit)})\n${serverOut}`);
for (const f of report.failures) console.error(`soak: FAIL: ${f}`);
process.exit(alive && report.failures.length === 0 ? 0 : 1);
