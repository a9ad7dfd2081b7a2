// Compound RTCP parse/serialize (RFC 3550 §6.1, RFC 5506 reduced-size packets are accepted too: a
// compound need not start with SR/RR). Malformed input throws ProtocolError (RtcRtcp).

import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { compressNack, expandNack, type NackEntry } from './nack.js';
import {
  PsfbFmt,
  RtcpType,
  RtpfbFmt,
  type RtcpPacket,
  type RtcpReportBlock,
  type RtcpSdes,
} from './rtcp-packet.js';
import { decodeTwccFci, encodeTwccFci } from './twcc.js';

const REMB_ID = 0x52454d42; // "REMB"

function fail(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.RtcRtcp, `RTCP: ${message}`);
}

/** Parses every packet of a compound RTCP datagram (already SRTCP-decrypted). */
export function parseRtcp(buf: Buffer): RtcpPacket[] {
  const out: RtcpPacket[] = [];
  let pos = 0;
  if (buf.length < 4) throw fail(`datagram of ${buf.length} bytes`);
  while (pos < buf.length) {
    if (buf.length - pos < 4) throw fail(`${buf.length - pos} trailing bytes`);
    const b0 = buf[pos]!;
    if (b0 >> 6 !== 2) throw fail(`version ${b0 >> 6}`);
    const padded = (b0 & 0x20) !== 0;
    const count = b0 & 0x1f;
    const packetType = buf[pos + 1]!;
    const size = (buf.readUInt16BE(pos + 2) + 1) * 4;
    if (pos + size > buf.length) throw fail(`packet type ${packetType} of ${size} bytes overruns the datagram`);
    let end = pos + size;
    if (padded) {
      // RFC 3550 §6.4.1: only the last packet of a compound may be padded; the last byte counts it.
      if (end !== buf.length) throw fail('padding on a packet that is not the last');
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > size - 4) throw fail(`padding of ${pad} bytes`);
      end -= pad;
    }
    out.push(parsePacket(packetType, count, buf.subarray(pos + 4, end)));
    pos += size;
  }
  return out;
}

function parsePacket(packetType: number, count: number, body: Buffer): RtcpPacket {
  switch (packetType) {
    case RtcpType.SR: {
      need(body, 24 + count * 24, 'SR');
      return {
        type: 'sr',
        ssrc: body.readUInt32BE(0),
        ntpSeconds: body.readUInt32BE(4),
        ntpFraction: body.readUInt32BE(8),
        rtpTimestamp: body.readUInt32BE(12),
        packetCount: body.readUInt32BE(16),
        octetCount: body.readUInt32BE(20),
        reports: readReports(body, 24, count),
      };
    }
    case RtcpType.RR:
      need(body, 4 + count * 24, 'RR');
      return { type: 'rr', ssrc: body.readUInt32BE(0), reports: readReports(body, 4, count) };
    case RtcpType.SDES:
      return parseSdes(body, count);
    case RtcpType.BYE: {
      need(body, count * 4, 'BYE');
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(body.readUInt32BE(i * 4));
      const at = count * 4;
      if (at < body.length) {
        const len = body[at]!;
        if (at + 1 + len > body.length) throw fail('BYE reason overruns the packet');
        return { type: 'bye', ssrcs, reason: body.subarray(at + 1, at + 1 + len).toString('utf8') };
      }
      return { type: 'bye', ssrcs };
    }
    case RtcpType.RTPFB:
      return parseRtpfb(count, body);
    case RtcpType.PSFB:
      return parsePsfb(count, body);
    default:
      return { type: 'unknown', packetType, count, body };
  }
}

function need(body: Buffer, n: number, what: string): void {
  if (body.length < n) throw fail(`${what} body of ${body.length} bytes, needs ${n}`);
}

function readReports(body: Buffer, start: number, count: number): RtcpReportBlock[] {
  const out: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + i * 24;
    out.push({
      ssrc: body.readUInt32BE(at),
      fractionLost: body[at + 4]!,
      cumulativeLost: body.readIntBE(at + 5, 3),
      highestSeq: body.readUInt32BE(at + 8),
      jitter: body.readUInt32BE(at + 12),
      lastSr: body.readUInt32BE(at + 16),
      delaySinceLastSr: body.readUInt32BE(at + 20),
    });
  }
  return out;
}

