import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audioFrameFromFlv, videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { aac, aacHeader, avcHeader, inter, key, label, meta, quiet } from './byte-stream-test-helpers.js';
import { KEYFRAME_REQUEST_INTERVAL_MS, LiveSource } from './live-source.js';
import { PacketSink, type PacketOutput } from './packet-sink.js';

const opts = { gopCache: true, gopCacheMaxFrames: 2500, reduceSequenceHeader: false };
const GOP_MS = 2000;
const MAX_LAG_MS = 500;

/** A fake packet output (no real packets yet): records when each frame was sent; `congested` refuses. */
class FakePacketOutput implements PacketOutput {
  sent: { label: string; at: number; dts: number; frame: MediaFrame }[] = [];
  congested = false;
  constructor(private readonly clock: { t: number }) {}
  send(frame: MediaFrame): boolean {
    if (this.congested) return false;
    this.sent.push({ label: label(frame.kind, frame.payload, frame.dts), at: this.clock.t, dts: frame.dts, frame });
    return true;
  }
}

/**
 * A publisher on a fake clock: frame dts t is published at clock time t (video every 40 ms, a keyframe
 * every GOP_MS, audio 10 ms later), the microtask queue drained between frames as between socket reads.
 */
class Sim {
  readonly clock = { t: 0 };
  readonly source = new LiveSource('__defaultVhost__', 'live', 'pkt', opts, quiet);
  keyframeRequestsSeen = 0;
  private next = 0;
  constructor() {
    this.source.startPublish({ id: 'pub', kick() {}, requestKeyframe: () => void this.keyframeRequestsSeen++ });
    for (const f of [meta(0), avcHeader(0), aacHeader(0)]) this.source.publish(f);
  }
  async runUntil(t: number, beforeFrame?: (t: number) => void): Promise<void> {
    for (; this.next < t; this.next += 40) {
      this.clock.t = this.next;
      beforeFrame?.(this.next);
      this.source.publish(this.next % GOP_MS === 0 ? key(this.next) : inter(this.next));
      this.clock.t = this.next + 10;
      this.source.publish(aac(this.next + 10));
      await Promise.resolve();
    }
  }
  /** Attach a viewer as an I/O callback would: the microtasks run before the next frame arrives. */
  async join(output: FakePacketOutput, ringFrames = 512): Promise<PacketSink> {
    const sink = new PacketSink('v', output, {
      ringFrames,
      maxLagMs: MAX_LAG_MS,
      now: () => this.clock.t,
      requestKeyframe: () => void this.source.requestKeyframe(this.clock.t),
    }, quiet);
    this.source.addSink(sink);
    await Promise.resolve();
    return sink;
  }
}

/** Wall time behind live of every sent media frame (its dts is the clock time it was published). */
const lags = (out: FakePacketOutput): number[] => out.sent.filter((s) => !s.frame.sequenceHeader && s.frame.kind !== 'data').map((s) => s.at - s.dts);

test('a viewer joining late in a GOP skips the stale GOP, asks for a keyframe, and starts on the next one', async () => {
  const sim = new Sim();
  await sim.runUntil(1500); // the cached keyframe (0) is 1.5 s old at the join
  const out = new FakePacketOutput(sim.clock);
  const sink = await sim.join(out);
  await sim.runUntil(4040);
  assert.equal(sink.keyframeRequests, 1, 'asked the publisher for a keyframe at the join');
  assert.equal(sim.keyframeRequestsSeen, 1, 'the request reached the publisher');
  const media = out.sent.filter((s) => !s.frame.sequenceHeader && s.frame.kind !== 'data');
  assert.ok(media.every((s) => s.dts >= 1500), 'nothing from the stale GOP');
  const firstKey = out.sent.find((s) => s.label.startsWith('V-key'))!;
  assert.equal(firstKey.label, 'V-key@2000');
  assert.ok(sink.firstKeyframeAt - sink.joinedAt <= GOP_MS + MAX_LAG_MS, `first decodable frame after ${sink.firstKeyframeAt - sink.joinedAt} ms`);
  // Decoder configuration right before the first keyframe; no inter frame before it.
  const i = out.sent.indexOf(firstKey);
  assert.deepEqual(out.sent.slice(i - 3, i).map((s) => s.label), ['D@0', 'V-sh@0', 'A-sh@0']);
  assert.ok(!out.sent.slice(0, i).some((s) => s.label.startsWith('V@')));
  assert.ok(lags(out).every((l) => l <= MAX_LAG_MS), `lags ${Math.max(...lags(out))}`);
  assert.ok(sink.droppedFrames > 0);
});

test('a viewer joining right after a keyframe starts on the cached one, at most 0.5 s behind', async () => {
  const sim = new Sim();
  await sim.runUntil(2300); // the cached keyframe (2000) is 0.3 s old
  const out = new FakePacketOutput(sim.clock);
  const sink = await sim.join(out);
  await sim.runUntil(3000);
  assert.equal(sink.keyframeRequests, 0);
  assert.deepEqual(out.sent.slice(0, 4).map((s) => s.label), ['D@0', 'V-sh@0', 'A-sh@0', 'V-key@2000']);
  assert.equal(sink.firstKeyframeAt, sink.joinedAt, 'first decodable frame at once');
  assert.ok(Math.max(...lags(out)) <= MAX_LAG_MS, `lag ${Math.max(...lags(out))}`);
  // Then every live frame, none skipped.
  const video = out.sent.filter((s) => s.frame.kind === 'video' && !s.frame.sequenceHeader).map((s) => s.dts);
  assert.deepEqual(video, Array.from({ length: (3000 - 2000) / 40 }, (_, k) => 2000 + k * 40));
});

