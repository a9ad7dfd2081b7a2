import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import { DEFAULT_HTTP_LIMITS, HttpListener } from '../../transport/http-listener.js';
import { HttpMux } from './http-mux.js';
import {
  SMALL_FILE_BYTES,
  flvSequenceHeaderRange,
  mimeTypeOf,
  parseMp4QueryRange,
  parseRangeHeader,
  resolveStaticPath,
  staticFilesHandler,
  type MemoryFileLike,
} from './static-files.js';

const quiet: Logger = { cid: 't', verbose: () => {}, info: () => {}, trace: () => {}, warn: () => {}, error: () => {}, child: () => quiet };

describe('mimeTypeOf', () => {
  const cases: [string, string][] = [
    ['a.html', 'text/html'],
    ['a.js', 'text/javascript'],
    ['a.css', 'text/css'],
    ['a.json', 'application/json'],
    ['live/a.m3u8', 'application/vnd.apple.mpegurl'],
    ['a-1.ts', 'video/MP2T'],
    ['a.flv', 'video/x-flv'],
    ['a.mp4', 'video/mp4'],
    ['video-1.m4s', 'video/iso.segment'],
    ['a.mpd', 'application/dash+xml'],
    ['a-1.key', 'application/octet-stream'],
    ['a.aac', 'audio/x-aac'],
    ['a.mp3', 'audio/mpeg'],
    ['a.PNG', 'image/png'],
    ['a.jpg', 'image/jpeg'],
    ['a.ico', 'image/x-icon'],
    ['a.svg', 'image/svg+xml'],
    ['a.wasm', 'application/wasm'],
    ['noext', 'application/octet-stream'],
  ];
  for (const [file, type] of cases) test(`${file} → ${type}`, () => assert.equal(mimeTypeOf(file), type));
});

describe('resolveStaticPath', () => {
  const root = '/srv/html';
  test('maps paths under the root, dir/ → dir/index.html', () => {
    assert.equal(resolveStaticPath(root, '/', '/'), '/srv/html/index.html');
    assert.equal(resolveStaticPath(root, '/', '/live/a.m3u8'), '/srv/html/live/a.m3u8');
    assert.equal(resolveStaticPath(root, '/', '/players/'), '/srv/html/players/index.html');
    assert.equal(resolveStaticPath(root, '/', '/a%20b.txt'), '/srv/html/a b.txt');
  });
  test('strips the virtual directory of the mount (srs_http_fs_fullpath)', () => {
    assert.equal(resolveStaticPath(root, '/hls/', '/hls/live/a.ts'), '/srv/html/live/a.ts');
    assert.equal(resolveStaticPath(root, '/hls/', '/hls/'), '/srv/html/index.html');
    assert.equal(resolveStaticPath(root, 'ossrs.net/hls/', '/hls/x.html'), '/srv/html/x.html');
    assert.equal(resolveStaticPath('/srv/html/console', '/console/', '/console/en_index.html'), '/srv/html/console/en_index.html');
  });
  test('refuses anything that could leave the root', () => {
    for (const p of ['/../etc/passwd', '/a/../../etc/passwd', '/%2e%2e/etc/passwd', '/a/%2E%2E/%2e%2e/x', '/..%2fetc%2fpasswd', '/a%2f..%2f..%2fetc', '/a%5c..%5cb', '/a%00.html', '/%zz']) {
      assert.equal(resolveStaticPath(root, '/', p), null, p);
    }
  });
});

