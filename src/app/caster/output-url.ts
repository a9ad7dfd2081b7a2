// The stream a caster publishes to (issue 16): `stream_caster.output` is an RTMP URL naming vhost, app
// and stream, with `[app]`/`[stream]` replaced from the ingest (the FLV caster's POST path), as SRS's
// SrsAppCasterFlv does. The caster publishes in-process, so the URL is only parsed, never dialled.
import { discoverRequest, type RtmpRequest } from '../../protocol/rtmp/request.js';

export interface CasterVariables {
  app?: string;
  stream?: string;
}

/** The output URL with its `[app]`/`[stream]` variables replaced (every occurrence). */
export function expandOutputUrl(output: string, vars: CasterVariables): string {
  let url = output;
  if (vars.app !== undefined) url = url.split('[app]').join(vars.app);
  if (vars.stream !== undefined) url = url.split('[stream]').join(vars.stream);
  return url;
}

/**
 * The request an output URL stands for: `rtmp://host[:port]/app/stream[?query]` is split like an RTMP
 * client would send it (tcUrl `rtmp://host/app`, name `stream?query`), so `?vhost=` and the host-as-vhost
 * rules are RTMP's. `param` is the query the ingest brought (with its `?`), appended to the URL's own.
 */
export function casterRequest(output: string, vars: CasterVariables, param = ''): RtmpRequest {
  const url = expandOutputUrl(output, vars);
  const q = url.search(/[?#]/);
  const path = q >= 0 ? url.slice(0, q) : url;
  let query = q >= 0 ? url.slice(q) : '';
  if (param) query = query ? `${query}&${param.replace(/^[?#]/, '')}` : param.startsWith('?') ? param : `?${param}`;
  const slash = path.lastIndexOf('/');
  const tcUrl = slash > path.indexOf('://') + 2 ? path.slice(0, slash) : path;
  const name = slash > path.indexOf('://') + 2 ? path.slice(slash + 1) : '';
  return discoverRequest(tcUrl, `${name}${query}`);
}

/**
 * `[app]` and `[stream]` of a POST path (SRS: dirname without its leading `/`, basename without its
 * extension): `/live/cam1.flv` → live, cam1. Null when either part is empty.
 */
export function appStreamOfPath(pathname: string): { app: string; stream: string } | null {
  const path = pathname.replace(/\/+$/, '');
  const slash = path.lastIndexOf('/');
  if (slash < 0) return null;
  const app = path.slice(0, slash).replace(/^\/+/, '');
  const base = path.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const stream = dot >= 0 ? base.slice(0, dot) : base;
  if (!app || !stream) return null;
  return { app, stream };
}
