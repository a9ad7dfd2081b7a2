import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlType, decodeDropReq, decodePacket, type DataPacket } from './packet.js';
import { RttEstimator } from './rtt.js';
import { SrtSender, type SenderOptions } from './sender.js';

function make(opts: Partial<SenderOptions> = {}) {
  const sent: { type: number; typeInfo: number; cif: Buffer }[] = [];
  const tx = new SrtSender(
    { initialSeq: 10, peerSocketId: 99, peerLatencyUs: 120_000, bufferPackets: 64, flowWindow: 1000, maxBwBps: 0, tlpktdrop: true, startUs: 0, ...opts },
    new RttEstimator(),
    { sendControl: (type, typeInfo, cif) => sent.push({ type, typeInfo, cif }) },
  );
  return { tx, sent };
}

const data = (b: Buffer) => decodePacket(b) as DataPacket;

test('new packets get consecutive seq and msgNo, the timestamp from the socket start, the peer socket id', () => {
  const { tx } = make({ startUs: 1_000 });
  tx.send(Buffer.from('a'), 5_000);
  tx.send(Buffer.from('b'), 6_000);
  const out = tx.poll(6_000).map(data);
  assert.deepEqual(
    out.map((p) => [p.seq, p.msgNo, p.timestamp, p.destSocketId, p.retransmitted, p.position]),
    [
      [10, 1, 4_000, 99, false, 3],
      [11, 2, 5_000, 99, false, 3],
    ],
  );
});

test('NAK: retransmissions (R flag) go before new data; ACK frees the buffer and a full ACK gets an ACKACK', () => {
  const { tx, sent } = make();
  for (let i = 0; i < 5; i++) tx.send(Buffer.from([i]), 0);
  tx.poll(0);
  tx.onNak([{ from: 11, to: 12 }], 0);
  tx.send(Buffer.from([9]), 0);
  const out = tx.poll(1).map(data);
  assert.deepEqual(out.map((p) => [p.seq, p.retransmitted]), [
    [11, true],
    [12, true],
    [15, false],
  ]);
  tx.onAck(7, { lastAckSeq: 14, rttUs: 5000, rttVarUs: 100, availBufPackets: 100 }, 2);
  assert.equal(tx.buffered, 2);
  assert.deepEqual(sent.filter((s) => s.type === ControlType.AckAck).map((s) => s.typeInfo), [7]);
  tx.onAck(0, { lastAckSeq: 14 }, 3);
  assert.equal(sent.filter((s) => s.type === ControlType.AckAck).length, 1, 'light ACKs get no ACKACK');
  tx.onNak([{ from: 11, to: 11 }], 3);
  assert.equal(tx.poll(4).length, 0, 'a NAK for an acknowledged packet is ignored');
});

test('a flood of NAKs neither duplicates retransmissions nor grows without bound; bogus ranges are counted', () => {
  const { tx } = make();
  for (let i = 0; i < 20; i++) tx.send(Buffer.from([i]), 0);
  tx.poll(0);
  for (let i = 0; i < 10_000; i++) tx.onNak([{ from: 10, to: 29 }], 0);
  assert.equal(tx.pendingRetransmits, 20);
  tx.onNak([{ from: 1_000_000, to: 2_000_000 }, { from: 20, to: 15 }], 0);
  assert.equal(tx.stats.ignoredNaks, 2);
  assert.equal(tx.poll(1).length, 20);
  // Repeats right after the retransmission are held back; after the hold (half an RTO) they count again.
  for (let i = 0; i < 10_000; i++) tx.onNak([{ from: 10, to: 29 }], 2);
  assert.equal(tx.poll(3).length, 0);
  tx.onNak([{ from: 10, to: 29 }], 200_000);
  assert.equal(tx.poll(200_000).length, 20);
});

test('flow window: no more than the window in flight until an ACK', () => {
  const { tx } = make({ flowWindow: 4 });
  for (let i = 0; i < 10; i++) tx.send(Buffer.from([i]), 0);
  assert.equal(tx.poll(0).length, 4);
  tx.onAck(0, { lastAckSeq: 12 }, 1);
  assert.deepEqual(tx.poll(1).map((b) => data(b).seq), [14, 15]);
});

test('pacing: maxbw spaces packets on the wire', () => {
  const { tx } = make({ maxBwBps: 1_000_000 });
  for (let i = 0; i < 3; i++) tx.send(Buffer.alloc(956), 0);
  // 956 + 16 header + 28 UDP/IP = 1000 bytes at 1 MB/s: one per millisecond.
  assert.equal(tx.poll(0).length, 1);
  assert.equal(tx.nextTimeUs(0), 1_000);
  assert.equal(tx.poll(999).length, 0);
  assert.equal(tx.poll(1_000).length, 1);
  assert.equal(tx.poll(2_000).length, 1);
});

test('too-late drop: unacknowledged packets older than max(latency, 1 s) + 20 ms are dropped with a DROPREQ', () => {
  const { tx, sent } = make();
  tx.send(Buffer.from([1]), 0);
  tx.send(Buffer.from([2]), 500_000);
  tx.poll(500_000);
  tx.poll(1_020_000);
  assert.equal(tx.stats.dropped, 0);
  tx.poll(1_020_001);
  assert.equal(tx.stats.dropped, 1);
  const drop = sent.find((s) => s.type === ControlType.DropReq)!;
  assert.deepEqual(decodeDropReq(drop.cif), { from: 10, to: 10 });
  assert.equal(drop.typeInfo, 1, 'DROPREQ carries the message number');
  assert.equal(tx.lastAcked, 11);
});

test('a full send buffer drops the oldest packet (live mode)', () => {
  const { tx } = make({ bufferPackets: 4 });
  for (let i = 0; i < 6; i++) tx.send(Buffer.from([i]), 0);
  assert.equal(tx.buffered, 4);
  assert.equal(tx.stats.overflowDropped, 2);
  assert.deepEqual(tx.poll(0).map((b) => data(b).payload[0]), [2, 3, 4, 5]);
});

test('tail loss: when the stream pauses with packets unacknowledged for an RTO, the newest is resent', () => {
  const { tx } = make();
  for (let i = 0; i < 3; i++) tx.send(Buffer.from([i]), 0);
  assert.equal(tx.poll(0).length, 3);
  // RTO = RTT 100 ms + 4 x 50 ms + 20 ms before any sample.
  assert.equal(tx.nextTimeUs(0), 320_000);
  assert.equal(tx.poll(319_999).length, 0);
  const probe = tx.poll(320_000).map(data);
  assert.deepEqual(probe.map((p) => [p.seq, p.retransmitted]), [[12, true]]);
  tx.onAck(0, { lastAckSeq: 13 }, 321_000);
  assert.equal(tx.nextTimeUs(321_000), undefined, 'nothing left to probe once acknowledged');
});
