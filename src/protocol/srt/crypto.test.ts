import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHmac } from 'node:crypto';
import { ProtocolError } from '../../core/errors.js';
import { fuzzInputs } from '../../../test/fixtures/index.js';
import { KeyFlag } from './packet.js';
import { SrtCipher, decodeKm, deriveKek, encodeKm, packetIv, unwrapKeys, wrapKeys } from './crypto.js';

test('AES key wrap matches RFC 3394 §4.1 (128-bit KEK, 128-bit key)', () => {
  const kek = Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex');
  const key = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
  const wrapped = wrapKeys(kek, key);
  assert.equal(wrapped.toString('hex').toUpperCase(), '1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5');
  assert.deepEqual(unwrapKeys(kek, wrapped), key);
  assert.throws(() => unwrapKeys(Buffer.alloc(16, 1), wrapped), ProtocolError, 'a wrong KEK fails the integrity check');
});

test('KEK is PBKDF2-HMAC-SHA1, 2048 rounds, over the last 8 bytes of the salt', () => {
  const salt = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  // One-block PBKDF2 by hand: U1 = HMAC(P, S || 0001), Ui = HMAC(P, Ui-1), T = XOR of all.
  let u = createHmac('sha1', 'passphrase!').update(Buffer.concat([salt.subarray(8), Buffer.from([0, 0, 0, 1])])).digest();
  const t = Buffer.from(u);
  for (let i = 1; i < 2048; i++) {
    u = createHmac('sha1', 'passphrase!').update(u).digest();
    for (let j = 0; j < t.length; j++) t[j]! ^= u[j]!;
  }
  assert.deepEqual(deriveKek('passphrase!', salt, 16), t.subarray(0, 16));
});

test('CTR IV: packet index at bytes 10..13, XORed with the first 14 salt bytes, counter bytes zero', () => {
  const salt = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
  assert.equal(packetIv(salt, 0x11223344).toString('hex'), '0102030405060708090a' + (0x0b ^ 0x11).toString(16) + (0x0c ^ 0x22).toString(16) + (0x0d ^ 0x33).toString(16) + (0x0e ^ 0x44).toString(16) + '0000');
});

test('KM message: header fields (§3.2.2) and a round trip through a second cipher with the passphrase', () => {
  const a = new SrtCipher('secret-passphrase', 24, Buffer.alloc(16, 7));
  a.setKey(KeyFlag.Even, Buffer.alloc(24, 1));
  a.setKey(KeyFlag.Odd, Buffer.alloc(24, 2));
  const km = a.makeKm(KeyFlag.Even | KeyFlag.Odd);
  assert.equal(km.toString('hex', 0, 16), '12202903' + '00000000' + '02000200' + '00000406');
  assert.equal(km.length, 16 + 16 + 8 + 48);
  assert.deepEqual(encodeKm(decodeKm(km)), km);
  const b = new SrtCipher('secret-passphrase', 24, Buffer.alloc(16));
  b.installKm(decodeKm(km));
  const payload = Buffer.from('G'.repeat(1316));
  for (const flag of [KeyFlag.Even, KeyFlag.Odd]) {
    const enc = a.crypt(payload, 99, flag);
    assert.notDeepEqual(enc, payload);
    assert.deepEqual(b.crypt(enc, 99, flag), payload);
    // The same as plain AES-CTR with the documented IV: our layout is what libsrt decrypts.
    const d = createDecipheriv('aes-192-ctr', Buffer.alloc(24, flag), packetIv(Buffer.alloc(16, 7), 99));
    assert.deepEqual(Buffer.concat([d.update(enc), d.final()]), payload);
  }
  const wrong = new SrtCipher('wrong-passphrase', 24, Buffer.alloc(16));
  assert.throws(() => wrong.installKm(decodeKm(km)), ProtocolError);
  assert.throws(() => new SrtCipher('x'.repeat(10), 16, Buffer.alloc(16)).crypt(payload, 1, KeyFlag.Odd), ProtocolError, 'no key');
});

test('fuzzed KM messages only throw ProtocolError', () => {
  const a = new SrtCipher('secret-passphrase', 16, Buffer.alloc(16, 7));
  a.setKey(KeyFlag.Even, Buffer.alloc(16, 1));
  const b = new SrtCipher('secret-passphrase', 16, Buffer.alloc(16));
  for (const input of fuzzInputs([a.makeKm(KeyFlag.Even)], 77, 2000)) {
    try {
      b.installKm(decodeKm(input));
    } catch (err) {
      assert.ok(err instanceof ProtocolError, String(err));
    }
  }
});
