// The value model shared by the AMF0 and AMF3 codecs, plus the limits every AMF decode runs under.
// It lives apart from amf0.ts/amf3.ts so that AMF0 (which embeds AMF3 through the AVM+ switch) can import
// AMF3 without a cycle.

import { ErrorCode, ProtocolError } from '../../core/errors.js';

/**
 * A decoded AMF value. AMF0 and AMF3 both map onto it: objects (anonymous or typed) become plain objects,
 * ECMA arrays (and AMF3 arrays with named keys) become `Amf0EcmaArray`, strict/dense arrays become arrays,
 * XML becomes its text, and AMF3 integers/doubles become numbers.
 */
export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Amf0Object
  | Amf0EcmaArray
  | Amf0Value[]
  | Date;

/**
 * An AMF object: a plain object whose own keys are the property names, in wire order (JavaScript lists
 * integer-like keys first, so `{"1": …}` keys do not keep wire order). A `__proto__` property from the wire
 * is stored as an own data property, never as the prototype.
 */
export interface Amf0Object {
  [key: string]: Amf0Value;
}

/** An AMF0 ECMA array (associative array). Kept distinct from objects so `onMetaData` round-trips as 0x08. */
export class Amf0EcmaArray {
  constructor(public readonly entries: Record<string, Amf0Value>) {}
}

/** Nesting deeper than this is refused (objects, arrays, AVM+ switches all count). */
export const AMF_MAX_DEPTH = 64;
/**
 * Most values one decode may produce, counting a reference at the size of what it points to. Guards
 * consumers (loggers, JSON) against reference graphs that are tiny on the wire and huge when walked.
 */
export const AMF_MAX_NODES = 1 << 22;

export function amfDecodeError(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError(ErrorCode.RtmpAmf0Decode, `amf decode: ${message}`, cause === undefined ? undefined : { cause });
}

/** Re-labels a truncation error from ByteReader/BitReader as an AMF decode error. */
export function asAmfDecodeError(err: unknown): unknown {
  if (err instanceof ProtocolError && err.code !== ErrorCode.RtmpAmf0Decode) {
    return amfDecodeError(err.message, err);
  }
  return err;
}

/** Sets an own enumerable data property, safe for `__proto__` and other inherited names. */
export function setOwn(obj: Record<string, Amf0Value>, key: string, value: Amf0Value): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** A slot in a reference table; `nodes` is -1 while the value is still being decoded. */
export interface AmfRefEntry {
  value: Amf0Value;
  nodes: number;
}

/** Depth and size budget shared by every AMF0 and AMF3 value of one decode call. */
export class AmfBudget {
  depth = 0;
  nodes = 0;

  enter(): void {
    if (++this.depth > AMF_MAX_DEPTH) throw amfDecodeError(`nesting deeper than ${AMF_MAX_DEPTH}`);
  }

  leave(): void {
    this.depth--;
  }

  count(n: number): void {
    this.nodes += n;
    if (this.nodes > AMF_MAX_NODES) throw amfDecodeError(`more than ${AMF_MAX_NODES} values`);
  }

  /** Resolves a reference: refuses cycles (no RTMP peer sends them; every walker would loop) and counts size. */
  deref(table: AmfRefEntry[], index: number, kind: string): Amf0Value {
    const entry = table[index];
    if (entry === undefined) throw amfDecodeError(`${kind} reference ${index} out of range (${table.length})`);
    if (entry.nodes < 0) throw amfDecodeError(`cyclic ${kind} reference ${index}`);
    this.count(entry.nodes);
    return entry.value;
  }
}
