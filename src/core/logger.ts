// The logger interface the pure layers may receive (they never create one). SRS's traceable format:
// every line carries the context id (cid) of the connection it is about, so `grep <cid>` shows a client's life.

export type LogLevel = 'verbose' | 'info' | 'trace' | 'warn' | 'error';
export const LOG_LEVEL_RANK: Record<LogLevel, number> = { verbose: 0, info: 1, trace: 2, warn: 3, error: 4 };

export interface Logger {
  /** The context id printed on every line of this logger. */
  readonly cid: string;
  verbose(msg: string): void;
  info(msg: string): void;
  trace(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A logger for a child context (a new connection), sharing the same sink. */
  child(cid: string): Logger;
}

const CID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** 8 random chars from [0-9a-z], SRS's context id shape. */
export function newContextId(random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += CID_ALPHABET[Math.floor(random() * 36)];
  return s;
}
