// Server-side offer/answer (RFC 3264, JSEP RFC 8829 §5.3) for WebRTC publish and play. The browser
// offers; we pick one codec per media section (H.264 packetization-mode 1 by profile preference,
// Opus; VP8/VP9/AV1 when the caller asks for them), keep the RTCP feedback and header extensions the
// server uses, add RTX when offered, and answer as an ICE-lite, rtcp-mux, BUNDLE endpoint.

import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { parseH264ProfileLevelId, type H264Profile } from './h264-profile.js';
import {
  emptyMedia,
  mediaIce,
  parseFmtpParams,
  type SdpCandidate,
  type SdpCodec,
  type SdpDirection,
  type SdpExtmap,
  type SdpFingerprint,
  type SdpMedia,
  type SdpSession,
  type SdpSetup,
} from './sdp-model.js';
import { parseSdp } from './sdp-parse.js';
import { serializeSdp } from './sdp-serialize.js';

/** publish: the browser sends (offers sendonly); play: the browser receives (offers recvonly). */
export type RtcRole = 'publish' | 'play';
export type VideoCodecName = 'H264' | 'VP8' | 'VP9' | 'AV1';
export type AudioCodecName = 'opus';

export const RtpExtensionUri = {
  TransportWideCc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  AbsSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  Mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
} as const;

/** One UDP or TCP address the server listens on (`rtc_server.candidate`, `listen`). */
export interface LocalCandidate {
  address: string;
  port: number;
  transport?: 'udp' | 'tcp';
  /** Defaults to a host-candidate priority (RFC 8445 §5.1.2.1), UDP above TCP. */
  priority?: number;
}

/** What the server sends on a play session, per kind; SSRCs are the caller's (random, unique). */
export interface LocalSendTrack {
  ssrc: number;
  /** Only used when RTX is negotiated. */
  rtxSsrc?: number;
}

export interface AnswerOptions {
  role: RtcRole;
  iceUfrag: string;
  icePwd: string;
  /** Our DTLS certificate fingerprint, e.g. sha-256 AB:CD:... */
  fingerprint: SdpFingerprint;
  /**
   * Our DTLS role when the offer leaves it to us (actpass): passive (the default, as SRS) or active.
   * An offer that fixes its own role wins (RFC 5763 §5).
   */
  dtlsRole?: 'passive' | 'active';
  candidates: LocalCandidate[];
  /** Video codecs we accept, most preferred first. Default ['H264']. */
  videoCodecs?: VideoCodecName[];
  audioCodecs?: AudioCodecName[];
  /** H.264 profiles we accept, most preferred first. Default: Constrained Baseline, Baseline, Main, High. */
  h264Profiles?: H264Profile[];
  /** Answer RTX when the offer has it for the chosen codec. Default true. */
  rtx?: boolean;
  /** Keep transport-cc (feedback and header extension). Default true. */
  twcc?: boolean;
  /** Play only: the SSRCs we send, announced with a=ssrc / a=ssrc-group FID. */
  sendTracks?: { audio?: LocalSendTrack; video?: LocalSendTrack };
  /** a=ssrc cname and msid stream id for play. */
  cname?: string;
  streamId?: string;
  /** o= session id and version; default fixed values (the caller may pass random ones). */
  sessionId?: string;
  sessionVersion?: string;
}

export interface NegotiatedCodec {
  payloadType: number;
  name: string;
  clockRate: number;
  channels?: number;
  fmtp?: string;
  rtcpFb: string[];
}

/** One accepted media section, with what the server needs for RTP. */
export interface NegotiatedMedia {
  mid: string;
  kind: 'audio' | 'video';
  /** Our direction in the answer. */
  direction: SdpDirection;
  codec: NegotiatedCodec;
  rtx?: { payloadType: number; apt: number };
  extmaps: SdpExtmap[];
  /** The browser's SSRCs for this section (publish): primary, and its RTX by FID group. */
  remoteSsrc?: number;
  remoteRtxSsrc?: number;
  /** a=msid of the offer. */
  remoteMsid?: string;
}

export interface RejectedMedia {
  mid?: string;
  kind: string;
  reason: string;
}

export interface Negotiation {
  answer: SdpSession;
  answerSdp: string;
  media: NegotiatedMedia[];
  rejected: RejectedMedia[];
  remoteIce: { ufrag: string; pwd: string };
  remoteFingerprint: SdpFingerprint;
  /** Our DTLS role: 'passive' waits for the ClientHello, 'active' sends it. */
  localSetup: 'active' | 'passive';
  /** Mids in the answer's BUNDLE group; empty when the offer did not bundle. */
  bundleMids: string[];
}

