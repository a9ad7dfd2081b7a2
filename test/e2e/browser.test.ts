// The web pages in a real browser: headless Chromium (Debian's `chromium` package, driven by
// playwright-core) plays streams that ffmpeg publishes to a real tsrs process, in the player page
// over HTTP-FLV and WebSocket-FLV, and uses the console to list and kick clients.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ffmpegPlay, ffmpegPublish, repoRoot, startServer, type Ports, type RunningServer } from './harness.js';

/** Debian's Chromium; TSRS_CHROMIUM points elsewhere on machines that keep it somewhere else. */
const CHROMIUM = process.env['TSRS_CHROMIUM'] || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];
const PLAY_TIMEOUT_MS = 20_000;

const htmlDir = join(repoRoot(), 'html');
/** The web root for the test server: links to the repo's pages, plus the HLS files it writes (not in the repo). */
const webDir = mkdtempSync(join(tmpdir(), 'tsrs-web-'));
for (const entry of readdirSync(htmlDir)) symlinkSync(join(htmlDir, entry), join(webDir, entry));

function conf(p: Ports): string {
  return `listen ${p.rtmp};
max_connections 1000;
daemon off;
srs_log_tank console;
srs_log_level trace;
http_api {
  enabled on;
  listen ${p.api};
}
http_server {
  enabled on;
  listen ${p.http};
  dir ${webDir};
}
vhost __defaultVhost__ {
  hls {
    enabled on;
    hls_fragment 1;
    hls_window 10;
    hls_path ${webDir};
  }
  http_remux {
    enabled on;
    mount [vhost]/[app]/[stream].flv;
  }
}
`;
}

let server: RunningServer;
let context: BrowserContext;
let profileDir = '';
/** What the pages printed to their consoles, for failure messages. */
const pageLogs: string[] = [];

async function openPage(url: string): Promise<Page> {
  const page = await context.newPage();
  watch(page);
  await page.goto(url);
  return page;
}

function watch(page: Page): void {
  page.on('console', (m) => pageLogs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => pageLogs.push(`[pageerror] ${e.message}`));
}

/** Wait until the page's <video> has played past `seconds`; fail with what the page shows if it does not. */
async function waitPlaying(page: Page, seconds = 1): Promise<void> {
  try {
    await page.waitForFunction(
      (s) => {
        const v = document.querySelector('video');
        return v !== null && v.currentTime > s && v.videoWidth > 0;
      },
      seconds,
      { timeout: PLAY_TIMEOUT_MS, polling: 100 },
    );
  } catch (e) {
    const state = await page.evaluate(() => ({
      url: (document.getElementById('url') as HTMLInputElement | null)?.value,
      status: document.getElementById('status')?.textContent,
      error: document.getElementById('error')?.textContent,
      currentTime: document.querySelector('video')?.currentTime,
    }));
    throw new Error(`video did not play: ${JSON.stringify(state)}\npage console:\n${pageLogs.slice(-20).join('\n')}\nserver:\n${server.output().slice(-2000)}`, { cause: e });
  }
}

async function videoState(page: Page): Promise<{ width: number; height: number; error: string; status: string; url: string }> {
  return page.evaluate(() => {
    const v = document.querySelector('video')!;
    const err = document.getElementById('error')!;
    return {
      width: v.videoWidth,
      height: v.videoHeight,
      error: err.hidden ? '' : (err.textContent ?? ''),
      status: document.getElementById('status')?.textContent ?? '',
      url: (document.getElementById('url') as HTMLInputElement).value,
    };
  });
}

/**
 * Why the browser tests cannot run (no Chromium, no player libraries), or null. Every test fails with
 * it, so a machine without Chromium reports failed tests, never skipped or cancelled ones.
 */
let setupError: Error | null = null;

function ready(): void {
  if (setupError) throw setupError;
}

async function setUp(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser tests need it. Install Debian's package (apt-get install chromium) ` +
        'or set TSRS_CHROMIUM to a Chromium/Chrome binary.',
    );
  }
  for (const lib of ['mpegts.js', 'hls.min.js']) {
    if (!existsSync(join(htmlDir, 'players', 'js', 'vendor', lib))) {
      throw new Error(`html/players/js/vendor/${lib} is missing: run "npm run build" (it copies the player libraries)`);
    }
  }
  server = await startServer(conf);
  profileDir = mkdtempSync(join(tmpdir(), 'tsrs-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
  });
}

