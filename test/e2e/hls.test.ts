// HLS end to end: a real tsrs, ffmpeg publishing over RTMP, the files under hls_path read back with
// ffmpeg/ffprobe (and over the HTTP server).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ffmpegPublish, probeStreams, run, startServer, startServerWith, type Ports, type PublishKind, type RunningServer } from './harness.js';
import { decodeAllSegments, firstVideoFrameIsKey, pollUntil, readPlaylist, seqOf, waitHlsClosed, type HlsPlaylist } from './hls-helpers.js';

const FRAGMENT = 2;
const WINDOW = 10;

function hlsConf(p: Ports, hlsPath: string, hlsExtra = '', withHttp = true): string {
  return `listen ${p.rtmp};
daemon off;
srs_log_tank console;
srs_log_level trace;
${withHttp ? `http_server { enabled on; listen ${p.http}; dir ${hlsPath}; }` : ''}
vhost __defaultVhost__ {
  hls { enabled on; hls_fragment ${FRAGMENT}; hls_window ${WINDOW}; hls_path ${hlsPath}; hls_dispose 0; ${hlsExtra} }
}
`;
}

/**
 * The window rule on what the playlist lists: all but the oldest fit in the window, all of them do not. The
 * window is hls_window, but never under 3 × the target duration (RFC 8216 §6.2.2).
 */
function checkWindow(p: HlsPlaylist, what: string): void {
  const window = Math.max(WINDOW, 3 * p.targetDuration);
  const d = p.entries.map((e) => e.durationSec);
  const total = d.reduce((a, b) => a + b, 0);
  assert.ok(total - d[0]! <= window + 1e-9, `${what}: ${d.join('+')} keeps a segment it could drop`);
  if (p.mediaSequence > 0) assert.ok(total > window, `${what}: ${d.join('+')} dropped too much`);
}

