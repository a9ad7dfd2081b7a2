import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { buildBindingError, buildBindingSuccess, checkBindingRequest, parseIceUsername } from './ice-lite.js';
import { decodeStun, encodeStun, verifyFingerprint, verifyMessageIntegrity } from './stun-message.js';

const TXID = Buffer.from('0123456789ab');
const SERVER_PWD = 'server-password-0123456789';

function browserCheck(over: { username?: string; password?: string; useCandidate?: boolean; method?: number } = {}): Buffer {
  return encodeStun(
    {
      method: over.method ?? 1,
      messageClass: 'request',
      transactionId: TXID,
      username: over.username ?? 'srvufrag:brwsr',
      priority: 2122260223,
      iceControlling: 0x1234n,
      useCandidate: over.useCandidate ?? true,
    },
    { integrityKey: over.password ?? SERVER_PWD, fingerprint: true },
  );
}

test('a valid browser check passes and is answered with a signed success response', () => {
  const req = checkBindingRequest(decodeStun(browserCheck()), SERVER_PWD);
  assert.deepEqual(req.username, { localUfrag: 'srvufrag', remoteUfrag: 'brwsr' });
  assert.equal(req.useCandidate, true);
  assert.equal(req.controlling, true);
  assert.equal(req.priority, 2122260223);
  assert.equal(req.roleConflict, false);
  assert.equal(checkBindingRequest(decodeStun(browserCheck()), SERVER_PWD, 'srvufrag').useCandidate, true);
  assert.throws(() => checkBindingRequest(decodeStun(browserCheck()), SERVER_PWD, 'otherufrag'), /not otherufrag/);
  const controlled = encodeStun(
    { method: 1, messageClass: 'request', transactionId: TXID, username: 'srvufrag:b', iceControlled: 1n },
    { integrityKey: SERVER_PWD, fingerprint: true },
  );
  assert.equal(checkBindingRequest(decodeStun(controlled), SERVER_PWD).roleConflict, true);
  const mapped = { family: 'IPv4' as const, address: '127.0.0.1', port: 54321 };
  const res = decodeStun(buildBindingSuccess({ transactionId: TXID }, mapped, SERVER_PWD));
  assert.equal(res.messageClass, 'success');
  assert.deepEqual(res.transactionId, TXID);
  assert.deepEqual(res.xorMappedAddress, mapped);
  assert.ok(verifyMessageIntegrity(res, SERVER_PWD));
  assert.ok(verifyFingerprint(res));
});

test('a check signed with another password, without a USERNAME colon, or not a Binding is refused', () => {
  const isStunErr = (e: unknown): boolean => e instanceof ProtocolError && e.code === 5008;
  assert.throws(() => checkBindingRequest(decodeStun(browserCheck({ password: 'other' })), SERVER_PWD), isStunErr);
  assert.throws(() => checkBindingRequest(decodeStun(browserCheck({ username: 'nocolon' })), SERVER_PWD), isStunErr);
  assert.throws(() => checkBindingRequest(decodeStun(browserCheck({ method: 3 })), SERVER_PWD), isStunErr);
  const unsigned = encodeStun({ method: 1, messageClass: 'request', transactionId: TXID, username: 'a:b' }, { fingerprint: true });
  assert.throws(() => checkBindingRequest(decodeStun(unsigned), SERVER_PWD), /no MESSAGE-INTEGRITY/);
  const badFp = browserCheck();
  badFp[badFp.length - 1]! ^= 1;
  assert.throws(() => checkBindingRequest(decodeStun(badFp), SERVER_PWD), /FINGERPRINT/);
});

test('error responses: 401 is unsigned, 487 signed', () => {
  const e401 = decodeStun(buildBindingError({ transactionId: TXID }, { code: 401, reason: 'Unauthorized' }, SERVER_PWD));
  assert.deepEqual(e401.errorCode, { code: 401, reason: 'Unauthorized' });
  assert.equal(e401.integrityOffset, -1);
  assert.ok(verifyFingerprint(e401));
  const e487 = decodeStun(buildBindingError({ transactionId: TXID }, { code: 487, reason: 'Role Conflict' }, SERVER_PWD));
  assert.ok(verifyMessageIntegrity(e487, SERVER_PWD));
});

test('parseIceUsername', () => {
  assert.deepEqual(parseIceUsername('a:b:c'), { localUfrag: 'a', remoteUfrag: 'b:c' });
  for (const bad of [undefined, '', ':b', 'a:', 'ab']) assert.throws(() => parseIceUsername(bad), ProtocolError);
});
