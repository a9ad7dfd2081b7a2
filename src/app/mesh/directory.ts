// The worker mesh directory, kept by the primary: which worker owns (has the publisher of) each stream,
// and on which private port it serves relay pulls. Pure: it takes the workers' messages and returns
// what to broadcast and what to log; workers.ts does the IPC.
import type { PrimaryToWorker, StreamNames } from './messages.js';

/** What one call asks the caller to do. */
export interface DirectoryOutput {
  /** Messages for every worker, in order. */
  broadcast: PrimaryToWorker[];
  /** Lines for the primary's log (conflicts, ignored messages). */
  log: string[];
}

interface Claim extends StreamNames {
  worker: number;
}

export interface DirectoryEntry extends StreamNames {
  owner: number;
  port: number;
}

export class MeshDirectory {
  /** Relay port of each worker that said ready. */
  private readonly ports = new Map<number, number>();
  /**
   * Workers that report a publisher of each key, first come first: the first is the owner. The others
   * (a race: two publishers of one stream on two workers) serve their own viewers, and the next one takes
   * over when the owner leaves.
   */
  private readonly claims = new Map<string, Claim[]>();

  /** A worker's relay listener is up; returns what it must be told (the current directory). */
  ready(worker: number, port: number): PrimaryToWorker[] {
    this.ports.set(worker, port);
    const out: PrimaryToWorker[] = [];
    for (const key of this.claims.keys()) {
      const e = this.owner(key);
      if (e) out.push(announce(e));
    }
    return out;
  }

  publish(worker: number, names: StreamNames): DirectoryOutput {
    const out: DirectoryOutput = { broadcast: [], log: [] };
    const port = this.ports.get(worker);
    if (port === undefined) {
      out.log.push(`mesh: ignore publish of ${names.key} from worker ${worker}: it never said ready`);
      return out;
    }
    let list = this.claims.get(names.key);
    if (!list) {
      list = [];
      this.claims.set(names.key, list);
    }
    if (list.some((c) => c.worker === worker)) {
      out.log.push(`mesh: worker ${worker} reported ${names.key} twice; ignored`);
      return out;
    }
    list.push({ ...names, worker });
    if (list.length === 1) out.broadcast.push(announce({ ...names, owner: worker, port }));
    else out.log.push(`mesh: conflict: worker ${worker} also publishes ${names.key}, owned by worker ${list[0]!.worker}; the owner keeps it`);
    return out;
  }

  unpublish(worker: number, key: string): DirectoryOutput {
    const out: DirectoryOutput = { broadcast: [], log: [] };
    const list = this.claims.get(key);
    const i = list?.findIndex((c) => c.worker === worker) ?? -1;
    if (!list || i < 0) {
      out.log.push(`mesh: ignore unpublish of ${key} from worker ${worker}: it has no publish of it`);
      return out;
    }
    this.drop(key, list, i, out);
    return out;
  }

  /** A worker died: its streams are gone; another claimant (if any) takes each over. */
  workerGone(worker: number): DirectoryOutput {
    const out: DirectoryOutput = { broadcast: [], log: [] };
    this.ports.delete(worker);
    for (const [key, list] of [...this.claims]) {
      const i = list.findIndex((c) => c.worker === worker);
      if (i >= 0) this.drop(key, list, i, out);
    }
    return out;
  }

  /** The owner of a stream, if any. */
  owner(key: string): DirectoryEntry | undefined {
    const c = this.claims.get(key)?.[0];
    if (!c) return undefined;
    const { worker, ...names } = c;
    return { ...names, owner: worker, port: this.ports.get(worker)! };
  }

  get size(): number {
    return this.claims.size;
  }

  private drop(key: string, list: Claim[], i: number, out: DirectoryOutput): void {
    const [gone] = list.splice(i, 1);
    if (i !== 0) return; // not the owner: nobody else needs to know
    out.broadcast.push({ tsrsMesh: 1, type: 'unpublish', key, owner: gone!.worker });
    const next = list[0];
    if (!next) {
      this.claims.delete(key);
      return;
    }
    out.log.push(`mesh: worker ${next.worker} takes over ${key} from worker ${gone!.worker}`);
    out.broadcast.push(announce({ ...next, owner: next.worker, port: this.ports.get(next.worker)! }));
  }
}

function announce(e: DirectoryEntry): PrimaryToWorker {
  return { tsrsMesh: 1, type: 'publish', key: e.key, vhost: e.vhost, app: e.app, stream: e.stream, port: e.port, owner: e.owner };
}
