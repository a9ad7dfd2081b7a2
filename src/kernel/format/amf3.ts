// AMF3 decoding (Adobe "AMF 3 Specification", January 2013), enough for RTMP: AMF3 command messages
// (type 17) and data messages (type 15) carry AMF0 values that switch to AMF3 with the AVM+ marker 0x11.
// Decoded values use the AMF0 value model (amf-value.ts) so callers handle one shape:
//   undefined/null/boolean/number/string as themselves, integer (U29, sign-extended) → number,
//   XMLDocument/XML → their text, Date → Date, Array → Amf0Value[] (dense only) or Amf0EcmaArray
//   (named keys, then dense elements under "0", "1", …), Object → plain object (sealed then dynamic
//   members; class name dropped), ByteArray → array of byte values, Vector.<*> → array,
//   Dictionary → plain object with stringified keys.
// Externalizable objects cannot be read without knowing the class; the two Flex wrappers whose external
// form is a single AMF3 value (ArrayCollection, ObjectProxy) are unwrapped, any other is refused.

import { ByteReader } from '../../core/byte-reader.js';
import {
  type Amf0Object,
  type Amf0Value,
  type AmfRefEntry,
  Amf0EcmaArray,
  AmfBudget,
  amfDecodeError,
  asAmfDecodeError,
  setOwn,
} from './amf-value.js';

/** AMF3 type markers (spec section 3.1). */
export const Amf3Marker = {
  Undefined: 0x00,
  Null: 0x01,
  False: 0x02,
  True: 0x03,
  Integer: 0x04,
  Double: 0x05,
  String: 0x06,
  XmlDocument: 0x07,
  Date: 0x08,
  Array: 0x09,
  Object: 0x0a,
  Xml: 0x0b,
  ByteArray: 0x0c,
  VectorInt: 0x0d,
  VectorUint: 0x0e,
  VectorDouble: 0x0f,
  VectorObject: 0x10,
  Dictionary: 0x11,
} as const;

export interface Amf3Traits {
  readonly className: string;
  readonly dynamic: boolean;
  readonly externalizable: boolean;
  readonly sealedNames: readonly string[];
}

/** The three reference tables of one AMF3 payload, plus the decode-wide budget. */
export interface Amf3Context {
  readonly budget: AmfBudget;
  readonly strings: string[];
  readonly objects: AmfRefEntry[];
  readonly traits: Amf3Traits[];
}

export function newAmf3Context(budget: AmfBudget = new AmfBudget()): Amf3Context {
  return { budget, strings: [], objects: [], traits: [] };
}

/** Flex classes whose externalized form is exactly one AMF3 value. */
const UNWRAPPED_EXTERNALIZABLE = new Set(['flex.messaging.io.ArrayCollection', 'flex.messaging.io.ObjectProxy']);

/** U29 (spec 1.3.1): 1–4 bytes, 7 bits per byte with a continuation bit, the 4th byte contributes 8 bits. */
export function readU29(r: ByteReader): number {
  let v = 0;
  for (let i = 0; i < 3; i++) {
    const b = r.u8();
    v = (v << 7) | (b & 0x7f);
    if ((b & 0x80) === 0) return v;
  }
  return (v << 8) | r.u8();
}

function readString(r: ByteReader, ctx: Amf3Context): string {
  const h = readU29(r);
  if ((h & 1) === 0) {
    const idx = h >>> 1;
    const s = ctx.strings[idx];
    if (s === undefined) throw amfDecodeError(`amf3 string reference ${idx} out of range (${ctx.strings.length})`);
    return s;
  }
  const len = h >>> 1;
  const s = r.bytes(len).toString('utf8');
  // The empty string is never sent by reference (spec 1.3.2).
  if (len > 0) ctx.strings.push(s);
  return s;
}

function needItems(r: ByteReader, count: number, bytesEach: number, what: string): void {
  if (count * bytesEach > r.remaining) {
    throw amfDecodeError(`${what} of ${count} items does not fit in ${r.remaining} bytes`);
  }
}

/** Stringifies a Dictionary key without calling anything the peer could have shaped. */
function dictionaryKey(k: Amf0Value): string {
  if (k === null || typeof k !== 'object') return String(k);
  return Object.prototype.toString.call(k);
}

function register(ctx: Amf3Context): { entry: AmfRefEntry; start: number } {
  const entry: AmfRefEntry = { value: null, nodes: -1 };
  ctx.objects.push(entry);
  return { entry, start: ctx.budget.nodes };
}

