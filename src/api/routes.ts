// The HTTP API routes (http-api.md §2, SRS 5 SrsServer::http_handle) registered on the server's muxes.
import { statSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from '../app/context.js';
import { sendRedirect, sendStatus, type HttpHandler, type HttpMux } from '../app/http/index.js';
import { resolveVhost, type Endpoint, type SrsConfig } from '../config/index.js';
import { SERVER_SIGNATURE, SRS_COMPAT_VERSION, SRS_COMPAT_VERSION_STRING, TSRS_VERSION } from '../core/version.js';
import { f2, type JsonValue } from './json.js';
import { renderMetrics, type HlsMemoryStats } from './metrics.js';
import { ApiCode, apiRequest, envelope, sendCode, sendJson, sendRaw, type ApiRequest } from './respond.js';
import {
  clientObject,
  collectStreams,
  collectVhosts,
  listClients,
  page,
  streamObject,
  vhostObject,
} from './stat-objects.js';
import { SystemSampler } from './system-stats.js';
import { registerRtcRoutes } from './rtc-routes.js';
import type { RtcService } from '../app/webrtc/index.js';

/** What the API needs from the server (the app's Server satisfies it). */
export interface ApiHost {
  readonly ctx: ServerContext;
  readonly httpApiMux: HttpMux;
  readonly httpServerMux: HttpMux;
  /** HLS served from memory, for /metrics. */
  readonly hlsMemory?: HlsMemoryStats;
  /** WebRTC signalling (/rtc/v1/play/, WHEP); absent in hosts without RTC. */
  readonly rtc?: RtcService;
}

/** SRS's reload report (rpc=reload-fetch): state 0 init, 10 parsing, 20 transforming, 30 applying, 90 finished. */
export interface ReloadStatus {
  err: number;
  msg: string;
  state: number;
  rid: string;
}

export interface ApiOptions {
  /** Start a config reload, as SIGHUP does (called after the `{"code":0}` answer is sent). */
  reload?: () => void;
  /** The last reload's outcome for rpc=reload-fetch. */
  reloadStatus?: () => ReloadStatus;
  /** Command line reported by summaries (default: process.argv). */
  argv?: readonly string[];
}

/** Largest request body the API reads (no route needs more; bigger bodies get 413). */
const MAX_BODY_BYTES = 1024 * 1024;

type Handler = (a: ApiRequest) => void | Promise<void>;

const INITIAL_RELOAD: ReloadStatus = { err: 0, msg: 'Success', state: 0, rid: '' };

/** Build date of this code (the compiled module's mtime), SRS's SRS_BUILD_DATE. */
function buildTime(): Date {
  try {
    return statSync(fileURLToPath(import.meta.url)).mtime;
  } catch {
    return new Date(Date.now() - process.uptime() * 1000);
  }
}

function formatDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `listen` as SRS prints it back: the port alone for the any-address, else host:port. */
function listenString(ep: Endpoint): string {
  if (ep.host === '0.0.0.0' || ep.host === '::' || ep.host === '') return String(ep.port);
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

function publicIp(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Read (and bound) a request body; resolves null when it was too large (the request is answered 413). */
function readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      res.setHeader('Connection', 'close');
      sendStatus(res, 413);
      req.resume();
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (b: Buffer) => {
      if (done) return;
      size += b.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        res.setHeader('Connection', 'close');
        sendStatus(res, 413);
        resolve(null);
        return;
      }
      chunks.push(b);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', () => {
      if (!done) resolve(null);
      done = true;
    });
    req.on('aborted', () => {
      if (!done) resolve(null);
      done = true;
    });
  });
}

