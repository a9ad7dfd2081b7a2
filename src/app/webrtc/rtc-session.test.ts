import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../core/logger.js';
import { classifyPacket, decodeStun, encodeStun, StunMethod } from '../../protocol/stun/index.js';
import type { UdpPeer, UdpPeerAddress } from '../../transport/udp-mux.js';
import { createDtlsCertificate, type DtlsCertificate } from './dtls-certificate.js';
import { RtcSession, type RtcSessionEvents } from './rtc-session.js';
import { DtlsClient, DtlsServer, HashAlgorithm, SignatureAlgorithm, SrtpProfile, SrtpSession } from './werift.js';

const log: Logger = { cid: 't', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => log };
const PEER: UdpPeerAddress = { family: 'IPv4', address: '127.0.0.1', port: 40000 };
const UFRAG = 'srvufrag';
const PWD = 'server-password-0123456789';

let serverCert: DtlsCertificate;
let clientCert: DtlsCertificate;

function bindingRequest(password = PWD, username = `${UFRAG}:peer`): Buffer {
  return encodeStun(
    { method: StunMethod.Binding, messageClass: 'request', transactionId: Buffer.alloc(12, 3), username, priority: 100, iceControlling: 1n, useCandidate: true },
    { integrityKey: password, fingerprint: true },
  );
}

interface Harness {
  session: RtcSession;
  sent: Buffer[];
  bound: UdpPeerAddress[];
  closed: string[];
  connected: number;
  clock: { t: number };
  /** DTLS the session sent goes here (the fake browser), when set. */
  dtlsOut?: (b: Buffer) => void;
}

function harness(opts: { fingerprint?: string; stunTimeoutMs?: number; setup?: 'active' | 'passive' } = {}): Harness {
  const h = { sent: [] as Buffer[], bound: [] as UdpPeerAddress[], closed: [] as string[], connected: 0, clock: { t: 1000 } } as Harness;
  const events: RtcSessionEvents = {
    onConnected: () => h.connected++,
    onRtcp: () => {},
    onClosed: (_s, reason) => h.closed.push(reason),
  };
  h.session = new RtcSession(
    {
      id: 's1',
      localUfrag: UFRAG,
      localPwd: PWD,
      remoteFingerprint: { algorithm: 'sha-256', value: opts.fingerprint ?? clientCert.fingerprint },
      localSetup: opts.setup ?? 'passive',
      cert: serverCert,
      stunTimeoutMs: opts.stunTimeoutMs ?? 30_000,
      now: () => h.clock.t,
      log,
    },
    {
      bind: (from: UdpPeerAddress, _p: UdpPeer) => h.bound.push(from),
      send: (buf: Buffer) => {
        h.sent.push(buf);
        if (classifyPacket(buf) === 'dtls' && h.dtlsOut) {
          const copy = Buffer.from(buf);
          setImmediate(() => h.dtlsOut!(copy));
        }
      },
    },
    events,
  );
  return h;
}