function done(ctx: Amf3Context, slot: { entry: AmfRefEntry; start: number }, value: Amf0Value): Amf0Value {
  slot.entry.value = value;
  slot.entry.nodes = 1 + ctx.budget.nodes - slot.start;
  return value;
}

function readValue(r: ByteReader, ctx: Amf3Context): Amf0Value {
  const budget = ctx.budget;
  budget.count(1);
  const marker = r.u8();
  switch (marker) {
    case Amf3Marker.Undefined:
      return undefined;
    case Amf3Marker.Null:
      return null;
    case Amf3Marker.False:
      return false;
    case Amf3Marker.True:
      return true;
    case Amf3Marker.Integer: {
      const v = readU29(r);
      return v & 0x10000000 ? v - 0x20000000 : v;
    }
    case Amf3Marker.Double:
      return r.f64();
    case Amf3Marker.String:
      return readString(r, ctx);
    case Amf3Marker.XmlDocument:
    case Amf3Marker.Xml: {
      const h = readU29(r);
      if ((h & 1) === 0) return budget.deref(ctx.objects, h >>> 1, 'amf3 object');
      const slot = register(ctx);
      return done(ctx, slot, r.bytes(h >>> 1).toString('utf8'));
    }
    case Amf3Marker.Date: {
      const h = readU29(r);
      if ((h & 1) === 0) return budget.deref(ctx.objects, h >>> 1, 'amf3 object');
      const slot = register(ctx);
      return done(ctx, slot, new Date(r.f64()));
    }
    case Amf3Marker.Array:
      return readArray(r, ctx);
    case Amf3Marker.Object:
      return readObject(r, ctx);
    case Amf3Marker.ByteArray: {
      const h = readU29(r);
      if ((h & 1) === 0) return budget.deref(ctx.objects, h >>> 1, 'amf3 object');
      const slot = register(ctx);
      const bytes = r.bytes(h >>> 1);
      budget.count(bytes.length);
      return done(ctx, slot, Array.from(bytes));
    }
    case Amf3Marker.VectorInt:
    case Amf3Marker.VectorUint:
    case Amf3Marker.VectorDouble:
    case Amf3Marker.VectorObject:
      return readVector(r, ctx, marker);
    case Amf3Marker.Dictionary:
      return readDictionary(r, ctx);
    default:
      throw amfDecodeError(`unknown amf3 marker 0x${marker.toString(16)}`);
  }
}

function readArray(r: ByteReader, ctx: Amf3Context): Amf0Value {
  const h = readU29(r);
  if ((h & 1) === 0) return ctx.budget.deref(ctx.objects, h >>> 1, 'amf3 object');
  const denseCount = h >>> 1;
  const slot = register(ctx);
  // The first associative key tells which shape to build; no value is read before the slot is filled.
  let key = readString(r, ctx);
  ctx.budget.enter();
  let result: Amf0Value;
  if (key === '') {
    needItems(r, denseCount, 1, 'amf3 array');
    const arr: Amf0Value[] = [];
    slot.entry.value = arr;
    for (let i = 0; i < denseCount; i++) arr.push(readValue(r, ctx));
    result = arr;
  } else {
    const entries: Record<string, Amf0Value> = {};
    const ecma = new Amf0EcmaArray(entries);
    slot.entry.value = ecma;
    while (key !== '') {
      setOwn(entries, key, readValue(r, ctx));
      key = readString(r, ctx);
    }
    needItems(r, denseCount, 1, 'amf3 array');
    for (let i = 0; i < denseCount; i++) setOwn(entries, String(i), readValue(r, ctx));
    result = ecma;
  }
  ctx.budget.leave();
  return done(ctx, slot, result);
}

function readTraits(r: ByteReader, ctx: Amf3Context, h: number): Amf3Traits {
  if ((h & 2) === 0) {
    const idx = h >>> 2;
    const t = ctx.traits[idx];
    if (t === undefined) throw amfDecodeError(`amf3 traits reference ${idx} out of range (${ctx.traits.length})`);
    return t;
  }
  if ((h & 4) !== 0) {
    const traits: Amf3Traits = { className: readString(r, ctx), dynamic: false, externalizable: true, sealedNames: [] };
    ctx.traits.push(traits);
    return traits;
  }
  const dynamic = (h & 8) !== 0;
  const sealedCount = h >>> 4;
  const className = readString(r, ctx);
  needItems(r, sealedCount, 1, 'amf3 traits');
  const sealedNames: string[] = [];
  for (let i = 0; i < sealedCount; i++) sealedNames.push(readString(r, ctx));
  const traits: Amf3Traits = { className, dynamic, externalizable: false, sealedNames };
  ctx.traits.push(traits);
  return traits;
}

