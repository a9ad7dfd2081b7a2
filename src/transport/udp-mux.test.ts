import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeStun, StunMethod, type UdpPacketKind } from '../protocol/stun/index.js';
import { UdpDemux, stunLocalUfrag, type UdpPeer, type UdpPeerAddress } from './udp-mux.js';

const A: UdpPeerAddress = { family: 'IPv4', address: '127.0.0.1', port: 50000 };
const B: UdpPeerAddress = { family: 'IPv4', address: '127.0.0.1', port: 50001 };

function check(username: string): Buffer {
  return encodeStun(
    { method: StunMethod.Binding, messageClass: 'request', transactionId: Buffer.alloc(12, 7), username, priority: 1 },
    { integrityKey: 'pwd', fingerprint: true },
  );
}
/** A DTLS ClientHello record header (content type 22, DTLS 1.0 record version). */
const DTLS = Buffer.from('16feff000000000000000000010000', 'hex');
/** An RTCP RR (PT 201) and an RTP packet (PT 96). */
const RTCP = Buffer.from('81c90001deadbeef', 'hex');
const RTP = Buffer.from('80600001000000000000abcd00', 'hex');

class Recorder implements UdpPeer {
  got: Array<{ kind: UdpPacketKind; from: string }> = [];
  onDatagram(_buf: Buffer, kind: UdpPacketKind, from: UdpPeerAddress): void {
    this.got.push({ kind, from: `${from.address}:${from.port}` });
  }
}

test('stunLocalUfrag reads our ufrag from USERNAME; not STUN or no USERNAME gives undefined', () => {
  assert.equal(stunLocalUfrag(check('ab12cd34:peer')), 'ab12cd34');
  assert.equal(stunLocalUfrag(DTLS), undefined);
  assert.equal(stunLocalUfrag(encodeStun({ method: StunMethod.Binding, messageClass: 'request', transactionId: Buffer.alloc(12) })), undefined);
  assert.equal(stunLocalUfrag(check('nocolon')), undefined);
});

test('an unknown address gets nothing but STUN naming a known ufrag; a bound address gets every kind', () => {
  const mux = new UdpDemux();
  const peer = new Recorder();
  mux.addUfrag('ufragA', peer);
  assert.equal(mux.route(DTLS, A), null, 'DTLS from an unknown address is dropped');
  assert.equal(mux.route(check('other:x'), A), null, 'STUN for an unknown ufrag is dropped');
  assert.equal(mux.route(check('ufragA:x'), A), peer);
  assert.equal(mux.route(DTLS, A), null, 'not bound until the session says the check was valid');
  mux.bind(A, peer);
  mux.route(DTLS, A);
  mux.route(RTCP, A);
  mux.route(RTP, A);
  assert.deepEqual(peer.got.map((g) => g.kind), ['stun', 'dtls', 'rtcp', 'rtp']);
  assert.equal(mux.counters.unrouted, 3);
});

test('two sessions stay apart; STUN from a new address reaches its session by ufrag (peer moved)', () => {
  const mux = new UdpDemux();
  const p1 = new Recorder();
  const p2 = new Recorder();
  mux.addUfrag('one', p1);
  mux.addUfrag('two', p2);
  mux.bind(A, p1);
  mux.bind(B, p2);
  mux.route(RTCP, A);
  mux.route(RTCP, B);
  assert.deepEqual([p1.got.length, p2.got.length], [1, 1]);
  // p1's peer moves to a third address: its STUN finds the session by ufrag.
  const C: UdpPeerAddress = { family: 'IPv4', address: '10.0.0.9', port: 4000 };
  assert.equal(mux.route(check('one:x'), C), p1);
  assert.equal(p1.got.at(-1)!.from, '10.0.0.9:4000');
  // STUN on a bound address still goes by ufrag, so it cannot be taken by the address owner.
  assert.equal(mux.route(check('two:x'), A), p2);
});

test('remove drops the ufrag and every address of the session', () => {
  const mux = new UdpDemux();
  const p = new Recorder();
  mux.addUfrag('u', p);
  mux.bind(A, p);
  mux.bind(B, p);
  mux.remove('u', p);
  assert.equal(mux.route(RTCP, A), null);
  assert.equal(mux.route(RTCP, B), null);
  assert.equal(mux.route(check('u:x'), A), null);
  assert.equal(mux.sessions, 0);
});
