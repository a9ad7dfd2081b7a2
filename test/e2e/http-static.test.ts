// Static files and HTTPS end to end: MIME types, index pages, HEAD, Range, MP4/FLV VOD seek, vhost
// http_static mounts, /console/ on the API port, HTTPS for files, API and live HTTP-FLV, path traversal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { ffmpegPublish, freePort, httpConf, probeStreams, repoRoot, startServerWith, type RunningServer } from './harness.js';
import { getJson, rawExchange, request, within } from './http-helpers.js';

let server: RunningServer;
let base: string;
let api: string;
let httpsPort: number;
let apiHttpsPort: number;
let ca: Buffer;
const big = Buffer.alloc(2 * 1024 * 1024 + 123);
for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;
const fixture = (name: string): string => join(repoRoot(), 'test', 'fixtures', name);

/** Offsets of the FLV tags of a file: [start of tag, tag type]. */
function flvTags(bytes: Buffer): { offset: number; type: number; end: number }[] {
  const tags: { offset: number; type: number; end: number }[] = [];
  let pos = 13;
  while (pos + 11 <= bytes.length) {
    const size = bytes.readUIntBE(pos + 1, 3);
    const end = pos + 11 + size + 4;
    tags.push({ offset: pos, type: bytes[pos]! & 0x1f, end });
    pos = end;
  }
  return tags;
}

