#!/usr/bin/env node
// Markdown tables from `npm run bench -- --json FILE` results, for docs/performance.md.
//   node bench/table.mjs a.json [b.json ...]
import { readFileSync } from 'node:fs';

const rows = [];
for (const f of process.argv.slice(2)) rows.push(...JSON.parse(readFileSync(f, 'utf8')).results);

const PROTO = { rtmp: 'RTMP', flv: 'HTTP-FLV', hls: 'HLS' };
const fmt = (v, unit = '') => (v === null || v === undefined ? '–' : `${v}${unit}`);
// Within a point: tsrs first, then SRS (the reference), then the other peers in the order they ran.
const SERVER_RANK = ['tsrs', 'srs', 'nginx', 'nms'];
const rank = (server) => {
  const i = SERVER_RANK.indexOf(server.replace(/\(.*$/, ''));
  return i < 0 ? SERVER_RANK.length : i;
};
const order = (r) => `${Object.keys(PROTO).indexOf(r.proto)}-${String(r.clients).padStart(5, '0')}-${rank(r.server)}-${r.server}`;
rows.sort((a, b) => (order(a) < order(b) ? -1 : 1));

const load = rows.filter((r) => !r.latency);
if (load.length) {
  console.log('| protocol | viewers | server | CPU % of one core | RSS MB | full rate | kbit/s min / median | lag median / p95 ms | drift median / p95 ms | first frame median / p95 ms | load tool CPU % |');
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of load) {
    if (r.error) {
      console.log(`| ${r.proto} | ${r.clients} | ${r.server} | failed: ${r.error.slice(0, 80)} | | | | | | | |`);
      continue;
    }
    console.log(
      `| ${PROTO[r.proto]} | ${r.clients} | ${r.server} | ${fmt(r.cpuPct)} | ${fmt(r.rssMB)} | ${r.fullRate}/${r.clients} | ${fmt(r.kbps.min)} / ${fmt(r.kbps.median)} | ${fmt(r.lagMs.median)} / ${fmt(r.lagMs.p95)} | ${fmt(r.driftMs.median)} / ${fmt(r.driftMs.p95)} | ${fmt(r.firstFrameMs.median)} / ${fmt(r.firstFrameMs.p95)} | ${fmt(r.loadCpuPct.mean)} (max ${fmt(r.loadCpuPct.max)}) |`,
    );
  }
}
const lat = rows.filter((r) => r.latency);
if (lat.length) {
  console.log('\n| protocol | viewers | server | latency median / p95 / max ms | frames | CPU % | full rate | first frame median ms |');
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of lat) {
    const l = r.latency;
    console.log(`| ${PROTO[r.proto]} | ${r.clients} | ${r.server} | ${fmt(l.medianMs)} / ${fmt(l.p95Ms)} / ${fmt(l.maxMs)} | ${l.frames} | ${fmt(r.cpuPct)} | ${r.fullRate}/${r.clients} | ${fmt(r.firstFrameMs.median)} |`);
  }
}
