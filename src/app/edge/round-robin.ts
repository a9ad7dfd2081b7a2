// SRS's SrsLbRoundRobin: each (re)connect takes the next server of the list, starting with the first.

import { ErrorCode, TsrsError } from '../../core/errors.js';

export class RoundRobin {
  private count = 0;
  private last = '';

  select(servers: readonly string[]): string {
    if (servers.length === 0) throw new TsrsError(ErrorCode.SystemAssert, 'round robin over an empty list');
    this.last = servers[this.count++ % servers.length]!;
    return this.last;
  }

  /** The server the last select() returned ('' before any). */
  get selected(): string {
    return this.last;
  }
}
