// Stream URLs for the player page: built from SRS-style query parameters, and classified by what
// can play them. Pure functions (no DOM), so the same rules serve the page, its links and tests.

/** Parameters the page itself reads; every other query parameter is passed on to the stream URL. */
const OWN_PARAMS = new Set(['app', 'stream', 'server', 'port', 'schema', 'vhost', 'autostart', 'url', 'muted']);

const DEFAULT_PORTS = { http: '80', https: '443', ws: '80', wss: '443' };

/**
 * Query parameters of a page, SRS style: both `?a=1` and the query inside the hash (`#/path?a=1`,
 * as the SRS console links are written). The hash wins on a clash.
 * @param {{search: string, hash: string}} loc
 * @returns {URLSearchParams}
 */
export function pageParams(loc) {
  const params = new URLSearchParams(loc.search);
  const q = loc.hash.indexOf('?');
  if (q >= 0) for (const [k, v] of new URLSearchParams(loc.hash.slice(q + 1))) params.set(k, v);
  return params;
}

/**
 * The stream URL the page should play.
 * `?url=` wins. Otherwise `schema://server:port/app/stream` where the defaults follow the page:
 * the host that served it and its port (the same HTTP server serves the streams), else localhost:8080
 * (a page opened from disk). A stream without an extension gets `.flv`; `vhost` is passed as
 * `?vhost=` when it is not the server name or the default vhost, like SRS's player does.
 * @param {URLSearchParams} params
 * @param {{protocol: string, hostname: string, port: string}} loc
 * @returns {string}
 */
export function streamUrlFrom(params, loc) {
  const explicit = params.get('url');
  if (explicit) return explicit;

  const fromWeb = loc.protocol === 'http:' || loc.protocol === 'https:';
  const pageSecure = loc.protocol === 'https:';
  let schema = (params.get('schema') || (pageSecure ? 'https' : 'http')).toLowerCase().replace(/:.*$/, '');
  if (!(schema in DEFAULT_PORTS)) schema = 'http';
  const server = params.get('server') || (fromWeb && loc.hostname) || 'localhost';
  let port = params.get('port') || '';
  if (!port) port = fromWeb ? loc.port || (pageSecure ? '443' : '80') : '8080';
  const app = trimSlashes(params.get('app') || 'live');
  let stream = trimSlashes(params.get('stream') || 'livestream.flv');
  if (!/\.[A-Za-z0-9]+($|\?)/.test(stream)) stream = stream.replace(/^([^?]*)/, '$1.flv');

  const query = new URLSearchParams();
  const vhost = params.get('vhost');
  if (vhost && vhost !== server && vhost !== '__defaultVhost__') query.set('vhost', vhost);
  for (const [k, v] of params) if (!OWN_PARAMS.has(k)) query.append(k, v);

  const host = server.includes(':') && !server.startsWith('[') ? `[${server}]` : server;
  const portPart = port === DEFAULT_PORTS[schema] ? '' : `:${port}`;
  const q = query.toString();
  const joiner = stream.includes('?') ? '&' : '?';
  return `${schema}://${host}${portPart}/${app}/${stream}${q ? joiner + q : ''}`;
}

/**
 * What plays a URL: `flv` (HTTP-FLV), `ws-flv` (WebSocket-FLV), `ts` (HTTP-TS), both through mpegts.js;
 * `hls` through hls.js or the browser; `native` for anything else the <video> element may know.
 * @param {string} url
 * @returns {'flv' | 'ws-flv' | 'ts' | 'hls' | 'native'}
 */
export function streamKind(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return 'native';
  }
  const path = u.pathname.toLowerCase();
  const ws = u.protocol === 'ws:' || u.protocol === 'wss:';
  if (path.endsWith('.m3u8')) return 'hls';
  if (path.endsWith('.ts')) return 'ts';
  if (ws || path.endsWith('.flv')) return ws ? 'ws-flv' : 'flv';
  return 'native';
}

/** Human names for the kinds, for the status line. */
export const KIND_LABELS = {
  flv: 'HTTP-FLV',
  'ws-flv': 'WebSocket-FLV',
  ts: 'HTTP-TS',
  hls: 'HLS',
  native: 'native',
};

/**
 * The same stream in another delivery: swaps the scheme (http ↔ ws) and the extension.
 * @param {string} url
 * @param {'flv' | 'ws-flv' | 'ts' | 'hls'} kind
 * @returns {string}
 */
export function switchKind(url, kind) {
  const u = new URL(url);
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  // URL refuses to change a special scheme's protocol across http/ws in some engines: rebuild instead.
  const scheme = kind === 'ws-flv' ? (secure ? 'wss' : 'ws') : secure ? 'https' : 'http';
  const ext = { flv: '.flv', 'ws-flv': '.flv', ts: '.ts', hls: '.m3u8' }[kind];
  const path = u.pathname.replace(/\.(flv|ts|m3u8|aac|mp3)$/i, '') + ext;
  return `${scheme}://${u.host}${path}${u.search}`;
}

function trimSlashes(s) {
  return s.replace(/^\/+|\/+$/g, '');
}
