import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv } from '../media-frame.js';
import { decodeAmf0, encodeAmf0, Amf0EcmaArray } from './amf0.js';
import { demuxFlv } from './flv.js';
import { FlvFileWriter } from './flv-file.js';

test('metadata duration and filesize are patched at close', () => {
  const w = new FlvFileWriter();
  const parts = [w.start()];
  parts.push(w.add(dataFrame(encodeAmf0('onMetaData', new Amf0EcmaArray({ width: 320, duration: 99 })), 0)));
  parts.push(w.add(videoFrameFromFlv(Buffer.from([0x17, 0, 0, 0, 0, 1]), 0)!));
  for (let t = 0; t <= 2000; t += 40) parts.push(w.add(videoFrameFromFlv(Buffer.from([t % 1000 === 0 ? 0x17 : 0x27, 1, 0, 0, 0, 9]), t + 5000)!));
  parts.push(w.add(audioFrameFromFlv(Buffer.from([0xaf, 1, 1]), 7000)!));
  const file = Buffer.concat(parts);
  for (const p of w.finish().patches) p.bytes.copy(file, p.offset);
  const { tags } = demuxFlv(file);
  const meta = decodeAmf0(tags[0]!.body)[1] as Amf0EcmaArray;
  assert.equal(meta.entries.duration, 2);
  assert.equal(meta.entries.filesize, file.length);
  assert.equal(meta.entries.width, 320);
  assert.equal(tags.length, 2 + 51 + 1);
});

test('without metadata there is nothing to patch', () => {
  const w = new FlvFileWriter();
  w.start();
  w.add(audioFrameFromFlv(Buffer.from([0xaf, 1, 1]), 0)!);
  assert.deepEqual(w.finish().patches, []);
});
