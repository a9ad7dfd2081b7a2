import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlType, decodeAck, decodeLossList, type DataPacket } from './packet.js';
import { SrtReceiver, type ReceiverOptions } from './receiver.js';
import { RttEstimator } from './rtt.js';
import { SEQ_MAX, seqInc } from './seq.js';

interface Sent {
  type: number;
  typeInfo: number;
  cif: Buffer;
}

function make(opts: Partial<ReceiverOptions> = {}) {
  const sent: Sent[] = [];
  const rtt = new RttEstimator();
  const rx = new SrtReceiver(
    { initialSeq: 100, latencyUs: 120_000, bufferPackets: 1024, tlpktdrop: true, periodicNak: true, ...opts },
    rtt,
    { sendControl: (type, typeInfo, cif) => sent.push({ type, typeInfo, cif }) },
  );
  rx.setTsbpdBase(0, 0);
  return { rx, sent, rtt };
}

function pkt(seq: number, timestamp: number, extra: Partial<DataPacket> = {}): DataPacket {
  return { kind: 'data', seq, position: 3, inOrder: false, keyFlag: 0, retransmitted: false, msgNo: 1, timestamp, destSocketId: 1, payload: Buffer.from([seq & 0xff]), ...extra };
}

const naks = (s: Sent[]) => s.filter((x) => x.type === ControlType.Nak).map((x) => decodeLossList(x.cif));
const acks = (s: Sent[]) => s.filter((x) => x.type === ControlType.Ack);

test('TSBPD: a packet is delivered at base + timestamp + latency, not before', () => {
  const { rx } = make();
  rx.onData(pkt(100, 0), 1_000);
  rx.onData(pkt(101, 20_000), 21_000);
  assert.equal(rx.deliver(119_999).length, 0);
  assert.deepEqual(rx.deliver(120_000).map((d) => d.seq), [100]);
  assert.equal(rx.deliver(139_999).length, 0);
  assert.deepEqual(rx.deliver(140_000).map((d) => d.seq), [101]);
  assert.equal(rx.nextTimeUs(140_000) >= 140_000, true);
});

test('a gap is NAKed at once, again periodically, and cleared by the retransmission; ACK then moves past it', () => {
  const { rx, sent } = make();
  rx.onData(pkt(100, 0), 0);
  rx.onData(pkt(103, 3000), 3000);
  assert.deepEqual(naks(sent), [[{ from: 101, to: 102 }]], 'immediate NAK for the hole');
  rx.tick(10_000);
  const ack1 = acks(sent).at(-1)!;
  assert.equal(decodeAck(ack1.cif).lastAckSeq, 101, 'ACK stops at the first hole');
  assert.ok(ack1.typeInfo > 0, 'full ACKs are numbered');
  // Periodic NAK: RTT 100 ms + 4 * 50 ms over 2 = 150 ms after the first report.
  rx.tick(100_000);
  assert.equal(naks(sent).length, 1);
  rx.tick(160_000);
  assert.equal(naks(sent).length, 2, 'the periodic NAK');
  assert.deepEqual(naks(sent).at(-1), [{ from: 101, to: 102 }]);
  rx.onData(pkt(101, 1000, { retransmitted: true }), 161_000);
  rx.onData(pkt(102, 2000, { retransmitted: true }), 161_000);
  assert.equal(rx.lossCount, 0);
  assert.equal(rx.stats.retransmitted, 2);
  rx.tick(171_000);
  assert.equal(decodeAck(acks(sent).at(-1)!.cif).lastAckSeq, 104);
  assert.deepEqual(rx.deliver(200_000).map((d) => d.seq), [100, 101, 102, 103]);
});

test('a retransmission that fills the middle of a range splits it', () => {
  const { rx, sent } = make({ periodicNak: false });
  rx.onData(pkt(100, 0), 0);
  rx.onData(pkt(110, 0), 0);
  rx.onData(pkt(105, 0), 0);
  assert.deepEqual(rx.lossRanges, [
    { from: 101, to: 104 },
    { from: 106, to: 109 },
  ]);
  rx.tick(1_000_000);
  assert.equal(naks(sent).length, 1, 'no periodic NAK when NAKREPORT is off');
});

test('ACKACK gives an RTT sample; light ACK after 64 packets', () => {
  const { rx, sent, rtt } = make();
  rx.onData(pkt(100, 0), 0);
  rx.tick(10_000);
  const ackNo = acks(sent).at(-1)!.typeInfo;
  rx.onAckAck(ackNo, 10_000, 13_000);
  assert.equal(rtt.rttUs, 3_000);
  for (let i = 1; i <= 64; i++) rx.onData(pkt(100 + i, i * 100), 14_000 + i);
  const light = acks(sent).filter((a) => a.cif.length === 4);
  assert.equal(light.length, 1);
  assert.equal(decodeAck(light[0]!.cif).lastAckSeq, 164, 'the 64th packet (seq 163) triggers it');
});

