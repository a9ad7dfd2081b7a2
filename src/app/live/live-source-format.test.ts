// LiveSource and the per-source MediaFormat (issue 12): every frame carries the format version, a codec
// config change bumps it, and a source keeps one audio header per codec (AAC next to Opus).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../core/logger.js';
import { audioFrameFromFlv, videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { LiveSource } from './live-source.js';
import type { Sink } from './sink.js';

const quiet: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quiet };
const opts = { gopCache: true, gopCacheMaxFrames: 2500, reduceSequenceHeader: false };
const publisher = (id: string) => ({ id, kick() {} });

const AVCC = Buffer.from('0164000affe100186764000aacd9447b011000000300100000030320f122596001000668ebe3cb22c0', 'hex');
const avcHeader = (level = 0x0a): MediaFrame => {
  const rec = Buffer.from(AVCC);
  rec[3] = level;
  rec[11] = level; // level_idc inside the SPS as well
  return videoFrameFromFlv(Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0]), rec]), 0)!;
};
const key = (ts: number): MediaFrame => videoFrameFromFlv(Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]), ts)!;
const aacHeader = (): MediaFrame => audioFrameFromFlv(Buffer.from([0xaf, 0, 0x12, 0x10]), 0)!;
const opusHeader = (): MediaFrame => audioFrameFromFlv(Buffer.concat([Buffer.from([0xd2]), Buffer.from('4f707573486561640102380180bb0000000000', 'hex')]), 0)!;
const opus = (ts: number): MediaFrame => audioFrameFromFlv(Buffer.from([0xd2, 0xfc, 1, 2]), ts)!;

class Collect implements Sink {
  frames: MediaFrame[] = [];
  constructor(readonly id = 'c') {}
  offer(f: MediaFrame): void {
    this.frames.push(f);
  }
}

test('frames carry the format version; an SPS change mid-stream bumps it for the frames after it', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 's', opts, quiet);
  s.startPublish(publisher('p'));
  const c = new Collect();
  s.addSink(c);
  for (const f of [avcHeader(), key(0), key(40), avcHeader(0x28), key(80)]) s.publish(f);
  assert.deepEqual(c.frames.map((f) => f.formatVersion), [1, 1, 1, 2, 2]);
  assert.equal(s.format.video()!.level, '4');
  assert.equal(s.format.video()!.width, 64);
});

test('AAC and Opus of the same audio: two tracks, and a late sink gets both audio headers', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 's', opts, quiet);
  s.startPublish(publisher('p'));
  for (const f of [avcHeader(), aacHeader(), opusHeader(), key(0), opus(10)]) s.publish(f);
  assert.deepEqual(s.format.tracks.map((t) => t.codec), ['h264', 'aac', 'opus']);
  assert.equal(s.format.audio('opus')!.channels, 2);
  const c = new Collect();
  s.addSink(c);
  const headers = c.frames.filter((f) => f.sequenceHeader).map((f) => f.codec);
  assert.deepEqual(headers, ['h264', 'aac', 'opus']);
  assert.equal(s.sequenceHeaders.audio!.codec, 'aac');
});

test('a new publish starts a new format (tracks forgotten, version moves on)', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 's', opts, quiet);
  const p = publisher('p');
  s.startPublish(p);
  s.publish(aacHeader());
  const v = s.format.version;
  s.stopPublish(p);
  s.startPublish(publisher('q'));
  assert.equal(s.format.tracks.length, 0);
  assert.ok(s.format.version > v);
  assert.equal(s.sequenceHeaders.audio, null);
});

test('a frame already stamped by another source is copied, not restamped', () => {
  const a = new LiveSource('__defaultVhost__', 'live', 'a', opts, quiet);
  const b = new LiveSource('__defaultVhost__', 'live', 'b', opts, quiet);
  a.startPublish(publisher('p'));
  b.startPublish(publisher('q'));
  b.publish(aacHeader());
  b.publish(opusHeader()); // b is at version 2, a at 0
  const f = avcHeader();
  a.publish(f);
  assert.equal(f.formatVersion, 1);
  const c = new Collect();
  b.addSink(c);
  c.frames = [];
  b.publish(f);
  assert.equal(f.formatVersion, 1, 'a keeps what it saw');
  assert.equal(c.frames[0]!.formatVersion, 3);
  assert.equal(c.frames[0]!.payload, f.payload);
});