describe('web pages in Chromium', () => {
  before(async () => {
    try {
      await setUp();
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  });

  after(async () => {
    await context?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    rmSync(webDir, { recursive: true, force: true });
    await server?.stop();
  });

  test('landing page shows this host\'s RTMP URL and links to the console and player', async () => {
    ready();
    const page = await openPage(`http://127.0.0.1:${server.ports.http}/`);
    try {
      assert.equal(await page.locator('h1').textContent(), 'tsrs works!');
      assert.equal(await page.locator('.js-rtmp').first().textContent(), 'rtmp://127.0.0.1/live/livestream');
      assert.equal(await page.locator('.js-flv').textContent(), `http://127.0.0.1:${server.ports.http}/live/livestream.flv`);
      assert.match((await page.locator('.js-console').first().getAttribute('href')) ?? '', /^console\/index\.html\?port=1985$/);
      assert.match((await page.locator('.js-player-flv').getAttribute('href')) ?? '', /players\/srs_player\.html\?/);
    } finally {
      await page.close();
    }
  });

  test('player page plays HTTP-FLV published by ffmpeg', async () => {
    ready();
    const pub = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/browserflv`);
    const page = await context.newPage();
    watch(page);
    try {
      await server.waitForLog(/publish \/live\/browserflv\b/);
      await page.goto(`http://127.0.0.1:${server.ports.http}/players/srs_player.html?app=live&stream=browserflv.flv&port=${server.ports.http}&autostart=true`);
      await waitPlaying(page);
      const s = await videoState(page);
      assert.equal(s.url, `http://127.0.0.1:${server.ports.http}/live/browserflv.flv`);
      assert.equal(s.width, 320);
      assert.equal(s.height, 240);
      assert.equal(s.error, '');
      assert.match(s.status, /HTTP-FLV/);
    } finally {
      await page.close();
      await pub.stop();
    }
  });

  test('player page plays WebSocket-FLV (schema=ws)', async () => {
    ready();
    const pub = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/browserws`);
    const page = await context.newPage();
    watch(page);
    try {
      await server.waitForLog(/publish \/live\/browserws\b/);
      await page.goto(
        `http://127.0.0.1:${server.ports.http}/players/srs_player.html?app=live&stream=browserws.flv&port=${server.ports.http}&schema=ws&autostart=true`,
      );
      await waitPlaying(page);
      const s = await videoState(page);
      assert.equal(s.url, `ws://127.0.0.1:${server.ports.http}/live/browserws.flv`);
      assert.equal(s.width, 320);
      assert.equal(s.error, '');
      assert.match(s.status, /WebSocket-FLV/);
    } finally {
      await page.close();
      await pub.stop();
    }
  });

  test('player page plays HLS through hls.js', async () => {
    ready();
    const pub = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/browserhls`, 'h264-aac', 25);
    const page = await context.newPage();
    watch(page);
    try {
      await server.waitForLog(/publish \/live\/browserhls\b/);
      // The playlist exists once the first segment is closed.
      const deadline = Date.now() + PLAY_TIMEOUT_MS;
      while (!existsSync(join(webDir, 'live', 'browserhls.m3u8'))) {
        if (Date.now() > deadline) throw new Error(`no playlist written:\n${server.output().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await page.goto(`http://127.0.0.1:${server.ports.http}/players/srs_player.html?app=live&stream=browserhls.m3u8&port=${server.ports.http}&autostart=true`);
      await waitPlaying(page);
      const s = await videoState(page);
      assert.equal(s.width, 320);
      assert.equal(s.error, '');
      assert.match(s.status, /HLS/);
      // The viewer went through an hls_ctx session.
      assert.match(server.output(), /HLS play \/live\/browserhls, hls_ctx=/);
    } finally {
      await page.close();
      await pub.stop();
    }
  });

  test('player page shows the error for a missing stream (HLS playlist 404, through hls.js)', async () => {
    ready();
    // (A missing HTTP-FLV stream is no error: like SRS, the server answers and waits for a publisher.)
    const page = await openPage(`http://127.0.0.1:${server.ports.http}/players/srs_player.html?stream=nobody-here.m3u8&autostart=true`);
    try {
      await page.locator('#error').waitFor({ state: 'visible', timeout: PLAY_TIMEOUT_MS });
      assert.match((await page.locator('#error').textContent()) ?? '', /404/);
    } finally {
      await page.close();
    }
  });

  test('console lists the stream and its players, opens the player, and kicks an RTMP player', async () => {
    ready();
    const { rtmp, http, api } = server.ports;
    const pub = ffmpegPublish(`rtmp://127.0.0.1:${rtmp}/live/browserconsole`);
    let player: ReturnType<typeof ffmpegPlay> | null = null;
    const page = await context.newPage();
    watch(page);
    try {
      await server.waitForLog(/publish \/live\/browserconsole\b/);
      player = ffmpegPlay(`rtmp://127.0.0.1:${rtmp}/live/browserconsole`);
      await page.goto(`http://127.0.0.1:${http}/console/index.html?port=${api}`);

      // The stream, live, with its codecs.
      const streamRow = page.locator('#streams-table tbody tr', { hasText: 'browserconsole' });
      await streamRow.waitFor({ timeout: 15_000 });
      await page.waitForFunction(() => document.getElementById('s-version')?.textContent !== '–', null, { timeout: 15_000 });
      await streamRow.locator('.badge', { hasText: 'live' }).waitFor({ timeout: 15_000 });
      // The codecs are known once the sequence headers arrive, which can be a poll after the publish.
      await page.locator('#streams-table tbody tr', { hasText: 'browserconsole' }).filter({ hasText: 'H264' })
        .waitFor({ timeout: 15_000 });
      assert.match((await streamRow.textContent()) ?? '', /H264/);

      // Its Play link opens the player on this HTTP server, which plays it.
      const playLink = streamRow.getByRole('link', { name: /HTTP-FLV/ });
      const href = (await playLink.getAttribute('href')) ?? '';
      assert.match(href, new RegExp(`^http://127\\.0\\.0\\.1:${http}/players/srs_player\\.html\\?`));
      assert.match(href, /stream=browserconsole\.flv/);
      const [popup] = await Promise.all([context.waitForEvent('page'), playLink.click()]);
      watch(popup);
      await waitPlaying(popup);

      // Both players show up as clients: the browser (flv-play) and ffmpeg (rtmp-play).
      const clients = page.locator('#clients-table tbody tr');
      await clients.filter({ hasText: 'flv-play' }).first().waitFor({ timeout: 15_000 });
      const rtmpRow = clients.filter({ hasText: 'rtmp-play' });
      await rtmpRow.waitFor({ timeout: 15_000 });
      assert.equal(await rtmpRow.count(), 1);
      const id = await rtmpRow.getAttribute('data-key');
      assert.ok(id);
      await popup.close();

      // Kick the RTMP player: the server drops it, ffmpeg exits, the row goes away.
      await rtmpRow.getByRole('button', { name: new RegExp(`^Kick client ${id}`) }).click();
      await page.locator(`#clients-table tbody tr[data-key="${id}"]`).waitFor({ state: 'detached', timeout: 15_000 });
      const exit = await Promise.race([player.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000).unref())]);
      assert.notEqual(exit, 'timeout', 'ffmpeg kept playing after the kick');
      // (A periodic refresh may drop the row before the DELETE answer sets the notice.)
      await page.locator('#notice', { hasText: `Kicked client ${id}` }).waitFor({ timeout: 15_000 });
      assert.equal(await page.locator('#error').isHidden(), true, (await page.locator('#error').textContent()) ?? '');
    } finally {
      await page.close();
      await player?.stop();
      await pub.stop();
    }
  });
});

