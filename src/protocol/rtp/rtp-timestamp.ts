// Unwrapping of RTP's wrapping counters (RFC 3550 5.1): the 16-bit sequence number and the 32-bit
// timestamp. Each value is placed at the extended value nearest the previous one (half the range either
// side), so reordered packets keep their place across a wrap and a stream can run for days. Extended
// values stay below 2^53 (exact JS integers) for any realistic stream length.

/** Nearest-neighbour unwrapper of a `bits`-wide counter (16 for sequence numbers, 32 for timestamps). */
export class CounterUnwrapper {
  private last: number | undefined;
  private readonly range: number;
  private readonly half: number;

  constructor(bits: 16 | 32) {
    this.range = 2 ** bits;
    this.half = 2 ** (bits - 1);
  }

  /** The extended value of `value` (taken modulo the range); the first value is returned as is. */
  unwrap(value: number): number {
    const v = value % this.range >>> 0;
    if (this.last === undefined) {
      this.last = v;
      return v;
    }
    let delta = v - mod(this.last, this.range);
    if (delta > this.half) delta -= this.range;
    else if (delta < -this.half) delta += this.range;
    const ext = this.last + delta;
    // Move forward only: a late packet must not pull the reference back across a wrap.
    if (ext > this.last) this.last = ext;
    return ext;
  }

  /** Extended value nearest the last one without moving the reference (for a look-ahead). */
  peek(value: number): number {
    if (this.last === undefined) return value % this.range >>> 0;
    let delta = (value % this.range >>> 0) - mod(this.last, this.range);
    if (delta > this.half) delta -= this.range;
    else if (delta < -this.half) delta += this.range;
    return this.last + delta;
  }

  /** Highest extended value seen, or undefined before the first. */
  get highest(): number | undefined {
    return this.last;
  }
}

function mod(n: number, m: number): number {
  const r = n % m;
  return r < 0 ? r + m : r;
}

/** 16-bit sequence number unwrapper (RFC 3550 A.1 keeps a cycle count; this is the same idea). */
export function sequenceUnwrapper(): CounterUnwrapper {
  return new CounterUnwrapper(16);
}

/** 32-bit RTP timestamp unwrapper. */
export function timestampUnwrapper(): CounterUnwrapper {
  return new CounterUnwrapper(32);
}

/** a - b for 16-bit sequence numbers, in -32768..32767 (RFC 1982 serial arithmetic). */
export function sequenceDelta(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}
