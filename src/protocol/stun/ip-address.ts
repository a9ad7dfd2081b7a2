// Text <-> bytes for IPv4 and IPv6 addresses, for XOR-MAPPED-ADDRESS. Hand-written because
// node:net (isIP) is off limits in the protocol layer (ARCHITECTURE.md: no I/O modules).

import { ErrorCode, ProtocolError } from '../../core/errors.js';

export type IpFamily = 'IPv4' | 'IPv6';

/** A transport address as STUN carries it (RFC 8489 §14.2). */
export interface TransportAddress {
  family: IpFamily;
  address: string;
  port: number;
}

/** 4 bytes of an IPv4 or 16 of an IPv6 address; throws ProtocolError (RtcStun) on malformed text. */
export function ipToBytes(text: string): Buffer {
  if (text.includes(':')) return ipv6ToBytes(text);
  const v4 = parseIpv4(text);
  if (!v4) throw bad(text);
  return v4;
}

export function ipFamily(text: string): IpFamily {
  return text.includes(':') ? 'IPv6' : 'IPv4';
}

/** Dotted quad for 4 bytes, RFC 5952 canonical text (lowercase, longest zero run as `::`) for 16. */
export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new ProtocolError(ErrorCode.RtcStun, `address of ${b.length} bytes`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // Longest run of two or more zero groups, first one on a tie (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

function parseIpv4(text: string): Buffer | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function ipv6ToBytes(text: string): Buffer {
  // Strip a zone id (fe80::1%eth0): it never goes on the wire.
  const addr = text.split('%')[0]!;
  const halves = addr.split('::');
  if (halves.length > 2) throw bad(text);
  const groupsOf = (s: string): number[] => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) throw bad(text);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) throw bad(text);
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) throw bad(text);
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function bad(text: string): ProtocolError {
  return new ProtocolError(ErrorCode.RtcStun, `not an IP address: ${JSON.stringify(text)}`);
}
