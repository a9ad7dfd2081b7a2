// WebRTC play end to end (issue 15, first slice): ffmpeg publishes H.264 + AAC over RTMP, headless
// Chromium plays it through WHEP and SRS's /rtc/v1/play/ over the one UDP port of rtc_server (ICE-lite,
// DTLS 1.2, SRTP), and the sessions show up in /api/v1/clients, go on DELETE and on a kick.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type Ports, type RunningServer } from './harness.js';

const CHROMIUM = process.env['TSRS_CHROMIUM'] || '/usr/bin/chromium';
const PLAY_TIMEOUT_MS = 25_000;

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let udpPort = 0;
function conf(p: Ports): string {
  return `listen ${p.rtmp};
daemon off;
srs_log_tank console;
srs_log_level trace;
http_api { enabled on; listen ${p.api}; }
rtc_server { enabled on; listen ${udpPort}; candidate 127.0.0.1; }
vhost __defaultVhost__ {
  rtc { enabled on; rtmp_to_rtc on; }
}
`;
}

let server: RunningServer;
let context: BrowserContext;
let publisher: ChildProcess | null = null;
let profileDir = '';
const pageLogs: string[] = [];

interface ClientRecord {
  id: string;
  type: string;
}

async function clients(): Promise<ClientRecord[]> {
  const r = await fetch(`http://127.0.0.1:${server.ports.api}/api/v1/clients?count=100`);
  return ((await r.json()) as { clients: ClientRecord[] }).clients;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}\nserver:\n${server.output().slice(-3000)}`);
}

async function apiPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => pageLogs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => pageLogs.push(`[pageerror] ${e.message}`));
  await page.goto(`http://127.0.0.1:${server.ports.api}/api/v1/versions`);
  return page;
}

