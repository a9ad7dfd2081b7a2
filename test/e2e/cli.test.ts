// The tsrs command line: SRS's flags, config test mode, env-only mode, signals, pid and log files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot } from './harness.js';
import { RawRtmpClient } from './rtmp-client.js';

const main = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
const tsrs = (args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [main, ...args], { cwd: opts.cwd ?? repoRoot(), env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b));
    p.stderr.on('data', (b: Buffer) => (stderr += b));
    const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });

/** Wait until something accepts TCP connections on the port. */
async function waitListening(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listening on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('flags', () => {
  test('-v prints the SRS version we match, -g the signature, -h the usage', async () => {
    assert.match((await tsrs(['-v'])).stdout.trim(), /^\d+\.\d+\.\d+$/);
    assert.match((await tsrs(['-g'])).stdout, /^SRS\/\d/);
    const h = await tsrs(['-h']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /-c <filename>/);
    const bad = await tsrs(['-x']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid option: -x/);
  });

  test('-t accepts every example config in conf/', async () => {
    const files = readdirSync(join(repoRoot(), 'conf')).filter((f) => f.endsWith('.conf'));
    assert.ok(files.includes('srs.conf'));
    for (const f of files) {
      const r = await tsrs(['-t', '-c', `conf/${f}`]);
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      assert.match(r.stdout, /test is successful/);
    }
  });

  test('-t rejects a malformed config naming file, line and directive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsrs-cli-'));
    try {
      writeFileSync(join(dir, 'bad.conf'), 'listen 1935;\nvhost __defaultVhost__ {\n    play { gop_cache on; }\n    no_such_thing on;\n}\n');
      const r = await tsrs(['-t', '-c', join(dir, 'bad.conf')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /bad\.conf:4:\d+/);
      assert.match(r.stderr, /no_such_thing/);
      writeFileSync(join(dir, 'eof.conf'), 'listen 1935;\nvhost x {\n');
      const e = await tsrs(['-t', '-c', join(dir, 'eof.conf')]);
      assert.equal(e.code, 1);
      assert.match(e.stderr, /eof\.conf:\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('running', () => {
  test('-e reads SRS_* variables only; SIGTERM stops it cleanly and removes the pid file', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'tsrs-cli-'));
    const p = spawn(process.execPath, [main, '-e'], {
      cwd: dir,
      env: { ...process.env, SRS_LISTEN: String(port), SRS_DAEMON: 'off', SRS_LOG_TANK: 'console' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout!.on('data', (b: Buffer) => (out += b));
    p.stderr!.on('data', (b: Buffer) => (out += b));
    try {
      await waitListening(port);
      assert.ok(existsSync(join(dir, 'objs', 'srs.pid')), 'pid file written');
      assert.equal(readFileSync(join(dir, 'objs', 'srs.pid'), 'utf8').trim(), String(p.pid));
      const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
      p.kill('SIGTERM');
      assert.equal(await exited, 0, out);
      assert.ok(!existsSync(join(dir, 'objs', 'srs.pid')), 'pid file removed');
    } finally {
      p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('file logs: SIGUSR1 reopens the file after logrotate moved it; SIGQUIT quits gracefully', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'tsrs-cli-'));
    writeFileSync(
      join(dir, 'f.conf'),
      `listen ${port};\ndaemon off;\nsrs_log_tank file;\nsrs_log_file ./objs/srs.log;\ngrace_start_wait 100;\ngrace_final_wait 100;\nvhost __defaultVhost__ {}\n`,
    );
    const p = spawn(process.execPath, [main, '-c', 'f.conf'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    try {
      await waitListening(port);
      const log = join(dir, 'objs', 'srs.log');
      // The port can accept before the file write of the line lands: wait for it (bounded).
      const listenLine = /\[Trace\]\[\d+\]\[[0-9a-z]{8}\] RTMP listen at/;
      for (const until = Date.now() + 5000; !(existsSync(log) && listenLine.test(readFileSync(log, 'utf8'))) && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(readFileSync(log, 'utf8'), listenLine);
      renameSync(log, `${log}.1`);
      p.kill('SIGUSR1');
      // A client connecting produces new lines, which must land in the new file.
      const until = Date.now() + 10_000;
      while (!(existsSync(log) && /RTMP client closed/.test(readFileSync(log, 'utf8')))) {
        if (Date.now() > until) throw new Error('no new log file after SIGUSR1');
        const s = net.connect(port, '127.0.0.1', () => s.end(Buffer.from([3])));
        s.on('error', () => {});
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(readFileSync(`${log}.1`, 'utf8'), /SIGUSR1: reopen log file/);
      p.kill('SIGQUIT');
      assert.equal(await exited, 0);
      assert.match(readFileSync(log, 'utf8'), /SIGQUIT: graceful quit[\s\S]*server stopped/);
    } finally {
      p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('npm start and the tsrs bin cap V8\'s young generation the same way (RSS, docs/performance.md)', () => {
    const flag = '--max-semi-space-size=2';
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { scripts: { start: string } };
    assert.ok(pkg.scripts.start.startsWith(`node ${flag} `), pkg.scripts.start);
    const shebang = readFileSync(join(repoRoot(), 'dist', 'src', 'cli', 'main.js'), 'utf8').split('\n')[0];
    assert.equal(shebang, `#!/usr/bin/env -S node ${flag}`);
  });

  test('npm start runs conf/srs.conf from the repo (RTMP 1935)', async (t) => {
    // Only when 1935 is free on this machine; the CI box has nothing else on it.
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(1935, '0.0.0.0', () => s.close(() => resolve(true)));
    });
    assert.ok(free, 'port 1935 must be free to check npm start');
    const p = spawn('npm', ['start', '--silent'], { cwd: repoRoot(), stdio: 'ignore', detached: true });
    try {
      await waitListening(1935, 20_000);
      const c = await RawRtmpClient.open(1935);
      try {
        assert.equal(await c.connectApp('rtmp://127.0.0.1:1935/live'), 1);
      } finally {
        c.close();
      }
    } finally {
      try {
        process.kill(-p.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      t.diagnostic('npm start stopped');
    }
  });
});
