// Sample table boxes of a progressive MP4 (ISO/IEC 14496-12 8.6.1-8.7.5): decoding times (stts),
// composition offsets (ctts), sync samples (stss), sample-to-chunk (stsc), sizes (stsz) and chunk
// offsets (stco, or co64 once an offset passes 4 GiB). Runs are compressed as the spec intends, so an
// hour of constant-rate video costs a handful of stts entries, not one per frame.

import type { BoxWriter } from './box.js';

type NumericArray = Float64Array | Uint32Array | Int32Array | Uint8Array;
type NumericArrayCtor = new (length: number) => NumericArray;

/** A growable typed array: per-sample columns of a long recording without per-element objects. */
export class Column {
  private data: NumericArray;
  private n = 0;

  constructor(private readonly ctor: NumericArrayCtor, initialCapacity = 1024) {
    this.data = new ctor(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.n;
  }

  push(v: number): void {
    if (this.n === this.data.length) {
      const next = new this.ctor(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = v;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  set(i: number, v: number): void {
    this.data[i] = v;
  }

  /** The filled part (a view; valid until the next push). */
  view(): NumericArray {
    return this.data.subarray(0, this.n);
  }
}

/** [count, value] runs of consecutive equal values. */
export function runs(values: ArrayLike<number>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === v) last[0]++;
    else out.push([1, v]);
  }
  return out;
}

/** stts (8.6.1.2): sample durations, run-length coded. */
export function writeStts(w: BoxWriter, durations: ArrayLike<number>): void {
  const r = runs(durations);
  w.fullBox('stts', 0, 0).u32(r.length);
  for (const [count, delta] of r) w.u32(count).u32(delta);
  w.end();
}

/** True when some composition offset is not zero (ctts is needed). */
export function hasCompositionOffsets(offsets: ArrayLike<number>): boolean {
  for (let i = 0; i < offsets.length; i++) if (offsets[i] !== 0) return true;
  return false;
}

/** ctts (8.6.1.3): version 0 (unsigned) unless an offset is negative, then version 1 (signed). */
export function writeCtts(w: BoxWriter, offsets: ArrayLike<number>): void {
  const r = runs(offsets);
  const signed = r.some(([, v]) => v < 0);
  w.fullBox('ctts', signed ? 1 : 0, 0).u32(r.length);
  for (const [count, offset] of r) {
    w.u32(count);
    if (signed) w.i32(offset);
    else w.u32(offset);
  }
  w.end();
}

/** stss (8.6.2): 1-based numbers of the sync samples. Omit the box when every sample is sync. */
export function writeStss(w: BoxWriter, sync: ArrayLike<number>): void {
  let count = 0;
  for (let i = 0; i < sync.length; i++) if (sync[i]) count++;
  w.fullBox('stss', 0, 0).u32(count);
  for (let i = 0; i < sync.length; i++) if (sync[i]) w.u32(i + 1);
  w.end();
}

/** stsc (8.7.4): one entry per run of chunks holding the same number of samples. */
export function writeStsc(w: BoxWriter, samplesPerChunk: ArrayLike<number>): void {
  const entries: Array<[number, number]> = [];
  for (let i = 0; i < samplesPerChunk.length; i++) {
    const n = samplesPerChunk[i]!;
    const last = entries[entries.length - 1];
    if (last === undefined || last[1] !== n) entries.push([i + 1, n]);
  }
  w.fullBox('stsc', 0, 0).u32(entries.length);
  for (const [firstChunk, n] of entries) w.u32(firstChunk).u32(n).u32(1); // sample_description_index 1
  w.end();
}

/** stsz (8.7.3): a single sample_size when all are equal, else one entry per sample. */
export function writeStsz(w: BoxWriter, sizes: ArrayLike<number>): void {
  let uniform = sizes.length > 0;
  for (let i = 1; i < sizes.length && uniform; i++) if (sizes[i] !== sizes[0]) uniform = false;
  w.fullBox('stsz', 0, 0);
  if (uniform) {
    w.u32(sizes[0]!).u32(sizes.length);
  } else {
    w.u32(0).u32(sizes.length);
    for (let i = 0; i < sizes.length; i++) w.u32(sizes[i]!);
  }
  w.end();
}

/** stco (8.7.5), or co64 when an offset does not fit 32 bits. */
export function writeChunkOffsets(w: BoxWriter, offsets: ArrayLike<number>): void {
  let large = false;
  for (let i = 0; i < offsets.length && !large; i++) if (offsets[i]! > 0xffffffff) large = true;
  w.fullBox(large ? 'co64' : 'stco', 0, 0).u32(offsets.length);
  for (let i = 0; i < offsets.length; i++) {
    if (large) w.u64(offsets[i]!);
    else w.u32(offsets[i]!);
  }
  w.end();
}

/** Empty sample tables, as an init segment carries them (samples live in fragments). */
export function writeEmptySampleTables(w: BoxWriter): void {
  w.fullBox('stts', 0, 0).u32(0).end();
  w.fullBox('stsc', 0, 0).u32(0).end();
  w.fullBox('stsz', 0, 0).u32(0).u32(0).end();
  w.fullBox('stco', 0, 0).u32(0).end();
}