function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Wrap an API handler: JSONP/method override, body limit, and a JSON body check — a body that says it is
 * JSON but does not parse gets HTTP 400 with `{"code":400}` (SRS's BadRequest reused as a code).
 */
function api(fn: Handler): HttpHandler {
  return async (req, res, route) => {
    const a = apiRequest(req, res, route);
    if (!a) return;
    if (hasBody(req)) {
      const body = await readBody(req, res);
      if (body === null) return;
      const type = String(req.headers['content-type'] ?? '');
      if (body.length > 0 && /\bjson\b/i.test(type)) {
        try {
          JSON.parse(body.toString('utf8'));
        } catch {
          sendJson(a, { code: ApiCode.BadRequest }, 400);
          return;
        }
      }
    }
    await fn(a);
  };
}

/** Basic auth for request paths containing `/api/` (SRS 5 SrsHttpAuthMux); `/rtc/` stays open. */
export function checkBasicAuth(header: string | undefined, username: string, password: string): boolean {
  if (!header) return false;
  const m = header.match(/^\s*Basic\s+(\S+)\s*$/i);
  if (!m) return false;
  const plain = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  if (colon < 0) return false;
  const eq = (x: string, y: string): boolean => {
    const bx = Buffer.from(x);
    const by = Buffer.from(y);
    return bx.length === by.length && timingSafeEqual(bx, by);
  };
  // Compare both halves even when the first differs, so timing does not tell which one was wrong.
  const userOk = eq(plain.slice(0, colon), username);
  const passOk = eq(plain.slice(colon + 1), password);
  return userOk && passOk;
}

export function registerApiRoutes(host: ApiHost, options: ApiOptions = {}): void {
  const { ctx } = host;
  const mux = host.httpApiMux;
  const config = (): SrsConfig => ctx.config();
  const sampler = new SystemSampler(() => config().stats.disk);
  const built = buildTime();
  const id = { serverId: ctx.serverId, serviceId: ctx.serviceId };
  const ok = (a: ApiRequest, payload: Record<string, JsonValue | undefined> = {}): void => sendJson(a, envelope(id, payload));
  const reloadStatus = options.reloadStatus ?? (() => INITIAL_RELOAD);

  // Auth before routing, on every port that can carry /api/ paths (SRS wraps every HTTP connection).
  const guard = (req: IncomingMessage, res: ServerResponse, url: URL): boolean => {
    const auth = config().httpApi.auth;
    // SRS guards paths containing /api/ only; `http_api.auth.metrics on` (tsrs) adds /metrics.
    const guarded = url.pathname.includes('/api/') || (auth.metrics && url.pathname === '/metrics');
    if (!auth.enabled || !guarded) return false;
    const value = req.headers.authorization;
    if (checkBasicAuth(value, auth.username, auth.password)) return false;
    res.writeHead(401, { 'WWW-Authenticate': 'Basic', 'Content-Length': 0 });
    res.end();
    return true;
  };
  mux.intercept(guard, true);
  if (host.httpServerMux !== mux) host.httpServerMux.intercept(guard, true);

  const versions = api((a) => ok(a, { data: { major: SRS_COMPAT_VERSION.major, minor: SRS_COMPAT_VERSION.minor, revision: SRS_COMPAT_VERSION.revision, version: SRS_COMPAT_VERSION_STRING } }));

  // With the API on the HTTP server port, `/` stays the static root (SRS: it comes from the HTTP server).
  if (!mux.has('/')) {
    mux.handle(
      '/',
      api((a) => ok(a, { urls: { api: 'the api root', rtc: { v1: { play: 'Play stream', publish: 'Publish stream', nack: 'Simulate the NACK' } } } })),
    );
  }
  mux.handle('/api/v1/versions', versions);
  // SRS always mounts versions on the HTTP server port too.
  if (host.httpServerMux !== mux) host.httpServerMux.handle('/api/v1/versions', versions);
  mux.handle('/api/', api((a) => ok(a, { urls: { v1: 'the api version 1.0' } })));
  mux.handle(
    '/api/v1/',
    api((a) =>
      ok(a, {
        urls: {
          versions: 'the version of SRS',
          summaries: 'the summary(pid, argv, pwd, cpu, mem) of SRS',
          rusages: 'the rusage of SRS',
          self_proc_stats: 'the self process stats',
          system_proc_stats: 'the system process stats',
          meminfos: 'the meminfo of system',
          authors: 'the license, copyright, authors and contributors',
          features: 'the supported features of SRS',
          requests: 'the request itself, for http debug',
          vhosts: 'manage all vhosts or specified vhost',
          streams: 'manage all streams or specified stream',
          clients: 'manage all clients or specified client, default query top 10 clients',
          raw: 'raw api for srs, support CUID srs for instance the config',
          clusters: 'origin cluster server API',
          perf: 'System performance stat',
          tcmalloc: 'tcmalloc api with params ?page=summary|api',
        },
        tests: {
          requests: 'show the request info',
          errors: 'always return an error 100',
          redirects: 'always redirect to /api/v1/test/errors',
          '[vhost]': 'http vhost for http://error.srs.com:1985/api/v1/tests/errors',
        },
      }),
    ),
  );

  mux.handle(
    '/api/v1/summaries',
    api((a) => {
      const s = sampler.sample();
      const ru = process.resourceUsage();
      const totals = ctx.stats.totals();
      const now = ctx.now();
      ok(a, {
        data: {
          ok: s.ok,
          now_ms: now,
          self: {
            version: SRS_COMPAT_VERSION_STRING,
            pid: process.pid,
            ppid: s.self?.fields.ppid ?? process.ppid,
            argv: (options.argv ?? process.argv).join(' '),
            cwd: process.cwd(),
            mem_kbyte: ru.maxRSS,
            mem_percent: f2(s.mem.MemTotal > 0 ? ru.maxRSS / s.mem.MemTotal : 0),
            cpu_percent: f2(s.selfPercent),
            srs_uptime: Math.floor(process.uptime()),
          },
          system: {
            cpu_percent: f2(s.systemPercent),
            disk_read_KBps: s.diskInKBps,
            disk_write_KBps: s.diskOutKBps,
            disk_busy_percent: f2(s.diskBusy),
            mem_ram_kbyte: s.mem.MemTotal,
            mem_ram_percent: f2(s.mem.percentRam),
            mem_swap_kbyte: s.mem.SwapTotal,
            mem_swap_percent: f2(s.mem.percentSwap),
            cpus: os.cpus().length,
            cpus_online: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
            uptime: f2(s.uptime),
            ilde_time: f2(s.idleTime),
            load_1m: f2(s.load[0]),
            load_5m: f2(s.load[1]),
            load_15m: f2(s.load[2]),
            net_sample_time: s.netSampleTimeMs,
            net_recv_bytes: s.netRecv,
            net_send_bytes: s.netSend,
            net_recvi_bytes: s.netRecvi,
            net_sendi_bytes: s.netSendi,
            srs_sample_time: s.sampleTimeMs,
            srs_recv_bytes: totals.recvBytes,
            srs_send_bytes: totals.sendBytes,
            conn_sys: s.connSys,
            conn_sys_et: s.connSysEt,
            conn_sys_tw: s.connSysTw,
            conn_sys_udp: s.connSysUdp,
            conn_srs: listClients(ctx).length,
          },
        },
      });
    }),
  );

  mux.handle(
    '/api/v1/rusages',
    api((a) => {
      const ru = process.resourceUsage();
      ok(a, {
        data: {
          ok: true,
          sample_time: ctx.now(),
          ru_utime: Math.floor(ru.userCPUTime / 1e6),
          ru_stime: Math.floor(ru.systemCPUTime / 1e6),
          ru_maxrss: ru.maxRSS,
          ru_ixrss: ru.sharedMemorySize,
          ru_idrss: ru.unsharedDataSize,
          ru_isrss: ru.unsharedStackSize,
          ru_minflt: ru.minorPageFault,
          ru_majflt: ru.majorPageFault,
          ru_nswap: ru.swappedOut,
          ru_inblock: ru.fsRead,
          ru_oublock: ru.fsWrite,
          ru_msgsnd: ru.ipcSent,
          ru_msgrcv: ru.ipcReceived,
          ru_nsignals: ru.signalsCount,
          ru_nvcsw: ru.voluntaryContextSwitches,
          ru_nivcsw: ru.involuntaryContextSwitches,
        },
      });
    }),
  );

  mux.handle(
    '/api/v1/self_proc_stats',
    api((a) => {
      const s = sampler.sample();
      const st = s.self;
      const data: Record<string, JsonValue> = {
        ok: s.selfOk,
        sample_time: s.sampleTimeMs,
        percent: f2(s.selfPercent),
        pid: st?.pid ?? process.pid,
        comm: st?.comm ?? `(${process.title})`,
        state: st?.state ?? 'R',
      };
      if (st) for (const [k, v] of Object.entries(st.fields)) data[k] = v;
      ok(a, { data });
    }),
  );

  mux.handle(
    '/api/v1/system_proc_stats',
    api((a) => {
      const s = sampler.sample();
      const c = s.cpu;
      ok(a, {
        data: {
          ok: s.systemOk,
          sample_time: s.sampleTimeMs,
          percent: f2(s.systemPercent),
          user: c?.user ?? 0,
          nice: c?.nice ?? 0,
          sys: c?.sys ?? 0,
          idle: c?.idle ?? 0,
          iowait: c?.iowait ?? 0,
          irq: c?.irq ?? 0,
          softirq: c?.softirq ?? 0,
          steal: c?.steal ?? 0,
          guest: c?.guest ?? 0,
        },
      });
    }),
  );

  mux.handle(
    '/api/v1/meminfos',
    api((a) => {
      const s = sampler.sample();
      const m = s.mem;
      ok(a, {
        data: {
          ok: s.memOk,
          sample_time: s.sampleTimeMs,
          percent_ram: f2(m.percentRam),
          percent_swap: f2(m.percentSwap),
          MemActive: m.MemActive,
          RealInUse: m.RealInUse,
          NotInUse: m.NotInUse,
          MemTotal: m.MemTotal,
          MemFree: m.MemFree,
          Buffers: m.Buffers,
          Cached: m.Cached,
          SwapTotal: m.SwapTotal,
          SwapFree: m.SwapFree,
        },
      });
    }),
  );

  mux.handle(
    '/api/v1/authors',
    api((a) => ok(a, { data: { license: 'MIT', contributors: 'https://github.com/ossrs/srs/blob/develop/trunk/AUTHORS.md#contributors' } })),
  );

  mux.handle(
    '/api/v1/features',
    api((a) =>
      ok(a, {
        data: {
          options: `tsrs ${TSRS_VERSION}`,
          options2: `node ${process.version}`,
          build: formatDate(built),
          build2: String(Math.floor(built.getTime() / 1000)),
          // The feature set of a default SRS 5 build, which tsrs follows.
          features: {
            ssl: true,
            hls: true,
            hds: false,
            callback: true,
            api: true,
            httpd: true,
            dvr: true,
            transcode: true,
            ingest: true,
            stat: true,
            caster: true,
            complex_send: true,
            tcp_nodelay: true,
            so_sendbuf: true,
            mr: true,
          },
        },
      }),
    ),
  );

  mux.handle(
    '/api/v1/vhosts/',
    api((a) => {
      const all = collectVhosts(ctx);
      const vhost = a.rest ? all.find((v) => v.id === a.rest) : undefined;
      if (a.rest && !vhost) return sendCode(a, ApiCode.VhostNotFound);
      if (a.method !== 'GET') return sendStatus(a.res, 405);
      if (vhost) ok(a, { vhost: vhostObject(ctx, vhost) });
      else ok(a, { vhosts: all.map((v) => vhostObject(ctx, v)) });
    }),
  );

  mux.handle(
    '/api/v1/streams/',
    api((a) => {
      const all = collectStreams(ctx);
      const stream = a.rest ? all.find((s) => s.id === a.rest) : undefined;
      if (a.rest && !stream) return sendCode(a, ApiCode.StreamNotFound);
      if (a.method !== 'GET') return sendStatus(a.res, 405);
      if (stream) ok(a, { stream: streamObject(ctx, stream) });
      else ok(a, { streams: page(all, a.url).map((s) => streamObject(ctx, s)) });
    }),
  );

  mux.handle(
    '/api/v1/clients/',
    api((a) => {
      const all = listClients(ctx);
      const client = a.rest ? all.find((c) => c.stat.id === a.rest) : undefined;
      if (a.rest && !client) return sendCode(a, ApiCode.ClientNotFound);
      if (a.method === 'GET') {
        if (client) ok(a, { client: clientObject(ctx, client) });
        else ok(a, { clients: page(all, a.url).map((c) => clientObject(ctx, c)) });
        return;
      }
      if (a.method === 'DELETE') {
        if (!client) return sendCode(a, ApiCode.ClientNotFound);
        ctx.log.warn(`kickoff client id=${client.stat.id} (api)`);
        // Expire asynchronously, like SRS: the answer goes out before the connection is torn down.
        setImmediate(() => {
          try {
            client.stat.kick('api');
          } catch (err) {
            ctx.log.error(`kickoff client id=${client.stat.id} failed: ${String(err)}`);
          }
        });
        return ok(a);
      }
      sendStatus(a.res, 405);
    }),
  );

  mux.handle(
    '/api/v1/raw',
    api((a) => {
      const rpc = a.url.searchParams.get('rpc') ?? '';
      const cfg = config().httpApi;
      if (rpc === 'raw') {
        return sendJson(a, {
          code: 0,
          http_api: {
            enabled: cfg.enabled,
            listen: listenString(cfg.listen),
            crossdomain: cfg.crossdomain,
            raw_api: { enabled: cfg.rawApi.enabled, allow_reload: cfg.rawApi.allowReload, allow_query: false, allow_update: false },
          },
        });
      }
      if (!cfg.rawApi.enabled) return sendCode(a, ApiCode.ConfigRawDisabled);
      if (rpc === 'reload') {
        if (!cfg.rawApi.allowReload || !options.reload) return sendCode(a, ApiCode.ConfigRawDisabled);
        const reload = options.reload;
        setImmediate(reload);
        return sendCode(a, ApiCode.Success);
      }
      if (rpc === 'reload-fetch') {
        const r = reloadStatus();
        return sendJson(a, { code: 0, data: { err: r.err, msg: r.msg, state: r.state, rid: r.rid } });
      }
      sendCode(a, ApiCode.ConfigRaw);
    }),
  );

  mux.handle(
    '/api/v1/clusters',
    api((a) => {
      const q = a.url.searchParams;
      const ip = q.get('ip') ?? '';
      const vhost = q.get('vhost') ?? '';
      const app = q.get('app') ?? '';
      const stream = q.get('stream') ?? '';
      const coworker = q.get('coworker') ?? '';
      sendJson(a, { code: 0, data: { query: { ip, vhost, app, stream }, origin: clusterOrigin(ctx, vhost, app, stream, coworker) } });
    }),
  );

  mux.handle(
    '/api/v1/tests/requests',
    api((a) => {
      // SRS sets `headers` twice; the server info replaces the request headers (a quirk clients see).
      ok(a, {
        data: {
          uri: `http://${a.req.headers.host ?? 'localhost'}${a.req.url ?? '/'}`,
          path: a.url.pathname,
          METHOD: a.method,
          headers: { sigature: 'SRS', version: SRS_COMPAT_VERSION_STRING, link: 'https://github.com/ossrs/srs', time: ctx.now() },
        },
      });
    }),
  );
  const testError = api((a) => sendCode(a, ApiCode.TestError));
  mux.handle('/api/v1/tests/errors', testError);
  mux.handle('error.srs.com/api/v1/tests/errors', testError);
  mux.handle('/api/v1/tests/redirects', (_req, res, route) => sendRedirect(res, '/api/v1/tests/errors', route.url, 301));

  // SRS 5 answers {"code":1090} unless exporter.enabled. tsrs serves the metrics on the API port when the
  // exporter block leaves `enabled` unset, so existing scrapes keep working; `enabled off` is honoured.
  mux.handle(
    '/metrics',
    api((a) => {
      const exporter = config().exporter;
      if (!exporter.metricsOnApi) {
        sendCode(a, ApiCode.ExporterDisabled);
        return;
      }
      const text = renderMetrics({ ctx, system: sampler.sample(), buildDate: formatDate(built), label: exporter.label, tag: exporter.tag, hlsMemory: host.hlsMemory });
      sendRaw(a, text, 200, 'text/plain; version=0.0.4; charset=utf-8');
    }),
  );

  // WebRTC signalling while tsrs has no WebRTC server. SRS answers a failed offer, RTC disabled included,
  // with {"code":400} (SrsGoApiRtcPlay/Publish); the catch-all root listing answered code 0 instead, which
  // SRS's own player took for success with an empty SDP. An RTC server registers its handlers over these.
  const rtcOff = api((a) => sendCode(a, ApiCode.BadRequest));
  mux.handle('/rtc/v1/play/', rtcOff);
  mux.handle('/rtc/v1/publish/', rtcOff);
  // WHIP/WHEP clients read only the HTTP status (RFC 9725 §4.2: success is 201 Created). SRS drops the
  // connection without an answer; tsrs says why with 503 (the service may be switched on by a reload).
  const whipOff: HttpHandler = (req, res) => {
    req.resume();
    const body = 'WebRTC is not enabled on this server (rtc_server)\n';
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Access-Control-Allow-Origin': '*' });
    res.end(body);
  };
  for (const path of ['/rtc/v1/whip/', '/rtc/v1/whep/', '/rtc/v1/whip-play/']) mux.handle(path, whipOff);

  ctx.log.trace(`HTTP API ready: ${SERVER_SIGNATURE}${host.httpServerMux === mux ? ', sharing the HTTP server port' : ''}`);
  // WebRTC signalling (issue 15): registered last, over any placeholder answers for RTC switched off.
  if (host.rtc && config().rtcServer.enabled) registerRtcRoutes(mux, ctx, host.rtc);
}

/** Origin-cluster coworker answer: this server when it publishes the stream, else null (SrsCoWorkers::dumps). */
function clusterOrigin(ctx: ServerContext, vhostName: string, app: string, stream: string, coworker: string): JsonValue {
  const config = ctx.config();
  const vhost = resolveVhost(config, vhostName);
  if (!vhost) return null;
  const source = ctx.registry.get(vhost.name, app, stream);
  if (!source?.isPublishing) return null;
  const listen = config.listen[0] ?? { host: '0.0.0.0', port: 1935 };
  const loopbackOrAny = ['0.0.0.0', '::', '', '127.0.0.1', '::1', 'localhost'];
  let ip = loopbackOrAny.includes(listen.host) ? '' : listen.host;
  if (!ip && coworker) ip = coworker.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (!ip) ip = publicIp();
  const apiListen = listenString(config.httpApi.listen);
  const backend = apiListen.includes(':') ? apiListen : `${ip}:${apiListen}`;
  return { ip, port: listen.port, vhost: vhost.name, api: backend, routers: [backend] };
}
