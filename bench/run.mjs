#!/usr/bin/env node
// `npm run bench -- [options]`: one command that measures fan-out side by side.
//
// For every server x protocol x viewer count: start the server on a generated config in a temp dir, pinned
// to one core (taskset -c 0); publish a generated ~2 Mbit/s H.264+AAC stream with ffmpeg; run the load
// (bench/load.mjs) and ffmpeg on the other core; sample the server's CPU (utime+stime from /proc) and RSS
// once a second; print one result line per point and write every number as JSON.
//
//   --servers tsrs,nginx,nms   which servers (nginx-rtmp has no HTTP-FLV, node-media-server no HLS;
//                              srs needs SRS_BIN=path/to/objs/srs, built by hand, see docs/performance.md)
//   --protos rtmp,flv          viewer protocols: rtmp, flv, hls (2 s segments, 10 s playlist)
//   --clients 100,500,1000     viewer counts, one run each (the server is restarted for every run)
//   --duration 30 --warmup 5 --ramp 500     window seconds, seconds after the ramp, viewers per second
//   --variant default|lowlat|hlsmem   tsrs config: SRS defaults, min_latency on + mw_latency 0, or HLS from memory
//   --profile DIR              run tsrs under node --cpu-prof, profiles land in DIR
//   --node-flags '...'         extra node flags for tsrs (e.g. --max-semi-space-size=8)
//   --workers N                tsrs only: TSRS_WORKERS=N, the server on cores 0..N-1 and the load unpinned
//   --cpu-quota PCT            hold the server to PCT% of one core per process (a cgroup; N workers get
//                              N x PCT% in all): a capacity test that leaves the rest to the load
//   --cmd 'NAME=COMMAND'       another server started by a command ({rtmp} {http} {dir} are replaced)
//   --cmd-protos rtmp,flv      what that command's server serves
//   --latency                  publish with our own paced publisher instead of ffmpeg and measure
//                              publisher-to-player latency with 4 probe viewers (bench/latency.mjs)
//   --slow N                   slow-viewer mode (issue 12): N HTTP-FLV viewers that never read (4 KB
//                              SO_RCVBUF, bench/stuck-viewers.py) plus one reading RTMP and one reading
//                              HTTP-FLV viewer; reports RSS growth, slow viewers the server disconnected,
//                              and the readers' rate and lag (--duration seconds after the slow ones opened)
//   --json FILE                all results (default bench-results.json in the temp dir)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad, summaryLine, tickLine } from './load.mjs';
import { createInterface } from 'node:readline';
import { PacedPublisher, measureLatency, latencyLine } from './latency.mjs';
import { RtmpPlayer } from './rtmp-player.mjs';
import { ProcSampler, REPO, SERVERS, commandServer, freePort, waitForPort } from './servers.mjs';

const CACHE = join(tmpdir(), 'tsrs-bench-cache');
const STREAM = 'live/bench';

/** The generated stream, encoded once and cached: publishing it with -c copy costs the load core nothing. */
export function streamFile(seconds = 120) {
  const file = join(CACHE, `testsrc2-720p25-2M-g50-aac128k-${seconds}s.flv`);
  if (existsSync(file)) return file;
  mkdirSync(CACHE, { recursive: true });
  console.log(`encoding the test stream (${seconds} s, 1280x720 25 fps, 2 Mbit/s H.264 + AAC 128k) into ${file}`);
  const tmp = `${file}.part.flv`;
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '1M', '-g', '50',
    '-c:a', 'aac', '-b:a', '128k', '-ar', '44100',
    '-f', 'flv', tmp,
  ], { stdio: 'inherit' });
  execFileSync('mv', [tmp, file]);
  return file;
}