function readObject(r: ByteReader, ctx: Amf3Context): Amf0Value {
  const h = readU29(r);
  if ((h & 1) === 0) return ctx.budget.deref(ctx.objects, h >>> 1, 'amf3 object');
  const slot = register(ctx);
  const traits = readTraits(r, ctx, h);
  ctx.budget.enter();
  let result: Amf0Value;
  if (traits.externalizable) {
    if (!UNWRAPPED_EXTERNALIZABLE.has(traits.className)) {
      throw amfDecodeError(`amf3 externalizable class ${JSON.stringify(traits.className)} is not supported`);
    }
    result = readValue(r, ctx);
  } else {
    const obj: Amf0Object = {};
    slot.entry.value = obj;
    needItems(r, traits.sealedNames.length, 1, 'amf3 object');
    for (const name of traits.sealedNames) setOwn(obj, name, readValue(r, ctx));
    if (traits.dynamic) {
      for (let key = readString(r, ctx); key !== ''; key = readString(r, ctx)) setOwn(obj, key, readValue(r, ctx));
    }
    result = obj;
  }
  ctx.budget.leave();
  return done(ctx, slot, result);
}

function readVector(r: ByteReader, ctx: Amf3Context, marker: number): Amf0Value {
  const h = readU29(r);
  if ((h & 1) === 0) return ctx.budget.deref(ctx.objects, h >>> 1, 'amf3 object');
  const count = h >>> 1;
  const slot = register(ctx);
  r.u8(); // fixed-vector flag: irrelevant once decoded
  const arr: Amf0Value[] = [];
  slot.entry.value = arr;
  if (marker === Amf3Marker.VectorObject) {
    readString(r, ctx); // object-type-name
    needItems(r, count, 1, 'amf3 vector');
    ctx.budget.enter();
    for (let i = 0; i < count; i++) arr.push(readValue(r, ctx));
    ctx.budget.leave();
  } else {
    const size = marker === Amf3Marker.VectorDouble ? 8 : 4;
    needItems(r, count, size, 'amf3 vector');
    ctx.budget.count(count);
    for (let i = 0; i < count; i++) {
      if (marker === Amf3Marker.VectorInt) arr.push(r.u32() | 0);
      else if (marker === Amf3Marker.VectorUint) arr.push(r.u32());
      else arr.push(r.f64());
    }
  }
  return done(ctx, slot, arr);
}

function readDictionary(r: ByteReader, ctx: Amf3Context): Amf0Value {
  const h = readU29(r);
  if ((h & 1) === 0) return ctx.budget.deref(ctx.objects, h >>> 1, 'amf3 object');
  const count = h >>> 1;
  const slot = register(ctx);
  r.u8(); // weak-keys flag
  needItems(r, count, 2, 'amf3 dictionary');
  const obj: Amf0Object = {};
  slot.entry.value = obj;
  ctx.budget.enter();
  for (let i = 0; i < count; i++) {
    const key = dictionaryKey(readValue(r, ctx));
    setOwn(obj, key, readValue(r, ctx));
  }
  ctx.budget.leave();
  return done(ctx, slot, obj);
}

/**
 * Decodes one AMF3 value at the reader's position. Pass a context to share reference tables across
 * values of one payload; by default each call has its own. Malformed input throws a ProtocolError with
 * code RtmpAmf0Decode.
 */
export function decodeAmf3Value(r: ByteReader, ctx: Amf3Context = newAmf3Context()): Amf0Value {
  try {
    return readValue(r, ctx);
  } catch (err) {
    throw asAmfDecodeError(err);
  }
}

/** Decodes AMF3 values until the end of `buf`, sharing one set of reference tables. */
export function decodeAmf3(buf: Buffer): Amf0Value[] {
  const r = new ByteReader(buf);
  const ctx = newAmf3Context();
  const out: Amf0Value[] = [];
  while (r.remaining > 0) out.push(decodeAmf3Value(r, ctx));
  return out;
}
