// A small coverage-blind mutation fuzzer with fixed seeds and iteration counts (no native binary, nothing
// downloaded): inputs are real captures mutated by test/fixtures' mutators, spliced with one another and
// cut at random split points. A target's `run` feeds one input to a parser and may throw only the errors
// its `refused` predicate accepts (a ProtocolError, a ConfigError); anything else is a crash. Each crash's
// input is written to a file, to be kept under test/fuzz/regressions/<target>/ as a regression case.
//
// Budget: `iterations` inputs per target, cut short by `budgetMs` of wall time so `npm test` stays fast.
// Longer runs: TSRS_FUZZ_ITERATIONS, TSRS_FUZZ_BUDGET_MS, TSRS_FUZZ_SEED (see docs/testing.md).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir, mutate, prng, randomBytes, randomInt } from '../fixtures/index.js';

export interface FuzzTarget {
  readonly name: string;
  /** Valid inputs from real captures (the corpus). */
  readonly seeds: readonly Buffer[];
  /** Feed one input. `rand` picks split points etc. deterministically. */
  run(input: Buffer, rand: () => number): void | Promise<void>;
  /** A clean refusal (not a crash). */
  refused(err: unknown): boolean;
  /** False for parsers that never throw (they resync or skip); the test then expects no refusals. */
  readonly refuses?: boolean;
  /** Per-target scale of the iteration count (slow targets run fewer inputs). */
  readonly weight?: number;
}

export interface FuzzOptions {
  seed: number;
  iterations: number;
  budgetMs: number;
}

export interface FuzzCrash {
  readonly error: string;
  readonly file: string;
  readonly hexHead: string;
}

export interface FuzzReport {
  readonly target: string;
  readonly regressions: number;
  readonly inputs: number;
  readonly accepted: number;
  readonly refused: number;
  readonly ms: number;
  /** The time budget ran out before `iterations`. */
  readonly cutShort: boolean;
  readonly crashes: FuzzCrash[];
}

/** Options from the environment, with the small defaults `npm test` runs with. */
export function fuzzOptions(defaults: FuzzOptions = { seed: 0x7575, iterations: 1500, budgetMs: 700 }): FuzzOptions {
  const num = (name: string, def: number): number => {
    const v = Number(process.env[name]);
    return Number.isFinite(v) && v > 0 ? v : def;
  };
  return {
    seed: num('TSRS_FUZZ_SEED', defaults.seed),
    iterations: num('TSRS_FUZZ_ITERATIONS', defaults.iterations),
    budgetMs: num('TSRS_FUZZ_BUDGET_MS', defaults.budgetMs),
  };
}

/** Saved crash inputs of a target (test/fuzz/regressions/<name>/*.bin), replayed first on every run. */
export function regressionInputs(target: string): { name: string; bytes: Buffer }[] {
  const dir = join(fixturesDir(), '..', 'fuzz', 'regressions', target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => ({ name: f, bytes: readFileSync(join(dir, f)) }));
}

/** One generated input: a seed with 1–6 edits, sometimes spliced with another seed, or random bytes. */
function generate(rand: () => number, seeds: readonly Buffer[]): Buffer {
  const pick = (): Buffer => seeds[randomInt(rand, seeds.length)]!;
  const r = rand();
  if (r < 0.03) return randomBytes(rand, randomInt(rand, 256));
  let b = pick();
  if (r < 0.15) {
    // Splice: the head of one capture and the tail of another (parsers switching state mid-stream).
    const other = pick();
    b = Buffer.concat([b.subarray(0, randomInt(rand, b.length + 1)), other.subarray(randomInt(rand, other.length + 1))]);
  }
  const edits = 1 + randomInt(rand, 6);
  for (let e = 0; e < edits; e++) b = mutate(rand, b);
  return b;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  return String(err);
}

function saveCrash(target: string, input: Buffer): string {
  const dir = join(tmpdir(), 'tsrs-fuzz-crashes');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${target}-${createHash('sha1').update(input).digest('hex').slice(0, 12)}.bin`);
  writeFileSync(file, input);
  return file;
}

export async function fuzz(target: FuzzTarget, opts: FuzzOptions): Promise<FuzzReport> {
  const rand = prng(opts.seed ^ hashName(target.name));
  const started = performance.now();
  const crashes: FuzzCrash[] = [];
  let accepted = 0;
  let refused = 0;
  let inputs = 0;
  const feed = async (input: Buffer): Promise<void> => {
    inputs++;
    try {
      await target.run(input, rand);
      accepted++;
    } catch (err) {
      if (target.refused(err)) {
        refused++;
        return;
      }
      if (crashes.length < 5) crashes.push({ error: describeError(err), file: saveCrash(target.name, input), hexHead: input.subarray(0, 64).toString('hex') });
    }
  };
  const regressions = regressionInputs(target.name);
  for (const r of regressions) await feed(r.bytes);
  for (const s of target.seeds) await feed(s);
  const iterations = Math.max(1, Math.round(opts.iterations * (target.weight ?? 1)));
  let cutShort = false;
  for (let i = 0; i < iterations; i++) {
    if ((i & 15) === 0 && performance.now() - started > opts.budgetMs) {
      cutShort = true;
      break;
    }
    await feed(generate(rand, target.seeds));
  }
  return { target: target.name, regressions: regressions.length, inputs, accepted, refused, ms: Math.round(performance.now() - started), cutShort, crashes };
}

function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Cut `input` into 1–4 pieces at random offsets (streaming parsers must not care where bytes split). */
export function splits(input: Buffer, rand: () => number): Buffer[] {
  const n = randomInt(rand, 4);
  const cuts = Array.from({ length: n }, () => randomInt(rand, input.length + 1)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const c of cuts) {
    out.push(input.subarray(at, c));
    at = c;
  }
  out.push(input.subarray(at));
  return out;
}
