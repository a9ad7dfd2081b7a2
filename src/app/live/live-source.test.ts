import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../core/logger.js';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { LiveSource, SourceRegistry } from './live-source.js';
import { JitterCorrector } from './jitter.js';
import { PlayQueue } from './play-queue.js';
import type { Sink } from './sink.js';
import { StreamBusyError } from '../../core/errors.js';

const quiet: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quiet };
const opts = { gopCache: true, gopCacheMaxFrames: 2500, reduceSequenceHeader: false };

const avcHeader = (): MediaFrame => videoFrameFromFlv(Buffer.from([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]), 0)!;
const key = (ts: number): MediaFrame => videoFrameFromFlv(Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]), ts)!;
const inter = (ts: number): MediaFrame => videoFrameFromFlv(Buffer.from([0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41]), ts)!;
const aacHeader = (): MediaFrame => audioFrameFromFlv(Buffer.from([0xaf, 0, 0x12, 0x10]), 0)!;
const aac = (ts: number): MediaFrame => audioFrameFromFlv(Buffer.from([0xaf, 1, 0x21]), ts)!;

class Collect implements Sink {
  frames: MediaFrame[] = [];
  unpublished = 0;
  constructor(readonly id = 'c') {}
  offer(f: MediaFrame): void {
    this.frames.push(f);
  }
  onUnpublish(): void {
    this.unpublished++;
  }
}

const publisher = (id: string) => ({ id, kick() {} });

test('late sink gets metadata, sequence headers, then the GOP from the last keyframe', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 's', opts, quiet);
  s.startPublish(publisher('p'));
  const meta = dataFrame(Buffer.from([2, 0, 1, 0x61]), 0);
  for (const f of [meta, avcHeader(), aacHeader(), key(0), inter(40), aac(45), key(1000), inter(1040), aac(1045)]) s.publish(f);
  const c = new Collect();
  s.addSink(c);
  assert.equal(c.frames[0], meta);
  assert.ok(c.frames[1]!.sequenceHeader && c.frames[1]!.kind === 'video');
  assert.ok(c.frames[2]!.sequenceHeader && c.frames[2]!.kind === 'audio');
  assert.equal(c.frames[3]!.dts, 1000);
  assert.ok(c.frames[3]!.keyframe);
  assert.deepEqual(c.frames.slice(3).map((f) => f.dts), [1000, 1040, 1045]);
  s.publish(inter(1080));
  assert.equal(c.frames.at(-1)!.dts, 1080);
});

test('second publisher is refused, and the stream is free again after unpublish', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 's', opts, quiet);
  const p1 = publisher('p1');
  s.startPublish(p1);
  assert.throws(() => s.startPublish(publisher('p2')), StreamBusyError);
  const c = new Collect();
  s.addSink(c);
  s.stopPublish(p1);
  assert.equal(c.unpublished, 1);
  s.startPublish(publisher('p2'));
  assert.equal(s.currentPublisher?.id, 'p2');
});

test('a throwing sink is detached without disturbing the others', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 's', opts, quiet);
  s.startPublish(publisher('p'));
  const good = new Collect('good');
  s.addSink({ id: 'bad', offer: () => { throw new Error('boom'); } });
  s.addSink(good);
  s.publish(key(0));
  s.publish(inter(40));
  assert.equal(good.frames.length, 2);
  assert.equal(s.sinkCount, 1);
});

test('gop cache off: late sink gets headers only; pure audio clears the cache', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 's', { ...opts, gopCache: false }, quiet);
  s.startPublish(publisher('p'));
  for (const f of [avcHeader(), key(0), inter(40)]) s.publish(f);
  const c = new Collect();
  s.addSink(c);
  assert.equal(c.frames.length, 1);

  const a = new LiveSource('__defaultVhost__', 'live', 'a', opts, quiet);
  a.startPublish(publisher('p'));
  a.publish(key(0));
  for (let i = 0; i < 200; i++) a.publish(aac(i * 23));
  assert.equal(a.gop.size, 0);
  assert.ok(a.gop.pureAudio);
});

test('gop cache max frames clears an endless GOP', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 's', { ...opts, gopCacheMaxFrames: 10 }, quiet);
  s.startPublish(publisher('p'));
  s.publish(key(0));
  for (let i = 1; i <= 10; i++) s.publish(inter(i * 40));
  assert.equal(s.gop.size, 0);
});

test('registry keys streams by vhost and releases idle sources', () => {
  const r = new SourceRegistry(quiet);
  const a = r.obtain('__defaultVhost__', 'live', 's', opts);
  assert.equal(a.key, '/live/s');
  const b = r.obtain('a.com', 'live', 's', opts);
  assert.equal(b.key, 'a.com/live/s');
  assert.notEqual(a, b);
  assert.equal(r.obtain('__defaultVhost__', 'live', 's', opts), a);
  r.release(a);
  assert.equal(r.get('__defaultVhost__', 'live', 's'), undefined);
});

test('jitter full: starts at 0, monotonic, big jumps become 10 ms', () => {
  const j = new JitterCorrector('full');
  const out = [key(5000), inter(5040), inter(9000), inter(9040), inter(100)].map((f) => j.correct(f).dts);
  assert.deepEqual(out, [0, 40, 50, 90, 100]);
  assert.equal(j.correct(dataFrame(Buffer.alloc(1), 777)).dts, 0);
});

