// The RFC 8216 rules a live playlist keeps for its whole life (playlist.ts LivePlaylistRules), checked on
// the playlists an HlsMuxer writes for hostile streams: timestamp jumps back and forward, gaps, GOPs far
// longer than the target with hls_wait_keyframe on, sequence header changes, audio-only stretches,
// republishes. Seeded, so a failure names the seed that reproduces it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HlsMuxer, type HlsMuxerOptions, type HlsOp } from './hls-muxer.js';
import { LivePlaylistRules, renderMediaPlaylist, type PlaylistEntry } from './playlist.js';
import { aacFrame, aacHeader, avcC, counterRandom, drive, h264Frame, h264Header, options } from './hls-test-helpers.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { prng } from '../../../test/fixtures/index.js';


interface Parsed {
  mediaSequence: number;
  discontinuitySequence: number;
  target: number;
  segments: { seq: number; seconds: number; discontinuity: boolean }[];
}

/** Parse the text a client reads (not the op objects): the rules are about what is on the wire. */
function parse(text: string): Parsed {
  const lines = text.trim().split('\n');
  assert.equal(lines[0], '#EXTM3U');
  const p: Parsed = { mediaSequence: 0, discontinuitySequence: 0, target: NaN, segments: [] };
  let pendingDisc = false;
  let seconds = NaN;
  let sawSegment = false;
  for (const l of lines) {
    const [tag, value] = l.split(':', 2) as [string, string | undefined];
    if (tag === '#EXT-X-MEDIA-SEQUENCE') p.mediaSequence = Number(value);
    else if (tag === '#EXT-X-DISCONTINUITY-SEQUENCE') {
      assert.ok(!sawSegment, 'EXT-X-DISCONTINUITY-SEQUENCE before the first segment (§4.4.3.3)');
      p.discontinuitySequence = Number(value);
    } else if (tag === '#EXT-X-TARGETDURATION') p.target = Number(value);
    else if (tag === '#EXT-X-DISCONTINUITY') pendingDisc = true;
    else if (tag === '#EXTINF') seconds = Number.parseFloat(value!);
    else if (!l.startsWith('#')) {
      sawSegment = true;
      p.segments.push({ seq: p.mediaSequence + p.segments.length, seconds, discontinuity: pendingDisc });
      pendingDisc = false;
    }
  }
  return p;
}

/** Checks every playlist of one playlist life against the one before it. */
class PlaylistChecker {
  private prev: Parsed | null = null;
  private target: number | null = null;
  checked = 0;
  maxTarget = 0;
  discontinuitiesLeft = 0;

  constructor(private readonly what: string) {}

  check(text: string): void {
    const p = parse(text);
    const at = `${this.what}, playlist #${this.checked}:\n${text}`;
    this.checked++;
    // §6.2.1: the target duration MUST NOT change.
    this.target ??= p.target;
    assert.equal(p.target, this.target, `target duration changed: ${at}`);
    this.maxTarget = Math.max(this.maxTarget, p.target);
    // §4.3.3.1: every EXTINF rounded to the nearest integer is ≤ the target.
    for (const s of p.segments) assert.ok(Math.round(s.seconds) <= p.target, `EXTINF ${s.seconds} > target ${p.target}: ${at}`);
    const prev = this.prev;
    if (prev) {
      assert.ok(p.mediaSequence >= prev.mediaSequence, `media sequence went back: ${at}`);
      // §6.2.2: every segment with EXT-X-DISCONTINUITY that left adds one to EXT-X-DISCONTINUITY-SEQUENCE.
      const left = prev.segments.filter((s) => s.seq < p.mediaSequence);
      const leftDisc = left.filter((s) => s.discontinuity).length;
      this.discontinuitiesLeft += leftDisc;
      assert.equal(p.discontinuitySequence, prev.discontinuitySequence + leftDisc, `discontinuity sequence: ${at}`);
      // §6.2.2: no removal that leaves the playlist shorter than 3 × the target duration.
      if (left.length > 0) {
        const total = p.segments.reduce((sum, s) => sum + s.seconds, 0);
        assert.ok(total >= 3 * p.target - 1e-9, `removed segments leaving ${total.toFixed(3)} s < 3 × ${p.target}: ${at}`);
      }
      // Segments that stay keep their place and their discontinuity flag.
      const before = new Map(prev.segments.map((o) => [o.seq, o.discontinuity] as const));
      for (const s of p.segments) {
        const was = before.get(s.seq);
        if (was !== undefined) assert.equal(s.discontinuity, was, `segment ${s.seq} changed its discontinuity: ${at}`);
      }
    }
    this.prev = p;
  }
}

