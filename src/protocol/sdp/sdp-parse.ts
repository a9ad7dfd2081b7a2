// SDP text -> typed model (RFC 8866 §5 syntax). Lenient where browsers differ (line endings,
// attribute order, unknown attributes) and strict where a wrong value would mislead negotiation
// (numbers, payload types, the v=/o=/s=/t= order). Malformed input throws ProtocolError
// (RtcSdpDecode) naming the line.

import { ErrorCode, ProtocolError } from '../../core/errors.js';
import {
  emptyMedia,
  type SdpCandidate,
  type SdpCodec,
  type SdpDirection,
  type SdpFingerprint,
  type SdpMedia,
  type SdpSession,
  type SdpSetup,
} from './sdp-model.js';

/** Browsers send a few KiB; this bounds the work a hostile body can cause. */
export const SDP_MAX_LENGTH = 256 * 1024;
const DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
const SETUPS: readonly string[] = ['actpass', 'active', 'passive', 'holdconn'];
/** Static payload types (RFC 3551 §6) that browsers list without a=rtpmap. */
const STATIC_PT: Record<number, [string, number, number?]> = {
  0: ['PCMU', 8000, 1],
  8: ['PCMA', 8000, 1],
  9: ['G722', 8000, 1],
  13: ['CN', 8000, 1],
};

function fail(lineNo: number, line: string, why: string): ProtocolError {
  const shown = line.length > 80 ? `${line.slice(0, 80)}...` : line;
  return new ProtocolError(ErrorCode.RtcSdpDecode, `SDP line ${lineNo}: ${why}: ${JSON.stringify(shown)}`);
}

function int(text: string | undefined, max: number): number | undefined {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  const v = Number(text);
  return v <= max ? v : undefined;
}

export function parseSdp(text: string): SdpSession {
  if (typeof text !== 'string') throw new ProtocolError(ErrorCode.RtcSdpDecode, 'SDP: not text');
  if (text.length > SDP_MAX_LENGTH) throw new ProtocolError(ErrorCode.RtcSdpDecode, `SDP: ${text.length} bytes exceeds ${SDP_MAX_LENGTH}`);
  const lines = text.split(/\r?\n/);
  const session: SdpSession = {
    version: -1,
    origin: { username: '', sessionId: '', sessionVersion: '', netType: '', addrType: '', address: '' },
    sessionName: '',
    timing: '',
    bandwidths: [],
    groups: [],
    iceLite: false,
    extmapAllowMixed: false,
    otherAttributes: [],
    media: [],
  };
  let media: SdpMedia | undefined;
  let sawOrigin = false;
  let sawName = false;
  let sawTiming = false;
  // a=fmtp / a=rtcp-fb may come before the a=rtpmap of their payload type: attach at section end.
  let pending: PendingCodecs = newPending();

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    if (line === '') continue;
    if (line.length < 2 || line[1] !== '=' || !/^[a-z]$/.test(line[0]!)) throw fail(lineNo, line, 'not `<type>=<value>`');
    const type = line[0]!;
    const value = line.slice(2);
    if (session.version < 0 && type !== 'v') throw fail(lineNo, line, 'SDP must start with v=');
    switch (type) {
      case 'v':
        if (session.version >= 0) throw fail(lineNo, line, 'second v=');
        if (value !== '0') throw fail(lineNo, line, 'unsupported version');
        session.version = 0;
        break;
      case 'o': {
        const f = value.split(' ');
        if (f.length !== 6 || media) throw fail(lineNo, line, 'bad o=');
        session.origin = { username: f[0]!, sessionId: f[1]!, sessionVersion: f[2]!, netType: f[3]!, addrType: f[4]!, address: f[5]! };
        sawOrigin = true;
        break;
      }
      case 's':
        if (!media) {
          session.sessionName = value;
          sawName = true;
        }
        break;
      case 't':
        if (!media) {
          session.timing = value;
          sawTiming = true;
        }
        break;
      case 'c':
        if (media) media.connection = value;
        else session.connection = value;
        break;
      case 'b':
        (media ?? session).bandwidths.push(value);
        break;
      case 'm': {
        if (media) finishMedia(media, pending, lineNo);
        pending = newPending();
        const f = value.split(' ');
        const port = int(f[1]?.split('/')[0], 65535);
        if (f.length < 4 || port === undefined || !f[0]) throw fail(lineNo, line, 'bad m=');
        media = emptyMedia(f[0], port, f[2]!, f.slice(3).filter((x) => x !== ''));
        session.media.push(media);
        break;
      }
      case 'a':
        parseAttribute(session, media, pending, value, lineNo, line);
        break;
      default:
        // i=, u=, e=, p=, z=, k=, r= carry nothing WebRTC negotiation reads (RFC 8866 §5).
        break;
    }
  }
  if (session.version < 0) throw new ProtocolError(ErrorCode.RtcSdpDecode, 'SDP: empty');
  if (!sawOrigin || !sawName || !sawTiming) throw new ProtocolError(ErrorCode.RtcSdpDecode, 'SDP: missing o=, s= or t=');
  if (media) finishMedia(media, pending, lines.length);
  return session;
}

