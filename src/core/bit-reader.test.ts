import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BitWriter, expectOnlyProtocolErrors, fuzzInputs, prng, randomInt } from '../../test/fixtures/index.js';
import { BitReader } from './bit-reader.js';
import { ErrorCode, ProtocolError } from './errors.js';

describe('BitReader', () => {
  it('reads bits MSB first across byte boundaries', () => {
    const br = new BitReader(Buffer.from([0b1010_1100, 0b0101_0011, 0xff]));
    assert.equal(br.bit(), 1);
    assert.equal(br.bits(3), 0b010);
    assert.equal(br.bits(6), 0b1100_01);
    assert.equal(br.bitsLeft, 14);
    assert.equal(br.bits(14), 0b01_0011_1111_1111);
    assert.equal(br.bitsLeft, 0);
  });

  it('returns 32-bit values unsigned and 0 for a 0-bit read', () => {
    const br = new BitReader(Buffer.from([0xff, 0xff, 0xff, 0xfe, 0x80]));
    assert.equal(br.bits(0), 0);
    assert.equal(br.bits(32), 0xfffffffe);
    assert.equal(br.bits(1), 1);
  });

  it('honours start and end', () => {
    const br = new BitReader(Buffer.from([0x00, 0xab, 0xcd, 0x00]), 1, 3);
    assert.equal(br.bitsLeft, 16);
    assert.equal(br.bits(16), 0xabcd);
    assert.throws(() => br.bit(), ProtocolError);
  });

  it('decodes Exp-Golomb ue(v) and se(v) per H.264 Table 9-2/9-3', () => {
    // codeNum: 0 "1", 1 "010", 2 "011", 3 "00100", 4 "00101", 5 "00110", 6 "00111", 7 "0001000"
    const br = new BitReader(bitsToBuffer('1' + '010' + '011' + '00100' + '00101' + '00110' + '00111' + '0001000'));
    assert.deepEqual([br.ue(), br.ue(), br.ue(), br.ue(), br.ue(), br.ue(), br.ue(), br.ue()], [0, 1, 2, 3, 4, 5, 6, 7]);
    const w = new BitWriter();
    const values = [0, 1, -1, 2, -2, 1000, -1000, 2 ** 30, -(2 ** 30)];
    for (const v of values) w.se(v);
    const sr = new BitReader(w.toBuffer());
    assert.deepEqual(values.map(() => sr.se()), values);
  });

  it('round-trips large ue(v) values up to 2^32 - 2', () => {
    const values = [0, 254, 255, 65535, 2 ** 31, 2 ** 32 - 2];
    const w = new BitWriter();
    for (const v of values) w.ue(v);
    const br = new BitReader(w.toBuffer());
    assert.deepEqual(values.map(() => br.ue()), values);
  });

  it('refuses Exp-Golomb codes longer than 32 bits', () => {
    const br = new BitReader(Buffer.alloc(8));
    assert.throws(() => br.ue(), (e: unknown) => e instanceof ProtocolError && /longer than 32 bits/.test(e.message));
  });

  it('throws ProtocolError with the given code on truncation', () => {
    const br = new BitReader(Buffer.from([0xff]), 0, 1, ErrorCode.RtmpAmf0Decode);
    br.skip(4);
    assert.throws(() => br.bits(5), (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.RtmpAmf0Decode);
    assert.throws(() => br.skip(5), ProtocolError);
    assert.throws(() => br.bits(33), ProtocolError);
    assert.equal(br.bits(4), 0xf);
  });

  it('aligns to bytes and detects more_rbsp_data', () => {
    const br = new BitReader(Buffer.from([0b1100_0000, 0b0110_0000]));
    br.skip(1);
    assert.equal(br.byteAligned, false);
    br.byteAlign();
    assert.equal(br.byteAligned, true);
    assert.equal(br.bitPosition, 8);
    assert.equal(br.moreRbspData(), true); // 0 1 1 0 0000: data bit 0, 1, then the stop bit
    br.skip(2);
    assert.equal(br.moreRbspData(), false); // only the stop bit and zeros remain
    assert.equal(new BitReader(Buffer.alloc(0)).moreRbspData(), false);
  });

  it('fuzz: random reads over random bytes only throw ProtocolError', () => {
    const rand = prng(0xb17);
    const { refused } = expectOnlyProtocolErrors('bit-reader', fuzzInputs([Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])], 7, 1500, 9), (input) => {
      const br = new BitReader(input);
      for (let i = 0; i < 16; i++) {
        const op = randomInt(rand, 5);
        if (op === 0) br.ue();
        else if (op === 1) br.se();
        else if (op === 2) br.bits(randomInt(rand, 33));
        else if (op === 3) br.skip(randomInt(rand, 12));
        else br.byteAlign();
      }
    });
    assert.ok(refused > 0);
  });
});

function bitsToBuffer(bits: string): Buffer {
  const w = new BitWriter();
  for (const c of bits) w.bit(c === '1');
  return w.toBuffer();
}
