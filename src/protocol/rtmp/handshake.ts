// RTMP handshake (spec section 5.2) with the "complex" (Flash Player 9+) digest variant, sans I/O.
//
// Plain handshake: C0/S0 is the version byte (3); C1/S1 are 1536 bytes: time(4) zero(4) random(1528);
// C2/S2 echo the peer's C1/S1.
//
// Complex handshake: C1/S1 still have time(4) and version(4), then two 764-byte blocks, a key block and a
// digest block, in one of two orders:
//   schema 0: time, version, key block, digest block
//   schema 1: time, version, digest block, key block
// Digest block: offset(4) then 728 bytes in which a 32-byte digest sits at (sum of the 4 offset bytes)
// mod 728. The digest is HMAC-SHA256 of the 1504 other bytes of C1/S1, keyed with the first 30 bytes of
// the Flash Player key (C1) or the first 36 bytes of the Flash Media Server key (S1). S2/C2 are 1504
// random bytes plus HMAC-SHA256(key = HMAC-SHA256(full FMS/FP key, peer's C1/S1 digest), those bytes).
// The key block (Diffie-Hellman public key for RTMPE) is not checked by anyone for plain RTMP, so we fill
// it with random bytes. Behaviour follows SRS (srs_protocol_rtmp_handshake.cpp): the server answers in
// the schema the client used and never verifies C2 (FFmpeg's C2 would not pass).

import { createHmac } from 'node:crypto';
import { ErrorCode, ProtocolError, TsrsError } from '../../core/errors.js';

export const HANDSHAKE_SIZE = 1536;
const RTMP_VERSION = 3;
/** RTMPE (encrypted) version byte: SRS accepts it when C1 carries a valid digest, and answers in clear. */
const RTMPE_VERSION = 6;

const KEY_TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
/** "Genuine Adobe Flash Player 001" + 32-byte tail (62 bytes); C1 digests use the first 30. */
export const GENUINE_FP_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001', 'latin1'), KEY_TAIL]);
/** "Genuine Adobe Flash Media Server 001" + 32-byte tail (68 bytes); S1 digests use the first 36. */
export const GENUINE_FMS_KEY = Buffer.concat([
  Buffer.from('Genuine Adobe Flash Media Server 001', 'latin1'),
  KEY_TAIL,
]);
const FP_KEY_C1 = GENUINE_FP_KEY.subarray(0, 30);
const FMS_KEY_S1 = GENUINE_FMS_KEY.subarray(0, 36);

/** The version field SRS puts in a complex S1. FFmpeg checks S1/S2 only when playing and this first byte is >= 3. */
const SERVER_VERSION = 0x01000504;
/** The version field SRS puts in a complex C1 (a Flash Player version number). */
const CLIENT_VERSION = 0x80000702;

export type DigestSchema = 0 | 1;

const BLOCK_SIZE = 764;
const DIGEST_SIZE = 32;

/** Position of the 32-byte digest inside a 1536-byte C1/S1 (not in the spec; the layout Flash and FMS use). */
export function digestOffset(c1s1: Buffer, schema: DigestSchema): number {
  const block = schema === 0 ? 8 + BLOCK_SIZE : 8;
  const sum = c1s1[block]! + c1s1[block + 1]! + c1s1[block + 2]! + c1s1[block + 3]!;
  return block + 4 + (sum % (BLOCK_SIZE - 4 - DIGEST_SIZE));
}

/** HMAC-SHA256 of the 1504 bytes of a C1/S1 around its digest. */
function c1s1Digest(c1s1: Buffer, at: number, key: Buffer): Buffer {
  return createHmac('sha256', key)
    .update(c1s1.subarray(0, at))
    .update(c1s1.subarray(at + DIGEST_SIZE, HANDSHAKE_SIZE))
    .digest();
}

/** Writes the digest of a 1536-byte C1/S1 in place; returns where it went. */
export function signC1S1(c1s1: Buffer, schema: DigestSchema, key: Buffer): number {
  const at = digestOffset(c1s1, schema);
  c1s1Digest(c1s1, at, key).copy(c1s1, at);
  return at;
}

/** The offset of C1/S1's digest if it is valid for `schema`, else -1. */
export function validateC1S1(c1s1: Buffer, schema: DigestSchema, key: Buffer): number {
  const at = digestOffset(c1s1, schema);
  return c1s1Digest(c1s1, at, key).equals(c1s1.subarray(at, at + DIGEST_SIZE)) ? at : -1;
}

/** Finds a valid digest trying `first` then the other schema. */
function findDigest(c1s1: Buffer, key: Buffer, first: DigestSchema): { schema: DigestSchema; at: number } | null {
  for (const schema of first === 1 ? ([1, 0] as const) : ([0, 1] as const)) {
    const at = validateC1S1(c1s1, schema, key);
    if (at >= 0) return { schema, at };
  }
  return null;
}

