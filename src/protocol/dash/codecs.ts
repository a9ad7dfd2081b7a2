// The `codecs` attribute of a DASH Representation (ISO/IEC 23009-1 5.3.7.2, RFC 6381 3.3), from the same
// decoder configuration the init segment carries, so what the MPD announces is what the decoder gets:
//
// - H.264 (ISO/IEC 14496-15 A.2): `avc1.PPCCLL`, profile_idc, the constraint flags byte and level_idc as
//   they appear in the avcC (bytes 1..3), two hex digits each.
// - H.265 (ISO/IEC 14496-15 E.3): `hvc1.<space><profile>.<compat>.<tier><level>[.<constraint bytes>]`,
//   compatibility flags bit-reversed in hex, constraint bytes up to the last non-zero one.
// - AAC (RFC 6381 3.3, ISO/IEC 14496-3 1.5.1.1): `mp4a.40.<audioObjectType>`, 5 for HE-AAC (SBR), 29 for
//   HE-AACv2 (PS), as signalled (explicitly or implicitly) in the AudioSpecificConfig.
// - MP3: `mp4a.6B` (MPEG-1 audio) or `mp4a.69` (MPEG-2 half rates), the objectTypeIndication of the esds.
// - Opus: `opus`.

import { parseAudioSpecificConfig } from '../../kernel/codec/aac.js';
import { parseAvcDecoderConfigurationRecord } from '../../kernel/codec/h264.js';
import { parseHevcDecoderConfigurationRecord } from '../../kernel/codec/h265.js';
import type { TrackInfo } from '../../kernel/format/mp4/index.js';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** `avc1.PPCCLL` from an AVCDecoderConfigurationRecord. */
export function avcCodecString(avcC: Buffer): string {
  const r = parseAvcDecoderConfigurationRecord(avcC);
  return `avc1.${hex2(r.profileIdc)}${hex2(r.profileCompatibility)}${hex2(r.levelIdc)}`;
}

/** Reverse the 32 bits of `v` (general_profile_compatibility_flags are written in reverse bit order). */
function reverseBits32(v: number): number {
  let out = 0;
  for (let i = 0; i < 32; i++) {
    out = (out << 1) | ((v >>> i) & 1);
  }
  return out >>> 0;
}

/** `hvc1.…` from an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 E.3). */
export function hevcCodecString(hvcC: Buffer, sampleEntry: 'hvc1' | 'hev1' = 'hvc1'): string {
  const r = parseHevcDecoderConfigurationRecord(hvcC);
  const space = ['', 'A', 'B', 'C'][r.generalProfileSpace & 3]!;
  const parts = [
    sampleEntry,
    `${space}${r.generalProfileIdc}`,
    reverseBits32(r.generalProfileCompatibilityFlags).toString(16).toUpperCase(),
    `${r.generalTierFlag ? 'H' : 'L'}${r.generalLevelIdc}`,
  ];
  const flags = r.generalConstraintIndicatorFlags;
  let last = flags.length;
  while (last > 0 && flags[last - 1] === 0) last--;
  for (let i = 0; i < last; i++) parts.push(flags[i]!.toString(16).toUpperCase().padStart(2, '0'));
  return parts.join('.');
}

/** `mp4a.40.N` from an AudioSpecificConfig. */
export function aacCodecString(asc: Buffer): string {
  const c = parseAudioSpecificConfig(asc);
  // Implicit signalling (a sync extension after an AAC-LC config) still decodes as HE-AAC; announce what
  // the decoder will output, as ffmpeg's and GPAC's DASH writers do.
  const objectType = c.ps ? 29 : c.sbr ? 5 : c.objectType;
  return `mp4a.40.${objectType}`;
}

/** The Representation@codecs of a track. Throws ProtocolError for a malformed decoder configuration. */
export function codecsString(track: TrackInfo): string {
  switch (track.codec) {
    case 'h264':
      return avcCodecString(track.config);
    case 'h265':
      return hevcCodecString(track.config);
    case 'aac':
      return aacCodecString(track.config);
    case 'mp3':
      // Same objectTypeIndication rule as the esds the init segment carries.
      return (track.sampleRate ?? 44100) >= 32000 ? 'mp4a.6B' : 'mp4a.69';
    case 'opus':
      return 'opus';
  }
}
