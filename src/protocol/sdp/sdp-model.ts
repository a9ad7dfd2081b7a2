// Typed model of the SDP WebRTC uses (RFC 8866 syntax, RFC 8829 JSEP usage): a session and its
// media sections, with the attributes ICE, DTLS-SRTP and RTP negotiation read. Attributes the model
// has no field for are kept in `otherAttributes` so a parse/serialize round trip loses nothing.

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
/** DTLS role of the side that wrote the SDP (RFC 4145 §4, RFC 5763 §5). */
export type SdpSetup = 'actpass' | 'active' | 'passive' | 'holdconn';

/** A generic `a=name[:value]` line. */
export interface SdpAttribute {
  name: string;
  value?: string;
}

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

/** a=fingerprint (RFC 8122 §5): hash name and colon-separated uppercase hex. */
export interface SdpFingerprint {
  algorithm: string;
  value: string;
}

/** a=group (RFC 5888), e.g. BUNDLE 0 1 (RFC 9143). */
export interface SdpGroup {
  semantics: string;
  mids: string[];
}

/** One payload type: a=rtpmap, its a=fmtp and its a=rtcp-fb lines. */
export interface SdpCodec {
  payloadType: number;
  /** Encoding name as written (H264, opus, rtx, VP8...); compare case-insensitively. */
  name: string;
  clockRate: number;
  channels?: number;
  /** The a=fmtp parameter text, e.g. `level-asymmetry-allowed=1;packetization-mode=1`. */
  fmtp?: string;
  /** a=rtcp-fb values for this payload type, e.g. `nack`, `nack pli`, `transport-cc`. */
  rtcpFb: string[];
}

/** a=extmap (RFC 8285). */
export interface SdpExtmap {
  id: number;
  direction?: SdpDirection;
  uri: string;
  attributes?: string;
}

/** a=ssrc (RFC 5576 §4.1). */
export interface SdpSsrcAttribute {
  ssrc: number;
  attribute: string;
  value?: string;
}

/** a=ssrc-group, e.g. FID <primary> <rtx> (RFC 5576 §4.2). */
export interface SdpSsrcGroup {
  semantics: string;
  ssrcs: number[];
}

/** a=candidate (RFC 8839 §5.1). */
export interface SdpCandidate {
  foundation: string;
  component: number;
  transport: string;
  priority: number;
  address: string;
  port: number;
  type: 'host' | 'srflx' | 'prflx' | 'relay' | string;
  relatedAddress?: string;
  relatedPort?: number;
  /** ICE-TCP (RFC 6544 §4.5): active, passive or so. */
  tcpType?: string;
  /** Further name/value pairs (generation, ufrag, network-id...). */
  extensions: Array<[string, string]>;
}

export interface SdpMedia {
  /** audio, video, application. */
  kind: string;
  port: number;
  /** e.g. UDP/TLS/RTP/SAVPF. */
  protocol: string;
  /** Payload types (or `webrtc-datachannel`) in preference order, as on the m= line. */
  formats: string[];
  connection?: string;
  bandwidths: string[];
  mid?: string;
  direction?: SdpDirection;
  iceUfrag?: string;
  icePwd?: string;
  iceOptions?: string;
  fingerprint?: SdpFingerprint;
  setup?: SdpSetup;
  rtcpMux: boolean;
  rtcpRsize: boolean;
  /** a=rtcp (RFC 3605), kept verbatim. */
  rtcp?: string;
  msid?: string;
  codecs: SdpCodec[];
  /** a=rtcp-fb:* lines, which apply to every payload type. */
  rtcpFbAll: string[];
  extmaps: SdpExtmap[];
  ssrcs: SdpSsrcAttribute[];
  ssrcGroups: SdpSsrcGroup[];
  candidates: SdpCandidate[];
  endOfCandidates: boolean;
  otherAttributes: SdpAttribute[];
}

export interface SdpSession {
  version: number;
  origin: SdpOrigin;
  sessionName: string;
  timing: string;
  connection?: string;
  bandwidths: string[];
  groups: SdpGroup[];
  /** a=msid-semantic value, e.g. ` WMS *` is kept as `WMS *`. */
  msidSemantic?: string;
  iceLite: boolean;
  iceUfrag?: string;
  icePwd?: string;
  iceOptions?: string;
  fingerprint?: SdpFingerprint;
  setup?: SdpSetup;
  extmapAllowMixed: boolean;
  otherAttributes: SdpAttribute[];
  media: SdpMedia[];
}

export function emptyMedia(kind: string, port: number, protocol: string, formats: string[]): SdpMedia {
  return {
    kind,
    port,
    protocol,
    formats,
    bandwidths: [],
    rtcpMux: false,
    rtcpRsize: false,
    codecs: [],
    rtcpFbAll: [],
    extmaps: [],
    ssrcs: [],
    ssrcGroups: [],
    candidates: [],
    endOfCandidates: false,
    otherAttributes: [],
  };
}

/** `a=b;c=d` (a=fmtp parameters) into a map; keys keep their case, values are trimmed. */
export function parseFmtpParams(fmtp: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!fmtp) return out;
  for (const part of fmtp.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out.set(p, '');
    else out.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  return out;
}

/** The media section's ICE credentials, falling back to the session level (RFC 8839 §5.4). */
export function mediaIce(session: SdpSession, media: SdpMedia): { ufrag?: string; pwd?: string } {
  return { ufrag: media.iceUfrag ?? session.iceUfrag, pwd: media.icePwd ?? session.icePwd };
}