/** C2/S2 of the complex handshake: random(1504) + HMAC(HMAC(fullKey, peerDigest), random). */
function signC2S2(c2s2: Buffer, fullKey: Buffer, peerDigest: Buffer): void {
  const key = createHmac('sha256', fullKey).update(peerDigest).digest();
  createHmac('sha256', key)
    .update(c2s2.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE))
    .digest()
    .copy(c2s2, HANDSHAKE_SIZE - DIGEST_SIZE);
}

/** True when a C2/S2 carries the complex digest for the given peer digest. */
export function validateC2S2(c2s2: Buffer, fullKey: Buffer, peerDigest: Buffer): boolean {
  const key = createHmac('sha256', fullKey).update(peerDigest).digest();
  const want = createHmac('sha256', key)
    .update(c2s2.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE))
    .digest();
  return want.equals(c2s2.subarray(HANDSHAKE_SIZE - DIGEST_SIZE, HANDSHAKE_SIZE));
}

function fillRandom(random: (n: number) => Buffer, dst: Buffer, start: number, end: number): void {
  const r = random(end - start);
  r.copy(dst, start, 0, Math.min(r.length, end - start));
}

function time32(nowMs: () => number): number {
  const t = Math.floor(nowMs());
  return Number.isFinite(t) ? t >>> 0 : 0;
}

function copyRest(bytes: Buffer, from: number): Buffer | null {
  return from < bytes.length ? Buffer.from(bytes.subarray(from)) : null;
}

export interface HandshakeServerResult {
  /** Bytes to write to the peer, in order (S0+S1+S2 as one Buffer once C0C1 is complete). */
  send: Buffer[];
  /** C2 has been received: the connection now speaks chunks. */
  done: boolean;
  /** Bytes that followed C2 (the start of the chunk stream), copied; null when there were none. */
  rest: Buffer | null;
  /** The client sent a valid complex C1 and was answered with a complex S1/S2. */
  complex: boolean;
}

export interface HandshakeClientResult {
  send: Buffer[];
  done: boolean;
  rest: Buffer | null;
  /** The server answered with a valid complex S1 (and got a complex C2). */
  complex: boolean;
}

const enum ServerState {
  C0C1,
  C2,
  Done,
}

/**
 * Server side: waits for C0+C1 (1537 bytes), answers S0+S1+S2 in one write, then waits for C2 (1536
 * bytes, never validated). A C0 other than 3 or 6 fails at once, before C1 arrives, so HTTP requests and
 * other garbage are rejected on their first byte.
 */
export class HandshakeServer {
  private state = ServerState.C0C1;
  private readonly c0c1 = Buffer.alloc(1 + HANDSHAKE_SIZE);
  private c0c1Len = 0;
  private c2Len = 0;
  private isComplex = false;

  constructor(
    private readonly random: (n: number) => Buffer,
    private readonly nowMs: () => number,
  ) {}

  get complex(): boolean {
    return this.isComplex;
  }

  get done(): boolean {
    return this.state === ServerState.Done;
  }

  receive(bytes: Buffer): HandshakeServerResult {
    const send: Buffer[] = [];
    let pos = 0;
    if (this.state === ServerState.Done) {
      return { send, done: true, rest: copyRest(bytes, 0), complex: this.isComplex };
    }
    if (this.state === ServerState.C0C1) {
      if (this.c0c1Len === 0 && bytes.length > 0) {
        const version = bytes[0]!;
        if (version !== RTMP_VERSION && version !== RTMPE_VERSION) {
          throw new ProtocolError(
            ErrorCode.RtmpHandshake,
            `handshake: C0 version 0x${version.toString(16).padStart(2, '0')} is not RTMP (3)`,
          );
        }
      }
      const n = Math.min(bytes.length, this.c0c1.length - this.c0c1Len);
      bytes.copy(this.c0c1, this.c0c1Len, 0, n);
      this.c0c1Len += n;
      pos = n;
      if (this.c0c1Len < this.c0c1.length) return { send, done: false, rest: null, complex: false };
      send.push(this.answer());
      this.state = ServerState.C2;
    }
    // State C2: C2 only needs counting, nobody validates it (FFmpeg's would fail).
    const n = Math.min(bytes.length - pos, HANDSHAKE_SIZE - this.c2Len);
    this.c2Len += n;
    pos += n;
    if (this.c2Len < HANDSHAKE_SIZE) return { send, done: false, rest: null, complex: this.isComplex };
    this.state = ServerState.Done;
    return { send, done: true, rest: copyRest(bytes, pos), complex: this.isComplex };
  }

