import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32Mpeg2 } from './crc32-mpeg2.js';

test('CRC-32/MPEG-2 check value of "123456789" is 0x0376E6E7', () => {
  assert.equal(crc32Mpeg2(Buffer.from('123456789')), 0x0376e6e7);
});

test('CRC of the PAT ffmpeg writes (PMT PID 0x1000) is 2A B1 04 B2', () => {
  const section = Buffer.from('00b00d0001c100000001f000', 'hex');
  assert.equal(crc32Mpeg2(section), 0x2ab104b2);
  // Over a section including its CRC the result is 0: how a receiver checks it.
  assert.equal(crc32Mpeg2(Buffer.concat([section, Buffer.from('2ab104b2', 'hex')])), 0);
});

test('CRC honours start/end bounds', () => {
  const buf = Buffer.from('xx123456789yy');
  assert.equal(crc32Mpeg2(buf, 2, 11), 0x0376e6e7);
  assert.equal(crc32Mpeg2(Buffer.alloc(0)), 0xffffffff);
});
