// DVR: ffmpeg publishes, tsrs records FLV/MP4 (session and segment plans); ffprobe/ffmpeg check the files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rtmpConf, run, startServer, type RunningServer } from './harness.js';

const rec = mkdtempSync(join(tmpdir(), 'tsrs-dvr-'));
const dvrCalls: Record<string, unknown>[] = [];
const hookServer = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c));
  req.on('end', () => {
    dvrCalls.push(JSON.parse(body) as Record<string, unknown>);
    res.end('0');
  });
});
let server: RunningServer;
let rtmp: string;

before(async () => {
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', () => r()));
  const hookPort = (hookServer.address() as AddressInfo).port;
  server = await startServer((p) =>
    rtmpConf(
      p,
      `dvr { enabled on; dvr_path ${rec}/[vhost]/[app]/[stream].[timestamp].flv; dvr_apply live/flv live/seg live/hooked; dvr_plan session; }
  http_hooks { enabled on; on_dvr http://127.0.0.1:${hookPort}/dvr; }`,
      `vhost mp4.test { dvr { enabled on; dvr_path ${rec}/mp4/[app]/[stream]-[2006][01][02].mp4; } }
vhost seg.test { dvr { enabled on; dvr_plan segment; dvr_duration 2; dvr_path ${rec}/seg/[stream]-[timestamp].flv; } }
vhost segmp4.test { dvr { enabled on; dvr_plan segment; dvr_duration 2; dvr_path ${rec}/segmp4/[stream]-[timestamp].mp4; } }`,
    ),
  );
  rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
});

after(async () => {
  await server.stop();
  hookServer.close();
  rmSync(rec, { recursive: true, force: true });
});

/** Publish `seconds` of H.264 (1 s GOP) + AAC and wait until the publisher is done. */
async function publish(url: string, seconds: number): Promise<void> {
  const r = await run(
    'ffmpeg',
    ['-hide_banner', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-f', 'flv', url],
    seconds * 1000 + 20_000,
  );
  assert.equal(r.code, 0, r.stderr);
}

async function probeDuration(file: string): Promise<{ duration: number; streams: string[] }> {
  const r = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', file]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { format: { duration: string }; streams: { codec_name: string }[] };
  return { duration: Number(j.format.duration), streams: j.streams.map((s) => s.codec_name).sort() };
}

async function decodesCleanly(file: string): Promise<void> {
  const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', file, '-f', 'null', '-']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', `decode errors in ${file}`);
}

describe('dvr', () => {
  test('session plan, FLV: one file with the right duration, on_dvr called', async () => {
    await publish(`${rtmp}/live/flv`, 4);
    const [, file] = await server.waitForLog(/dvr: closed (\S+\/live\/flv\.\d+\.flv) \(unpublish\)/);
    assert.ok(existsSync(file!));
    assert.ok(!existsSync(`${file}.tmp`));
    const p = await probeDuration(file!);
    assert.deepEqual(p.streams, ['aac', 'h264']);
    assert.ok(Math.abs(p.duration - 4) <= 1, `duration ${p.duration}`);
    await decodesCleanly(file!);
    const until = Date.now() + 10_000;
    while (!dvrCalls.some((c) => c.file === file) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const call = dvrCalls.find((c) => c.file === file);
    assert.ok(call, 'on_dvr called with the file');
    assert.deepEqual(Object.keys(call), ['server_id', 'service_id', 'action', 'client_id', 'ip', 'vhost', 'app', 'tcUrl', 'stream', 'param', 'cwd', 'file', 'stream_url', 'stream_id']);
    assert.equal(call.action, 'on_dvr');
  });

  test('session plan, MP4: complete, seekable file', async () => {
    await publish(`${rtmp}/live/cam?vhost=mp4.test`, 4);
    const [, file] = await server.waitForLog(/dvr: closed (\S+\/mp4\/live\/cam-\d{8}\.mp4) \(unpublish\)/);
    const p = await probeDuration(file!);
    assert.deepEqual(p.streams, ['aac', 'h264']);
    assert.ok(Math.abs(p.duration - 4) <= 1, `duration ${p.duration}`);
    await decodesCleanly(file!);
    const seek = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-ss', '2', '-i', file!, '-frames:v', '1', '-f', 'null', '-']);
    assert.equal(seek.code, 0, seek.stderr);
  });

  for (const ext of ['flv', 'mp4']) {
    test(`segment plan, ${ext.toUpperCase()}: files of about dvr_duration, each playable on its own`, async () => {
      const vhost = ext === 'flv' ? 'seg.test' : 'segmp4.test';
      const dir = ext === 'flv' ? 'seg' : 'segmp4';
      await publish(`${rtmp}/live/s${ext}?vhost=${vhost}`, 7);
      await server.waitForLog(new RegExp(`dvr: closed \\S+/${dir}/s${ext}-\\d+\\.${ext} \\(unpublish\\)`));
      const files = readdirSync(join(rec, dir)).filter((f) => f.endsWith(`.${ext}`)).sort();
      assert.ok(files.length >= 3, `files: ${files.join(' ')}`);
      let total = 0;
      for (const [i, f] of files.entries()) {
        const p = await probeDuration(join(rec, dir, f));
        total += p.duration;
        assert.deepEqual(p.streams, ['aac', 'h264']);
        if (i < files.length - 1) assert.ok(p.duration >= 1.9 && p.duration <= 3.2, `${f}: ${p.duration}`);
        await decodesCleanly(join(rec, dir, f));
      }
      assert.ok(Math.abs(total - 7) <= 1.5, `total ${total}`);
    });
  }

  test('dvr_apply: streams not listed are not recorded', async () => {
    await publish(`${rtmp}/live/other`, 2);
    await server.waitForLog(/RTMP unpublish \/live\/other/);
    assert.ok(!existsSync(join(rec, '__defaultVhost__', 'live')) || !readdirSync(join(rec, '__defaultVhost__', 'live')).some((f) => f.startsWith('other')));
  });
});
