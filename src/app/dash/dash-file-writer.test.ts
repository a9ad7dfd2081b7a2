import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DashFileWriter } from './dash-file-writer.js';

const root = mkdtempSync(join(tmpdir(), 'tsrs-dash-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function writer(maxPendingBytes?: number): { w: DashFileWriter; errors: string[]; written: string[]; deleteFailures: string[] } {
  const errors: string[] = [];
  const written: string[] = [];
  const deleteFailures: string[] = [];
  const w = new DashFileWriter(
    {
      onError: (err, op) => errors.push(`${op.type} ${op.path}: ${(err as NodeJS.ErrnoException).code}`),
      onWritten: (op) => written.push(op.path),
      onDeleteFailed: (path) => deleteFailures.push(path),
    },
    { maxPendingBytes },
  );
  return { w, errors, written, deleteFailures };
}

describe('DASH file writer', () => {
  test('writes whole files in order through a temp name, makes folders, deletes', async () => {
    const dir = join(root, `t${n++}`);
    const { w, errors, written } = writer();
    const seg = Buffer.alloc(1000, 7);
    assert.equal(
      w.push([
        { type: 'log', level: 'trace', message: 'not for the writer' },
        { type: 'write', what: 'init', path: `${dir}/live/cam/video-init.mp4`, data: Buffer.from('init') },
        { type: 'write', what: 'segment', path: `${dir}/live/cam/video-0.m4s`, data: seg, number: 0 },
        { type: 'write', what: 'mpd', path: `${dir}/live/cam.mpd`, data: '<MPD/>\n' },
        { type: 'write', what: 'mpd', path: `${dir}/live/cam.mpd`, data: '<MPD>2</MPD>\n' },
        { type: 'delete', path: `${dir}/live/cam/video-0.m4s` },
        { type: 'delete', path: `${dir}/live/cam/never-written.m4s` },
      ]),
      true,
    );
    assert.ok(w.pendingBytes > 1000);
    await w.idle();
    assert.deepEqual(errors, []);
    assert.deepEqual(written, [`${dir}/live/cam/video-init.mp4`, `${dir}/live/cam/video-0.m4s`, `${dir}/live/cam.mpd`, `${dir}/live/cam.mpd`]);
    assert.equal(readFileSync(`${dir}/live/cam.mpd`, 'utf8'), '<MPD>2</MPD>\n');
    assert.deepEqual(readdirSync(`${dir}/live/cam`), ['video-init.mp4']);
    assert.equal(w.pendingBytes, 0);
    assert.deepEqual(w.counters, { writes: 4, deletes: 1, errors: 0, bytes: 4 + 1000 + 7 + 13 });
    assert.equal(w.busy, false);
  });

  test('a failed write is reported, leaves no temp file, and the next operations still run', async () => {
    const dir = join(root, `t${n++}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'blocker'), 'a file where a folder should be');
    const { w, errors } = writer();
    w.push([
      { type: 'write', what: 'segment', path: `${dir}/blocker/video-1.m4s`, data: Buffer.alloc(10), number: 1 },
      { type: 'write', what: 'mpd', path: `${dir}/ok.mpd`, data: 'x' },
    ]);
    await w.idle();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^write .*blocker\/video-1.m4s: (ENOTDIR|EEXIST)$/);
    assert.ok(existsSync(`${dir}/ok.mpd`));
    assert.equal(w.counters.errors, 1);
    assert.equal(w.pendingBytes, 0);
  });

  test('a folder removed behind its back is made again', async () => {
    const dir = join(root, `t${n++}`);
    const { w, errors } = writer();
    w.push([{ type: 'write', what: 'segment', path: `${dir}/a/1.m4s`, data: Buffer.alloc(4), number: 1 }]);
    await w.idle();
    rmSync(`${dir}/a`, { recursive: true });
    w.push([{ type: 'write', what: 'segment', path: `${dir}/a/2.m4s`, data: Buffer.alloc(4), number: 2 }]);
    await w.idle();
    assert.deepEqual(errors, []);
    assert.ok(existsSync(`${dir}/a/2.m4s`));
  });

  test('bounded: over maxPendingBytes push() refuses; abort() drops what is queued', async () => {
    const dir = join(root, `t${n++}`);
    const { w } = writer(100);
    assert.equal(w.push([{ type: 'write', what: 'segment', path: `${dir}/1.m4s`, data: Buffer.alloc(60), number: 1 }]), true);
    assert.equal(w.push([{ type: 'write', what: 'segment', path: `${dir}/2.m4s`, data: Buffer.alloc(60), number: 2 }]), false);
    w.abort();
    await w.idle();
    assert.equal(w.pendingBytes, 0);
    assert.ok(!existsSync(`${dir}/2.m4s`));
  });
});
