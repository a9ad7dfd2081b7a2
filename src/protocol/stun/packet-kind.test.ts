import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPacket } from './packet-kind.js';

test('RFC 7983 first-byte demux and RTP/RTCP by payload type', () => {
  const k = (...b: number[]): string => classifyPacket(Buffer.from(b));
  assert.equal(k(0x00, 0x01), 'stun');
  assert.equal(k(0x03), 'stun');
  assert.equal(k(16), 'zrtp');
  assert.equal(k(20), 'dtls');
  assert.equal(k(22, 0xfe, 0xfd), 'dtls');
  assert.equal(k(63), 'dtls');
  assert.equal(k(64), 'turn-channel');
  assert.equal(k(0x80, 96), 'rtp');
  assert.equal(k(0x80, 96 | 0x80), 'rtp');
  assert.equal(k(0x80, 200), 'rtcp');
  assert.equal(k(0x81, 205), 'rtcp');
  assert.equal(k(0xbf, 223), 'rtcp');
  assert.equal(k(0x80, 224), 'rtp');
  assert.equal(k(0x80), 'unknown');
  assert.equal(k(), 'unknown');
  assert.equal(k(4), 'unknown');
  assert.equal(k(100), 'unknown');
  assert.equal(k(192, 200), 'unknown');
  assert.equal(k(255), 'unknown');
});
