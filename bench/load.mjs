#!/usr/bin/env node
// The tsrs load tool: N RTMP, HTTP-FLV or HLS viewers of one stream, ramped, measured over a window.
//
//   node bench/load.mjs --proto rtmp --port 1935 --stream live/bench --clients 1000 [--ramp 500]
//                       [--warmup 5] [--duration 30] [--per-proc 1000] [--json out.json]
//   node bench/load.mjs --proto flv --port 8080 --stream live/bench ...   (GET /live/bench.flv)
//   node bench/load.mjs --proto hls --port 8080 --stream live/bench ...   (polls /live/bench.m3u8)
//
// Viewers live in child processes (one per --per-proc viewers) so one event loop never holds thousands of
// sockets alone and the tool's own CPU is measured (process.cpuUsage of every child). It prints one line
// a second and a JSON summary. Plain .mjs on purpose: it runs without a build step of its own and
// imports only the compiled protocol layer (dist/src/protocol/rtmp), so `npm run build` is the one step.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const WORKER = fileURLToPath(new URL('./load-worker.mjs', import.meta.url));

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const round = (v, d = 0) => (v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(d)));

/**
 * A viewer gets the full stream when its lag grew by at most this much over the window (merged writes
 * make media time arrive in steps, so the rate over a short window is noisy; a starved viewer's lag grows
 * by seconds).
 */
export const fullRateDriftMs = (windowS, proto) => Math.max(1000, windowS * 50) + (proto === 'hls' ? HLS_SEGMENT_SLACK_MS : 0);
/** HLS media time moves a whole segment (2 s in the bench) at a time: one segment of slack. */
const HLS_SEGMENT_SLACK_MS = 2500;

/**
 * Runs the load and resolves with the summary. `hooks.onTick(t)` gets the per-second totals,
 * `hooks.onWindow(phase)` is called at 'start' and 'end' of the measurement window.
 */
export async function runLoad(opts, hooks = {}) {
  const { proto, host = '127.0.0.1', port, stream, clients, ramp = 500, warmup = 5, duration = 30, perProc = 1000 } = opts;
  const [app, name] = stream.split('/');
  const target = proto === 'rtmp' ? { host, port, app, stream: name } : { host, port, path: `/${app}/${name}.${proto === 'hls' ? 'm3u8' : 'flv'}` };
  const nproc = Math.max(1, Math.ceil(clients / perProc));
  const workers = [];
  for (let i = 0; i < nproc; i++) {
    const count = Math.floor(clients / nproc) + (i < clients % nproc ? 1 : 0);
    const w = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    w.count = count;
    w.last = null;
    w.result = null;
    workers.push(w);
    w.on('message', (m) => {
      if (m.type === 'tick') w.last = m;
      else if (m.type === 'result') w.result = m;
    });
    w.send({ type: 'start', proto, target, count, rate: ramp / nproc, idBase: i * perProc });
  }
  const rampS = clients / ramp;
  const windowStart = rampS + warmup;
  const windowEnd = windowStart + duration;
  const ticks = [];
  const began = Date.now();
  let phase = 'ramp';
  for (let sec = 1; ; sec++) {
    await sleepUntil(began + sec * 1000);
    for (const w of workers) w.last = null;
    for (const w of workers) w.send({ type: 'tick' });
    await waitFor(() => workers.every((w) => w.last || w.exitCode !== null), 900);
    const t = { t: sec, phase, opened: 0, alive: 0, receiving: 0, waiting: 0, failed: 0, mbps: 0, loadCpu: 0 };
    for (const w of workers) {
      const m = w.last;
      if (!m) continue;
      t.opened += m.opened;
      t.alive += m.alive;
      t.receiving += m.receiving;
      t.waiting += m.waiting;
      t.failed += m.failed;
      t.mbps += (m.bytes * 8) / (m.wallMs * 1000);
      t.loadCpu += (m.cpuUs / 1000 / m.wallMs) * 100;
    }
    t.mbps = round(t.mbps, 1);
    t.loadCpu = round(t.loadCpu, 1);
    ticks.push(t);
    hooks.onTick?.(t);
    if (phase === 'ramp' && sec >= windowStart) {
      phase = 'window';
      for (const w of workers) w.send({ type: 'window-start' });
      hooks.onWindow?.('start');
    } else if (phase === 'window' && sec >= windowEnd) {
      for (const w of workers) w.send({ type: 'window-end' });
      hooks.onWindow?.('end');
      break;
    }
  }
  await waitFor(() => workers.every((w) => w.result || w.exitCode !== null), 10_000);
  for (const w of workers) w.send({ type: 'stop' });
  const all = [];
  const lags = [];
  const errors = {};
  for (const w of workers) {
    if (!w.result) continue;
    all.push(...w.result.clients);
    for (const v of w.result.lagSamples) lags.push(v);
    for (const [k, v] of Object.entries(w.result.errors)) errors[k] = (errors[k] ?? 0) + v;
  }
  await Promise.all(workers.map((w) => (w.exitCode !== null ? null : new Promise((r) => w.once('exit', r)))));
  const windowTicks = ticks.filter((t) => t.phase === 'window');
  return summarize(opts, all, lags, errors, ticks, windowTicks);
}