function parseSdes(body: Buffer, count: number): RtcpSdes {
  const chunks: RtcpSdes['chunks'] = [];
  let pos = 0;
  for (let c = 0; c < count; c++) {
    if (pos + 4 > body.length) throw fail('SDES chunk truncated');
    const ssrc = body.readUInt32BE(pos);
    pos += 4;
    const items: RtcpSdes['chunks'][number]['items'] = [];
    for (;;) {
      if (pos >= body.length) throw fail('SDES chunk without its end item');
      const type = body[pos]!;
      if (type === 0) {
        // The end item, then zeros up to the next 32-bit boundary (RFC 3550 §6.5).
        pos = (pos + 4) & ~3;
        break;
      }
      if (pos + 2 > body.length) throw fail('SDES item truncated');
      const len = body[pos + 1]!;
      if (pos + 2 + len > body.length) throw fail('SDES item overruns the packet');
      items.push({ type, text: body.subarray(pos + 2, pos + 2 + len).toString('utf8') });
      pos += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return { type: 'sdes', chunks };
}

function parseRtpfb(fmt: number, body: Buffer): RtcpPacket {
  need(body, 8, 'transport feedback');
  const senderSsrc = body.readUInt32BE(0);
  const mediaSsrc = body.readUInt32BE(4);
  const fci = body.subarray(8);
  if (fmt === RtpfbFmt.Nack) {
    if (fci.length === 0 || fci.length % 4 !== 0) throw fail(`NACK FCI of ${fci.length} bytes`);
    const entries: NackEntry[] = [];
    for (let i = 0; i < fci.length; i += 4) entries.push({ pid: fci.readUInt16BE(i), blp: fci.readUInt16BE(i + 2) });
    return { type: 'nack', senderSsrc, mediaSsrc, lost: expandNack(entries) };
  }
  if (fmt === RtpfbFmt.Twcc) return decodeTwccFci(fci, senderSsrc, mediaSsrc);
  return { type: 'unknown', packetType: RtcpType.RTPFB, count: fmt, body };
}

function parsePsfb(fmt: number, body: Buffer): RtcpPacket {
  need(body, 8, 'payload feedback');
  const senderSsrc = body.readUInt32BE(0);
  const mediaSsrc = body.readUInt32BE(4);
  const fci = body.subarray(8);
  if (fmt === PsfbFmt.Pli) return { type: 'pli', senderSsrc, mediaSsrc };
  if (fmt === PsfbFmt.Fir) {
    if (fci.length === 0 || fci.length % 8 !== 0) throw fail(`FIR FCI of ${fci.length} bytes`);
    const entries: Array<{ ssrc: number; seq: number }> = [];
    for (let i = 0; i < fci.length; i += 8) entries.push({ ssrc: fci.readUInt32BE(i), seq: fci[i + 4]! });
    return { type: 'fir', senderSsrc, mediaSsrc, entries };
  }
  if (fmt === PsfbFmt.Afb && fci.length >= 8 && fci.readUInt32BE(0) === REMB_ID) {
    const num = fci[4]!;
    need(fci, 8 + num * 4, 'REMB');
    const exp = fci[5]! >> 2;
    const mantissa = ((fci[5]! & 0x03) << 16) | fci.readUInt16BE(6);
    const ssrcs: number[] = [];
    for (let i = 0; i < num; i++) ssrcs.push(fci.readUInt32BE(8 + i * 4));
    return { type: 'remb', senderSsrc, bitrate: mantissa * 2 ** exp, ssrcs };
  }
  return { type: 'unknown', packetType: RtcpType.PSFB, count: fmt, body };
}

/** Serializes packets into one compound datagram (no padding: SRTCP needs none). */
export function serializeRtcp(packets: readonly RtcpPacket[]): Buffer {
  return Buffer.concat(packets.map(encodeRtcpPacket));
}

/** One packet with its header; the body is padded to 32 bits where the format allows (SDES, BYE). */
export function encodeRtcpPacket(p: RtcpPacket): Buffer {
  switch (p.type) {
    case 'sr': {
      const body = Buffer.alloc(24 + p.reports.length * 24);
      body.writeUInt32BE(p.ssrc >>> 0, 0);
      body.writeUInt32BE(p.ntpSeconds >>> 0, 4);
      body.writeUInt32BE(p.ntpFraction >>> 0, 8);
      body.writeUInt32BE(p.rtpTimestamp >>> 0, 12);
      body.writeUInt32BE(p.packetCount >>> 0, 16);
      body.writeUInt32BE(p.octetCount >>> 0, 20);
      writeReports(body, 24, p.reports);
      return withHeader(RtcpType.SR, countOf(p.reports.length, 'SR report blocks'), body);
    }
    case 'rr': {
      const body = Buffer.alloc(4 + p.reports.length * 24);
      body.writeUInt32BE(p.ssrc >>> 0, 0);
      writeReports(body, 4, p.reports);
      return withHeader(RtcpType.RR, countOf(p.reports.length, 'RR report blocks'), body);
    }
    case 'sdes': {
      const parts: Buffer[] = [];
      for (const chunk of p.chunks) {
        const items = chunk.items.map((it) => {
          const text = Buffer.from(it.text, 'utf8');
          if (text.length > 255 || it.type < 1 || it.type > 255) throw fail(`SDES item ${it.type} of ${text.length} bytes`);
          return Buffer.concat([Buffer.from([it.type, text.length]), text]);
        });
        const size = 4 + items.reduce((n, b) => n + b.length, 0) + 1;
        const c = Buffer.alloc((size + 3) & ~3);
        c.writeUInt32BE(chunk.ssrc >>> 0, 0);
        Buffer.concat(items).copy(c, 4);
        parts.push(c);
      }
      return withHeader(RtcpType.SDES, countOf(p.chunks.length, 'SDES chunks'), Buffer.concat(parts));
    }
    case 'bye': {
      const reason = p.reason !== undefined ? Buffer.from(p.reason, 'utf8') : undefined;
      if (reason && reason.length > 255) throw fail('BYE reason longer than 255 bytes');
      const size = p.ssrcs.length * 4 + (reason ? 1 + reason.length : 0);
      const body = Buffer.alloc((size + 3) & ~3);
      p.ssrcs.forEach((s, i) => body.writeUInt32BE(s >>> 0, i * 4));
      if (reason) {
        body[p.ssrcs.length * 4] = reason.length;
        reason.copy(body, p.ssrcs.length * 4 + 1);
      }
      return withHeader(RtcpType.BYE, countOf(p.ssrcs.length, 'BYE sources'), body);
    }
    case 'nack': {
      const entries = compressNack(p.lost);
      if (entries.length === 0) throw fail('NACK without lost packets');
      const body = feedbackBody(p.senderSsrc, p.mediaSsrc, entries.length * 4);
      entries.forEach((e, i) => {
        body.writeUInt16BE(e.pid, 8 + i * 4);
        body.writeUInt16BE(e.blp, 10 + i * 4);
      });
      return withHeader(RtcpType.RTPFB, RtpfbFmt.Nack, body);
    }
    case 'twcc': {
      const fci = encodeTwccFci(p);
      const body = feedbackBody(p.senderSsrc, p.mediaSsrc, fci.length);
      fci.copy(body, 8);
      return withHeader(RtcpType.RTPFB, RtpfbFmt.Twcc, body);
    }
    case 'pli':
      return withHeader(RtcpType.PSFB, PsfbFmt.Pli, feedbackBody(p.senderSsrc, p.mediaSsrc, 0));
    case 'fir': {
      if (p.entries.length === 0) throw fail('FIR without entries');
      const body = feedbackBody(p.senderSsrc, p.mediaSsrc, p.entries.length * 8);
      p.entries.forEach((e, i) => {
        body.writeUInt32BE(e.ssrc >>> 0, 8 + i * 8);
        body[12 + i * 8] = e.seq & 0xff;
      });
      return withHeader(RtcpType.PSFB, PsfbFmt.Fir, body);
    }
    case 'remb': {
      if (p.ssrcs.length > 255) throw fail('REMB with more than 255 SSRCs');
      const body = feedbackBody(p.senderSsrc, 0, 8 + p.ssrcs.length * 4);
      // Bitrate = mantissa (18 bits) * 2^exp (6 bits): shift until the mantissa fits.
      let mantissa = Math.max(0, Math.floor(p.bitrate));
      let exp = 0;
      while (mantissa > 0x3ffff) {
        mantissa = Math.floor(mantissa / 2);
        exp++;
      }
      if (exp > 63) throw fail(`REMB bitrate ${p.bitrate}`);
      body.writeUInt32BE(REMB_ID, 8);
      body[12] = p.ssrcs.length;
      body[13] = (exp << 2) | (mantissa >> 16);
      body.writeUInt16BE(mantissa & 0xffff, 14);
      p.ssrcs.forEach((s, i) => body.writeUInt32BE(s >>> 0, 16 + i * 4));
      return withHeader(RtcpType.PSFB, PsfbFmt.Afb, body);
    }
    case 'unknown':
      if (p.body.length % 4 !== 0) throw fail(`packet body of ${p.body.length} bytes is not 32-bit aligned`);
      return withHeader(p.packetType, p.count & 0x1f, p.body);
  }
}

function countOf(n: number, what: string): number {
  if (n > 31) throw fail(`${n} ${what} exceed the 5-bit count`);
  return n;
}

function feedbackBody(senderSsrc: number, mediaSsrc: number, fciLength: number): Buffer {
  const body = Buffer.alloc(8 + fciLength);
  body.writeUInt32BE(senderSsrc >>> 0, 0);
  body.writeUInt32BE(mediaSsrc >>> 0, 4);
  return body;
}

function writeReports(body: Buffer, start: number, reports: readonly RtcpReportBlock[]): void {
  reports.forEach((r, i) => {
    const at = start + i * 24;
    body.writeUInt32BE(r.ssrc >>> 0, at);
    body[at + 4] = r.fractionLost & 0xff;
    body.writeIntBE(Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost)), at + 5, 3);
    body.writeUInt32BE(r.highestSeq >>> 0, at + 8);
    body.writeUInt32BE(r.jitter >>> 0, at + 12);
    body.writeUInt32BE(r.lastSr >>> 0, at + 16);
    body.writeUInt32BE(r.delaySinceLastSr >>> 0, at + 20);
  });
}

function withHeader(packetType: number, count: number, body: Buffer): Buffer {
  if (body.length % 4 !== 0) throw fail(`body of ${body.length} bytes`);
  const words = body.length / 4;
  if (words > 0xffff) throw fail('packet longer than 65535 words');
  const out = Buffer.alloc(4 + body.length);
  out[0] = 0x80 | count;
  out[1] = packetType;
  out.writeUInt16BE(words, 2);
  body.copy(out, 4);
  return out;
}
