// The reconnect timer every upstream client keeps (edge pull, forward, worker-mesh relay): at most one
// pending retry, cancelled on stop, and never the reason the process stays alive.

export class RetryTimer {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly run: () => void) {}

  get pending(): boolean {
    return this.timer !== null;
  }

  /** Run after `ms`, unless a retry is already pending (then that one stands). */
  schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, ms);
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
