#!/usr/bin/env node
// Summarise a V8 .cpuprofile (node --cpu-prof): self time per function and inclusive time of our own
// functions, as percentages of the sampled time.  node bench/profile-top.mjs FILE.cpuprofile [N]
import { readFileSync } from 'node:fs';

const [file, nArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-top.mjs FILE.cpuprofile [N]');
  process.exit(1);
}
const N = Number(nArg ?? 30);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const name = (n) => {
  const cf = n.callFrame;
  const url = cf.url.replace(/^file:\/\/.*?\/dist\//, '').replace(/^node:/, 'node:');
  return `${cf.functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}` : ''}`.trim();
};

const bySelf = new Map();
const byIncl = new Map();
for (const [id, t] of self) {
  const n = nodes.get(id);
  const k = name(n);
  bySelf.set(k, (bySelf.get(k) ?? 0) + t);
  // Inclusive: charge every distinct function on the stack once.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const kk = name(nodes.get(cur));
    if (seen.has(kk)) continue;
    seen.add(kk);
    byIncl.set(kk, (byIncl.get(kk) ?? 0) + t);
  }
}
const pct = (t) => ((t / total) * 100).toFixed(1).padStart(5) + '%';
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
console.log(`\nself time, top ${N}:`);
for (const [k, t] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, N)) console.log(`${pct(t)}  ${k}`);
console.log(`\ninclusive time, top ${N} (ours and node internals):`);
for (const [k, t] of [...byIncl].sort((a, b) => b[1] - a[1]).slice(0, N)) console.log(`${pct(t)}  ${k}`);
