// One error catalog for the whole server. Numbers and ranges are SRS's (srs_kernel_error.hpp of SRS 5,
// the same numbers as SRS 4 where SRS 4 has them): 1xxx system, 2xxx RTMP, 3xxx application,
// 4xxx HTTP, 5xxx RTC, 6xxx SRT, 9xxx user-defined. So an API answer or a log line carries the number
// SRS would give for the same fault. Keys are our own stable names (summary() prints them); a code that
// SRS has is never renumbered, and one SRS lacks goes in SRS's user range (9000-9999), which SRS leaves
// to users, so a later SRS code cannot collide with it.

export const ErrorCode = {
  // 1xxx system.
  SocketListen: 1003,
  SocketRead: 1007,
  SocketReadFully: 1008,
  SocketWrite: 1009,
  SocketTimeout: 1011,
  SocketConnect: 1012,
  /** ERROR_SYSTEM_ASSERT_FAILED: a caller broke an invariant (a bug here, not bad input). */
  SystemAssert: 1021,
  ConfigInvalid: 1023,
  StreamBusy: 1028,
  FileWrite: 1045,
  SystemSecurityDeny: 1053,
  SystemSecurityAllow: 1054,
  RawApiDisabled: 1061,
  FileNotFound: 1064,
  /** ERROR_EXCEED_CONNECTIONS. */
  TooManyConnections: 1074,

  // 2xxx RTMP.
  RtmpPlainRequired: 2000,
  RtmpChunkStart: 2001,
  /** ERROR_RTMP_MSG_INVALID_SIZE. */
  RtmpMessageSize: 2002,
  RtmpAmf0Decode: 2003,
  RtmpAmf0Invalid: 2004,
  /** ERROR_RTMP_MESSAGE_DECODE: an RTMP message, not the media it carries (that is MediaDecode). */
  RtmpMessageDecode: 2007,
  RtmpAmf0Encode: 2009,
  RtmpChunkSize: 2010,
  RtmpPacketSize: 2013,
  RtmpVhostNotFound: 2014,
  RtmpAccessDenied: 2015,
  RtmpHandshake: 2016,
  RtmpNoRequest: 2017,
  StreamNotFound: 2048,
  ClientNotFound: 2049,
  RtmpStreamNameEmpty: 2051,
  /** ERROR_CONTROL_REDIRECT: RTMP 302. */
  RtmpRedirect: 2997,
  RtmpClientClosed: 2998,
  RtmpRepublish: 2999,

  // 3xxx application.
  /**
   * Malformed media: FLV/MP4/TS containers and H.264/H.265/AAC/MP3/Opus headers, whatever protocol
   * carried them. SRS has no code named for this; ERROR_HLS_DECODE_ERROR (3001, "decode av stream
   * failed") is the one SRS's own codec and format layer (SrsFormat, SrsFrame) reports such faults with,
   * so a bad SPS reads the same here as in SRS.
   */
  MediaDecode: 3001,
  /** ERROR_HTTP_DATA_INVALID. */
  HookInvalidBody: 3008,
  /** ERROR_RESPONSE_CODE. */
  HookCodeNotZero: 3064,
  OriginClusterDiscover: 3091,
  OriginClusterRedirect: 3092,

  // 4xxx HTTP.
  HttpPatternEmpty: 4000,
  HttpUrlNotClean: 4002,
  HttpStatus: 4005,
  HttpStreamEof: 4040,
  /** ERROR_HTTPS_KEY_CRT. */
  HttpsKeyCert: 4045,

  // 5xxx RTC (WebRTC).
  RtcPort: 5000,
  RtcPacketCreate: 5001,
  RtcSslCreate: 5002,
  RtcSslReset: 5003,
  RtcSslWrite: 5004,
  RtcSslNew: 5005,
  /** ERROR_RTC_RTP: invalid RTP header. */
  RtcRtp: 5006,
  /** ERROR_RTC_RTCP: invalid RTCP packet type. */
  RtcRtcp: 5007,
  /** ERROR_RTC_STUN: STUN/ICE failed. */
  RtcStun: 5008,
  RtcDtls: 5009,
  /** ERROR_RTC_UDP: a UDP packet that is none of STUN/DTLS/RTP/RTCP. */
  RtcUdp: 5010,
  RtcRtpMuxer: 5011,
  RtcSdpDecode: 5012,
  RtcSrtpInit: 5013,
  RtcSrtpProtect: 5014,
  RtcSrtpUnprotect: 5015,
  RtcRtcpCheck: 5016,
  RtcSourceCheck: 5017,
  /** ERROR_RTC_SDP_EXCHANGE: offer/answer negotiation failed (no common codec, bad candidate...). */
  RtcSdpExchange: 5018,
  RtcApiBody: 5019,
  RtcSourceBusy: 5020,
  RtcDisabled: 5021,
  RtcNoSession: 5022,
  RtcInvalidParams: 5023,
  RtcDummyBridge: 5024,
  RtcStreamStarted: 5025,
  RtcTrackCodec: 5026,
  RtcNoPlayer: 5027,
  RtcNoPublisher: 5028,
  RtcDuplicatedSsrc: 5029,
  RtcNoTrack: 5030,
  RtcRtcpEmptyRr: 5031,
  RtcTcpSize: 5032,
  RtcTcpPacket: 5033,
  RtcTcpStun: 5034,
  RtcTcpUnique: 5035,
  RtcInvalidSession: 5036,

  // 6xxx SRT.
  SrtEpoll: 6000,
  /** ERROR_SRT_IO: read or write failed; like SocketRead, a normal hang-up. */
  SrtIo: 6001,
  SrtTimeout: 6002,
  SrtInterrupt: 6003,
  SrtListen: 6004,
  SrtSockopt: 6005,
  /** ERROR_SRT_CONN: connection-level fault (e.g. an unusable stream id). */
  SrtConn: 6006,
  SrtSourceBusy: 6007,
  RtmpToSrt: 6008,
  SrtStats: 6009,
  SrtToRtmpEmptySpsPps: 6010,

  // 9xxx user range: ours, where SRS has no code.
  /** A viewer that stayed behind after its queue was shrunk; SRS never closes one, so it has no code. */
  SlowConsumer: 9100,
} as const;
export type ErrorCodeKey = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeKey];

