// H.264 RTP payloads (RFC 6184), made once per frame and shared by every viewer (issue 12, point 3).
//
// What is shared across viewers is only the payload: the NAL unit views of the frame's codec view
// (no copies), cut into packets of at most `maxPayload` bytes: single NAL unit packets (5.6), one STAP-A
// (5.7.1) with the SPS/PPS before a keyframe, and FU-A fragments (5.8) for NAL units that do not fit.
// Each viewer then writes its own RTP header (rtp-header.ts: SSRC, sequence number, timestamp, its own
// header-extension ids) and encrypts into its own buffer. Payload parts are views or 1-2 byte prefixes:
// nothing here copies picture data.

import type { VideoFrame } from '../../kernel/media-frame.js';

/** One RTP payload: its parts in order (written back to back after the header) and the marker bit. */
export interface RtpPayload {
  readonly parts: readonly Buffer[];
  readonly size: number;
  /** RFC 6184 5.1: set on the last packet of an access unit. */
  readonly marker: boolean;
}

/** Typical payload budget: 1200-byte packets minus 12 header and room for extensions and SRTP. */
export const DEFAULT_MAX_PAYLOAD = 1100;

const NAL_TYPE_STAP_A = 24;
const NAL_TYPE_FU_A = 28;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;
const NAL_IDR = 5;

function payload(parts: Buffer[], marker: boolean): RtpPayload {
  let size = 0;
  for (const p of parts) size += p.length;
  return { parts, size, marker };
}

/**
 * The RTP payloads of one H.264 access unit. `parameterSets` (SPS, PPS of the current format) are sent
 * in a STAP-A before an IDR that does not carry its own, so a viewer joining at any keyframe can decode.
 * AUDs are dropped (RFC 6184 does not need them; WebRTC stacks ignore them).
 */
export function payloadH264(nalus: readonly Buffer[], parameterSets: readonly Buffer[] = [], maxPayload = DEFAULT_MAX_PAYLOAD): RtpPayload[] {
  const units = nalus.filter((n) => n.length > 0 && (n[0]! & 0x1f) !== NAL_AUD);
  const hasIdr = units.some((n) => (n[0]! & 0x1f) === NAL_IDR);
  const hasSets = units.some((n) => (n[0]! & 0x1f) === NAL_SPS || (n[0]! & 0x1f) === NAL_PPS);
  const out: RtpPayload[] = [];
  if (hasIdr && !hasSets && parameterSets.length > 0) {
    const stap = stapA(parameterSets, maxPayload);
    if (stap !== null) out.push(stap);
    else for (const ps of parameterSets) out.push(...fragment(ps, maxPayload, false));
  }
  for (let i = 0; i < units.length; i++) out.push(...fragment(units[i]!, maxPayload, i === units.length - 1));
  return out;
}

/** One STAP-A of several small NAL units (F and NRI: the maximum of the aggregated units), or null if it does not fit. */
function stapA(nalus: readonly Buffer[], maxPayload: number): RtpPayload | null {
  let size = 1;
  let nri = 0;
  for (const n of nalus) {
    size += 2 + n.length;
    nri = Math.max(nri, n[0]! & 0x60);
  }
  if (size > maxPayload) return null;
  // Small (parameter sets): one buffer for the whole aggregate, made once per keyframe for all viewers.
  const b = Buffer.allocUnsafe(size);
  b[0] = nri | NAL_TYPE_STAP_A;
  let p = 1;
  for (const n of nalus) {
    b.writeUInt16BE(n.length, p);
    n.copy(b, p + 2);
    p += 2 + n.length;
  }
  return payload([b], false);
}

/** A single NAL unit packet, or FU-A fragments: [FU indicator][FU header] + a view of the NAL unit body. */
function fragment(nalu: Buffer, maxPayload: number, last: boolean): RtpPayload[] {
  if (nalu.length <= maxPayload) return [payload([nalu], last)];
  const header = nalu[0]!;
  const indicator = (header & 0xe0) | NAL_TYPE_FU_A; // F, NRI of the unit
  const type = header & 0x1f;
  const chunk = maxPayload - 2;
  const out: RtpPayload[] = [];
  for (let pos = 1; pos < nalu.length; pos += chunk) {
    const end = Math.min(nalu.length, pos + chunk);
    const start = pos === 1;
    const stop = end === nalu.length;
    const fu = Buffer.from([indicator, (start ? 0x80 : 0) | (stop ? 0x40 : 0) | type]);
    out.push(payload([fu, nalu.subarray(pos, end)], last && stop));
  }
  return out;
}

/**
 * Per-source cache of a frame's RTP payloads: made by the first viewer that sends the frame, reused by
 * the others (keyed by the frame's codec view, which retimed copies share). Weak, so frames leave with
 * the GOP cache.
 */
export class SharedH264Payloads {
  private readonly cache = new WeakMap<object, RtpPayload[]>();

  constructor(private readonly maxPayload = DEFAULT_MAX_PAYLOAD) {}

  /** Payloads of a coded H.264 frame; [] for other frames. Throws ProtocolError for malformed NAL unit lengths. */
  of(frame: VideoFrame, parameterSets: readonly Buffer[] = [], naluLengthSize: 1 | 2 | 4 = 4): RtpPayload[] {
    if (frame.codec !== 'h264' || frame.view.packet !== 'coded') return [];
    let p = this.cache.get(frame.view);
    if (p === undefined) {
      p = payloadH264(frame.view.nalus(naluLengthSize), parameterSets, this.maxPayload);
      this.cache.set(frame.view, p);
    }
    return p;
  }
}
