#!/usr/bin/env -S node --max-semi-space-size=2
// tsrs entry point: parse args, load the config, build the server, handle signals.
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { SERVER_SIGNATURE, SRS_COMPAT_VERSION_STRING, TSRS_VERSION } from '../core/version.js';
import { loadConfigFile, loadConfigFromEnv, type SrsConfig } from '../config/index.js';
import { Server } from '../app/server.js';
import { registerApiRoutes, type ReloadStatus } from '../api/index.js';
import { TsrsError } from '../core/errors.js';
import type { HttpLimits } from '../transport/http-listener.js';
import { parseArgs, USAGE } from './args.js';
import { isWorker, meshWanted, runPrimary, workerMesh, workersWanted } from './workers.js';

function load(args: { configFile: string; envOnly: boolean }): SrsConfig {
  return args.envOnly ? loadConfigFromEnv(process.env) : loadConfigFile(args.configFile, process.env);
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n${USAGE}`);
    return 1;
  }
  if (args.action === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.action === 'version') {
    process.stdout.write(`${SRS_COMPAT_VERSION_STRING}\n`);
    return 0;
  }
  if (args.action === 'signature') {
    process.stdout.write(`${SERVER_SIGNATURE}\n`);
    return 0;
  }

  let config: SrsConfig;
  try {
    config = load(args);
  } catch (err) {
    process.stderr.write(`tsrs: invalid config ${args.envOnly ? '(env)' : args.configFile}: ${errorMessage(err)}\n`);
    return 1;
  }
  if (args.testOnly) {
    for (const w of config.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(`the config file ${args.envOnly ? '(env)' : args.configFile} syntax is ok\nconfig file ${args.envOnly ? '(env)' : args.configFile} test is successful\n`);
    return 0;
  }
  if (config.workDir && config.workDir !== './') process.chdir(config.workDir);

  const workers = workersWanted(process.env);
  if (workers > 1 && !isWorker()) {
    // The primary only supervises: it writes the pid file and forwards signals to the workers.
    const say = (line: string): void => void process.stdout.write(`[${new Date().toISOString()}][Trace][${process.pid}][primary] ${line}\n`);
    writePidFile(config.pid, { warn: say });
    runPrimary({
      workers,
      mesh: meshWanted(process.env),
      log: say,
      onAllExited: () => {
        removePidFile(config.pid);
        say('all workers exited');
        process.exit(0);
      },
    });
    return -1;
  }

  const env = process.env;
  const mesh = workerMesh(env);
  // The token stays out of the env of anything this worker spawns (ffmpeg, exec).
  delete env.TSRS_MESH_TOKEN;
  const server = new Server(config, undefined, {
    hooksSecret: env.TSRS_HOOKS_SECRET || undefined,
    hooksTimeoutMs: env.TSRS_HOOKS_TIMEOUT_MS ? Number(env.TSRS_HOOKS_TIMEOUT_MS) : undefined,
    hooksNotifyAttempts: env.TSRS_HOOKS_NOTIFY_ATTEMPTS ? Number(env.TSRS_HOOKS_NOTIFY_ATTEMPTS) : undefined,
    httpLimits: httpLimitsFromEnv(env),
    mesh: mesh
      ? {
          ...mesh,
          // A closed IPC channel (the primary is gone) is reported to the callback, not thrown at us.
          send: (msg) => void process.send?.(msg, undefined, undefined, (err: Error | null) => {
            if (err) process.stderr.write(`tsrs: mesh: cannot tell the primary (${msg.type}): ${err.message}\n`);
          }),
        }
      : undefined,
    hlsCacheBytes: hlsCacheBytesFromEnv(env),
    sourceGraceMs: sourceGraceMsFromEnv(env),
  });
  const log = server.ctx.log;
  if (server.mesh) {
    const node = server.mesh;
    process.on('message', (msg: unknown) => node.receive(msg));
  }

  // One reload path for SIGHUP and the raw API (rpc=reload); rpc=reload-fetch reports the last outcome.
  let lastReload: ReloadStatus = { err: 0, msg: 'Success', state: 0, rid: '' };
  const reloadConfig = (why: string): void => {
    const rid = randomRid();
    let state = 10; // parsing
    try {
      const next = load(args);
      state = 30; // applying
      const changed = server.reload(next);
      lastReload = { err: 0, msg: 'Success', state: 90, rid };
      log.trace(`${why}: config reloaded${changed.length ? `; not applied until restart: ${changed.join(', ')}` : ''}`);
    } catch (err) {
      const code = err instanceof TsrsError ? err.code : 1023;
      lastReload = { err: code, msg: err instanceof TsrsError ? err.summary() : `code=${code} : ${errorMessage(err)}`, state, rid };
      log.error(`${why}: reload failed, keeping the old config: ${errorMessage(err)}`);
    }
  };
  registerApiRoutes(server, { reload: () => reloadConfig('raw api reload'), reloadStatus: () => lastReload });

  log.trace(`tsrs ${TSRS_VERSION} (SRS ${SRS_COMPAT_VERSION_STRING} compatible), pid=${process.pid}, config=${args.envOnly ? '(env)' : args.configFile}`);
  if (config.daemon) log.trace('daemon is ignored: tsrs runs in the foreground; use a supervisor (systemd, docker) to background it');
  // Signal handlers go in before the listeners: a signal during start-up must not kill the process.
  let quitting = false;
  const quit = async (graceful: boolean, signal: string): Promise<void> => {
    if (quitting) return;
    quitting = true;
    const cfg = server.config;
    log.trace(`${signal}: ${graceful ? 'graceful' : 'fast'} quit`);
    if (graceful) await new Promise((r) => setTimeout(r, cfg.graceStartWaitMs));
    await server.stop();
    if (graceful) await new Promise((r) => setTimeout(r, cfg.graceFinalWaitMs));
    log.trace('server stopped');
    if (!isWorker()) removePidFile(cfg.pid);
    await server.logWriter.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void quit(server.config.forceGraceQuit, 'SIGTERM'));
  process.on('SIGINT', () => void quit(false, 'SIGINT'));
  process.on('SIGQUIT', () => void quit(true, 'SIGQUIT'));
  process.on('SIGUSR1', () => {
    log.trace('SIGUSR1: reopen log file');
    server.logWriter.reopen();
  });
  process.on('SIGHUP', () => reloadConfig('SIGHUP'));
  process.on('uncaughtException', (err) => {
    // Last line of defence: one bad connection must never take the server down.
    log.error(`uncaught exception (server keeps running): ${err.stack ?? err.message}`);
  });
  // The pid file comes first (as SRS's acquire_pid_file): whoever sees the ports open can read it.
  if (!isWorker()) writePidFile(config.pid, log);
  try {
    await server.start();
  } catch (err) {
    log.error(`start failed: ${errorMessage(err)}`);
    if (!isWorker()) removePidFile(config.pid);
    await server.logWriter.close();
    return 1;
  }
  return -1;
}

/** TSRS_HLS_CACHE_MB: the HLS memory cache budget in MiB (fractions allowed; 0 = off); unset or invalid = default. */
function hlsCacheBytesFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.TSRS_HLS_CACHE_MB;
  if (raw === undefined || raw.trim() === '') return undefined;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb < 0) {
    process.stderr.write(`TSRS_HLS_CACHE_MB=${raw} is not a number of MiB >= 0, using the default\n`);
    return undefined;
  }
  return Math.floor(mb * 1024 * 1024);
}

/** TSRS_SOURCE_GRACE_MS: how long an unused source is kept before it is dropped; unset or invalid = default (30 s). */
function sourceGraceMsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.TSRS_SOURCE_GRACE_MS;
  if (raw === undefined || raw.trim() === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) {
    process.stderr.write(`TSRS_SOURCE_GRACE_MS=${raw} is not a whole number of ms >= 0, using the default\n`);
    return undefined;
  }
  return ms;
}

/** TSRS_HTTP_* limits of every HTTP listener (defaults in transport/http-listener.ts). */
function httpLimitsFromEnv(env: NodeJS.ProcessEnv): Partial<HttpLimits> {
  const limits: Partial<HttpLimits> = {};
  const num = (name: string): number | undefined => {
    const v = Number(env[name]);
    return env[name] && Number.isFinite(v) && v > 0 ? v : undefined;
  };
  const set = <K extends keyof HttpLimits>(key: K, name: string): void => {
    const v = num(name);
    if (v !== undefined) limits[key] = v;
  };
  set('headersTimeoutMs', 'TSRS_HTTP_HEADERS_TIMEOUT_MS');
  set('requestTimeoutMs', 'TSRS_HTTP_REQUEST_TIMEOUT_MS');
  set('keepAliveTimeoutMs', 'TSRS_HTTP_KEEPALIVE_TIMEOUT_MS');
  set('maxHeaderSize', 'TSRS_HTTP_MAX_HEADER_SIZE');
  return limits;
}

/** SRS's reload id: 7 random chars. */
function randomRid(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (let i = 0; i < 7; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

/** SRS writes its pid for init scripts and logrotate; failure to write it is worth a warning, not an exit. */
function writePidFile(path: string, log: { warn(m: string): void }): void {
  if (!path) return;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${process.pid}\n`);
  } catch (err) {
    log.warn(`cannot write pid file ${path}: ${errorMessage(err)}`);
  }
}

function removePidFile(path: string): void {
  try {
    if (path) unlinkSync(path);
  } catch {
    // already gone
  }
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tsrs: fatal: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