test('setup: certificates', async () => {
  [serverCert, clientCert] = await Promise.all([createDtlsCertificate(), createDtlsCertificate()]);
  assert.match(serverCert.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
});

test('ICE-lite: a valid check is answered with XOR-MAPPED-ADDRESS, binds the address and starts DTLS', () => {
  const h = harness();
  h.session.onDatagram(bindingRequest(), 'stun', PEER);
  assert.equal(h.session.state, 'dtls');
  assert.deepEqual(h.bound, [PEER]);
  const answer = decodeStun(h.sent[0]!);
  assert.equal(answer.messageClass, 'success');
  assert.deepEqual(answer.xorMappedAddress, { family: 'IPv4', address: '127.0.0.1', port: 40000 });
  h.session.close('test');
});

test('ICE-lite: a check with the wrong password gets 401 and changes nothing', () => {
  const h = harness();
  h.session.onDatagram(bindingRequest('wrong-password-xxxxxxxxxx'), 'stun', PEER);
  assert.equal(h.session.state, 'ice');
  assert.deepEqual(h.bound, []);
  assert.equal(decodeStun(h.sent[0]!).errorCode?.code, 401);
});

test('DTLS or SRTCP before any valid check is dropped, the session stays waiting', () => {
  const h = harness();
  h.session.onDatagram(Buffer.from('16feff0000000000000000', 'hex'), 'dtls', PEER);
  h.session.onDatagram(Buffer.from('81c90001deadbeef', 'hex'), 'rtcp', PEER);
  assert.equal(h.session.state, 'ice');
  assert.deepEqual(h.closed, []);
});

test('stun_timeout (fake clock): checks keep the session, silence longer than the timeout ends it once', () => {
  const h = harness({ stunTimeoutMs: 30_000 });
  h.clock.t += 29_000;
  h.session.tick(h.clock.t);
  assert.deepEqual(h.closed, [], 'not yet: 29 s without a check');
  h.session.onDatagram(bindingRequest(), 'stun', PEER);
  h.clock.t += 29_000;
  h.session.tick(h.clock.t);
  assert.deepEqual(h.closed, [], 'a check restarted the timer');
  h.clock.t += 2_000;
  h.session.tick(h.clock.t);
  h.session.tick(h.clock.t + 5000);
  assert.equal(h.closed.length, 1);
  assert.match(h.closed[0]!, /stun_timeout/);
  assert.equal(h.session.state, 'closed');
});

/** A werift DTLS client plays the browser: it sees what the session sends and answers into it. */
async function handshake(h: Harness): Promise<DtlsClient> {
  const transport = {
    type: 'udp',
    closed: false,
    address: { address: '127.0.0.1', family: 'IPv4', port: PEER.port },
    onData: (_d: Buffer, _a: unknown) => {},
    send: async (data: Buffer) => {
      const copy = Buffer.from(data);
      setImmediate(() => h.session.onDatagram(copy, 'dtls', PEER));
    },
    close: async () => {},
  };
  h.dtlsOut = (b) => transport.onData(b, undefined);
  const client = new DtlsClient({
    transport: transport as never,
    cert: clientCert.certPem,
    key: clientCert.keyPem,
    signatureHash: { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 },
    srtpProfiles: [SrtpProfile.AesCm128HmacSha1_80, SrtpProfile.AeadAes128Gcm] as never,
    extendedMasterSecret: true,
  });
  h.session.onDatagram(bindingRequest(), 'stun', PEER);
  void client.connect().catch(() => undefined);
  return client;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('DTLS 1.2 handshake as server: GCM chosen (our preference), SRTP the client can decrypt', async () => {
  const h = harness();
  const client = await handshake(h);
  await until(() => h.connected > 0 || h.closed.length > 0);
  assert.deepEqual(h.closed, []);
  assert.equal(h.session.state, 'connected');
  assert.equal(h.session.srtpProfile, SrtpProfile.AeadAes128Gcm);
  const packet = Buffer.from('80600001000000640000abcd' + 'cafebabe0102', 'hex');
  const protectedPacket = h.session.sendRtp(packet, 12)!;
  assert.ok(protectedPacket.length === packet.length + 16, 'GCM adds a 16-byte tag');
  const k = client.extractSessionKeys(16, 12);
  const srtp = new SrtpSession({ keys: { localMasterKey: k.localKey, localMasterSalt: k.localSalt, remoteMasterKey: k.remoteKey, remoteMasterSalt: k.remoteSalt }, profile: SrtpProfile.AeadAes128Gcm });
  assert.deepEqual(srtp.decrypt(protectedPacket).subarray(0, packet.length), packet);
  h.session.close('test');
});

test('DTLS: a certificate that does not match the SDP fingerprint ends the session', async () => {
  const h = harness({ fingerprint: serverCert.fingerprint });
  await handshake(h);
  await until(() => h.closed.length > 0 || h.connected > 0);
  assert.equal(h.connected, 0);
  assert.match(h.closed[0]!, /fingerprint/);
});

test('dtls_role active: we send the ClientHello after the first valid check and finish as the DTLS client', async () => {
  const h = harness({ setup: 'active' });
  const transport = {
    type: 'udp',
    closed: false,
    address: { address: '127.0.0.1', family: 'IPv4', port: PEER.port },
    onData: (_d: Buffer, _a: unknown) => {},
    send: async (data: Buffer) => {
      const copy = Buffer.from(data);
      setImmediate(() => h.session.onDatagram(copy, 'dtls', PEER));
    },
    close: async () => {},
  };
  h.dtlsOut = (b) => transport.onData(b, undefined);
  const browser = new DtlsServer({
    transport: transport as never,
    cert: clientCert.certPem,
    key: clientCert.keyPem,
    signatureHash: { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 },
    srtpProfiles: [SrtpProfile.AesCm128HmacSha1_80] as never,
    certificateRequest: true,
    extendedMasterSecret: true,
  });
  void browser;
  h.session.onDatagram(bindingRequest(), 'stun', PEER);
  await until(() => h.connected > 0 || h.closed.length > 0);
  assert.deepEqual(h.closed, []);
  assert.equal(h.session.srtpProfile, SrtpProfile.AesCm128HmacSha1_80, 'the only profile the peer offers');
  h.session.close('test');
});
