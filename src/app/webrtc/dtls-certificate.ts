// The server's DTLS identity (issue 15): one ECDSA P-256 certificate made at start (SRS `rtc_server.ecdsa`
// on by default), self-signed, its SHA-256 fingerprint announced in every SDP answer (RFC 8122 §5).
import { createHash } from 'node:crypto';
import { CipherContext, HashAlgorithm, NamedCurveAlgorithm, SignatureAlgorithm } from './werift.js';

export interface DtlsCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** `AB:CD:...` over the DER certificate. */
  readonly fingerprint: string;
}

/** SHA-256 fingerprint of a DER certificate, colon-separated upper-case hex (RFC 8122 §5). */
export function certificateFingerprint(der: Buffer): string {
  return createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

export async function createDtlsCertificate(): Promise<DtlsCertificate> {
  const { certPem, keyPem } = await CipherContext.createSelfSignedCertificateWithKey(
    { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 },
    NamedCurveAlgorithm.secp256r1_23,
  );
  return { certPem, keyPem, fingerprint: certificateFingerprint(pemToDer(certPem)) };
}