interface PendingCodecs {
  fmtp: Map<number, string>;
  fb: Map<number, string[]>;
}

function newPending(): PendingCodecs {
  return { fmtp: new Map(), fb: new Map() };
}

function finishMedia(m: SdpMedia, pending: PendingCodecs, lineNo: number): void {
  const byPt = new Map<number, SdpCodec>(m.codecs.map((c) => [c.payloadType, c]));
  if (m.protocol.includes('RTP')) {
    // Codecs follow the m= line's order; a static payload type may lack a=rtpmap.
    const ordered: SdpCodec[] = [];
    for (const f of m.formats) {
      const pt = int(f, 127);
      if (pt === undefined) throw fail(lineNo, f, `payload type ${JSON.stringify(f)} on the m=${m.kind} line`);
      let codec = byPt.get(pt);
      if (!codec && STATIC_PT[pt]) {
        const [name, clockRate, channels] = STATIC_PT[pt]!;
        codec = { payloadType: pt, name, clockRate, channels, rtcpFb: [] };
      }
      if (codec) ordered.push(codec);
    }
    m.codecs = ordered;
  }
  for (const c of m.codecs) {
    const fmtp = pending.fmtp.get(c.payloadType);
    if (fmtp !== undefined) c.fmtp = fmtp;
    c.rtcpFb = pending.fb.get(c.payloadType) ?? [];
  }
}

