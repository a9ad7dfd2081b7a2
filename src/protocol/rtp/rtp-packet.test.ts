import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { expectOnlyProtocolErrors, fuzzInputs } from '../../../test/fixtures/index.js';
import { encodeRtp, parseRtp, rtpCsrc, rtpHeaderExtension, rtpHeaderExtensions } from './rtp-packet.js';

const payload = Buffer.from('payload bytes');

test('fixed header fields, marker and payload, as views of the input', () => {
  const b = encodeRtp({ marker: true, payloadType: 96, sequence: 65535, timestamp: 0xfedcba98, ssrc: 0x12345678 }, payload);
  const p = parseRtp(b);
  assert.deepEqual(
    [p.marker, p.payloadType, p.sequence, p.timestamp, p.ssrc, p.csrcCount, p.extensionProfile, p.padding],
    [true, 96, 65535, 0xfedcba98, 0x12345678, 0, -1, false],
  );
  assert.deepEqual(p.payload, payload);
  assert.equal(p.payload.buffer, b.buffer, 'payload is a view, not a copy');
  assert.equal(p.payload.byteOffset, b.byteOffset + 12);
});

test('CSRCs, one-byte extensions (RFC 8285 4.2, with padding between elements) and padding', () => {
  const b = encodeRtp(
    {
      payloadType: 111,
      sequence: 7,
      timestamp: 960,
      ssrc: 1,
      csrcs: [0xaaaa_aaaa, 2],
      extensions: [
        { id: 1, data: Buffer.from([0x30]) },
        { id: 3, data: Buffer.from([1, 2, 3]) },
      ],
      padding: 4,
    },
    payload,
  );
  const p = parseRtp(b);
  assert.equal(p.csrcCount, 2);
  assert.equal(rtpCsrc(p, 0), 0xaaaa_aaaa);
  assert.equal(rtpCsrc(p, 1), 2);
  assert.equal(p.extensionProfile, 0xbede);
  assert.deepEqual(rtpHeaderExtension(p, 3), Buffer.from([1, 2, 3]));
  assert.deepEqual(rtpHeaderExtension(p, 1), Buffer.from([0x30]));
  assert.equal(rtpHeaderExtension(p, 2), undefined);
  assert.equal(p.paddingSize, 4);
  assert.deepEqual(p.payload, payload);
  // A hand-made block with padding bytes (id 0) between elements, as Chromium writes after abs-send-time.
  const ext = Buffer.from([0xbe, 0xde, 0x00, 0x02, 0x22, 1, 2, 3, 0x00, 0x00, 0x40, 9]);
  const hand = Buffer.concat([Buffer.from([0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2]), ext, payload]);
  assert.deepEqual(
    rtpHeaderExtensions(parseRtp(hand)).map((e) => [e.id, [...e.data]]),
    [
      [2, [1, 2, 3]],
      [4, [9]],
    ],
  );
});

test('two-byte extensions (RFC 8285 4.3): ids above 14, empty and long elements', () => {
  const long = Buffer.alloc(40, 7);
  const b = encodeRtp({ payloadType: 96, sequence: 1, timestamp: 2, ssrc: 3, extensions: [{ id: 20, data: long }, { id: 2, data: Buffer.alloc(0) }] }, payload);
  const p = parseRtp(b);
  assert.equal(p.extensionProfile, 0x1000);
  assert.deepEqual(rtpHeaderExtension(p, 20), long);
  assert.deepEqual(rtpHeaderExtension(p, 2), Buffer.alloc(0));
  assert.deepEqual(p.payload, payload);
});

test('malformed packets: ProtocolError(RtcRtp) with the reason', () => {
  const good = encodeRtp({ payloadType: 96, sequence: 1, timestamp: 2, ssrc: 3, csrcs: [1], extensions: [{ id: 1, data: Buffer.from([1, 2]) }] }, payload);
  const cases: [Buffer, RegExp][] = [
    [good.subarray(0, 11), /shorter than the 12-byte header/],
    [Buffer.concat([Buffer.from([0x40]), good.subarray(1)]), /version 1/],
    [Buffer.concat([Buffer.from([0x8f]), good.subarray(1, 20)]), /CSRCs run past/],
    [good.subarray(0, 18), /extension word runs past/],
    [Buffer.concat([good.subarray(0, 18), Buffer.from([0, 9]), good.subarray(20)]), /9 words runs past/],
    [Buffer.concat([good.subarray(0, 20), Buffer.from([0x1f]), good.subarray(21)]), /one-byte extension 1 of 16 bytes/],
    [Buffer.concat([Buffer.from([0xb0]), good.subarray(1, good.length - 1), Buffer.from([200])]), /padding of 200/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(
      () => parseRtp(bytes),
      (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.RtcRtp && re.test(e.message),
      re.source,
    );
  }
});

test('fuzz (seeded): only ProtocolErrors, and accepted packets stay inside their input', () => {
  const seeds = [
    encodeRtp({ marker: true, payloadType: 96, sequence: 1, timestamp: 2, ssrc: 3, csrcs: [4, 5], extensions: [{ id: 1, data: Buffer.from([1]) }, { id: 5, data: Buffer.from([1, 2, 3, 4]) }], padding: 3 }, payload),
    encodeRtp({ payloadType: 111, sequence: 9, timestamp: 8, ssrc: 7, extensions: [{ id: 40, data: Buffer.alloc(20, 1) }] }, payload),
  ];
  const r = expectOnlyProtocolErrors('RTP', fuzzInputs(seeds, 0x5eed, 4000), (b) => {
    const p = parseRtp(b);
    rtpHeaderExtensions(p);
    assert.ok(p.payload.byteOffset + p.payload.length <= b.byteOffset + b.length);
    return p;
  }, ErrorCode.RtcRtp);
  assert.ok(r.accepted > 100 && r.refused > 100, JSON.stringify(r));
});