test('too-late packet drop: a hole is skipped once a later packet is due; without tlpktdrop delivery waits', () => {
  for (const tlpktdrop of [true, false]) {
    const { rx } = make({ tlpktdrop });
    rx.onData(pkt(100, 0), 0);
    rx.onData(pkt(102, 2000), 2000);
    assert.deepEqual(rx.deliver(121_000).map((d) => d.seq), [100]);
    const later = rx.deliver(122_000).map((d) => d.seq);
    if (tlpktdrop) {
      assert.deepEqual(later, [102]);
      assert.equal(rx.stats.dropped, 1);
      assert.equal(rx.lossCount, 0, 'nothing NAKed for a dropped packet');
      assert.equal(rx.nextAckSeq, 103);
    } else {
      assert.deepEqual(later, []);
      assert.equal(rx.lossCount, 1);
    }
  }
});

test('sequence numbers across the 2^31 wrap', () => {
  const { rx, sent } = make({ initialSeq: SEQ_MAX - 1 });
  rx.onData(pkt(SEQ_MAX - 1, 0), 0);
  rx.onData(pkt(SEQ_MAX, 1000), 1000);
  rx.onData(pkt(1, 3000), 3000);
  assert.deepEqual(naks(sent), [[{ from: 0, to: 0 }]]);
  rx.onData(pkt(0, 2000), 4000);
  assert.deepEqual(rx.deliver(200_000).map((d) => d.seq), [SEQ_MAX - 1, SEQ_MAX, 0, 1]);
  assert.equal(rx.nextAckSeq, 2);
});

test('a sequence jump beyond the buffer and duplicates are ignored and counted', () => {
  const { rx, sent } = make();
  rx.onData(pkt(100, 0), 0);
  rx.onData(pkt(100 + 5_000_000, 0), 0);
  rx.onData(pkt(100, 0), 0);
  assert.equal(rx.stats.outOfWindow, 1);
  assert.equal(rx.stats.duplicates, 1);
  assert.equal(naks(sent).length, 0);
  assert.equal(rx.lossCount, 0);
  rx.deliver(200_000);
  rx.onData(pkt(100, 0), 200_001);
  assert.equal(rx.stats.duplicates, 2, 'a packet from before the delivery point is a duplicate');
});

test('the 32-bit µs timestamp wraps every 71.6 min: delivery stays base + ts + latency across the wrap', () => {
  const { rx } = make();
  const start = 0x1_0000_0000 - 500_000; // half a second before the wrap, on the peer's clock
  let nowUs = 5_000_000_000; // our clock, far from the peer's
  rx.setTsbpdBase(nowUs, start);
  for (let i = 0; i < 100; i++) {
    const ts = (start + i * 10_000) % 0x1_0000_0000;
    rx.onData(pkt(100 + i, ts), nowUs);
    const arrival = nowUs;
    let got = rx.deliver(arrival + 119_999);
    assert.equal(got.length, 0, `packet ${i} delivered early`);
    got = rx.deliver(arrival + 120_000);
    assert.deepEqual(got.map((d) => d.seq), [100 + i]);
    nowUs += 10_000;
  }
  assert.equal(rx.stats.delivered, 100);
  // A late packet from before the wrap still maps before it.
  assert.ok(rx.unwrapTimestamp(0xffff_fff0) < rx.unwrapTimestamp(5));
});

test('clock drift: after 1000 ACKACKs showing a 10 ms slip the TSBPD base follows it', () => {
  const { rx, sent, rtt } = make();
  rtt.sample(0);
  rx.onData(pkt(100, 0), 0);
  for (let i = 0; i < 1000; i++) {
    const now = 10_000 * (i + 1);
    rx.tick(now);
    const ackNo = acks(sent).at(-1)!.typeInfo;
    // The peer's clock runs 10 ms behind ours.
    rx.onAckAck(ackNo, now - 10_000, now);
    rx.onData(pkt(101 + i, now - 10_000), now); // keep ACKs flowing
  }
  assert.ok(Math.abs(rx.driftUs - 10_000) < 1_000, `drift ${rx.driftUs}`);
});

test('DROPREQ stops NAKs for the dropped range', () => {
  const { rx } = make();
  rx.onData(pkt(100, 0), 0);
  rx.onData(pkt(105, 0), 0);
  rx.onDropReq({ from: 101, to: 103 });
  assert.deepEqual(rx.lossRanges, [{ from: 104, to: 104 }]);
  assert.equal(seqInc(103), 104);
});
