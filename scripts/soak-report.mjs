// Soak analysis and picture (no dependencies): growth between the first and last fifth of the samples
// taken after the warm-up, and an SVG with one panel per measure.
//   node scripts/soak-report.mjs samples.jsonl out.svg [warmupMinutes]   re-renders a finished run

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MB = 1024 * 1024;

// Allowed growth from the first to the last window after warm-up. Generous enough for allocator noise,
// tight enough that a per-connection leak over hundreds of connections shows.
export const LIMITS = {
  rss: { factor: 1.25, slack: 16 * MB },
  heapUsed: { factor: 1.2, slack: 4 * MB },
  handles: { factor: 1, slack: 10 },
  fds: { factor: 1, slack: 10 },
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

export function analyse(samples, { warmupMs, churnEndMs }) {
  const during = samples.filter((s) => s.t >= warmupMs && (churnEndMs === undefined || s.t <= churnEndMs));
  const failures = [];
  const windows = {};
  if (during.length < 6) {
    failures.push(`only ${during.length} samples after the warm-up: run longer or sample more often`);
    return { failures, windows, samples: samples.length };
  }
  const n = Math.max(3, Math.floor(during.length / 5));
  const first = during.slice(0, n);
  const last = during.slice(-n);
  for (const [key, lim] of Object.entries(LIMITS)) {
    const a = median(first.map((s) => s[key]));
    const b = median(last.map((s) => s[key]));
    const max = a * lim.factor + lim.slack;
    windows[key] = { first: a, last: b, max: Math.round(max) };
    if (b > max) failures.push(`${key} grew from ${fmt(key, a)} to ${fmt(key, b)} (allowed ${fmt(key, max)})`);
  }
  // After the churn every client is gone: fds must fall back to about the count before the first client.
  const idle = churnEndMs === undefined ? [] : samples.filter((s) => s.t > churnEndMs + 5000);
  const before = samples[0];
  if (idle.length && before) {
    const fdsIdle = idle.at(-1).fds;
    windows.idleFds = { before: before.fds, after: fdsIdle };
    if (fdsIdle > before.fds + 6) failures.push(`fds after every client left: ${fdsIdle}, before the churn: ${before.fds}`);
  }
  const peak = Object.fromEntries(Object.keys(LIMITS).map((k) => [k, Math.max(...samples.map((s) => s[k]))]));
  return { failures, windows, peak, samples: samples.length };
}

function fmt(key, v) {
  return key === 'rss' || key === 'heapUsed' ? `${(v / MB).toFixed(1)} MB` : String(Math.round(v));
}

const PANELS = [
  { key: 'rss', label: 'RSS (MB)', scale: 1 / MB, color: '#c0392b' },
  { key: 'heapUsed', label: 'heap used after GC (MB)', scale: 1 / MB, color: '#2471a3' },
  { key: 'fds', label: 'open fds', scale: 1, color: '#229954' },
  { key: 'handles', label: 'active handles', scale: 1, color: '#7d3c98' },
];

export function renderSvg(samples, { warmupMs = 0, title = 'tsrs soak' } = {}) {
  const W = 900;
  const panelH = 150;
  const left = 60;
  const right = 20;
  const top = 40;
  const gap = 40;
  const H = top + PANELS.length * (panelH + gap) + 10;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const x = (t) => left + ((W - left - right) * t) / tMax;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  PANELS.forEach((p, i) => {
    const y0 = top + i * (panelH + gap) + 15;
    const vals = samples.map((s) => s[p.key] * p.scale);
    const vMax = niceCeil(Math.max(1, ...vals));
    const y = (v) => y0 + panelH - (panelH * v) / vMax;
    parts.push(`<text x="${left}" y="${y0 - 5}" font-weight="bold">${p.label}</text>`);
    parts.push(`<rect x="${left}" y="${y0}" width="${W - left - right}" height="${panelH}" fill="none" stroke="#999"/>`);
    if (warmupMs > 0) parts.push(`<rect x="${left}" y="${y0}" width="${x(Math.min(warmupMs, tMax)) - left}" height="${panelH}" fill="#eee"/>`);
    for (const f of [0, 0.5, 1]) {
      parts.push(`<text x="${left - 5}" y="${y(vMax * f) + 4}" text-anchor="end">${round(vMax * f)}</text>`);
      parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(vMax * f)}" y2="${y(vMax * f)}" stroke="#ddd"/>`);
    }
    const pts = samples.map((s) => `${x(s.t).toFixed(1)},${y(s[p.key] * p.scale).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${p.color}" stroke-width="1.5" points="${pts}"/>`);
  });
  const yAxis = H - 12;
  const minutes = tMax / 60_000;
  const step = minutes > 30 ? 10 : minutes > 10 ? 2 : 1;
  for (let m = 0; m <= minutes; m += step) parts.push(`<text x="${x(m * 60_000)}" y="${yAxis}" text-anchor="middle">${m} min</text>`);
  parts.push(`<text x="${W - right}" y="${top - 2}" text-anchor="end" fill="#777" font-size="11">grey: warm-up (not judged)</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function round(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function escapeXml(s) {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, svgOut, warm] = process.argv.slice(2);
  const samples = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  writeFileSync(svgOut, renderSvg(samples, { warmupMs: Number(warm ?? 0) * 60_000 }));
}
