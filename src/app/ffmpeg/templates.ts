// Template variables of transcode/ingest outputs and exec command lines (config.md §4), the local input
// URL of a transcoder and the per-process log file names, as SRS builds them (srs_app_encoder.cpp,
// srs_app_ingest.cpp, srs_app_ng_exec.cpp). Pure: the time is an argument.
import { expandTimeTemplate, replaceAll } from '../../protocol/hls/template.js';
import { DEFAULT_VHOST } from '../../protocol/rtmp/request.js';

/** What a publish looks like to transcode and exec (SRS's SrsRequest fields they read). */
export interface PublishRequest {
  /** The resolved vhost (`__defaultVhost__` for the default one). */
  vhost: string;
  app: string;
  stream: string;
  /** The publisher's query string with its leading `?`, or ''. */
  param: string;
  tcUrl: string;
  pageUrl: string;
  swfUrl: string;
  /** Host of the tcUrl, as the client wrote it. */
  host: string;
  /** Port of the tcUrl (1935 when absent). */
  tcPort: number;
  /** The local RTMP port the publisher connected to (`[port]`, the transcoder's input). */
  port: number;
}

/** Local time or UTC (`utc_time`) and the clock, for the date variables. */
export interface TemplateClock {
  nowMs: number;
  utc: boolean;
}

/** Where a transcoder reads the stream: `rtmp://127.0.0.1:<port>/<app>?vhost=<vhost>/<stream>`. */
export function transcodeInputUrl(req: Pick<PublishRequest, 'port' | 'app' | 'vhost' | 'stream'>): string {
  return `rtmp://127.0.0.1:${req.port}/${req.app}?vhost=${req.vhost}/${req.stream}`;
}

/** A transcode engine's `output`: `[vhost] [port] [app] [stream] [param] [engine]`, then the date variables. */
export function expandTranscodeOutput(template: string, req: PublishRequest, engine: string, clock: TemplateClock): string {
  let s = replaceAll(template, '[vhost]', req.vhost);
  s = replaceAll(s, '[port]', String(req.port));
  s = replaceAll(s, '[app]', req.app);
  s = replaceAll(s, '[stream]', req.stream);
  s = replaceAll(s, '[param]', req.param);
  s = replaceAll(s, '[engine]', engine);
  return expandTimeTemplate(s, clock.nowMs, clock.utc);
}

/**
 * An ingest engine's `output`: `[vhost]` (the ingest's vhost), `[port]` (the first RTMP listen port) and the
 * date variables; then a `vhost=__defaultVhost__` query is dropped, as SRS does, so the URL stays plain.
 */
export function expandIngestOutput(template: string, vhost: string, port: number, clock: TemplateClock): string {
  let s = replaceAll(template, '[vhost]', vhost);
  s = replaceAll(s, '[port]', String(port));
  s = expandTimeTemplate(s, clock.nowMs, clock.utc);
  s = replaceAll(s, `vhost=${DEFAULT_VHOST}`, '');
  s = replaceAll(s, '?&', '?');
  // The query may sit on the app: rtmp://host/live?vhost=__defaultVhost__/stream.
  s = replaceAll(s, '?/', '/');
  while (s.endsWith('?')) s = s.slice(0, -1);
  return s;
}

/**
 * `[url]` of exec: the stream's RTMP URL as the client addressed it (SRS srs_generate_rtmp_url): the vhost
 * goes into the query unless the query has one, the vhost is the default one, or the host is an IPv4.
 */
export function execStreamUrl(req: PublishRequest): string {
  let query = req.param;
  if (!query.includes('vhost=')) {
    let guess = '';
    if (req.vhost !== DEFAULT_VHOST) guess = req.vhost;
    else if (!/^[0-9.]*$/.test(req.host)) guess = req.host;
    if (guess) query += `&vhost=${guess}`;
  }
  query = query.replace(/^&+/, '');
  const q = query === '' ? '' : query.startsWith('?') ? query : `?${query}`;
  return `rtmp://${req.host}:${req.tcPort}/${req.app}/${req.stream}${q}`;
}

