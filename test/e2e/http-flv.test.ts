// HTTP live remux end to end: HTTP-FLV, HTTP-TS, HTTP-AAC, HTTP-MP3 and WebSocket-FLV from an RTMP publish.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocket } from 'ws';
import { RawRtmpClient } from './rtmp-client.js';
import { MessageType } from '../../src/protocol/rtmp/message.js';
import { ffmpegPublish, probeFrames, probeStreams, rtmpConf, run, startServer, type RunningServer } from './harness.js';

let server: RunningServer;
let rtmp: string;
let web: string;

before(async () => {
  server = await startServer((p) =>
    rtmpConf(
      p,
      'http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }',
      `http_server { enabled on; listen ${p.http}; dir ./; }
vhost ts.test { http_remux { enabled on; mount /[app]/[stream].ts; } }
vhost aac.test { http_remux { enabled on; mount /[app]/[stream].aac; } }
vhost mp3.test { http_remux { enabled on; mount /[app]/[stream].mp3; } }
vhost fast.test { http_remux { enabled on; mount [vhost]/[app]/[stream].aac; fast_cache 3; } }`,
    ),
  );
  rtmp = `rtmp://127.0.0.1:${server.ports.rtmp}`;
  web = `http://127.0.0.1:${server.ports.http}`;
});

after(async () => {
  await server.stop();
});

const kinds = (s: { codec_type: string; codec_name: string }[]): string[] =>
  s.filter((x) => x.codec_type !== 'data').map((x) => `${x.codec_type}:${x.codec_name}`).sort();

describe('formats', () => {
  for (const [name, vhost, kind, ext, expected] of [
    ['HTTP-FLV', '', 'h264-aac', 'flv', ['audio:aac', 'video:h264']],
    ['HTTP-TS', 'ts.test', 'h264-aac', 'ts', ['audio:aac', 'video:h264']],
    ['HTTP-AAC', 'aac.test', 'h264-aac', 'aac', ['audio:aac']],
    ['HTTP-MP3', 'mp3.test', 'h264-mp3', 'mp3', ['audio:mp3']],
  ] as const) {
    test(`${name}: ffprobe reads the live .${ext} and ffmpeg decodes it cleanly`, async () => {
      const stream = `fmt${ext}`;
      const pub = ffmpegPublish(`${rtmp}/live/${stream}${vhost ? `?vhost=${vhost}` : ''}`, kind);
      try {
        await server.waitForLog(new RegExp(`publish ${vhost ? vhost.replace('.', '\\.') : ''}/live/${stream}\\b`));
        assert.deepEqual(kinds(await probeStreams(`${web}/live/${stream}.${ext}`)), [...expected]);
        const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', `${web}/live/${stream}.${ext}`, '-t', '2', '-f', 'null', '-'], 30_000);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr.trim(), '');
      } finally {
        await pub.stop();
      }
    });
  }
});

/** The first bytes of a live .flv response. */
function flvHead(url: string, n = 13): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let buf = Buffer.alloc(0);
      res.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (buf.length >= n) {
          req.destroy();
          resolve(buf.subarray(0, n));
        }
      });
    });
    req.on('error', (e) => (e.message.includes('aborted') ? undefined : reject(e)));
  });
}

describe('FLV header flags (guess_has_av)', () => {
  for (const [kind, flags] of [
    ['aac', 0x04],
    ['h264', 0x01],
    ['h264-aac', 0x05],
  ] as const) {
    test(`${kind}: the header announces exactly the tracks the stream has`, async () => {
      const stream = `flags-${kind}`;
      const pub = ffmpegPublish(`${rtmp}/live/${stream}`, kind);
      try {
        await server.waitForLog(new RegExp(`publish /live/${stream}\\b`));
        // Sequence headers arrive right after publish; wait until the source has them (a viewer then guesses).
        await probeStreams(`${rtmp}/live/${stream}`);
        const head = await flvHead(`${web}/live/${stream}.flv`);
        assert.equal(head.subarray(0, 3).toString(), 'FLV');
        assert.equal(head[4], flags);
      } finally {
        await pub.stop();
      }
    });
  }
});

