// Typed model -> SDP text, CRLF line ends (RFC 8866 §5), attributes in the order Chromium writes them
// so an answer reads like the ones browsers are tested against.

import type { SdpAttribute, SdpCandidate, SdpMedia, SdpSession } from './sdp-model.js';

export function serializeSdp(s: SdpSession): string {
  const out: string[] = [];
  const o = s.origin;
  out.push('v=0', `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  out.push(`s=${s.sessionName}`);
  if (s.connection !== undefined) out.push(`c=${s.connection}`);
  for (const b of s.bandwidths) out.push(`b=${b}`);
  out.push(`t=${s.timing}`);
  if (s.iceLite) out.push('a=ice-lite');
  if (s.iceUfrag !== undefined) out.push(`a=ice-ufrag:${s.iceUfrag}`);
  if (s.icePwd !== undefined) out.push(`a=ice-pwd:${s.icePwd}`);
  if (s.iceOptions !== undefined) out.push(`a=ice-options:${s.iceOptions}`);
  if (s.fingerprint) out.push(`a=fingerprint:${s.fingerprint.algorithm} ${s.fingerprint.value}`);
  if (s.setup) out.push(`a=setup:${s.setup}`);
  for (const g of s.groups) out.push(`a=group:${[g.semantics, ...g.mids].join(' ')}`);
  if (s.extmapAllowMixed) out.push('a=extmap-allow-mixed');
  if (s.msidSemantic !== undefined) out.push(`a=msid-semantic: ${s.msidSemantic}`);
  pushOther(out, s.otherAttributes);
  for (const m of s.media) serializeMedia(out, m);
  return `${out.join('\r\n')}\r\n`;
}

function serializeMedia(out: string[], m: SdpMedia): void {
  out.push(`m=${m.kind} ${m.port} ${m.protocol} ${m.formats.join(' ')}`);
  if (m.connection !== undefined) out.push(`c=${m.connection}`);
  for (const b of m.bandwidths) out.push(`b=${b}`);
  if (m.rtcp !== undefined) out.push(`a=rtcp:${m.rtcp}`);
  for (const c of m.candidates) out.push(`a=${serializeCandidate(c)}`);
  if (m.endOfCandidates) out.push('a=end-of-candidates');
  if (m.iceUfrag !== undefined) out.push(`a=ice-ufrag:${m.iceUfrag}`);
  if (m.icePwd !== undefined) out.push(`a=ice-pwd:${m.icePwd}`);
  if (m.iceOptions !== undefined) out.push(`a=ice-options:${m.iceOptions}`);
  if (m.fingerprint) out.push(`a=fingerprint:${m.fingerprint.algorithm} ${m.fingerprint.value}`);
  if (m.setup) out.push(`a=setup:${m.setup}`);
  if (m.mid !== undefined) out.push(`a=mid:${m.mid}`);
  for (const e of m.extmaps) {
    const dir = e.direction ? `/${e.direction}` : '';
    out.push(`a=extmap:${e.id}${dir} ${e.uri}${e.attributes !== undefined ? ` ${e.attributes}` : ''}`);
  }
  if (m.direction) out.push(`a=${m.direction}`);
  if (m.msid !== undefined) out.push(`a=msid:${m.msid}`);
  if (m.rtcpMux) out.push('a=rtcp-mux');
  if (m.rtcpRsize) out.push('a=rtcp-rsize');
  for (const fb of m.rtcpFbAll) out.push(`a=rtcp-fb:* ${fb}`);
  for (const c of m.codecs) {
    out.push(`a=rtpmap:${c.payloadType} ${c.name}/${c.clockRate}${c.channels !== undefined ? `/${c.channels}` : ''}`);
    for (const fb of c.rtcpFb) out.push(`a=rtcp-fb:${c.payloadType} ${fb}`);
    if (c.fmtp !== undefined) out.push(`a=fmtp:${c.payloadType} ${c.fmtp}`);
  }
  for (const g of m.ssrcGroups) out.push(`a=ssrc-group:${[g.semantics, ...g.ssrcs].join(' ')}`);
  for (const a of m.ssrcs) out.push(`a=ssrc:${a.ssrc} ${a.attribute}${a.value !== undefined ? `:${a.value}` : ''}`);
  pushOther(out, m.otherAttributes);
}

export function serializeCandidate(c: SdpCandidate): string {
  const f = [`candidate:${c.foundation}`, c.component, c.transport, c.priority, c.address, c.port, 'typ', c.type];
  if (c.relatedAddress !== undefined) f.push('raddr', c.relatedAddress);
  if (c.relatedPort !== undefined) f.push('rport', c.relatedPort);
  if (c.tcpType !== undefined) f.push('tcptype', c.tcpType);
  for (const [k, v] of c.extensions) f.push(k, v);
  return f.join(' ');
}

function pushOther(out: string[], attrs: SdpAttribute[]): void {
  for (const a of attrs) out.push(a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`);
}