function playlistsOf(ops: HlsOp[]): string[] {
  const out: string[] = [];
  for (const op of ops) {
    if (op.type !== 'playlist') continue;
    const text = renderMediaPlaylist(op.playlist);
    if (text !== null) out.push(text);
  }
  return out;
}

/** A hostile stream: random GOPs, gaps, jumps back and forward, header changes, audio-only stretches. */
function hostileStream(rand: () => number): MediaFrame[] {
  const frames: MediaFrame[] = [h264Header(0), aacHeader(0)];
  let t = Math.floor(rand() * 100_000);
  const pieces = 4 + Math.floor(rand() * 6);
  for (let p = 0; p < pieces; p++) {
    const fps = [10, 25, 30][Math.floor(rand() * 3)]!;
    const gopMs = [500, 1000, 2000, 4000, 7000, 12_000][Math.floor(rand() * 6)]!;
    const lengthMs = 1000 + Math.floor(rand() * 12_000);
    const audioOnly = rand() < 0.15;
    const videoStep = 1000 / fps;
    const audioStep = (1024 * 1000) / 44100;
    const start = t;
    let nextVideo = start;
    let nextAudio = start;
    let sinceKey = Infinity;
    while (nextVideo < start + lengthMs || nextAudio < start + lengthMs) {
      if (!audioOnly && nextVideo <= nextAudio) {
        const key = sinceKey >= gopMs;
        if (key) sinceKey = 0;
        frames.push(h264Frame(Math.round(nextVideo), key));
        sinceKey += videoStep;
        nextVideo += videoStep * (rand() < 0.02 ? 1 + Math.floor(rand() * 12) : 1); // dropped frames: small gaps
      } else {
        frames.push(aacFrame(Math.round(nextAudio)));
        nextAudio += audioStep;
      }
      if (audioOnly && nextAudio >= start + lengthMs) break;
    }
    t = Math.round(Math.max(nextVideo, nextAudio));
    // Between pieces: a jump back (encoder restart), a gap under or over the jump threshold, or a new header.
    const r = rand();
    if (r < 0.2) t = Math.max(0, t - Math.floor(rand() * 60_000));
    else if (r < 0.4) t += 300 + Math.floor(rand() * 9000);
    else if (r < 0.5) t += 10_000 + Math.floor(rand() * 50_000);
    else if (r < 0.6) frames.push(h264Header(t, avcC(Buffer.from('6764001facd9407805bb011000000300100000030320f1831960', 'hex'))));
  }
  return frames;
}

function hostileOptions(rand: () => number): Partial<HlsMuxerOptions> {
  return {
    fragmentMs: [1000, 2000, 3000, 5000][Math.floor(rand() * 4)]!,
    tdRatio: [1, 1.2, 1.5][Math.floor(rand() * 3)]!,
    aofRatio: [1.5, 2.1][Math.floor(rand() * 2)]!,
    windowMs: [3000, 6000, 10_000, 30_000][Math.floor(rand() * 4)]!,
    waitKeyframe: rand() < 0.7,
  };
}