const names = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** The catalog name of a code (`MediaDecode` for 3001), or undefined when the catalog lacks it. */
export function errorCodeName(code: number): string | undefined {
  return names.get(code);
}

/** Base error: a stable numeric code plus a readable chain of causes. */
export class TsrsError extends Error {
  readonly code: number;
  constructor(code: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
  /** SRS-style one-line summary: `code=1028(StreamBusy) : outer : inner`. */
  summary(): string {
    const parts: string[] = [this.message];
    let c: unknown = this.cause;
    while (c instanceof Error) {
      parts.push(c.message);
      c = c.cause;
    }
    return `code=${this.code}(${names.get(this.code) ?? 'Unknown'}) : ${parts.join(' : ')}`;
  }
}

/** Malformed bytes from a peer; the connection that sent them is closed. */
export class ProtocolError extends TsrsError {}
/** Bad configuration (file or command line); names file, line and directive in its message. */
export class ConfigError extends TsrsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ConfigInvalid, message, options);
  }
}
/** Refused by security, referer or a callback. */
export class AuthError extends TsrsError {}
/** A second publisher for a stream that already has one. */
export class StreamBusyError extends TsrsError {
  constructor(message: string, options?: { cause?: unknown; code?: number }) {
    super(options?.code ?? ErrorCode.StreamBusy, message, options);
  }
}
/** A viewer that cannot keep up even after its queue was shrunk. */
export class SlowConsumerError extends TsrsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.SlowConsumer, message, options);
  }
}
/** A peer that stayed silent for too long. `code` picks the protocol's entry (e.g. SrtTimeout). */
export class TimeoutError extends TsrsError {
  constructor(message: string, options?: { cause?: unknown; code?: number }) {
    super(options?.code ?? ErrorCode.SocketTimeout, message, options);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof TsrsError) return err.summary();
  if (err instanceof Error) return err.message;
  return String(err);
}