describe('HLS', { timeout: 180_000 }, () => {
  let server: RunningServer;
  let hlsDir: string;
  const m3u8 = (stream: string): string => join(hlsDir, 'live', `${stream}.m3u8`);

  before(async () => {
    hlsDir = mkdtempSync(join(tmpdir(), 'tsrs-hls-e2e-'));
    server = await startServer((p) => hlsConf(p, hlsDir));
  });
  after(async () => {
    await server?.stop();
    rmSync(hlsDir, { recursive: true, force: true });
  });

  test('H.264+AAC, AAC, H.264, H.264+MP3: decodable, keyframe-aligned, window and cleanup, served over HTTP', async () => {
    const kinds: Record<string, PublishKind> = { av: 'h264-aac', a: 'aac', v: 'h264', mp3: 'h264-mp3' };
    const pubs = Object.entries(kinds).map(([stream, kind]) => ({ stream, kind, pub: ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/${stream}`, kind, 25) }));
    try {
      // Until every playlist has slid past its first segment (so cleanup has run): ~17 s for 4.2 s audio segments.
      for (const { stream, pub } of pubs) {
        await pollUntil(`${stream} playlist sliding`, () => {
          if (pub.proc.exitCode !== null) throw new Error(`ffmpeg for ${stream} exited: ${pub.stderr()}`);
          const p = readPlaylist(m3u8(stream));
          return p !== null && p.mediaSequence >= 1 ? p : null;
        }, 60_000, 200);
      }
      // Live over HTTP while publishing. hls_ctx is on by default (SRS 5): the first answer is a variant
      // playlist naming this viewer's session; following it gives the media playlist.
      const base = `http://127.0.0.1:${server.ports.http}`;
      const variant = await fetch(`${base}/live/av.m3u8`);
      assert.equal(variant.status, 200);
      assert.equal(variant.headers.get('content-type'), 'application/vnd.apple.mpegurl');
      const session = (await variant.text()).trim().split('\n').at(-1)!;
      const res = await fetch(`${base}${session}`);
      assert.equal(res.status, 200);
      // EXT-X-DISCONTINUITY-SEQUENCE once the publish's first segment (with its discontinuity) has left (RFC 8216 §6.2.2).
      assert.match(await res.text(), /^#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:\d+\n(#EXT-X-DISCONTINUITY-SEQUENCE:\d+\n)?#EXT-X-TARGETDURATION:\d+\n/);
    } finally {
      await Promise.all(pubs.map(({ pub }) => pub.stop()));
    }

    for (const { stream, kind } of pubs) {
      const p = await waitHlsClosed(m3u8(stream), stream);
      assert.equal(p.version, 3);
      assert.ok(!p.text.includes('#EXT-X-ENDLIST'));
      assert.ok(p.mediaSequence >= 1, `${stream} slid`);
      // seq: consecutive, starting at the media sequence.
      assert.deepEqual(p.entries.map((e) => seqOf(e.uri)), p.entries.map((_, i) => p.mediaSequence + i), stream);
      // Target duration: fixed by the first segment (at least hls_fragment); no EXTINF rounds above it.
      assert.ok(p.targetDuration >= FRAGMENT, stream);
      for (const e of p.entries) assert.ok(Math.round(e.durationSec) <= p.targetDuration, `${stream} ${e.uri} ${e.durationSec} s > ${p.targetDuration}`);
      checkWindow(p, stream);
      // Cleanup: exactly the listed segments remain on disk.
      const onDisk = readdirSync(join(hlsDir, 'live')).filter((f) => f.startsWith(`${stream}-`) && f.endsWith('.ts')).sort();
      assert.deepEqual(onDisk, p.entries.map((e) => e.uri).sort(), `${stream}: files left besides the window`);

      const full = p.entries.slice(0, -1); // the last one was cut by the unpublish
      if (kind === 'aac') {
        // Pure audio: reaped by the audio overflow, fragment × hls_aof_ratio (2.1).
        for (const e of full) assert.ok(Math.abs(e.durationSec - FRAGMENT * 2.1) <= 0.1 * FRAGMENT * 2.1, `${stream} ${e.uri} ${e.durationSec}`);
      } else {
        for (const e of full) assert.ok(Math.abs(e.durationSec - FRAGMENT) <= 0.1 * FRAGMENT, `${stream} ${e.uri} ${e.durationSec} s`);
        for (const e of p.entries) assert.ok(await firstVideoFrameIsKey(join(hlsDir, 'live', e.uri)), `${stream} ${e.uri} starts with a keyframe`);
      }

      const streams = (await probeStreams(join(hlsDir, 'live', p.entries[0]!.uri))).map((s) => `${s.codec_type}:${s.codec_name}`).sort();
      const want = { 'h264-aac': ['audio:aac', 'video:h264'], aac: ['audio:aac'], h264: ['video:h264'], 'h264-mp3': ['audio:mp3', 'video:h264'], mp3: ['audio:mp3'] }[kind];
      assert.deepEqual(streams, want, `${stream} tracks`);

      const dec = await decodeAllSegments(m3u8(stream));
      assert.equal(dec.code, 0, `${stream}: ${dec.stderr}`);
      assert.equal(dec.stderr.trim(), '', `${stream} decodes without errors`);
    }

    // The live playlist over HTTP, read by ffmpeg's HLS demuxer from its first segment.
    const http = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-live_start_index', '0', '-m3u8_hold_counters', '2', '-i', `http://127.0.0.1:${server.ports.http}/live/av.m3u8`, '-f', 'null', '-'], 60_000);
    assert.equal(http.code, 0, http.stderr);
    assert.equal(http.stderr.trim(), '');
  });

  test('republish: #EXT-X-DISCONTINUITY and seq keeps rising', async () => {
    const url = `rtmp://127.0.0.1:${server.ports.rtmp}/live/rp`;
    let pub = ffmpegPublish(url, 'h264-aac', 25);
    await pollUntil('first publish segments', () => (readPlaylist(m3u8('rp'))?.entries.length ?? 0) >= 2, 30_000, 200);
    await pub.stop();
    const first = await waitHlsClosed(m3u8('rp'), 'rp');
    const lastSeq = seqOf(first.entries[first.entries.length - 1]!.uri);

    pub = ffmpegPublish(url, 'h264-aac', 25);
    try {
      await pollUntil('second publish segments', () => {
        const p = readPlaylist(m3u8('rp'));
        return p !== null && seqOf(p.entries[p.entries.length - 1]!.uri) >= lastSeq + 2;
      }, 30_000, 200);
    } finally {
      await pub.stop();
    }
    const p = await waitHlsClosed(m3u8('rp'), 'rp');
    const seqs = p.entries.map((e) => seqOf(e.uri));
    assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), 'seq continues across the republish');
    const restart = p.entries.findIndex((e) => seqOf(e.uri) === lastSeq + 1);
    assert.ok(restart > 0);
    assert.equal(p.entries[restart]!.discontinuity, true, 'discontinuity at the republish');
    assert.equal(p.entries.filter((e) => e.discontinuity).length, 2, p.text);
    const dec = await decodeAllSegments(m3u8('rp'));
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(dec.stderr.trim(), '');
  });
});

test('hls_keys: AES-128 segments, EXT-X-KEY, ffmpeg decrypts with the key files', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-hls-keys-'));
  // hls_key_url is glued to the key file name: a directory path with a trailing slash, for ffmpeg to open.
  const server = await startServer((p) => hlsConf(p, dir, `hls_keys on; hls_fragments_per_key 2; hls_key_url ${dir}/;`, false));
  try {
    const pub = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/k`, 'h264-aac', 25);
    try {
      await pollUntil('encrypted segments', () => (readPlaylist(join(dir, 'live/k.m3u8'))?.entries.length ?? 0) >= 3, 30_000, 200);
    } finally {
      await pub.stop();
    }
    const p = await waitHlsClosed(join(dir, 'live/k.m3u8'), 'k');
    assert.match(p.text, new RegExp(`#EXT-X-KEY:METHOD=AES-128,URI="${dir}/live/k-0\\.key",IV=0x[0-9a-f]{32}\n#EXTINF`));
    assert.match(p.text, new RegExp(`#EXT-X-KEY:METHOD=AES-128,URI="${dir}/live/k-2\\.key",IV=0x[0-9a-f]{32}\n`));
    assert.ok(p.entries.every((e) => e.key !== null));
    assert.equal(readFileSync(join(dir, 'live/k-0.key')).length, 16);
    const seg = readFileSync(join(dir, 'live/k-0.ts'));
    assert.equal(seg.length % 16, 0);
    assert.notEqual(seg[0], 0x47, 'encrypted');
    const dec = await decodeAllSegments(join(dir, 'live/k.m3u8'), ['-allowed_extensions', 'ALL']);
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(dec.stderr.trim(), '');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unwritable hls_path: a clear error, RTMP players still play', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-hls-bad-'));
  const blocker = join(dir, 'not-a-dir');
  writeFileSync(blocker, 'a file where hls_path should be a directory');
  const server = await startServer((p) => hlsConf(p, `${blocker}/hls`, '', false));
  const url = `rtmp://127.0.0.1:${server.ports.rtmp}/live/bad`;
  const pub = ffmpegPublish(url, 'h264-aac', 25);
  try {
    await server.waitForLog(/\[Error\].*hls: open .*not-a-dir\/hls\/live\/bad-0\.ts\.tmp failed for \/live\/bad: .*(ENOTDIR|EEXIST)/, 20_000);
    const streams = (await probeStreams(url)).filter((s) => s.codec_type === 'audio' || s.codec_type === 'video').map((s) => s.codec_name).sort();
    assert.deepEqual(streams, ['aac', 'h264']);
    assert.equal(pub.proc.exitCode, null, 'the publisher was not disconnected');
  } finally {
    await pub.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** tsrs_hls_cache_hits_total from /metrics (and the budget gauge). */
async function cacheMetrics(apiPort: number): Promise<{ hits: number; budget: number }> {
  const text = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
  const value = (name: string): number => {
    const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
    assert.ok(m, `${name} in /metrics`);
    return Number(m[1]);
  };
  return { hits: value('tsrs_hls_cache_hits_total'), budget: value('tsrs_hls_cache_budget_bytes') };
}

// hls_storage disk (the default) with the in-memory cache of the live window (TSRS_HLS_CACHE_MB, default
// 64), and with it off: the same bytes as the files on disk either way, counted hits only with the cache
// and only while the stream publishes.
for (const cacheMb of [undefined, '0']) {
  test(`hls_storage disk, TSRS_HLS_CACHE_MB=${cacheMb ?? '(default)'}: HTTP serves the bytes on disk, ${cacheMb === '0' ? 'all from disk' : 'from memory'}`, { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsrs-hls-cache-'));
    const server = await startServerWith(
      (p) => `${hlsConf(p, dir, 'hls_ctx off;')}\nhttp_api { enabled on; listen ${p.api}; }\n`,
      { env: cacheMb === undefined ? {} : { TSRS_HLS_CACHE_MB: cacheMb } },
    );
    const base = `http://127.0.0.1:${server.ports.http}`;
    try {
      const start = await cacheMetrics(server.ports.api);
      assert.equal(start.budget, cacheMb === '0' ? 0 : 64 * 1024 * 1024);
      assert.equal(start.hits, 0);
      const pub = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/c`, 'h264-aac', 25);
      let requests = 0;
      let before: { hits: number };
      try {
        await pollUntil('three segments', () => (readPlaylist(join(dir, 'live/c.m3u8'))?.entries.length ?? 0) >= 3, 30_000, 200);
        // ffprobe plays the live HLS URL.
        const streams = (await probeStreams(`${base}/live/c.m3u8`)).map((s) => `${s.codec_type}:${s.codec_name}`).sort();
        assert.deepEqual(streams, ['audio:aac', 'video:h264']);
        before = await cacheMetrics(server.ports.api);
        if (cacheMb !== '0') assert.ok(before.hits > 0, 'ffprobe was answered from memory');
        // Live: the playlist over HTTP is the one on disk (asked again if a new one landed in between).
        let text = '';
        for (let i = 0; i < 5; i++) {
          const r = await fetch(`${base}/live/c.m3u8`);
          requests++;
          assert.equal(r.status, 200);
          assert.equal(r.headers.get('content-type'), 'application/vnd.apple.mpegurl');
          assert.equal(r.headers.get('cache-control'), 'no-cache');
          text = await r.text();
          if (text === readFileSync(join(dir, 'live/c.m3u8'), 'utf8')) break;
          text = '';
        }
        assert.notEqual(text, '', 'the playlist over HTTP is the one on disk');
        for (const uri of text.split('\n').filter((l) => l.endsWith('.ts')).slice(-2)) {
          const r = await fetch(`${base}/live/${uri}`);
          requests++;
          assert.equal(r.status, 200);
          assert.equal(r.headers.get('content-type'), 'video/MP2T');
          const body = Buffer.from(await r.arrayBuffer());
          assert.equal(Number(r.headers.get('content-length')), body.length);
          assert.ok(body.equals(readFileSync(join(dir, 'live', uri))), `${uri} over HTTP = on disk`);
        }
      } finally {
        await pub.stop();
      }
      const live = await cacheMetrics(server.ports.api);
      if (cacheMb === '0') assert.equal(live.hits, 0, 'no cache: every answer read the disk');
      else assert.equal(live.hits - before.hits, requests, 'the playlist and the segments came from memory');
      // Unpublished, not disposed: the files stay servable, from disk (memory forgets the stream).
      const p = await waitHlsClosed(join(dir, 'live/c.m3u8'), 'c');
      assert.equal(await (await fetch(`${base}/live/c.m3u8`)).text(), readFileSync(join(dir, 'live/c.m3u8'), 'utf8'));
      const seg = Buffer.from(await (await fetch(`${base}/live/${p.entries[0]!.uri}`)).arrayBuffer());
      assert.ok(seg.equals(readFileSync(join(dir, 'live', p.entries[0]!.uri))));
      assert.equal((await cacheMetrics(server.ports.api)).hits, live.hits, 'after the unpublish, from disk');
      // The whole window plays over HTTP.
      const play = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-live_start_index', '0', '-m3u8_hold_counters', '2', '-i', `${base}/live/c.m3u8`, '-f', 'null', '-'], 60_000);
      assert.equal(play.code, 0, play.stderr);
      assert.equal(play.stderr.trim(), '');
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
