// Public surface of SDP for WebRTC (sans-I/O): typed model, parser, serializer, H.264
// profile-level-id, and the server-side offer/answer negotiator.
export * from './sdp-model.js';
export * from './sdp-parse.js';
export * from './sdp-serialize.js';
export * from './h264-profile.js';
export * from './sdp-negotiate.js';
