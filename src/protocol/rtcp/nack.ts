// Generic NACK FCI (RFC 4585 §6.2.1): each entry is a packet id (PID) plus a 16-bit mask (BLP) whose
// bit i marks PID + i + 1 as lost too, so one entry names up to 17 packets.

export interface NackEntry {
  pid: number;
  blp: number;
}

/** Expands entries into sequence numbers, in entry order, wrapping at 2^16. */
export function expandNack(entries: readonly NackEntry[]): number[] {
  const out: number[] = [];
  for (const { pid, blp } of entries) {
    out.push(pid & 0xffff);
    for (let i = 0; i < 16; i++) if (blp & (1 << i)) out.push((pid + i + 1) & 0xffff);
  }
  return out;
}

/**
 * Packs lost sequence numbers into as few entries as a greedy pass allows. Order is taken relative to
 * the first number (within +-2^15, RFC 3550 §A.1 style), so lists that cross the 65535 -> 0 wrap pack
 * correctly; duplicates are dropped.
 */
export function compressNack(seqs: readonly number[]): NackEntry[] {
  if (seqs.length === 0) return [];
  const ref = seqs[0]! & 0xffff;
  const key = (s: number): number => (((s & 0xffff) - ref + 0x8000) & 0xffff);
  const sorted = [...new Set(seqs.map((s) => s & 0xffff))].sort((a, b) => key(a) - key(b));
  const out: NackEntry[] = [];
  let current: NackEntry | undefined;
  for (const s of sorted) {
    const d = current ? (s - current.pid) & 0xffff : 0;
    if (current && d >= 1 && d <= 16) {
      current.blp |= 1 << (d - 1);
    } else {
      current = { pid: s, blp: 0 };
      out.push(current);
    }
  }
  return out;
}
