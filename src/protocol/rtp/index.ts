// RTP (RFC 3550) packet outputs, sans I/O: shared payloads per frame, per-viewer headers.
export * from './h264-payloader.js';
export * from './rtp-header.js';
