// Public surface of the API layer: SRS-compatible HTTP API routes over the app's HTTP muxes.
export { registerApiRoutes, checkBasicAuth, type ApiHost, type ApiOptions, type ReloadStatus } from './routes.js';
export { srsJson, f2, JsonFloat, type JsonValue } from './json.js';
export { ApiCode, envelope } from './respond.js';
export { renderMetrics, escapeLabel } from './metrics.js';
