// Helpers for the transcode/ingest/exec end-to-end tests: clips made with ffmpeg lavfi, processes found
// through the server's log, bounded polling.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { run, type RunningServer } from './harness.js';

/** The absolute path of a tool on PATH (SRS configs name the binary by path). */
export async function which(tool: string): Promise<string> {
  const r = await run('/bin/sh', ['-c', `command -v ${tool}`]);
  const path = r.stdout.trim();
  assert.ok(r.code === 0 && path.startsWith('/'), `${tool} not found on PATH`);
  return path;
}

/** A `seconds` long H.264 (320x240, 1 s GOP) + AAC clip in FLV or MP4 (by the file's extension). */
export async function makeClip(path: string, seconds: number): Promise<void> {
  const r = await run('ffmpeg', [
    '-hide_banner', '-v', 'error',
    '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-y', path,
  ]);
  assert.equal(r.code, 0, r.stderr);
}

/** Poll `cond` every 50 ms until it holds; fails with `what` after timeoutMs. */
export async function waitUntil(what: string, cond: () => boolean, timeoutMs = 15_000, server?: RunningServer): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${server ? `; server output:\n${server.output().slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `kill(pid, 0)` succeeds: the process exists (running or an unreaped zombie). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Exists and is not a zombie (an orphan's zombie is init's to reap; it no longer runs). */
export function pidRunning(pid: number): boolean {
  if (!pidExists(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Pids the server logged as started for a supervised job (`<label>: started pid=N`), in order. */
export function startedPids(server: RunningServer, label: string): number[] {
  const re = new RegExp(`${escape(label)}: started pid=(\\d+)`, 'g');
  return [...server.output().matchAll(re)].map((m) => Number(m[1]));
}

/** Wait until the job has been started `count` times; returns the pid of the last start. */
export async function waitForStart(server: RunningServer, label: string, count = 1, timeoutMs = 20_000): Promise<number> {
  await waitUntil(`${label} started ${count} time(s)`, () => startedPids(server, label).length >= count, timeoutMs, server);
  return startedPids(server, label)[count - 1]!;
}