  /** S0+S1+S2 for the buffered C0+C1. */
  private answer(): Buffer {
    const c1 = this.c0c1.subarray(1);
    // Schema 1 first: FFmpeg's and SRS's clients sign C1 that way. A C1 valid in both is a 2^-256 event.
    const found = findDigest(c1, FP_KEY_C1, 1);
    const out = Buffer.alloc(1 + 2 * HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const s1 = out.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = out.subarray(1 + HANDSHAKE_SIZE);
    if (found) {
      this.isComplex = true;
      s1.writeUInt32BE(time32(this.nowMs), 0);
      s1.writeUInt32BE(SERVER_VERSION, 4);
      fillRandom(this.random, s1, 8, HANDSHAKE_SIZE);
      signC1S1(s1, found.schema, FMS_KEY_S1);
      fillRandom(this.random, s2, 0, HANDSHAKE_SIZE - DIGEST_SIZE);
      signC2S2(s2, GENUINE_FMS_KEY, c1.subarray(found.at, found.at + DIGEST_SIZE));
      return out;
    }
    if (this.c0c1[0] !== RTMP_VERSION) {
      // RTMPE without a Flash digest: SRS also refuses ("only support rtmp plain text").
      throw new ProtocolError(ErrorCode.RtmpPlainRequired, 'handshake: RTMPE (C0=6) requires a complex C1');
    }
    // Plain: S1 = time, zero, random (spec 5.2.3); S2 echoes C1 (5.2.4).
    s1.writeUInt32BE(time32(this.nowMs), 0);
    s1.writeUInt32BE(0, 4);
    fillRandom(this.random, s1, 8, HANDSHAKE_SIZE);
    c1.copy(s2);
    return out;
  }
}

const enum ClientState {
  Idle,
  S0S1S2,
  Done,
}

/**
 * Client side: `start()` gives C0+C1 (complex schema 1 by default, as SRS/FFmpeg send), then `receive()`
 * collects S0+S1+S2 and answers C2. A server whose S1 has no valid digest is treated as plain and gets
 * S1 echoed as C2, so plain servers work too. S2 is not validated (SRS does not either: nginx-rtmp's
 * would fail).
 */
export class HandshakeClient {
  private state = ClientState.Idle;
  private readonly wantComplex: boolean;
  private readonly c1 = Buffer.alloc(HANDSHAKE_SIZE);
  private readonly s0s1s2 = Buffer.alloc(1 + 2 * HANDSHAKE_SIZE);
  private s0s1s2Len = 0;
  private isComplex = false;

  constructor(
    private readonly random: (n: number) => Buffer,
    private readonly nowMs: () => number,
    opts?: { complex?: boolean },
  ) {
    this.wantComplex = opts?.complex ?? true;
  }

  get complex(): boolean {
    return this.isComplex;
  }

  get done(): boolean {
    return this.state === ClientState.Done;
  }

  /** C0+C1, to be sent first. */
  start(): Buffer {
    if (this.state !== ClientState.Idle) throw new TsrsError(ErrorCode.RtmpHandshake, 'handshake: start() called twice');
    this.c1.writeUInt32BE(time32(this.nowMs), 0);
    this.c1.writeUInt32BE(this.wantComplex ? CLIENT_VERSION : 0, 4);
    fillRandom(this.random, this.c1, 8, HANDSHAKE_SIZE);
    if (this.wantComplex) signC1S1(this.c1, 1, FP_KEY_C1);
    this.state = ClientState.S0S1S2;
    return Buffer.concat([Buffer.of(RTMP_VERSION), this.c1]);
  }

  receive(bytes: Buffer): HandshakeClientResult {
    const send: Buffer[] = [];
    if (this.state === ClientState.Done) {
      return { send, done: true, rest: copyRest(bytes, 0), complex: this.isComplex };
    }
    if (this.state === ClientState.Idle) throw new TsrsError(ErrorCode.RtmpHandshake, 'handshake: receive() before start()');
    if (this.s0s1s2Len === 0 && bytes.length > 0 && bytes[0] !== RTMP_VERSION) {
      throw new ProtocolError(ErrorCode.RtmpHandshake, `handshake: S0 version ${bytes[0]} is not RTMP (3)`);
    }
    const n = Math.min(bytes.length, this.s0s1s2.length - this.s0s1s2Len);
    bytes.copy(this.s0s1s2, this.s0s1s2Len, 0, n);
    this.s0s1s2Len += n;
    if (this.s0s1s2Len < this.s0s1s2.length) return { send, done: false, rest: null, complex: false };

    const s1 = this.s0s1s2.subarray(1, 1 + HANDSHAKE_SIZE);
    const c2 = Buffer.alloc(HANDSHAKE_SIZE);
    const found = this.wantComplex ? findDigest(s1, FMS_KEY_S1, 1) : null;
    if (found) {
      this.isComplex = true;
      fillRandom(this.random, c2, 0, HANDSHAKE_SIZE - DIGEST_SIZE);
      signC2S2(c2, GENUINE_FP_KEY, s1.subarray(found.at, found.at + DIGEST_SIZE));
    } else {
      s1.copy(c2);
    }
    send.push(c2);
    this.state = ClientState.Done;
    return { send, done: true, rest: copyRest(bytes, n), complex: this.isComplex };
  }
}
