import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteReader } from '../../core/byte-reader.js';
import { ByteWriter } from '../../core/byte-writer.js';
import { ErrorCode, ProtocolError, TsrsError } from '../../core/errors.js';
import { expectOnlyProtocolErrors, fuzzInputs, readFixture } from '../../../test/fixtures/index.js';
import {
  type Amf0Value,
  AMF_MAX_DEPTH,
  Amf0EcmaArray,
  decodeAmf0,
  decodeAmf0Value,
  decodeAmf3Command,
  encodeAmf0,
  newAmf0Context,
  writeAmf0Value,
} from './amf0.js';
import { demuxFlv } from './flv.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const f64 = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b.toString('hex');
};
const str = (s: string) => Buffer.from(s, 'utf8').length.toString(16).padStart(4, '0') + Buffer.from(s, 'utf8').toString('hex');

function isAmf0DecodeError(e: unknown): boolean {
  return e instanceof ProtocolError && e.code === ErrorCode.RtmpAmf0Decode;
}

describe('AMF0 encode', () => {
  it('encodes scalars with the spec markers', () => {
    assert.equal(encodeAmf0(1.5).toString('hex'), '00' + f64(1.5));
    assert.equal(encodeAmf0(true, false).toString('hex'), '01010100');
    assert.equal(encodeAmf0('abc').toString('hex'), '020003616263');
    assert.equal(encodeAmf0('').toString('hex'), '020000');
    assert.equal(encodeAmf0(null, undefined).toString('hex'), '0506');
    assert.equal(encodeAmf0(new Date(1000)).toString('hex'), '0b' + f64(1000) + '0000');
  });

  it('encodes strings over 65535 UTF-8 bytes as long strings', () => {
    const s = 'é'.repeat(40000); // 80000 bytes
    const b = encodeAmf0(s);
    assert.equal(b[0], 0x0c);
    assert.equal(b.readUInt32BE(1), 80000);
    assert.deepEqual(decodeAmf0(b), [s]);
    const edge = 'a'.repeat(65535);
    assert.equal(encodeAmf0(edge)[0], 0x02);
  });

  it('encodes objects, ECMA arrays and strict arrays', () => {
    assert.equal(encodeAmf0({ a: 1 }).toString('hex'), '03' + '000161' + '00' + f64(1) + '000009');
    assert.equal(
      encodeAmf0(new Amf0EcmaArray({ w: 320, ok: true })).toString('hex'),
      '08' + '00000002' + '000177' + '00' + f64(320) + '00026f6b' + '0101' + '000009',
    );
    assert.equal(encodeAmf0(['x', null]).toString('hex'), '0a' + '00000002' + '02000178' + '05');
    assert.equal(encodeAmf0({}).toString('hex'), '03000009');
  });

  it('writes into a caller ByteWriter', () => {
    const w = new ByteWriter(4);
    writeAmf0Value(w, 'connect');
    writeAmf0Value(w, 1);
    assert.deepEqual(w.toBuffer(), encodeAmf0('connect', 1));
  });

  it('refuses values AMF0 cannot carry with RtmpAmf0Encode', () => {
    const isEncodeError = (e: unknown) => e instanceof TsrsError && e.code === ErrorCode.RtmpAmf0Encode;
    assert.throws(() => encodeAmf0((() => 1) as unknown as Amf0Value), isEncodeError);
    assert.throws(() => encodeAmf0(10n as unknown as Amf0Value), isEncodeError);
    assert.throws(() => encodeAmf0(Buffer.from('x') as unknown as Amf0Value), isEncodeError);
    const cyclic: Record<string, Amf0Value> = {};
    cyclic['self'] = cyclic;
    assert.throws(() => encodeAmf0(cyclic), isEncodeError);
    assert.throws(() => encodeAmf0({ ['k'.repeat(70000)]: 1 }), isEncodeError);
  });
});

