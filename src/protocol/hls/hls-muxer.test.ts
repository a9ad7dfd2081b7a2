import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HlsMuxer, metaHints, type HlsOp } from './hls-muxer.js';
import { renderMediaPlaylist } from './playlist.js';
import {
  ASC_44100,
  ASC_48000,
  aacFrame,
  aacHeader,
  avcC,
  counterRandom,
  drive,
  h264Frame,
  h264Header,
  lastPlaylist,
  metadata,
  mp3Frame,
  options,
  opsOf,
  streamFrames,
  type Run,
} from './hls-test-helpers.js';
import type { HlsMuxerOptions } from './hls-muxer.js';
import { audioFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';

const headers = (): MediaFrame[] => [h264Header(), aacHeader()];

function publishRun(over: Partial<HlsMuxerOptions>, frames: MediaFrame[], muxer = new HlsMuxer(counterRandom())): { muxer: HlsMuxer; run: Run } {
  muxer.publish(options(over));
  const run = drive(muxer, frames);
  return { muxer, run };
}

function playlistText(ops: HlsOp[]): string {
  const p = lastPlaylist(ops);
  assert.ok(p, 'a playlist was written');
  return renderMediaPlaylist(p.playlist)!;
}

/** The op sequence is well-formed: data only between open and close/discard of the same seq. */
function checkOpOrder(ops: HlsOp[]): void {
  let open: number | null = null;
  for (const op of ops) {
    if (op.type === 'open') {
      assert.equal(open, null, `open ${op.seq} while ${open} is open`);
      open = op.seq;
    } else if (op.type === 'data') {
      assert.equal(op.seq, open);
    } else if (op.type === 'close' || op.type === 'discard') {
      assert.equal(op.seq, open);
      open = null;
    }
  }
}

test('H.264+AAC, 1 s GOP, hls_fragment 2: keyframe-aligned 2.000 s segments', () => {
  const { muxer, run } = publishRun({}, [...headers(), ...streamFrames({ durationMs: 13_000 })]);
  checkOpOrder(run.ops);
  const closes = opsOf(run.ops, 'close');
  assert.equal(closes.length, 6);
  for (const c of closes) assert.equal(c.durationMs, 2000, `segment ${c.seq}`);
  assert.deepEqual(closes.map((c) => c.seq), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(closes.map((c) => c.path), [0, 1, 2, 3, 4, 5].map((s) => `/h/live/cam-${s}.ts`));
  assert.equal(closes[0]!.tmpPath, '/h/live/cam-0.ts.tmp');
  // Every segment after the first starts with a video keyframe (the first starts with the stream).
  for (const [seq, frames] of run.framesBySeq) {
    const firstVideo = frames.find((f) => f.kind === 'video')!;
    assert.ok(firstVideo.keyframe, `segment ${seq} starts with a keyframe`);
    assert.equal(firstVideo.dts % 2000, 0);
  }
  // Every segment's bytes start with PAT/PMT.
  let expectPat = false;
  for (const op of run.ops) {
    if (op.type === 'open') expectPat = true;
    else if (op.type === 'data' && expectPat) {
      assert.equal(op.bytes[0], 0x47);
      assert.equal(((op.bytes[1]! & 0x1f) << 8) | op.bytes[2]!, 0, 'PAT first');
      expectPat = false;
    }
  }
  // The open segment (12 s → 13 s) is closed by unpublish, under 100 ms it would be dropped.
  const end = muxer.unpublish();
  const last = opsOf(end, 'close');
  assert.equal(last.length, 1);
  assert.equal(last[0]!.seq, 6);
  assert.ok(last[0]!.durationMs > 900 && last[0]!.durationMs < 1000);
  assert.equal(
    playlistText(end),
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-TARGETDURATION:2\n' +
      [1, 2, 3, 4, 5].map((s) => `#EXTINF:2.000, no desc\ncam-${s}.ts\n`).join('') +
      `#EXTINF:${(last[0]!.durationMs / 1000).toFixed(3)}, no desc\ncam-6.ts\n`,
  );
});

test('first playlist: discontinuity on the first segment of a publish (SRS marks it on the sequence headers)', () => {
  const { run } = publishRun({}, [...headers(), ...streamFrames({ durationMs: 4100 })]);
  const first = lastPlaylist(run.ops)!;
  assert.equal(
    renderMediaPlaylist(first.playlist),
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000, no desc\ncam-0.ts\n#EXTINF:2.000, no desc\ncam-1.ts\n',
  );
  assert.equal(first.path, '/h/live/cam.m3u8');
});

test('window and cleanup: hls_window 10 with 2 s segments keeps 6, deletes what leaves', () => {
  const { run } = publishRun({}, [...headers(), ...streamFrames({ durationMs: 30_100 })]);
  const p = lastPlaylist(run.ops)!.playlist;
  assert.deepEqual(p.entries.map((e) => e.seq), [9, 10, 11, 12, 13, 14]);
  const deleted = opsOf(run.ops, 'delete');
  assert.deepEqual(deleted.map((d) => d.path), [0, 1, 2, 3, 4, 5, 6, 7, 8].map((s) => `/h/live/cam-${s}.ts`));
  assert.ok(deleted.every((d) => d.reason === 'cleanup'));
  // Each delete comes after the playlist that no longer lists it.
  const idxDel = run.ops.findIndex((o) => o.type === 'delete');
  assert.equal(run.ops[idxDel - 1]!.type, 'playlist');

  const noCleanup = publishRun({ cleanup: false }, [...headers(), ...streamFrames({ durationMs: 30_100 })]).run;
  assert.equal(opsOf(noCleanup.ops, 'delete').length, 0);
});

test('hls_td_ratio raises the reap threshold and the target duration floor', () => {
  const { run } = publishRun({ tdRatio: 1.5 }, [...headers(), ...streamFrames({ durationMs: 9100 })]);
  for (const c of opsOf(run.ops, 'close')) assert.equal(c.durationMs, 3000);
  assert.match(playlistText(run.ops), /#EXT-X-TARGETDURATION:3\n/);
});

test('long GOP: segments wait for the keyframe (hls_wait_keyframe on)', () => {
  const { run } = publishRun({}, [...headers(), ...streamFrames({ durationMs: 20_100, gopFrames: 125 })]);
  const closes = opsOf(run.ops, 'close');
  // Keyframes every 5 s: the audio overflow (2 × 2.1 = 4.2 s) reaps before them, and a segment already
  // over 2 s when a keyframe comes is reaped there.
  assert.deepEqual(closes.map((c) => c.durationMs), [4203, 4203, 4202, 2392, 4203]);
  const starts = [...run.framesBySeq.values()].map((f) => [f[0]!.kind, f[0]!.dts]);
  assert.deepEqual(starts, [['video', 0], ['audio', 4203], ['audio', 8406], ['audio', 12608], ['video', 15000], ['audio', 19203]]);

  const videoOnly = publishRun({}, [h264Header(), ...streamFrames({ durationMs: 20_100, gopFrames: 125, audio: false })]).run;
  for (const c of opsOf(videoOnly.ops, 'close')) assert.equal(c.durationMs, 5000, 'video-only waits for the keyframe');
});

test('hls_wait_keyframe off: reap at the first frame past the fragment', () => {
  const { run } = publishRun({ waitKeyframe: false }, [h264Header(), ...streamFrames({ durationMs: 10_100, gopFrames: 125, audio: false })]);
  const closes = opsOf(run.ops, 'close');
  assert.equal(closes.length, 5);
  for (const c of closes) assert.equal(c.durationMs, 2000);
  assert.equal(run.framesBySeq.get(1)![0]!.keyframe, false);
});

test('pure audio (AAC): no video track, segments cut at fragment × aof_ratio', () => {
  const { muxer, run } = publishRun({}, [aacHeader(), ...streamFrames({ durationMs: 13_000, video: false })]);
  assert.deepEqual(muxer.currentTracks, { video: 'none', audio: 'aac' });
  const closes = opsOf(run.ops, 'close');
  assert.equal(closes.length, 3);
  for (const c of closes) assert.ok(c.durationMs >= 4200 && c.durationMs < 4230, `${c.durationMs}`);
  // PCR on the audio PID when there is no video: the PMT's PCR_PID is 0x101.
  const first = opsOf(run.ops, 'data')[0]!.bytes;
  const pmt = first.subarray(188);
  assert.equal(((pmt[1]! & 0x1f) << 8) | pmt[2]!, 0x1001);
  assert.equal(((pmt[13]! & 0x1f) << 8) | pmt[14]!, 0x101);
});

test('hls_vcodec vn drops video; hls_acodec an drops audio', () => {
  const vn = publishRun({ vcodec: 'vn' }, [...headers(), ...streamFrames({ durationMs: 5000 })]);
  assert.deepEqual(vn.muxer.currentTracks, { video: 'none', audio: 'aac' });
  assert.ok([...vn.run.framesBySeq.values()].flat().every((f) => f.kind === 'audio'));
  const an = publishRun({ acodec: 'an' }, [...headers(), ...streamFrames({ durationMs: 5000 })]);
  assert.deepEqual(an.muxer.currentTracks, { video: 'h264', audio: 'none' });
  assert.ok([...an.run.framesBySeq.values()].flat().every((f) => f.kind === 'video'));
});

test('tracks: H.264 only, H.264+MP3 from metadata, AAC-only with metadata', () => {
  const v = publishRun({}, [metadata({ videocodecid: 7 }), h264Header(), ...streamFrames({ durationMs: 1000, audio: false })]);
  assert.deepEqual(v.muxer.currentTracks, { video: 'h264', audio: 'none' });
  const mp3 = publishRun({}, [metadata({ videocodecid: 7, audiocodecid: 2 }), h264Header(), ...streamFrames({ durationMs: 5000, audio: 'mp3' })]);
  assert.deepEqual(mp3.muxer.currentTracks, { video: 'h264', audio: 'mp3' });
  assert.equal(opsOf(mp3.run.ops, 'close').length, 2, 'no cut when MP3 shows up after the first video frame');
  const a = publishRun({}, [metadata({ audiocodecid: 10 }), aacHeader(), ...streamFrames({ durationMs: 1000, video: false })]);
  assert.deepEqual(a.muxer.currentTracks, { video: 'none', audio: 'aac' });
  assert.deepEqual(metaHints(metadata({ videocodecid: 0x61766331, audiocodecid: 0x6d703461 }).payload), { video: 'h264', audio: 'aac' });
  assert.equal(metaHints(Buffer.from([0x02, 0x00, 0x01, 0x78])), null);
});

test('a track appearing later: new TS with both tracks after a discontinuity', () => {
  const muxer = new HlsMuxer(counterRandom());
  muxer.publish(options());
  const run = drive(muxer, [aacHeader(), ...streamFrames({ durationMs: 3000, video: false })]);
  assert.deepEqual(muxer.currentTracks, { video: 'none', audio: 'aac' });
  drive(muxer, [h264Header(3000), ...streamFrames({ startMs: 3000, durationMs: 4100 })], run);
  assert.deepEqual(muxer.currentTracks, { video: 'h264', audio: 'aac' });
  const p = lastPlaylist(run.ops)!.playlist;
  assert.equal(p.entries[0]!.seq, 0);
  assert.ok(p.entries[0]!.durationMs >= 2900);
  assert.equal(p.entries[1]!.discontinuity, true);
});

test('segments under 100 ms are dropped and their seq reused', () => {
  const muxer = new HlsMuxer(counterRandom());
  muxer.publish(options());
  const run = drive(muxer, [...headers(), ...streamFrames({ durationMs: 80 })]);
  const end = muxer.unpublish();
  assert.equal(opsOf(end, 'discard').length, 1);
  assert.equal(opsOf(end, 'discard')[0]!.tmpPath, '/h/live/cam-0.ts.tmp');
  assert.equal(lastPlaylist(end), undefined, 'no playlist without segments');
  assert.equal(muxer.sequenceNo, 0);
  assert.ok(opsOf(run.ops, 'open').length === 1);
  muxer.publish(options());
  const again = drive(muxer, [...headers(), ...streamFrames({ durationMs: 2100 })]);
  assert.equal(opsOf(again.ops, 'open')[0]!.seq, 0);
  assert.equal(lastPlaylist(again.ops)!.playlist.entries[0]!.discontinuity, true);
});

test('republish: seq keeps rising, the window keeps old segments, the new publish starts with a discontinuity', () => {
  const muxer = new HlsMuxer(counterRandom());
  muxer.publish(options());
  drive(muxer, [...headers(), ...streamFrames({ durationMs: 4500 })]);
  const end = muxer.unpublish();
  assert.equal(opsOf(end, 'close')[0]!.seq, 2);
  assert.equal(muxer.isPublishing, false);
  assert.deepEqual(muxer.offer(h264Frame(0, true), 0), [], 'frames between publishes are ignored');
  muxer.publish(options());
  // The new encoder starts its timestamps at 0 again.
  const run = drive(muxer, [...headers(), ...streamFrames({ durationMs: 4100 })]);
  const text = playlistText(run.ops);
  assert.equal(
    text,
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n#EXT-X-DISCONTINUITY\n' +
      '#EXTINF:2.000, no desc\ncam-0.ts\n#EXTINF:2.000, no desc\ncam-1.ts\n#EXTINF:0.481, no desc\ncam-2.ts\n' +
      '#EXT-X-DISCONTINUITY\n#EXTINF:2.000, no desc\ncam-3.ts\n#EXTINF:2.000, no desc\ncam-4.ts\n',
  );
});

test('mid-stream: a changed sequence header cuts with a discontinuity; an identical one does not', () => {
  const muxer = new HlsMuxer(counterRandom());
  muxer.publish(options());
  const run = drive(muxer, [...headers(), ...streamFrames({ durationMs: 3000 })]);
  drive(muxer, [h264Header(3000)], run);
  assert.equal(opsOf(run.ops, 'close').length, 1, 'identical header: no cut');
  const sps2 = Buffer.from('6764001eacd9447b011000000300100000030320f1225960', 'hex');
  drive(muxer, [h264Header(3000, avcC(sps2))], run);
  assert.equal(opsOf(run.ops, 'close').length, 2, 'changed header: cut');
  drive(muxer, streamFrames({ startMs: 3000, durationMs: 2100 }), run);
  const entries = lastPlaylist(run.ops)!.playlist.entries;
  assert.deepEqual(entries.map((e) => [e.seq, e.discontinuity]), [[0, true], [1, false], [2, true]]);
  assert.equal(entries[1]!.durationMs, 995, 'the cut segment ends at its last frame (audio at 2995 ms)');
});

test('timestamps jumping backwards: cut with a discontinuity, durations stay sane', () => {
  const muxer = new HlsMuxer(counterRandom());
  muxer.publish(options());
  const run = drive(muxer, [...headers(), ...streamFrames({ startMs: 100_000, durationMs: 3000 })]);
  drive(muxer, streamFrames({ startMs: 0, durationMs: 4100 }), run);
  const entries = lastPlaylist(run.ops)!.playlist.entries;
  assert.deepEqual(entries.map((e) => [e.seq, e.durationMs, e.discontinuity]), [[0, 2000, true], [1, 995, false], [2, 2000, true], [3, 2000, false]]);
  assert.ok(run.ops.some((o) => o.type === 'log' && /timestamp jump/.test(o.message)));
});

test('codec change (H.264 → H.265 frames) opens a new TS after a discontinuity', () => {
  const muxer = new HlsMuxer(counterRandom());
  muxer.publish(options({}));
  const run = drive(muxer, [...headers(), ...streamFrames({ durationMs: 2500 })]);
  const hevc = streamFrames({ startMs: 2500, durationMs: 2100, audio: false }).map((f): MediaFrame => {
    const p = Buffer.from(f.payload);
    p[0] = (p[0]! & 0xf0) | 12;
    return f.kind === 'video' ? { ...f, codec: 'h265', payload: p } : f;
  });
  drive(muxer, hevc, run);
  assert.deepEqual(muxer.currentTracks, { video: 'h265', audio: 'aac' });
  assert.deepEqual(opsOf(run.ops, 'close').map((c) => [c.seq, c.durationMs]), [[0, 2000], [1, 485], [2, 2000]]);
  assert.equal(lastPlaylist(run.ops)!.playlist.entries[2]!.discontinuity, true);
});

test('[duration], [timestamp] and date variables in hls_ts_file; hls_entry_prefix', () => {
  const { run } = publishRun({ tsFile: '[app]/[2006][01][02]/[stream]-[15][04][05]-[999]-[seq]-[duration].ts', entryPrefix: 'http://cdn' }, [
    ...headers(),
    ...streamFrames({ durationMs: 2100 }),
  ]);
  const close = opsOf(run.ops, 'close')[0]!;
  // drive() runs the wall clock at 2024-03-05 07:08:09.010 UTC + stream time.
  assert.equal(close.tmpPath, '/h/live/20240305/cam-070809-010-0-[duration].ts.tmp');
  assert.equal(close.path, '/h/live/20240305/cam-070809-010-0-2000.ts');
  assert.equal(close.uri, 'http://cdn/live/20240305/cam-070809-010-0-2000.ts');
  const ts = publishRun({ tsFile: '[app]/[stream]-[timestamp].ts' }, [...headers(), ...streamFrames({ durationMs: 2100 })]).run;
  assert.equal(opsOf(ts.ops, 'close')[0]!.path, `/h/live/cam-${Date.UTC(2024, 2, 5, 7, 8, 9, 10)}.ts`);
});

test('hls_ts_floor: [timestamp] = floor(now/fragment), +1 per segment', () => {
  const { run } = publishRun({ tsFloor: true, tsFile: '[app]/[stream]-[timestamp].ts' }, [...headers(), ...streamFrames({ durationMs: 8100 })]);
  const names = opsOf(run.ops, 'close').map((c) => Number(/cam-(\d+)\.ts$/.exec(c.path)![1]));
  const base = Math.floor(Date.UTC(2024, 2, 5, 7, 8, 9, 10) / 2000) - 1;
  assert.deepEqual(names, [base, base + 1, base + 2, base + 3]);
});

test('hls_keys: key file before the segment, rotation every hls_fragments_per_key, EXT-X-KEY with IV', () => {
  const { run } = publishRun({ keys: true, fragmentsPerKey: 2, keyUrl: 'https://k.example/', keyFilePath: '/keys' }, [...headers(), ...streamFrames({ durationMs: 8100 })]);
  const keys = opsOf(run.ops, 'key');
  assert.deepEqual(keys.map((k) => k.path), ['/keys/live/cam-0.key', '/keys/live/cam-2.key', '/keys/live/cam-4.key']);
  assert.ok(keys.every((k) => k.key.length === 16));
  const opens = opsOf(run.ops, 'open');
  assert.ok(opens.every((o) => o.cipher !== null));
  assert.ok(opens[0]!.cipher!.key.equals(keys[0]!.key));
  assert.ok(opens[1]!.cipher!.key.equals(keys[0]!.key), 'seq 1 shares the key of seq 0');
  assert.ok(opens[2]!.cipher!.key.equals(keys[1]!.key));
  // The key op precedes the open of its first segment.
  assert.ok(run.ops.indexOf(keys[1]!) < run.ops.indexOf(opens[2]!));
  const iv0 = opens[0]!.cipher!.iv.toString('hex');
  const iv2 = opens[2]!.cipher!.iv.toString('hex');
  assert.equal(
    playlistText(run.ops),
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n#EXT-X-DISCONTINUITY\n' +
      `#EXT-X-KEY:METHOD=AES-128,URI="https://k.example/live/cam-0.key",IV=0x${iv0}\n#EXTINF:2.000, no desc\ncam-0.ts\n#EXTINF:2.000, no desc\ncam-1.ts\n` +
      `#EXT-X-KEY:METHOD=AES-128,URI="https://k.example/live/cam-2.key",IV=0x${iv2}\n#EXTINF:2.000, no desc\ncam-2.ts\n#EXTINF:2.000, no desc\ncam-3.ts\n`,
  );
});

test('hls_keys with cleanup: key files go when no listed segment uses them', () => {
  const { run } = publishRun({ keys: true, fragmentsPerKey: 2, windowMs: 4000 }, [...headers(), ...streamFrames({ durationMs: 16_100 })]);
  const deleted = opsOf(run.ops, 'delete').map((d) => d.path);
  assert.ok(deleted.includes('/h/live/cam-0.key'));
  assert.ok(deleted.includes('/h/live/cam-2.key'));
  const listed = lastPlaylist(run.ops)!.playlist.entries.map((e) => e.key!.uri);
  for (const k of listed) assert.ok(!deleted.includes(k), `${k} still listed`);
});

test('hls_dts_directly off: AAC PTS rebuilt from the sample count', () => {
  const jittered = (dtsDirectly: boolean): number[] => {
    const { run } = publishRun({ dtsDirectly }, [aacHeader(), ...streamFrames({ durationMs: 1000, video: false })]);
    return audioPts(Buffer.concat(opsOf(run.ops, 'data').map((d) => d.bytes)));
  };
  const steps = (pts: number[]) => new Set(pts.slice(1).map((p, i) => p - pts[i]!));
  assert.deepEqual([...steps(jittered(true))].sort(), [2070, 2160], 'FLV ms: 23/24 ms steps');
  const rebuilt = steps(jittered(false));
  for (const s of rebuilt) assert.ok(s === 2089 || s === 2090, `1024 samples at 44.1 kHz, got ${s}`);
  // 48 kHz uses the AudioSpecificConfig rate (SRS would use 44100 from the FLV header).
  const m = new HlsMuxer(counterRandom());
  m.publish(options({ dtsDirectly: false }));
  const frames = [aacHeader(0, ASC_48000)];
  for (let i = 0; i < 50; i++) frames.push(aacFrame(Math.round((i * 1024 * 1000) / 48000)));
  const pts = audioPts(Buffer.concat(opsOf(drive(m, frames).ops, 'data').map((d) => d.bytes)));
  for (let i = 1; i < pts.length; i++) assert.equal(pts[i]! - pts[i - 1]!, 1920);
  assert.ok(ASC_44100.length === 2);
});

test('an explicit-rate AAC config (samplingFrequencyIndex 15) is carried, not dropped (issue 12)', () => {
  // aot 2, index 15, 24-bit rate 48000 (0x00BB80), 2 channels: the rate AAC decoders and ADTS know as index 3.
  const explicit48k = Buffer.from([0x17, 0x80, 0x5d, 0xc0, 0x10]);
  const m = new HlsMuxer(counterRandom());
  m.publish(options({ dtsDirectly: false }));
  const frames = [aacHeader(0, explicit48k)];
  for (let i = 0; i < 50; i++) frames.push(aacFrame(Math.round((i * 1024 * 1000) / 48000)));
  const pts = audioPts(Buffer.concat(opsOf(drive(m, frames).ops, 'data').map((d) => d.bytes)));
  assert.equal(pts.length, 50, 'every audio frame reaches the segment');
  for (let i = 1; i < pts.length; i++) assert.equal(pts[i]! - pts[i - 1]!, 1920, 'PTS rebuilt from 1024 samples at 48 kHz');
});

test('dispose deletes segments, keys and the playlist; seq continues', () => {
  const muxer = new HlsMuxer(counterRandom());
  muxer.publish(options({ keys: true }));
  drive(muxer, [...headers(), ...streamFrames({ durationMs: 4500 })]);
  muxer.unpublish();
  const ops = muxer.dispose();
  assert.deepEqual(
    ops.map((o) => (o.type === 'delete' ? o.path : o.type)),
    ['/h/live/cam-0.ts', '/h/live/cam-1.ts', '/h/live/cam-2.ts', '/h/live/cam-0.key', '/h/live/cam.m3u8'],
  );
  assert.equal(muxer.segments.length, 0);
  assert.equal(muxer.sequenceNo, 3);
});

test('forgetSegment drops a failed segment from the playlist', () => {
  const { muxer, run } = publishRun({}, [...headers(), ...streamFrames({ durationMs: 6100 })]);
  assert.equal(lastPlaylist(run.ops)!.playlist.entries.length, 3);
  const ops = muxer.forgetSegment(1);
  assert.deepEqual(lastPlaylist(ops)!.playlist.entries.map((e) => e.seq), [0, 2]);
  assert.deepEqual(muxer.forgetSegment(42), []);
});

test('frames HLS cannot carry are ignored without breaking the stream', () => {
  const muxer = new HlsMuxer(counterRandom());
  muxer.publish(options());
  const speex = audioFrameFromFlv(Buffer.from([0xb2, 1, 2, 3]), 10)!;
  assert.equal(speex.codec, 'speex');
  const run = drive(muxer, [...headers(), speex, ...streamFrames({ durationMs: 2100 }), speex]);
  assert.equal(muxer.ignoredFrames, 2);
  assert.equal(opsOf(run.ops, 'close').length, 1);
  assert.throws(() => muxer.publish(options()), /while publishing/);
});

/** PTS (90 kHz) of every audio PES (PID 0x101) in a TS byte stream. */
function audioPts(ts: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + 188 <= ts.length; off += 188) {
    const pid = ((ts[off + 1]! & 0x1f) << 8) | ts[off + 2]!;
    if (pid !== 0x101 || !(ts[off + 1]! & 0x40)) continue;
    let p = off + 4;
    if (ts[off + 3]! & 0x20) p += 1 + ts[p]!;
    const b = ts.subarray(p + 9, p + 14);
    out.push((b[0]! >> 1 & 0x07) * 2 ** 30 + ((b[1]! << 7) | (b[2]! >> 1)) * 2 ** 15 + ((b[3]! << 7) | (b[4]! >> 1)));
  }
  return out;
}

test('bad input (random payloads, missing headers, jumps) never throws and keeps the op stream well formed', () => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const bytes = (len: number): Buffer => Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
  for (let round = 0; round < 20; round++) {
    const muxer = new HlsMuxer(counterRandom());
    muxer.publish(options({ keys: round % 2 === 0, dtsDirectly: round % 3 !== 0, waitKeyframe: round % 4 !== 0 }));
    const ops: HlsOp[] = [];
    let dts = Math.floor(rnd() * 100_000);
    for (let i = 0; i < 1500; i++) {
      dts += rnd() < 0.01 ? -Math.floor(rnd() * 50_000) : Math.floor(rnd() * 40);
      const r = rnd();
      let f: MediaFrame;
      if (r < 0.05) f = h264Header(dts, bytes(Math.floor(rnd() * 40)));
      else if (r < 0.08) f = aacHeader(dts, bytes(Math.floor(rnd() * 4)));
      else if (r < 0.5) {
        const body = Buffer.concat([Buffer.from([rnd() < 0.1 ? 0x17 : 0x27, rnd() < 0.9 ? 1 : Math.floor(rnd() * 4), 0, 0, 0]), bytes(Math.floor(rnd() * 300))]);
        f = { ...h264Frame(dts, body[0] === 0x17), payload: body };
      } else if (r < 0.95) {
        f = { ...aacFrame(dts), payload: Buffer.concat([Buffer.from([0xaf, 1]), bytes(Math.floor(rnd() * 200))]) };
      } else f = mp3Frame(dts);
      ops.push(...muxer.offer(f, 1_700_000_000_000 + i * 20));
    }
    ops.push(...muxer.unpublish());
    checkOpOrder(ops);
    for (const p of opsOf(ops, 'playlist')) {
      const text = renderMediaPlaylist(p.playlist)!;
      assert.match(text, /^#EXTM3U\n/);
      for (const e of p.playlist.entries) assert.ok(e.durationMs >= 100 && Number.isFinite(e.durationMs));
    }
  }
});
