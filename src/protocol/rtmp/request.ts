// RTMP request discovery: turn tcUrl + stream name into vhost/app/stream/param as SRS does
// (srs_discovery_tc_url and friends; see shared reference urls-and-ports.md §2).

export const DEFAULT_VHOST = '__defaultVhost__';
export const DEFAULT_APP = '__defaultApp__';

export interface RtmpRequest {
  tcUrl: string;
  schema: string;
  /** Host part of tcUrl (before vhost resolution). */
  host: string;
  port: number;
  /** Vhost requested: `?vhost=`/`?domain=` when given, else the tcUrl host. */
  vhost: string;
  app: string;
  stream: string;
  /** Query string including its leading `?` (or `#`), or ''. */
  param: string;
}

const WS = /[\s]/g;

function sanitize(s: string): string {
  return s.replace(WS, '').replace(/^\/+|\/+$/g, '');
}

/** Query value of `key` from a `?a=b&c=d` string (also accepts `#` as the separator start). */
export function queryValue(param: string, key: string): string | undefined {
  const q = param.replace(/^[?#]/, '');
  for (const part of q.split(/[&?]/)) {
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    if (k === key) return eq < 0 ? '' : part.slice(eq + 1);
  }
  return undefined;
}

/**
 * Parse an RTMP tcUrl and a play/publish name into the request. Never throws; an empty stream name
 * is left empty for the caller to refuse (SRS error 2051).
 */
export function discoverRequest(tcUrl: string, streamName: string, defaultPort = 1935): RtmpRequest {
  let url = tcUrl.trim();
  // FMLE puts the query on the tcUrl: rtmp://host/app?k=v  + name "stream" => rtmp://host/app/stream?k=v
  let tcParam = '';
  const qpos = url.search(/[?#]/);
  if (qpos >= 0) {
    tcParam = url.slice(qpos);
    url = url.slice(0, qpos);
  }
  // Legacy `app...vhost...VHOST` form.
  const legacy = url.match(/^(.*?)\.\.\.vhost\.\.\.(.+)$/);
  if (legacy) {
    url = legacy[1]!;
    tcParam = tcParam ? `${tcParam}&vhost=${legacy[2]}` : `?vhost=${legacy[2]}`;
  }
  let schema = 'rtmp';
  let rest = url;
  const schemaEnd = url.indexOf('://');
  if (schemaEnd >= 0) {
    schema = url.slice(0, schemaEnd);
    rest = url.slice(schemaEnd + 3);
  }
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  let app = slash >= 0 ? rest.slice(slash + 1) : '';
  let host = authority;
  let port = defaultPort;
  const v6 = authority.match(/^\[([^\]]+)\](?::(\d+))?$/);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = Number(v6[2]);
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      host = authority.slice(0, colon);
      const p = Number(authority.slice(colon + 1));
      if (Number.isInteger(p) && p > 0 && p < 65536) port = p;
    }
  }

  let stream = streamName.trim();
  let param = '';
  const spos = stream.search(/[?#]/);
  if (spos >= 0) {
    param = stream.slice(spos);
    stream = stream.slice(0, spos);
  }
  if (tcParam) param = param ? `${param}&${tcParam.slice(1)}` : tcParam;

  app = app.replace(/\/_definst_(\/|$)/, '$1');
  app = sanitize(app);
  stream = sanitize(stream);

  if (!stream) {
    // tcUrl rtmp://host/live/cam1 with an empty name: the last path segment is the stream.
    const last = app.lastIndexOf('/');
    if (last >= 0) {
      stream = app.slice(last + 1);
      app = app.slice(0, last);
    }
  } else if (stream.includes('/')) {
    // "app2/stream" as name: the last segment is the stream, the rest joins the app.
    const last = stream.lastIndexOf('/');
    app = app ? `${app}/${stream.slice(0, last)}` : stream.slice(0, last);
    stream = stream.slice(last + 1);
  }
  if (!app) app = DEFAULT_APP;

  let vhost = host;
  const qv = queryValue(param, 'vhost') ?? queryValue(param, 'domain');
  if (qv !== undefined && qv !== '' && qv !== DEFAULT_VHOST) vhost = qv;
  if (qv === DEFAULT_VHOST && /^[?#]vhost=__defaultVhost__$/.test(param)) param = '';
  vhost = vhost.replace(/[\s/]/g, '');

  return { tcUrl, schema, host: host.replace(/[\s/]/g, ''), port, vhost, app, stream, param };
}

/** The URL SRS builds for outbound connections (forward, edge): vhost in the query when not default. */
export function outboundUrl(server: string, app: string, stream: string, param: string, vhost: string): string {
  let query = param.replace(/^[?#]/, '');
  query = query
    .split('&')
    .filter((p) => p && !p.startsWith('vhost=') && !p.startsWith('domain='))
    .join('&');
  if (vhost && vhost !== DEFAULT_VHOST) query = query ? `${query}&vhost=${vhost}` : `vhost=${vhost}`;
  return `rtmp://${server}/${app}/${stream}${query ? `?${query}` : ''}`;
}