function parseAttribute(
  session: SdpSession,
  media: SdpMedia | undefined,
  pending: PendingCodecs,
  attr: string,
  lineNo: number,
  line: string,
): void {
  const colon = attr.indexOf(':');
  const name = colon < 0 ? attr : attr.slice(0, colon);
  const value = colon < 0 ? undefined : attr.slice(colon + 1);
  const need = (): string => {
    if (value === undefined || value === '') throw fail(lineNo, line, `a=${name} without a value`);
    return value;
  };
  const scope = media ?? session;
  if (DIRECTIONS.includes(name) && value === undefined) {
    if (media) media.direction = name as SdpDirection;
    else session.otherAttributes.push({ name });
    return;
  }
  switch (name) {
    case 'ice-ufrag':
      scope.iceUfrag = need();
      return;
    case 'ice-pwd':
      scope.icePwd = need();
      return;
    case 'ice-options':
      scope.iceOptions = need();
      return;
    case 'fingerprint':
      scope.fingerprint = parseFingerprint(need(), lineNo, line);
      return;
    case 'setup': {
      const v = need();
      if (!SETUPS.includes(v)) throw fail(lineNo, line, 'unknown setup role');
      scope.setup = v as SdpSetup;
      return;
    }
    case 'extmap-allow-mixed':
      if (!media) {
        session.extmapAllowMixed = true;
        return;
      }
      break;
    case 'ice-lite':
      if (!media) {
        session.iceLite = true;
        return;
      }
      break;
    case 'group':
      if (!media) {
        const f = need().split(' ').filter((x) => x !== '');
        session.groups.push({ semantics: f[0]!, mids: f.slice(1) });
        return;
      }
      break;
    case 'msid-semantic':
      if (!media) {
        session.msidSemantic = need().trim();
        return;
      }
      break;
  }
  if (!media) {
    session.otherAttributes.push(value === undefined ? { name } : { name, value });
    return;
  }
  switch (name) {
    case 'mid':
      media.mid = need();
      return;
    case 'rtcp-mux':
      media.rtcpMux = true;
      return;
    case 'rtcp-rsize':
      media.rtcpRsize = true;
      return;
    case 'rtcp':
      media.rtcp = need();
      return;
    case 'msid':
      media.msid = need();
      return;
    case 'end-of-candidates':
      media.endOfCandidates = true;
      return;
    case 'rtpmap': {
      // <pt> <name>/<clock rate>[/<channels>]
      const m = /^(\d{1,3}) ([^/\s]+)\/(\d{1,10})(?:\/(\d{1,3}))?$/.exec(need().trim());
      const pt = int(m?.[1], 127);
      const clockRate = int(m?.[3], 0xffffffff);
      if (!m || pt === undefined || clockRate === undefined) throw fail(lineNo, line, 'bad a=rtpmap');
      if (media.codecs.some((c) => c.payloadType === pt)) throw fail(lineNo, line, `second a=rtpmap for ${pt}`);
      const codec: SdpCodec = { payloadType: pt, name: m[2]!, clockRate, rtcpFb: [] };
      if (m[4] !== undefined) codec.channels = Number(m[4]);
      media.codecs.push(codec);
      return;
    }
    case 'fmtp': {
      const v = need();
      const sp = v.indexOf(' ');
      const pt = int(sp < 0 ? v : v.slice(0, sp), 127);
      if (pt === undefined) throw fail(lineNo, line, 'bad a=fmtp payload type');
      pending.fmtp.set(pt, sp < 0 ? '' : v.slice(sp + 1).trim());
      return;
    }
    case 'rtcp-fb': {
      const v = need();
      const sp = v.indexOf(' ');
      const key = sp < 0 ? v : v.slice(0, sp);
      const fb = sp < 0 ? '' : v.slice(sp + 1).trim();
      if (fb === '') throw fail(lineNo, line, 'a=rtcp-fb without a feedback type');
      if (key === '*') {
        media.rtcpFbAll.push(fb);
        return;
      }
      const pt = int(key, 127);
      if (pt === undefined) throw fail(lineNo, line, 'bad a=rtcp-fb payload type');
      const list = pending.fb.get(pt) ?? [];
      list.push(fb);
      pending.fb.set(pt, list);
      return;
    }
    case 'extmap': {
      // <id>[/<direction>] <uri> [<attributes>]
      const m = /^(\d{1,5})(?:\/(\w+))? (\S+)(?: (.*))?$/.exec(need().trim());
      const id = int(m?.[1], 4095);
      if (!m || id === undefined || id === 0) throw fail(lineNo, line, 'bad a=extmap');
      if (m[2] !== undefined && !DIRECTIONS.includes(m[2])) throw fail(lineNo, line, 'bad a=extmap direction');
      media.extmaps.push({
        id,
        uri: m[3]!,
        ...(m[2] !== undefined ? { direction: m[2] as SdpDirection } : {}),
        ...(m[4] !== undefined ? { attributes: m[4] } : {}),
      });
      return;
    }
    case 'ssrc': {
      const m = /^(\d{1,10}) ([^:\s]+)(?::(.*))?$/.exec(need().trim());
      const ssrc = int(m?.[1], 0xffffffff);
      if (!m || ssrc === undefined) throw fail(lineNo, line, 'bad a=ssrc');
      media.ssrcs.push(m[3] !== undefined ? { ssrc, attribute: m[2]!, value: m[3] } : { ssrc, attribute: m[2]! });
      return;
    }
    case 'ssrc-group': {
      const f = need().trim().split(/\s+/);
      const ssrcs = f.slice(1).map((s) => int(s, 0xffffffff));
      if (f.length < 2 || ssrcs.some((s) => s === undefined)) throw fail(lineNo, line, 'bad a=ssrc-group');
      media.ssrcGroups.push({ semantics: f[0]!, ssrcs: ssrcs as number[] });
      return;
    }
    case 'candidate':
      media.candidates.push(parseCandidate(need(), lineNo, line));
      return;
  }
  media.otherAttributes.push(value === undefined ? { name } : { name, value });
}

function parseFingerprint(v: string, lineNo: number, line: string): SdpFingerprint {
  const m = /^(\S+) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)$/.exec(v.trim());
  if (!m) throw fail(lineNo, line, 'bad a=fingerprint');
  return { algorithm: m[1]!.toLowerCase(), value: m[2]!.toUpperCase() };
}

/** `candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...`. */
export function parseCandidate(v: string, lineNo = 0, line = v): SdpCandidate {
  const f = v.trim().replace(/^candidate:/, '').split(/\s+/);
  const component = int(f[1], 256);
  const priority = int(f[3], 0xffffffff);
  const port = int(f[5], 65535);
  if (f.length < 8 || component === undefined || priority === undefined || port === undefined || f[6] !== 'typ') {
    throw fail(lineNo, line, 'bad a=candidate');
  }
  const c: SdpCandidate = {
    foundation: f[0]!,
    component,
    transport: f[2]!.toLowerCase(),
    priority,
    address: f[4]!,
    port,
    type: f[7]!,
    extensions: [],
  };
  for (let i = 8; i + 1 < f.length; i += 2) {
    const key = f[i]!;
    const val = f[i + 1]!;
    if (key === 'raddr') c.relatedAddress = val;
    else if (key === 'rport') {
      const rp = int(val, 65535);
      if (rp === undefined) throw fail(lineNo, line, 'bad candidate rport');
      c.relatedPort = rp;
    } else if (key === 'tcptype') c.tcpType = val;
    else c.extensions.push([key, val]);
  }
  return c;
}
