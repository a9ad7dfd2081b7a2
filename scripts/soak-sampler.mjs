// Preloaded into the tsrs process by scripts/soak.mjs (`node --import`): appends one JSON line of memory,
// handle and fd counts to $TSRS_SOAK_SAMPLES every $TSRS_SOAK_INTERVAL_MS. With --expose-gc it runs a full
// GC before each sample, so heapUsed is the live heap, not whatever garbage the last minor GC left.
import { appendFileSync, readdirSync } from 'node:fs';

const file = process.env.TSRS_SOAK_SAMPLES;
const intervalMs = Number(process.env.TSRS_SOAK_INTERVAL_MS ?? 5000);

if (file) {
  const start = Date.now();
  const sample = () => {
    if (typeof globalThis.gc === 'function') globalThis.gc();
    const m = process.memoryUsage();
    let fds = -1;
    try {
      fds = readdirSync('/proc/self/fd').length;
    } catch {
      // not Linux: fds stay unknown
    }
    const line = {
      t: Date.now() - start,
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      handles: process.getActiveResourcesInfo().length,
      fds,
    };
    appendFileSync(file, JSON.stringify(line) + '\n');
  };
  setInterval(sample, intervalMs).unref();
  setTimeout(sample, 500).unref();
}
