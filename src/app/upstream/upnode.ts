// Helpers every outbound feature shares (forward, edge): default ports and SRS's upnode identity.
import { SERVER_SIGNATURE, SRS_COMPAT_VERSION_STRING } from '../../core/version.js';
import type { Amf0Object } from '../../kernel/format/amf0.js';

/** `host[:port]` with SRS's default port. */
export function withDefaultPort(hostPort: string, port = 1935): string {
  if (/^\[[^\]]+\]:\d+$/.test(hostPort) || /^[^:\]]+:\d+$/.test(hostPort)) return hostPort;
  if (hostPort.includes(':') && !hostPort.startsWith('[')) return `[${hostPort}]:${port}`; // bare IPv6
  return `${hostPort}:${port}`;
}

/** The edge/forward identity SRS puts in the connect's extra argument (debug_srs_upnode). */
export function upnodeArgs(serverId: string, localIp: string, cid: string): Amf0Object {
  return {
    srs_sig: 'SRS',
    srs_server: SERVER_SIGNATURE,
    srs_license: 'MIT',
    srs_url: 'https://github.com/ossrs/srs',
    srs_version: SRS_COMPAT_VERSION_STRING,
    srs_pid: process.pid,
    srs_id: cid,
    srs_server_ip: localIp,
    tsrs_server_id: serverId,
  };
}
