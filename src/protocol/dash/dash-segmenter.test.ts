import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFixture } from '../../../test/fixtures/index.js';
import { demuxFlv } from '../../kernel/format/flv.js';
import { FragmentBuilder, trackFromSequenceHeader } from '../../kernel/format/mp4/index.js';
import { audioFrameFromFlv, videoFrameFromFlv, type MediaFrame } from '../../kernel/media-frame.js';
import { DashSegmenter, type DashSegmenterOptions } from './dash-segmenter.js';
import { aacHeader, aacRaw, avFrames, avcHeader, avcPicture, dashOptions, MemoryDisk, timelineOf } from './dash-test-helpers.js';
import { fragmentTiming } from './fragment-timing.js';
import { twoEncodes } from '../../kernel/frame-test-helpers.js';

/** avcC and AudioSpecificConfig of the fixtures (x264 High 320x180, AAC-LC 48 kHz; x264 4:4:4 176x100). */
function fixtureConfigs(): { avcC: Buffer; asc: Buffer; avcC444: Buffer } {
  const first = (name: string, type: 8 | 9): Buffer => demuxFlv(readFixture(name)).tags.find((t) => t.type === type)!.body;
  return { avcC: first('h264-aac.flv', 9).subarray(5), asc: first('h264-aac.flv', 8).subarray(2), avcC444: first('h264-444-interlaced.flv', 9).subarray(5) };
}
const { avcC, asc, avcC444 } = fixtureConfigs();
const ASC_44100 = Buffer.from('1210', 'hex');

const T0 = Date.UTC(2024, 0, 1);
const HOME = '/html/live/cam1';
const MPD = '/html/live/cam1.mpd';

/** A segmenter with a memory disk; `feed` offers frames with now = base + dts (+ latency). */
function setup(over: Partial<DashSegmenterOptions> = {}): {
  seg: DashSegmenter;
  disk: MemoryDisk;
  feed: (frames: MediaFrame[], wallBase?: number) => void;
} {
  const seg = new DashSegmenter();
  const disk = new MemoryDisk();
  disk.apply(seg.publish(dashOptions(over), T0));
  const feed = (frames: MediaFrame[], wallBase = T0): void => {
    for (const f of frames) disk.apply(seg.offer(f, wallBase + f.dts));
  };
  return { seg, disk, feed };
}

const headers = (dts = 0, video = avcC, audio = ASC_44100): MediaFrame[] => [avcHeader(video, dts), aacHeader(audio, dts)];

