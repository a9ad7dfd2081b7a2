// Public surface of the RTMP wire protocol (sans-I/O): messages and protocol control, handshake,
// chunk stream decoder and encoder.
export * from './message.js';
export * from './handshake.js';
export * from './chunk-decoder.js';
export * from './chunk-encoder.js';
