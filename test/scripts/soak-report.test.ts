// The soak's verdict (scripts/soak-report.mjs): flat curves pass, growth after the warm-up fails, fds that
// do not come back once every client left fail, and the SVG has one curve per measure.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../e2e/harness.js';

interface Sample {
  t: number;
  rss: number;
  heapUsed: number;
  handles: number;
  fds: number;
}
interface Report {
  failures: string[];
}
interface SoakReport {
  analyse(samples: Sample[], o: { warmupMs: number; churnEndMs?: number }): Report;
  renderSvg(samples: Sample[], o?: { warmupMs?: number; title?: string }): string;
}

const MB = 1024 * 1024;
const load = async (): Promise<SoakReport> => (await import(pathToFileURL(join(repoRoot(), 'scripts', 'soak-report.mjs')).href)) as SoakReport;

/** 10 minutes every 5 s; `grow(t)` adds to the heap (bytes), `fdsAt(t)` gives the fd count. */
function series(grow: (t: number) => number, fdsAt: (t: number) => number = () => 40): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t <= 600_000; t += 5000) {
    const noise = ((t / 5000) % 7) * 0.3 * MB;
    out.push({ t, rss: 80 * MB + noise + grow(t), heapUsed: 12 * MB + noise + grow(t), handles: 15 + ((t / 5000) % 3), fds: fdsAt(t) });
  }
  return out;
}

test('flat curves with noise pass', async () => {
  const { analyse } = await load();
  assert.deepEqual(analyse(series(() => 0), { warmupMs: 60_000, churnEndMs: 570_000 }).failures, []);
});

test('a heap that keeps growing after the warm-up fails', async () => {
  const { analyse } = await load();
  // 10 MB over the judged 9 minutes: a few KB per connection over a few hundred connections.
  const r = analyse(series((t) => (t / 600_000) * 10 * MB), { warmupMs: 60_000, churnEndMs: 570_000 });
  assert.ok(r.failures.some((f) => f.startsWith('heapUsed grew')), r.failures.join('\n'));
});

test('fds that stay open once every client left fail', async () => {
  const { analyse } = await load();
  const r = analyse(series(() => 0, (t) => (t < 20_000 ? 30 : t < 570_000 ? 40 : 52)), { warmupMs: 60_000, churnEndMs: 570_000 });
  assert.ok(r.failures.some((f) => f.startsWith('fds after every client left')), r.failures.join('\n'));
});

test('the SVG draws the four measures', async () => {
  const { renderSvg } = await load();
  const svg = renderSvg(series(() => 0), { warmupMs: 60_000, title: 'a < b' });
  assert.equal((svg.match(/<polyline /g) ?? []).length, 4);
  assert.ok(svg.includes('a &lt; b'));
});