/**
 * One exec argument: `[vhost] [port] [app] [stream] [tcUrl] [swfUrl] [pageUrl]`, the date variables, then
 * `[url]` (SRS's order).
 */
export function expandExecArg(template: string, req: PublishRequest, clock: TemplateClock): string {
  let s = replaceAll(template, '[vhost]', req.vhost);
  s = replaceAll(s, '[port]', String(req.port));
  s = replaceAll(s, '[app]', req.app);
  s = replaceAll(s, '[stream]', req.stream);
  s = replaceAll(s, '[tcUrl]', req.tcUrl);
  s = replaceAll(s, '[swfUrl]', req.swfUrl);
  s = replaceAll(s, '[pageUrl]', req.pageUrl);
  s = expandTimeTemplate(s, clock.nowMs, clock.utc);
  if (s.includes('[url]')) s = replaceAll(s, '[url]', execStreamUrl(req));
  return s;
}

/** `ff_log_dir /dev/null;` turns the per-process logs off (the processes write to /dev/null). */
export const NULL_FILE = '/dev/null';

/** `<ff_log_dir>/ffmpeg-encoder-<vhost>-<app>-<stream>[-<engine>].log`, or /dev/null. */
export function encoderLogPath(ffLogDir: string, vhost: string, app: string, stream: string, engine: string): string {
  if (ffLogDir === NULL_FILE) return NULL_FILE;
  return `${ffLogDir}/ffmpeg-encoder-${vhost}-${app}-${stream}${engine ? `-${engine}` : ''}.log`;
}

/** `<ff_log_dir>/ffmpeg-ingest-<vhost>-<app>-<stream>.log` (app and stream of the output URL), or /dev/null. */
export function ingestLogPath(ffLogDir: string, vhost: string, app: string, stream: string): string {
  if (ffLogDir === NULL_FILE) return NULL_FILE;
  return `${ffLogDir}/ffmpeg-ingest-${vhost}-${app}-${stream}.log`;
}

/** A command line with its output redirections taken out. */
export interface Redirected {
  args: string[];
  /** File for stdout, '' = none given. */
  stdout: string;
  /** File for stderr, '' = none given; `&1` = the same as stdout. */
  stderr: string;
}

/**
 * Output redirections of an exec command line, which SRS handles itself since no shell runs the command:
 * `>file`, `1>file`, `2>file`, `1 > file`, `2 >file`, `> file`, `arg>file`, plus `2>&1`. Everything else
 * is an argument, passed as is (no quotes, globs or `$VAR`).
 */
export function splitRedirections(tokens: readonly string[]): Redirected {
  const out: Redirected = { args: [], stdout: '', stderr: '' };
  const target = (fd: string, rest: string, next: () => string): void => {
    const file = rest !== '' ? rest : next();
    if (fd === '2') out.stderr = file;
    else out.stdout = file;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = (): string => (i + 1 < tokens.length ? tokens[++i]! : '');
    // `1 > file`, `2 >file`: the fd is a word of its own.
    if ((t === '1' || t === '2') && tokens[i + 1]?.startsWith('>')) {
      const op = next();
      target(t, op.slice(1), next);
      continue;
    }
    // `>file`, `1>file`, `2>file`, `2>&1`, `>` followed by the file.
    const m = /^([12]?)>(.*)$/s.exec(t);
    if (m) {
      target(m[1]!, m[2]!, next);
      continue;
    }
    // `arg>file`: an argument, then stdout (a digit glued to a word is part of the word, as in a shell).
    const gt = t.indexOf('>');
    if (gt > 0) {
      out.args.push(t.slice(0, gt));
      target('1', t.slice(gt + 1), next);
      continue;
    }
    out.args.push(t);
  }
  return out;
}
