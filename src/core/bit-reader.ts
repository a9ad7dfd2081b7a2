import { ErrorCode, ProtocolError } from './errors.js';

/**
 * MSB-first bit cursor with Exp-Golomb codes (H.264 9.1 / H.265 9.2), for codec headers such as SPS and
 * AudioSpecificConfig. Reading past the end throws a ProtocolError (never a RangeError), so a parser that
 * trusts its input still fails cleanly on truncated or hostile bytes.
 *
 * The reader does not remove emulation prevention bytes: give it an RBSP, not a raw NAL unit.
 */
export class BitReader {
  /** Absolute bit position in `buf`. */
  private pos: number;
  private readonly endBit: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
    /** Error code thrown on truncation or an out-of-range code, so callers keep their own catalog entry. */
    private readonly code: number = ErrorCode.MediaDecode,
  ) {
    const s = Math.max(0, Math.min(start, buf.length));
    const e = Math.max(s, Math.min(end, buf.length));
    this.pos = s * 8;
    this.endBit = e * 8;
  }

  /** Bits not read yet. */
  get bitsLeft(): number {
    return this.endBit - this.pos;
  }

  /** Bits read so far, counted from `start`. */
  get bitPosition(): number {
    return this.pos;
  }

  get byteAligned(): boolean {
    return (this.pos & 7) === 0;
  }

  private fail(what: string): never {
    throw new ProtocolError(this.code, `bit reader: ${what}`);
  }

  /** One bit, 0 or 1. */
  bit(): number {
    if (this.pos >= this.endBit) this.fail('truncated: need 1 bit, have 0');
    const v = (this.buf[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }

  bool(): boolean {
    return this.bit() === 1;
  }

  /** An unsigned value of n bits (0..32), MSB first. */
  bits(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 32) this.fail(`bad bit count ${n}`);
    if (n > this.bitsLeft) this.fail(`truncated: need ${n} bits, have ${this.bitsLeft}`);
    let v = 0;
    let left = n;
    while (left > 0) {
      const bitInByte = this.pos & 7;
      const take = Math.min(8 - bitInByte, left);
      const byte = this.buf[this.pos >> 3]!;
      const chunk = (byte >> (8 - bitInByte - take)) & ((1 << take) - 1);
      // Multiply rather than shift: a 32-bit result must stay unsigned.
      v = v * (1 << take) + chunk;
      this.pos += take;
      left -= take;
    }
    return v;
  }

  skip(n: number): void {
    if (!Number.isInteger(n) || n < 0) this.fail(`bad skip ${n}`);
    if (n > this.bitsLeft) this.fail(`truncated: skip ${n} bits, have ${this.bitsLeft}`);
    this.pos += n;
  }

  /** Skips to the next byte boundary (no-op when already aligned). */
  byteAlign(): void {
    const pad = (8 - (this.pos & 7)) & 7;
    this.skip(pad);
  }

  /** ue(v): unsigned Exp-Golomb. Codes longer than 32 bits (values >= 2^32 - 1) are refused. */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      zeros++;
      if (zeros > 31) this.fail('exp-golomb code longer than 32 bits');
    }
    if (zeros === 0) return 0;
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** se(v): signed Exp-Golomb (k → (-1)^(k+1) * ceil(k/2)). */
  se(): number {
    const k = this.ue();
    if (k === 0) return 0; // not -0
    const mag = Math.ceil(k / 2);
    return k % 2 === 1 ? mag : -mag;
  }

  /**
   * more_rbsp_data() (H.264 7.2): true while anything but the rbsp_stop_one_bit and its trailing zero
   * bits is left.
   */
  moreRbspData(): boolean {
    if (this.pos >= this.endBit) return false;
    // Find the last 1 bit in the buffer: that is the stop bit.
    let last = this.endBit - 1;
    while (last >= this.pos && ((this.buf[last >> 3]! >> (7 - (last & 7))) & 1) === 0) last--;
    return last > this.pos;
  }
}
