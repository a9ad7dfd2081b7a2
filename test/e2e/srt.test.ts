// SRT server end to end (issue 14): ffmpeg publishes MPEG-TS over SRT and the stream decodes over RTMP,
// HTTP-FLV and HLS; an RTMP-published stream plays over SRT (one TS mux shared by the SRT viewers);
// srt-live-transmit publishes with a passphrase and a wrong one is refused; garbage datagrams on the SRT
// port harm nobody; the SRT publisher shows in /api/v1/clients and a kick ends it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { clientProcess, ffmpegPublish, freePort, type FfmpegPlayer, httpConf, probeStreams, run, startServer, type RunningServer } from './harness.js';
import { join } from 'node:path';
import { pollUntil, readPlaylist } from './hls-helpers.js';
import { eventually, getJson, request, within, type Json } from './http-helpers.js';

const PASSPHRASE = 'correct-horse-battery';

/** A client tool child (the harness's handle). */
type Proc = FfmpegPlayer;
const spawnProc = clientProcess;

const SOURCE = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100'];
const ENCODE = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k'];

/** ffmpeg (libsrt caller) publishing a live stream over SRT; its `latency` option is in microseconds. */
function srtPublish(port: number, streamId: string): Proc {
  return spawnProc('ffmpeg', [...SOURCE, ...ENCODE, '-f', 'mpegts', `srt://127.0.0.1:${port}?streamid=${streamId}&latency=200000`]);
}

