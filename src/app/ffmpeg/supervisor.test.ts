import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Logger } from '../../core/logger.js';
import type { ProcessSpec } from './plans.js';
import { ProcessSupervisor, type ExitInfo, type SupervisedProcess } from './supervisor.js';

const dir = mkdtempSync(join(tmpdir(), 'tsrs-supervisor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function logger(lines: string[]): Logger {
  const make = (cid: string): Logger => ({
    cid,
    verbose() {},
    info() {},
    trace: (m) => lines.push(`trace ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    child: (c) => make(c),
  });
  return make('test');
}

const node = (code: string, label = 'job'): ProcessSpec => ({ label, bin: process.execPath, args: ['-e', code], stdout: '', stderr: '' });
const sh = (script: string, label = 'job'): ProcessSpec => ({ label, bin: '/bin/sh', args: ['-c', script], stdout: '', stderr: '' });

/** True while `pid` is a live process (a zombie left to init counts as gone: it no longer runs). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** kill(pid, 0) throws: the process is gone and reaped. */
function reaped(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const nextSpawn = (p: SupervisedProcess): Promise<number> =>
  new Promise((resolve) => {
    if (p.pid !== undefined) return resolve(p.pid);
    const off = p.onSpawn((pid) => (off(), resolve(pid)));
  });

const exits = (p: SupervisedProcess, n: number): Promise<ExitInfo[]> =>
  new Promise((resolve) => {
    const got: ExitInfo[] = [];
    const off = p.onExit((info) => {
      got.push(info);
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
  });

async function readPid(file: string): Promise<number> {
  await waitFor(`${file}`, () => existsSync(file) && readFileSync(file, 'utf8').trim() !== '');
  return Number(readFileSync(file, 'utf8').trim());
}

test('start, stop: SIGTERM ends the process, stop() resolves once it is reaped', async () => {
  const lines: string[] = [];
  const sup = new ProcessSupervisor(logger(lines));
  const p = sup.start({ label: 'sleeper', bin: 'sleep', args: ['30'], stdout: '', stderr: '' });
  const pid = await nextSpawn(p);
  assert.ok(running(pid));
  assert.equal(p.state, 'running');
  assert.deepEqual(sup.processes, [p]);
  const exited = exits(p, 1);
  await p.stop();
  assert.ok(reaped(pid), 'no zombie: the child was reaped');
  const [info] = await exited;
  assert.equal(info!.signal, 'SIGTERM');
  assert.equal(info!.restartInMs, null);
  assert.equal(p.state, 'stopped');
  assert.deepEqual(sup.processes, []);
  assert.ok(lines.some((l) => l.startsWith(`trace sleeper: started pid=${pid}: sleep 30`)), lines.join('\n'));
  // Idempotent.
  await p.stop();
  await sup.stopAll();
});

test('stop kills the whole process group, not just the leader', async () => {
  const sup = new ProcessSupervisor(logger([]));
  const pidFile = join(dir, 'group.pid');
  const p = sup.start(sh(`sleep 60 & echo $! > ${pidFile}; wait`));
  const leader = await nextSpawn(p);
  const grandchild = await readPid(pidFile);
  assert.ok(running(grandchild));
  await p.stop();
  assert.ok(reaped(leader));
  await waitFor('grandchild gone', () => !running(grandchild));
});

test('a process that ignores SIGTERM gets SIGKILL after the grace period', async () => {
  const lines: string[] = [];
  const sup = new ProcessSupervisor(logger(lines), { stopGraceMs: 200 });
  const ready = join(dir, 'stubborn.ready');
  const p = sup.start(node(`process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(ready)}, 'x'); setInterval(() => {}, 1000);`, 'stubborn'));
  const pid = await nextSpawn(p);
  await waitFor('handler installed', () => existsSync(ready));
  const exited = exits(p, 1);
  const t0 = Date.now();
  await p.stop();
  assert.ok(Date.now() - t0 >= 150, 'waited for the grace period');
  assert.equal((await exited)[0]!.signal, 'SIGKILL');
  assert.ok(reaped(pid));
  assert.ok(lines.some((l) => /warn stubborn: pid=\d+ still running 0.2s after SIGTERM, sending SIGKILL/.test(l)), lines.join('\n'));
});

test('restart with backoff: the delay doubles up to the maximum while runs are short', async () => {
  const lines: string[] = [];
  const sup = new ProcessSupervisor(logger(lines), { initialBackoffMs: 20, maxBackoffMs: 80, healthyRunMs: 60_000 });
  const p = sup.start(node('process.exit(3)', 'crasher'));
  const infos = await exits(p, 5);
  assert.deepEqual(infos.map((i) => i.restartInMs), [20, 40, 80, 80, 80]);
  assert.ok(infos.every((i) => i.code === 3 && i.pid !== undefined && reaped(i.pid)));
  assert.ok(p.restarts >= 4);
  assert.ok(lines.some((l) => /^warn crasher: pid=\d+ exited with code 3 after \d+\.\ds; restart in 0\.0s$/.test(l)), lines.join('\n'));
  await p.stop();
  assert.equal(p.state, 'stopped');
});

test('the delay goes back to the start after a healthy run (long enough, or a clean exit)', async () => {
  // Clean exits after a while: an ingested file that reached its end.
  const sup = new ProcessSupervisor(logger([]), { initialBackoffMs: 20, maxBackoffMs: 1000, healthyRunMs: 60_000, cleanExitMinMs: 300 });
  const clean = sup.start(node('setTimeout(() => process.exit(0), 400)'));
  assert.deepEqual((await exits(clean, 3)).map((i) => i.restartInMs), [20, 20, 20]);
  await clean.stop();
  // Crashes after a long enough run.
  const sup2 = new ProcessSupervisor(logger([]), { initialBackoffMs: 20, maxBackoffMs: 1000, healthyRunMs: 300 });
  const long = sup2.start(node('setTimeout(() => process.exit(1), 400)'));
  assert.deepEqual((await exits(long, 3)).map((i) => i.restartInMs), [20, 20, 20]);
  await long.stop();
  // Quick clean exits are not healthy.
  const quick = sup.start(sh('exit 0'));
  assert.deepEqual((await exits(quick, 3)).map((i) => i.restartInMs), [20, 40, 80]);
  await quick.stop();
});

test('a missing binary: a clear error naming the job, retried with backoff, stoppable', async () => {
  const lines: string[] = [];
  const sup = new ProcessSupervisor(logger(lines), { initialBackoffMs: 20, maxBackoffMs: 40 });
  const p = sup.start({ label: 'transcode engine "sd" of /live/cam', bin: '/no/such/ffmpeg', args: ['-i', 'x'], stdout: '', stderr: '' });
  const infos = await exits(p, 3);
  assert.ok(infos.every((i) => (i.spawnError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' && i.pid === undefined));
  assert.deepEqual(infos.map((i) => i.restartInMs), [20, 40, 40]);
  assert.ok(lines.includes('error transcode engine "sd" of /live/cam: cannot start /no/such/ffmpeg: no such file (ENOENT); retry in 0.0s'), lines.join('\n'));
  await p.stop();
  assert.equal(p.state, 'stopped');
  await sup.stopAll();
});

test('a leader that exits on its own takes its group with it (no orphans)', async () => {
  const sup = new ProcessSupervisor(logger([]), { initialBackoffMs: 60_000 });
  const pidFile = join(dir, 'orphan.pid');
  const p = sup.start(sh(`sleep 60 & echo $! > ${pidFile}; exit 0`));
  const exited = exits(p, 1);
  const grandchild = await readPid(pidFile);
  await exited;
  await waitFor('orphan killed', () => !running(grandchild));
  assert.equal(p.state, 'waiting');
  await p.stop();
});

test('stdout and stderr go to the log file, after a header naming the job; an unopenable log is reported', async () => {
  const lines: string[] = [];
  const sup = new ProcessSupervisor(logger(lines), { initialBackoffMs: 60_000 });
  const log = join(dir, 'logs', 'sub', 'job.log');
  const p = sup.start({ label: 'logged', bin: '/bin/sh', args: ['-c', 'echo to-stdout; echo to-stderr >&2'], stdout: log, stderr: log });
  await exits(p, 1);
  const text = readFileSync(log, 'utf8');
  assert.match(text, /tsrs ppid=\d+ starts logged\ncli: \/bin\/sh -c echo to-stdout; echo to-stderr >&2\n/);
  assert.match(text, /to-stdout\nto-stderr\n/);
  await p.stop();

  // 2>&1 and a separate stderr file.
  const out = join(dir, 'o.log');
  const err = join(dir, 'e.log');
  const q = sup.start({ label: 'split', bin: '/bin/sh', args: ['-c', 'echo out; echo err >&2'], stdout: out, stderr: err });
  await exits(q, 1);
  assert.match(readFileSync(out, 'utf8'), /out\n$/);
  assert.equal(readFileSync(err, 'utf8'), 'err\n');
  await q.stop();

  writeFileSync(join(dir, 'file'), '');
  const r = sup.start({ label: 'badlog', bin: '/bin/sh', args: ['-c', 'exit 0'], stdout: join(dir, 'file', 'x.log'), stderr: '&1' });
  const [info] = await exits(r, 1);
  assert.equal(info!.code, 0, 'the process ran anyway');
  assert.ok(lines.some((l) => l.startsWith(`error badlog: cannot open its log file ${join(dir, 'file', 'x.log')}`)), lines.join('\n'));
  await r.stop();
});

test('stopAll stops everything; killAllNow (the exit hook) kills synchronously', async () => {
  const sup = new ProcessSupervisor(logger([]));
  const a = sup.start(sh('sleep 60'));
  const b = sup.start(sh('sleep 60'));
  const pids = [await nextSpawn(a), await nextSpawn(b)];
  const exitListeners = process.listenerCount('exit');
  await sup.stopAll();
  assert.ok(pids.every(reaped));
  assert.equal(process.listenerCount('exit'), exitListeners - 1, 'the exit hook is removed');

  const sup2 = new ProcessSupervisor(logger([]));
  const c = sup2.start(sh('sleep 60'));
  const pid = await nextSpawn(c);
  const exited = exits(c, 1);
  sup2.killAllNow();
  await exited;
  assert.ok(reaped(pid));
  await sup2.stopAll();
});

test('stopping a process that waits for its restart cancels the restart', async () => {
  const sup = new ProcessSupervisor(logger([]), { initialBackoffMs: 200 });
  const p = sup.start(node('process.exit(1)'));
  await exits(p, 1);
  assert.equal(p.state, 'waiting');
  const spawned: number[] = [];
  p.onSpawn((pid) => spawned.push(pid));
  await p.stop();
  // The control fails the same way after p's restart was due to be armed, with the same 200 ms backoff:
  // by its restart, p's (set earlier, same delay) would have fired.
  const control = sup.start(node('process.exit(1)'));
  await exits(control, 1);
  await nextSpawn(control);
  assert.deepEqual(spawned, []);
  assert.equal(p.state, 'stopped');
  await sup.stopAll();
});