test('jitter zero subtracts the first timestamp; off keeps it', () => {
  const z = new JitterCorrector('zero');
  assert.deepEqual([key(5000), inter(5040)].map((f) => z.correct(f).dts), [0, 40]);
  const o = new JitterCorrector('off');
  assert.equal(o.correct(key(5000)).dts, 5000);
});

test('jitter keeps the composition offset (pts - dts)', () => {
  const j = new JitterCorrector('full');
  const f = videoFrameFromFlv(Buffer.from([0x27, 1, 0, 0, 80, 0]), 1000)!;
  assert.equal(f.pts - f.dts, 80);
  const c = j.correct(f);
  assert.equal(c.pts - c.dts, 80);
});

test('play queue shrinks to sequence headers and resumes video at a keyframe', () => {
  const q = new PlayQueue(1000);
  q.push(avcHeader());
  q.push(aacHeader());
  q.push(key(0));
  for (let t = 40; t <= 1000; t += 40) q.push(inter(t));
  assert.equal(q.shrinks, 0);
  assert.ok(q.push(inter(1040)));
  assert.equal(q.shrinks, 1);
  assert.equal(q.length, 2);
  assert.ok(q.dropped > 20);
  q.push(inter(1080)); // dropped: waiting for a keyframe
  q.push(aac(1085)); // audio passes
  q.push(key(1120));
  const frames = q.drain();
  assert.deepEqual(frames.map((f) => `${f.kind}${f.sequenceHeader ? '-sh' : ''}@${f.dts}`), ['video-sh@0', 'audio-sh@0', 'audio@1085', 'video@1120']);
});

test('mix_correct re-interleaves bursts of audio and video by timestamp', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 'm', { ...opts, mixCorrect: true }, quiet);
  s.startPublish(publisher('p'));
  const c = new Collect();
  s.addSink(c);
  for (const f of [key(0), inter(40), inter(80), aac(10), aac(50), aac(90), inter(120)]) s.publish(f);
  const order = c.frames.map((f) => f.dts);
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  assert.deepEqual(order, [0, 10, 40, 50, 80, 90]);
});

test('mix_correct releases a pure-video stream after ten frames', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 'v', { ...opts, mixCorrect: true }, quiet);
  s.startPublish(publisher('p'));
  const c = new Collect();
  s.addSink(c);
  for (let i = 0; i < 12; i++) s.publish(i === 0 ? key(0) : inter(i * 40));
  assert.equal(c.frames.length, 3);
});

test('demand: the first viewer and the last one leaving are reported once; service sinks do not count', () => {
  const reg = new SourceRegistry(quiet);
  const seen: string[] = [];
  reg.addDemandListener({ onDemand: (s) => seen.push(`demand ${s.key}`), onIdle: (s) => seen.push(`idle ${s.key}`) });
  const s = reg.obtain('__defaultVhost__', 'live', 's', opts);
  class Viewer extends Collect {
    readonly viewer = true;
  }
  const service = new Collect('hls');
  const a = new Viewer('a');
  const b = new Viewer('b');
  s.addSink(service);
  assert.deepEqual(seen, []);
  s.addSink(a);
  s.addSink(a); // re-adding is a catch-up, not a second viewer
  s.addSink(b);
  assert.equal(s.viewers, 2);
  s.removeSink(a);
  s.removeSink(a);
  assert.deepEqual(seen, ['demand /live/s']);
  s.removeSink(b);
  s.removeSink(service);
  assert.deepEqual(seen, ['demand /live/s', 'idle /live/s']);
  assert.equal(s.viewers, 0);
});

test('publish listeners skip edge sources unless they ask for them', () => {
  const reg = new SourceRegistry(quiet);
  const calls: string[] = [];
  reg.addPublishListener({ onPublish: () => calls.push('hls'), onUnpublish: () => calls.push('hls-') });
  reg.addPublishListener({ edge: true, onPublish: () => calls.push('edge'), onUnpublish: () => calls.push('edge-') });
  const origin = reg.obtain('__defaultVhost__', 'live', 'o', opts);
  const edge = reg.obtain('__defaultVhost__', 'live', 'e', { ...opts, edge: true });
  assert.equal(edge.isEdge, true);
  const p = publisher('p');
  edge.startPublish(p);
  edge.stopPublish(p);
  assert.deepEqual(calls, ['edge', 'edge-']);
  origin.startPublish(p);
  assert.deepEqual(calls, ['edge', 'edge-', 'hls', 'edge']);
});

test('publish listeners skip worker-mesh relays unless they ask for them, unpublish included', () => {
  const reg = new SourceRegistry(quiet);
  const calls: string[] = [];
  reg.addPublishListener({ onPublish: () => calls.push('hls'), onUnpublish: () => calls.push('hls-') });
  reg.addPublishListener({ relay: true, onPublish: () => calls.push('cache'), onUnpublish: () => calls.push('cache-') });
  const s = reg.obtain('__defaultVhost__', 'live', 'r', opts);
  const relay = { ...publisher('relay'), relay: true as const };
  s.startPublish(relay);
  assert.equal(s.isRelay, true);
  // Another publisher is refused while the relay holds the source, as a second publisher would be.
  assert.throws(() => s.startPublish(publisher('local')), /busy/);
  s.stopPublish(relay);
  assert.deepEqual(calls, ['cache', 'cache-']);
  const local = publisher('local');
  s.startPublish(local);
  assert.equal(s.isRelay, false);
  s.stopPublish(local);
  assert.deepEqual(calls, ['cache', 'cache-', 'hls', 'cache', 'hls-', 'cache-']);
});
