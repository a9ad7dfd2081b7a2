// Sans-I/O SRT (issue 14): packets, handshake, live-mode ARQ with TSBPD, encryption, stream ids.
//
// Wiring for a UDP server (the adapter in test/e2e/srt-protocol.test.ts is a working example):
//   const listener = new SrtListener(options, now, check?)      one per listening port
//   on datagram from peer P (ms clock `now`, e.g. performance.now()):
//     conn = byPeer.get(P)
//     if conn: events = conn.receive(datagram, now)
//     else: r = listener.receive(datagram, P, now)
//       'reply' | 'rejected' -> send r.datagram to P (a rejection also carries r.error / r.rejectCode)
//       'accepted'           -> byPeer.set(P, r.connection); events = r.connection.takeEvents()
//       'ignored'            -> count it (r.error says why when it was malformed or a bad cookie)
//   after every call: send conn.takeOutgoing() to P; re-arm one timer at conn.nextTimeout()
//   (absolute ms) that calls conn.handleTimeout(now) and handles its events the same way.
//   events: 'connected' {streamId, latencyMs, peerLatencyMs, encrypted}; 'data' {payload} in TSBPD
//   order (publish); 'key-installed'; 'closed' {reason, error?, rejectCode?} -> byPeer.delete(P).
//   To play: conn.send(payload<=payloadSize, now) for each 1316-byte TS chunk. To end: conn.close(now).
//   parseStreamId(conn.streamId, defaultApp) gives mode/vhost/app/stream/param as SRS reads them.
// A caller (edge pull, ingest): SrtConnection.connect(streamId, options, now), then the same loop.
export { SrtConnection, type SrtEvent, type SrtConnectionStats, type SrtCloseReason, type SrtConnectionState, type SrtRole } from './connection.js';
export { SrtListener, type SrtListenResult, type SrtPeer, type SrtAcceptCheck, type SrtListenerStats } from './listener.js';
export { DEFAULT_SRT_OPTIONS, type SrtOptions } from './options.js';
export { parseStreamId, type SrtStreamIdInfo, type SrtStreamMode } from './stream-id.js';
export { RejectReason, REJECT_BASE } from './handshake.js';
export { peekDestSocketId } from './packet.js';
