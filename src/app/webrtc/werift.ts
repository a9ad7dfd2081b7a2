// The one place that reaches into werift-dtls (DTLS 1.2 and the SRTP/SRTCP contexts it ships). Its
// package `main` names a file it does not ship, so the modules are imported by path.
export { DtlsClient, DtlsServer, DtlsSocket, CipherContext, HashAlgorithm, NamedCurveAlgorithm, SignatureAlgorithm } from 'werift-dtls/lib/dtls/src/index.js';
export { SrtpSession } from 'werift-dtls/lib/rtp/src/srtp/srtp.js';
export { SrtcpSession } from 'werift-dtls/lib/rtp/src/srtp/srtcp.js';
export { RtpHeader } from 'werift-dtls/lib/rtp/src/rtp/rtp.js';

/** use_srtp protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2). */
export const SrtpProfile = { AesCm128HmacSha1_80: 1, AeadAes128Gcm: 7 } as const;
