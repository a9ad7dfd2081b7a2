// Multi-process mode (TSRS_WORKERS=N): SRS gets several processes on one port with SO_REUSEPORT (#775);
// Node 20 has no reusePort, so the primary process forks N workers with node:cluster, which share every
// listening port (the primary hands out connections round-robin). Each worker is a whole tsrs with its
// own streams and stats — like SRS's reuseport processes, this suits edges (every worker pulls from the
// origin on demand) and HTTP/HLS delivery, not an origin that needs publisher and players in one process.
import cluster, { type Worker } from 'node:cluster';

export interface PrimaryOptions {
  workers: number;
  log(line: string): void;
  /** Called once when every worker has exited after a stop signal. */
  onAllExited(): void;
}

/** Restart a worker that died on its own, waiting longer when it keeps dying. */
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;

export function runPrimary(o: PrimaryOptions): void {
  let stopping = false;
  let restartDelay = RESTART_MIN_MS;
  const spawn = (): Worker => {
    const w = cluster.fork();
    const bornAt = Date.now();
    w.on('exit', (code, signal) => {
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) o.onAllExited();
        return;
      }
      // A worker that ran a while before dying gets restarted at once; a crash loop backs off.
      restartDelay = Date.now() - bornAt > 60_000 ? RESTART_MIN_MS : Math.min(restartDelay * 2, RESTART_MAX_MS);
      o.log(`worker pid=${w.process.pid} exited (code=${code}, signal=${signal}); restarting in ${restartDelay}ms`);
      setTimeout(() => {
        if (!stopping) spawn();
      }, restartDelay);
    });
    return w;
  };
  for (let i = 0; i < o.workers; i++) spawn();
  o.log(`primary pid=${process.pid} started ${o.workers} workers`);

  const forward = (signal: NodeJS.Signals, stop: boolean): void => {
    if (stop) stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    if (stop && Object.keys(cluster.workers ?? {}).length === 0) o.onAllExited();
  };
  process.on('SIGTERM', () => forward('SIGTERM', true));
  process.on('SIGINT', () => forward('SIGTERM', true));
  process.on('SIGQUIT', () => forward('SIGQUIT', true));
  process.on('SIGHUP', () => forward('SIGHUP', false));
  process.on('SIGUSR1', () => forward('SIGUSR1', false));
}

/** Workers wanted: TSRS_WORKERS (1 = single process, the default). */
export function workersWanted(env: NodeJS.ProcessEnv): number {
  const n = Number(env.TSRS_WORKERS ?? '1');
  return Number.isInteger(n) && n > 1 ? Math.min(n, 64) : 1;
}

export const isWorker = (): boolean => cluster.isWorker;
