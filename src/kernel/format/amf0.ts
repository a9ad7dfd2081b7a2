// AMF0 encode/decode (Adobe "Action Message Format -- AMF 0", December 2007), the encoding of RTMP command
// (type 20) and data (type 18) messages and of FLV script tags.
//
// Decoding is strict about structure and tolerant where real peers are sloppy, like SRS:
// - an object, typed object or ECMA array that ends exactly at the end of the buffer without its
//   0x00 0x00 0x09 end marker is accepted (srs_rtmp_amf0.cpp reads properties "while !stream->empty()");
// - the ECMA array count is only a hint: properties are read up to the end marker.
// It refuses what could hurt the server: nesting deeper than AMF_MAX_DEPTH, counts larger than the bytes
// left, cyclic references, and reference graphs that expand past AMF_MAX_NODES values.

import { ByteReader } from '../../core/byte-reader.js';
import { ByteWriter } from '../../core/byte-writer.js';
import { ErrorCode, TsrsError } from '../../core/errors.js';
import {
  type Amf0Object,
  type Amf0Value,
  type AmfRefEntry,
  Amf0EcmaArray,
  AMF_MAX_DEPTH,
  AmfBudget,
  amfDecodeError,
  asAmfDecodeError,
  setOwn,
} from './amf-value.js';
import { decodeAmf3Value, newAmf3Context } from './amf3.js';

export { Amf0EcmaArray, AMF_MAX_DEPTH, AMF_MAX_NODES } from './amf-value.js';
export type { Amf0Object, Amf0Value } from './amf-value.js';

/** AMF0 type markers (AMF0 spec 2.1). */
export const Amf0Marker = {
  Number: 0x00,
  Boolean: 0x01,
  String: 0x02,
  Object: 0x03,
  MovieClip: 0x04,
  Null: 0x05,
  Undefined: 0x06,
  Reference: 0x07,
  EcmaArray: 0x08,
  ObjectEnd: 0x09,
  StrictArray: 0x0a,
  Date: 0x0b,
  LongString: 0x0c,
  Unsupported: 0x0d,
  RecordSet: 0x0e,
  XmlDocument: 0x0f,
  TypedObject: 0x10,
  AvmPlus: 0x11,
} as const;

/** State of one AMF0 decode: the complex-object reference table (spec 2.9) and the shared budget. */
export interface Amf0DecodeContext {
  readonly budget: AmfBudget;
  readonly refs: AmfRefEntry[];
}

export function newAmf0Context(): Amf0DecodeContext {
  return { budget: new AmfBudget(), refs: [] };
}

// ---------------------------------------------------------------------------------------------------------
// Decode

function readShortString(r: ByteReader): string {
  return r.bytes(r.u16()).toString('utf8');
}

function readLongString(r: ByteReader): string {
  return r.bytes(r.u32()).toString('utf8');
}

/** Reads name/value pairs up to the object end marker (or, tolerated, the end of the buffer). */
function readProperties(r: ByteReader, ctx: Amf0DecodeContext, target: Record<string, Amf0Value>): void {
  for (;;) {
    if (r.remaining === 0) return;
    const keyLength = r.u16();
    if (keyLength === 0 && r.remaining > 0 && r.buf[r.pos] === Amf0Marker.ObjectEnd) {
      r.pos++;
      return;
    }
    const key = r.bytes(keyLength).toString('utf8');
    setOwn(target, key, readValue(r, ctx));
  }
}

function beginComplex(ctx: Amf0DecodeContext): { entry: AmfRefEntry; start: number } {
  ctx.budget.enter();
  const entry: AmfRefEntry = { value: null, nodes: -1 };
  ctx.refs.push(entry);
  return { entry, start: ctx.budget.nodes };
}

function endComplex(ctx: Amf0DecodeContext, slot: { entry: AmfRefEntry; start: number }, value: Amf0Value): Amf0Value {
  ctx.budget.leave();
  slot.entry.value = value;
  slot.entry.nodes = 1 + ctx.budget.nodes - slot.start;
  return value;
}

function readValue(r: ByteReader, ctx: Amf0DecodeContext): Amf0Value {
  ctx.budget.count(1);
  const marker = r.u8();
  switch (marker) {
    case Amf0Marker.Number:
      return r.f64();
    case Amf0Marker.Boolean:
      return r.u8() !== 0;
    case Amf0Marker.String:
      return readShortString(r);
    case Amf0Marker.LongString:
    case Amf0Marker.XmlDocument:
      return readLongString(r);
    case Amf0Marker.Null:
      return null;
    case Amf0Marker.Undefined:
    case Amf0Marker.Unsupported:
      return undefined;
    case Amf0Marker.Object:
    case Amf0Marker.TypedObject: {
      const slot = beginComplex(ctx);
      // Typed object: the class name is read and dropped; the members are what callers use.
      if (marker === Amf0Marker.TypedObject) readShortString(r);
      const obj: Amf0Object = {};
      slot.entry.value = obj;
      readProperties(r, ctx, obj);
      return endComplex(ctx, slot, obj);
    }
    case Amf0Marker.EcmaArray: {
      const slot = beginComplex(ctx);
      r.u32(); // associative-count: a hint only, never trusted for allocation
      const entries: Record<string, Amf0Value> = {};
      const ecma = new Amf0EcmaArray(entries);
      slot.entry.value = ecma;
      readProperties(r, ctx, entries);
      return endComplex(ctx, slot, ecma);
    }
    case Amf0Marker.StrictArray: {
      const slot = beginComplex(ctx);
      const count = r.u32();
      if (count > r.remaining) throw amfDecodeError(`strict array of ${count} items does not fit in ${r.remaining} bytes`);
      const arr: Amf0Value[] = [];
      slot.entry.value = arr;
      for (let i = 0; i < count; i++) arr.push(readValue(r, ctx));
      return endComplex(ctx, slot, arr);
    }
    case Amf0Marker.Date: {
      const ms = r.f64();
      r.i16(); // time-zone: reserved, "should be 0x0000" (spec 2.13)
      return new Date(ms);
    }
    case Amf0Marker.Reference:
      return ctx.budget.deref(ctx.refs, r.u16(), 'amf0');
    case Amf0Marker.AvmPlus: {
      // Each switch starts fresh AMF3 reference tables; depth and size budgets carry on.
      ctx.budget.enter();
      const v = decodeAmf3Value(r, newAmf3Context(ctx.budget));
      ctx.budget.leave();
      return v;
    }
    default:
      throw amfDecodeError(`bad amf0 marker 0x${marker.toString(16)} at ${r.pos - 1}`);
  }
}

