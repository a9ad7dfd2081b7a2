import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { HlsOp } from '../../protocol/hls/index.js';
import { FLUSH_BYTES, HlsFileWriter, type HlsWriterEvents } from './hls-file-writer.js';

const root = mkdtempSync(join(tmpdir(), 'tsrs-hls-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = (): string => join(root, String(n++));

function recorder(): HlsWriterEvents & { errors: string[]; segments: number[]; failed: number[] } {
  const r = {
    errors: [] as string[],
    segments: [] as number[],
    failed: [] as number[],
    onError(err: unknown, op: { type: string }) {
      r.errors.push(`${op.type}: ${(err as Error).message}`);
    },
    onSegment(op: { seq: number }) {
      r.segments.push(op.seq);
    },
    onSegmentFailed(seq: number) {
      r.failed.push(seq);
    },
  };
  return r;
}

const ts = (fill: number, packets = 2): Buffer => {
  const b = Buffer.alloc(188 * packets, fill);
  for (let i = 0; i < packets; i++) b[i * 188] = 0x47;
  return b;
};

function segmentOps(d: string, seq: number, data: Buffer[], cipher: { key: Buffer; iv: Buffer } | null = null): HlsOp[] {
  const path = `${d}/live/cam-${seq}.ts`;
  return [
    { type: 'open', seq, tmpPath: `${path}.tmp`, cipher },
    ...data.map((bytes): HlsOp => ({ type: 'data', seq, bytes })),
    { type: 'close', seq, tmpPath: `${path}.tmp`, path, uri: `cam-${seq}.ts`, durationMs: 2000 },
  ];
}

const playlistOp = (d: string, seqs: number[]): HlsOp => ({
  type: 'playlist',
  path: `${d}/live/cam.m3u8`,
  playlist: { entries: seqs.map((seq) => ({ seq, durationMs: 2000, uri: `cam-${seq}.ts`, discontinuity: false, key: null })), minTargetMs: 2000 },
});

test('segments are written to .tmp then renamed, the playlist through .temp, in order', async () => {
  const d = dir();
  const ev = recorder();
  const w = new HlsFileWriter(ev);
  const big = Array.from({ length: 3 }, (_, i) => ts(i + 1, Math.ceil(FLUSH_BYTES / 188)));
  assert.ok(w.push([...segmentOps(d, 0, big), playlistOp(d, [0])]));
  assert.ok(w.busy);
  await w.idle();
  assert.deepEqual(ev.errors, []);
  assert.deepEqual(ev.segments, [0]);
  assert.deepEqual(readdirSync(`${d}/live`).sort(), ['cam-0.ts', 'cam.m3u8']);
  assert.ok(readFileSync(`${d}/live/cam-0.ts`).equals(Buffer.concat(big)));
  assert.equal(readFileSync(`${d}/live/cam.m3u8`, 'utf8'), '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000, no desc\ncam-0.ts\n');
  assert.equal(w.pendingBytes, 0);
  assert.equal(w.counters.segments, 1);
  assert.equal(w.counters.playlists, 1);
});

test('discard deletes the temp file; delete ignores missing files', async () => {
  const d = dir();
  const ev = recorder();
  const w = new HlsFileWriter({ ...ev, onDeleteFailed: (p) => ev.errors.push(`delete ${p}`) });
  w.push([
    { type: 'open', seq: 0, tmpPath: `${d}/live/cam-0.ts.tmp`, cipher: null },
    { type: 'data', seq: 0, bytes: ts(1) },
    { type: 'discard', seq: 0, tmpPath: `${d}/live/cam-0.ts.tmp`, durationMs: 40 },
    { type: 'delete', path: `${d}/live/nothing.ts`, reason: 'cleanup' },
  ]);
  await w.idle();
  assert.deepEqual(readdirSync(`${d}/live`), []);
  assert.deepEqual(ev.errors, []);
});

test('AES-128-CBC with PKCS7 padding: the file decrypts to the TS bytes, key file written', async () => {
  const d = dir();
  const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const iv = Buffer.from('0f0e0d0c0b0a09080706050403020100', 'hex');
  const w = new HlsFileWriter(recorder());
  // 4 packets = 752 bytes, a multiple of 16: PKCS7 still adds a full block (SRS's writer forgets it).
  const data = [ts(7, 3), ts(8, 1)];
  w.push([{ type: 'key', path: `${d}/keys/live/cam-0.key`, key }, ...segmentOps(d, 0, data, { key, iv })]);
  await w.idle();
  assert.ok(readFileSync(`${d}/keys/live/cam-0.key`).equals(key));
  const enc = readFileSync(`${d}/live/cam-0.ts`);
  assert.equal(enc.length, 752 + 16);
  const dec = createDecipheriv('aes-128-cbc', key, iv);
  assert.ok(Buffer.concat([dec.update(enc), dec.final()]).equals(Buffer.concat(data)));
});

test('an unwritable segment is reported once, skipped, and left out of the playlist', async () => {
  const d = dir();
  const ev = recorder();
  const w = new HlsFileWriter(ev);
  // A regular file where the directory should be: mkdir fails even for root.
  const blocker = `${root}/blocker-${n}`;
  writeFileSync(blocker, 'x');
  w.push([
    ...segmentOps(d, 0, [ts(1)]),
    {
      type: 'open',
      seq: 1,
      tmpPath: `${blocker}/cam-1.ts.tmp`,
      cipher: null,
    },
    { type: 'data', seq: 1, bytes: ts(2) },
    { type: 'data', seq: 1, bytes: ts(3) },
    { type: 'close', seq: 1, tmpPath: `${blocker}/cam-1.ts.tmp`, path: `${blocker}/cam-1.ts`, uri: 'cam-1.ts', durationMs: 2000 },
    playlistOp(d, [0, 1]),
    ...segmentOps(d, 2, [ts(4)]),
    playlistOp(d, [0, 1, 2]),
  ]);
  await w.idle();
  assert.equal(ev.errors.length, 1);
  assert.match(ev.errors[0]!, /^open: .*(ENOTDIR|EEXIST)/);
  assert.deepEqual(ev.failed, [1]);
  assert.deepEqual(ev.segments, [0, 2]);
  assert.equal(readFileSync(`${d}/live/cam.m3u8`, 'utf8').match(/cam-\d\.ts/g)!.join(','), 'cam-0.ts,cam-2.ts');
});

test('an unwritable playlist is an error; no temp file is left', async () => {
  const d = dir();
  const ev = recorder();
  const w = new HlsFileWriter(ev);
  const playlist = playlistOp(d, [0]) as Extract<HlsOp, { type: 'playlist' }>;
  w.push([...segmentOps(d, 0, [ts(1)]), { ...playlist, path: `${d}/live/cam-0.ts/x.m3u8` }]);
  await w.idle();
  assert.equal(ev.errors.length, 1);
  assert.match(ev.errors[0]!, /^playlist: /);
  assert.ok(!existsSync(`${d}/live/cam-0.ts/x.m3u8.temp`));
});

test('the queue is bounded: push refuses past maxPendingBytes; abort drops the rest and the temp file', async () => {
  const d = dir();
  const w = new HlsFileWriter(recorder(), { maxPendingBytes: 188 * 10 });
  assert.equal(w.push([{ type: 'open', seq: 0, tmpPath: `${d}/live/cam-0.ts.tmp`, cipher: null }, { type: 'data', seq: 0, bytes: ts(1, 5) }]), true);
  assert.equal(w.push([{ type: 'data', seq: 0, bytes: ts(1, 6) }]), false);
  w.abort();
  assert.equal(w.pendingBytes, 0);
  await w.idle();
  assert.ok(!existsSync(`${d}/live/cam-0.ts.tmp`));
  // Still usable afterwards.
  w.push(segmentOps(d, 1, [ts(9)]));
  await w.idle();
  assert.ok(existsSync(`${d}/live/cam-1.ts`));
});