test('a congested viewer drops to the next keyframe instead of falling behind, and asks for one', async () => {
  const sim = new Sim();
  await sim.runUntil(100);
  const out = new FakePacketOutput(sim.clock);
  const sink = await sim.join(out);
  await sim.runUntil(1000);
  const before = out.sent.length;
  out.congested = true;
  await sim.runUntil(1700); // 0.7 s refused: more than maxLag queued
  assert.equal(sink.overflows, 1);
  assert.equal(sink.keyframeRequests, 1);
  assert.equal(sim.keyframeRequestsSeen, 1);
  out.congested = false;
  sink.onWritable();
  await sim.runUntil(2400);
  const after = out.sent.slice(before);
  const firstKey = after.findIndex((s) => s.label.startsWith('V-key'));
  assert.equal(after[firstKey]!.label, 'V-key@2000');
  assert.deepEqual(after.slice(firstKey - 3, firstKey).map((s) => s.label), ['D@0', 'V-sh@0', 'A-sh@0'], 'headers again before the keyframe');
  assert.ok(!after.slice(0, firstKey).some((s) => s.label.startsWith('V@')), 'no inter frame before the keyframe');
  assert.ok(Math.max(...lags(out)) <= MAX_LAG_MS, `lag ${Math.max(...lags(out))}`);
  assert.ok(sink.droppedFrames > 10);
});

test('the ring is bounded in frames too', async () => {
  const sim = new Sim();
  await sim.runUntil(100);
  const out = new FakePacketOutput(sim.clock);
  const sink = await sim.join(out, 8);
  await sim.runUntil(200);
  out.congested = true;
  await sim.runUntil(400); // 10 frames in 200 ms: the 8-frame ring overflows before maxLag does
  assert.equal(sink.overflows, 1);
  assert.ok(sink.queuedFrames <= 8);
});

test('LiveSource.requestKeyframe reaches the publisher at most once per interval, and counts', () => {
  const s = new LiveSource('__defaultVhost__', 'live', 'kf', opts, quiet);
  assert.equal(s.requestKeyframe(0), false, 'no publisher');
  let asked = 0;
  s.startPublish({ id: 'p', kick() {}, requestKeyframe: () => void asked++ });
  assert.equal(s.requestKeyframe(1000), true);
  assert.equal(s.requestKeyframe(1000 + KEYFRAME_REQUEST_INTERVAL_MS - 1), false);
  assert.equal(s.requestKeyframe(1000 + KEYFRAME_REQUEST_INTERVAL_MS), true);
  assert.equal(asked, 2);
  assert.equal(s.counters.keyframeRequests, 2);
  // A publisher without the method (RTMP) is fine.
  s.stopPublish(s.currentPublisher!);
  s.startPublish({ id: 'q', kick() {} });
  assert.equal(s.requestKeyframe(5000), true);
});

/** Another decoder configuration (a new SPS): MediaFormat bumps the version, LiveSource stamps it on what follows. */
const otherAvcHeader = (t: number): MediaFrame => videoFrameFromFlv(Buffer.from([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x28]), t)!;

test('a format version change mid-stream: inter frames of the new version are skipped to its first keyframe, which is requested', async () => {
  const sim = new Sim();
  const out = new FakePacketOutput(sim.clock);
  const sink = await sim.join(out);
  await sim.runUntil(1000);
  assert.equal(sink.keyframeRequests, 0);
  const before = sim.source.format.version;
  sim.source.publish(otherAvcHeader(1000));
  assert.ok(sim.source.format.version > before);
  await sim.runUntil(2400);
  assert.equal(sink.keyframeRequests, 1, 'asked for a keyframe of the new configuration');
  const video = out.sent.filter((s) => s.frame.kind === 'video' && !s.frame.sequenceHeader && s.dts >= 1000).map((s) => s.label);
  assert.equal(video[0], 'V-key@2000', 'no picture of the new configuration before its keyframe');
  assert.ok(out.sent.some((s) => s.label === 'A@1010'), 'audio goes on');
});

test('a format version change whose first frame is the keyframe: nothing skipped, no request', async () => {
  const sim = new Sim();
  const out = new FakePacketOutput(sim.clock);
  const sink = await sim.join(out);
  await sim.runUntil(2000);
  sim.source.publish(otherAvcHeader(2000));
  await sim.runUntil(2400);
  assert.equal(sink.keyframeRequests, 0);
  assert.equal(sink.droppedFrames, 0);
});

test('an audio-only format change (new AAC config) does not hold video back', async () => {
  const sim = new Sim();
  const out = new FakePacketOutput(sim.clock);
  const sink = await sim.join(out);
  await sim.runUntil(1000);
  const before = sim.source.format.version;
  sim.source.publish(audioFrameFromFlv(Buffer.from([0xaf, 0, 0x11, 0x90]), 1000)!);
  assert.ok(sim.source.format.version > before);
  await sim.runUntil(1400);
  assert.equal(sink.keyframeRequests, 0);
  assert.equal(sink.droppedFrames, 0);
  assert.ok(out.sent.some((s) => s.label === 'V@1000'));
});
