#!/usr/bin/env node
// tsrs entry point: parse args, load the config, build the server, handle signals.
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { SERVER_SIGNATURE, SRS_COMPAT_VERSION_STRING, TSRS_VERSION } from '../core/version.js';
import { loadConfigFile, loadConfigFromEnv, type SrsConfig } from '../config/index.js';
import { Server } from '../app/server.js';
import { parseArgs, USAGE } from './args.js';

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

  const env = process.env;
  const server = new Server(config, undefined, {
    hooksSecret: env.TSRS_HOOKS_SECRET || undefined,
    hooksTimeoutMs: env.TSRS_HOOKS_TIMEOUT_MS ? Number(env.TSRS_HOOKS_TIMEOUT_MS) : undefined,
    hooksNotifyAttempts: env.TSRS_HOOKS_NOTIFY_ATTEMPTS ? Number(env.TSRS_HOOKS_NOTIFY_ATTEMPTS) : undefined,
  });
  const log = server.ctx.log;
  log.trace(`tsrs ${TSRS_VERSION} (SRS ${SRS_COMPAT_VERSION_STRING} compatible), pid=${process.pid}, config=${args.envOnly ? '(env)' : args.configFile}`);
  if (config.daemon) log.trace('daemon is ignored: tsrs runs in the foreground; use a supervisor (systemd, docker) to background it');
  try {
    await server.start();
  } catch (err) {
    log.error(`start failed: ${errorMessage(err)}`);
    await server.logWriter.close();
    return 1;
  }

  writePidFile(config.pid, log);

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
    removePidFile(cfg.pid);
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
  process.on('SIGHUP', () => {
    try {
      const next = load(args);
      const changed = server.reload(next);
      log.trace(`SIGHUP: config reloaded${changed.length ? `; not applied until restart: ${changed.join(', ')}` : ''}`);
    } catch (err) {
      log.error(`SIGHUP: reload failed, keeping the old config: ${errorMessage(err)}`);
    }
  });
  process.on('uncaughtException', (err) => {
    // Last line of defence: one bad connection must never take the server down.
    log.error(`uncaught exception (server keeps running): ${err.stack ?? err.message}`);
  });
  return -1;
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
