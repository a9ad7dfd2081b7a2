// The UDP caster over real loopback datagrams, with TS bytes made by our TS muxer from synthetic H.264 +
// AAC frames, a fake clock and recording hooks: garbage is never published, the first frames reach the
// source sequence headers first in the 90 kHz TS clock, a lost datagram (and a reordered pair) is a
// continuity error in the client record, silence past publish.normal_timeout unpublishes and the next
// datagrams publish again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { parseConfigText, type SrsConfig } from '../../config/index.js';
import { TsMuxer } from '../../kernel/format/mpegts/ts-muxer.js';
import { aacFrame, aacSequenceHeader, avcC, fill, videoFrame, videoSequenceHeader } from '../../kernel/format/mpegts/mpegts-test-helpers.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { casterTestContext } from './caster-test-helpers.js';
import { MpegtsUdpCaster } from './mpegts-udp-caster.js';

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** 2 s of 25 fps H.264 (IDR every 25 frames) and AAC, muxed to TS and cut into 1316-byte datagrams. */
function tsDatagrams(startMs = 0): Buffer[] {
  const mux = new TsMuxer();
  const parts: Buffer[] = [mux.mux(videoSequenceHeader(avcC())), mux.mux(aacSequenceHeader())];
  for (let i = 0; i < 50; i++) {
    const key = i % 25 === 0;
    parts.push(mux.mux(videoFrame([Buffer.concat([Buffer.from([key ? 0x65 : 0x41]), fill(600, i)])], startMs + i * 40, 0, key)));
    parts.push(mux.mux(aacFrame(fill(120, 1000 + i), startMs + Math.round((i * 1024 * 1000) / 44100))));
  }
  const ts = Buffer.concat(parts);
  const out: Buffer[] = [];
  for (let p = 0; p < ts.length; p += 1316) out.push(ts.subarray(p, Math.min(ts.length, p + 1316)));
  return out;
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('UDP caster: TS datagrams become one admitted publish; loss counted; silence unpublishes; the sender comes back', async () => {
  const port = await freeUdpPort();
  const config: SrsConfig = parseConfigText(
    `listen 1935; stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/livestream; listen ${port}; }
     vhost __defaultVhost__ { publish { normal_timeout 3000; } }`,
    'c.conf',
  );
  const t = casterTestContext(config);
  const { ctx, hooks, stats, lines } = t;
  const source = ctx.registry.obtain('__defaultVhost__', 'live', 'livestream', { gopCache: true, gopCacheMaxFrames: 2500, reduceSequenceHeader: false });
  const got: MediaFrame[] = [];
  source.addSink({ id: 'rec', offer: (f) => got.push(f) });
  const caster = new MpegtsUdpCaster(ctx, config.streamCasters[0]!, { exclusive: false, host: '127.0.0.1' });
  await caster.start();
  const sock = dgram.createSocket('udp4');
  const send = async (d: Buffer): Promise<void> => new Promise((r) => sock.send(d, port, '127.0.0.1', () => r()));
  try {
    // Garbage: logged, never published, no hook.
    await send(Buffer.from('not a transport stream'));
    await until('garbage log', () => lines.some((l) => /not MPEG-TS/.test(l)));
    assert.equal(source.isPublishing, false);
    assert.equal(hooks.calls.length, 0);

    // The stream, with one datagram of the middle lost and two later ones swapped (reordered).
    const datagrams = tsDatagrams();
    const lost = Math.floor(datagrams.length / 2);
    const order = datagrams.map((_, i) => i);
    [order[lost + 4], order[lost + 5]] = [order[lost + 5]!, order[lost + 4]!];
    for (const i of order) if (i !== lost) await send(datagrams[i]!);
    await until('frames published', () => got.filter((f) => f.kind === 'video').length >= 40);
    assert.equal(source.isPublishing, true);
    assert.deepEqual(
      hooks.calls.map((c) => c.action),
      ['on_connect', 'on_publish'],
    );
    assert.equal(hooks.calls[1]!.client.ip, '127.0.0.1');
    // Sequence headers first, as an RTMP publisher sends them; TS frames keep the 90 kHz clock.
    assert.ok(got[0]!.sequenceHeader && got[1]!.sequenceHeader, 'sequence headers first');
    assert.deepEqual(new Set([got[0]!.kind, got[1]!.kind]), new Set(['video', 'audio']));
    assert.ok(got.every((f) => f.timescale === 90000));
    const video = got.filter((f) => f.kind === 'video' && !f.sequenceHeader);
    assert.ok(video[0]!.keyframe);
    assert.ok(video.length < 50, 'the picture cut by the lost datagram is dropped');
    const record = stats.allClients().find((c) => c.stat.publish)!.stat;
    assert.equal(record.type, 'mpegts-caster');
    assert.equal(record.ip, '127.0.0.1');
    assert.ok(record.continuityErrors!() > 0, 'continuity errors counted');
    assert.equal(caster.continuityErrors, record.continuityErrors!());

    // Silence past publish.normal_timeout (3 s on the fake clock): unpublished. Every datagram is in
    // first, or a late one would restart the silence at the new time.
    const sent = datagrams.reduce((n, d, i) => n + (i === lost ? 0 : d.length), 0);
    await until('every datagram received', () => record.recvBytes() === sent);
    t.clock += 3500;
    await until('unpublish', () => !source.isPublishing);
    assert.ok(hooks.calls.some((c) => c.action === 'on_unpublish'));
    assert.ok(lines.some((l) => /publish\.normal_timeout 3000ms/.test(l)));
    assert.equal(stats.allClients().length, 0);

    // The sender comes back: a new publish, with its sequence headers again.
    const before = got.length;
    for (const d of tsDatagrams(5000)) await send(d);
    await until('republished', () => source.isPublishing && got.length - before > 40);
    assert.ok(got[before]!.sequenceHeader);
    assert.equal(hooks.calls.filter((c) => c.action === 'on_publish').length, 2);
    assert.equal(caster.continuityErrors, 0, 'a new session counts afresh');
  } finally {
    sock.close();
    await caster.stop();
  }
  assert.equal(source.isPublishing, false);
});
