// Config reload (SIGHUP): new listen endpoints and DVR switched on for a live stream, without dropping a player.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegPublish, freePort, rtmpConf, run, startServer } from './harness.js';

test('SIGHUP: a second listen port, DVR and HLS come up on a live stream; the playing viewer is not dropped', async () => {
  const rec = mkdtempSync(join(tmpdir(), 'tsrs-reload-'));
  const server = await startServer((p) => rtmpConf(p));
  const rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
  const pub = ffmpegPublish(`${rtmp}/live/reload`);
  try {
    await server.waitForLog(/publish \/live\/reload\b/);
    // A viewer that must keep decoding for 8 s across the reload.
    const viewer = run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', `${rtmp}/live/reload`, '-t', '8', '-f', 'null', '-'], 40_000);
    await server.waitForLog(/RTMP play \/live\/reload/);

    const extra = await freePort();
    const conf = rtmpConf(server.ports, `dvr { enabled on; dvr_path ${rec}/[stream].flv; }
  hls { enabled on; hls_fragment 1; hls_path ${rec}; }`).replace(
      `listen ${server.ports.rtmp};`,
      `listen ${server.ports.rtmp} ${extra};`,
    );
    writeFileSync(join(server.dir, 'test.conf'), conf);
    server.proc.kill('SIGHUP');
    await server.waitForLog(/SIGHUP: config reloaded/);
    await server.waitForLog(/dvr: recording \/live\/reload/);
    // HLS starts at the next packet and writes its first playlist after the first segment.
    const m3u8 = join(rec, 'live', 'reload.m3u8');
    const deadline = Date.now() + 20_000;
    while (!existsSync(m3u8)) {
      if (Date.now() > deadline) throw new Error(`no HLS playlist after reload:\n${server.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await server.waitForLog(new RegExp(`RTMP listen at .*:${extra} \\(reload\\)`));
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(extra, '127.0.0.1', () => {
        s.destroy();
        resolve();
      });
      s.on('error', reject);
    });

    const r = await viewer;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.trim(), '');
    await pub.stop();
    await server.waitForLog(/dvr: closed .*reload\.flv/);
    assert.ok(readdirSync(rec).includes('reload.flv'));
    const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', join(rec, 'reload.flv')]);
    assert.equal(probe.code, 0, probe.stderr);
    assert.ok(Number(probe.stdout) > 1, `recorded ${probe.stdout}`);
  } finally {
    await pub.stop();
    await server.stop();
    rmSync(rec, { recursive: true, force: true });
  }
});

test('a broken config on SIGHUP keeps the old one', async () => {
  const server = await startServer((p) => rtmpConf(p));
  try {
    writeFileSync(join(server.dir, 'test.conf'), 'listen 1935;\nvhost x {\n');
    server.proc.kill('SIGHUP');
    await server.waitForLog(/SIGHUP: reload failed, keeping the old config: .*test\.conf:\d+/);
    const pub = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/still`, 'h264');
    await server.waitForLog(/publish \/live\/still\b/);
    await pub.stop();
  } finally {
    await server.stop();
  }
});
