// `listen`-style values: `<port>`, `<ip>:<port>`, `[ipv6]:<port>` (SRS `srs_parse_endpoint`: split at the
// last ':', strip brackets, atoi the port; port-only means the any-address).

import { isIP } from 'node:net';
import { atoi } from './reader.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** Parses an endpoint. Port-only binds `0.0.0.0`; `[::]:1935` gives host `::`. Never throws (port may be 0). */
export function parseEndpoint(s: string): Endpoint {
  const text = s.trim();
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: '0.0.0.0', port: atoi(text) };
  let host = text.slice(0, colon);
  if (host.length >= 2 && host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: atoi(text.slice(colon + 1)) };
}

/** True for a literal IPv4 or IPv6 address (SRS `srs_check_ip_addr_valid`, via inet_pton). */
export function isValidIp(host: string): boolean {
  return isIP(host) !== 0;
}

/** `host:port`, bracketing IPv6 hosts. */
export function formatEndpoint(ep: Endpoint): string {
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}
