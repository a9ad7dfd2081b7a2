/**
 * Jobs run one at a time, in order, by an async runner that never throws (it reports its own errors).
 * File writers use it so a stream's writes land in order without blocking the event loop.
 */
export class SerialQueue<T> {
  /** Waiting jobs, oldest first; callers may inspect or clear it. */
  readonly jobs: T[] = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly run: (job: T) => Promise<void>) {}

  get busy(): boolean {
    return this.running || this.jobs.length > 0;
  }

  /** Start running the queued jobs unless already running. */
  kick(): void {
    if (this.running) return;
    if (this.jobs.length === 0) {
      this.notifyIdle();
      return;
    }
    this.running = true;
    void this.loop();
  }

  /** Resolves when every queued job is done. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async loop(): Promise<void> {
    try {
      for (let job = this.jobs.shift(); job !== undefined; job = this.jobs.shift()) await this.run(job);
    } finally {
      this.running = false;
      if (this.jobs.length > 0) this.kick();
      else this.notifyIdle();
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
