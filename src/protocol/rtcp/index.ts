// Public surface of RTCP (sans-I/O): typed packets, compound parse/serialize, generic NACK
// expand/compress, and the transport-wide CC feedback builder and codec.
export * from './rtcp-packet.js';
export * from './nack.js';
export * from './twcc.js';
export * from './rtcp-codec.js';