// The pages' pure modules, run in Node: URL rules and formatting, without a browser.
describe('player URL rules and console formatting (no browser)', () => {
  const load = async (rel: string): Promise<Record<string, (...args: never[]) => unknown>> =>
    (await import(pathToFileURL(join(htmlDir, rel)).href)) as Record<string, (...args: never[]) => unknown>;
  const page = { protocol: 'http:', hostname: '10.0.0.5', port: '8080' };
  const fromDisk = { protocol: 'file:', hostname: '', port: '' };

  test('stream URL from SRS player parameters', async () => {
    const m = await load('players/js/stream-url.js');
    const streamUrlFrom = m['streamUrlFrom'] as (p: URLSearchParams, loc: typeof page) => string;
    const url = (q: string, loc = page): string => streamUrlFrom(new URLSearchParams(q), loc);
    assert.equal(url(''), 'http://10.0.0.5:8080/live/livestream.flv');
    assert.equal(url('', fromDisk), 'http://localhost:8080/live/livestream.flv');
    assert.equal(url('app=live&stream=cam.flv&port=18080'), 'http://10.0.0.5:18080/live/cam.flv');
    assert.equal(url('stream=cam'), 'http://10.0.0.5:8080/live/cam.flv');
    assert.equal(url('stream=cam.m3u8&server=h.example&port=80'), 'http://h.example/live/cam.m3u8');
    assert.equal(url('stream=cam.flv&schema=ws'), 'ws://10.0.0.5:8080/live/cam.flv');
    assert.equal(url('stream=cam.flv&vhost=v.example&token=abc'), 'http://10.0.0.5:8080/live/cam.flv?vhost=v.example&token=abc');
    assert.equal(url('vhost=__defaultVhost__&autostart=true'), 'http://10.0.0.5:8080/live/livestream.flv');
    assert.equal(url('server=::1&port=8080'), 'http://[::1]:8080/live/livestream.flv');
    assert.equal(url('url=ws://x/y/z.flv&app=ignored'), 'ws://x/y/z.flv');
  });

  test('stream kinds and switching delivery', async () => {
    const m = await load('players/js/stream-url.js');
    const kind = m['streamKind'] as (u: string) => string;
    const swap = m['switchKind'] as (u: string, k: string) => string;
    const params = m['pageParams'] as (loc: { search: string; hash: string }) => URLSearchParams;
    assert.equal(kind('http://h/live/a.flv'), 'flv');
    assert.equal(kind('wss://h/live/a.flv?k=1'), 'ws-flv');
    assert.equal(kind('http://h/live/a.ts'), 'ts');
    assert.equal(kind('https://h/live/a.m3u8'), 'hls');
    assert.equal(kind('http://h/vod/a.mp4'), 'native');
    assert.equal(kind('not a url'), 'native');
    assert.equal(swap('http://h:8080/live/a.flv?k=1', 'ws-flv'), 'ws://h:8080/live/a.flv?k=1');
    assert.equal(swap('wss://h/live/a.flv', 'hls'), 'https://h/live/a.m3u8');
    assert.equal(swap('http://h/live/a.m3u8', 'ts'), 'http://h/live/a.ts');
    assert.equal(params({ search: '?port=1', hash: '#/summaries?port=1985&x=2' }).toString(), 'port=1985&x=2');
  });

  test('console formatting', async () => {
    const f = await load('console/js/format.js');
    const call = (name: string, ...args: unknown[]): unknown => (f[name] as (...a: unknown[]) => unknown)(...args);
    assert.equal(call('duration', 3725), '1h 2m 5s');
    assert.equal(call('duration', 59.9), '59s');
    assert.equal(call('duration', 90061), '1d 1h 1m');
    assert.equal(call('percent', 0.043), '4.3%');
    assert.equal(call('percent', 0.43), '43%');
    assert.equal(call('bytes', 1_500_000), '1.5 MB');
    assert.equal(call('kbps', 289), '289 kbit/s');
    assert.equal(call('kbps', 12_345), '12.3 Mbit/s');
    assert.equal(call('videoCodec', { codec: 'H264', profile: 'High', level: '3.1', width: 1280, height: 720 }), 'H264 High 3.1');
    assert.equal(call('audioCodec', { codec: 'AAC', sample_rate: 44100, channel: 2, profile: 'LC' }), 'AAC LC 44.1 kHz stereo');
    assert.equal(call('resolution', null), '–');
  });
});
