import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { checkBindingRequest } from './ice-lite.js';
import { IceTcpDeframer } from './ice-tcp-framer.js';
import { classifyPacket } from './packet-kind.js';
import { decodeStun, encodeStun, verifyFingerprint, verifyMessageIntegrity } from './stun-message.js';
import { prng } from '../../../test/fixtures/index.js';


function onlyProtocolErrors(iter: number, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `iteration ${iter}: ${String(err)}`);
  }
}

const KNOWN_TYPES = [0x0006, 0x0008, 0x0009, 0x0020, 0x0024, 0x0025, 0x8022, 0x8028, 0x8029, 0x802a];

const valid = encodeStun(
  {
    method: 1,
    messageClass: 'request',
    transactionId: Buffer.from('0123456789ab'),
    username: 'srv:brw',
    priority: 99,
    iceControlling: 5n,
    useCandidate: true,
    xorMappedAddress: { family: 'IPv6', address: '2001:db8::5', port: 1 },
    errorCode: { code: 420, reason: 'x' },
  },
  { integrityKey: 'pw', fingerprint: true },
);

test('fuzz: garbage and mutated STUN only throw ProtocolError', () => {
  const rnd = prng(0x57a4);
  for (let iter = 0; iter < 4000; iter++) {
    let input: Buffer;
    if (iter % 2 === 0) {
      input = Buffer.from(valid);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let f = 0; f < flips; f++) input[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
      if (rnd() < 0.2) input = input.subarray(0, Math.floor(rnd() * input.length));
    } else {
      // A valid header over random attributes of known types and random sizes, so each attribute
      // reader meets values of the wrong length.
      const parts: Buffer[] = [Buffer.alloc(20)];
      const count = Math.floor(rnd() * 6);
      for (let a = 0; a < count; a++) {
        const len = Math.floor(rnd() * 26);
        const attr = Buffer.alloc(4 + ((len + 3) & ~3));
        attr.writeUInt16BE(rnd() < 0.8 ? KNOWN_TYPES[Math.floor(rnd() * KNOWN_TYPES.length)]! : Math.floor(rnd() * 0x10000), 0);
        attr.writeUInt16BE(len, 2);
        for (let i = 4; i < attr.length; i++) attr[i] = Math.floor(rnd() * 256);
        parts.push(attr);
      }
      input = Buffer.concat(parts);
      input.writeUInt16BE(rnd() < 0.5 ? 0x0001 : 0x0111, 0);
      input.writeUInt16BE(input.length - 20, 2);
      input.writeUInt32BE(0x2112a442, 4);
    }
    onlyProtocolErrors(iter, () => {
      classifyPacket(input);
      const p = decodeStun(input);
      verifyFingerprint(p);
      verifyMessageIntegrity(p, 'pw');
      checkBindingRequest(p, 'pw');
    });
  }
});

test('fuzz: ICE-TCP deframer over garbage only throws ProtocolError', () => {
  const rnd = prng(0x7c9);
  for (let iter = 0; iter < 500; iter++) {
    const d = new IceTcpDeframer(1500);
    onlyProtocolErrors(iter, () => {
      for (let k = 0; k < 8; k++) {
        const chunk = Buffer.alloc(Math.floor(rnd() * 300));
        for (let i = 0; i < chunk.length; i++) chunk[i] = rnd() < 0.3 ? 0 : Math.floor(rnd() * 256);
        for (const p of d.push(chunk)) assert.ok(p.length <= 1500);
        assert.ok(d.pendingBytes <= 1502);
      }
    });
  }
});