const DEFAULT_H264_PROFILES: H264Profile[] = ['constrained-baseline', 'baseline', 'main', 'high'];
const VIDEO_FEEDBACK = ['nack', 'nack pli', 'ccm fir', 'transport-cc'];
const AUDIO_FEEDBACK = ['nack', 'transport-cc'];
/** Payload types that only wrap or repair another codec: not worth naming in an error. */
const HELPER_CODECS = ['rtx', 'red', 'ulpfec', 'flexfec-03', 'cn', 'telephone-event'];

function exchangeError(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.RtcSdpExchange, `SDP offer/answer: ${message}`);
}

/**
 * Answers a browser offer. Throws ProtocolError: RtcSdpDecode for unparsable text, RtcSdpExchange
 * when the offer lacks ICE credentials, a DTLS fingerprint or rtcp-mux, or no media section has a
 * usable codec (the message lists what was offered).
 */
export function negotiateAnswer(offerInput: SdpSession | string, options: AnswerOptions): Negotiation {
  const offer = typeof offerInput === 'string' ? parseSdp(offerInput) : offerInput;
  const bundle = offer.groups.find((g) => g.semantics === 'BUNDLE');
  const first = offer.media.find((m) => m.port !== 0 && (m.kind === 'audio' || m.kind === 'video'));
  if (!first) throw exchangeError('no audio or video section in the offer');
  const ice = mediaIce(offer, first);
  if (!ice.ufrag || !ice.pwd) throw exchangeError('offer has no a=ice-ufrag / a=ice-pwd');
  const remoteFingerprint = first.fingerprint ?? offer.fingerprint;
  if (!remoteFingerprint) throw exchangeError('offer has no a=fingerprint (DTLS-SRTP required)');
  const localSetup = chooseSetup(first.setup ?? offer.setup, options.dtlsRole ?? 'passive');

  const answer: SdpSession = {
    version: 0,
    origin: {
      username: 'tsrs',
      sessionId: options.sessionId ?? '4611731400430051336',
      sessionVersion: options.sessionVersion ?? '2',
      netType: 'IN',
      addrType: 'IP4',
      address: '127.0.0.1',
    },
    sessionName: 'tsrs',
    timing: '0 0',
    bandwidths: [],
    groups: [],
    msidSemantic: options.role === 'play' ? `WMS ${options.streamId ?? 'tsrs'}` : 'WMS',
    iceLite: true,
    extmapAllowMixed: false,
    otherAttributes: [],
    media: [],
  };
  const negotiated: NegotiatedMedia[] = [];
  const rejected: RejectedMedia[] = [];

  for (const m of offer.media) {
    const result = negotiateMedia(offer, m, options);
    if (typeof result === 'string') {
      rejected.push({ ...(m.mid !== undefined ? { mid: m.mid } : {}), kind: m.kind, reason: result });
      answer.media.push(rejectedSection(m));
      continue;
    }
    negotiated.push(result.negotiated);
    answer.media.push(buildSection(result.negotiated, m, options, localSetup));
  }
  if (negotiated.length === 0) {
    const reasons = rejected.map((r) => `${r.kind}${r.mid !== undefined ? ` mid=${r.mid}` : ''}: ${r.reason}`).join('; ');
    throw exchangeError(`no usable media section in the offer: ${reasons}`);
  }
  const accepted = new Set(negotiated.map((n) => n.mid));
  // RFC 8843 §7.3: the answer has a BUNDLE group only when the offer had one, holding the accepted
  // mids. Without it every section still carries our (single-port) candidates and credentials.
  const bundleMids = bundle ? bundle.mids.filter((mid) => accepted.has(mid)) : [];
  if (bundle && bundleMids.length > 0) answer.groups.push({ semantics: 'BUNDLE', mids: bundleMids });
  return {
    answer,
    answerSdp: serializeSdp(answer),
    media: negotiated,
    rejected,
    remoteIce: { ufrag: ice.ufrag, pwd: ice.pwd },
    remoteFingerprint,
    localSetup,
    bundleMids,
  };
}

/** RFC 5763 §5: the offerer says actpass (we choose), active (we are passive) or passive (we are active). */
function chooseSetup(offered: SdpSetup | undefined, preferred: 'passive' | 'active'): 'active' | 'passive' {
  if (offered === 'active') return 'passive';
  if (offered === 'passive') return 'active';
  return preferred;
}

