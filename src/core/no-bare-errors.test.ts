// Guards the rule of ARCHITECTURE.md "Errors": src/ raises catalog errors (core/errors.ts), never a bare
// `new Error(...)`, so every failure carries an SRS code for logs and API answers. Unit tests may.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root: the nearest ancestor with a package.json (tests run from dist/src/core/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    assert.notEqual(up, dir, 'package.json not found above the test file');
    dir = up;
  }
  return dir;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// `new Error(`, `throw Error(`; `new TsrsError(` or `new RangeError(` do not match (word boundary).
const BARE = /(?<![\w$.])(?:new\s+Error\s*\(|throw\s+Error\s*\()/;

/** `file:line: text` for each line that makes a bare Error; comment lines are skipped. */
function bareErrors(file: string, text: string): string[] {
  const hits: string[] = [];
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t.startsWith('//') || t.startsWith('*') || t.startsWith('/*')) return;
    if (BARE.test(line)) hits.push(`${file}:${i + 1}: ${t}`);
  });
  return hits;
}

test('the scanner finds bare errors and lets catalog errors and comments pass', () => {
  assert.equal(bareErrors('a.ts', "  if (x) throw new Error('boom');").length, 1);
  assert.equal(bareErrors('a.ts', 'reject(new Error(`late`));').length, 1);
  assert.equal(bareErrors('a.ts', "throw Error('no new');").length, 1);
  assert.deepEqual(bareErrors('a.ts', "x;\n  throw new Error('b');"), ["a.ts:2: throw new Error('b');"]);
  for (const ok of ["throw new TsrsError(ErrorCode.SystemAssert, 'x');", "throw new RangeError('r');", '// throw new Error(...) is banned', ' * new Error(', 'class MyError extends Error {', 'err instanceof Error']) {
    assert.deepEqual(bareErrors('a.ts', ok), [], ok);
  }
});

test('no bare new Error in src/ (use the catalog in src/core/errors.ts)', () => {
  const root = repoRoot();
  const files = sourceFiles(join(root, 'src'));
  assert.ok(files.length > 100, `only ${files.length} source files found under ${root}/src`);
  const offenders = files.flatMap((f) => bareErrors(relative(root, f), readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, [], `bare errors in src/:\n${offenders.join('\n')}`);
});