describe('LivePlaylistRules', () => {
  const e = (seq: number, durationMs: number, discontinuity = false): PlaylistEntry => ({ seq, durationMs, uri: `s-${seq}.ts`, discontinuity, key: null });

  test('the target duration is fixed by the first playlist, whatever comes later', () => {
    const r = new LivePlaylistRules();
    assert.equal(r.targetSec, null);
    assert.equal(r.maxSegmentMs, Infinity);
    assert.equal(r.playlist([e(0, 2000)], 2000).targetSec, 2);
    assert.equal(r.playlist([e(0, 2000), e(1, 4800)], 2000).targetSec, 2);
    assert.equal(r.maxSegmentMs, 2499);
    assert.equal(r.forceCutMs, 2400);
    r.reset();
    assert.equal(r.playlist([e(5, 4800)], 2000).targetSec, 5, 'a new playlist life after reset (hls_dispose)');
  });

  test('the window keeps at least 3 × target duration (§6.2.2)', () => {
    const r = new LivePlaylistRules();
    r.playlist([e(0, 5000)], 5000);
    // hls_window 6 s would keep 2 segments of 5 s; 3 × 5 s needs 4 (the one that crosses 15 s is kept).
    assert.equal(r.expiredCount([5000, 5000, 5000, 5000, 5000, 5000], 6000), 2);
    assert.equal(r.expiredCount([5000, 5000, 5000, 5000, 5000, 5000], 40_000), 0);
  });

  test('discontinuities that leave are counted and written before the first segment', () => {
    const r = new LivePlaylistRules();
    r.removed([e(0, 2000, true), e(1, 2000), e(2, 2000, true)]);
    const text = renderMediaPlaylist(r.playlist([e(3, 2000), e(4, 2000, true)], 2000))!;
    assert.equal(
      text,
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-DISCONTINUITY-SEQUENCE:2\n#EXT-X-TARGETDURATION:2\n' +
        '#EXTINF:2.000, no desc\ns-3.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000, no desc\ns-4.ts\n',
    );
  });
});

describe('live playlist rules over hostile input (HlsMuxer → playlist text)', () => {
  test('a 3 s gap in a 2 s target stream no longer moves EXT-X-TARGETDURATION (was 2 → 5 → 2)', () => {
    const muxer = new HlsMuxer(counterRandom());
    muxer.publish(options({ fragmentMs: 2000, tdRatio: 1, windowMs: 60_000 }));
    const frames: MediaFrame[] = [h264Header(0), aacHeader(0)];
    for (let t = 0; t < 10_000; t += 40) frames.push(h264Frame(t, t % 1000 === 0));
    // Under the 10 s jump threshold: no discontinuity, the segment just spans the gap.
    for (let t = 13_000; t < 30_000; t += 40) frames.push(h264Frame(t, t % 1000 === 0));
    const run = drive(muxer, frames);
    const checker = new PlaylistChecker('gap');
    for (const text of playlistsOf([...run.ops, ...muxer.unpublish()])) checker.check(text);
    assert.equal(checker.maxTarget, 2);
    assert.ok(checker.checked > 5);
  });

  test('hls_wait_keyframe on with 7 s GOPs and a 2 s fragment: the target follows the first segment, no segment exceeds it', () => {
    const muxer = new HlsMuxer(counterRandom());
    muxer.publish(options({ fragmentMs: 2000, tdRatio: 1, waitKeyframe: true, windowMs: 10_000 }));
    const frames: MediaFrame[] = [h264Header(0), aacHeader(0)];
    // First GOP 3 s, then 7 s GOPs: longer than the target fixed by the first segment.
    const keys = new Set([0, 3000, 10_000, 17_000, 24_000, 31_000, 38_000]);
    for (let t = 0; t < 40_000; t += 40) frames.push(h264Frame(t, keys.has(t)));
    const run = drive(muxer, frames);
    const checker = new PlaylistChecker('long gop');
    for (const text of playlistsOf(run.ops)) checker.check(text);
    assert.equal(checker.maxTarget, 3);
  });

  test('200 seeded hostile streams (jumps, gaps, long GOPs, header changes, republish): every playlist valid', () => {
    let playlists = 0;
    let discontinuitiesLeft = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rand = prng(seed);
      const muxer = new HlsMuxer(counterRandom());
      const checker = new PlaylistChecker(`seed ${seed}`);
      const publishes = 1 + Math.floor(rand() * 3);
      for (let p = 0; p < publishes; p++) {
        // A republish may come with other settings (a reload): the playlist's life goes on.
        muxer.publish(options(hostileOptions(rand)));
        const run = drive(muxer, hostileStream(rand));
        for (const text of playlistsOf([...run.ops, ...muxer.unpublish()])) checker.check(text);
      }
      playlists += checker.checked;
      discontinuitiesLeft += checker.discontinuitiesLeft;
    }
    // The run must exercise what it claims to.
    if (process.env.TSRS_TEST_VERBOSE) console.log({ playlists, discontinuitiesLeft });
    assert.ok(playlists > 2000, `${playlists} playlists`);
    assert.ok(discontinuitiesLeft > 50, `${discontinuitiesLeft} discontinuities left a window`);
  });
});