function wantedDirection(role: RtcRole, offered: SdpDirection): SdpDirection | undefined {
  // The browser's sendonly is our recvonly; sendrecv is fine either way (we use one half of it).
  if (role === 'publish') return offered === 'sendonly' || offered === 'sendrecv' ? 'recvonly' : undefined;
  return offered === 'recvonly' || offered === 'sendrecv' ? 'sendonly' : undefined;
}

function negotiateMedia(offer: SdpSession, m: SdpMedia, o: AnswerOptions): { negotiated: NegotiatedMedia } | string {
  if (m.kind !== 'audio' && m.kind !== 'video') return `${m.kind} sections are not supported`;
  if (m.port === 0) return 'rejected by the offerer (port 0)';
  if (m.mid === undefined) return 'no a=mid';
  if (!m.protocol.includes('SAVPF') && !m.protocol.includes('SAVP')) return `protocol ${m.protocol} is not DTLS-SRTP`;
  if (!m.rtcpMux) return 'no a=rtcp-mux (the server multiplexes RTP and RTCP on one port)';
  const offeredDir = m.direction ?? 'sendrecv';
  const direction = wantedDirection(o.role, offeredDir);
  if (!direction) return `direction ${offeredDir} does not fit ${o.role}`;
  const ice = mediaIce(offer, m);
  if (!ice.ufrag || !ice.pwd) return 'no ICE credentials';

  const codec = m.kind === 'video' ? pickVideo(m, o) : pickAudio(m, o);
  if (!codec) {
    const want = m.kind === 'video' ? (o.videoCodecs ?? ['H264']).join('/') : (o.audioCodecs ?? ['opus']).join('/');
    const offered = [...new Set(m.codecs.filter((c) => !HELPER_CODECS.includes(c.name.toLowerCase())).map(describe))];
    return `no usable codec (want ${want}${m.kind === 'video' ? ' with packetization-mode=1' : ''}, offered ${offered.join(', ') || 'none'})`;
  }
  const twcc = o.twcc ?? true;
  const allowedFb = (m.kind === 'video' ? VIDEO_FEEDBACK : AUDIO_FEEDBACK).filter((f) => twcc || f !== 'transport-cc');
  const offeredFb = [...codec.rtcpFb, ...m.rtcpFbAll];
  const rtcpFb = allowedFb.filter((f) => offeredFb.includes(f));
  const chosen: NegotiatedCodec = {
    payloadType: codec.payloadType,
    name: codec.name,
    clockRate: codec.clockRate,
    rtcpFb,
    ...(codec.channels !== undefined ? { channels: codec.channels } : {}),
    ...(codec.fmtp !== undefined ? { fmtp: codec.fmtp } : {}),
  };
  const negotiated: NegotiatedMedia = { mid: m.mid, kind: m.kind, direction, codec: chosen, extmaps: pickExtmaps(m, twcc) };
  if ((o.rtx ?? true) && m.kind === 'video') {
    const rtx = m.codecs.find(
      (c) => c.name.toLowerCase() === 'rtx' && parseFmtpParams(c.fmtp).get('apt') === String(codec.payloadType),
    );
    if (rtx) negotiated.rtx = { payloadType: rtx.payloadType, apt: codec.payloadType };
  }
  if (m.msid !== undefined) negotiated.remoteMsid = m.msid;
  if (o.role === 'publish') {
    const fid = m.ssrcGroups.find((g) => g.semantics === 'FID' && g.ssrcs.length >= 2);
    const primary = fid?.ssrcs[0] ?? m.ssrcs[0]?.ssrc;
    if (primary !== undefined) negotiated.remoteSsrc = primary;
    if (fid && negotiated.rtx) negotiated.remoteRtxSsrc = fid.ssrcs[1]!;
  }
  return { negotiated };
}

function describe(c: SdpCodec): string {
  const pm = parseFmtpParams(c.fmtp);
  const extra = c.name.toLowerCase() === 'h264' ? `(${pm.get('profile-level-id') ?? '-'},pm=${pm.get('packetization-mode') ?? '0'})` : '';
  return `${c.name}${extra}`;
}

function pickVideo(m: SdpMedia, o: AnswerOptions): SdpCodec | undefined {
  for (const want of o.videoCodecs ?? ['H264']) {
    const candidates = m.codecs.filter((c) => c.name.toUpperCase() === want && c.clockRate === 90000);
    if (want !== 'H264') {
      if (candidates[0]) return candidates[0];
      continue;
    }
    // RFC 6184 §8.2.2: the answer keeps the offered profile; we only choose among offered ones.
    // packetization-mode 1 (non-interleaved: STAP-A, FU-A) is what the server's payloader writes.
    const profiles = o.h264Profiles ?? DEFAULT_H264_PROFILES;
    let best: SdpCodec | undefined;
    let bestRank = Infinity;
    for (const c of candidates) {
      const p = parseFmtpParams(c.fmtp);
      if (p.get('packetization-mode') !== '1') continue;
      const pl = parseH264ProfileLevelId(p.get('profile-level-id'));
      if (!pl) continue;
      const rank = profiles.indexOf(pl.profile);
      if (rank >= 0 && rank < bestRank) {
        best = c;
        bestRank = rank;
      }
    }
    if (best) return best;
  }
  return undefined;
}

