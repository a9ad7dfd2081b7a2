// The npm package: `npm pack` ships only what runs (dist/src without tests, html, conf, docs), and a tarball
// installed into an empty folder works: `npx tsrs -t -c my.conf`, `npx tsrs -c my.conf` answering on its API
// port, the shipped embedding example, and the typed library entry under tsc. Offline: the tarball's one
// runtime dependency (ws) is copied from this checkout's node_modules and npm runs with --offline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, run } from './harness.js';
import { getJson } from './http-helpers.js';

const root = repoRoot();
let work: string;
let app: string;
let tarball: string;
let files: string[];

function npm(args: string[], cwd: string, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('npm', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b));
    p.stderr.on('data', (b: Buffer) => (stderr += b));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running child in its own process group (npx spawns node under it); output kept. */
function start(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): { proc: ChildProcess; out(): string; waitFor(re: RegExp, ms?: number): Promise<void>; stop(signal: NodeJS.Signals): Promise<number | null> } {
  const proc = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b));
  proc.stderr!.on('data', (b: Buffer) => (out += b));
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  return {
    proc,
    out: () => out,
    waitFor: async (re, ms = 20_000) => {
      const deadline = Date.now() + ms;
      while (!re.test(out)) {
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`waiting for ${re}; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async (signal) => {
      const killer = setTimeout(() => process.kill(-proc.pid!, 'SIGKILL'), 10_000);
      try {
        process.kill(-proc.pid!, signal);
      } catch {
        // already gone
      }
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'tsrs-pack-'));
  // --ignore-scripts: pack the dist/ this test run was built from (prepare would rebuild under other tests).
  const packed = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], root);
  assert.equal(packed.code, 0, packed.stderr);
  const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info[0]!.filename);
  files = info[0]!.files.map((f) => f.path);

  app = join(work, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'tsrs-pack-test', private: true, type: 'module' }));
  // The runtime dependencies and theirs (werift-dtls brings several), from this checkout's hoisted tree.
  const dependenciesOf = (dir: string): string[] =>
    Object.keys((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
  const deps = new Set<string>();
  for (const queue = dependenciesOf(root); queue.length > 0; ) {
    const d = queue.pop()!;
    if (deps.has(d) || !existsSync(join(root, 'node_modules', d, 'package.json'))) continue;
    deps.add(d);
    queue.push(...dependenciesOf(join(root, 'node_modules', d)));
  }
  for (const d of deps) cpSync(join(root, 'node_modules', d), join(app, 'node_modules', d), { recursive: true });
  const installed = await npm(['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball], app);
  assert.equal(installed.code, 0, `${installed.stdout}\n${installed.stderr}`);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm package', () => {
  test('the tarball holds what runs, and no tests, fixtures, sources or maps', () => {
    for (const f of ['package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/src/cli/embed.d.ts', 'conf/srs.conf', 'html/index.html', 'html/players/index.html', 'html/players/srs_player.html', 'docs/embedding.md', 'docs/examples/embed.mjs', 'docs/operations.md']) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
    const unwanted = files.filter((f) => /\.test\.|test-helpers|^test\/|fixtures|\.map$|^src\/|^bench\/|^scripts\//.test(f));
    assert.deepEqual(unwanted, []);
    assert.ok(files.some((f) => f.startsWith('html/players/js/vendor/')), 'the player libraries are in the web root');
  });

  test('npx tsrs -t -c my.conf, then npx tsrs -c my.conf answers on its API port', async () => {
    const ports = { rtmp: await freePort(), api: await freePort() };
    writeFileSync(
      join(app, 'my.conf'),
      `listen ${ports.rtmp};\ndaemon off;\nsrs_log_tank console;\nhttp_api { enabled on; listen ${ports.api}; }\nvhost __defaultVhost__ { }\n`,
    );
    const t = await npm(['exec', '--offline', '--', 'tsrs', '-t', '-c', 'my.conf'], app, 60_000);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /config file my\.conf test is successful/);

    const server = start('npx', ['--offline', 'tsrs', '-c', 'my.conf'], app);
    try {
      await server.waitFor(/RTMP listen at/);
      const { res, json } = await getJson(`http://127.0.0.1:${ports.api}/api/v1/versions`);
      assert.equal(res.status, 200);
      assert.equal(json.code, 0);
    } finally {
      // npx itself dies of the group's SIGTERM; what counts is tsrs's clean stop.
      await server.stop('SIGTERM');
    }
    assert.match(server.out(), /SIGTERM: fast quit[\s\S]*server stopped/);
  });

  test('the shipped embedding example runs from the installed package', async () => {
    const env = { RTMP_PORT: String(await freePort()), HTTP_PORT: String(await freePort()), API_PORT: String(await freePort()) };
    const example = start(process.execPath, [join('node_modules', 'tsrs', 'docs', 'examples', 'embed.mjs')], app, env);
    try {
      await example.waitFor(/tsrs embedded:/);
      const { res } = await getJson(`http://127.0.0.1:${env.API_PORT}/api/v1/streams/`);
      assert.equal(res.status, 200);
    } finally {
      assert.equal(await example.stop('SIGINT'), 0, example.out());
    }
    assert.match(example.out(), /tsrs stopped/);
  });

  test('the library entry type-checks from the package (exports + .d.ts)', async () => {
    writeFileSync(
      join(app, 'check.ts'),
      `import { startServer, configText, ConfigError, type ClientEvent, type EmbeddedServer } from 'tsrs';
const s: EmbeddedServer = await startServer({ config: { listen: 1935, vhost: { __defaultVhost__: {} } } });
s.on('play', (c: ClientEvent) => c.ip.toUpperCase());
s.on('publish', (e) => e.stream.toUpperCase());
const n: number = s.stats().sendBytes;
const t: string = configText({ listen: [1935] });
// @ts-expect-error: not an event of the server
s.on('nonsense', () => undefined);
export { n, t, ConfigError };
`,
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types'), join(app, 'check.ts')], 60_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  });
});
