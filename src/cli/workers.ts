// Multi-process mode (TSRS_WORKERS=N): SRS gets several processes on one port with SO_REUSEPORT (#775);
// Node 20 has no reusePort, so the primary process forks N workers with node:cluster, which share every
// listening port (the primary hands out connections round-robin, so each new TCP connection may land on
// any worker).
//
// Worker mesh (on by default; TSRS_MESH=off turns it off): the workers behave as one server. Each worker
// also listens RTMP on 127.0.0.1, on a port of its own (exclusive: not shared by node:cluster), for relay
// pulls by the other workers. The primary makes a random token at start-up and hands it to the workers in
// their env (TSRS_MESH_TOKEN); a relay play must carry it (`?tsrs_mesh=<token>`) or it is refused. The
// primary keeps the directory (app/mesh/directory.ts): a worker says `ready {port}` and reports its real
// publishes and unpublishes; the primary broadcasts `publish {key, port, owner}` / `unpublish {key, owner}`
// to every worker (a worker that becomes ready gets the current directory), and drops a dead worker's
// streams. When a stream gets its first viewer in a worker that lacks its publisher, that worker pulls it
// from the owner over the relay port and stops when its last viewer leaves or the owner unpublishes.
// HLS, DASH, DVR, forward, transcode/exec and the on_publish/on_unpublish hooks run only in the owner
// worker; each worker answers /api/v1 for itself (see docs/cluster.md).
//
// Without the mesh each worker is a whole tsrs with its own streams — like SRS's reuseport processes, that
// suits edges (every worker pulls from the origin on demand) and HTTP/HLS delivery only.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { MeshDirectory, isMeshMessage, parseWorkerMessage, type PrimaryToWorker } from '../app/mesh/index.js';

export interface PrimaryOptions {
  workers: number;
  /** Run the worker mesh (workers serve as one server); see the header. */
  mesh: boolean;
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
  const mesh = o.mesh ? new PrimaryMesh(o.log) : null;
  const spawn = (): Worker => {
    const w = cluster.fork(mesh ? { [MESH_TOKEN_ENV]: mesh.token } : undefined);
    const bornAt = Date.now();
    if (mesh) w.on('message', (msg: unknown) => mesh.onMessage(w, msg));
    w.on('exit', (code, signal) => {
      mesh?.onExit(w);
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
  o.log(`primary pid=${process.pid} started ${o.workers} workers${mesh ? ' (worker mesh on)' : ''}`);

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

/** The env var the primary passes the mesh token to its workers in. */
export const MESH_TOKEN_ENV = 'TSRS_MESH_TOKEN';

/** The primary's side of the worker mesh: the directory, fed by the workers' IPC, broadcast to all. */
class PrimaryMesh {
  readonly token = randomBytes(24).toString('hex');
  private readonly directory = new MeshDirectory();

  constructor(private readonly log: (line: string) => void) {}

  onMessage(w: Worker, raw: unknown): void {
    if (!isMeshMessage(raw)) return; // other IPC
    const m = parseWorkerMessage(raw);
    if (typeof m === 'string') {
      this.log(`mesh: ignore a message from worker ${w.id}: ${m}`);
      return;
    }
    if (m.type === 'ready') {
      for (const msg of this.directory.ready(w.id, m.port)) this.sendTo(w, msg);
      this.log(`mesh: worker ${w.id} pid=${w.process.pid} relays on 127.0.0.1:${m.port}`);
      return;
    }
    const out = m.type === 'publish' ? this.directory.publish(w.id, m) : this.directory.unpublish(w.id, m.key);
    this.apply(out);
  }

  onExit(w: Worker): void {
    this.apply(this.directory.workerGone(w.id));
  }

  private apply(out: { broadcast: PrimaryToWorker[]; log: string[] }): void {
    for (const line of out.log) this.log(line);
    for (const msg of out.broadcast) for (const w of Object.values(cluster.workers ?? {})) if (w) this.sendTo(w, msg);
  }

  private sendTo(w: Worker, msg: PrimaryToWorker): void {
    if (!w.isConnected()) return;
    try {
      w.send(msg, (err: Error | null) => {
        if (err) this.log(`mesh: cannot tell worker ${w.id} (${msg.type} ${msg.key}): ${err.message}`);
      });
    } catch (err) {
      this.log(`mesh: cannot tell worker ${w.id} (${msg.type} ${msg.key}): ${(err as Error).message}`);
    }
  }
}

/** The worker mesh is on with several workers unless TSRS_MESH says off. */
export function meshWanted(env: NodeJS.ProcessEnv): boolean {
  return !/^(0|off|false|no)$/i.test(env.TSRS_MESH ?? '');
}

/** In a worker: its mesh token and id, when the primary runs the mesh. */
export function workerMesh(env: NodeJS.ProcessEnv): { token: string; workerId: number } | null {
  const token = env[MESH_TOKEN_ENV];
  if (!cluster.isWorker || !cluster.worker || !token) return null;
  return { token, workerId: cluster.worker.id };
}

/** Workers wanted: TSRS_WORKERS (1 = single process, the default). */
export function workersWanted(env: NodeJS.ProcessEnv): number {
  const n = Number(env.TSRS_WORKERS ?? '1');
  return Number.isInteger(n) && n > 1 ? Math.min(n, 64) : 1;
}

export const isWorker = (): boolean => cluster.isWorker;
