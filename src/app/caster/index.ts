// Public surface of app/caster: the stream casters of issue 16 (mpegts_over_udp, flv over HTTP POST).
export { CasterService, type CasterServiceOptions } from './caster-service.js';
export { appStreamOfPath, casterRequest, expandOutputUrl, type CasterVariables } from './output-url.js';
// The TS-ingest publish path, reused by SRT publishers (issue 14).
export { CasterPublish, type CasterClient } from './caster-publish.js';
