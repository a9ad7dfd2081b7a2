// Keeps external processes (ffmpeg, exec commands) running: each in its own process group, with its
// output in a log file, restarted with a growing delay when it exits, and stopped group-wide (SIGTERM,
// then SIGKILL after a grace period). SRS forks the process and polls it every 3 s (srs_app_process.cpp);
// tsrs reacts to the exit at once and backs off instead, so a process that cannot start does not spin.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, TsrsError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ProcessSpec } from './plans.js';

export interface SupervisorOptions {
  /** First restart delay, ms; doubles after each short run. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A run this long (or a clean exit after `cleanExitMinMs`) resets the delay. */
  healthyRunMs: number;
  /** Exit code 0 after at least this long counts as healthy (a file ingest reaching its end). */
  cleanExitMinMs: number;
  /** Between SIGTERM and SIGKILL on stop (SRS: SRS_PROCESS_QUIT_TIMEOUT_MS, 1 s). */
  stopGraceMs: number;
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
  initialBackoffMs: 1000,
  maxBackoffMs: 30_000,
  healthyRunMs: 10_000,
  cleanExitMinMs: 1000,
  stopGraceMs: 1000,
};

export type ProcessState = 'running' | 'waiting' | 'stopping' | 'stopped';

export interface ExitInfo {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  runMs: number;
  /** Set when the process could not be started at all (ENOENT, EACCES...). */
  spawnError?: Error;
  /** Delay before the next start, or null when it was stopped. */
  restartInMs: number | null;
}

/** A snapshot for the API and tests. */
export interface ProcessInfo {
  label: string;
  pid: number | undefined;
  state: ProcessState;
  /** Starts so far minus one. */
  restarts: number;
}

/** Send `signal` to the whole process group led by `pid`; false when there is none left. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

function openLog(path: string, log: Logger, label: string): number | 'ignore' {
  try {
    if (path !== '/dev/null') mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'a', 0o664);
  } catch (err) {
    log.error(`${label}: cannot open its log file ${path}, output discarded: ${errorMessage(err)}`);
    return 'ignore';
  }
}

/** One supervised process: started at once, restarted until stop(). */
export class SupervisedProcess {
  state: ProcessState = 'running';
  pid: number | undefined;
  /** Starts so far minus one. */
  restarts = -1;
  private child: ChildProcess | null = null;
  private startedAt = 0;
  private nextDelayMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private stopped: Promise<void> | null = null;
  private resolveStopped: (() => void) | null = null;
  private readonly spawnListeners = new Set<(pid: number, child: ChildProcess) => void>();
  private readonly exitListeners = new Set<(info: ExitInfo) => void>();

  constructor(
    readonly spec: ProcessSpec,
    private readonly log: Logger,
    private readonly options: SupervisorOptions,
    private readonly now: () => number,
    private readonly onGone: (p: SupervisedProcess) => void,
  ) {
    this.nextDelayMs = options.initialBackoffMs;
    this.launch();
  }

  get info(): ProcessInfo {
    return { label: this.spec.label, pid: this.pid, state: this.state, restarts: Math.max(0, this.restarts) };
  }

  /** The running child (stdin/stdout are pipes when `spec.pipes`), null between runs. */
  get childProcess(): ChildProcess | null {
    return this.child;
  }

  /** Called with the pid (and the child, whose stdin/stdout are pipes when `spec.pipes`) after every successful start. Returns the unsubscribe function. */
  onSpawn(fn: (pid: number, child: ChildProcess) => void): () => void {
    this.spawnListeners.add(fn);
    return () => this.spawnListeners.delete(fn);
  }

  /** Called after every exit (or failed start). Returns the unsubscribe function. */
  onExit(fn: (info: ExitInfo) => void): () => void {
    this.exitListeners.add(fn);
    return () => this.exitListeners.delete(fn);
  }

