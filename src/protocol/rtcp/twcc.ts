// Transport-wide CC feedback body (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): packet
// status chunks (run-length or status-vector) then receive deltas in 250 us units. What the server
// sends publishers, built from the (transport seq, arrival time) pairs it recorded.

import { ErrorCode, ProtocolError } from '../../core/errors.js';
import type { RtcpTwcc } from './rtcp-packet.js';

const DELTA_UNIT_US = 250;
const REFERENCE_UNIT_US = 64000;
/** Status symbols: 0 not received, 1 received with a 1-byte delta, 2 received with a 2-byte delta. */
type Symbol = 0 | 1 | 2;

function fail(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.RtcRtcp, `RTCP TWCC: ${message}`);
}

/** One received packet as the server saw it. */
export interface TwccArrival {
  /**
   * Transport-wide sequence number, unwrapped by the caller (monotonic across 65535 -> 0); only its
   * 16 low bits go on the wire.
   */
  seq: number;
  /** Arrival time in microseconds on any monotonic clock of the caller's. */
  arrivalUs: number;
}

export interface TwccBuildOptions {
  senderSsrc: number;
  mediaSsrc: number;
  /** Count of the first feedback built; each further one adds 1 (mod 256). */
  fbPktCount: number;
  /** Status entries per feedback; a longer span is split. Default 1000 (keeps a packet near MTU size). */
  maxStatusCount?: number;
}

/**
 * Builds the feedback packets covering `arrivals` (any order, duplicates ignored). Gaps become "not
 * received". A new feedback starts when a delta does not fit 16 bits (more than ~8 s between packets)
 * or the status count would pass `maxStatusCount`. The returned model's arrivals are quantized to the
 * wire's resolution.
 */
export function buildTwccFeedback(arrivals: readonly TwccArrival[], options: TwccBuildOptions): RtcpTwcc[] {
  const bySeq = new Map<number, number>();
  for (const a of arrivals) if (!bySeq.has(a.seq)) bySeq.set(a.seq, a.arrivalUs);
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  const maxCount = Math.max(1, Math.min(options.maxStatusCount ?? 1000, 0xffff));
  const out: RtcpTwcc[] = [];
  let i = 0;
  while (i < seqs.length) {
    const baseSeq = seqs[i]!;
    const firstUs = bySeq.get(baseSeq)!;
    const refUnits = Math.floor(firstUs / REFERENCE_UNIT_US);
    const referenceTime = ((refUnits % 0x1000000) + 0x1000000) % 0x1000000;
    // Arrivals are expressed on the wire clock: the wrapped reference time.
    const shift = (refUnits - referenceTime) * REFERENCE_UNIT_US;
    let prevUs = referenceTime * REFERENCE_UNIT_US;
    const fb: RtcpTwcc = {
      type: 'twcc',
      senderSsrc: options.senderSsrc,
      mediaSsrc: options.mediaSsrc,
      baseSeq: baseSeq & 0xffff,
      referenceTime,
      fbPktCount: (options.fbPktCount + out.length) & 0xff,
      arrivals: [],
    };
    while (i < seqs.length) {
      const seq = seqs[i]!;
      const span = seq - baseSeq + 1;
      if (span > maxCount) break;
      const delta = Math.round((bySeq.get(seq)! - shift - prevUs) / DELTA_UNIT_US);
      if (delta < -0x8000 || delta > 0x7fff) break;
      while (fb.arrivals.length < span - 1) fb.arrivals.push(undefined);
      prevUs += delta * DELTA_UNIT_US;
      fb.arrivals.push(prevUs);
      i++;
    }
    if (fb.arrivals.length === 0) {
      // Cannot happen for the first packet (its delta from the reference is under 64 ms) but keeps the
      // loop finite whatever the input.
      i++;
      continue;
    }
    out.push(fb);
  }
  return out;
}

