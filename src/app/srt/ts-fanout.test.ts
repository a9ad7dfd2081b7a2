import { test } from 'node:test';
import assert from 'node:assert/strict';
import { videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { H264_AVCC } from '../../kernel/format/mpegts/mpegts-test-helpers.js';
import { TsFanout, type TsViewer } from './ts-fanout.js';

const flv = (head: number[], body: Buffer, t: number): MediaFrame => videoFrameFromFlv(Buffer.concat([Buffer.from(head), body]), t)!;
const nalu = (type: number, size: number): Buffer => {
  const b = Buffer.alloc(4 + size, 0x11);
  b.writeUInt32BE(size, 0);
  b[4] = type;
  return b;
};
const header = (): MediaFrame => flv([0x17, 0, 0, 0, 0], H264_AVCC, 0);
const key = (t: number): MediaFrame => flv([0x17, 1, 0, 0, 0], nalu(0x65, 3000), t);
const inter = (t: number): MediaFrame => flv([0x27, 1, 0, 0, 0], nalu(0x41, 500), t);

class FakeViewer implements TsViewer {
  payloads: Buffer[] = [];
  flushes = 0;
  queued = 0;
  readonly maxBacklog = 10;
  send(p: Buffer): void {
    this.payloads.push(p);
  }
  flush(): void {
    this.flushes++;
  }
  backlog(): number {
    return this.queued;
  }
}

const pid = (ts: Buffer): number => ((ts[1]! & 0x1f) << 8) | ts[2]!;

test('a viewer starts at a keyframe with PAT/PMT; payloads are whole TS packets of at most 1316 bytes', () => {
  const f = new TsFanout('t', 1316);
  const v = new FakeViewer();
  f.add(v);
  f.offer(header());
  f.offer(inter(40));
  assert.equal(v.payloads.length, 0, 'nothing before the first keyframe');
  assert.equal(f.skippedFrames(v), 1);
  f.offer(key(80));
  assert.ok(v.payloads.length >= 3, 'a 3000-byte keyframe spans several payloads');
  assert.equal(pid(v.payloads[0]!), 0, 'PAT first');
  for (const p of v.payloads) {
    assert.ok(p.length <= 1316 && p.length % 188 === 0, `payload of ${p.length} bytes`);
    for (let o = 0; o < p.length; o += 188) assert.equal(p[o], 0x47);
  }
  assert.equal(v.flushes, 1, 'one flush per frame');
  f.offer(inter(120));
  assert.equal(v.flushes, 2);
});

test('viewers share one mux: the same TS bytes go to every viewer', () => {
  const f = new TsFanout('t', 1316);
  const a = new FakeViewer();
  const b = new FakeViewer();
  f.add(a);
  f.add(b);
  f.offer(header());
  f.offer(key(0));
  f.offer(inter(40));
  assert.equal(a.payloads.length, b.payloads.length);
  a.payloads.forEach((p, i) => assert.equal(p.buffer, b.payloads[i]!.buffer, 'the very same bytes, muxed once'));
});

test('a congested viewer skips to the next keyframe; the others are untouched', () => {
  const f = new TsFanout('t', 1316);
  const slow = new FakeViewer();
  const fast = new FakeViewer();
  f.add(slow);
  f.add(fast);
  f.offer(header());
  f.offer(key(0));
  slow.queued = 11;
  const before = { slow: slow.payloads.length, fast: fast.payloads.length };
  f.offer(inter(40));
  assert.equal(slow.payloads.length, before.slow, 'congested: the frame is skipped');
  assert.ok(fast.payloads.length > before.fast);
  slow.queued = 0;
  f.offer(inter(80));
  assert.equal(slow.payloads.length, before.slow, 'still waiting for a keyframe once the backlog drained');
  f.offer(key(120));
  assert.ok(slow.payloads.length > before.slow, 'resumes at the keyframe');
  assert.equal(pid(slow.payloads[before.slow]!), 0, 'with PAT/PMT');
  f.remove(slow);
  assert.equal(f.size, 1);
});
