// Fuzzing every parser from real captures (harness.ts, targets.ts), bounded so `npm test` stays fast:
// 1500 inputs per target by default, at most 0.7 s each. A crash fails the test with the error and the
// path of the saved input; keep that file under test/fuzz/regressions/<target>/ so it is replayed forever.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fuzz, fuzzOptions, type FuzzReport } from './harness.js';
import { PARSER_TARGETS, exchange, fuzzHttpListener, httpHeadTarget } from './targets.js';
import type { HttpListener } from '../../src/transport/http-listener.js';

const opts = fuzzOptions();

function check(r: FuzzReport, refuses: boolean): void {
  if (process.env.TSRS_FUZZ_REPORT) console.log(JSON.stringify({ ...r, crashes: r.crashes.length }));
  assert.deepEqual(
    r.crashes.map((c) => `${c.file}\n${c.error}`),
    [],
    `${r.target}: ${r.crashes.length} crash(es); move the saved inputs to test/fuzz/regressions/${r.target}/`,
  );
  // The run exercised both sides of the parser, or the corpus/mutator is broken.
  assert.ok(r.inputs >= 50, `${r.target}: only ${r.inputs} inputs`);
  assert.ok(r.accepted > 0 && (r.refused > 0) === refuses, `${r.target}: accepted ${r.accepted}, refused ${r.refused}`);
}

describe(`fuzz parsers (seed ${opts.seed}, ${opts.iterations} inputs, ${opts.budgetMs} ms budget per target)`, () => {
  for (const target of PARSER_TARGETS) {
    test(target.name, async () => check(await fuzz(target, opts), target.refuses ?? true));
  }
});

describe('fuzz HTTP request heads against a real listener', () => {
  let listener: HttpListener;
  before(async () => {
    listener = fuzzHttpListener();
    await listener.listen();
  });
  after(() => listener.close(true));

  test('http-head', async () => {
    const target = httpHeadTarget(() => listener.port);
    const r = await fuzz({ ...target, refused: () => false }, opts);
    if (process.env.TSRS_FUZZ_REPORT) console.log(JSON.stringify({ ...r, crashes: r.crashes.length }));
    assert.deepEqual(r.crashes.map((c) => `${c.file}\n${c.error}`), []);
    assert.ok(r.inputs >= 50, `only ${r.inputs} inputs`);
    // Still serving after all that.
    const ok = await exchange(listener.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.match(ok.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
  });
});
