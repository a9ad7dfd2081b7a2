// Sans-I/O SRT (issue 14): packets, handshake, live-mode ARQ with TSBPD, encryption, stream ids.
export { SrtConnection, type SrtEvent, type SrtConnectionStats, type SrtCloseReason, type SrtConnectionState, type SrtRole } from './connection.js';
export { SrtListener, type SrtListenResult, type SrtPeer, type SrtAcceptCheck, type SrtListenerStats } from './listener.js';
export { DEFAULT_SRT_OPTIONS, type SrtOptions } from './options.js';
export { parseStreamId, type SrtStreamIdInfo, type SrtStreamMode } from './stream-id.js';
export { RejectReason, REJECT_BASE } from './handshake.js';
export { peekDestSocketId } from './packet.js';
