// SRT encryption (draft-sharabayko-srt §3.2.2 Key Material, §6): a passphrase gives the KEK through
// PBKDF2-HMAC-SHA1 (2048 rounds, salt = the last 8 bytes of the KM salt); the KEK wraps the stream
// keys (RFC 3394 AES key wrap); payloads are AES-CTR with an IV made of the salt and the packet index.

import { createCipheriv, createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { KeyFlag } from './packet.js';

export const KM_SALT_SIZE = 16;
const KM_HEADER_SIZE = 16;
const KM_SIGN = 0x2029; // "HAI" PnP vendor id
const WRAP_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
const PBKDF2_ROUNDS = 2048;

/** Sub-types of the user-defined control packet that carry in-band key material (libsrt SRT_CMD_*). */
export const KmCommand = { KmReq: 3, KmRsp: 4 } as const;

/** KM states a KMRSP of one word reports when the responder cannot use the keys (libsrt SRT_KM_S_*). */
export const KmState = { Unsecured: 0, Securing: 1, Secured: 2, NoSecret: 3, BadSecret: 4 } as const;

export interface KeyMaterial {
  /** KeyFlag bits present: 1 even, 2 odd, 3 both. */
  keyFlags: number;
  keyLength: number;
  salt: Buffer;
  /** The wrapped key(s): 8 + keyLength * count bytes. */
  wrapped: Buffer;
}

function bad(message: string, code: number = ErrorCode.SrtConn): ProtocolError {
  return new ProtocolError(code, `srt crypto: ${message}`);
}

export function isValidKeyLength(n: number): boolean {
  return n === 16 || n === 24 || n === 32;
}

export function encodeKm(km: KeyMaterial): Buffer {
  const b = Buffer.alloc(KM_HEADER_SIZE + km.salt.length + km.wrapped.length);
  b[0] = 0x12; // S=0, V=1, PT=2 (KM message)
  b.writeUInt16BE(KM_SIGN, 1);
  b[3] = km.keyFlags & 3;
  b.writeUInt32BE(0, 4); // KEKI: 0, a passphrase-derived KEK
  b[8] = 2; // cipher AES-CTR
  b[9] = 0; // no auth
  b[10] = 2; // stream encapsulation: SRT
  b[14] = km.salt.length / 4;
  b[15] = km.keyLength / 4;
  km.salt.copy(b, KM_HEADER_SIZE);
  km.wrapped.copy(b, KM_HEADER_SIZE + km.salt.length);
  return b;
}

export function decodeKm(b: Buffer): KeyMaterial {
  if (b.length < KM_HEADER_SIZE) throw bad(`KM message of ${b.length} bytes`);
  if (b[0] !== 0x12 || b.readUInt16BE(1) !== KM_SIGN) throw bad('not a KM message');
  const keyFlags = b[3]! & 3;
  if (keyFlags === 0) throw bad('KM message carries no key');
  if (b[8] !== 2) throw bad(`unsupported cipher ${b[8]}`);
  const saltLength = b[14]! * 4;
  const keyLength = b[15]! * 4;
  if (saltLength !== KM_SALT_SIZE) throw bad(`salt of ${saltLength} bytes`);
  if (!isValidKeyLength(keyLength)) throw bad(`key of ${keyLength} bytes`);
  const count = keyFlags === 3 ? 2 : 1;
  const wrappedLength = 8 + keyLength * count;
  if (b.length < KM_HEADER_SIZE + saltLength + wrappedLength) throw bad('KM message is truncated');
  return {
    keyFlags,
    keyLength,
    salt: Buffer.from(b.subarray(KM_HEADER_SIZE, KM_HEADER_SIZE + saltLength)),
    wrapped: Buffer.from(b.subarray(KM_HEADER_SIZE + saltLength, KM_HEADER_SIZE + saltLength + wrappedLength)),
  };
}

export function deriveKek(passphrase: string, salt: Buffer, keyLength: number): Buffer {
  return pbkdf2Sync(passphrase, salt.subarray(salt.length - 8), PBKDF2_ROUNDS, keyLength, 'sha1');
}

export function wrapKeys(kek: Buffer, keys: Buffer): Buffer {
  const c = createCipheriv(`id-aes${kek.length * 8}-wrap`, kek, WRAP_IV);
  return Buffer.concat([c.update(keys), c.final()]);
}

/** Unwraps; a wrong KEK fails the RFC 3394 integrity check and throws (a wrong passphrase). */
export function unwrapKeys(kek: Buffer, wrapped: Buffer): Buffer {
  try {
    const d = createDecipheriv(`id-aes${kek.length * 8}-wrap`, kek, WRAP_IV);
    return Buffer.concat([d.update(wrapped), d.final()]);
  } catch (err) {
    throw bad('key unwrap failed: wrong passphrase', ErrorCode.SrtConn);
  }
}

/** The CTR IV (§6.2.2): bytes 10..13 hold the packet index, bytes 0..13 are XORed with the salt. */
export function packetIv(salt: Buffer, seq: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(seq >>> 0, 10);
  for (let i = 0; i < 14; i++) iv[i]! ^= salt[i]!;
  return iv;
}

/**
 * One side's crypto state: the salt and the even/odd stream keys. A sender makes its own keys; a
 * receiver installs the peer's from KMREQs (the first in the handshake, later ones in-band as refresh).
 */
export class SrtCipher {
  salt: Buffer;
  readonly keyLength: number;
  private readonly keys: [Buffer | undefined, Buffer | undefined] = [undefined, undefined];
  private readonly passphrase: string;

  constructor(passphrase: string, keyLength: number, salt: Buffer) {
    if (!isValidKeyLength(keyLength)) throw bad(`pbkeylen ${keyLength}`, ErrorCode.SrtSockopt);
    this.passphrase = passphrase;
    this.keyLength = keyLength;
    this.salt = salt;
  }

  hasKey(keyFlag: number): boolean {
    return this.keyFor(keyFlag) !== undefined;
  }

  setKey(keyFlag: number, key: Buffer): void {
    if (key.length !== this.keyLength) throw bad('key of the wrong length', ErrorCode.SystemAssert);
    this.keys[keyFlag === KeyFlag.Odd ? 1 : 0] = key;
  }

  dropKey(keyFlag: number): void {
    this.keys[keyFlag === KeyFlag.Odd ? 1 : 0] = undefined;
  }

  private keyFor(keyFlag: number): Buffer | undefined {
    if (keyFlag === KeyFlag.Even) return this.keys[0];
    if (keyFlag === KeyFlag.Odd) return this.keys[1];
    return undefined;
  }

  /** KM message announcing the keys named by `keyFlags` (1, 2 or 3). */
  makeKm(keyFlags: number): Buffer {
    const parts: Buffer[] = [];
    if (keyFlags & KeyFlag.Even) parts.push(this.mustKey(KeyFlag.Even));
    if (keyFlags & KeyFlag.Odd) parts.push(this.mustKey(KeyFlag.Odd));
    const kek = deriveKek(this.passphrase, this.salt, this.keyLength);
    return encodeKm({ keyFlags, keyLength: this.keyLength, salt: this.salt, wrapped: wrapKeys(kek, Buffer.concat(parts)) });
  }

  private mustKey(keyFlag: number): Buffer {
    const k = this.keyFor(keyFlag);
    if (!k) throw bad('no such key', ErrorCode.SystemAssert);
    return k;
  }

  /** Installs the keys of a peer's KM message. Throws ProtocolError on a wrong passphrase. */
  installKm(km: KeyMaterial): void {
    if (km.keyLength !== this.keyLength) throw bad(`peer key length ${km.keyLength}, ours ${this.keyLength}`);
    const keys = unwrapKeys(deriveKek(this.passphrase, km.salt, km.keyLength), km.wrapped);
    this.salt = km.salt;
    let o = 0;
    if (km.keyFlags & KeyFlag.Even) {
      this.keys[0] = keys.subarray(o, o + km.keyLength);
      o += km.keyLength;
    }
    if (km.keyFlags & KeyFlag.Odd) this.keys[1] = keys.subarray(o, o + km.keyLength);
  }

  /** AES-CTR both ways (it is its own inverse). Returns a new buffer; throws if the key is missing. */
  crypt(payload: Buffer, seq: number, keyFlag: number): Buffer {
    const key = this.keyFor(keyFlag);
    if (!key) throw bad(`no ${keyFlag === KeyFlag.Odd ? 'odd' : 'even'} key`);
    const c = createCipheriv(`aes-${this.keyLength * 8}-ctr`, key, packetIv(this.salt, seq));
    return Buffer.concat([c.update(payload), c.final()]);
  }
}