describe('parseRangeHeader', () => {
  test('byte ranges, open ends and suffixes', () => {
    assert.deepEqual(parseRangeHeader('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRangeHeader('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=90-200', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=-1000', 100), { start: 0, end: 99 });
  });
  test('unsatisfiable ranges → 416', () => {
    assert.equal(parseRangeHeader('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRangeHeader('bytes=500-600', 100), 'unsatisfiable');
    assert.equal(parseRangeHeader('bytes=-0', 100), 'unsatisfiable');
  });
  test('absent, malformed or multiple ranges → whole file', () => {
    assert.equal(parseRangeHeader(undefined, 100), null);
    assert.equal(parseRangeHeader('items=0-1', 100), null);
    assert.equal(parseRangeHeader('bytes=5-1', 100), null);
    assert.equal(parseRangeHeader('bytes=0-1,5-6', 100), null);
    assert.equal(parseRangeHeader('bytes=-', 100), null);
  });
});

describe('parseMp4QueryRange (SRS ?range= / ?bytes=)', () => {
  test('a-b inclusive, a- to the end', () => {
    assert.deepEqual(parseMp4QueryRange('10-19', 100), { start: 10, end: 19 });
    assert.deepEqual(parseMp4QueryRange('10-', 100), { start: 10, end: 99 });
    assert.deepEqual(parseMp4QueryRange('-5', 100), { start: 0, end: 5 });
    assert.deepEqual(parseMp4QueryRange('0-1000', 100), { start: 0, end: 99 });
  });
  test('bad input falls back to the whole file; past the end is 416', () => {
    assert.equal(parseMp4QueryRange('abc', 100), null);
    assert.equal(parseMp4QueryRange('20-10', 100), null);
    assert.equal(parseMp4QueryRange('200-', 100), 'unsatisfiable');
  });
});

/** A small FLV: header, onMetaData script tag, video sequence header, audio sequence header, then frames. */
function flvFile(): { bytes: Buffer; shStart: number; shEnd: number } {
  const tag = (type: number, body: Buffer): Buffer => {
    const h = Buffer.alloc(11);
    h[0] = type;
    h.writeUIntBE(body.length, 1, 3);
    const prev = Buffer.alloc(4);
    prev.writeUInt32BE(11 + body.length);
    return Buffer.concat([h, body, prev]);
  };
  const header = Buffer.from([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]);
  const meta = tag(18, Buffer.alloc(40, 2));
  const vsh = tag(9, Buffer.from([0x17, 0, 0, 0, 0, 1, 2, 3]));
  const ash = tag(8, Buffer.from([0xaf, 0, 0x12, 0x10]));
  const frames = Buffer.concat([tag(9, Buffer.alloc(100, 7)), tag(8, Buffer.alloc(20, 8)), tag(9, Buffer.alloc(100, 9))]);
  const shStart = header.length + meta.length;
  return { bytes: Buffer.concat([header, meta, vsh, ash, frames]), shStart, shEnd: shStart + vsh.length + ash.length };
}

describe('flvSequenceHeaderRange', () => {
  test('skips script tags and spans the first video and audio tags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsrs-flv-'));
    try {
      const f = flvFile();
      writeFileSync(join(dir, 'a.flv'), f.bytes);
      const h = await open(join(dir, 'a.flv'));
      try {
        assert.deepEqual(await flvSequenceHeaderRange(h, f.bytes.length), { start: f.shStart, end: f.shEnd });
      } finally {
        await h.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('static file serving over HTTP', () => {
  let dir: string;
  let outside: string;
  let listener: HttpListener;
  let base: string;
  const flv = flvFile();
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const mid = big.subarray(0, SMALL_FILE_BYTES); // read in one call
  // Files held in memory only (as the HLS cache holds them), to tell them from files on disk.
  const memSegment = Buffer.from('G'.repeat(376));
  const memory = new Map<string, MemoryFileLike>();
  let lookups = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsrs-static-'));
    outside = mkdtempSync(join(tmpdir(), 'tsrs-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    mkdirSync(join(dir, 'live'));
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'index.html'), '<h1>root</h1>');
    writeFileSync(join(dir, 'live', 'index.html'), '<h1>live</h1>');
    writeFileSync(join(dir, 'live', 'a.m3u8'), '#EXTM3U\n');
    writeFileSync(join(dir, 'digits.txt'), '0123456789');
    writeFileSync(join(dir, 'big.mp4'), big);
    writeFileSync(join(dir, 'vod.flv'), flv.bytes);
    writeFileSync(join(dir, 'mid.ts'), mid);
    const modified = new Date(Date.UTC(2024, 0, 2, 3, 4, 5)).toUTCString();
    memory.set(join(dir, 'live', 'mem-1.ts'), { bytes: memSegment, contentType: 'video/MP2T', modified });
    memory.set(join(dir, 'live', 'mem.m3u8'), { bytes: Buffer.from('#EXTM3U\nmem-1.ts\n'), contentType: 'application/vnd.apple.mpegurl', modified });
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'link.txt'));
    const mux = new HttpMux({ crossdomain: () => true, log: quiet });
    const lookup = (file: string): MemoryFileLike | undefined => {
      lookups++;
      return memory.get(file);
    };
    mux.handle('/', staticFilesHandler({ dir, log: quiet, memory: lookup }));
    mux.handle('/console/', staticFilesHandler({ dir: join(dir, 'live'), log: quiet }));
    listener = new HttpListener({ host: '127.0.0.1', port: 0, limits: DEFAULT_HTTP_LIMITS, onRequest: (req, res) => mux.serve(req, res) });
    await listener.listen();
    base = `http://127.0.0.1:${listener.port}`;
  });
  after(async () => {
    await listener.close(true);
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  test('GET / serves index.html with its MIME type and length', async () => {
    const r = await fetch(`${base}/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html');
    assert.equal(r.headers.get('content-length'), '13');
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.equal(await r.text(), '<h1>root</h1>');
  });

  test('GET /dir/ serves dir/index.html; /dir redirects to /dir/', async () => {
    assert.equal(await (await fetch(`${base}/live/`)).text(), '<h1>live</h1>');
    const r = await fetch(`${base}/live?x=1`, { redirect: 'manual' });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), '/live/?x=1');
    assert.equal((await fetch(`${base}/empty/`)).status, 404);
  });

  test('m3u8 MIME type and no-cache', async () => {
    const r = await fetch(`${base}/live/a.m3u8`);
    assert.equal(r.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
  });

  test('HEAD has the headers and no body', async () => {
    const r = await fetch(`${base}/digits.txt`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), '10');
    assert.equal(await r.text(), '');
  });

  test('Range: bytes= → 206 with Content-Range; past the end → 416', async () => {
    const r = await fetch(`${base}/digits.txt`, { headers: { Range: 'bytes=2-4' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), 'bytes 2-4/10');
    assert.equal(await r.text(), '234');
    const tail = await fetch(`${base}/digits.txt`, { headers: { Range: 'bytes=-3' } });
    assert.equal(await tail.text(), '789');
    const bad = await fetch(`${base}/digits.txt`, { headers: { Range: 'bytes=10-' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), 'bytes */10');
  });

  test('a large file streams intact', async () => {
    const r = await fetch(`${base}/big.mp4`);
    assert.equal(r.headers.get('content-type'), 'video/mp4');
    const body = Buffer.from(await r.arrayBuffer());
    assert.equal(body.length, big.length);
    assert.ok(body.equals(big));
  });

  test('a file up to SMALL_FILE_BYTES (one read, one write) arrives intact, with ranges and HEAD', async () => {
    const r = await fetch(`${base}/mid.ts`);
    assert.equal(r.headers.get('content-length'), String(mid.length));
    assert.ok(Buffer.from(await r.arrayBuffer()).equals(mid));
    const part = await fetch(`${base}/mid.ts`, { headers: { Range: 'bytes=1000-' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-${mid.length - 1}/${mid.length}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(mid.subarray(1000)));
    const head = await fetch(`${base}/big.mp4`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(big.length));
    assert.equal(await head.text(), '');
  });

  test('files held in memory are served from there with the headers of the disk path', async () => {
    const r = await fetch(`${base}/live/mem-1.ts`, { headers: { Origin: 'http://player.example' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'video/MP2T');
    assert.equal(r.headers.get('content-length'), '376');
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.equal(r.headers.get('last-modified'), 'Tue, 02 Jan 2024 03:04:05 GMT');
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.equal(r.headers.get('cache-control'), null);
    assert.ok(Buffer.from(await r.arrayBuffer()).equals(memSegment));
    const pl = await fetch(`${base}/live/mem.m3u8`);
    assert.equal(pl.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(pl.headers.get('cache-control'), 'no-cache');
    assert.equal(await pl.text(), '#EXTM3U\nmem-1.ts\n');
    const head = await fetch(`${base}/live/mem-1.ts`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), '376');
    assert.equal(await head.text(), '');
    const part = await fetch(`${base}/live/mem-1.ts`, { headers: { Range: 'bytes=370-' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 370-375/376');
    assert.equal(await part.text(), 'GGGGGG');
    assert.equal((await fetch(`${base}/live/mem-1.ts`, { headers: { Range: 'bytes=376-' } })).status, 416);
    assert.equal((await fetch(`${base}/live/mem-1.ts`, { method: 'POST', body: 'x' })).status, 405);
    // A mount without the memory lookup reads the disk only; misses fall through to the disk.
    assert.equal((await fetch(`${base}/console/mem-1.ts`)).status, 404);
    const before = lookups;
    assert.equal(await (await fetch(`${base}/live/a.m3u8`)).text(), '#EXTM3U\n');
    assert.equal(lookups, before + 1);
  });

  test('a memory file is one write of the shared buffer, never a copy', async () => {
    const bytes = Buffer.from('shared');
    const handler = staticFilesHandler({ dir, log: quiet, memory: () => ({ bytes, contentType: 'video/MP2T', modified: 'x' }) });
    const ends: unknown[] = [];
    let writes = 0;
    const res = { writeHead: () => res, write: () => void writes++, end: (b?: unknown) => void ends.push(b) };
    const req = { method: 'GET', headers: {} };
    const url = new URL('http://h/live/x.ts');
    await handler(req as never, res as never, { pattern: '/', url });
    assert.equal(writes, 0);
    assert.equal(ends.length, 1);
    assert.equal(ends[0], bytes);
  });

  test('MP4 ?range= and ?bytes= VOD seek', async () => {
    const r = await fetch(`${base}/big.mp4?range=100-199`);
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes 100-199/${big.length}`);
    assert.ok(Buffer.from(await r.arrayBuffer()).equals(big.subarray(100, 200)));
    const b = await fetch(`${base}/big.mp4?bytes=${big.length - 5}-`);
    assert.ok(Buffer.from(await b.arrayBuffer()).equals(big.subarray(big.length - 5)));
  });

  test('FLV ?start= sends the FLV header and sequence headers, then the file from the offset', async () => {
    const offset = flv.shEnd + 10;
    const r = await fetch(`${base}/vod.flv?start=${offset}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'video/x-flv');
    const body = Buffer.from(await r.arrayBuffer());
    const expected = Buffer.concat([flv.bytes.subarray(0, 13), flv.bytes.subarray(flv.shStart, flv.shEnd), flv.bytes.subarray(offset)]);
    assert.equal(Number(r.headers.get('content-length')), expected.length);
    assert.ok(body.equals(expected));
    const whole = await fetch(`${base}/vod.flv?start=0`);
    assert.equal(Number(whole.headers.get('content-length')), flv.bytes.length);
  });

  test('missing files are 404 Not Found; other methods 405', async () => {
    const r = await fetch(`${base}/nope.html`);
    assert.equal(r.status, 404);
    assert.equal(await r.text(), 'Not Found');
    assert.equal((await fetch(`${base}/digits.txt`, { method: 'POST', body: 'x' })).status, 405);
  });

  test('encoded traversal, backslashes and NUL never leave the root', async () => {
    for (const p of ['/%2e%2e/secret.txt', '/live/%2e%2e%2f..%2fetc%2fpasswd', '/..%5c..%5cetc%5cpasswd', '/a%5cb', '/index.html%00.txt']) {
      const r = await fetch(`${base}${p}`);
      assert.ok(r.status === 400 || r.status === 404, `${p} → ${r.status}`);
      assert.notEqual(await r.text(), 'secret');
    }
  });

  test('symlinks inside the root are followed (allowed by design)', async () => {
    assert.equal(await (await fetch(`${base}/link.txt`)).text(), 'secret');
  });

  test('a sub-mount strips its virtual directory', async () => {
    assert.equal(await (await fetch(`${base}/console/`)).text(), '<h1>live</h1>');
    assert.equal((await fetch(`${base}/console/a.m3u8`)).status, 200);
  });
});
