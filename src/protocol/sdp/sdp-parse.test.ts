import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { parseFmtpParams } from './sdp-model.js';
import { parseCandidate, parseSdp } from './sdp-parse.js';
import { serializeCandidate, serializeSdp } from './sdp-serialize.js';
import { CHROME_PLAY_OFFER, CHROME_PUBLISH_OFFER, FIREFOX_PLAY_OFFER } from './sdp-test-offers.js';

test('Chrome publish offer parses into the typed model', () => {
  const s = parseSdp(CHROME_PUBLISH_OFFER);
  assert.equal(s.origin.sessionId, '5732925585443718398');
  assert.deepEqual(s.groups, [{ semantics: 'BUNDLE', mids: ['0', '1'] }]);
  assert.equal(s.extmapAllowMixed, true);
  assert.equal(s.msidSemantic, 'WMS');
  assert.equal(s.media.length, 2);
  const [audio, video] = s.media as [NonNullable<(typeof s.media)[0]>, NonNullable<(typeof s.media)[0]>];
  assert.equal(audio.kind, 'audio');
  assert.equal(audio.port, 52398);
  assert.equal(audio.mid, '0');
  assert.equal(audio.direction, 'sendonly');
  assert.equal(audio.iceUfrag, 'Qx3f');
  assert.equal(audio.icePwd, '9kL1vTq0wT8dA2mS6hB4yR7u');
  assert.equal(audio.setup, 'actpass');
  assert.equal(audio.fingerprint?.algorithm, 'sha-256');
  assert.ok(audio.fingerprint?.value.startsWith('8B:47:1D'));
  assert.equal(audio.rtcpMux, true);
  assert.equal(audio.rtcpRsize, true);
  assert.deepEqual(audio.codecs[0], { payloadType: 111, name: 'opus', clockRate: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1', rtcpFb: ['transport-cc'] });
  assert.deepEqual(audio.codecs.map((c) => c.payloadType), [111, 63, 9, 0, 8, 13, 110, 126]);
  assert.deepEqual(audio.extmaps[2], { id: 3, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' });
  assert.equal(audio.candidates.length, 2);
  assert.deepEqual(audio.candidates[1], {
    foundation: '1993457213',
    component: 1,
    transport: 'tcp',
    priority: 1518280447,
    address: '192.168.1.23',
    port: 9,
    type: 'host',
    tcpType: 'active',
    extensions: [['generation', '0'], ['network-id', '1'], ['network-cost', '10']],
  });
  assert.deepEqual(audio.ssrcs[0], { ssrc: 3485940486, attribute: 'cname', value: 'h2Pu1Hc8R5x3HZeJ' });
  assert.equal(video.codecs.length, 23);
  const h264 = video.codecs.find((c) => c.payloadType === 106)!;
  assert.equal(h264.name, 'H264');
  assert.deepEqual(h264.rtcpFb, ['goog-remb', 'transport-cc', 'ccm fir', 'nack', 'nack pli']);
  assert.equal(parseFmtpParams(h264.fmtp).get('profile-level-id'), '42e01f');
  assert.deepEqual(video.ssrcGroups, [{ semantics: 'FID', ssrcs: [2850142398, 1436287733] }]);
  assert.equal(video.msid, 'a9c1b8e6-2b1f-4a0e-9d2b-0c5f3c1f9e11 f1d1a2c3-5b6e-4f70-8a9b-0c1d2e3f4a5b');
  // Unknown attributes survive (none here besides those modelled).
  assert.deepEqual(video.otherAttributes, []);
});

test('Firefox offer: fmtp before rtpmap, session-level fingerprint, extmap direction', () => {
  const s = parseSdp(FIREFOX_PLAY_OFFER);
  assert.ok(s.fingerprint);
  assert.equal(s.media[0]!.fingerprint, undefined);
  assert.equal(s.media[0]!.extmaps[1]!.direction, 'recvonly');
  const v = s.media[1]!;
  assert.deepEqual(v.codecs.map((c) => [c.payloadType, c.name]), [[126, 'H264'], [97, 'H264'], [120, 'VP8'], [121, 'VP9']]);
  assert.equal(v.codecs[0]!.fmtp, 'profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1');
  assert.deepEqual(v.codecs[1]!.rtcpFb, ['nack', 'nack pli']);
  assert.deepEqual(s.media[0]!.codecs[1], { payloadType: 9, name: 'G722', clockRate: 8000, channels: 1, rtcpFb: [] });
});

test('parse -> serialize -> parse is stable for every fixture', () => {
  for (const offer of [CHROME_PUBLISH_OFFER, CHROME_PLAY_OFFER, FIREFOX_PLAY_OFFER]) {
    const once = parseSdp(offer);
    const text = serializeSdp(once);
    assert.deepEqual(parseSdp(text), once);
    assert.equal(serializeSdp(parseSdp(text)), text);
    assert.ok(text.endsWith('\r\n') && !text.includes('\n\n'));
  }
});

test('LF-only line ends and unknown attributes are accepted and kept', () => {
  const s = parseSdp('v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=x-session:1\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 VP8/90000\na=x-custom\na=x-kv:a b\n');
  assert.deepEqual(s.otherAttributes, [{ name: 'x-session', value: '1' }]);
  assert.deepEqual(s.media[0]!.otherAttributes, [{ name: 'x-custom' }, { name: 'x-kv', value: 'a b' }]);
  assert.ok(serializeSdp(s).includes('a=x-kv:a b\r\n'));
});

test('candidate parse/serialize round trip, including srflx related address', () => {
  const line = 'candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 192.168.1.23 rport 52398 generation 0 ufrag Qx3f';
  const c = parseCandidate(line);
  assert.equal(c.relatedAddress, '192.168.1.23');
  assert.equal(c.relatedPort, 52398);
  assert.equal(serializeCandidate(c), line);
});

test('malformed SDP throws ProtocolError RtcSdpDecode naming the line', () => {
  const base = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n';
  const bad: Array<[string, string | RegExp]> = [
    ['', /empty/],
    ['hello', /line 1/],
    ['o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n', /start with v=/],
    ['v=1\r\n', /version/],
    ['v=0\r\ns=-\r\nt=0 0\r\n', /missing o=/],
    [`${base}m=video x UDP/TLS/RTP/SAVPF 96\r\n`, /line 5.*bad m=/],
    [`${base}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8\r\n`, /bad a=rtpmap/],
    [`${base}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:300 VP8/90000\r\n`, /bad a=rtpmap/],
    [`${base}m=video 9 UDP/TLS/RTP/SAVPF abc\r\n`, /payload type/],
    [`${base}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=extmap:0 urn:x\r\n`, /bad a=extmap/],
    [`${base}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=ssrc:99999999999 cname:x\r\n`, /bad a=ssrc/],
    [`${base}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=candidate:1 1 udp x 1.2.3.4 5 typ host\r\n`, /bad a=candidate/],
    [`${base}a=fingerprint:sha-256 nothex\r\n`, /bad a=fingerprint/],
    [`${base}a=setup:sideways\r\n`, /setup/],
    [`${base}a=ice-ufrag\r\n`, /without a value/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseSdp(text), (e: unknown) => e instanceof ProtocolError && e.code === 5012 && re instanceof RegExp && re.test(e.message), JSON.stringify(text));
  }
  assert.throws(() => parseSdp('v=0\r\n'.padEnd(300 * 1024, 'x')), ProtocolError);
});
