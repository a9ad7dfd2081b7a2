import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { fuzzInputs } from '../../../test/fixtures/index.js';
import {
  ExtType,
  HandshakeType,
  SRT_MAGIC,
  decodeHandshake,
  decodeSrtInfo,
  decodeStreamIdExt,
  encodeHandshake,
  encodePeerIp,
  encodeSrtInfo,
  encodeStreamIdExt,
  type Handshake,
} from './handshake.js';

function conclusion(): Handshake {
  return {
    version: 5,
    encryption: 2,
    extensionField: 5,
    initialSeq: 12345,
    mtu: 1500,
    flowWindow: 8192,
    type: HandshakeType.Conclusion,
    socketId: 0x1234,
    cookie: 0xdeadbeef,
    peerIp: encodePeerIp('127.0.0.1'),
    extensions: [
      { type: ExtType.HsReq, data: encodeSrtInfo({ srtVersion: 0x010501, flags: 0xbf, recvTsbpdDelayMs: 200, sendTsbpdDelayMs: 120 }) },
      { type: ExtType.Sid, data: encodeStreamIdExt('#!::r=live/s,m=publish') },
    ],
  };
}

test('handshake CIF layout (§3.2.1): fixed fields, then type/length-in-words/contents extensions', () => {
  const hs = conclusion();
  const b = encodeHandshake(hs);
  assert.equal(b.length, 48 + 4 + 12 + 4 + 24);
  assert.equal(b.toString('hex', 0, 32), '00000005' + '00020005' + '00003039' + '000005dc' + '00002000' + 'ffffffff' + '00001234' + 'deadbeef');
  assert.equal(b.toString('hex', 32, 36), '0100007f', 'IPv4 in a little-endian word, as libsrt writes it');
  assert.equal(b.toString('hex', 48, 52), '00010003', 'HSREQ, 3 words');
  assert.equal(b.toString('hex', 60, 64), '00c80078', 'receiver delay 200 | sender delay 120');
  assert.equal(b.toString('hex', 64, 68), '00050006', 'SID, 6 words');
  assert.equal(b.toString('latin1', 68, 72), '::!#', 'stream id bytes reversed per word');
  assert.deepEqual(decodeHandshake(b), hs);
  assert.equal(decodeStreamIdExt(decodeHandshake(b).extensions[1]!.data), '#!::r=live/s,m=publish');
  assert.deepEqual(decodeSrtInfo(hs.extensions[0]!.data), { srtVersion: 0x010501, flags: 0xbf, recvTsbpdDelayMs: 200, sendTsbpdDelayMs: 120 });
});

test('an induction carries no extensions, and the SRT magic round-trips', () => {
  const hs: Handshake = { ...conclusion(), type: HandshakeType.Induction, extensionField: SRT_MAGIC, extensions: [] };
  const b = Buffer.concat([encodeHandshake(hs), Buffer.from('trailing junk')]);
  assert.deepEqual(decodeHandshake(b), hs);
});

test('stream ids of odd lengths and UTF-8 survive the word swap; over 512 bytes is refused', () => {
  for (const s of ['a', 'ab', 'abc', 'abcd', 'abcde', 'ünïcødé/strëam', 'x'.repeat(512)]) {
    assert.equal(decodeStreamIdExt(encodeStreamIdExt(s)), s);
  }
  assert.throws(() => encodeStreamIdExt('x'.repeat(513)), ProtocolError);
});

test('malformed handshakes: short body, extension overrun; fuzzed input only ever throws ProtocolError', () => {
  assert.throws(() => decodeHandshake(Buffer.alloc(47)), ProtocolError);
  const b = encodeHandshake(conclusion());
  b.writeUInt16BE(200, 50); // HSREQ claims 200 words
  assert.throws(() => decodeHandshake(b), ProtocolError);
  let n = 0;
  for (const input of fuzzInputs([encodeHandshake(conclusion())], 2024, 5000)) {
    n++;
    try {
      const hs = decodeHandshake(input);
      for (const e of hs.extensions) {
        if (e.type === ExtType.HsReq) decodeSrtInfo(e.data);
        if (e.type === ExtType.Sid) decodeStreamIdExt(e.data);
      }
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `${String(err)} on ${input.toString('hex')}`);
    }
  }
  assert.ok(n > 5000);
});
