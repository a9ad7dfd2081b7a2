import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoxWriter, box, boxHeader, fullBox } from './box.js';

const hex = (b: Buffer) => b.toString('hex');

describe('box helpers', () => {
  test('box() writes a 32-bit size and the type before the payload', () => {
    assert.equal(hex(box('free')), '0000000866726565');
    assert.equal(hex(box('free', Buffer.from([1, 2]), Buffer.from([3]))), '0000000b66726565010203');
  });

  test('fullBox() puts version and flags after the header', () => {
    assert.equal(hex(fullBox('mfhd', 0, 0, Buffer.from('00000007', 'hex'))), '000000106d66686400000000' + '00000007');
    assert.equal(hex(fullBox('tfhd', 1, 0x020000)), '0000000c746668640102' + '0000');
  });

  test('boxHeader() switches to size = 1 and a 64-bit largesize past 4 GiB, or when asked', () => {
    assert.equal(hex(boxHeader('mdat', 100)), '0000006c6d646174');
    assert.equal(hex(boxHeader('mdat', 0, true)), '000000016d6461740000000000000010');
    // 0xffffffff - 8 still fits 32 bits; one more byte does not.
    assert.equal(hex(boxHeader('mdat', 0xffffffff - 8)), 'ffffffff6d646174');
    assert.equal(hex(boxHeader('mdat', 0xffffffff - 7)), '000000016d646174' + '0000000100000008');
    assert.equal(hex(boxHeader('mdat', 5_000_000_000)), '000000016d646174' + (5_000_000_000 + 16).toString(16).padStart(16, '0'));
  });

  test('bad types and values are RangeErrors (caller bugs, not input errors)', () => {
    assert.throws(() => box('toolong'), RangeError);
    assert.throws(() => box('ab'), RangeError);
    assert.throws(() => box('\u0100abc'), RangeError);
    assert.throws(() => fullBox('tfhd', 256, 0), RangeError);
    assert.throws(() => fullBox('tfhd', 0, 0x1000000), RangeError);
    assert.throws(() => boxHeader('mdat', -1), RangeError);
  });
});

describe('BoxWriter', () => {
  test('nested boxes get their sizes when they end', () => {
    const w = new BoxWriter(16); // small start: forces growth
    w.box('moov').fullBox('mvex', 0, 0).u32(7).end().box('free').bytes(Buffer.from('abc')).end().end();
    assert.equal(w.depth, 0);
    assert.equal(
      hex(w.toBuffer()),
      '00000023' + '6d6f6f76' + '00000010' + '6d766578' + '00000000' + '00000007' + '0000000b' + '66726565' + '616263',
    );
  });

  test('integers of every width are big-endian; u64 is exact past 2^32', () => {
    const w = new BoxWriter();
    w.u8(0xab).u16(0x1234).i16(-2).u24(0x56789a).u32(0xdeadbeef).i32(-1).u64(0x1_2345_6789).i64(-1).zeros(2).fourCc('avc1');
    assert.equal(hex(w.toBuffer()), 'ab' + '1234' + 'fffe' + '56789a' + 'deadbeef' + 'ffffffff' + '0000000123456789' + 'ffffffffffffffff' + '0000' + '61766331');
    const big = new BoxWriter().u64(Number.MAX_SAFE_INTEGER).toBuffer();
    assert.equal(big.readBigUInt64BE(0), BigInt(Number.MAX_SAFE_INTEGER));
  });

  test('out-of-range values throw RangeError instead of wrapping silently', () => {
    const w = new BoxWriter();
    assert.throws(() => w.u8(256), RangeError);
    assert.throws(() => w.u16(-1), RangeError);
    assert.throws(() => w.u32(2 ** 32), RangeError);
    assert.throws(() => w.u32(1.5), RangeError);
    assert.throws(() => w.u64(-1), RangeError);
    assert.throws(() => w.u64(2 ** 53), RangeError);
    assert.throws(() => w.fourCc('abc'), RangeError);
  });

  test('a large box carries a 64-bit size', () => {
    const w = new BoxWriter();
    w.box('mdat', true).bytes(Buffer.from([1, 2, 3])).end();
    assert.equal(hex(w.toBuffer()), '00000001' + '6d646174' + '0000000000000013' + '010203');
  });

  test('cString ends with NUL; patches overwrite earlier fields', () => {
    const w = new BoxWriter();
    w.cString('Vi').u32(0).i32(0);
    w.patchU32(3, 0x01020304).patchI32(7, -2);
    assert.equal(hex(w.toBuffer()), '566900' + '01020304' + 'fffffffe');
    assert.throws(() => w.patchU32(8, 0), RangeError);
  });

  test('end() without a box and toBuffer() with a box open are errors', () => {
    assert.throws(() => new BoxWriter().end(), RangeError);
    assert.throws(() => new BoxWriter().box('moov').toBuffer(), RangeError);
  });

  test('length counts the bytes written', () => {
    const w = new BoxWriter();
    w.box('moov');
    assert.equal(w.length, 8);
    w.u32(1).end();
    assert.equal(w.length, 12);
  });
});