/** Start with two more ports for HTTPS; a port the harness also picked makes the start fail, so retry. */
async function startWithHttps(): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    httpsPort = await freePort();
    do apiHttpsPort = await freePort();
    while (apiHttpsPort === httpsPort);
    try {
      return await startOnce();
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

before(async () => {
  server = await startWithHttps();
  base = `http://127.0.0.1:${server.ports.http}`;
  api = `http://127.0.0.1:${server.ports.api}`;
  ca = readFileSync(join(server.dir, 'server.crt'));
});

function startOnce(): Promise<RunningServer> {
  return startServerWith(
    (p) =>
      httpConf(p, {
        server: `https { enabled on; listen ${httpsPort}; key ./server.key; cert ./server.crt; }`,
        api: `https { enabled on; listen ${apiHttpsPort}; key ./server.key; cert ./server.crt; }`,
        vhostBody: 'http_static { enabled on; mount [vhost]/files/; dir ./files; }',
        extra: 'vhost static.test { http_static { enabled on; mount [vhost]/; dir ./[vhost]; } }',
      }),
    {
      prepare: (dir) => {
        execFileSync('openssl', [
          'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
          '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt'),
        ], { stdio: 'ignore' });
        const html = join(dir, 'html');
        mkdirSync(join(html, 'players'), { recursive: true });
        mkdirSync(join(html, 'console'));
        mkdirSync(join(html, 'live'));
        mkdirSync(join(dir, 'files'));
        mkdirSync(join(dir, 'static.test'));
        writeFileSync(join(html, 'index.html'), '<h1>tsrs root</h1>');
        writeFileSync(join(html, 'players', 'index.html'), '<h1>players</h1>');
        writeFileSync(join(html, 'players', 'app.js'), 'console.log(1);');
        writeFileSync(join(html, 'players', 'app.css'), 'body{}');
        writeFileSync(join(html, 'players', 'data.json'), '{}');
        writeFileSync(join(html, 'players', 'mod.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
        writeFileSync(join(html, 'console', 'en_index.html'), '<h1>console</h1>');
        writeFileSync(join(html, 'live', 'a.m3u8'), '#EXTM3U\n#EXT-X-VERSION:3\n');
        writeFileSync(join(html, 'live', 'a-1.ts'), Buffer.alloc(188 * 4, 0x47));
        writeFileSync(join(html, 'live', 'a.mpd'), '<MPD/>');
        writeFileSync(join(html, 'live', 'video-1.m4s'), Buffer.alloc(16));
        writeFileSync(join(html, 'live', 'a-1.key'), Buffer.alloc(16, 1));
        writeFileSync(join(html, 'big.bin'), big);
        copyFileSync(fixture('h264-aac.flv'), join(html, 'vod.flv'));
        copyFileSync(fixture('h265.mp4'), join(html, 'vod.mp4'));
        writeFileSync(join(dir, 'files', 'readme.txt'), 'from the vhost mount');
        writeFileSync(join(dir, 'static.test', 'index.html'), '<h1>static.test</h1>');
      },
    },
  );
}

after(async () => {
  await server?.stop();
});

describe('static files', () => {
  test('GET / and GET /dir/ serve index.html', async () => {
    const r = await request(`${base}/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html');
    assert.equal(r.text, '<h1>tsrs root</h1>');
    assert.equal((await request(`${base}/players/`)).text, '<h1>players</h1>');
    const redirect = await request(`${base}/players?autostart=true`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, '/players/?autostart=true');
  });

  test('MIME types', async () => {
    const cases: [string, string][] = [
      ['/players/app.js', 'text/javascript'],
      ['/players/app.css', 'text/css'],
      ['/players/data.json', 'application/json'],
      ['/players/mod.wasm', 'application/wasm'],
      ['/live/a.m3u8', 'application/vnd.apple.mpegurl'],
      ['/live/a-1.ts', 'video/MP2T'],
      ['/live/a.mpd', 'application/dash+xml'],
      ['/live/video-1.m4s', 'video/iso.segment'],
      ['/live/a-1.key', 'application/octet-stream'],
      ['/vod.flv', 'video/x-flv'],
      ['/vod.mp4', 'video/mp4'],
    ];
    for (const [path, type] of cases) assert.equal((await request(`${base}${path}`, { method: 'HEAD' })).headers['content-type'], type, path);
  });

  test('HEAD: headers, no body', async () => {
    const r = await request(`${base}/big.bin`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(big.length));
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.equal(r.body.length, 0);
  });

  test('Range requests: 206 with Content-Range, 416 past the end', async () => {
    const r = await request(`${base}/big.bin`, { headers: { Range: 'bytes=1000-1999' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes 1000-1999/${big.length}`);
    assert.ok(r.body.equals(big.subarray(1000, 2000)));
    const suffix = await request(`${base}/big.bin`, { headers: { Range: 'bytes=-100' } });
    assert.ok(suffix.body.equals(big.subarray(big.length - 100)));
    const bad = await request(`${base}/big.bin`, { headers: { Range: `bytes=${big.length}-` } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], `bytes */${big.length}`);
  });

  test('parallel large downloads all arrive intact', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => request(`${base}/big.bin`)));
    for (const r of all) assert.ok(r.body.equals(big));
  });

  test('MP4 VOD seek with ?range= and ?bytes=', async () => {
    const file = readFileSync(fixture('h265.mp4'));
    const r = await request(`${base}/vod.mp4?range=100-299`);
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-type'], 'video/mp4');
    assert.equal(r.headers['content-range'], `bytes 100-299/${file.length}`);
    assert.ok(r.body.equals(file.subarray(100, 300)));
    const open = await request(`${base}/vod.mp4?bytes=8000-`);
    assert.ok(open.body.equals(file.subarray(8000)));
  });

  test('FLV VOD seek with ?start=: header + sequence headers + the file from the offset, still playable', async () => {
    const file = readFileSync(fixture('h264-aac.flv'));
    const tags = flvTags(file);
    const av = tags.filter((t) => t.type === 8 || t.type === 9);
    const firstVideo = av.find((t) => t.type === 9)!;
    const firstAudio = av.find((t) => t.type === 8)!;
    const shStart = Math.min(firstVideo.offset, firstAudio.offset);
    const shEnd = Math.max(firstVideo.end, firstAudio.end);
    const seekTo = av[Math.floor(av.length / 2)]!.offset;
    const r = await request(`${base}/vod.flv?start=${seekTo}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'video/x-flv');
    const expected = Buffer.concat([file.subarray(0, 13), file.subarray(shStart, shEnd), file.subarray(seekTo)]);
    assert.equal(r.headers['content-length'], String(expected.length));
    assert.ok(r.body.equals(expected));
    const streams = await probeStreams(`${base}/vod.flv?start=${seekTo}`);
    assert.deepEqual(streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.equal((await request(`${base}/vod.flv?start=${file.length + 10}`)).status, 416);
  });

  test('missing files → 404 Not Found', async () => {
    const r = await request(`${base}/nope/nothing.html`);
    assert.equal(r.status, 404);
    assert.equal(r.text, 'Not Found');
  });

  test('no way out of the web root: .., encoded dots, backslashes, NUL', async () => {
    const attempts = [
      'GET /../test.conf HTTP/1.1',
      'GET /live/../../server.key HTTP/1.1',
      'GET /%2e%2e/server.key HTTP/1.1',
      'GET /live/%2E%2e/%2e%2E/server.key HTTP/1.1',
      'GET /..%5cserver.key HTTP/1.1',
      'GET /live%5c..%5c..%5cserver.key HTTP/1.1',
      'GET /index.html%00.txt HTTP/1.1',
      'GET /%5c%5c/server.key HTTP/1.1',
    ];
    for (const line of attempts) {
      const r = await rawExchange(server.ports.http, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(r.text, /^HTTP\/1\.1 (400|404) /, line);
      assert.doesNotMatch(r.text, /PRIVATE KEY/, line);
    }
  });

  test('keep-alive: several requests on one connection', async () => {
    const r = await rawExchange(
      server.ports.http,
      'GET /players/app.js HTTP/1.1\r\nHost: x\r\n\r\nHEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /players/app.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.equal(r.text.match(/HTTP\/1\.1 200 OK/g)?.length, 3);
    assert.match(r.text, /console\.log\(1\);/);
    assert.match(r.text, /body\{\}$/);
  });

  test('vhost http_static mounts: a sub-directory mount and a host-bound one', async () => {
    assert.equal((await request(`${base}/files/readme.txt`)).text, 'from the vhost mount');
    assert.equal((await request(`${base}/files`)).status, 302);
    assert.equal((await request(`${base}/`, { headers: { Host: 'static.test' } })).text, '<h1>static.test</h1>');
    assert.equal((await request(`${base}/`, { headers: { Host: 'other.test' } })).text, '<h1>tsrs root</h1>');
  });

  test('/console/ on the API port is <http_server.dir>/console', async () => {
    const r = await request(`${api}/console/en_index.html`);
    assert.equal(r.status, 200);
    assert.equal(r.text, '<h1>console</h1>');
    assert.equal((await request(`${api}/console`)).status, 302);
  });

  test('CORS on static files when Origin is sent', async () => {
    const r = await request(`${base}/live/a.m3u8`, { headers: { Origin: 'http://player.example' } });
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['cache-control'], 'no-cache');
  });
});

describe('HTTPS', () => {
  test('static files over HTTPS (http_server.https)', async () => {
    const r = await request(`https://127.0.0.1:${httpsPort}/`, { ca });
    assert.equal(r.status, 200);
    assert.equal(r.text, '<h1>tsrs root</h1>');
    const range = await request(`https://127.0.0.1:${httpsPort}/big.bin`, { ca, headers: { Range: 'bytes=0-9' } });
    assert.ok(range.body.equals(big.subarray(0, 10)));
  });

  test('the API over HTTPS (http_api.https)', async () => {
    const { json } = await getJson(`https://127.0.0.1:${apiHttpsPort}/api/v1/versions`, { ca });
    assert.equal(json.data.version, '5.0.216');
  });

  test('an untrusted certificate is rejected by the client (it really is TLS)', async () => {
    await assert.rejects(request(`https://127.0.0.1:${httpsPort}/`));
  });

  test('plain HTTP on the HTTPS port only drops that connection', async () => {
    const r = await rawExchange(httpsPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 5000);
    assert.equal(r.closedByServer, true);
    assert.equal((await request(`https://127.0.0.1:${httpsPort}/`, { ca })).status, 200);
  });

  test('live HTTP-FLV over HTTPS', async () => {
    const pub = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/secure`);
    try {
      await server.waitForLog(/publish \/live\/secure\b/, 15_000);
      const received = await within(
        new Promise<Buffer>((resolve, reject) => {
          const req = https.get(`https://127.0.0.1:${httpsPort}/live/secure.flv`, { ca, agent: false }, (res) => {
            assert.equal(res.statusCode, 200);
            assert.equal(res.headers['content-type'], 'video/x-flv');
            const chunks: Buffer[] = [];
            let n = 0;
            res.on('data', (b: Buffer) => {
              chunks.push(b);
              n += b.length;
              if (n > 20_000) {
                req.destroy();
                resolve(Buffer.concat(chunks));
              }
            });
          });
          req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
        }),
        15_000,
        'HTTPS-FLV bytes',
      );
      assert.equal(received.subarray(0, 3).toString('latin1'), 'FLV');
    } finally {
      await pub.stop();
    }
  });
});

describe('the shipped web root', () => {
  let shipped: RunningServer;
  before(async () => {
    shipped = await startServerWith(
      (p) => `listen ${p.rtmp};
daemon off;
srs_log_tank console;
http_server { enabled on; listen ${p.http}; dir ${join(repoRoot(), 'html')}; }
vhost __defaultVhost__ { }
`,
    );
  });
  after(async () => {
    await shipped?.stop();
  });

  test('/players/ answers an index of the player pages (not 404), and every page it links exists', async () => {
    const web = `http://127.0.0.1:${shipped.ports.http}`;
    const r = await request(`${web}/players/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html');
    const links = [...r.text.matchAll(/href="([^"#]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).filter((l) => !l.startsWith('data:'));
    assert.ok(links.some((l) => l.startsWith('srs_player.html')), links.join(' '));
    for (const link of links) {
      const target = new URL(link, `${web}/players/`);
      assert.equal((await request(target.href)).status, 200, target.href);
    }
  });
});
