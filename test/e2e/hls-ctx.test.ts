// HLS viewer sessions (hls_ctx): variant playlist, tagged segment URIs, API client, kick-off, ffmpeg over HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegPublish, rtmpConf, run, startServer, type RunningServer } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'tsrs-hlsctx-'));
let server: RunningServer;
let http: string;
let api: string;

before(async () => {
  server = await startServer((p) =>
    rtmpConf(
      p,
      `hls { enabled on; hls_fragment 1; hls_window 6; hls_path ${dir}; }`,
      `http_server { enabled on; listen ${p.http}; dir ${dir}; }
http_api { enabled on; listen ${p.api}; }`,
    ),
  );
  http = `http://127.0.0.1:${server.ports.http}`;
  api = `http://127.0.0.1:${server.ports.api}`;
});

/** Poll an async check until it gives a value (bounded). */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a viewer session: variant playlist, tagged segments, listed, kicked', async () => {
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/ctx`, 'h264-aac', 25);
  try {
    // The playlist file appears with the first segment; until then the server answers 404.
    await until('the playlist file', async () => ((await fetch(`${http}/live/ctx.m3u8?hls_ctx=probe0`)).status === 200 ? true : undefined));
    const text = await (await fetch(`${http}/live/ctx.m3u8?token=t1`)).text();
    const lines = text.trim().split('\n');
    assert.equal(lines[0], '#EXTM3U');
    assert.match(lines[1]!, /^#EXT-X-STREAM-INF:BANDWIDTH=1/);
    const m = lines[2]!.match(/^\/live\/ctx\.m3u8\?token=t1&hls_ctx=([0-9a-z]{8})$/);
    assert.ok(m, `variant uri: ${lines[2]}`);
    const id = m[1]!;

    const media = await until('a media playlist with segments', async () => {
      const t = await (await fetch(`${http}${lines[2]}`)).text();
      return t.includes('#EXTINF') ? t : undefined;
    });
    const uris = media.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.ok(uris.length > 0);
    for (const u of uris) assert.match(u, new RegExp(`\\.ts\\?hls_ctx=${id}$`));
    const seg = await fetch(`${http}/live/${uris[0]}`);
    assert.equal(seg.status, 200);
    const segBytes = (await seg.arrayBuffer()).byteLength;

    const client = (await (await fetch(`${api}/api/v1/clients/${id}`)).json()) as { code: number; client: { type: string; name: string; send_bytes: number } };
    assert.equal(client.code, 0);
    assert.equal(client.client.type, 'hls-play');
    assert.equal(client.client.name, 'ctx.m3u8');
    assert.ok(client.client.send_bytes >= segBytes);

    const del = (await (await fetch(`${api}/api/v1/clients/${id}`, { method: 'DELETE' })).json()) as { code: number };
    assert.equal(del.code, 0);
    const after = await fetch(`${http}${lines[2]}`);
    assert.equal(after.status, 404);
    assert.equal(await after.text(), `HLS stream ${id} is EOF`);

    // A real player follows the variant playlist and decodes.
    const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', `${http}/live/ctx.m3u8`, '-t', '2', '-f', 'null', '-'], 40_000);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await pub.stop();
  }
});

test('hls_storage ram: playlists and segments come from memory, nothing is written to disk', async () => {
  const ramDir = mkdtempSync(join(tmpdir(), 'tsrs-hlsram-'));
  const ram = await startServer((p) =>
    // Relative paths (like SRS's ./objs/nginx/html) resolve against the server's working directory.
    rtmpConf(p, `hls { enabled on; hls_storage ram; hls_fragment 1; hls_window 6; hls_path ./web; }`, `http_server { enabled on; listen ${p.http}; dir ./web; }`),
  );
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${ram.ports.rtmp}/live/mem`, 'h264-aac', 25);
  try {
    const base = `http://127.0.0.1:${ram.ports.http}`;
    const variant = (await fetch(`${base}/live/mem.m3u8`)).text();
    const session = (await variant).trim().split('\n').at(-1)!;
    const media = await until('a media playlist from memory', async () => {
      const r = await fetch(`${base}${session}`);
      const t = await r.text();
      return r.status === 200 && t.includes('#EXTINF') ? t : undefined;
    });
    const seg = media.split('\n').find((l) => l && !l.startsWith('#'))!;
    const ts = await fetch(`${base}/live/${seg}`);
    assert.equal(ts.status, 200);
    assert.equal(ts.headers.get('content-type'), 'video/MP2T');
    const bytes = Buffer.from(await ts.arrayBuffer());
    assert.equal(bytes[0], 0x47);
    assert.equal(bytes.length % 188, 0);
    // Nothing on disk: the files exist only in memory.
    assert.ok(!existsSync(join(ram.dir, 'web', 'live')), 'no HLS files on disk');
    const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', `${base}/live/mem.m3u8`, '-t', '2', '-f', 'null', '-'], 40_000);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await pub.stop();
    await ram.stop();
    rmSync(ramDir, { recursive: true, force: true });
  }
});
