// Shared by the byte-stream sink tests (policy, RTMP, HTTP): frames, and the slow-viewer scenarios every
// byte-stream output must pass. Each output's test supplies a harness that decodes what it wrote back to
// labels such as `V-key@1120`, so the scenarios assert what a player would receive.
import assert from 'node:assert/strict';
import { SlowConsumerError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { OUTPUT_HIGH_WATER, type ByteStreamOptions, type ByteStreamSink, type ViewerEvents } from './byte-stream-sink.js';

export const quiet: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quiet };

export const meta = (t: number): MediaFrame => dataFrame(Buffer.from([0x02, 0x00, 0x0a, ...Buffer.from('onMetaData')]), t);
export const avcHeader = (t = 0): MediaFrame => videoFrameFromFlv(Buffer.from([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]), t)!;
export const aacHeader = (t = 0): MediaFrame => audioFrameFromFlv(Buffer.from([0xaf, 0, 0x12, 0x10]), t)!;
export const key = (t: number): MediaFrame => videoFrameFromFlv(Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]), t)!;
export const inter = (t: number): MediaFrame => videoFrameFromFlv(Buffer.from([0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41]), t)!;
export const aac = (t: number): MediaFrame => audioFrameFromFlv(Buffer.from([0xaf, 1, 0x21]), t)!;

/** `V-key@40`, `V-sh@0`, `A@50`, `D@0`: what a player would see of a frame. */
export function label(kind: 'video' | 'audio' | 'data', body: Buffer, ts: number): string {
  if (kind === 'data') return `D@${ts}`;
  if (kind === 'audio') return `A${body[1] === 0 ? '-sh' : ''}@${ts}`;
  const sh = body[1] === 0;
  return `V${sh ? '-sh' : (body[0]! >> 4) === 1 ? '-key' : ''}@${ts}`;
}

export const endOfTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A byte-stream viewer under test: its sink, the output's pending bytes (set by the test), what it wrote. */
export interface ViewerHarness {
  sink: ByteStreamSink;
  setPending(bytes: number): void;
  /** Labels of every frame written so far, decoded from the output's bytes. */
  written(): string[];
  hopeless: SlowConsumerError[];
}

export type MakeViewer = (options: ByteStreamOptions, events: ViewerEvents) => ViewerHarness;

/** Events that record hopeless calls into the harness's list. */
export function recordingEvents(into: SlowConsumerError[]): ViewerEvents {
  return {
    publishNotify() {},
    unpublishNotify() {},
    hopeless: (_reason, err) => void into.push(err),
  };
}

const options: ByteStreamOptions = { jitter: 'off', queueLengthMs: 1000, mwLatencyMs: 0 };
const HELD = OUTPUT_HIGH_WATER + 50_000;

/**
 * Offer video at 25 fps with audio 10 ms after each video frame, [from, to), a keyframe every second;
 * each video frame in its own event-loop turn, as frames arrive from a publisher. `each(t)` runs first.
 */
async function stream(sink: ByteStreamSink, from: number, to: number, each?: (t: number) => void): Promise<void> {
  for (let t = from; t < to; t += 40) {
    each?.(t);
    sink.offer(t % 1000 === 0 ? key(t) : inter(t));
    sink.offer(aac(t + 10));
    await endOfTurn();
  }
}

interface Joined extends ViewerHarness {
  /** queueShrinks when hopeless() was called. */
  shrinksAtHopeless: number[];
}

async function joined(make: MakeViewer, opts: ByteStreamOptions = options): Promise<Joined> {
  const hopeless: SlowConsumerError[] = [];
  const shrinksAtHopeless: number[] = [];
  const events = recordingEvents(hopeless);
  // As the owners do (RTMP connection, HTTP remux): a hopeless viewer is closed.
  const v = make(opts, {
    ...events,
    hopeless: (r, e) => {
      shrinksAtHopeless.push(v.sink.queueShrinks);
      events.hopeless(r, e);
      v.sink.close();
    },
  });
  for (const f of [meta(0), avcHeader(0), aacHeader(0), key(0), aac(10)]) v.sink.offer(f);
  await endOfTurn();
  assert.deepEqual(v.written(), ['D@0', 'V-sh@0', 'A-sh@0', 'V-key@0', 'A@10'], 'a reading viewer gets everything at once');
  return { ...v, hopeless, shrinksAtHopeless };
}

/**
 * A viewer whose output is backed up (but slowly draining) past queue_length: the queue is shrunk, video
 * resumes at the next keyframe, the headers are sent again before it, and the viewer is kept.
 */