/** ffmpeg's TS piped into srt-live-transmit (latency in ms), which publishes it over SRT. */
function sltPublish(port: number, query: string): Proc & { feeder: ChildProcess } {
  const feeder = spawn('ffmpeg', [...SOURCE, ...ENCODE, '-f', 'mpegts', '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const slt = spawn('srt-live-transmit', ['-q', '-a:no', '-c:1316', 'file://con', `srt://127.0.0.1:${port}?${query}`], { stdio: ['pipe', 'ignore', 'pipe'] });
  feeder.stdout!.pipe(slt.stdin!);
  slt.stdin!.on('error', () => {});
  let err = '';
  slt.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => slt.on('close', (code) => r(code)));
  return {
    proc: slt,
    feeder,
    exited,
    stderr: () => err,
    stop: async () => {
      feeder.kill('SIGKILL');
      if (slt.exitCode === null && slt.signalCode === null) slt.kill('SIGKILL');
      await exited;
    },
  };
}

/** Decode `seconds` of a live URL with ffmpeg; any decode error fails. */
async function decode(url: string, seconds = 2): Promise<void> {
  const r = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-rw_timeout', '15000000', '-i', url, '-t', String(seconds), '-f', 'null', '-'], 30_000);
  assert.equal(r.code, 0, `decode ${url}: ${r.stderr}`);
  assert.equal(r.stderr.trim(), '', `decode errors from ${url}`);
}

async function assertAv(url: string): Promise<void> {
  const streams = await probeStreams(url, 25_000);
  // RTMP shows onMetaData as a data stream; only the media streams matter here.
  const types = streams.filter((s) => s.codec_type !== 'data').map((s) => `${s.codec_type}:${s.codec_name}`).sort();
  assert.deepEqual(types, ['audio:aac', 'video:h264'], `${url}: ${JSON.stringify(streams)}`);
}

async function clients(srv: RunningServer): Promise<Json[]> {
  const { json } = await getJson(`http://127.0.0.1:${srv.ports.api}/api/v1/clients/?count=100`);
  return json.clients as Json[];
}

async function published(srv: RunningServer, name: string): Promise<boolean> {
  const { json } = await getJson(`http://127.0.0.1:${srv.ports.api}/api/v1/streams/?count=100`);
  return (json.streams as Json[]).some((s) => s.name === name && s.publish?.active === true);
}

function srtConf(port: number, extra = ''): (p: Parameters<typeof httpConf>[0]) => string {
  return (p) =>
    httpConf(p, {
      vhostBody: 'hls { enabled on; hls_fragment 1; hls_window 10; hls_path ./html; }',
      extra: `srt_server { enabled on; listen ${port}; default_app live; ${extra} }`,
    });
}

describe('SRT server: publish and play over SRT', { timeout: 120_000 }, () => {
  let srv: RunningServer;
  let srtPort: number;
  const procs: { stop(): Promise<void> }[] = [];
  let publisher: Proc;

  before(async () => {
    srtPort = await freePort();
    srv = await startServer(srtConf(srtPort));
    await srv.waitForLog(/srt: listen at udp:\/\/0\.0\.0\.0:\d+/);
    publisher = srtPublish(srtPort, '#!::r=live/s,m=publish');
    procs.push(publisher);
    procs.push(ffmpegPublish(`rtmp://127.0.0.1:${srv.ports.rtmp}/live/r`));
    await eventually(async () => ((await published(srv, 's')) && (await published(srv, 'r')) ? true : undefined), 'both streams published', 20_000);
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await srv?.stop();
  });

  test('an SRT-published stream decodes over RTMP, HTTP-FLV and HLS', async () => {
    await assertAv(`rtmp://127.0.0.1:${srv.ports.rtmp}/live/s`);
    await decode(`rtmp://127.0.0.1:${srv.ports.rtmp}/live/s`);
    await decode(`http://127.0.0.1:${srv.ports.http}/live/s.flv`);
    const m3u8 = `http://127.0.0.1:${srv.ports.http}/live/s.m3u8`;
    await pollUntil('s.m3u8 with a segment', () => (readPlaylist(join(srv.dir, 'html', 'live', 's.m3u8'))?.entries.length ?? 0) >= 1, 20_000, 200);
    await assertAv(m3u8);
  });

  test('an RTMP-published stream plays over SRT (m=request and a bare id), two viewers share one mux', async () => {
    const a = `srt://127.0.0.1:${srtPort}?streamid=#!::r=live/r,m=request`;
    const b = `srt://127.0.0.1:${srtPort}?streamid=live/r`;
    await Promise.all([assertAv(a), decode(b)]);
  });

  test('garbage datagrams on the SRT port: logged, no crash, the streams still play', async () => {
    const sock = dgram.createSocket('udp4');
    const junk = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(16, 0xff), Buffer.alloc(64, 0x80), Buffer.alloc(1500, 0x47)];
    for (let i = 0; i < 50; i++) {
      const b = Buffer.alloc(16 + ((i * 37) % 200));
      for (let j = 0; j < b.length; j++) b[j] = (i * 131 + j * 17) & 0xff;
      b[0] = i % 2 ? 0x80 : 0x00;
      junk.push(b);
    }
    for (const j of junk) await new Promise<void>((r) => sock.send(j, srtPort, '127.0.0.1', () => r()));
    sock.close();
    await srv.waitForLog(/srt: dropped a datagram from 127\.0\.0\.1/, 10_000);
    assert.equal(srv.proc.exitCode, null, 'server alive');
    await assertAv(`srt://127.0.0.1:${srtPort}?streamid=live/r`);
    assert.ok(await published(srv, 's'), 'the SRT publish went on');
  });

  test('the SRT publisher is listed in /api/v1/clients and a kick ends its publish', async () => {
    const c = await eventually(async () => (await clients(srv)).find((x) => x.type === 'srt-publish' && x.name === 's'), 'srt-publish client', 10_000);
    assert.equal(c.publish, true);
    assert.equal(c.ip, '127.0.0.1');
    assert.equal(typeof c.srt?.rtt_ms, 'number', JSON.stringify(c));
    assert.equal(c.srt.latency_ms, 200, 'the larger latency wins (ffmpeg asked 200 ms)');
    assert.equal(typeof c.srt.recv_retransmitted, 'number');
    await eventually(async () => ((await clients(srv)).find((x) => x.id === c.id)?.recv_bytes > 0 ? true : undefined), 'recv_bytes > 0', 10_000);
    const del = await request(`http://127.0.0.1:${srv.ports.api}/api/v1/clients/${c.id}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await eventually(async () => (!(await clients(srv)).some((x) => x.id === c.id) && !(await published(srv, 's')) ? true : undefined), 'kicked publisher gone', 10_000);
    // The SRT connection was shut down: ffmpeg's next send fails and it exits.
    await within(publisher.exited, 15_000, 'ffmpeg exits after the kick');
  });
});

describe('SRT server with a passphrase', { timeout: 60_000 }, () => {
  let srv: RunningServer;
  let srtPort: number;
  const procs: { stop(): Promise<void> }[] = [];

  before(async () => {
    srtPort = await freePort();
    srv = await startServer(srtConf(srtPort, `passphrase ${PASSPHRASE}; pbkeylen 16;`));
    await srv.waitForLog(/srt: listen at/);
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await srv?.stop();
  });

  test('srt-live-transmit publishes with the passphrase; the stream decodes over RTMP', async () => {
    const p = sltPublish(srtPort, `passphrase=${PASSPHRASE}&latency=200&streamid=#!::r=live/enc,m=publish`);
    procs.push(p);
    await eventually(async () => ((await published(srv, 'enc')) ? true : undefined), 'encrypted stream published', 20_000);
    await assertAv(`rtmp://127.0.0.1:${srv.ports.rtmp}/live/enc`);
  });

  test('a wrong passphrase is refused', async () => {
    const p = sltPublish(srtPort, `passphrase=wrong-horse-battery&streamid=#!::r=live/bad,m=publish`);
    procs.push(p);
    await srv.waitForLog(/srt: 127\.0\.0\.1:\d+ rejected \(1010\)/, 15_000);
    assert.doesNotMatch(srv.output(), /publish live\/bad/);
    assert.equal(await published(srv, 'bad'), false);
    await p.stop();
  });
});
