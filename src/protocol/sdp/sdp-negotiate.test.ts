import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { negotiateAnswer, RtpExtensionUri, type AnswerOptions } from './sdp-negotiate.js';
import { parseSdp } from './sdp-parse.js';
import { CHROMIUM_156_PLAY_OFFER, CHROMIUM_156_PUBLISH_OFFER } from './chromium-offers.js';
import { serializeSdp } from './sdp-serialize.js';
import { CHROME_PLAY_OFFER, CHROME_PUBLISH_OFFER, FIREFOX_PLAY_OFFER, OBS_WHIP_OFFER } from './sdp-test-offers.js';

const FP = { algorithm: 'sha-256', value: 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99' };
const base = (over: Partial<AnswerOptions> = {}): AnswerOptions => ({
  role: 'publish',
  iceUfrag: 'srvufrag',
  icePwd: 'srvpwd0123456789abcdefgh',
  fingerprint: FP,
  candidates: [
    { address: '192.168.1.10', port: 8000 },
    { address: '192.168.1.10', port: 8000, transport: 'tcp' },
  ],
  ...over,
});

test('publish: Chrome offer -> recvonly answer with H.264 42e01f pm=1, Opus, RTX, feedback, extmaps by offer ids', () => {
  const n = negotiateAnswer(CHROME_PUBLISH_OFFER, base());
  assert.deepEqual(n.bundleMids, ['0', '1']);
  assert.deepEqual(n.remoteIce, { ufrag: 'Qx3f', pwd: '9kL1vTq0wT8dA2mS6hB4yR7u' });
  assert.equal(n.localSetup, 'passive');
  const [audio, video] = n.media;
  assert.equal(audio!.kind, 'audio');
  assert.equal(audio!.direction, 'recvonly');
  assert.deepEqual(audio!.codec, { payloadType: 111, name: 'opus', clockRate: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1', rtcpFb: ['transport-cc'] });
  assert.equal(audio!.remoteSsrc, 3485940486);
  assert.equal(video!.codec.payloadType, 106);
  assert.equal(video!.codec.fmtp, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f');
  assert.deepEqual(video!.codec.rtcpFb, ['nack', 'nack pli', 'ccm fir', 'transport-cc']);
  assert.deepEqual(video!.rtx, { payloadType: 107, apt: 106 });
  assert.equal(video!.remoteSsrc, 2850142398);
  assert.equal(video!.remoteRtxSsrc, 1436287733);
  assert.deepEqual(video!.extmaps, [
    { id: 2, uri: RtpExtensionUri.AbsSendTime },
    { id: 3, uri: RtpExtensionUri.TransportWideCc },
    { id: 4, uri: RtpExtensionUri.Mid },
  ]);

  // The answer text itself, as the browser will read it.
  const a = parseSdp(n.answerSdp);
  assert.equal(a.iceLite, true);
  assert.deepEqual(a.groups, [{ semantics: 'BUNDLE', mids: ['0', '1'] }]);
  const av = a.media[1]!;
  assert.deepEqual(av.formats, ['106', '107']);
  assert.equal(av.direction, 'recvonly');
  assert.equal(av.iceUfrag, 'srvufrag');
  assert.equal(av.icePwd, 'srvpwd0123456789abcdefgh');
  assert.deepEqual(av.fingerprint, FP);
  assert.equal(av.setup, 'passive');
  assert.equal(av.rtcpMux, true);
  assert.equal(av.codecs[1]!.fmtp, 'apt=106');
  assert.deepEqual(av.ssrcs, []);
  assert.equal(av.candidates.length, 2);
  assert.equal(av.candidates[0]!.address, '192.168.1.10');
  assert.equal(av.candidates[1]!.tcpType, 'passive');
  assert.ok(av.candidates[0]!.priority > av.candidates[1]!.priority);
  assert.ok(n.answerSdp.includes('a=rtpmap:106 H264/90000\r\n'));
  assert.ok(n.answerSdp.includes('a=candidate:0 1 udp '));
  assert.ok(!n.answerSdp.includes('goog-remb'));
});

test('play: recvonly offer -> sendonly answer announcing our SSRCs, FID group and msid', () => {
  const n = negotiateAnswer(CHROME_PLAY_OFFER, base({ role: 'play', sendTracks: { audio: { ssrc: 1111 }, video: { ssrc: 2222, rtxSsrc: 3333 } }, streamId: 'livestream', cname: 'tsrscname' }));
  const a = parseSdp(n.answerSdp);
  assert.equal(a.msidSemantic, 'WMS livestream');
  assert.equal(a.media[0]!.direction, 'sendonly');
  assert.deepEqual(a.media[0]!.ssrcs.map((s) => s.ssrc), [1111, 1111]);
  assert.deepEqual(a.media[1]!.ssrcGroups, [{ semantics: 'FID', ssrcs: [2222, 3333] }]);
  assert.deepEqual(a.media[1]!.ssrcs[0], { ssrc: 2222, attribute: 'cname', value: 'tsrscname' });
  assert.equal(a.media[1]!.msid, 'livestream livestream-video');
  assert.equal(n.media[1]!.remoteSsrc, undefined);
});

test('dtls_role: active when the offer leaves it open, and the offer\'s fixed role wins', () => {
  assert.equal(negotiateAnswer(CHROME_PLAY_OFFER, base({ role: 'play', dtlsRole: 'active' })).localSetup, 'active');
  const offer = parseSdp(CHROME_PLAY_OFFER);
  for (const m of offer.media) m.setup = 'active';
  const n = negotiateAnswer(offer, base({ role: 'play', dtlsRole: 'active' }));
  assert.equal(n.localSetup, 'passive');
  assert.equal(parseSdp(n.answerSdp).media[0]!.setup, 'passive');
});

test('H.264 preference: without constrained baseline, baseline wins; a profile list can force High', () => {
  const offer = parseSdp(CHROME_PLAY_OFFER);
  const video = offer.media[1]!;
  video.codecs = video.codecs.filter((c) => !(c.fmtp ?? '').includes('42e01f'));
  assert.equal(negotiateAnswer(offer, base({ role: 'play' })).media[1]!.codec.payloadType, 102);
  assert.equal(negotiateAnswer(CHROME_PLAY_OFFER, base({ role: 'play', h264Profiles: ['high'] })).media[1]!.codec.payloadType, 39);
  // Only packetization-mode=0 H.264 left: not usable for video.
  video.codecs = video.codecs.filter((c) => c.name !== 'H264' || (c.fmtp ?? '').includes('packetization-mode=0'));
  const n = negotiateAnswer(offer, base({ role: 'play' }));
  assert.equal(n.media.length, 1);
  assert.equal(n.rejected[0]!.kind, 'video');
  assert.match(n.rejected[0]!.reason, /packetization-mode=1/);
  assert.deepEqual(n.bundleMids, ['0']);
  const rejectedSection = parseSdp(n.answerSdp).media[1]!;
  assert.equal(rejectedSection.port, 0);
  assert.equal(rejectedSection.mid, '1');
});

test('VP8/VP9/AV1 when the caller asks (RTC to RTC), with their RTX', () => {
  for (const [name, pt, rtx] of [['VP8', 96, 97], ['VP9', 98, 99], ['AV1', 45, 46]] as const) {
    const v = negotiateAnswer(CHROME_PLAY_OFFER, base({ role: 'play', videoCodecs: [name] })).media[1]!;
    assert.equal(v.codec.name, name);
    assert.equal(v.codec.payloadType, pt);
    assert.deepEqual(v.rtx, { payloadType: rtx, apt: pt });
  }
  const noRtx = negotiateAnswer(CHROME_PLAY_OFFER, base({ role: 'play', rtx: false, twcc: false })).media[1]!;
  assert.equal(noRtx.rtx, undefined);
  assert.deepEqual(noRtx.codec.rtcpFb, ['nack', 'nack pli', 'ccm fir']);
  assert.ok(!noRtx.extmaps.some((e) => e.uri === RtpExtensionUri.TransportWideCc));
});

test('Firefox play offer: session-level fingerprint, H.264 126 with pm=1, no RTX', () => {
  const n = negotiateAnswer(FIREFOX_PLAY_OFFER, base({ role: 'play' }));
  assert.equal(n.media[1]!.codec.payloadType, 126);
  assert.equal(n.media[1]!.rtx, undefined);
  assert.equal(n.media[0]!.codec.payloadType, 109);
  assert.equal(n.remoteFingerprint.value.slice(0, 5), '1C:3F');
});

test('wrong direction for the role, and offers with no usable codec, are clear typed errors', () => {
  const isExchange = (re: RegExp) => (e: unknown): boolean => e instanceof ProtocolError && e.code === 5018 && re.test(e.message);
  // Play offer used to publish: every section is recvonly.
  assert.throws(() => negotiateAnswer(CHROME_PLAY_OFFER, base()), isExchange(/no usable media section.*direction recvonly does not fit publish/));
  const offer = parseSdp(CHROME_PUBLISH_OFFER);
  offer.media[0]!.codecs = offer.media[0]!.codecs.filter((c) => c.name !== 'opus');
  offer.media[1]!.codecs = offer.media[1]!.codecs.filter((c) => c.name !== 'H264');
  assert.throws(() => negotiateAnswer(offer, base()), isExchange(/audio mid=0: no usable codec \(want opus, offered G722, PCMU, PCMA\); video mid=1: .*want H264 with packetization-mode=1, offered VP8, VP9, AV1\)/));
  const noFp = parseSdp(CHROME_PUBLISH_OFFER);
  for (const m of noFp.media) delete m.fingerprint;
  assert.throws(() => negotiateAnswer(noFp, base()), isExchange(/fingerprint/));
  const noIce = parseSdp(CHROME_PUBLISH_OFFER);
  for (const m of noIce.media) delete m.icePwd;
  assert.throws(() => negotiateAnswer(noIce, base()), isExchange(/ice-pwd/));
  const noMux = parseSdp(CHROME_PUBLISH_OFFER);
  for (const m of noMux.media) m.rtcpMux = false;
  assert.throws(() => negotiateAnswer(noMux, base()), isExchange(/rtcp-mux/));
  assert.throws(() => negotiateAnswer('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n', base()), isExchange(/no audio or video/));
  assert.throws(() => negotiateAnswer('garbage', base()), (e: unknown) => e instanceof ProtocolError && e.code === 5012);
});

test('offers captured from Chromium 156: parse round trip, and the answer picks 42e01f pm=1 + RTX and Opus', () => {
  for (const [role, offer] of [['publish', CHROMIUM_156_PUBLISH_OFFER], ['play', CHROMIUM_156_PLAY_OFFER]] as const) {
    const parsed = parseSdp(offer);
    assert.deepEqual(parseSdp(serializeSdp(parsed)), parsed);
    assert.deepEqual(parsed.media[0]!.otherAttributes, [{ name: 'rtcp-xr', value: 'rcvr-rtt=all' }]);
    const n = negotiateAnswer(parsed, base({ role, sendTracks: { audio: { ssrc: 1 }, video: { ssrc: 2, rtxSsrc: 3 } } }));
    assert.deepEqual(n.bundleMids, ['0', '1']);
    assert.equal(n.media[0]!.codec.payloadType, 111);
    assert.equal(n.media[1]!.codec.payloadType, 108);
    assert.deepEqual(n.media[1]!.rtx, { payloadType: 109, apt: 108 });
    assert.equal(n.media[1]!.direction, role === 'publish' ? 'recvonly' : 'sendonly');
    if (role === 'publish') {
      assert.equal(n.media[1]!.remoteSsrc, 3183029477);
      assert.equal(n.media[1]!.remoteRtxSsrc, 3216759350);
      assert.equal(n.media[0]!.remoteSsrc, 2383070205);
    }
  }
});

test('OBS-style WHIP offer: session-level ICE and fingerprint, no TWCC, no extmaps, extra LS group', () => {
  const n = negotiateAnswer(OBS_WHIP_OFFER, base());
  assert.deepEqual(n.remoteIce, { ufrag: 'Pm4c', pwd: '2rDV4x4o2Jk8s0Yd5jY3uP' });
  assert.equal(n.remoteFingerprint.value.slice(0, 5), '5E:0C');
  assert.deepEqual(n.bundleMids, ['0', '1']);
  assert.equal(n.media[1]!.codec.payloadType, 96);
  assert.deepEqual(n.media[1]!.codec.rtcpFb, ['nack', 'nack pli']);
  assert.deepEqual(n.media[0]!.codec.rtcpFb, []);
  assert.deepEqual(n.media[1]!.extmaps, []);
  assert.equal(n.media[1]!.rtx, undefined);
  assert.equal(n.media[1]!.remoteSsrc, 3462116950);
  assert.equal(n.media[0]!.remoteSsrc, 1791483029);
  const parsed = parseSdp(OBS_WHIP_OFFER);
  assert.equal(parsed.media[1]!.candidates[0]!.transport, 'udp');
  assert.deepEqual(parsed.groups[1], { semantics: 'LS', mids: ['0', '1'] });
});

test('an offer without BUNDLE gets no BUNDLE group back (RFC 8843 §7.3)', () => {
  const offer = parseSdp(CHROME_PUBLISH_OFFER);
  offer.groups = [];
  const n = negotiateAnswer(offer, base());
  assert.deepEqual(n.bundleMids, []);
  assert.deepEqual(parseSdp(n.answerSdp).groups, []);
  assert.equal(n.media.length, 2);
});