  private launch(): void {
    this.restartTimer = null;
    this.restarts++;
    this.state = 'running';
    this.startedAt = this.now();
    const { spec } = this;
    const cli = [spec.bin, ...spec.args].join(' ');
    const fds: number[] = [];
    const stdio: StdioOptions = ['ignore', 'inherit', 'inherit'];
    if (spec.pipes === true) {
      stdio[0] = 'pipe';
      stdio[1] = 'pipe';
    } else if (spec.stdout !== '') {
      const fd = openLog(spec.stdout, this.log, spec.label);
      stdio[1] = fd;
      if (typeof fd === 'number') fds.push(fd);
    }
    if (spec.pipes !== true && (spec.stderr === '&1' || (spec.stderr !== '' && spec.stderr === spec.stdout))) {
      stdio[2] = stdio[1];
    } else if (spec.stderr !== '') {
      const fd = openLog(spec.stderr, this.log, spec.label);
      stdio[2] = fd;
      if (typeof fd === 'number') fds.push(fd);
    }
    // A header in the log file, like SRS's child prints before exec, to tell the runs apart.
    if (typeof stdio[1] === 'number') {
      try {
        writeSync(stdio[1], `\n${new Date(this.startedAt).toISOString()} tsrs ppid=${process.pid} starts ${spec.label}\ncli: ${cli}\n`);
      } catch {
        // A full disk must not stop the process from starting.
      }
    }
    let child: ChildProcess;
    try {
      // detached: a new session and process group, so stop() reaches every process the command starts,
      // and a Ctrl-C on the server's terminal is not delivered to it.
      child = spawn(spec.bin, spec.args, { detached: true, stdio });
    } catch (err) {
      for (const fd of fds) closeSync(fd);
      queueMicrotask(() => this.exited(undefined, null, null, err instanceof Error ? err : new TsrsError(ErrorCode.SystemAssert, String(err))));
      return;
    }
    for (const fd of fds) closeSync(fd);
    this.child = child;
    this.pid = child.pid;
    let done = false;
    child.once('error', (err) => {
      // Without a pid nothing started (no such binary, not executable); 'exit' will not follow.
      if (child.pid === undefined && !done) {
        done = true;
        this.exited(undefined, null, null, err);
      } else {
        this.log.warn(`${spec.label}: process error: ${err.message}`);
      }
    });
    child.once('exit', (code, signal) => {
      if (done) return;
      done = true;
      this.exited(child.pid, code, signal);
    });
    if (child.pid !== undefined) {
      this.log.trace(`${spec.label}: started pid=${child.pid}${this.restarts ? `, restart #${this.restarts}` : ''}: ${cli}`);
      for (const fn of this.spawnListeners) fn(child.pid, child);
    }
  }

  private exited(pid: number | undefined, code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    this.child = null;
    this.pid = undefined;
    // Whatever the process left behind in its group goes with it: no orphans.
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    const runMs = this.now() - this.startedAt;
    // Stopped before it had even started (a failed spawn reports after stop()): already final.
    if (this.state === 'stopped') return;
    if (this.state === 'stopping') {
      this.state = 'stopped';
      this.log.trace(`${this.spec.label}: stopped${pid !== undefined ? ` pid=${pid}` : ''}`);
      this.emitExit({ pid, code, signal, runMs, spawnError, restartInMs: null });
      this.finish();
      return;
    }
    const healthy = runMs >= this.options.healthyRunMs || (code === 0 && runMs >= this.options.cleanExitMinMs);
    if (healthy) this.nextDelayMs = this.options.initialBackoffMs;
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(delay * 2, this.options.maxBackoffMs);
    this.state = 'waiting';
    if (spawnError) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : spawnError.message;
      this.log.error(`${this.spec.label}: cannot start ${this.spec.bin}: ${why}${code ? ` (${code})` : ''}; retry in ${seconds(delay)}`);
    } else {
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.log.warn(`${this.spec.label}: pid=${pid} ${how} after ${seconds(runMs)}; restart in ${seconds(delay)}`);
    }
    this.restartTimer = setTimeout(() => this.launch(), delay);
    this.emitExit({ pid, code, signal, runMs, spawnError, restartInMs: delay });
  }

  private emitExit(info: ExitInfo): void {
    for (const fn of this.exitListeners) {
      try {
        fn(info);
      } catch (err) {
        this.log.warn(`${this.spec.label}: exit listener failed: ${errorMessage(err)}`);
      }
    }
  }

  private finish(): void {
    this.onGone(this);
    this.resolveStopped?.();
  }

  /**
   * Stop for good: SIGTERM to the whole group, SIGKILL after the grace period. Resolves once the process
   * has exited (and been reaped). Idempotent.
   */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const pid = this.pid;
    if (this.state !== 'running' || pid === undefined || !this.child) {
      this.state = 'stopped';
      this.finish();
      return this.stopped;
    }
    this.state = 'stopping';
    killGroup(pid, 'SIGTERM');
    this.killTimer = setTimeout(() => {
      this.log.warn(`${this.spec.label}: pid=${pid} still running ${seconds(this.options.stopGraceMs)} after SIGTERM, sending SIGKILL`);
      killGroup(pid, 'SIGKILL');
    }, this.options.stopGraceMs);
    return this.stopped;
  }

  /** Last resort at server exit: SIGKILL the group now, synchronously. */
  killNow(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (this.pid !== undefined) {
      killGroup(this.pid, 'SIGKILL');
      // If the event loop still turns, the exit event finishes the job as for stop().
      this.state = 'stopping';
    } else {
      this.state = 'stopped';
    }
  }
}

/**
 * Every process the server started. stopAll() on shutdown; a `process.on('exit')` hook kills whatever is
 * still there if the server exits without it (an uncaught error, process.exit elsewhere).
 */
export class ProcessSupervisor {
  private readonly procs = new Set<SupervisedProcess>();
  private readonly options: SupervisorOptions;
  private exitHook: (() => void) | null = null;

  constructor(
    private readonly log: Logger,
    options: Partial<SupervisorOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_SUPERVISOR_OPTIONS, ...options };
  }

  start(spec: ProcessSpec, log: Logger = this.log): SupervisedProcess {
    if (!this.exitHook) {
      this.exitHook = () => this.killAllNow();
      process.on('exit', this.exitHook);
    }
    const p = new SupervisedProcess(spec, log, this.options, this.now, (gone) => this.procs.delete(gone));
    if (p.state !== 'stopped') this.procs.add(p);
    return p;
  }

  get processes(): SupervisedProcess[] {
    return [...this.procs];
  }

  /** Stop every process and wait for all of them. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.procs].map((p) => p.stop()));
    if (this.exitHook) process.off('exit', this.exitHook);
    this.exitHook = null;
  }

  killAllNow(): void {
    for (const p of this.procs) p.killNow();
    this.procs.clear();
  }
}