/** Writes the FCI (after the two SSRCs), padded to 32 bits. */
export function encodeTwccFci(fb: RtcpTwcc): Buffer {
  const count = fb.arrivals.length;
  if (count === 0 || count > 0xffff) throw fail(`status count ${count}`);
  const symbols: Symbol[] = [];
  const deltas: number[] = [];
  let prev = fb.referenceTime * REFERENCE_UNIT_US;
  for (const at of fb.arrivals) {
    if (at === undefined) {
      symbols.push(0);
      continue;
    }
    const d = (at - prev) / DELTA_UNIT_US;
    if (!Number.isInteger(d) || d < -0x8000 || d > 0x7fff) throw fail(`arrival ${at} is not a 16-bit multiple of 250 us after ${prev}`);
    symbols.push(d >= 0 && d <= 0xff ? 1 : 2);
    deltas.push(d);
    prev = at;
  }
  const chunks = encodeChunks(symbols);
  let deltaBytes = 0;
  for (const s of symbols) deltaBytes += s;
  const size = 8 + chunks.length * 2 + deltaBytes;
  const out = Buffer.alloc((size + 3) & ~3);
  out.writeUInt16BE(fb.baseSeq & 0xffff, 0);
  out.writeUInt16BE(count, 2);
  out.writeUIntBE(fb.referenceTime & 0xffffff, 4, 3);
  out[7] = fb.fbPktCount & 0xff;
  let pos = 8;
  for (const c of chunks) {
    out.writeUInt16BE(c, pos);
    pos += 2;
  }
  let k = 0;
  for (const s of symbols) {
    if (s === 0) continue;
    const d = deltas[k++]!;
    if (s === 1) out[pos++] = d;
    else {
      out.writeInt16BE(d, pos);
      pos += 2;
    }
  }
  return out;
}

/**
 * Chunks for a status list: a run-length chunk for long runs of one symbol, else a 14 x 1-bit vector
 * when the next symbols are all 0/1, else a 7 x 2-bit vector. Unused vector slots are "not received"
 * and lie past the status count, where receivers ignore them.
 */
function encodeChunks(symbols: Symbol[]): number[] {
  const chunks: number[] = [];
  let i = 0;
  while (i < symbols.length) {
    const s = symbols[i]!;
    let run = 1;
    while (i + run < symbols.length && symbols[i + run] === s && run < 0x1fff) run++;
    if (run >= 14 || (run >= 7 && s === 2) || run === symbols.length - i) {
      chunks.push((s << 13) | run);
      i += run;
      continue;
    }
    const take14 = Math.min(14, symbols.length - i);
    let oneBit = true;
    for (let j = i; j < i + take14; j++) if (symbols[j] === 2) oneBit = false;
    if (oneBit) {
      let c = 0x8000;
      for (let j = 0; j < take14; j++) c |= symbols[i + j]! << (13 - j);
      chunks.push(c);
      i += take14;
    } else {
      const take7 = Math.min(7, symbols.length - i);
      let c = 0xc000;
      for (let j = 0; j < take7; j++) c |= symbols[i + j]! << (12 - 2 * j);
      chunks.push(c);
      i += take7;
    }
  }
  return chunks;
}

/** Reads the FCI; malformed input (reserved symbol, short deltas, overlong runs) throws ProtocolError. */
export function decodeTwccFci(fci: Buffer, senderSsrc: number, mediaSsrc: number): RtcpTwcc {
  if (fci.length < 8) throw fail(`FCI of ${fci.length} bytes`);
  const baseSeq = fci.readUInt16BE(0);
  const count = fci.readUInt16BE(2);
  const referenceTime = fci.readUIntBE(4, 3);
  const fbPktCount = fci[7]!;
  const symbols: Symbol[] = [];
  let pos = 8;
  while (symbols.length < count) {
    if (pos + 2 > fci.length) throw fail(`chunks end after ${symbols.length} of ${count} statuses`);
    const c = fci.readUInt16BE(pos);
    pos += 2;
    if ((c & 0x8000) === 0) {
      const s = (c >> 13) & 0x3;
      const run = c & 0x1fff;
      if (s === 3) throw fail('reserved status symbol');
      if (run === 0) throw fail('run-length chunk of zero');
      for (let j = 0; j < run && symbols.length < count; j++) symbols.push(s as Symbol);
    } else if ((c & 0x4000) === 0) {
      for (let j = 0; j < 14 && symbols.length < count; j++) symbols.push(((c >> (13 - j)) & 1) as Symbol);
    } else {
      for (let j = 0; j < 7 && symbols.length < count; j++) {
        const s = (c >> (12 - 2 * j)) & 0x3;
        if (s === 3) throw fail('reserved status symbol');
        symbols.push(s as Symbol);
      }
    }
  }
  const arrivals: Array<number | undefined> = [];
  let prev = referenceTime * REFERENCE_UNIT_US;
  for (const s of symbols) {
    if (s === 0) {
      arrivals.push(undefined);
      continue;
    }
    if (pos + s > fci.length) throw fail('receive deltas are truncated');
    const d = s === 1 ? fci[pos]! : fci.readInt16BE(pos);
    pos += s;
    prev += d * DELTA_UNIT_US;
    arrivals.push(prev);
  }
  return { type: 'twcc', senderSsrc, mediaSsrc, baseSeq, referenceTime, fbPktCount, arrivals };
}
