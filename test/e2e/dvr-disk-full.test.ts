// DVR on a full disk: a clear error, the recording so far stays playable, players are not disturbed.
// Needs root to mount a tiny tmpfs (CI runs as root); where it cannot (not root, no mount(8), no tmpfs, a
// container without CAP_SYS_ADMIN) the test is reported as skipped with the reason, never as passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rtmpConf, run, startServer } from './harness.js';

test('a full disk ends the recording with ENOSPC in the log; the FLV so far plays; the live stream plays on', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to mount a 400 KiB tmpfs (the full disk)');
    return;
  }
  const mnt = mkdtempSync(join(tmpdir(), 'tsrs-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'tmpfs', mnt], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(mnt, { recursive: true, force: true });
    const e = err as Error & { stderr?: Buffer };
    t.skip(`cannot mount a 400 KiB tmpfs here: ${(e.stderr?.toString().trim() || e.message).split('\n')[0]}`);
    return;
  }
  const server = await startServer((p) => rtmpConf(p, `dvr { enabled on; dvr_path ${mnt}/[stream].flv; }`));
  try {
    const url = `rtmp://127.0.0.1:${server.ports.rtmp}/live/full`;
    const pub = run(
      'ffmpeg',
      ['-hide_banner', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '1500k', '-g', '25', '-f', 'flv', url],
      40_000,
    );
    await server.waitForLog(/publish \/live\/full\b/);
    const player = run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', url, '-t', '6', '-f', 'null', '-'], 40_000);
    await server.waitForLog(/dvr: recording \S+full\.flv failed: .*ENOSPC/, 30_000);
    const played = await player;
    assert.equal(played.code, 0, played.stderr);
    await pub;
    await server.waitForLog(/RTMP unpublish \/live\/full/);
    // What was written stays: a playable FLV (maybe cut mid-tag at the very end).
    const until = Date.now() + 10_000;
    let file = '';
    while (!file && Date.now() < until) {
      file = readdirSync(mnt).find((f) => f.startsWith('full.flv')) ?? '';
      if (!file) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(file, 'recording kept on disk');
    const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', join(mnt, file)]);
    assert.equal(probe.code, 0, probe.stderr);
    const j = JSON.parse(probe.stdout) as { streams: { codec_name: string }[]; format: { duration?: string } };
    assert.equal(j.streams[0]?.codec_name, 'h264');
    const frames = await run('ffprobe', ['-v', 'quiet', '-count_packets', '-select_streams', 'v', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', join(mnt, file)]);
    assert.ok(Number(frames.stdout.trim()) > 25, `only ${frames.stdout.trim()} video packets kept`);
    assert.equal(server.proc.exitCode, null, 'server still running');
  } finally {
    await server.stop();
    try {
      execFileSync('umount', [mnt]);
    } catch {
      // already unmounted
    }
    rmSync(mnt, { recursive: true, force: true });
  }
});