function pickAudio(m: SdpMedia, o: AnswerOptions): SdpCodec | undefined {
  for (const want of o.audioCodecs ?? ['opus']) {
    const c = m.codecs.find((x) => x.name.toLowerCase() === want && x.clockRate === 48000 && (x.channels ?? 1) === 2);
    if (c) return c;
  }
  return undefined;
}

/** Header extensions the server reads or writes, under the ids the browser chose (RFC 8285 §6). */
function pickExtmaps(m: SdpMedia, twcc: boolean): SdpExtmap[] {
  const wanted: string[] = [RtpExtensionUri.AbsSendTime, RtpExtensionUri.Mid];
  if (twcc) wanted.push(RtpExtensionUri.TransportWideCc);
  return m.extmaps.filter((e) => wanted.includes(e.uri)).map((e) => ({ id: e.id, uri: e.uri }));
}

function rejectedSection(m: SdpMedia): SdpMedia {
  // RFC 3264 §6: a rejected stream has port 0 and keeps one format from the offer.
  const s = emptyMedia(m.kind, 0, m.protocol, m.formats.slice(0, 1));
  s.connection = 'IN IP4 0.0.0.0';
  if (m.mid !== undefined) s.mid = m.mid;
  s.direction = 'inactive';
  return s;
}

function buildSection(n: NegotiatedMedia, offered: SdpMedia, o: AnswerOptions, setup: 'active' | 'passive'): SdpMedia {
  const formats = [String(n.codec.payloadType), ...(n.rtx ? [String(n.rtx.payloadType)] : [])];
  const s = emptyMedia(n.kind, 9, offered.protocol, formats);
  s.connection = 'IN IP4 0.0.0.0';
  s.iceUfrag = o.iceUfrag;
  s.icePwd = o.icePwd;
  s.fingerprint = o.fingerprint;
  s.setup = setup;
  s.mid = n.mid;
  s.extmaps = n.extmaps;
  s.direction = n.direction;
  s.rtcpMux = true;
  s.rtcpRsize = offered.rtcpRsize;
  s.codecs.push({ ...n.codec, rtcpFb: [...n.codec.rtcpFb] });
  if (n.rtx) s.codecs.push({ payloadType: n.rtx.payloadType, name: 'rtx', clockRate: n.codec.clockRate, fmtp: `apt=${n.rtx.apt}`, rtcpFb: [] });
  const track = o.role === 'play' ? o.sendTracks?.[n.kind] : undefined;
  if (track) {
    const stream = o.streamId ?? 'tsrs';
    const trackId = `${stream}-${n.kind}`;
    s.msid = `${stream} ${trackId}`;
    const cname = o.cname ?? 'tsrs';
    const ssrcs = [track.ssrc];
    if (n.rtx && track.rtxSsrc !== undefined) {
      ssrcs.push(track.rtxSsrc);
      s.ssrcGroups.push({ semantics: 'FID', ssrcs: [track.ssrc, track.rtxSsrc] });
    }
    for (const ssrc of ssrcs) {
      s.ssrcs.push({ ssrc, attribute: 'cname', value: cname }, { ssrc, attribute: 'msid', value: `${stream} ${trackId}` });
    }
  }
  s.candidates = o.candidates.map((c, i) => toSdpCandidate(c, i));
  if (s.candidates.length > 0) s.endOfCandidates = true;
  return s;
}

function toSdpCandidate(c: LocalCandidate, index: number): SdpCandidate {
  const transport = c.transport ?? 'udp';
  // Host type preference 126; local preference keeps the configured order, UDP before TCP.
  const local = 65535 - index - (transport === 'tcp' ? 32768 : 0);
  const priority = c.priority ?? (126 * 2 ** 24 + local * 2 ** 8 + 255);
  return {
    foundation: String(index),
    component: 1,
    transport,
    priority,
    address: c.address,
    port: c.port,
    type: 'host',
    ...(transport === 'tcp' ? { tcpType: 'passive' } : {}),
    extensions: [['generation', '0']],
  };
}
