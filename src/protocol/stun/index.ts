// Public surface of STUN for ICE-lite (sans-I/O): message codec with integrity and fingerprint,
// Binding request checks and answers, the RFC 7983 first-byte demux, and RFC 6544 ICE-TCP framing.
export * from './crc32.js';
export * from './ip-address.js';
export * from './stun-message.js';
export * from './ice-lite.js';
export * from './packet-kind.js';
export * from './ice-tcp-framer.js';