describe('viewers', () => {
  test('20 HTTP-FLV viewers at once all start on a keyframe', async () => {
    const pub = ffmpegPublish(`${rtmp}/live/many`);
    try {
      await server.waitForLog(/publish \/live\/many\b/);
      const all = await Promise.all(Array.from({ length: 20 }, () => probeFrames(`${web}/live/many.flv`, 'v', 10, 40_000)));
      for (const frames of all) {
        assert.ok(frames.length >= 10);
        assert.equal(frames[0]!.keyFrame, true);
      }
    } finally {
      await pub.stop();
    }
  });

  test('a WebSocket-FLV client receives the FLV header and tags', async () => {
    const pub = ffmpegPublish(`${rtmp}/live/wsflv`);
    try {
      await server.waitForLog(/publish \/live\/wsflv\b/);
      const ws = new WebSocket(`ws://127.0.0.1:${server.ports.http}/live/wsflv.flv`);
      const data: Buffer[] = [];
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no data over the WebSocket')), 15_000);
        ws.on('message', (m: Buffer) => {
          data.push(m);
          if (Buffer.concat(data).length > 50_000) {
            clearTimeout(t);
            resolve();
          }
        });
        ws.on('error', reject);
      });
      ws.close();
      const bytes = Buffer.concat(data);
      assert.equal(bytes.subarray(0, 3).toString(), 'FLV');
      // Walk the tags: the first video tag is an AVC sequence header, and the structure is intact.
      let pos = 13;
      let tags = 0;
      let firstVideo: Buffer | null = null;
      while (pos + 11 <= bytes.length) {
        const size = bytes.readUIntBE(pos + 1, 3);
        if (pos + 11 + size + 4 > bytes.length) break;
        if (bytes[pos] === 9 && !firstVideo) firstVideo = bytes.subarray(pos + 11, pos + 11 + size);
        assert.equal(bytes.readUInt32BE(pos + 11 + size), size + 11, `PreviousTagSize after tag ${tags}`);
        pos += 11 + size + 4;
        tags++;
      }
      assert.ok(tags > 20, `${tags} tags`);
      assert.equal(firstVideo?.[0], 0x17);
      assert.equal(firstVideo?.[1], 0);
    } finally {
      await pub.stop();
    }
  });

  test('the response ends cleanly when the publisher leaves; a viewer that leaves is cleaned up', async () => {
    const pub = ffmpegPublish(`${rtmp}/live/ending`);
    await server.waitForLog(/publish \/live\/ending\b/);
    let flowing: () => void = () => {};
    const mediaFlows = new Promise<void>((r) => (flowing = r));
    const ended = new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      http
        .get(`${web}/live/ending.flv`, (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            if (bytes > 10_000) flowing();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    await mediaFlows;
    await pub.stop();
    const r = await ended;
    assert.equal(r.status, 200);
    assert.ok(r.bytes > 10_000, `${r.bytes} bytes`);
    await server.waitForLog(/HTTP FLV http viewer closed: stream unpublished/);
  });

  test('a viewer before the publisher gets 200 and the stream when it starts', async () => {
    const probe = probeStreams(`${web}/live/early.flv`, 30_000);
    await server.waitForLog(/HTTP FLV http play \/live\/early.*waiting for the publisher/);
    const pub = ffmpegPublish(`${rtmp}/live/early`);
    try {
      assert.deepEqual(kinds(await probe), ['audio:aac', 'video:h264']);
    } finally {
      await pub.stop();
    }
  });
});

describe('fast_cache', () => {
  test('a new HTTP-AAC listener gets the last fast_cache seconds of audio at once', async () => {
    // A scripted publisher sends 5 s of AAC frames in one burst, then stays connected.
    const pub = await RawRtmpClient.open(server.ports.rtmp);
    try {
      const sid = await pub.connectApp(`rtmp://127.0.0.1:${server.ports.rtmp}/live?vhost=fast.test`);
      pub.call(sid, 'publish', null, 'radio', 'live');
      await pub.waitForStatus('NetStream.Publish.Start');
      pub.send({ typeId: MessageType.Audio, streamId: sid, timestamp: 0, chunkStreamId: 7, payload: Buffer.from([0xaf, 0, 0x12, 0x10]) });
      for (let ts = 0; ts <= 5000; ts += 23) {
        pub.send({ typeId: MessageType.Audio, streamId: sid, timestamp: ts, chunkStreamId: 7, payload: Buffer.concat([Buffer.from([0xaf, 1]), Buffer.alloc(100, ts & 0xff)]) });
      }
      await server.waitForLog(/publish fast\.test\/live\/radio\b/);
      // Listen until the cached audio has arrived: about 3 s / 23 ms = 130 ADTS frames of 107 bytes.
      const frames = await new Promise<number>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: server.ports.http, path: '/live/radio.aac', headers: { Host: 'fast.test' } }, (res) => {
          let buf = Buffer.alloc(0);
          const t = setTimeout(() => {
            req.destroy();
            resolve(count(buf));
          }, 3000);
          res.on('data', (c: Buffer) => {
            buf = Buffer.concat([buf, c]);
            if (count(buf) >= 120) {
              clearTimeout(t);
              req.destroy();
              resolve(count(buf));
            }
          });
        });
        req.on('error', reject);
      });
      assert.ok(frames >= 120, `only ${frames} ADTS frames arrived from the cache`);
    } finally {
      pub.close();
    }
  });
});

/** ADTS frames in a buffer (sync word 0xFFF, 7-byte header + 100-byte payload here). */
function count(b: Buffer): number {
  let n = 0;
  for (let i = 0; i + 7 <= b.length; ) {
    if (b[i] !== 0xff || (b[i + 1]! & 0xf0) !== 0xf0) break;
    const len = ((b[i + 3]! & 3) << 11) | (b[i + 4]! << 3) | (b[i + 5]! >> 5);
    if (len < 7 || i + len > b.length) break;
    n++;
    i += len;
  }
  return n;
}