export async function shrinkScenario(make: MakeViewer): Promise<void> {
  const v = await joined(make);
  let pending = HELD;
  // The kernel takes a little now and then (progress), never all: no drain.
  await stream(v.sink, 40, 1080, () => v.setPending((pending -= 100)));
  assert.deepEqual(v.written().length, 5, 'nothing written while the output holds more than the high water');
  assert.equal(v.sink.queueShrinks, 1, 'the queue spanned more than queue_length');
  assert.ok(v.sink.droppedFrames >= 50, `dropped ${v.sink.droppedFrames}`);
  v.setPending(0);
  v.sink.onDrain();
  await stream(v.sink, 1080, 2040);
  const after = v.written().slice(5);
  // Headers again, then audio; video only from the next keyframe (2000), none of the dropped GOP.
  assert.deepEqual(after.slice(0, 3), ['D@0', 'V-sh@0', 'A-sh@0']);
  assert.deepEqual(after.filter((l) => l.startsWith('V@') || l.startsWith('V-key')), ['V-key@2000']);
  assert.ok(after.includes('A@1090') && after.includes('A@2010'), after.join(' '));
  const media = after.filter((l) => !l.includes('-sh') && !l.startsWith('D'));
  assert.ok(media.every((l) => Number(l.slice(l.indexOf('@') + 1)) >= 1080), `nothing from before the shrink: ${after.join(' ')}`);
  assert.deepEqual(v.hopeless, []);
}

/**
 * A viewer whose output takes no byte holds nothing but the headers (its backlog is dropped, not counted
 * as a shrink) and is closed once it has taken nothing for queue_length, with a SlowConsumerError.
 */
export async function notReadingScenario(make: MakeViewer): Promise<void> {
  const v = await joined(make, { ...options, queueLengthMs: 3000 });
  v.setPending(HELD);
  let most = 0;
  await stream(v.sink, 40, 4000, () => (most = Math.max(most, v.sink.queuedFrames)));
  assert.equal(v.hopeless.length, 1, 'closed as hopeless');
  assert.ok(v.hopeless[0] instanceof SlowConsumerError);
  assert.match(v.hopeless[0].message, /viewer too slow: took no byte for 3000 ms/);
  assert.deepEqual(v.shrinksAtHopeless, [0], 'no queue_length shrink needed');
  assert.ok(most <= 3, `held ${most} frames: only the headers to resume with`);
  assert.ok(v.sink.droppedFrames > 140, `dropped ${v.sink.droppedFrames}`);
  // Closed: nothing more is written, even once the output would take it.
  v.setPending(0);
  v.sink.onDrain();
  await stream(v.sink, 4000, 4200);
  assert.equal(v.written().length, 5);
}

/** A viewer that drains a little but never catches up is closed at its third shrink, not before. */
export async function tooSlowScenario(make: MakeViewer): Promise<void> {
  const v = await joined(make);
  let pending = HELD + 200_000;
  await stream(v.sink, 40, 5000, () => v.setPending((pending -= 1000)));
  assert.ok(pending > OUTPUT_HIGH_WATER, 'still backed up at the end');
  assert.deepEqual(v.shrinksAtHopeless, [3]);
  assert.match(v.hopeless[0]!.message, /viewer too slow: 3 queue shrinks/);
}

/** A drain between shrinks means the viewer caught up: it is never closed however many shrinks it had. */
export async function drainForgivesScenario(make: MakeViewer): Promise<void> {
  const v = await joined(make);
  let pending = HELD + 200_000;
  await stream(v.sink, 40, 6000, (t) => {
    if (t % 1200 === 0) {
      // Caught up once in a while...
      v.setPending(0);
      v.sink.onDrain();
    }
    // ...then backed up again, draining slowly.
    v.setPending((pending -= 1000));
  });
  assert.ok(v.sink.queueShrinks >= 4, `shrinks ${v.sink.queueShrinks}`);
  assert.deepEqual(v.hopeless, []);
}

/** A viewer that read nothing for a while, then reads again before queue_length: headers, then video from a keyframe. */
export async function resumesScenario(make: MakeViewer): Promise<void> {
  const v = await joined(make);
  v.setPending(HELD);
  await stream(v.sink, 40, 600);
  v.setPending(0);
  v.sink.onDrain();
  await stream(v.sink, 600, 1080);
  const after = v.written().slice(5);
  assert.deepEqual(after.slice(0, 3), ['D@0', 'V-sh@0', 'A-sh@0']);
  assert.deepEqual(after.filter((l) => l.startsWith('V@') || l.startsWith('V-key')), ['V-key@1000', 'V@1040']);
  assert.ok(after.includes('A@610'), after.join(' '));
  assert.deepEqual(v.hopeless, []);
}
