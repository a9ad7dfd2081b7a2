// Errors of the codec parsers: malformed codec headers from a peer are ProtocolErrors, prefixed with the
// codec so a log line says which parser refused the bytes.

import { ErrorCode, ProtocolError } from '../../core/errors.js';

export function codecError(codec: string, message: string): ProtocolError {
  return new ProtocolError(ErrorCode.MediaDecode, `${codec}: ${message}`);
}

/** Runs a parser, prefixing the byte/bit readers' truncation errors with the codec name. */
export function withCodecErrors<T>(codec: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ProtocolError && !err.message.startsWith(`${codec}:`)) {
      throw new ProtocolError(err.code, `${codec}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