function summarize(opts, all, lags, errors, ticks, windowTicks) {
  const measured = all.filter((c) => c.hadFrameAtStart);
  const alive = measured.filter((c) => c.alive);
  const full = alive.filter((c) => c.drift <= fullRateDriftMs(opts.duration, opts.proto));
  const kbps = alive.map((c) => c.kbps).sort((a, b) => a - b);
  const drift = alive.map((c) => c.drift).sort((a, b) => a - b);
  const rates = alive.map((c) => c.mediaRate).sort((a, b) => a - b);
  const ff = all.filter((c) => c.firstFrameMs >= 0).map((c) => c.firstFrameMs).sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const loadCpu = windowTicks.map((t) => t.loadCpu);
  return {
    proto: opts.proto,
    clients: opts.clients,
    windowS: opts.duration,
    alive: all.filter((c) => c.alive).length,
    receiving: windowTicks.length ? windowTicks[windowTicks.length - 1].receiving : 0,
    measured: measured.length,
    fullRate: full.length,
    neverGotFrame: all.filter((c) => c.firstFrameMs < 0).length,
    kbps: { min: round(kbps[0]), median: round(percentile(kbps, 50)), max: round(kbps[kbps.length - 1]) },
    mediaRate: { min: round(rates[0], 3), median: round(percentile(rates, 50), 3) },
    lagMs: { median: round(percentile(lags, 50)), p95: round(percentile(lags, 95)), max: round(lags[lags.length - 1]) },
    driftMs: { median: round(percentile(drift, 50)), p95: round(percentile(drift, 95)), max: round(drift[drift.length - 1]) },
    firstFrameMs: { median: round(percentile(ff, 50)), p95: round(percentile(ff, 95)), max: round(ff[ff.length - 1]) },
    totalMbps: round(windowTicks.reduce((s, t) => s + t.mbps, 0) / Math.max(1, windowTicks.length), 1),
    loadCpuPct: { mean: round(loadCpu.reduce((s, v) => s + v, 0) / Math.max(1, loadCpu.length), 1), max: round(Math.max(0, ...loadCpu), 1) },
    errors,
    ticks,
  };
}

function sleepUntil(at) {
  return new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
}

async function waitFor(cond, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
}

export function tickLine(t, extra = '') {
  return `[${String(t.t).padStart(3)}s ${t.phase.padEnd(6)}] opened=${t.opened} alive=${t.alive} receiving=${t.receiving} waiting=${t.waiting} failed=${t.failed} ${t.mbps} Mbit/s load-cpu=${t.loadCpu}%${extra}`;
}

export function summaryLine(s) {
  return (
    `${s.proto} ${s.clients} viewers: full-rate ${s.fullRate}/${s.clients} (alive ${s.alive}, never got a frame ${s.neverGotFrame}), ` +
    `kbit/s min ${s.kbps.min} median ${s.kbps.median}, lag median ${s.lagMs.median} p95 ${s.lagMs.p95} max ${s.lagMs.max} ms, ` +
    `drift median ${s.driftMs.median} p95 ${s.driftMs.p95} max ${s.driftMs.max} ms, first frame median ${s.firstFrameMs.median} p95 ${s.firstFrameMs.p95} ms, ` +
    `load cpu ${s.loadCpuPct.mean}% (max ${s.loadCpuPct.max}%)`
  );
}

async function main() {
  const { values } = parseArgs({
    options: {
      proto: { type: 'string', default: 'rtmp' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      stream: { type: 'string', default: 'live/bench' },
      clients: { type: 'string', default: '100' },
      ramp: { type: 'string', default: '500' },
      warmup: { type: 'string', default: '5' },
      duration: { type: 'string', default: '30' },
      'per-proc': { type: 'string', default: '1000' },
      json: { type: 'string' },
    },
  });
  if (!['rtmp', 'flv', 'hls'].includes(values.proto)) throw new Error('--proto is rtmp, flv or hls');
  const opts = {
    proto: values.proto,
    host: values.host,
    port: Number(values.port ?? (values.proto === 'rtmp' ? 1935 : 8080)),
    stream: values.stream,
    clients: Number(values.clients),
    ramp: Number(values.ramp),
    warmup: Number(values.warmup),
    duration: Number(values.duration),
    perProc: Number(values['per-proc']),
  };
  const s = await runLoad(opts, { onTick: (t) => console.log(tickLine(t)) });
  console.log(summaryLine(s));
  const { ticks, ...rest } = s;
  console.log(JSON.stringify(rest));
  if (values.json) writeFileSync(values.json, JSON.stringify(s, null, 2));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
