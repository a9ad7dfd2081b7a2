// From config to processes: which ffmpeg/exec processes a publish or an ingest needs, with their command
// lines and log files, following SRS's rules (srs_app_encoder.cpp parse_scope_engines/parse_ffmpeg,
// srs_app_ingest.cpp parse_engines/initialize_ffmpeg, srs_app_ng_exec.cpp parse_exec_publish).
// Pure: nothing runs here; problems come back as notes for the caller to log.
import type { EngineConfig, IngestConfig, TranscodeConfig, VhostConfig } from '../../config/index.js';
import { discoverRequest } from '../../protocol/rtmp/request.js';
import { EngineError, copyCommand, ffmpegArgs, transcodeCommand, type FfmpegCommand } from './command-line.js';
import {
  encoderLogPath,
  expandExecArg,
  expandIngestOutput,
  expandTranscodeOutput,
  ingestLogPath,
  splitRedirections,
  transcodeInputUrl,
  type PublishRequest,
  type TemplateClock,
} from './templates.js';

/** One process to run and keep running. */
export interface ProcessSpec {
  /** What the process is for, in every log line about it (`transcode engine "sd" of /live/cam`). */
  label: string;
  bin: string;
  args: string[];
  /** File for stdout; '' = the server's own stdout. */
  stdout: string;
  /** File for stderr; '' = the server's own stderr; `&1` = wherever stdout goes. */
  stderr: string;
  /** stdin and stdout are pipes to the server (onSpawn gets the child); `stdout` is then ignored. */
  pipes?: boolean;
}

export interface PlanNote {
  level: 'trace' | 'warn' | 'error';
  message: string;
}

export interface TranscodeJob {
  spec: ProcessSpec;
  /** The expanded output URL (loop detection compares publishes against it). */
  output: string;
}

export interface Plan<T> {
  jobs: T[];
  notes: PlanNote[];
}

/** How an engine is named in logs: its name, or its position when it has none. */
function engineLabel(engine: EngineConfig, index: number): string {
  return engine.name ? `"${engine.name}"` : `#${index + 1}`;
}

function scopeLabel(scope: string): string {
  return scope === '' ? 'vhost scope' : `scope ${scope}`;
}

const keyOf = (req: Pick<PublishRequest, 'vhost' | 'app' | 'stream'>): string =>
  req.vhost === '__defaultVhost__' ? `/${req.app}/${req.stream}` : `${req.vhost}/${req.app}/${req.stream}`;

/**
 * The `transcode` blocks that apply to a stream, in SRS's order: the vhost scope (no arg), then `app`,
 * then `app/stream`. (SRS reads only the first `transcode` block of a vhost; tsrs honours every block.)
 */
export function transcodesFor(vhost: VhostConfig, app: string, stream: string): TranscodeConfig[] {
  const scopes = ['', app, `${app}/${stream}`];
  const out: TranscodeConfig[] = [];
  for (const scope of scopes) for (const t of vhost.transcodes) if (t.scope === scope) out.push(t);
  return out;
}

function commandSpec(label: string, bin: string, cmd: FfmpegCommand, logFile: string): ProcessSpec {
  return { label, bin, args: ffmpegArgs(cmd), stdout: logFile, stderr: logFile };
}

const describe = (err: unknown): string => (err instanceof EngineError ? err.summary() : err instanceof Error ? err.message : String(err));

/** One ffmpeg per enabled engine of every transcode that applies to the publish. */
export function planTranscodes(vhost: VhostConfig, req: PublishRequest, env: { ffLogDir: string } & TemplateClock): Plan<TranscodeJob> {
  const plan: Plan<TranscodeJob> = { jobs: [], notes: [] };
  const stream = keyOf(req);
  for (const t of transcodesFor(vhost, req.app, req.stream)) {
    const where = `transcode (${scopeLabel(t.scope)}) of vhost ${vhost.name}`;
    if (!t.enabled) {
      plan.notes.push({ level: 'trace', message: `ignore the disabled ${where}` });
      continue;
    }
    if (t.ffmpeg === '') {
      plan.notes.push({ level: 'trace', message: `ignore ${where}: no ffmpeg binary configured` });
      continue;
    }
    if (t.engines.length === 0) {
      plan.notes.push({ level: 'trace', message: `ignore ${where}: no engine` });
      continue;
    }
    t.engines.forEach((engine, i) => {
      const label = `transcode engine ${engineLabel(engine, i)} of ${stream}`;
      if (!engine.enabled) {
        plan.notes.push({ level: 'trace', message: `ignore the disabled ${label}` });
        return;
      }
      if (engine.vcodec === '' && engine.acodec === '') {
        plan.notes.push({ level: 'warn', message: `ignore ${label} (${where}): it sets neither vcodec nor acodec` });
        return;
      }
      const input = transcodeInputUrl(req);
      const output = expandTranscodeOutput(engine.output, req, engine.name, env);
      try {
        const cmd = transcodeCommand(engine, input, output);
        const log = encoderLogPath(env.ffLogDir, req.vhost, req.app, req.stream, engine.name);
        plan.jobs.push({ spec: commandSpec(label, t.ffmpeg, cmd, log), output });
      } catch (err) {
        plan.notes.push({ level: 'error', message: `${label} (${where}) cannot run, skipped: ${describe(err)}` });
      }
    });
  }
  return plan;
}

