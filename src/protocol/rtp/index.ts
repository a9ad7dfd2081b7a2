// RTP (RFC 3550) packet outputs, sans I/O: shared payloads per frame, per-viewer headers.
export * from './h264-payloader.js';
export * from './rtp-header.js';
// RTP inputs (WebRTC publishers, RTSP ingest) and retransmission.
export * from './rtp-packet.js';
export * from './rtp-timestamp.js';
export * from './h264-depacketizer.js';
export * from './opus.js';
export * from './nack-history.js';