/**
 * Decodes one AMF0 value at the reader's position. Values of one message should share a context (the
 * reference table spans the message); by default each call has its own. Throws a ProtocolError with code
 * RtmpAmf0Decode on malformed input.
 */
export function decodeAmf0Value(r: ByteReader, ctx: Amf0DecodeContext = newAmf0Context()): Amf0Value {
  try {
    return readValue(r, ctx);
  } catch (err) {
    throw asAmfDecodeError(err);
  }
}

/** Decodes every AMF0 value in `buf` (e.g. a command: name, transaction id, command object, args…). */
export function decodeAmf0(buf: Buffer): Amf0Value[] {
  const r = new ByteReader(buf);
  const ctx = newAmf0Context();
  const out: Amf0Value[] = [];
  while (r.remaining > 0) out.push(decodeAmf0Value(r, ctx));
  return out;
}

/**
 * Decodes an AMF3 command (type 17) or AMF3 data (type 15) message body: a format selector byte 0x00, then
 * AMF0 values which may switch to AMF3 with the AVM+ marker. A body that does not start with 0x00 is read
 * as plain AMF0 (a command never starts with a number, so this cannot misread a valid body).
 * It lives here rather than in amf3.ts so that amf0 → amf3 stays a one-way import.
 */
export function decodeAmf3Command(buf: Buffer): Amf0Value[] {
  return decodeAmf0(buf.length > 0 && buf[0] === 0x00 ? buf.subarray(1) : buf);
}

/** Same framing as a type-17 command: the AMF3 data message (type 15). */
export const decodeAmf3Data = decodeAmf3Command;

// ---------------------------------------------------------------------------------------------------------
// Encode

function encodeError(message: string): TsrsError {
  return new TsrsError(ErrorCode.RtmpAmf0Encode, `amf0 encode: ${message}`);
}

function writeKey(w: ByteWriter, key: string): void {
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length > 0xffff) throw encodeError(`property name of ${bytes.length} bytes is longer than 65535`);
  w.u16(bytes.length).bytes(bytes);
}

function writeProperties(w: ByteWriter, obj: Record<string, Amf0Value>, depth: number): void {
  for (const key of Object.keys(obj)) {
    writeKey(w, key);
    writeValue(w, obj[key], depth);
  }
  w.u16(0).u8(Amf0Marker.ObjectEnd);
}

function writeValue(w: ByteWriter, v: Amf0Value, depth: number): void {
  if (depth > AMF_MAX_DEPTH) throw encodeError(`nesting deeper than ${AMF_MAX_DEPTH} (cyclic value?)`);
  if (v === null) {
    w.u8(Amf0Marker.Null);
    return;
  }
  switch (typeof v) {
    case 'undefined':
      w.u8(Amf0Marker.Undefined);
      return;
    case 'number':
      w.u8(Amf0Marker.Number).f64(v);
      return;
    case 'boolean':
      w.u8(Amf0Marker.Boolean).u8(v ? 1 : 0);
      return;
    case 'string': {
      const bytes = Buffer.from(v, 'utf8');
      if (bytes.length <= 0xffff) w.u8(Amf0Marker.String).u16(bytes.length);
      else w.u8(Amf0Marker.LongString).u32(bytes.length);
      w.bytes(bytes);
      return;
    }
    case 'object':
      break;
    default:
      throw encodeError(`cannot encode a ${typeof v}`);
  }
  if (v instanceof Date) {
    w.u8(Amf0Marker.Date).f64(v.getTime()).u16(0);
  } else if (Array.isArray(v)) {
    w.u8(Amf0Marker.StrictArray).u32(v.length);
    for (let i = 0; i < v.length; i++) writeValue(w, v[i], depth + 1);
  } else if (v instanceof Amf0EcmaArray) {
    w.u8(Amf0Marker.EcmaArray).u32(Object.keys(v.entries).length);
    writeProperties(w, v.entries, depth + 1);
  } else if (ArrayBuffer.isView(v)) {
    throw encodeError('cannot encode binary data (Buffer/TypedArray) as AMF0');
  } else {
    w.u8(Amf0Marker.Object);
    writeProperties(w, v, depth + 1);
  }
}

/** Appends one AMF0 value to a writer (for callers that build a message from several parts). */
export function writeAmf0Value(w: ByteWriter, value: Amf0Value): void {
  writeValue(w, value, 0);
}

/**
 * Encodes values back to back. Strings longer than 65535 UTF-8 bytes become long strings; arrays become
 * strict arrays; `Amf0EcmaArray` becomes an ECMA array; other objects become anonymous objects.
 * Throws a TsrsError (RtmpAmf0Encode) for values AMF0 cannot carry (functions, bigint, binary, cycles).
 */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  const w = new ByteWriter(256);
  for (const v of values) writeValue(w, v, 0);
  return w.toBuffer();
}
