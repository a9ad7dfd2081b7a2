// The ICE-lite side of connectivity checks (RFC 8445 §2.5, §7.3): the server never sends checks, it
// only answers Binding requests whose USERNAME starts with its own ufrag and whose MESSAGE-INTEGRITY
// verifies with its own password.

import { ErrorCode, ProtocolError } from '../../core/errors.js';
import type { TransportAddress } from './ip-address.js';
import {
  StunMethod,
  encodeStun,
  unknownRequiredAttributes,
  verifyFingerprint,
  verifyMessageIntegrity,
  type StunErrorCode,
  type StunPacket,
} from './stun-message.js';

/** USERNAME of a check sent to us is `<our ufrag>:<peer ufrag>` (RFC 8445 §7.2.2). */
export interface IceUsername {
  localUfrag: string;
  remoteUfrag: string;
}

/** Splits a check's USERNAME; throws ProtocolError (RtcStun) when it is not `a:b`. */
export function parseIceUsername(username: string | undefined): IceUsername {
  const at = username?.indexOf(':') ?? -1;
  if (username === undefined || at <= 0 || at === username.length - 1) {
    throw new ProtocolError(ErrorCode.RtcStun, `ICE: bad USERNAME ${JSON.stringify(username ?? null)}`);
  }
  return { localUfrag: username.slice(0, at), remoteUfrag: username.slice(at + 1) };
}

/** What a Binding request asks of an ICE-lite agent, after every check of RFC 8445 §7.3 passed. */
export interface IceBindingRequest {
  username: IceUsername;
  /** The peer nominates this pair (aggressive or regular nomination). */
  useCandidate: boolean;
  priority: number | undefined;
  /** The peer says it is controlling; a lite agent is always controlled (RFC 8445 §6.1.1). */
  controlling: boolean;
  /**
   * The peer says it is controlled too (ICE-CONTROLLED). A lite agent cannot take the controlling
   * role, so the caller answers 487 Role Conflict and the full agent switches (RFC 8445 §7.3.1.1).
   */
  roleConflict: boolean;
}

/**
 * Checks a decoded Binding request against our ICE password: method and class, USERNAME present,
 * FINGERPRINT (when sent) and MESSAGE-INTEGRITY valid, and (when given) USERNAME naming our ufrag. Throws ProtocolError (RtcStun) naming the fault;
 * the caller answers with `buildBindingError` where RFC 8489 asks for an answer (400/401/420).
 */
export function checkBindingRequest(packet: StunPacket, localPassword: string, localUfrag?: string): IceBindingRequest {
  if (packet.method !== StunMethod.Binding || packet.messageClass !== 'request') {
    throw new ProtocolError(ErrorCode.RtcStun, `ICE: not a Binding request (method ${packet.method}, ${packet.messageClass})`);
  }
  const username = parseIceUsername(packet.username);
  if (localUfrag !== undefined && username.localUfrag !== localUfrag) {
    throw new ProtocolError(ErrorCode.RtcStun, `ICE: USERNAME is for ufrag ${username.localUfrag}, not ${localUfrag}`);
  }
  if (packet.fingerprintOffset >= 0 && !verifyFingerprint(packet)) {
    throw new ProtocolError(ErrorCode.RtcStun, 'ICE: FINGERPRINT mismatch');
  }
  if (packet.integrityOffset < 0) throw new ProtocolError(ErrorCode.RtcStun, 'ICE: no MESSAGE-INTEGRITY');
  if (!verifyMessageIntegrity(packet, localPassword)) {
    throw new ProtocolError(ErrorCode.RtcStun, `ICE: MESSAGE-INTEGRITY mismatch for ${username.localUfrag}`);
  }
  const unknown = unknownRequiredAttributes(packet);
  if (unknown.length > 0) {
    throw new ProtocolError(ErrorCode.RtcStun, `ICE: unknown required attributes ${unknown.map((t) => `0x${t.toString(16)}`).join(',')}`);
  }
  return {
    username,
    useCandidate: packet.useCandidate === true,
    priority: packet.priority,
    controlling: packet.iceControlling !== undefined,
    roleConflict: packet.iceControlled !== undefined && packet.iceControlling === undefined,
  };
}

/**
 * Binding success response: XOR-MAPPED-ADDRESS = the request's source address as we saw it,
 * MESSAGE-INTEGRITY with our password (the same short-term credential that signed the request),
 * FINGERPRINT (RFC 8445 §7.3.1.4).
 */
export function buildBindingSuccess(request: { transactionId: Buffer }, mapped: TransportAddress, localPassword: string): Buffer {
  return encodeStun(
    { method: StunMethod.Binding, messageClass: 'success', transactionId: request.transactionId, xorMappedAddress: mapped },
    { integrityKey: localPassword, fingerprint: true },
  );
}

/**
 * Binding error response. RFC 8489 §9.1.3: a 400 or 401 carries no MESSAGE-INTEGRITY (the sender's
 * credential is the one in doubt), so `localPassword` is only for other codes such as 487.
 */
export function buildBindingError(request: { transactionId: Buffer }, error: StunErrorCode, localPassword?: string): Buffer {
  return encodeStun(
    { method: StunMethod.Binding, messageClass: 'error', transactionId: request.transactionId, errorCode: error },
    { integrityKey: error.code === 400 || error.code === 401 ? undefined : localPassword, fingerprint: true },
  );
}
