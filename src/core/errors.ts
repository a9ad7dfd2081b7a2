// One error catalog for the whole server. Codes follow SRS's numbering (srs_kernel_error.hpp ranges:
// 1xxx system, 2xxx RTMP, 3xxx app, 4xxx HTTP) so API answers and logs read the same as SRS's.

export const ErrorCode = {
  SocketRead: 1007,
  SocketReadFully: 1008,
  SocketWrite: 1009,
  SocketTimeout: 1011,
  StreamBusy: 1028,
  SystemSecurityDeny: 1053,
  SystemSecurityAllow: 1054,
  RawApiDisabled: 1061,
  RtmpPlainRequired: 1001,
  RtmpChunkStart: 2001,
  RtmpMessageDecode: 2002,
  RtmpPacketSize: 2003,
  RtmpVhostNotFound: 2014,
  RtmpAccessDenied: 2015,
  RtmpHandshake: 2016,
  RtmpNoRequest: 2017,
  RtmpAmf0Decode: 2008,
  RtmpAmf0Invalid: 2009,
  RtmpAmf0Encode: 2012,
  RtmpChunkSize: 2020,
  RtmpMessageSize: 2021,
  RtmpStreamNameEmpty: 2051,
  RtmpClientClosed: 2998,
  RtmpRepublish: 2999,
  ConfigInvalid: 1023,
  StreamNotFound: 2048,
  ClientNotFound: 2049,
  HttpStreamEof: 4054,
  AppTimeout: 3001,
  TooManyConnections: 1085,
  HttpStatus: 4005,
  HookInvalidBody: 3008,
  HookCodeNotZero: 3064,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

const names = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

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
/** Bad configuration; names file, line and directive in its message. */
export class ConfigError extends TsrsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ConfigInvalid, message, options);
  }
}
/** Refused by security, referer or a callback. */
export class AuthError extends TsrsError {}
/** A second publisher for a stream that already has one. */
export class StreamBusyError extends TsrsError {
  constructor(message: string) {
    super(ErrorCode.StreamBusy, message);
  }
}
/** A viewer that cannot keep up even after its queue was shrunk. */
export class SlowConsumerError extends TsrsError {}
/** A peer that stayed silent for too long. */
export class TimeoutError extends TsrsError {
  constructor(message: string) {
    super(ErrorCode.SocketTimeout, message);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof TsrsError) return err.summary();
  if (err instanceof Error) return err.message;
  return String(err);
}