/** ffmpeg shares the load core; a higher priority keeps the publisher real-time when the load is heavy. */
function publish(file, rtmpPort) {
  return spawn('nice', ['-n', '-10', 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', file, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/${STREAM}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Resolves when one viewer gets a frame: the publisher is on and the server is serving. */
function waitForStream(port, timeoutMs = 20_000) {
  const [app, stream] = STREAM.split('/');
  return new Promise((resolve, reject) => {
    const until = Date.now() + timeoutMs;
    const attempt = () => {
      const p = new RtmpPlayer(0, { host: '127.0.0.1', port, app, stream }, () => {});
      const check = setInterval(() => {
        if (p.stats.hasFrame) {
          clearInterval(check);
          p.close('stopped');
          resolve();
        } else if (p.stats.closed || Date.now() > until) {
          clearInterval(check);
          p.close('stopped');
          if (Date.now() > until) reject(new Error('the stream never started'));
          else setTimeout(attempt, 300);
        }
      }, 50);
    };
    attempt();
  });
}

async function stopProcess(proc, graceMs = 10_000) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

async function runPoint(name, server, proto, clients, o) {
  const dir = mkdtempSync(join(tmpdir(), `tsrs-bench-${name}-`));
  const ports = { rtmp: await freePort(), http: await freePort() };
  const quotaPct = o.cpuQuota ? o.cpuQuota * (name === 'tsrs' ? o.workers : 1) : undefined;
  const proc = server.start(ports, dir, { cpu: o.serverCpu, variant: o.variant, profileDir: o.profile, nodeFlags: o.nodeFlags, proto, workers: o.workers, quotaPct });
  let log = '';
  proc.stdout.on('data', (b) => (log = (log + b).slice(-4000)));
  proc.stderr.on('data', (b) => (log = (log + b).slice(-4000)));
  let pub = null;
  let paced = null;
  let sampler = null;
  // The config variant applies to tsrs and SRS (same generated config); node flags and workers to tsrs.
  const variant = (name === 'tsrs' || name === 'srs') && o.variant !== 'default' ? o.variant : '';
  const tsrsOnly = name === 'tsrs' ? [...o.nodeFlags, o.workers > 1 ? `workers=${o.workers}` : ''] : [];
  const quota = o.cpuQuota ? `quota=${o.cpuQuota * (name === 'tsrs' ? o.workers : 1)}%` : '';
  const tag = [variant, ...tsrsOnly, quota].filter(Boolean).join(' ');
  const label = tag ? `${name}(${tag})` : name;
  try {
    await waitForPort(ports.rtmp);
    if (proto !== 'rtmp') await waitForPort(ports.http);
    let pubErr = '';
    if (o.latency) {
      // Our own paced publisher: it knows when each frame left, which the latency probes need.
      paced = new PacedPublisher(o.file, ports.rtmp, STREAM);
      await paced.start();
    } else {
      pub = publish(o.file, ports.rtmp);
      pub.stderr.on('data', (b) => (pubErr = (pubErr + b).slice(-2000)));
    }
    await waitForStream(ports.rtmp).catch((err) => {
      throw new Error(`${err.message}; ffmpeg: ${pubErr.trim()}; server: ${log.trim().slice(-1000)}`);
    });
    sampler = new ProcSampler(proc.pid);
    console.log(`== ${label} ${proto} ${clients} viewers (server pid ${proc.pid} on cpu ${o.serverCpu}, load on cpu ${o.loadCpu})`);
    const loadOpts = { proto, port: proto === 'rtmp' ? ports.rtmp : ports.http, stream: STREAM, clients, ramp: o.ramp, warmup: o.warmup, duration: o.duration, perProc: o.perProc };
    let latency = null;
    const load = runLoad(loadOpts, {
      onTick: (t) => {
        const s = sampler.last;
        if (!o.quiet) console.log(tickLine(t, ` | server cpu=${s.cpuPct.toFixed(1)}% rss=${(s.rss / 1048576).toFixed(0)}MB`));
      },
      onWindow: (phase) => {
        sampler.mark(phase);
        if (phase === 'start' && o.latency) {
          latency = measureLatency({ publisher: paced, proto, rtmpPort: ports.rtmp, httpPort: ports.http, stream: STREAM, seconds: Math.min(o.duration - 2, 15) });
        }
      },
    });
    const summary = await load;
    const srv = sampler.between('start', 'end');
    const lat = latency ? await latency : null;
    const result = { server: label, proto, clients, ...srv, ...withoutTicks(summary), latency: lat, serverLog: proc.exitCode !== null ? log : undefined };
    console.log(resultLine(result));
    return { ...result, ticks: summary.ticks };
  } catch (err) {
    console.log(`${label} ${proto} ${clients} viewers: FAILED: ${err.message}`);
    return { server: label, proto, clients, error: err.message };
  } finally {
    sampler?.stop();
    paced?.stop();
    await stopProcess(pub, 3000);
    await stopProcess(proc);
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Slow-viewer mode: `slow` HTTP-FLV viewers that never read, opened after the stream runs, then one
 * reading viewer per protocol for the window. What matters: does the server's memory stay bounded by its
 * queue budget, does it close the hopeless viewers, and do the reading viewers keep full rate.
 */
async function runSlowPoint(name, server, slow, o) {
  const dir = mkdtempSync(join(tmpdir(), `tsrs-bench-slow-${name}-`));
  const ports = { rtmp: await freePort(), http: await freePort() };
  const proc = server.start(ports, dir, { cpu: o.serverCpu, variant: o.variant, nodeFlags: o.nodeFlags, proto: 'flv', workers: 1 });
  let log = '';
  proc.stdout.on('data', (b) => (log = (log + b).slice(-4000)));
  proc.stderr.on('data', (b) => (log = (log + b).slice(-4000)));
  let pub = null;
  let stuck = null;
  let sampler = null;
  try {
    await waitForPort(ports.rtmp);
    await waitForPort(ports.http);
    pub = publish(o.file, ports.rtmp);
    await waitForStream(ports.rtmp);
    sampler = new ProcSampler(proc.pid);
    await new Promise((r) => setTimeout(r, 2000));
    sampler.mark('before');
    console.log(`== ${name} slow viewers: ${slow} non-reading HTTP-FLV (4 KB SO_RCVBUF) + 1 reading RTMP + 1 reading HTTP-FLV, ${o.duration} s (server pid ${proc.pid}, rss before ${(sampler.marks.before.rss / 1048576).toFixed(0)} MB)`);
    const [app, stream] = STREAM.split('/');
    stuck = spawn('python3', [join(REPO, 'bench', 'stuck-viewers.py'), '127.0.0.1', String(ports.http), `/${app}/${stream}.flv`, String(slow), '4096', String(o.ramp)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stuckLast = { opened: 0, closed: 0, failed: 0 };
    createInterface({ input: stuck.stdout }).on('line', (l) => {
      try {
        stuckLast = JSON.parse(l);
      } catch {
        // not a report line
      }
    });
    // Every non-reading socket pins its kernel send buffer (Node cannot set SO_SNDBUF); past tcp_mem's
    // pressure threshold the kernel throttles every TCP socket of the machine, the publisher's too.
    let tcpMemMax = 0;
    const loadOpts = { stream: STREAM, clients: 1, ramp: 10, warmup: slow / o.ramp + o.warmup, duration: o.duration, perProc: 1 };
    const readers = Promise.all([
      runLoad({ ...loadOpts, proto: 'rtmp', port: ports.rtmp }),
      runLoad(
        { ...loadOpts, proto: 'flv', port: ports.http },
        {
          onTick: (t) => {
            const s = sampler.last;
            const tcpMem = tcpMemPages();
            tcpMemMax = Math.max(tcpMemMax, tcpMem);
            if (!o.quiet) console.log(`[${String(t.t).padStart(3)}s ${t.phase}] slow opened=${stuckLast.opened} closed=${stuckLast.closed} failed=${stuckLast.failed} | server cpu=${s.cpuPct.toFixed(1)}% rss=${(s.rss / 1048576).toFixed(0)}MB | kernel TCP mem ${tcpMem} pages`);
          },
          onWindow: (phase) => sampler.mark(phase),
        },
      ),
    ]);
    const [rtmp, flv] = await readers;
    const srv = sampler.between('start', 'end');
    const before = sampler.marks.before.rss / 1048576;
    const reader = (s) => ({ fullRate: s.fullRate === 1, mediaRate: s.mediaRate.min, fps: Number(((s.mediaRate.min ?? 0) * 25).toFixed(1)), lagMedianMs: s.lagMs.median, lagMaxMs: s.lagMs.max, driftMs: s.driftMs.max, alive: s.alive === 1 });
    const result = {
      server: name,
      mode: 'slow',
      slow,
      seconds: o.duration,
      rssBeforeMB: Number(before.toFixed(1)),
      rssEndMB: srv.rssMB,
      rssMaxMB: srv.rssMaxMB,
      rssGrowthMB: Number((srv.rssMaxMB - before).toFixed(1)),
      cpuPct: srv.cpuPct,
      tcpMemMaxPages: tcpMemMax,
      tcpMemPressurePages: Number(readFileSync('/proc/sys/net/ipv4/tcp_mem', 'latin1').split(/\s+/)[1]),
      slowOpened: stuckLast.opened,
      slowDisconnected: stuckLast.closed,
      rtmpReader: reader(rtmp),
      flvReader: reader(flv),
    };
    console.log(slowLine(result));
    return result;
  } catch (err) {
    console.log(`${name} slow ${slow}: FAILED: ${err.message}; server: ${log.trim().slice(-500)}`);
    return { server: name, mode: 'slow', slow, error: err.message };
  } finally {
    sampler?.stop();
    stuck?.kill('SIGKILL');
    await stopProcess(pub, 3000);
    await stopProcess(proc);
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Pages of kernel memory all TCP sockets of the machine hold (/proc/net/sockstat). */
function tcpMemPages() {
  const m = /^TCP:.* mem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'latin1'));
  return m ? Number(m[1]) : 0;
}

function slowLine(r) {
  const rd = (x) => `${x.alive ? '' : 'CLOSED '}${x.fullRate ? 'full rate' : 'NOT full rate'} ${x.fps} fps, lag median ${x.lagMedianMs} max ${x.lagMaxMs} ms, drift ${x.driftMs} ms`;
  return (
    `RESULT ${r.server} slow ${r.slow} (${r.seconds} s): rss ${r.rssBeforeMB} -> max ${r.rssMaxMB} MB (+${r.rssGrowthMB} MB), end ${r.rssEndMB} MB, cpu ${r.cpuPct}% | ` +
    `kernel TCP mem max ${r.tcpMemMaxPages} pages (pressure at ${r.tcpMemPressurePages}) | slow viewers disconnected ${r.slowDisconnected}/${r.slowOpened} | RTMP reader: ${rd(r.rtmpReader)} | HTTP-FLV reader: ${rd(r.flvReader)}`
  );
}

function withoutTicks(s) {
  const { ticks, ...rest } = s;
  return rest;
}

export function resultLine(r) {
  return (
    `RESULT ${r.server} ${r.proto} ${r.clients}: server cpu ${r.cpuPct}% rss ${r.rssMB} MB | ` +
    summaryLine(r).replace(`${r.proto} ${r.clients} viewers: `, '') +
    (r.latency ? ` | ${latencyLine(r.latency)}` : '')
  );
}

async function main() {
  const { values } = parseArgs({
    options: {
      servers: { type: 'string', default: 'tsrs' },
      protos: { type: 'string', default: 'rtmp,flv' },
      clients: { type: 'string', default: '100' },
      duration: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '5' },
      ramp: { type: 'string', default: '500' },
      'per-proc': { type: 'string', default: '1000' },
      variant: { type: 'string', default: 'default' },
      profile: { type: 'string' },
      'node-flags': { type: 'string', default: '' },
      workers: { type: 'string', default: '1' },
      'cpu-quota': { type: 'string' },
      cmd: { type: 'string', multiple: true, default: [] },
      'cmd-protos': { type: 'string', default: 'rtmp' },
      latency: { type: 'boolean', default: false },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      slow: { type: 'string' },
    },
  });
  const ncpu = cpus().length;
  const o = {
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    ramp: Number(values.ramp),
    perProc: Number(values['per-proc']),
    variant: values.variant,
    profile: values.profile,
    nodeFlags: values['node-flags'].split(' ').filter(Boolean),
    latency: values.latency,
    keep: values.keep,
    quiet: values.quiet,
    workers: Math.max(1, Number(values.workers)),
    cpuQuota: values['cpu-quota'] ? Number(values['cpu-quota']) : undefined,
    serverCpu: '0',
    loadCpu: ncpu > 1 ? '1' : '0',
  };
  if (o.workers > 1) {
    // Several server processes spread over the cores; the load then shares them (hold the server to a
    // --cpu-quota so that it cannot take the cores from the load).
    o.serverCpu = Array.from({ length: Math.min(o.workers, ncpu) }, (_, i) => i).join(',');
    o.loadCpu = `0-${ncpu - 1}`;
  }
  if (o.profile) mkdirSync(o.profile, { recursive: true });
  // Everything this process starts from now on (load workers, ffmpeg) inherits the load core.
  execFileSync('taskset', ['-a', '-p', '-c', String(o.loadCpu), String(process.pid)], { stdio: 'ignore' });
  if (!existsSync(join(REPO, 'dist', 'src', 'cli', 'main.js'))) throw new Error('run npm run build first');
  o.file = streamFile();

  const servers = {};
  for (const n of values.servers.split(',').filter(Boolean)) {
    if (!SERVERS[n]) throw new Error(`unknown server ${n} (known: ${Object.keys(SERVERS).join(', ')}; or use --cmd)`);
    SERVERS[n].check?.(); // a missing peer fails now, not after the other servers' runs
    servers[n] = SERVERS[n];
  }
  for (const c of values.cmd) {
    const at = c.indexOf('=');
    if (at <= 0) throw new Error(`--cmd wants NAME=COMMAND, got ${c}`);
    servers[c.slice(0, at)] = commandServer(c.slice(at + 1), values['cmd-protos'].split(','));
  }
  const protos = values.protos.split(',').filter(Boolean);
  const counts = values.clients.split(',').map(Number);
  const machine = {
    nproc: ncpu,
    cpu: (readFileSync('/proc/cpuinfo', 'latin1').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown',
    node: process.version,
    at: new Date().toISOString(),
  };
  console.log(`machine: ${machine.nproc} cpus, ${machine.cpu}, node ${machine.node}`);
  const results = [];
  if (values.slow) {
    for (const [name, server] of Object.entries(servers)) if (server.protos.includes('flv')) results.push(await runSlowPoint(name, server, Number(values.slow), o));
    console.log('\n' + results.map((r) => (r.error ? `${r.server} slow: FAILED ${r.error}` : slowLine(r))).join('\n'));
    if (values.json) writeFileSync(values.json, JSON.stringify({ machine, options: { ...o, file: undefined }, results }, null, 2));
    console.log(JSON.stringify(results));
    return;
  }
  for (const proto of protos) {
    for (const clients of counts) {
      for (const [name, server] of Object.entries(servers)) {
        if (!server.protos.includes(proto)) continue;
        results.push(await runPoint(name, server, proto, clients, o));
      }
    }
  }
  console.log('\n' + results.map((r) => (r.error ? `${r.server} ${r.proto} ${r.clients}: FAILED ${r.error}` : resultLine(r))).join('\n'));
  const out = values.json ?? join(mkdtempSync(join(tmpdir(), 'tsrs-bench-out-')), 'bench-results.json');
  writeFileSync(out, JSON.stringify({ machine, options: { ...o, file: undefined }, results }, null, 2));
  console.log(`JSON: ${out}`);
  console.log(JSON.stringify(results.map((r) => withoutTicks(r))));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
