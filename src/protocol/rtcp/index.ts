// Public surface of RTCP (sans-I/O): typed packets, compound parse/serialize, generic NACK
// expand/compress, the transport-wide CC feedback builder and codec, NTP time, and per-source
// receiver statistics for report blocks.
export * from './rtcp-packet.js';
export * from './nack.js';
export * from './twcc.js';
export * from './rtcp-codec.js';
export * from './ntp.js';
export * from './receiver-stats.js';
