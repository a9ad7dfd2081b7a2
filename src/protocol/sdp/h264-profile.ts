// H.264 profile-level-id (RFC 6184 §8.1): profile_idc, profile-iop (constraint_set flags), level_idc,
// as 6 hex digits. Which profile a triple means depends on both idc and flags: a Main or Extended
// stream with the right constraint flags is decodable by a Constrained Baseline decoder
// (H.264 Annex A.2.1), which is why 42e01f, 4de01f and 58f01f all name Constrained Baseline.

export type H264Profile =
  | 'constrained-baseline'
  | 'baseline'
  | 'main'
  | 'extended'
  | 'high'
  | 'constrained-high'
  | 'high-10'
  | 'high-422'
  | 'high-444';

export interface H264ProfileLevel {
  profile: H264Profile;
  /** level_idc: 31 is level 3.1; level 1b is written 9 here (idc 11 plus constraint_set3). */
  levelIdc: number;
}

/** RFC 6184 §8.1: profile-level-id absent means Baseline level 1 (420010). */
export const H264_DEFAULT_PROFILE_LEVEL_ID = '42000a';

// [profile_idc, mask of the flag bits that matter, required value of those bits, profile].
// Bits 3..0 of profile-iop are reserved zero for these profiles, so every mask includes them.
const PATTERNS: Array<[number, number, number, H264Profile]> = [
  [0x42, 0x4f, 0x40, 'constrained-baseline'],
  [0x4d, 0x8f, 0x80, 'constrained-baseline'],
  [0x58, 0xcf, 0xc0, 'constrained-baseline'],
  [0x42, 0x4f, 0x00, 'baseline'],
  [0x58, 0xcf, 0x80, 'baseline'],
  [0x4d, 0xaf, 0x00, 'main'],
  [0x58, 0xcf, 0x00, 'extended'],
  [0x64, 0xff, 0x00, 'high'],
  [0x64, 0xff, 0x0c, 'constrained-high'],
  [0x6e, 0xff, 0x00, 'high-10'],
  [0x7a, 0xff, 0x00, 'high-422'],
  [0xf4, 0xff, 0x00, 'high-444'],
];

/** Parses 6 hex digits; undefined when malformed or not a profile WebRTC knows. */
export function parseH264ProfileLevelId(text: string | undefined): H264ProfileLevel | undefined {
  const hex = text ?? H264_DEFAULT_PROFILE_LEVEL_ID;
  if (!/^[0-9a-fA-F]{6}$/.test(hex)) return undefined;
  const idc = parseInt(hex.slice(0, 2), 16);
  const iop = parseInt(hex.slice(2, 4), 16);
  let levelIdc = parseInt(hex.slice(4, 6), 16);
  if (levelIdc === 0) return undefined;
  // Level 1b: level_idc 11 with constraint_set3 in the Baseline/Main/Extended family (H.264 A.3.1).
  if (levelIdc === 11 && (iop & 0x10) !== 0 && (idc === 0x42 || idc === 0x4d || idc === 0x58)) levelIdc = 9;
  for (const [pIdc, mask, value, profile] of PATTERNS) {
    if (idc === pIdc && (iop & mask) === value) return { profile, levelIdc };
  }
  return undefined;
}
