import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthError,
  ConfigError,
  ErrorCode,
  ProtocolError,
  SlowConsumerError,
  StreamBusyError,
  TimeoutError,
  TsrsError,
  errorCodeName,
  errorMessage,
  type ErrorCodeKey,
} from './errors.js';

test('every code is used once, so a number names one fault', () => {
  const seen = new Map<number, string>();
  for (const [name, code] of Object.entries(ErrorCode)) {
    assert.ok(Number.isInteger(code) && code > 0, `${name}=${code}`);
    assert.equal(seen.get(code), undefined, `${name} and ${seen.get(code)} share ${code}`);
    seen.set(code, name);
  }
});

// SRS's numbers (srs_kernel_error.hpp, SRS 5; SRS 4 agrees where it has the code). A change here changes
// what API answers and logs say, so it must be deliberate.
const SRS_NUMBERS: ReadonlyArray<readonly [ErrorCodeKey, number, string]> = [
  ['SocketRead', 1007, 'ERROR_SOCKET_READ'],
  ['SocketWrite', 1009, 'ERROR_SOCKET_WRITE'],
  ['SocketTimeout', 1011, 'ERROR_SOCKET_TIMEOUT'],
  ['SystemAssert', 1021, 'ERROR_SYSTEM_ASSERT_FAILED'],
  ['ConfigInvalid', 1023, 'ERROR_SYSTEM_CONFIG_INVALID'],
  ['StreamBusy', 1028, 'ERROR_SYSTEM_STREAM_BUSY'],
  ['TooManyConnections', 1074, 'ERROR_EXCEED_CONNECTIONS'],
  ['RtmpPlainRequired', 2000, 'ERROR_RTMP_PLAIN_REQUIRED'],
  ['RtmpMessageSize', 2002, 'ERROR_RTMP_MSG_INVALID_SIZE'],
  ['RtmpAmf0Decode', 2003, 'ERROR_RTMP_AMF0_DECODE'],
  ['RtmpMessageDecode', 2007, 'ERROR_RTMP_MESSAGE_DECODE'],
  ['RtmpChunkSize', 2010, 'ERROR_RTMP_CHUNK_SIZE'],
  ['RtmpHandshake', 2016, 'ERROR_RTMP_HANDSHAKE'],
  ['RtmpRedirect', 2997, 'ERROR_CONTROL_REDIRECT'],
  ['RtmpRepublish', 2999, 'ERROR_CONTROL_REPUBLISH'],
  ['MediaDecode', 3001, 'ERROR_HLS_DECODE_ERROR'],
  ['HookCodeNotZero', 3064, 'ERROR_RESPONSE_CODE'],
  ['HttpStreamEof', 4040, 'ERROR_HTTP_STREAM_EOF'],
  ['RtcPort', 5000, 'ERROR_RTC_PORT'],
  ['RtcRtp', 5006, 'ERROR_RTC_RTP'],
  ['RtcRtcp', 5007, 'ERROR_RTC_RTCP'],
  ['RtcStun', 5008, 'ERROR_RTC_STUN'],
  ['RtcDtls', 5009, 'ERROR_RTC_DTLS'],
  ['RtcUdp', 5010, 'ERROR_RTC_UDP'],
  ['RtcSdpDecode', 5012, 'ERROR_RTC_SDP_DECODE'],
  ['RtcSrtpInit', 5013, 'ERROR_RTC_SRTP_INIT'],
  ['RtcSrtpProtect', 5014, 'ERROR_RTC_SRTP_PROTECT'],
  ['RtcSrtpUnprotect', 5015, 'ERROR_RTC_SRTP_UNPROTECT'],
  ['RtcSdpExchange', 5018, 'ERROR_RTC_SDP_EXCHANGE'],
  ['RtcApiBody', 5019, 'ERROR_RTC_API_BODY'],
  ['RtcSourceBusy', 5020, 'ERROR_RTC_SOURCE_BUSY'],
  ['RtcDisabled', 5021, 'ERROR_RTC_DISABLED'],
  ['RtcNoSession', 5022, 'ERROR_RTC_NO_SESSION'],
  ['RtcInvalidParams', 5023, 'ERROR_RTC_INVALID_PARAMS'],
  ['RtcTcpPacket', 5033, 'ERROR_RTC_TCP_PACKET'],
  ['RtcInvalidSession', 5036, 'ERROR_RTC_INVALID_SESSION'],
  ['SrtEpoll', 6000, 'ERROR_SRT_EPOLL'],
  ['SrtIo', 6001, 'ERROR_SRT_IO'],
  ['SrtTimeout', 6002, 'ERROR_SRT_TIMEOUT'],
  ['SrtListen', 6004, 'ERROR_SRT_LISTEN'],
  ['SrtConn', 6006, 'ERROR_SRT_CONN'],
  ['SrtSourceBusy', 6007, 'ERROR_SRT_SOURCE_BUSY'],
  ['SrtToRtmpEmptySpsPps', 6010, 'ERROR_SRT_TO_RTMP_EMPTY_SPS_PPS'],
];