describe('DASH segmenter', () => {
  test('A/V: cuts on keyframes at dash_fragment, shared numbers, init + media segments + MPD', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 2000, windowSize: 100 });
    feed([...headers(), ...avFrames({ toMs: 10_000, gop: 25 })]);
    // Four segments closed by the keyframes at 2, 4, 6 and 8 s; 8..10 s is being filled.
    assert.deepEqual(seg.segments.map((s) => [s.number, Math.round(s.durationMs), s.kinds.join('+')]), [
      [0, 2000, 'video+audio'],
      [1, 2000, 'video+audio'],
      [2, 2000, 'video+audio'],
      [3, 2000, 'video+audio'],
    ]);
    disk.apply(seg.unpublish(T0 + 10_000));
    assert.equal(seg.segments.length, 5);
    const want = ['audio-init.mp4', 'video-init.mp4'];
    for (let n = 0; n < 5; n++) want.push(`audio-${n}.m4s`, `video-${n}.m4s`);
    assert.deepEqual(disk.list(HOME), want.sort());
    assert.deepEqual(disk.list('/html/live'), ['cam1.mpd']);
    // Init segments are written before any media, and the MPD after each segment it lists.
    assert.deepEqual(disk.writes.slice(0, 2).map((w) => w.what), ['init', 'init']);
    assert.equal(disk.writes.filter((w) => w.what === 'mpd').length, 5);

    const mpd = disk.text(MPD);
    assert.match(mpd, /<BaseURL>cam1\/<\/BaseURL>/);
    assert.match(mpd, /codecs="avc1.64000c" width="320" height="180"/);
    assert.match(mpd, /codecs="mp4a.40.2" audioSamplingRate="44100"/);
    const v = timelineOf(mpd, 'video')!;
    const a = timelineOf(mpd, 'audio')!;
    assert.equal(v.startNumber, 0);
    assert.equal(v.timescale, 90000);
    assert.equal(v.init, 'video-init.mp4');
    assert.deepEqual(v.segments.map((s) => s.d), [180000, 180000, 180000, 180000, 180000]);
    assert.equal(a.timescale, 44100);
    // Each S is exactly its file: tfdt and the sum of the sample durations; every video segment starts at a SAP.
    for (const [kind, tl] of [['video', v], ['audio', a]] as const) {
      tl.segments.forEach((s, i) => {
        const timing = fragmentTiming(disk.buffer(`${HOME}/${kind}-${i}.m4s`));
        assert.deepEqual([timing.earliestPresentationTime, timing.duration], [s.t, s.d], `${kind}-${i}`);
        assert.ok(timing.firstSampleSync, `${kind}-${i} starts with a sync sample`);
        if (i > 0) assert.equal(s.t, tl.segments[i - 1]!.t + tl.segments[i - 1]!.d, `${kind}-${i} follows the previous one`);
      });
    }
    // Audio segments end where the video cut is (within one AAC frame) and hold whole frames.
    a.segments.forEach((s, i) => {
      assert.equal(s.d % 1024, 0);
      const videoEnd = (v.segments[i]!.t + v.segments[i]!.d) / 90000;
      assert.ok(Math.abs((s.t + s.d) / 44100 - videoEnd) < 1024 / 44100, `audio-${i} ends with video-${i}`);
    });
  });

  test('availabilityStartTime puts the end of the first segment at "now"; the MPD carries the dash_* values', () => {
    const { disk, feed } = setup({ fragmentMs: 2000, updatePeriodMs: 3000, timeshiftMs: 5000, windowSize: 4 });
    // 150 ms late on the wall clock, timestamps starting at 1000 ms.
    feed([...headers(1000), ...avFrames({ fromMs: 1000, toMs: 11_000 })], T0 + 150 - 1000);
    const mpd = disk.text(MPD);
    // First segment 1000..3000 ms, written when the keyframe at 3000 ms arrived at T0 + 150 + 2000; its
    // last AAC frame (2996 ms) ends 20 ms later, and the whole segment must be available: AST = T0 + 130.
    assert.match(mpd, /availabilityStartTime="2024-01-01T00:00:00.130Z"/);
    // The last MPD: written at the cut at 9000 ms.
    assert.match(mpd, /publishTime="2024-01-01T00:00:08.150Z"/);
    assert.match(mpd, /type="dynamic"/);
    assert.match(mpd, /minimumUpdatePeriod="PT3.000S"/);
    assert.match(mpd, /minBufferTime="PT2.000S"/);
    assert.match(mpd, /maxSegmentDuration="PT2.000S"/);
    // dash_timeshift bounds timeShiftBufferDepth, and so do the 4 segments (8 s) listed.
    assert.match(mpd, /timeShiftBufferDepth="PT5.000S"/);
    assert.match(mpd, /<Period id="0" start="PT0.000S">/);
    // Media time 1000 ms is presentation time 0.
    assert.equal(timelineOf(mpd, 'video')!.pto, 90_000);
    assert.equal(timelineOf(mpd, 'audio')!.pto, 44_100);
  });

  test('window of dash_window_size segments; dash_cleanup deletes what left it one segment later', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 1000, windowSize: 3, cleanup: true });
    feed([...headers(), ...avFrames({ toMs: 10_500 })]);
    assert.deepEqual(seg.segments.map((s) => s.number), [7, 8, 9]);
    // Segment 6 left the MPD with the last update and is still there for players holding the one before.
    assert.deepEqual(disk.list(HOME), ['audio-6.m4s', 'audio-7.m4s', 'audio-8.m4s', 'audio-9.m4s', 'audio-init.mp4', 'video-6.m4s', 'video-7.m4s', 'video-8.m4s', 'video-9.m4s', 'video-init.mp4']);
    const mpd = disk.text(MPD);
    assert.equal(timelineOf(mpd, 'video')!.startNumber, 7);
    assert.equal(timelineOf(mpd, 'video')!.segments.length, 3);
    assert.equal(timelineOf(mpd, 'audio')!.startNumber, 7);
    assert.match(mpd, /timeShiftBufferDepth="PT3.000S"/);

    // A segment is deleted only after an MPD that no longer lists it was written.
    const order: string[] = [];
    const again = new DashSegmenter();
    again.publish(dashOptions({ fragmentMs: 1000, windowSize: 1 }), T0);
    for (const f of [...headers(), ...avFrames({ toMs: 3500 })]) {
      for (const op of again.offer(f, T0 + f.dts)) if (op.type !== 'log') order.push(op.type === 'write' ? `${op.what}${op.number ?? ''}` : `delete ${op.path.slice(HOME.length + 1)}`);
    }
    assert.deepEqual(order, ['init', 'init', 'segment0', 'segment0', 'mpd', 'segment1', 'segment1', 'mpd', 'segment2', 'segment2', 'mpd', 'delete video-0.m4s', 'delete audio-0.m4s']);

    const kept = setup({ fragmentMs: 1000, windowSize: 3, cleanup: false });
    kept.feed([...headers(), ...avFrames({ toMs: 10_500 })]);
    assert.equal(kept.disk.list(HOME).length, 2 + 2 * 10, 'dash_cleanup off keeps every segment');
    assert.equal(kept.disk.deletes.length, 0);
    assert.equal(timelineOf(kept.disk.text(MPD), 'video')!.segments.length, 3);
  });

  test('audio only: cut by duration, whole AAC frames, numbers and timeline contiguous', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 2000, windowSize: 10 });
    feed([aacHeader(ASC_44100), ...avFrames({ toMs: 9000, fps: 0 })]);
    disk.apply(seg.unpublish(T0 + 9000));
    assert.deepEqual(disk.list(HOME), ['audio-0.m4s', 'audio-1.m4s', 'audio-2.m4s', 'audio-3.m4s', 'audio-4.m4s', 'audio-init.mp4']);
    const mpd = disk.text(MPD);
    assert.doesNotMatch(mpd, /video/);
    const a = timelineOf(mpd, 'audio')!;
    a.segments.slice(0, -1).forEach((s, i) => {
      const ms = (s.d * 1000) / 44100;
      assert.ok(ms >= 2000 - 24 && ms < 2000 + 24, `segment ${i}: ${ms} ms`);
      assert.equal(s.d % 1024, 0);
      if (i > 0) assert.equal(s.t, a.segments[i - 1]!.t + a.segments[i - 1]!.d);
    });
  });

  test('H.265 video with 48 kHz AAC: hvc1 codecs string, sample rate timescale', () => {
    const { disk, feed } = setup({ fragmentMs: 1000 });
    const { tags } = demuxFlv(readFixture('h264-aac.flv'));
    // The codecs string comes from the record, so an HEVC record in an enhanced-RTMP sequence header is enough.
    const hvcC = Buffer.alloc(23);
    hvcC.set([1, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 93, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0]);
    const exHeader = (data: Buffer, packetType: number, key: boolean, dts: number): MediaFrame =>
      videoFrameFromFlv(Buffer.concat([Buffer.from([0x80 | ((key ? 1 : 2) << 4) | packetType]), Buffer.from('hvc1'), data]), dts)!;
    // Without an SPS the track cannot be described: the header is rejected with a warning.
    disk.apply([]);
    feed([exHeader(hvcC, 0, true, 0)]);
    assert.ok(disk.logs.some((l) => /warn: dash: ignore a malformed video sequence header/.test(l)), disk.logs.join('\n'));
    assert.equal(tags.length > 0, true);
    // AAC 48 kHz from the fixture: timescale 48000.
    feed([aacHeader(asc), ...avFrames({ toMs: 3000, fps: 0, sampleRate: 48000 })]);
    const a = timelineOf(disk.text(MPD), 'audio')!;
    assert.equal(a.timescale, 48000);
    assert.match(disk.text(MPD), /audioSamplingRate="48000"/);
  });

  test('a sequence header change starts a new Period at the next keyframe, continuing the timeline', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 2000, windowSize: 10 });
    feed([...headers(), ...avFrames({ toMs: 5000 })]);
    // New encoder settings at 5 s: a 176x100 stream from the next keyframe on; the audio is unchanged.
    feed([avcHeader(avcC444, 5000), ...avFrames({ fromMs: 5000, toMs: 9000 })]);
    disk.apply(seg.unpublish(T0 + 9000));
    assert.deepEqual(seg.segments.map((s) => [s.number, s.periodId, Math.round(s.durationMs)]), [
      [0, 0, 2000],
      [1, 0, 2000],
      [2, 0, 1000], // closed early by the change
      [3, 1, 2000],
      [4, 1, 2000],
    ]);
    const mpd = disk.text(MPD);
    assert.match(mpd, /<Period id="0" start="PT0.000S">[\s\S]*<Period id="1" start="PT5.000S">/);
    assert.equal(timelineOf(mpd, 'video', '0')!.init, 'video-init.mp4');
    assert.equal(timelineOf(mpd, 'video', '1')!.init, 'video-init-1.mp4');
    assert.equal(timelineOf(mpd, 'audio', '1')!.init, 'audio-init.mp4', 'an unchanged track keeps its init segment');
    assert.equal(timelineOf(mpd, 'video', '1')!.startNumber, 3);
    assert.equal(timelineOf(mpd, 'video', '1')!.pto, 5000 * 90);
    assert.match(mpd, /<Period id="1"[^>]*>[\s\S]*width="176" height="100"/);
    assert.ok(disk.files.has(`${HOME}/video-init-1.mp4`));
    // Repeating the same header (some encoders do) changes nothing.
    const again = setup({ fragmentMs: 2000 });
    again.feed([...headers(), ...avFrames({ toMs: 3000 }), ...headers(3000), ...avFrames({ fromMs: 3000, toMs: 6000 })]);
    assert.deepEqual(new Set(again.seg.segments.map((s) => s.periodId)), new Set([0]));
  });

  test('when the old Period leaves the window its own init segments are deleted, shared ones stay', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 1000, windowSize: 2 });
    feed([...headers(), ...avFrames({ toMs: 3000 }), avcHeader(avcC444, 3000), ...avFrames({ fromMs: 3000, toMs: 8000 })]);
    assert.deepEqual(new Set(seg.segments.map((s) => s.periodId)), new Set([1]));
    assert.deepEqual(disk.list(HOME).filter((f) => f.includes('init')), ['audio-init.mp4', 'video-init-1.mp4']);
    assert.doesNotMatch(disk.text(MPD), /Period id="0"/);
  });

  test('republish: a new Period on a new timeline placed at the wall clock; numbers keep rising', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 2000, windowSize: 10 });
    feed([...headers(), ...avFrames({ toMs: 4500 })]);
    disk.apply(seg.unpublish(T0 + 4500));
    assert.deepEqual(seg.segments.map((s) => s.number), [0, 1, 2]);
    // The publisher comes back 10 s after the first start, timestamps from 0 again.
    disk.apply(seg.publish(dashOptions({ fragmentMs: 2000, windowSize: 10 }), T0 + 10_000));
    feed([...headers(), ...avFrames({ toMs: 4500 })], T0 + 10_000);
    disk.apply(seg.unpublish(T0 + 14_500));
    assert.deepEqual(seg.segments.map((s) => [s.number, s.periodId]), [[0, 0], [1, 0], [2, 0], [3, 1], [4, 1], [5, 1]]);
    const mpd = disk.text(MPD);
    // The first segment's audio ends 20 ms after its video (see above).
    assert.match(mpd, /availabilityStartTime="2023-12-31T23:59:59.980Z"/);
    // The second publish starts 10 s after the first on the wall clock: its first segment (to 2020 ms
    // with the audio) ends "now", at T0 + 12 s = availabilityStartTime + 12.020 s.
    assert.match(mpd, /<Period id="1" start="PT10.000S">/);
    assert.equal(timelineOf(mpd, 'video', '1')!.startNumber, 3);
    assert.equal(timelineOf(mpd, 'video', '1')!.segments[0]!.t, 0);
    // Same encoder settings: the init segments are shared.
    assert.equal(timelineOf(mpd, 'video', '1')!.init, 'video-init.mp4');
    assert.ok(disk.logs.some((l) => /period 1 \(new timeline\)/.test(l)));
  });

  test('a republish right away never starts before the previous Period ended', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 2000, windowSize: 10 });
    // The first publisher ran 3 s ahead of the wall clock (a burst), then the second one starts at once.
    feed([...headers(), ...avFrames({ toMs: 6000 })], T0 - 3000);
    disk.apply(seg.unpublish(T0 + 3000));
    disk.apply(seg.publish(dashOptions({ fragmentMs: 2000, windowSize: 10 }), T0 + 3000));
    feed([...headers(), ...avFrames({ toMs: 3000 })], T0 + 3000);
    // Wall clock says 3 s, but Period 0 lasts until its last AAC frame ends at 6014 ms.
    assert.match(disk.text(MPD), /<Period id="1" start="PT6.014S">/);
  });

  test('a timestamp jump ends the Period; the next one starts at the next keyframe on a new timeline', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 2000, windowSize: 10 });
    feed([...headers(), ...avFrames({ toMs: 5000 })]);
    // Timestamps jump forward by a minute (a relay restarted upstream), wall clock continuous.
    feed(avFrames({ fromMs: 65_000, toMs: 70_000 }), T0 - 60_000);
    assert.deepEqual(seg.segments.map((s) => [s.number, s.periodId]), [[0, 0], [1, 0], [2, 0], [3, 1], [4, 1]]);
    const mpd = disk.text(MPD);
    // Right after Period 0 (its audio ends at 5016 ms), media time 65 s mapped there.
    assert.match(mpd, /<Period id="1" start="PT5.016S">/);
    assert.equal(timelineOf(mpd, 'video', '1')!.pto, 65_000 * 90);
    assert.ok(disk.logs.some((l) => /timestamp jump 4960ms -> 65000ms/.test(l)), disk.logs.join('\n'));
  });

  test('video stops: audio goes on in an audio-only Period; video rejoins at its next keyframe', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 1000, windowSize: 20 });
    feed([...headers(), ...avFrames({ toMs: 3000 })]);
    feed(avFrames({ fromMs: 3000, toMs: 8000, fps: 0 }));
    feed(avFrames({ fromMs: 8000, toMs: 11_000 }));
    const periods = seg.segments.map((s) => `${s.periodId}:${s.kinds.join('+')}`);
    assert.deepEqual([...new Set(periods)], ['0:video+audio', '1:audio', '2:video+audio'], periods.join(' '));
    const mpd = disk.text(MPD);
    assert.match(mpd, /<Period id="1"[^>]*>\s*<AdaptationSet id="0" contentType="audio"/);
    assert.equal(timelineOf(mpd, 'video', '2')!.init, 'video-init.mp4');
  });

  test('frames before the sequence headers and codecs fMP4 cannot carry are dropped with one warning', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 1000 });
    feed(avFrames({ toMs: 500 }));
    // Speex audio (codec id 11) has no place in fMP4 here.
    const speex = (dts: number): MediaFrame => audioFrameFromFlv(Buffer.from([0xb6, 1, 2, 3]), dts)!;
    feed([speex(500), speex(520), avcHeader(avcC, 500), ...avFrames({ fromMs: 500, toMs: 3000, sampleRate: 0 }), speex(3000)]);
    assert.equal(disk.logs.filter((l) => /before any sequence header/.test(l)).length, 2, disk.logs.join('\n'));
    assert.equal(disk.logs.filter((l) => /codec speex is not supported/.test(l)).length, 1);
    assert.deepEqual(seg.segments.map((s) => s.kinds.join('+')), ['video', 'video']);
    // A frame the mp4 layer rejects (NALU length past the end) is skipped, not fatal.
    const broken = videoFrameFromFlv(Buffer.from([0x27, 1, 0, 0, 0, 0, 0, 0, 99, 0x41]), 3040)!;
    feed([broken, avcPicture(3080, false)]);
    assert.ok(disk.logs.some((l) => /skip a video frame at 3040ms/.test(l)));
  });

  test('dispose deletes the MPD, segments and init segments; the next publish starts a new presentation', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 1000, windowSize: 3 });
    feed([...headers(), ...avFrames({ toMs: 5500 })]);
    disk.apply(seg.unpublish(T0 + 5500));
    disk.apply(seg.dispose(T0 + 60_000));
    assert.equal(disk.files.size, 0, [...disk.files.keys()].join(' '));
    const last = seg.nextSegmentNumber;
    disk.apply(seg.publish(dashOptions({ fragmentMs: 1000, windowSize: 3 }), T0 + 100_000));
    feed([...headers(), ...avFrames({ toMs: 2500 })], T0 + 100_000);
    const mpd = disk.text(MPD);
    assert.match(mpd, /availabilityStartTime="2024-01-01T00:01:39.978Z"/);
    assert.equal(timelineOf(mpd, 'video')!.startNumber, last);
    assert.match(mpd, /<Period id="\d+" start="PT0.000S">/);
    assert.ok(disk.files.has(`${HOME}/${timelineOf(mpd, 'video')!.init}`));
  });

  test('MP3 audio: the first frame describes the track', () => {
    const { seg, disk, feed } = setup({ fragmentMs: 1000 });
    const { tags } = demuxFlv(readFixture('mp3.flv'));
    const frames = tags.filter((t) => t.type === 8).map((t) => audioFrameFromFlv(t.body, t.timestamp)!);
    feed(frames);
    disk.apply(seg.unpublish(T0 + 1000));
    assert.match(disk.text(MPD), /codecs="mp4a.6B" audioSamplingRate="44100"/);
    assert.ok(seg.segments.length >= 1);
  });

  test('fragment timing reads tfdt, sample durations and the first sample flags', () => {
    const track = trackFromSequenceHeader(avcHeader(avcC))!;
    const b = new FragmentBuilder({ ...track, trackId: 1 }, 5);
    for (let i = 0; i < 10; i++) b.add(avcPicture(1000 + i * 40, i === 0));
    const t = fragmentTiming(b.flush({ styp: true, nextDtsMs: 1400 })!);
    assert.deepEqual(t, { baseMediaDecodeTime: 90_000, earliestPresentationTime: 90_000, duration: 36_000, sampleCount: 10, firstSampleSync: true, mdatBytes: 80 });
    b.add(avcPicture(1400, false));
    assert.equal(fragmentTiming(b.flush()!).firstSampleSync, false);
    // B-frames: I P B B in decode order, presented I B B P; the earliest presentation is the I frame's.
    b.add(avcPicture(1440, true, 80));
    b.add(avcPicture(1480, false, 120));
    b.add(avcPicture(1520, false, 0));
    b.add(avcPicture(1560, false, 0));
    const withB = fragmentTiming(b.flush({ nextDtsMs: 1600 })!);
    assert.equal(withB.baseMediaDecodeTime, 1440 * 90);
    assert.equal(withB.earliestPresentationTime, 1520 * 90);
    assert.equal(withB.duration, 160 * 90);
    assert.throws(() => fragmentTiming(Buffer.from('0000000c6d6f6f6600000000', 'hex')), { name: 'ProtocolError' });
  });
});

describe('DASH segmenter and format versions', () => {
  test('two real encodes in a row (SPS change): the new version gets a new Period and video init segment; repeats are not re-parsed', () => {
    const { frames } = twoEncodes();
    const { seg, disk, feed } = setup({ fragmentMs: 500, windowSize: 10 });
    feed(frames);
    disk.apply(seg.unpublish(T0 + 2000));
    const periods = [...new Set(seg.segments.map((s) => s.periodId))];
    assert.deepEqual(periods, [0, 1]);
    const mpd = disk.text(MPD);
    assert.equal(timelineOf(mpd, 'video', '1')!.init, 'video-init-1.mp4');
    assert.match(mpd, /<Period id="1"[^>]*>[\s\S]*width="176" height="100"/);
    const init1 = disk.files.get(`${HOME}/video-init-1.mp4`) as Buffer;
    assert.ok(init1.includes(avcC444), 'the new init carries the new avcC');
  });
});
