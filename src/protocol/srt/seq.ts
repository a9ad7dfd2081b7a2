// 31-bit packet sequence numbers and 26-bit message numbers (draft-sharabayko-srt §3.1): both wrap, so
// every comparison goes through a signed distance on the circle instead of `<`.

export const SEQ_MAX = 0x7fffffff;
const SEQ_MOD = 0x80000000;
const SEQ_HALF = 0x40000000;
export const MSGNO_MAX = 0x03ffffff;

/** Signed distance from `a` to `b` (positive when `b` is after `a`), in (-2^30, 2^30]. */
export function seqOffset(a: number, b: number): number {
  let d = (b - a) % SEQ_MOD;
  if (d < 0) d += SEQ_MOD;
  return d > SEQ_HALF ? d - SEQ_MOD : d;
}

/** `a` compared with `b` on the circle: negative when `a` is before `b`. */
export function seqCmp(a: number, b: number): number {
  return -seqOffset(a, b);
}

export function seqInc(s: number, n = 1): number {
  let r = (s + n) % SEQ_MOD;
  if (r < 0) r += SEQ_MOD;
  return r;
}

export function seqDec(s: number): number {
  return seqInc(s, -1);
}

/** How many numbers from `a` to `b` inclusive (b at or after a). */
export function seqLen(a: number, b: number): number {
  return seqOffset(a, b) + 1;
}

/** Message numbers start at 1 and skip 0 when they wrap (libsrt's MsgNo). */
export function msgNoInc(m: number): number {
  return m >= MSGNO_MAX ? 1 : m + 1;
}
