// One load process (forked by load.mjs): opens its share of the viewers at its share of the ramp rate,
// reports totals every second and the per-viewer results of the measurement window at the end.
import { performance } from 'node:perf_hooks';
import { RtmpPlayer } from './rtmp-player.mjs';
import { FlvPlayer } from './flv-player.mjs';
import { HlsPlayer } from './hls-player.mjs';

const PLAYERS = { rtmp: RtmpPlayer, flv: FlvPlayer, hls: HlsPlayer };

const players = [];
let cfg = null;
let lastCpu = process.cpuUsage();
let lastTick = performance.now();
let inWindow = false;
/** Lag samples (ms, rounded) of every viewer, once a second, during the window. */
const lagSamples = [];
let rampTimer = null;

function open(i) {
  const id = cfg.idBase + i;
  const p = new PLAYERS[cfg.proto](id, cfg.target, null);
  players.push(p);
}

function start(c) {
  cfg = c;
  let opened = 0;
  const stepMs = 20;
  const perStep = Math.max(1, (c.rate * stepMs) / 1000);
  let budget = 0;
  const began = performance.now();
  rampTimer = setInterval(() => {
    budget = ((performance.now() - began) / stepMs + 1) * perStep;
    while (opened < c.count && opened < budget) open(opened++);
    if (opened >= c.count) {
      clearInterval(rampTimer);
      rampTimer = null;
    }
  }, stepMs);
}

function tick() {
  const now = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  lastCpu = process.cpuUsage();
  const wall = now - lastTick;
  lastTick = now;
  let alive = 0;
  let receiving = 0;
  let waiting = 0;
  let failed = 0;
  let bytes = 0;
  for (const p of players) {
    const s = p.stats;
    const d = s.bytes - s.tickBytes;
    s.tickBytes = s.bytes;
    bytes += d;
    if (s.closed) {
      failed++;
      continue;
    }
    alive++;
    if (!s.hasFrame) waiting++;
    else if (d > 0) receiving++;
    if (inWindow && s.hasFrame) lagSamples.push(Math.round(s.lag(now)));
  }
  process.send({ type: 'tick', opened: players.length, alive, receiving, waiting, failed, bytes, wallMs: wall, cpuUs: cpu.user + cpu.system });
}

process.on('message', (m) => {
  if (m.type === 'start') start(m);
  else if (m.type === 'tick') tick();
  else if (m.type === 'window-start') {
    const now = performance.now();
    for (const p of players) p.stats.startWindow(now);
    inWindow = true;
  } else if (m.type === 'window-end') {
    inWindow = false;
    const now = performance.now();
    const clients = players.map((p) => p.stats.endWindow(now));
    const errors = {};
    for (const c of clients) if (c.error) errors[c.error] = (errors[c.error] ?? 0) + 1;
    process.send({ type: 'result', clients, lagSamples, errors });
  } else if (m.type === 'stop') {
    if (rampTimer) clearInterval(rampTimer);
    for (const p of players) p.close('stopped');
    setTimeout(() => process.exit(0), 50);
  }
});
process.on('disconnect', () => process.exit(0));
