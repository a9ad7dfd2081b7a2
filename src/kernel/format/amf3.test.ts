import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteReader } from '../../core/byte-reader.js';
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { expectOnlyProtocolErrors, fuzzInputs } from '../../../test/fixtures/index.js';
import { type Amf0Value, Amf0EcmaArray, AMF_MAX_DEPTH } from './amf0.js';
import { decodeAmf3, decodeAmf3Value, newAmf3Context, readU29 } from './amf3.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const f64 = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b.toString('hex');
};
/** AMF3 inline UTF-8-vr for short strings (length < 64). */
const s3 = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  return ((b.length << 1) | 1).toString(16).padStart(2, '0') + b.toString('hex');
};
const one = (bytes: string): Amf0Value => {
  const values = decodeAmf3(hex(bytes));
  assert.equal(values.length, 1);
  return values[0];
};
const isAmfDecodeError = (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.RtmpAmf0Decode;

describe('AMF3 U29', () => {
  const cases: Array<[string, number]> = [
    ['00', 0],
    ['7f', 127],
    ['8100', 128],
    ['ff7f', 0x3fff],
    ['818000', 0x4000],
    ['ffff7f', 0x1fffff],
    ['80c08000', 0x200000],
    ['ffffffff', 0x1fffffff],
  ];
  for (const [bytes, value] of cases) {
    it(`${bytes} → ${value}`, () => {
      const r = new ByteReader(hex(bytes));
      assert.equal(readU29(r), value);
      assert.equal(r.remaining, 0);
    });
  }
});

describe('AMF3 decode', () => {
  it('decodes the simple types', () => {
    assert.deepEqual(decodeAmf3(hex('00 01 02 03')), [undefined, null, false, true]);
  });

  it('sign-extends 29-bit integers', () => {
    assert.equal(one('04 00'), 0);
    assert.equal(one('04 7f'), 127);
    assert.equal(one('04 bfffffff'), 0x0fffffff);
    assert.equal(one('04 ffffffff'), -1);
    assert.equal(one('04 c0808000'), -0x10000000);
  });

  it('decodes doubles, dates, XML and byte arrays', () => {
    assert.equal(one('05' + f64(Math.PI)), Math.PI);
    assert.deepEqual(one('08 01' + f64(1234)), new Date(1234));
    assert.equal(one('07' + s3('<a/>')), '<a/>');
    assert.equal(one('0b' + s3('<b/>')), '<b/>');
    assert.deepEqual(one('0c 07 010203'), [1, 2, 3]);
  });

  it('resolves string references and never registers the empty string', () => {
    // dense array of 4: "abc", "", ref 0 ("abc"), "de"; then ref 1 ("de") in a second value
    const values = decodeAmf3(hex('09 09 01' + '06' + s3('abc') + '06 01' + '06 00' + '06' + s3('de') + '06 02'));
    assert.deepEqual(values, [['abc', '', 'abc', 'de'], 'de']);
  });

  it('decodes associative arrays as Amf0EcmaArray (named keys, then dense indices)', () => {
    const v = one('09 03' + s3('a') + '04 01' + '01' + '04 02');
    assert.ok(v instanceof Amf0EcmaArray);
    assert.deepEqual({ ...v.entries }, { a: 1, '0': 2 });
  });

  it('decodes anonymous dynamic objects', () => {
    assert.deepEqual(one('0a 0b 01' + s3('a') + '04 01' + s3('b') + '06' + s3('x') + '01'), { a: 1, b: 'x' });
  });

  it('decodes sealed traits, traits references and object references', () => {
    // [ Foo{x: 5}, Foo{x: 6} (traits ref 0), ref to object 1 ]
    const v = one('09 07 01' + '0a 13' + s3('Foo') + s3('x') + '04 05' + '0a 01 04 06' + '0a 02') as Amf0Value[];
    assert.deepEqual(v.slice(0, 2), [{ x: 5 }, { x: 6 }]);
    assert.equal(v[2], v[0]);
  });

  it('decodes sealed + dynamic members together', () => {
    // traits: dynamic, 1 sealed (1 << 4 | 0b1011 = 0x1b)
    assert.deepEqual(one('0a 1b' + s3('Bar') + s3('s') + '03' + s3('d') + '02' + '01'), { s: true, d: false });
  });

  it('decodes vectors and dictionaries', () => {
    assert.deepEqual(one('0d 05 00 ffffffff 00000001'), [-1, 1]);
    assert.deepEqual(one('0e 05 01 ffffffff 00000001'), [4294967295, 1]);
    assert.deepEqual(one('0f 03 00' + f64(0.5)), [0.5]);
    assert.deepEqual(one('10 05 00 01' + '06' + s3('a') + '04 02'), ['a', 2]);
    assert.deepEqual(one('11 05 00' + '06' + s3('k') + '04 01' + '04 07' + '02'), { k: 1, '7': false });
  });

  it('unwraps Flex ArrayCollection and ObjectProxy', () => {
    const ext = (cls: string, inner: string) => '0a 07' + s3(cls) + inner;
    assert.deepEqual(one(ext('flex.messaging.io.ArrayCollection', '09 05 01 04 01 04 02')), [1, 2]);
    assert.deepEqual(one(ext('flex.messaging.io.ObjectProxy', '0a 0b 01' + s3('a') + '03 01')), { a: true });
  });

  it('shares reference tables only within one context', () => {
    const bytes = hex('06' + s3('abc') + '06 00');
    const r = new ByteReader(bytes);
    const ctx = newAmf3Context();
    assert.equal(decodeAmf3Value(r, ctx), 'abc');
    assert.equal(decodeAmf3Value(r, ctx), 'abc');
    const r2 = new ByteReader(hex('06 00'));
    assert.throws(() => decodeAmf3Value(r2), isAmfDecodeError);
  });

  it('stores __proto__ members as own properties', () => {
    const v = one('0a 0b 01' + s3('__proto__') + '0a 0b 01' + s3('polluted') + '03 01' + '01') as Record<string, Amf0Value>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.ok(Object.prototype.hasOwnProperty.call(v, '__proto__'));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('AMF3 decode errors', () => {
  const cases: Array<[string, string]> = [
    ['unknown marker', '12'],
    ['truncated U29', '04 80'],
    ['truncated double', '05 0000'],
    ['string reference out of range', '06 02'],
    ['object reference out of range', '0a 00'],
    ['traits reference out of range', '0a 05'],
    ['cyclic object reference', '0a 0b 01' + s3('me') + '0a 00' + '01'],
    ['cyclic array reference', '09 03 01 09 00'],
    ['unsupported externalizable class', '0a 07' + s3('com.example.Ext') + '04 01'],
    ['dense count larger than the buffer', '09 ffffff7f 01'],
    ['vector count larger than the buffer', '0d 8101 00 00000001'],
    ['dictionary count larger than the buffer', '11 21 00 04 01'],
    ['byte array longer than the buffer', '0c 21 00'],
    ['sealed count larger than the buffer', '0a fd03 01'],
  ];
  for (const [name, bytes] of cases) {
    it(`refuses ${name}`, () => {
      assert.throws(() => decodeAmf3(hex(bytes)), isAmfDecodeError);
    });
  }

  it('refuses nesting deeper than the limit', () => {
    assert.doesNotThrow(() => decodeAmf3(hex('09 03 01'.repeat(AMF_MAX_DEPTH) + '01')));
    assert.throws(() => decodeAmf3(hex('09 03 01'.repeat(AMF_MAX_DEPTH + 1) + '01')), isAmfDecodeError);
  });

  it('fuzz: truncated, mutated and random input only throws ProtocolError(RtmpAmf0Decode)', () => {
    const seeds = [
      hex('09 07 01' + '0a 13' + s3('Foo') + s3('x') + '04 05' + '0a 01 04 06' + '0a 02'),
      hex('0a 0b 01' + s3('app') + '06' + s3('live') + s3('n') + '05' + f64(1) + s3('d') + '08 01' + f64(0) + '01'),
      hex('09 03' + s3('a') + '04 01' + '01' + '04 02' + '0c 07 010203' + '0d 05 00 ffffffff 00000001' + '11 03 00 06' + s3('k') + '04 01'),
      hex('10 05 00 01 06 03 61 04 02' + '0f 03 00' + f64(0.5) + '07' + s3('<x/>')),
    ];
    const { accepted, refused } = expectOnlyProtocolErrors('amf3', fuzzInputs(seeds, 0x3a3, 4000), (b) => decodeAmf3(b), ErrorCode.RtmpAmf0Decode);
    assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  });
});
