// ISO base media file format boxes (ISO/IEC 14496-12 4.2): a growable big-endian writer that opens and
// closes nested boxes in place (sizes are patched when a box ends, so nothing is copied per level), plus
// one-shot helpers for small boxes and for headers of boxes whose payload is streamed elsewhere (mdat).

/** Largest size a 32-bit box size field can hold; bigger boxes use size = 1 and a 64-bit largesize. */
export const MAX_BOX32_SIZE = 0xffffffff;
/** Bytes in a compact box header (size, type). */
export const BOX_HEADER_SIZE = 8;
/** Bytes in a box header with a 64-bit largesize (size = 1, type, largesize). */
export const LARGE_BOX_HEADER_SIZE = 16;

const TWO_32 = 0x100000000;

function checkFourCc(type: string): void {
  if (type.length !== 4) throw new RangeError(`box type "${type}" is not four characters`);
  for (let i = 0; i < 4; i++) {
    if (type.charCodeAt(i) > 0xff) throw new RangeError(`box type "${type}" is not latin1`);
  }
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} ${v} out of range 0..${max}`);
}

interface OpenBox {
  readonly start: number;
  readonly large: boolean;
}

/**
 * Growable big-endian writer for box trees. `box()`/`fullBox()` open a box and `end()` closes the
 * innermost one, writing its size. Out-of-range values throw RangeError (a bug in the caller, not bad
 * input). Boxes whose size exceeds 32 bits must be opened with `large = true` (ISO/IEC 14496-12 4.2).
 */
export class BoxWriter {
  private buf: Buffer;
  private len = 0;
  private readonly open: OpenBox[] = [];

  constructor(initialCapacity = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  /** Open boxes (0 when every box was closed). */
  get depth(): number {
    return this.open.length;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): this {
    checkUint(v, 0xff, 'u8');
    this.ensure(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    checkUint(v, 0xffff, 'u16');
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
    return this;
  }

  i16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.len);
    this.len += 2;
    return this;
  }

  u24(v: number): this {
    checkUint(v, 0xffffff, 'u24');
    this.ensure(3);
    this.buf.writeUIntBE(v, this.len, 3);
    this.len += 3;
    return this;
  }

  u32(v: number): this {
    checkUint(v, 0xffffffff, 'u32');
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.len);
    this.len += 4;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.len);
    this.len += 4;
    return this;
  }

  /** Unsigned 64-bit from a non-negative safe integer (JS numbers are exact up to 2^53). */
  u64(v: number): this {
    checkUint(v, Number.MAX_SAFE_INTEGER, 'u64');
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(v / TWO_32), this.len);
    this.buf.writeUInt32BE(v % TWO_32, this.len + 4);
    this.len += 8;
    return this;
  }

  /** Signed 64-bit from a safe integer (edit list media_time -1 in version 1). */
  i64(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`i64 ${v} is not a safe integer`);
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt(v), this.len);
    this.len += 8;
    return this;
  }

  /** A four-character code (box type, brand, handler type). */
  fourCc(code: string): this {
    checkFourCc(code);
    this.ensure(4);
    this.buf.write(code, this.len, 4, 'latin1');
    this.len += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  zeros(n: number): this {
    checkUint(n, 0x7fffffff, 'zeros');
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }

  /** A NUL-terminated UTF-8 string (hdlr name). */
  cString(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.bytes(b).u8(0);
  }

  /** Opens a box; `large` reserves a 64-bit largesize (write it with `end()`). */
  box(type: string, large = false): this {
    checkFourCc(type);
    this.open.push({ start: this.len, large });
    this.u32(large ? 1 : 0).fourCc(type);
    if (large) this.u64(0);
    return this;
  }

  /** Opens a FullBox: the box header then version (8 bits) and flags (24 bits). */
  fullBox(type: string, version: number, flags: number): this {
    return this.box(type).u8(version).u24(flags);
  }

  /** Closes the innermost open box and writes its size. */
  end(): this {
    const b = this.open.pop();
    if (b === undefined) throw new RangeError('end() without an open box');
    const size = this.len - b.start;
    if (b.large) {
      this.buf.writeUInt32BE(Math.floor(size / TWO_32), b.start + 8);
      this.buf.writeUInt32BE(size % TWO_32, b.start + 12);
    } else {
      if (size > MAX_BOX32_SIZE) throw new RangeError(`box of ${size} bytes needs a 64-bit size`);
      this.buf.writeUInt32BE(size, b.start);
    }
    return this;
  }

  /** Overwrites a u32 written earlier at `offset` (e.g. a trun data_offset known only later). */
  patchU32(offset: number, v: number): this {
    checkUint(offset, this.len - 4, 'patch offset');
    checkUint(v, 0xffffffff, 'u32');
    this.buf.writeUInt32BE(v, offset);
    return this;
  }

  /** Overwrites an i32 written earlier at `offset`. */
  patchI32(offset: number, v: number): this {
    checkUint(offset, this.len - 4, 'patch offset');
    this.buf.writeInt32BE(v, offset);
    return this;
  }

  /** The bytes written, as a new Buffer the caller owns. Every box must be closed. */
  toBuffer(): Buffer {
    if (this.open.length !== 0) throw new RangeError(`${this.open.length} box(es) still open`);
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/**
 * The header of a box with `payloadSize` bytes after it: 8 bytes, or 16 with a 64-bit largesize when the
 * box exceeds 32 bits or `large` is set (used for an mdat whose size is patched in at the end).
 */
export function boxHeader(type: string, payloadSize: number, large = false): Buffer {
  checkFourCc(type);
  checkUint(payloadSize, Number.MAX_SAFE_INTEGER - LARGE_BOX_HEADER_SIZE, 'payload size');
  const useLarge = large || payloadSize + BOX_HEADER_SIZE > MAX_BOX32_SIZE;
  const h = Buffer.alloc(useLarge ? LARGE_BOX_HEADER_SIZE : BOX_HEADER_SIZE);
  h.write(type, 4, 4, 'latin1');
  if (useLarge) {
    const size = payloadSize + LARGE_BOX_HEADER_SIZE;
    h.writeUInt32BE(1, 0);
    h.writeUInt32BE(Math.floor(size / TWO_32), 8);
    h.writeUInt32BE(size % TWO_32, 12);
  } else {
    h.writeUInt32BE(payloadSize + BOX_HEADER_SIZE, 0);
  }
  return h;
}

/** A whole box from its payload parts. */
export function box(type: string, ...payload: Uint8Array[]): Buffer {
  let n = 0;
  for (const p of payload) n += p.length;
  return Buffer.concat([boxHeader(type, n), ...payload]);
}

/** A whole FullBox (version, flags) from its payload parts. */
export function fullBox(type: string, version: number, flags: number, ...payload: Uint8Array[]): Buffer {
  checkUint(version, 0xff, 'version');
  checkUint(flags, 0xffffff, 'flags');
  const vf = Buffer.allocUnsafe(4);
  vf.writeUInt32BE(((version << 24) | flags) >>> 0, 0);
  return box(type, vf, ...payload);
}
