// WebRTC signalling on the API port (http-api.md §5, §6; issue 15): SRS's JSON `/rtc/v1/play/` and WHEP
// (draft-ietf-wish-whep) `/rtc/v1/whep/`. Errors: `/rtc/v1/play/` answers HTTP 200 `{"code":400}` as SRS
// does, plus a `msg` with the reason; WHEP answers HTTP 4xx/5xx with the reason as text (SRS 5 closes the
// connection instead, docs/webrtc.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { ServerContext } from '../app/context.js';
import type { HttpMux, HttpRoute } from '../app/http/index.js';
import type { RtcService } from '../app/webrtc/index.js';
import { ErrorCode, TsrsError, errorMessage } from '../core/errors.js';
import { SERVER_SIGNATURE } from '../core/version.js';
import { srsJson } from './json.js';

const MAX_SDP_BYTES = 256 * 1024;

function readText(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= MAX_SDP_BYTES) chunks.push(b);
    });
    req.on('end', () => resolve(size > MAX_SDP_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), Server: SERVER_SIGNATURE, 'Access-Control-Allow-Origin': '*', ...headers });
  res.end(body);
}

function peerIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** `webrtc://host[:port]/app/stream[?query]`: vhost (host, or `?vhost=`/`?domain=`), app, stream, query. */
export function parseStreamUrl(text: string): { vhost: string; app: string; stream: string; param: string } | null {
  let u: URL;
  try {
    u = new URL(text.replace(/^webrtc:/, 'http:'));
  } catch {
    return null;
  }
  const parts = u.pathname.split('/').filter((x) => x !== '');
  if (parts.length < 2) return null;
  const stream = parts.pop()!;
  const vhost = u.searchParams.get('vhost') ?? u.searchParams.get('domain') ?? u.hostname;
  return { vhost, app: parts.join('/'), stream, param: u.search };
}

/** The reason of a refusal, without the code prefix for plain messages. */
function reason(err: unknown): string {
  return err instanceof TsrsError ? err.summary() : errorMessage(err);
}

export function registerRtcRoutes(mux: HttpMux, ctx: ServerContext, rtc: RtcService): void {
  /** WHEP resources: session id → the token its Location carries (DELETE must show it). */
  const tokens = new Map<string, string>();
  const identity = (): Record<string, string> => ({ server: ctx.serverId, service: ctx.serviceId, pid: String(process.pid) });

  mux.handle('/rtc/v1/play/', async (req: IncomingMessage, res: ServerResponse, route: HttpRoute) => {
    if (req.method === 'OPTIONS') return send(res, 200, 'text/plain', '', { 'Access-Control-Allow-Headers': '*', 'Access-Control-Allow-Methods': '*' });
    const fail = (msg: string): void => {
      ctx.log.warn(`rtc: /rtc/v1/play/ refused: ${msg}`);
      send(res, 200, 'application/json', srsJson({ code: 400, msg }));
    };
    if (!rtc.enabled) return fail('RTC is disabled (rtc_server.enabled off)');
    const text = await readText(req);
    if (text === null) return fail('request body too large');
    let body: { sdp?: unknown; streamurl?: unknown; clientip?: unknown; tid?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return fail('request body is not JSON');
    }
    if (typeof body.sdp !== 'string' || typeof body.streamurl !== 'string') return fail('request needs sdp and streamurl strings');
    const target = parseStreamUrl(body.streamurl);
    if (!target) return fail(`bad streamurl ${JSON.stringify(body.streamurl)}`);
    const eip = route.url.searchParams.get('eip') ?? route.url.searchParams.get('candidate') ?? undefined;
    try {
      const answer = await rtc.play({
        offer: body.sdp,
        ...target,
        clientIp: typeof body.clientip === 'string' && body.clientip !== '' ? body.clientip : peerIp(req),
        eip,
        pageUrl: typeof req.headers.referer === 'string' ? req.headers.referer : '',
        tcUrl: `webrtc://${target.vhost}/${target.app}`,
      });
      send(res, 200, 'application/json', srsJson({ code: 0, ...identity(), sdp: answer.sdp, sessionid: answer.sessionId }));
    } catch (err) {
      fail(reason(err));
    }
  });

  mux.handle('/rtc/v1/whep/', async (req: IncomingMessage, res: ServerResponse, route: HttpRoute) => {
    const q = route.url.searchParams;
    if (req.method === 'OPTIONS') return send(res, 200, 'text/plain', '', { 'Access-Control-Allow-Headers': '*', 'Access-Control-Allow-Methods': '*', 'Access-Control-Expose-Headers': 'Location' });
    // Not serving (a mesh worker, or the port failed to open): 503 as while rtc_server is off.
    if (!rtc.enabled) return send(res, 503, 'text/plain; charset=utf-8', 'WebRTC is not enabled on this server (rtc_server)\n');
    if (req.method === 'DELETE') {
      const id = q.get('session') ?? '';
      const token = tokens.get(id);
      if (token !== undefined && token !== q.get('token')) return send(res, 403, 'text/plain', 'token does not match the session\n');
      tokens.delete(id);
      rtc.closeSession(id, 'WHEP DELETE');
      return send(res, 200, 'text/plain', '');
    }
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'WHEP: POST an SDP offer, DELETE the Location\n', { Allow: 'POST, DELETE, OPTIONS' });
    const offer = await readText(req);
    if (offer === null) return send(res, 413, 'text/plain', 'SDP offer too large\n');
    const app = q.get('app') || 'live';
    const stream = q.get('stream') || 'livestream';
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    try {
      const answer = await rtc.play({
        offer,
        vhost: q.get('vhost') ?? host,
        app,
        stream,
        param: route.url.search,
        clientIp: peerIp(req),
        eip: q.get('eip') ?? q.get('candidate') ?? undefined,
        pageUrl: typeof req.headers.referer === 'string' ? req.headers.referer : '',
        tcUrl: `webrtc://${host}/${app}`,
      });
      // Sessions also end by stun_timeout or a kick: forget their tokens here, without a timer.
      for (const id of tokens.keys()) if (!rtc.hasSession(id)) tokens.delete(id);
      const token = randomBytes(6).toString('base64url').slice(0, 9);
      tokens.set(answer.sessionId, token);
      const location = `/rtc/v1/whep/?action=delete&token=${token}&app=${encodeURIComponent(app)}&stream=${encodeURIComponent(stream)}&session=${encodeURIComponent(answer.sessionId)}`;
      send(res, 201, 'application/sdp', answer.sdp, { Location: location, 'Access-Control-Expose-Headers': 'Location' });
    } catch (err) {
      const msg = reason(err);
      ctx.log.warn(`rtc: WHEP refused: ${msg}`);
      const bad = err instanceof TsrsError && (err.code === ErrorCode.RtcSdpDecode || err.code === ErrorCode.RtcSdpExchange || err.code === ErrorCode.RtcApiBody);
      const denied = err instanceof TsrsError && err.name !== 'ProtocolError' && err.name !== 'TsrsError';
      send(res, bad ? 400 : denied ? 403 : 400, 'text/plain', `${msg}\n`);
    }
  });
}