test('codes and names are SRS numbers under stable names', () => {
  for (const [name, code, srs] of SRS_NUMBERS) {
    assert.equal(ErrorCode[name], code, `${name} must be ${srs} (${code})`);
    assert.equal(errorCodeName(code), name);
  }
  assert.equal(errorCodeName(1), undefined);
});

test('each code sits in its SRS range: Rtc* 5xxx, Srt* 6xxx, ours in the 9xxx user range', () => {
  for (const [name, code] of Object.entries(ErrorCode)) {
    if (name.startsWith('Rtc')) assert.ok(code >= 5000 && code < 6000, `${name}=${code}`);
    if (name.startsWith('Srt') || name === 'RtmpToSrt') assert.ok(code >= 6000 && code < 7000, `${name}=${code}`);
    else if (name.startsWith('Rtmp')) assert.ok(code >= 2000 && code < 3000, `${name}=${code}`);
    assert.ok(code >= 1000 && code < 7000 || code >= 9000 && code < 10000, `${name}=${code} is outside SRS's ranges`);
  }
  assert.ok(ErrorCode.SlowConsumer >= 9000 && ErrorCode.SlowConsumer < 10000);
});

test('media decode is its own code, not the RTMP message one', () => {
  assert.notEqual(ErrorCode.MediaDecode, ErrorCode.RtmpMessageDecode);
});

test('summary: SRS style, code and name first, then the cause chain outermost first', () => {
  const inner = new Error('truncated: need 4 bytes, have 1');
  const middle = new ProtocolError(ErrorCode.MediaDecode, 'h264: sps', { cause: inner });
  const outer = new TsrsError(ErrorCode.RtmpMessageDecode, 'publish live/a', { cause: middle });
  assert.equal(outer.summary(), 'code=2007(RtmpMessageDecode) : publish live/a : h264: sps : truncated: need 4 bytes, have 1');
  assert.equal(middle.summary(), 'code=3001(MediaDecode) : h264: sps : truncated: need 4 bytes, have 1');
  // A non-Error cause ends the chain; an unknown number still prints.
  assert.equal(new TsrsError(42, 'x', { cause: 'str' }).summary(), 'code=42(Unknown) : x');
});

test('subclasses: fixed default codes, class names, and a code override where a protocol has its own', () => {
  const cases: Array<[TsrsError, string, number]> = [
    [new ConfigError('bad'), 'ConfigError', ErrorCode.ConfigInvalid],
    [new StreamBusyError('busy'), 'StreamBusyError', ErrorCode.StreamBusy],
    [new StreamBusyError('busy', { code: ErrorCode.SrtSourceBusy }), 'StreamBusyError', ErrorCode.SrtSourceBusy],
    [new SlowConsumerError('slow'), 'SlowConsumerError', ErrorCode.SlowConsumer],
    [new TimeoutError('quiet'), 'TimeoutError', ErrorCode.SocketTimeout],
    [new TimeoutError('quiet', { code: ErrorCode.SrtTimeout }), 'TimeoutError', ErrorCode.SrtTimeout],
    [new AuthError(ErrorCode.RtmpAccessDenied, 'no'), 'AuthError', ErrorCode.RtmpAccessDenied],
    [new ProtocolError(ErrorCode.RtcStun, 'stun'), 'ProtocolError', ErrorCode.RtcStun],
  ];
  for (const [err, name, code] of cases) {
    assert.ok(err instanceof TsrsError && err instanceof Error, name);
    assert.equal(err.name, name);
    assert.equal(err.code, code, name);
  }
  const cause = new Error('socket closed');
  const slow = new SlowConsumerError('viewer too slow', { cause });
  assert.equal(slow.cause, cause);
  assert.equal(slow.summary(), 'code=9100(SlowConsumer) : viewer too slow : socket closed');
});

test('errorMessage: summary for catalog errors, message for others, text for anything else', () => {
  assert.equal(errorMessage(new TimeoutError('no data for 5000ms')), 'code=1011(SocketTimeout) : no data for 5000ms');
  assert.equal(errorMessage(new RangeError('r')), 'r');
  assert.equal(errorMessage(7), '7');
});