describe('AMF0 decode', () => {
  it('decodes a real ffmpeg RTMP connect command and re-encodes it byte for byte', () => {
    const bytes = readFixture('rtmp-connect-ffmpeg.bin');
    const values = decodeAmf0(bytes);
    assert.equal(values[0], 'connect');
    assert.equal(values[1], 1);
    const cmd = values[2] as Record<string, Amf0Value>;
    assert.equal(cmd['app'], 'live');
    assert.equal(cmd['type'], 'nonprivate');
    assert.match(String(cmd['flashVer']), /^FMLE\/3\.0 \(compatible; Lavf/);
    assert.match(String(cmd['tcUrl']), /^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
    assert.deepEqual(Object.keys(cmd), ['app', 'type', 'flashVer', 'tcUrl']);
    assert.deepEqual(encodeAmf0(...values), bytes);
  });

  it('decodes the onMetaData ECMA array ffmpeg writes into FLV and round-trips it', () => {
    const { tags } = demuxFlv(readFixture('h264-aac.flv'));
    const script = tags.find((t) => t.type === 18)!;
    const [name, meta] = decodeAmf0(script.body);
    assert.equal(name, 'onMetaData');
    assert.ok(meta instanceof Amf0EcmaArray);
    assert.equal(meta.entries['width'], 320);
    assert.equal(meta.entries['height'], 180);
    assert.equal(meta.entries['videocodecid'], 7);
    assert.equal(meta.entries['audiocodecid'], 10);
    assert.equal(meta.entries['audiosamplerate'], 48000);
    assert.equal(meta.entries['stereo'], true);
    assert.deepEqual(encodeAmf0(name, meta), script.body);
  });

  it('decodes every type from byte fixtures', () => {
    const bytes = hex(
      '00' + f64(-2.25) + // number
        '0100' + // false
        '02' + str('héllo') + // string
        '0c00000003616263' + // long string
        '05' + '06' + '0d' + // null, undefined, unsupported → undefined
        '0b' + f64(86400000) + '0000' + // date
        '0f00000004' + Buffer.from('<a/>').toString('hex') + // XML document → text
        '0a00000002' + '0101' + '020000', // strict array [true, '']
    );
    assert.deepEqual(decodeAmf0(bytes), [-2.25, false, 'héllo', 'abc', null, undefined, undefined, new Date(86400000), '<a/>', [true, '']]);
  });

  it('decodes typed objects as plain objects and resolves references', () => {
    const bytes = hex(
      '0a00000003' + // [0] strict array
        '10' + str('Foo') + str('x') + '00' + f64(1) + '000009' + // [1] typed object {x: 1}
        '03' + str('y') + '070001' + '000009' + // [2] {y: <ref 1>}
        '070002', // ref to [2]
    );
    const [arr] = decodeAmf0(bytes) as [Amf0Value[]];
    assert.deepEqual(arr[0], { x: 1 });
    assert.equal((arr[1] as Record<string, Amf0Value>)['y'], arr[0]);
    assert.equal(arr[2], arr[1]);
  });

  it('keeps the reference table across the values of one buffer', () => {
    const bytes = hex('03' + str('a') + '00' + f64(1) + '000009' + '070000');
    const [a, b] = decodeAmf0(bytes);
    assert.equal(a, b);
  });

  it('decodes an AVM+ switch to AMF3', () => {
    // 0x11 then AMF3 string "hello" (U29 = 5 << 1 | 1 = 0x0b), then AMF3 integer 300 (0x82 0x2c).
    assert.deepEqual(decodeAmf0(hex('11060b68656c6c6f' + '1104822c')), ['hello', 300]);
  });

  it('stores a __proto__ key as an own property, never as the prototype', () => {
    const bytes = hex('03' + str('__proto__') + '03' + str('polluted') + '0101' + '000009' + str('constructor') + '0101' + '000009');
    const [obj] = decodeAmf0(bytes) as [Record<string, Amf0Value>];
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.ok(Object.prototype.hasOwnProperty.call(obj, '__proto__'));
    assert.deepEqual(Object.keys(obj), ['__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal((obj['__proto__'] as Record<string, Amf0Value>)['polluted'], true);
    assert.deepEqual(encodeAmf0(obj), bytes);
    const [ecma] = decodeAmf0(encodeAmf0(new Amf0EcmaArray(obj))) as [Amf0EcmaArray];
    assert.ok(Object.prototype.hasOwnProperty.call(ecma.entries, '__proto__'));
  });

  it('tolerates an object or ECMA array missing its end marker at the end of the buffer (as SRS does)', () => {
    assert.deepEqual(decodeAmf0(hex('03' + str('a') + '0101')), [{ a: true }]);
    const [ecma] = decodeAmf0(hex('0800000001' + str('a') + '0101')) as [Amf0EcmaArray];
    assert.deepEqual(ecma.entries, { a: true });
  });

  it('accepts an empty property name that is not the end marker', () => {
    assert.deepEqual(decodeAmf0(hex('03' + '0000' + '0101' + '000009')), [{ '': true }]);
  });

  it('decodes one value at a time with decodeAmf0Value and a shared context', () => {
    const bytes = encodeAmf0('a', { b: 2 }, 3);
    const r = new ByteReader(bytes);
    const ctx = newAmf0Context();
    assert.equal(decodeAmf0Value(r, ctx), 'a');
    assert.deepEqual(decodeAmf0Value(r, ctx), { b: 2 });
    assert.equal(decodeAmf0Value(r, ctx), 3);
    assert.equal(r.remaining, 0);
  });

  it('decodes AMF3 command payloads (type 17): format byte, then AMF0 with switches', () => {
    const body = Buffer.concat([hex('00'), encodeAmf0('connect', 1), hex('110a0b01' + '07617070' + '06096c697665' + '01')]);
    assert.deepEqual(decodeAmf3Command(body), ['connect', 1, { app: 'live' }]);
    assert.deepEqual(decodeAmf3Command(encodeAmf0('play', 0)), ['play', 0]);
    assert.deepEqual(decodeAmf3Command(Buffer.alloc(0)), []);
  });

  it('round-trips nested structures', () => {
    const v: Amf0Value[] = [
      'onStatus',
      0,
      null,
      { level: 'status', code: 'NetStream.Play.Start', details: [1, 'two', { three: new Date(3) }], data: new Amf0EcmaArray({ k: undefined }) },
    ];
    assert.deepEqual(decodeAmf0(encodeAmf0(...v)), v);
  });
});

describe('AMF0 decode errors', () => {
  const cases: Array<[string, string]> = [
    ['movie clip marker', '04'],
    ['record set marker', '0e'],
    ['stray object end', '09'],
    ['unknown marker', '12'],
    ['truncated number', '003ff0'],
    ['truncated string', '020005616263'],
    ['truncated long string', '0cffffffff00'],
    ['strict array count larger than the buffer', '0affffffff05'],
    ['truncated property name', '030005ab'],
    ['property without value', '03' + '000161'],
    ['reference out of range', '070000'],
    ['cyclic reference', '03' + '000161' + '070000' + '000009'],
    ['truncated date', '0b' + '0000000000000000' + '00'],
    ['truncated AVM+ value', '1106'],
    ['bad AMF3 marker after switch', '1112'],
  ];
  for (const [name, bytes] of cases) {
    it(`refuses ${name}`, () => {
      assert.throws(() => decodeAmf0(hex(bytes)), isAmf0DecodeError);
    });
  }

  it(`accepts ${AMF_MAX_DEPTH} levels of nesting and refuses one more`, () => {
    const nested = (depth: number) => hex('0a00000001'.repeat(depth) + '05');
    assert.doesNotThrow(() => decodeAmf0(nested(AMF_MAX_DEPTH)));
    assert.throws(() => decodeAmf0(nested(AMF_MAX_DEPTH + 1)), isAmf0DecodeError);
    // Objects and AVM+ switches count too.
    const objects = hex(('03' + str('k')).repeat(AMF_MAX_DEPTH + 1) + '05');
    assert.throws(() => decodeAmf0(objects), isAmf0DecodeError);
  });

  it('refuses reference graphs that would expand past the value budget', () => {
    // [0] = array of 40: [1] = [1, 1]; [i+1] = [ref i, ref i] doubles each level: 2^39 values if walked.
    let s = '0a00000028' + '0a00000002' + '00' + f64(1) + '00' + f64(1);
    for (let i = 1; i < 40; i++) {
      const ref = i.toString(16).padStart(4, '0');
      s += '0a00000002' + '07' + ref + '07' + ref;
    }
    assert.throws(() => decodeAmf0(hex(s)), (e: unknown) => isAmf0DecodeError(e) && /more than/.test((e as Error).message));
  });

  it('fuzz: truncated, mutated and random input only throws ProtocolError(RtmpAmf0Decode)', () => {
    const { tags } = demuxFlv(readFixture('h264-aac.flv'));
    const seeds = [
      readFixture('rtmp-connect-ffmpeg.bin'),
      tags.find((t) => t.type === 18)!.body,
      encodeAmf0('_result', 1, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 }, [1, [2, [3, new Date(0)]]], new Amf0EcmaArray({ a: null })),
      hex('11 0a 0b 01 03 61 04 01 01 11 09 05 01 06 03 61 06 00'),
    ];
    const { accepted, refused } = expectOnlyProtocolErrors('amf0', fuzzInputs(seeds, 0xa3f0, 4000), (b) => decodeAmf0(b), ErrorCode.RtmpAmf0Decode);
    assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  });
});
