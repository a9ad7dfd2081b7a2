// SRS's traceable log: `[2024-05-01 10:00:00.123][Trace][4321][m3k9x0aq] message`.
// One LogWriter per process (console or file); each connection gets a child Logger with its own cid.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { LOG_LEVEL_RANK, type LogLevel, type Logger } from '../../core/logger.js';

/** v4 level names, as SRS 4 prints them. */
const LEVEL_NAMES: Record<LogLevel, string> = { verbose: 'Verb', info: 'Debug', trace: 'Trace', warn: 'Warn', error: 'Error' };

export interface LogWriterOptions {
  tank: 'console' | 'file';
  level: LogLevel;
  file: string;
  utcTime: boolean;
}

export class LogWriter {
  private stream: WriteStream | null = null;
  private threshold: number;
  constructor(private options: LogWriterOptions) {
    this.threshold = LOG_LEVEL_RANK[options.level];
    if (options.tank === 'file') this.open();
  }

  private open(): void {
    mkdirSync(dirname(this.options.file), { recursive: true });
    const stream = createWriteStream(this.options.file, { flags: 'a' });
    stream.on('error', (err) => {
      // A broken log file must not take the server down: fall back to stderr.
      process.stderr.write(`log file ${this.options.file} failed: ${err.message}; logging to console\n`);
      this.stream = null;
    });
    this.stream = stream;
  }

  /** Reopen the file after logrotate moved it (SIGUSR1). */
  reopen(): void {
    if (this.options.tank !== 'file') return;
    const old = this.stream;
    this.open();
    old?.end();
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVEL_RANK[level] >= this.threshold;
  }

  write(level: LogLevel, cid: string, msg: string): void {
    if (LOG_LEVEL_RANK[level] < this.threshold) return;
    const line = `[${timestamp(new Date(), this.options.utcTime)}][${LEVEL_NAMES[level]}][${process.pid}][${cid}] ${msg}\n`;
    if (this.stream) this.stream.write(line);
    else if (level === 'warn' || level === 'error') process.stderr.write(line);
    else process.stdout.write(line);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.stream) return resolve();
      this.stream.end(() => resolve());
      this.stream = null;
    });
  }

  logger(cid: string): Logger {
    return new SrsLogger(this, cid);
  }
}

class SrsLogger implements Logger {
  constructor(private readonly w: LogWriter, readonly cid: string) {}
  verbose(msg: string): void {
    this.w.write('verbose', this.cid, msg);
  }
  info(msg: string): void {
    this.w.write('info', this.cid, msg);
  }
  trace(msg: string): void {
    this.w.write('trace', this.cid, msg);
  }
  warn(msg: string): void {
    this.w.write('warn', this.cid, msg);
  }
  error(msg: string): void {
    this.w.write('error', this.cid, msg);
  }
  child(cid: string): Logger {
    return new SrsLogger(this.w, cid);
  }
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function timestamp(d: Date, utc: boolean): string {
  const [y, mo, da, h, mi, s, ms] = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
  return `${y}-${pad(mo)}-${pad(da)} ${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms, 3)}`;
}