/** In the page: a recvonly offer, the signalling call, the answer applied; returns session id / Location. */
async function startPlay(page: Page, kind: 'whep' | 'play', query = ''): Promise<{ session: string; location: string }> {
  return page.evaluate(async ({ kind, query }) => {
    const pc = new RTCPeerConnection();
    (window as unknown as { pc: RTCPeerConnection }).pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    let answer: string;
    let session = '';
    let location = '';
    if (kind === 'whep') {
      const r = await fetch(`/rtc/v1/whep/?app=live&stream=cam${query}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer.sdp });
      if (r.status !== 201) throw new Error(`WHEP ${r.status}: ${await r.text()}`);
      location = r.headers.get('Location') ?? '';
      answer = await r.text();
      session = new URL(location, location.startsWith('/') ? 'http://x' : undefined).searchParams.get('session') ?? '';
    } else {
      const r = await fetch('/rtc/v1/play/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ api: location, tid: 'abc', streamurl: 'webrtc://127.0.0.1/live/cam', clientip: null, sdp: offer.sdp }),
      });
      const j = (await r.json()) as { code: number; sdp: string; sessionid: string; msg?: string };
      if (j.code !== 0) throw new Error(`play: ${JSON.stringify(j)}`);
      answer = j.sdp;
      session = j.sessionid;
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return { session, location };
  }, { kind, query });
}

/** framesDecoded of the inbound video and the selected pair's remote address. */
async function playStats(page: Page): Promise<{ framesDecoded: number; audioPackets: number; remote: string; local: string; state: string }> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    const stats = await pc.getStats();
    let framesDecoded = 0;
    let audioPackets = 0;
    let pairId = '';
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((s: Record<string, unknown>) => {
      byId.set(s['id'] as string, s);
      if (s['type'] === 'inbound-rtp' && s['kind'] === 'video') framesDecoded = Number(s['framesDecoded'] ?? 0);
      if (s['type'] === 'inbound-rtp' && s['kind'] === 'audio') audioPackets = Number(s['packetsReceived'] ?? 0);
      if (s['type'] === 'transport' && s['selectedCandidatePairId']) pairId = s['selectedCandidatePairId'] as string;
    });
    const pair = byId.get(pairId);
    const remote = pair ? byId.get(pair['remoteCandidateId'] as string) : undefined;
    const local = pair ? byId.get(pair['localCandidateId'] as string) : undefined;
    return { framesDecoded, audioPackets, remote: String(remote?.['address'] ?? ''), local: String(local?.['address'] ?? ''), state: pc.connectionState };
  });
}

async function waitDecoding(page: Page, frames: number): Promise<{ framesDecoded: number; remote: string; local: string }> {
  const end = Date.now() + PLAY_TIMEOUT_MS;
  let last = { framesDecoded: 0, audioPackets: 0, remote: '', local: '', state: '' };
  while (Date.now() < end) {
    last = await playStats(page);
    if (last.framesDecoded >= frames) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`browser decoded ${last.framesDecoded} frames (state ${last.state})\npage:\n${pageLogs.slice(-20).join('\n')}\nserver:\n${server.output().slice(-3000)}`);
}

/**
 * A UDP relay between the browser and the server that drops every 20th RTP packet (5%) going to the
 * browser; STUN, DTLS and RTCP pass. One browser at a time.
 */
async function lossyRelay(serverPort: number): Promise<{ port: number; dropped(): number; close(): void }> {
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r())), new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()))]);
  let browser: { address: string; port: number } | null = null;
  let rtp = 0;
  let dropped = 0;
  front.on('message', (m, from) => {
    browser = { address: from.address, port: from.port };
    back.send(m, serverPort, '127.0.0.1');
  });
  back.on('message', (m) => {
    if (!browser) return;
    const isRtp = m.length > 1 && m[0]! >= 128 && m[0]! <= 191 && !(m[1]! >= 192 && m[1]! <= 223);
    if (isRtp && ++rtp % 20 === 0) {
      dropped++;
      return;
    }
    front.send(m, browser.port, browser.address);
  });
  return {
    port: front.address().port,
    dropped: () => dropped,
    close: () => {
      front.close();
      back.close();
    },
  };
}

describe('WebRTC play (Chromium)', { timeout: 120_000 }, () => {
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    udpPort = await freeUdpPort();
    server = await startServer(conf);
    await server.waitForLog(/rtc: listen at udp:\/\/:\d+/);
    // The publisher: H.264 baseline without B-frames, a keyframe a second, plus AAC.
    publisher = spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-c:v', 'libx264', '-profile:v', 'baseline', '-preset', 'veryfast', '-g', '25', '-bf', '0', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', `rtmp://127.0.0.1:${server.ports.rtmp}/live/cam`,
    ], { stdio: 'ignore' });
    await waitFor('the stream', async () => {
      const r = await fetch(`http://127.0.0.1:${server.ports.api}/api/v1/streams`);
      const j = (await r.json()) as { streams: { name: string; publish: { active: boolean } }[] };
      return j.streams.some((s) => s.name === 'cam' && s.publish.active);
    });
    profileDir = mkdtempSync(join(tmpdir(), 'tsrs-chromium-rtc-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    if (publisher && publisher.exitCode === null) {
      const gone = new Promise((r) => publisher!.once('close', r));
      publisher.kill('SIGKILL');
      await gone;
    }
    await server?.stop();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  test('WHEP: Chromium decodes the RTMP stream over 127.0.0.1; DELETE ends the session and its client record', async () => {
    const page = await apiPage();
    const { session, location } = await startPlay(page, 'whep');
    assert.match(location, /^\/rtc\/v1\/whep\/\?action=delete&token=/);
    const first = await waitDecoding(page, 10);
    assert.equal(first.remote, '127.0.0.1', 'selected pair is on loopback');
    // Chromium offers DTLS 1.3 too; we answer 1.2 and pick AEAD_AES_128_GCM from its use_srtp list.
    await server.waitForLog(new RegExp(`rtc session ${session}: DTLS done, SRTP AEAD_AES_128_GCM`));
    const later = await waitDecoding(page, first.framesDecoded + 10);
    assert.ok(later.framesDecoded > first.framesDecoded, 'framesDecoded rises');
    // AAC → Opus through one ffmpeg for the stream: the browser receives audio packets.
    await waitFor('Opus packets in the browser', async () => (await playStats(page)).audioPackets > 20, 15_000);
    const listed = await clients();
    assert.ok(listed.some((c) => c.id === session && c.type === 'rtc-play'), `session ${session} in /api/v1/clients: ${JSON.stringify(listed)}`);
    const del = await fetch(`http://127.0.0.1:${server.ports.api}${location}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await waitFor('the client record to go', async () => !(await clients()).some((c) => c.id === session));
    await page.close();
  });

  test('/rtc/v1/play/: Chromium decodes; a kick through the API ends the session', async () => {
    const page = await apiPage();
    const { session } = await startPlay(page, 'play');
    const s = await waitDecoding(page, 10);
    assert.equal(s.remote, '127.0.0.1');
    assert.ok((await clients()).some((c) => c.id === session && c.type === 'rtc-play'));
    const kick = await fetch(`http://127.0.0.1:${server.ports.api}/api/v1/clients/${session}`, { method: 'DELETE' });
    assert.equal(kick.status, 200);
    await waitFor('the kicked client to go', async () => !(await clients()).some((c) => c.id === session));
    await server.waitForLog(new RegExp(`rtc session ${session} closed: kicked`));
    await page.close();
  });

  test('5% RTP loss through a relay: the browser NACKs, the server retransmits, no freeze', async () => {
    const relay = await lossyRelay(udpPort);
    try {
      const page = await apiPage();
      const { session, location } = await startPlay(page, 'whep', `&eip=127.0.0.1:${relay.port}`);
      const s = await waitDecoding(page, 75);
      assert.equal(s.remote, '127.0.0.1');
      const rtp = await page.evaluate(async () => {
        const stats = await (window as unknown as { pc: RTCPeerConnection }).pc.getStats();
        let out = { nackCount: 0, freezeCount: 0, packetsLost: 0 };
        stats.forEach((x: Record<string, unknown>) => {
          if (x['type'] === 'inbound-rtp' && x['kind'] === 'video') out = { nackCount: Number(x['nackCount']), freezeCount: Number(x['freezeCount'] ?? 0), packetsLost: Number(x['packetsLost']) };
        });
        return out;
      });
      assert.ok(relay.dropped() > 0, 'the relay dropped packets');
      assert.ok(rtp.nackCount > 0, `browser sent NACKs: ${JSON.stringify(rtp)}`);
      assert.equal(rtp.freezeCount, 0, `no freeze: ${JSON.stringify(rtp)}`);
      await fetch(`http://127.0.0.1:${server.ports.api}${location}`, { method: 'DELETE' });
      const m = await server.waitForLog(new RegExp(`\\[${session}\\] rtc play /live/cam ended: WHEP DELETE; sent \\d+ RTP packets, retransmitted (\\d+)`));
      assert.ok(Number(m[1]) > 0, 'server retransmitted');
      await page.close();
    } finally {
      relay.close();
    }
  });

  test('a bad offer: WHEP answers 400 with the reason, /rtc/v1/play/ code 400 with a msg', async () => {
    const before = (await clients()).filter((c) => c.type === 'rtc-play').length;
    const whep = await fetch(`http://127.0.0.1:${server.ports.api}/rtc/v1/whep/?app=live&stream=cam`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: 'v=0\r\nthis is not sdp\r\n' });
    assert.equal(whep.status, 400);
    assert.match(await whep.text(), /SDP/);
    const play = await fetch(`http://127.0.0.1:${server.ports.api}/rtc/v1/play/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ streamurl: 'webrtc://127.0.0.1/live/cam', sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' }),
    });
    const j = (await play.json()) as { code: number; msg: string };
    assert.equal(j.code, 400);
    assert.match(j.msg, /SDP|ice|fingerprint/i);
    assert.equal((await clients()).filter((c) => c.type === 'rtc-play').length, before, 'no client record for a refused offer');
  });
});
