import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { fuzzInputs } from '../../../test/fixtures/index.js';
import {
  ControlType,
  KeyFlag,
  PacketPosition,
  decodeAck,
  decodeDropReq,
  decodeLossList,
  decodePacket,
  encodeAck,
  encodeControlPacket,
  encodeDataPacket,
  encodeDropReq,
  encodeLossList,
  peekDestSocketId,
} from './packet.js';

test('data packet header: every field at its bit position (spec §3.1) and a round trip', () => {
  const payload = Buffer.from('hello');
  const b = encodeDataPacket({
    seq: 0x7fffffff,
    position: PacketPosition.Solo,
    inOrder: true,
    keyFlag: KeyFlag.Odd,
    retransmitted: true,
    msgNo: 0x3ffffff,
    timestamp: 0xfffffffe,
    destSocketId: 0x12345678,
    payload,
  });
  // F=0 then seq; PP=11 O=1 KK=10 R=1 msgno all ones.
  assert.equal(b.toString('hex', 0, 16), '7fffffff' + 'f7ffffff' + 'fffffffe' + '12345678');
  const p = decodePacket(b);
  assert.equal(p.kind, 'data');
  if (p.kind !== 'data') return;
  assert.deepEqual(
    { seq: p.seq, position: p.position, inOrder: p.inOrder, keyFlag: p.keyFlag, retransmitted: p.retransmitted, msgNo: p.msgNo, timestamp: p.timestamp, dest: p.destSocketId },
    { seq: 0x7fffffff, position: 3, inOrder: true, keyFlag: 2, retransmitted: true, msgNo: 0x3ffffff, timestamp: 0xfffffffe, dest: 0x12345678 },
  );
  assert.deepEqual(p.payload, payload);
  assert.equal(peekDestSocketId(b), 0x12345678);
});

test('control packet header: F bit, type, subtype, type-specific info; CIF is a view', () => {
  const b = encodeControlPacket({ type: ControlType.UserDefined, subtype: 3, typeInfo: 7, timestamp: 9, destSocketId: 1, cif: Buffer.from([1, 2, 3, 4]) });
  assert.equal(b.toString('hex', 0, 4), 'ffff0003');
  const p = decodePacket(b);
  assert.deepEqual(p, { kind: 'control', type: 0x7fff, subtype: 3, typeInfo: 7, timestamp: 9, destSocketId: 1, cif: Buffer.from([1, 2, 3, 4]) });
});

test('ACK bodies: light (one word), full (seven words) round trip', () => {
  assert.deepEqual(decodeAck(encodeAck({ lastAckSeq: 77 })), { lastAckSeq: 77 });
  const full = { lastAckSeq: 5, rttUs: 1000, rttVarUs: 500, availBufPackets: 8000, packetsPerSecond: 100, linkCapacityPps: 200, receiveRateBps: 300 };
  assert.equal(encodeAck(full).length, 28);
  assert.deepEqual(decodeAck(encodeAck(full)), full);
  assert.throws(() => decodeAck(Buffer.alloc(2)), ProtocolError);
});

test('NAK loss list: singles and ranges (range bit on the first word), malformed lists throw', () => {
  const ranges = [
    { from: 3, to: 3 },
    { from: 10, to: 20 },
    { from: 0x7ffffffe, to: 1 },
  ];
  const b = encodeLossList(ranges);
  assert.equal(b.toString('hex'), '00000003' + '8000000a' + '00000014' + 'fffffffe' + '00000001');
  assert.deepEqual(decodeLossList(b), ranges);
  assert.throws(() => decodeLossList(Buffer.from('8000000a', 'hex')), ProtocolError, 'range without end');
  assert.throws(() => decodeLossList(Buffer.from('8000000a8000000b', 'hex')), ProtocolError, 'end with range bit');
  assert.throws(() => decodeLossList(Buffer.alloc(3)), ProtocolError);
  assert.deepEqual(decodeDropReq(encodeDropReq(4, 9)), { from: 4, to: 9 });
});

test('garbage datagrams: short ones throw ProtocolError, never a TypeError (seeded fuzz)', () => {
  assert.throws(() => decodePacket(Buffer.alloc(15)), ProtocolError);
  const seeds = [
    encodeControlPacket({ type: ControlType.Nak, subtype: 0, typeInfo: 0, timestamp: 1, destSocketId: 2, cif: encodeLossList([{ from: 1, to: 9 }]) }),
    encodeControlPacket({ type: ControlType.Ack, subtype: 0, typeInfo: 1, timestamp: 1, destSocketId: 2, cif: encodeAck({ lastAckSeq: 4, rttUs: 1 }) }),
    encodeDataPacket({ seq: 1, position: 3, inOrder: false, keyFlag: 0, retransmitted: false, msgNo: 1, timestamp: 0, destSocketId: 1, payload: Buffer.alloc(20) }),
  ];
  let n = 0;
  for (const input of fuzzInputs(seeds, 1414, 3000)) {
    n++;
    try {
      const p = decodePacket(input);
      if (p.kind === 'control' && p.type === ControlType.Nak) decodeLossList(p.cif);
      if (p.kind === 'control' && p.type === ControlType.Ack) decodeAck(p.cif);
      if (p.kind === 'control' && p.type === ControlType.DropReq) decodeDropReq(p.cif);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `non-protocol error ${String(err)} on ${input.toString('hex')}`);
    }
  }
  assert.ok(n > 3000);
});
