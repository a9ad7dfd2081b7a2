// Public surface of the outbound side: the RTMP client forward and edge use, and their shared helpers.
export { RtmpClient, UpstreamError, UpstreamErrorCode, type RtmpClientHandler, type RtmpClientOptions, type UpstreamEnd } from './rtmp-client.js';
export { upnodeArgs, withDefaultPort } from './upnode.js';
export { PushSink, type PushTarget } from './push-sink.js';
export { RetryTimer } from './retry-timer.js';
