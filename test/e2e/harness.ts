// End-to-end harness: a real tsrs process on random loopback ports, real ffmpeg/ffprobe/GStreamer clients.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test');
    dir = up;
  }
  return dir;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Ports {
  rtmp: number;
  http: number;
  api: number;
}

export interface RunningServer {
  ports: Ports;
  dir: string;
  proc: ChildProcess;
  /** Everything the server printed so far. */
  output(): string;
  /** Resolves when the server's output matches (searching from the start), rejects after timeoutMs. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<number | null>;
}

/** Start tsrs with a config made from `conf(ports)`; the process runs in its own temp dir. */
export async function startServer(conf: (p: Ports) => string, extraArgs: string[] = []): Promise<RunningServer> {
  return startServerWith(conf, { extraArgs });
}

export interface StartOptions {
  extraArgs?: string[];
  /** Extra environment for the server process (e.g. TSRS_HTTP_HEADERS_TIMEOUT_MS). */
  env?: Record<string, string>;
  /** Runs in the temp dir before the server starts (create html/, certificates...). */
  prepare?: (dir: string, ports: Ports) => void;
  /** Ports chosen by the caller (servers that must know each other's ports before they start). */
  ports?: Partial<Ports>;
}

/** startServer with options: extra env vars and a hook to prepare the server's directory. */
export async function startServerWith(conf: (p: Ports) => string, options: StartOptions = {}): Promise<RunningServer> {
  const ports: Ports = {
    rtmp: options.ports?.rtmp ?? (await freePort()),
    http: options.ports?.http ?? (await freePort()),
    api: options.ports?.api ?? (await freePort()),
  };
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-e2e-'));
  const confFile = join(dir, 'test.conf');
  options.prepare?.(dir, ports);
  writeFileSync(confFile, conf(ports));
  const main = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const proc = spawn(process.execPath, [main, '-c', confFile, ...(options.extraArgs ?? [])], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onChunk = (b: Buffer): void => {
    out += b.toString();
    for (const w of [...waiters]) w();
  };
  proc.stdout!.on('data', onChunk);
  proc.stderr!.on('data', onChunk);
  let exited = false;
  let exitCode: number | null = null;
  const exitPromise = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      exited = true;
      exitCode = code;
      for (const w of [...waiters]) w();
      resolve(code);
    }),
  );

  const waitForLog = (re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = out.match(re);
        if (m) {
          done();
          resolve(m);
        } else if (exited) {
          done();
          reject(new Error(`server exited (${exitCode}) before ${re}; output:\n${out.slice(-3000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timeout waiting for ${re}; output:\n${out.slice(-3000)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const server: RunningServer = {
    ports,
    dir,
    proc,
    output: () => out,
    waitForLog,
    stop: async () => {
      if (!exited) proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const code = await exitPromise;
      clearTimeout(killer);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  await waitForLog(/RTMP listen at/, 15_000);
  return server;
}

/** A minimal config: RTMP only, console log at trace level. */
export function rtmpConf(p: Ports, vhostBody = '', extra = ''): string {
  return `listen ${p.rtmp};
max_connections 1000;
daemon off;
srs_log_tank console;
srs_log_level trace;
${extra}
vhost __defaultVhost__ {
  ${vhostBody}
}
`;
}

/**
 * RTMP plus the HTTP server (static files from ./html, HTTP-FLV remux) and the HTTP API on their own
 * ports. `api` and `server` are extra directives inside http_api/http_server.
 */
export function httpConf(p: Ports, opts: { vhostBody?: string; extra?: string; api?: string; server?: string } = {}): string {
  return rtmpConf(
    p,
    `http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
  ${opts.vhostBody ?? ''}`,
    `http_api {
  enabled on;
  listen ${p.api};
  ${opts.api ?? ''}
}
http_server {
  enabled on;
  listen ${p.http};
  dir ./html;
  ${opts.server ?? ''}
}
${opts.extra ?? ''}`,
  );
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (killed after timeoutMs). */
export function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export type PublishKind = 'h264-aac' | 'h264' | 'aac' | 'h264-mp3' | 'mp3';

/** ffmpeg publishing a generated live stream (-re) until stopped. */
export function ffmpegPublish(url: string, kind: PublishKind = 'h264-aac', gopFrames = 25): { proc: ChildProcess; stderr(): string; stop(): Promise<void> } {
  const video = kind.startsWith('h264');
  const audio = kind !== 'h264';
  const args = ['-hide_banner', '-loglevel', 'error', '-re'];
  if (video) args.push('-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25');
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100');
  if (video) args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(gopFrames), '-pix_fmt', 'yuv420p');
  if (audio) args.push('-c:a', kind.endsWith('mp3') ? 'libmp3lame' : 'aac', '-ar', '44100', '-b:a', '64k');
  args.push('-f', 'flv', url);
  const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const closed = new Promise<void>((r) => proc.on('close', () => r()));
  return {
    proc,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await closed;
    },
  };
}

/** Read `frames` video frames (or seconds of audio) from a URL with ffprobe; returns parsed frames. */
export async function probeFrames(url: string, stream: 'v' | 'a', count: number, timeoutMs = 20_000): Promise<{ keyFrame: boolean; pts: number }[]> {
  const r = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', stream, '-read_intervals', `%+#${count}`, '-show_entries', 'frame=key_frame,pts_time,best_effort_timestamp_time', '-of', 'json', url],
    timeoutMs,
  );
  if (r.code !== 0) throw new Error(`ffprobe ${url} failed (${r.code ?? r.signal}): ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as { frames?: { key_frame: number; pts_time?: string; best_effort_timestamp_time?: string }[] };
  return (parsed.frames ?? []).map((f) => ({ keyFrame: f.key_frame === 1, pts: Number(f.pts_time ?? f.best_effort_timestamp_time ?? NaN) }));
}

export async function probeStreams(url: string, timeoutMs = 20_000): Promise<{ codec_type: string; codec_name: string; width?: number; height?: number }[]> {
  const r = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height', '-of', 'json', url], timeoutMs);
  if (r.code !== 0) throw new Error(`ffprobe ${url} failed (${r.code ?? r.signal}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { streams: { codec_type: string; codec_name: string; width?: number; height?: number }[] }).streams;
}

export interface FfmpegPlayer {
  proc: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) once ffmpeg has exited. */
  exited: Promise<number | null>;
  stderr(): string;
  stop(): Promise<void>;
}

/** ffmpeg reading a live URL (no decoding: -c copy to the null muxer) until stopped or dropped by the server. */
export function ffmpegPlay(url: string): FfmpegPlayer {
  return ffmpegProcess(['-hide_banner', '-loglevel', 'error', '-i', url, '-c', 'copy', '-f', 'null', '-']);
}

/** An ffmpeg child with these arguments: its stderr kept, its exit awaited, stop() kills it. */
export function ffmpegProcess(args: string[]): FfmpegPlayer {
  return clientProcess('ffmpeg', args);
}

/** A client tool (ffmpeg, srt-live-transmit...) as a child: its stderr kept, its exit awaited, stop() kills it. */
export function clientProcess(cmd: string, args: string[]): FfmpegPlayer {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  return {
    proc,
    exited,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