/** The app and stream an RTMP URL publishes to (SRS srs_parse_rtmp_url + srs_discovery_tc_url). */
export function urlStream(url: string): { host: string; port: number; vhost: string; app: string; stream: string } {
  // The stream is after the last '/', the rest is the tcUrl (whose app may carry `?vhost=`).
  const slash = url.lastIndexOf('/');
  const authority = url.indexOf('://') + 3;
  const split = slash > authority && url.indexOf('/', authority) < slash;
  const r = split ? discoverRequest(url.slice(0, slash), url.slice(slash + 1)) : discoverRequest(url, '');
  return { host: r.host, port: r.port, vhost: r.vhost, app: r.app, stream: r.stream };
}

/**
 * The ffmpeg processes of one `ingest <id>`: one per engine (copy when the engine is off or names no
 * codecs), reading the file or stream with `-re` and publishing to the engine's output.
 */
export function planIngest(
  vhost: string,
  ingest: IngestConfig,
  env: { ffLogDir: string; ffLogLevel: string; port: number } & TemplateClock,
): Plan<ProcessSpec> {
  const plan: Plan<ProcessSpec> = { jobs: [], notes: [] };
  if (!ingest.enabled) return plan;
  const where = `ingest "${ingest.id}" of vhost ${vhost}`;
  if (ingest.ffmpeg === '') {
    plan.notes.push({ level: 'error', message: `${where} cannot run, skipped: ${new EngineError('Binary', 'no ffmpeg binary configured').summary()}` });
    return plan;
  }
  // Without an engine there is no output: SRS refuses it too ("empty output url").
  const engines: (EngineConfig | null)[] = ingest.engines.length ? ingest.engines : [null];
  engines.forEach((engine, i) => {
    const label = engine && ingest.engines.length > 1 ? `${where}, engine ${engineLabel(engine, i)}` : where;
    try {
      plan.jobs.push(ingestSpec(label, vhost, ingest, engine, env));
    } catch (err) {
      plan.notes.push({ level: 'error', message: `${label} cannot run, skipped: ${describe(err)}` });
    }
  });
  return plan;
}

function ingestSpec(
  label: string,
  vhost: string,
  ingest: IngestConfig,
  engine: EngineConfig | null,
  env: { ffLogDir: string; ffLogLevel: string; port: number } & TemplateClock,
): ProcessSpec {
  const output = expandIngestOutput(engine?.output ?? '', vhost, env.port, env);
  if (output === '') throw new EngineError('NoOutputUrl', `empty output url, ingest=${ingest.id}`);
  const { app, stream } = urlStream(output);
  const log = ingestLogPath(env.ffLogDir, vhost, app, stream);
  const iparams: string[] = [];
  if (env.ffLogLevel !== '') iparams.push('-loglevel', env.ffLogLevel);
  const type = ingest.input.type;
  if (type === '') throw new EngineError('NoInput', `empty input type, ingest=${ingest.id}`);
  if (type !== 'file' && type !== 'stream') {
    const hint = type === 'device' ? ' (device input is not supported, as in SRS)' : '';
    throw new EngineError('InputType', `invalid ingest=${ingest.id} type=${type}${hint}`);
  }
  if (ingest.input.url === '') throw new EngineError('NoInput', `empty input url, ingest=${ingest.id}`);
  // Files and streams are both read at their native rate (a stream: so HLS is not pulled in a burst).
  iparams.push('-re');
  const copy = !engine || !engine.enabled || engine.vcodec === '' || engine.acodec === '';
  const cmd = copy
    ? { ...copyCommand(ingest.input.url, output, iparams), oformat: 'flv' }
    : transcodeCommand(engine, ingest.input.url, output, iparams);
  return commandSpec(label, ingest.ffmpeg, cmd, log);
}

/** One process per `exec.publish` line, with SRS's variables and the line's own redirections. */
export function planExec(vhost: VhostConfig, req: PublishRequest, clock: TemplateClock): Plan<ProcessSpec> {
  const plan: Plan<ProcessSpec> = { jobs: [], notes: [] };
  if (!vhost.exec.enabled) return plan;
  const stream = keyOf(req);
  vhost.exec.publish.forEach((line, i) => {
    const label = `exec #${i + 1} of ${stream}`;
    if (line.length === 0) {
      plan.notes.push({ level: 'warn', message: `ignore ${label}: empty publish command` });
      return;
    }
    const r = splitRedirections(line);
    const expand = (s: string): string => (s === '' || s === '&1' ? s : expandExecArg(s, req, clock));
    const argv = r.args.map(expand);
    if (argv.length === 0) {
      plan.notes.push({ level: 'warn', message: `ignore ${label}: nothing to run in "${line.join(' ')}"` });
      return;
    }
    // SRS runs the binary as written and passes the expanded argv.
    plan.jobs.push({ label, bin: r.args[0]!, args: argv.slice(1), stdout: expand(r.stdout), stderr: expand(r.stderr) });
  });
  return plan;
}
