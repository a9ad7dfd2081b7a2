import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../../core/errors.js';
import { expectOnlyProtocolErrors, fuzzInputs, readFixture } from '../../../../test/fixtures/index.js';
import { type MediaFrame, audioFrameFromFlv, dataFrame, videoFrameFromFlv } from '../../media-frame.js';
import { demuxFlv } from '../flv.js';
import { FragmentBuilder, initSegment, segmentType, trackIds } from './fmp4.js';
import {
  AAC_LC_44100,
  AVC_RECORD,
  aacBody,
  avcc,
  enhancedVideoBody,
  legacyVideoBody,
  mustFind,
  parseBoxes,
  readFragments,
  readMp4,
} from './mp4-test-helpers.js';
import { type TrackInfo, opusPacketSamples, trackFromSequenceHeader } from './track.js';

const H264: TrackInfo = { kind: 'video', codec: 'h264', timescale: 90000, config: AVC_RECORD, width: 64, height: 48 };
const AAC: TrackInfo = { kind: 'audio', codec: 'aac', timescale: 44100, config: AAC_LC_44100, sampleRate: 44100, channels: 2 };

function h264Frame(dts: number, cts: number, key: boolean, ...nalus: Buffer[]): MediaFrame {
  return videoFrameFromFlv(legacyVideoBody(7, key ? 1 : 2, 1, cts, avcc(...nalus)), dts)!;
}
function h264Enhanced(dts: number, cts: number, key: boolean, ...nalus: Buffer[]): MediaFrame {
  return videoFrameFromFlv(enhancedVideoBody('avc1', key ? 1 : 2, cts === 0 ? 3 : 1, cts, avcc(...nalus)), dts)!;
}
function aacFrame(dts: number, data: Buffer): MediaFrame {
  return audioFrameFromFlv(aacBody(1, data), dts)!;
}
const nalu = (type: number, n: number) => Buffer.concat([Buffer.from([type]), Buffer.alloc(n - 1, type)]);

/** I P B B P in decode order with 40 ms frames and B-frame composition offsets. */
const GOP: Array<[number, number, boolean, Buffer]> = [
  [0, 80, true, nalu(0x65, 30)],
  [40, 160, false, nalu(0x41, 12)],
  [80, 40, false, nalu(0x01, 5)],
  [120, 40, false, nalu(0x01, 6)],
  [160, 120, false, nalu(0x41, 11)],
];
const AUDIO_DTS = [0, 23, 46, 70, 93]; // 1024-sample frames at 44.1 kHz, rounded to ms

describe('trackFromSequenceHeader', () => {
  const tags = demuxFlv(readFixture('h264-aac.flv')).tags;
  const videoSh = tags.find((t) => t.type === 9)!;
  const audioSh = tags.find((t) => t.type === 8)!;

  test('AVC sequence header: config record, 90 kHz, size from the SPS (after cropping)', () => {
    const t = trackFromSequenceHeader(videoFrameFromFlv(videoSh.body, 0)!)!;
    assert.deepEqual({ ...t, config: undefined }, { kind: 'video', codec: 'h264', timescale: 90000, config: undefined, width: 320, height: 180 });
    assert.deepEqual(t.config, videoSh.body.subarray(5));
    assert.notEqual(t.config.buffer, videoSh.body.buffer, 'config is a copy');
  });

  test('AAC sequence header: ASC, rate from the ASC (not the FLV header), timescale = rate', () => {
    const t = trackFromSequenceHeader(audioFrameFromFlv(audioSh.body, 0)!)!;
    assert.deepEqual(t, { kind: 'audio', codec: 'aac', timescale: 48000, config: audioSh.body.subarray(2), sampleRate: 48000, channels: 2 });
  });

  test('HE-AAC uses the SBR output rate', () => {
    // objectType 5, core 24 kHz stereo, extension 48 kHz, core LC.
    const t = trackFromSequenceHeader(audioFrameFromFlv(aacBody(0, Buffer.from([0x2b, 0x11, 0x88, 0x00])), 0)!)!;
    assert.equal(t.sampleRate, 48000);
    assert.equal(t.timescale, 48000);
  });

  test('MP3 and Opus tracks come from their first frame', () => {
    const mp3 = demuxFlv(readFixture('mp3.flv')).tags.find((t) => t.type === 8)!;
    const t = trackFromSequenceHeader(audioFrameFromFlv(mp3.body, 0)!)!;
    assert.deepEqual(t, { kind: 'audio', codec: 'mp3', timescale: 44100, config: Buffer.alloc(0), sampleRate: 44100, channels: 1 });
    const opus = trackFromSequenceHeader(audioFrameFromFlv(Buffer.from([0xd6, 0xfc, 1, 2]), 0)!)!;
    assert.deepEqual(opus, { kind: 'audio', codec: 'opus', timescale: 48000, config: Buffer.alloc(0), sampleRate: 48000, channels: 2 });
  });

  test('null for coded frames, data, other codecs; ProtocolError for a malformed record', () => {
    assert.equal(trackFromSequenceHeader(h264Frame(0, 0, true, nalu(0x65, 4))), null);
    assert.equal(trackFromSequenceHeader(aacFrame(0, Buffer.from([1]))), null);
    assert.equal(trackFromSequenceHeader(dataFrame(Buffer.from([2]), 0)), null);
    assert.equal(trackFromSequenceHeader(videoFrameFromFlv(enhancedVideoBody('av01', 1, 0, 0, Buffer.from([0x81])), 0)!), null);
    assert.equal(trackFromSequenceHeader(audioFrameFromFlv(Buffer.from([0x3f, 0xff]), 0)!), null); // PCM
    assert.throws(() => trackFromSequenceHeader(videoFrameFromFlv(legacyVideoBody(7, 1, 0, 0, Buffer.from([1, 2, 3])), 0)!), ProtocolError);
    const noSps = Buffer.from('0164000aff' + 'e0' + '00', 'hex');
    assert.throws(() => trackFromSequenceHeader(videoFrameFromFlv(legacyVideoBody(7, 1, 0, 0, noSps), 0)!), ProtocolError);
    assert.throws(() => trackFromSequenceHeader(audioFrameFromFlv(aacBody(0, Buffer.from([0x00, 0x00])), 0)!), ProtocolError);
  });

  test('opusPacketSamples reads the TOC (RFC 6716 3.1)', () => {
    assert.equal(opusPacketSamples(Buffer.from([0xfc])), 960); // CELT 20 ms, one frame
    assert.equal(opusPacketSamples(Buffer.from([0x78])), 960); // hybrid 20 ms
    assert.equal(opusPacketSamples(Buffer.from([0x01])), 960); // SILK 10 ms, two frames
    assert.equal(opusPacketSamples(Buffer.from([0x03, 0x03])), 1440); // SILK 10 ms, three frames (code 3)
    assert.equal(opusPacketSamples(Buffer.from([0x03])), 0);
    assert.equal(opusPacketSamples(Buffer.alloc(0)), 0);
  });
});

describe('initSegment', () => {
  test('ftyp + moov: mvhd, a trak per track with its sample entry, mvex/trex', () => {
    const init = initSegment([H264, AAC]);
    const boxes = parseBoxes(init);
    assert.deepEqual(boxes.map((b) => b.type), ['ftyp', 'moov']);
    assert.equal(boxes[0]!.payload.toString('latin1'), 'iso6\0\0\0\0iso6iso5mp41');
    const moov = boxes[1]!;
    assert.deepEqual(moov.children.map((b) => b.type), ['mvhd', 'trak', 'trak', 'mvex']);
    assert.equal(mustFind(moov.children, 'mvhd').payload.readUInt32BE(96), 3); // next_track_ID
    const { tracks } = readMp4(init);
    assert.deepEqual(
      tracks.map((t) => [t.trackId, t.handler, t.timescale, t.sampleEntry, t.samples.length, t.mdhdDuration]),
      [
        [1, 'vide', 90000, 'avc1', 0, 0],
        [2, 'soun', 44100, 'mp4a', 0, 0],
      ],
    );
    assert.deepEqual(tracks[0]!.config, AVC_RECORD);
    const trex = mustFind(moov.children, 'mvex').children;
    assert.deepEqual(trex.map((t) => [t.type, t.payload.readUInt32BE(4), t.payload.readUInt32BE(8)]), [
      ['trex', 1, 1],
      ['trex', 2, 1],
    ]);
  });

  test('explicit track ids; duplicates and empty lists are RangeErrors', () => {
    const { tracks } = readMp4(initSegment([{ ...AAC, trackId: 2 }]));
    assert.equal(tracks[0]!.trackId, 2);
    assert.deepEqual(trackIds([H264, AAC]), [1, 2]);
    assert.throws(() => initSegment([H264, { ...AAC, trackId: 1 }]), RangeError);
    assert.throws(() => initSegment([]), RangeError);
    assert.throws(() => new FragmentBuilder([]), RangeError);
  });

  test('styp for DASH segments', () => {
    assert.equal(segmentType().toString('latin1'), '\0\0\0\x18stypmsdh\0\0\0\0msdhmsix');
  });
});

describe('FragmentBuilder', () => {
  function gopFrames(offsetMs = 0, enhanced = false): MediaFrame[] {
    const frames: MediaFrame[] = [];
    GOP.forEach(([dts, cts, key, n], i) => {
      frames.push((enhanced ? h264Enhanced : h264Frame)(dts + offsetMs, cts, key, n));
      frames.push(aacFrame(AUDIO_DTS[i]! + offsetMs, Buffer.alloc(7 + i, 0x21)));
    });
    return frames;
  }

  test('moof + mdat: durations, signed composition offsets, sync flags, sizes and data offsets', () => {
    const b = new FragmentBuilder([H264, AAC]);
    for (const f of gopFrames()) b.add(f);
    assert.equal(b.sampleCount, 10);
    assert.equal(b.durationMs, 200);
    const frag = b.flush({ nextDtsMs: 200 })!;
    assert.deepEqual(parseBoxes(frag).map((x) => x.type), ['moof', 'mdat']);
    const samples = readFragments(frag);
    const video = samples.filter((s) => s.trackId === 1);
    assert.deepEqual(video.map((s) => [s.dts, s.duration, s.cts, s.sync]), [
      [0, 3600, 7200, true],
      [3600, 3600, 14400, false],
      [7200, 3600, 3600, false],
      [10800, 3600, 3600, false],
      [14400, 3600, 10800, false],
    ]);
    video.forEach((s, i) => assert.deepEqual(frag.subarray(s.offset, s.offset + s.size), avcc(GOP[i]![3])));
    const audio = samples.filter((s) => s.trackId === 2);
    // 23, 46, 70, 93 ms are within a millisecond of n * 1024 samples: placed exactly there.
    assert.deepEqual(audio.map((s) => [s.dts, s.duration, s.size]), [
      [0, 1024, 7],
      [1024, 1024, 8],
      [2048, 1024, 9],
      [3072, 1024, 10],
      [4096, 1024, 11],
    ]);
    audio.forEach((s, i) => assert.deepEqual(frag.subarray(s.offset, s.offset + s.size), Buffer.alloc(7 + i, 0x21)));
    const moof = parseBoxes(frag)[0]!;
    const videoTrun = mustFind(moof.children, 'traf/trun').payload;
    assert.equal(videoTrun.readUInt32BE(0), 0x01000f01); // version 1, all per-sample fields + data offset
    assert.equal(b.sampleCount, 0);
    assert.equal(b.flush(), null);
  });

  test('tfdt is the absolute dts in the track timescale, 64-bit', () => {
    const b = new FragmentBuilder([H264, AAC]);
    const base = 60_000_000; // 16.7 h: 5.4e12 ticks at 90 kHz, past 32 bits
    for (const f of gopFrames(base)) b.add(f);
    const frag = b.flush()!;
    const samples = readFragments(frag);
    assert.equal(samples.find((s) => s.trackId === 1)!.dts, base * 90);
    assert.equal(samples.find((s) => s.trackId === 2)!.dts, base * 44.1);
    const tfdt = mustFind(parseBoxes(frag), 'moof/traf/tfdt');
    assert.equal(tfdt.size, 20); // version 1: 64-bit baseMediaDecodeTime
    assert.equal(tfdt.payload[0], 1);
    assert.equal(Number(tfdt.payload.readBigUInt64BE(4)), base * 90);
  });

  test('sequence numbers count up from the start value; styp on request', () => {
    const b = new FragmentBuilder(H264, 7);
    assert.equal(b.nextSequenceNumber, 7);
    b.add(h264Frame(0, 0, true, nalu(0x65, 4)));
    const first = b.flush({ styp: true })!;
    assert.deepEqual(parseBoxes(first).map((x) => x.type), ['styp', 'moof', 'mdat']);
    b.add(h264Frame(40, 0, false, nalu(0x41, 4)));
    const second = b.flush()!;
    assert.deepEqual(readFragments(first).map((s) => s.sequenceNumber), [7]);
    assert.deepEqual(readFragments(second).map((s) => s.sequenceNumber), [8]);
    // A lone sample repeats the previous duration; the very first one gets 1/25 s.
    assert.equal(readFragments(first)[0]!.duration, 3600);
    assert.equal(readFragments(second)[0]!.duration, 3600);
  });

  test('nextDtsMs sets the last video duration; audio keeps its frame length', () => {
    const b = new FragmentBuilder([H264, AAC]);
    b.add(h264Frame(0, 0, true, nalu(0x65, 4)));
    b.add(aacFrame(0, Buffer.alloc(4)));
    b.add(h264Frame(33, 0, false, nalu(0x41, 4)));
    const samples = readFragments(b.flush({ nextDtsMs: 100 })!);
    assert.deepEqual(samples.map((s) => [s.trackId, s.duration]), [
      [1, 33 * 90],
      [1, 67 * 90],
      [2, 1024],
    ]);
  });

  test('fragments stay contiguous across flushes (audio snapped, video via nextDtsMs)', () => {
    // 2 s of 25 fps video and 44.1 kHz AAC with ms timestamps, cut before every 5th video frame.
    const frames: MediaFrame[] = [];
    for (let i = 0; i < 50; i++) frames.push(h264Frame(i * 40, 0, i % 5 === 0, nalu(i % 5 === 0 ? 0x65 : 0x41, 4)));
    for (let i = 0; i * 1024 < 2 * 44100; i++) frames.push(aacFrame(Math.round((i * 1024 * 1000) / 44100), Buffer.alloc(4)));
    frames.sort((a, b) => a.dts - b.dts || (a.kind === 'video' ? -1 : 1));
    const b = new FragmentBuilder([H264, AAC]);
    const fragments: Buffer[] = [];
    for (const f of frames) {
      if (f.kind === 'video' && f.keyframe && b.sampleCount > 0) fragments.push(b.flush({ nextDtsMs: f.dts })!);
      b.add(f);
    }
    fragments.push(b.flush()!);
    assert.equal(fragments.length, 10);
    const ends = new Map<number, number>();
    for (const frag of fragments) {
      for (const s of readFragments(frag)) {
        if (ends.has(s.trackId)) assert.equal(s.dts, ends.get(s.trackId), `track ${s.trackId} gap at ${s.dts}`);
        ends.set(s.trackId, s.dts + s.duration);
        if (s.trackId === 1) assert.equal(s.duration, 3600);
        else assert.equal(s.duration, 1024);
      }
    }
  });

  test('audio that really jumps is not snapped; decode times never go backwards', () => {
    const b = new FragmentBuilder([H264, AAC]);
    b.add(aacFrame(0, Buffer.alloc(4)));
    b.add(aacFrame(100, Buffer.alloc(4))); // a 100 ms gap (lost audio)
    b.add(aacFrame(90, Buffer.alloc(4))); // backwards
    b.add(h264Frame(50, 0, true, nalu(0x65, 4)));
    b.add(h264Frame(50, 0, false, nalu(0x41, 4))); // same dts
    const s = readFragments(b.flush()!);
    assert.deepEqual(s.filter((x) => x.trackId === 2).map((x) => x.dts), [0, 4410, 4411]);
    assert.deepEqual(s.filter((x) => x.trackId === 1).map((x) => x.dts), [4500, 4501]);
  });

  test('HE-AAC frames are 2048 samples at the output rate', () => {
    const he = trackFromSequenceHeader(audioFrameFromFlv(aacBody(0, Buffer.from([0x2b, 0x11, 0x88, 0x00])), 0)!)!;
    const b = new FragmentBuilder(he);
    for (const dts of [0, 43, 85, 128]) b.add(aacFrame(dts, Buffer.alloc(3)));
    assert.deepEqual(readFragments(b.flush()!).map((s) => [s.dts, s.duration]), [
      [0, 2048],
      [2048, 2048],
      [4096, 2048],
      [6144, 2048],
    ]);
  });

  test('ignores frames it has no track for, sequence headers, end-of-sequence and empty bodies', () => {
    const b = new FragmentBuilder(H264);
    b.add(videoFrameFromFlv(legacyVideoBody(7, 1, 0, 0, AVC_RECORD), 0)!);
    b.add(aacFrame(0, Buffer.alloc(4)));
    b.add(dataFrame(Buffer.from([2, 0, 0]), 0));
    b.add(videoFrameFromFlv(legacyVideoBody(12, 1, 1, 0, avcc(nalu(0x26, 4))), 0)!); // H.265 frame
    b.add(videoFrameFromFlv(legacyVideoBody(7, 1, 2, 0, Buffer.alloc(0)), 0)!); // end of sequence
    b.add(videoFrameFromFlv(legacyVideoBody(7, 1, 1, 0, Buffer.alloc(0)), 0)!); // no NALUs
    b.add(videoFrameFromFlv(legacyVideoBody(7, 5, 1, 0, Buffer.from([0])), 0)!); // video info frame
    b.add(videoFrameFromFlv(Buffer.from([0x57, 0x01]), 0)!); // command frame: 2 bytes
    assert.equal(b.sampleCount, 0);
    assert.equal(b.flush(), null);
  });

  test('malformed bodies throw ProtocolError and change nothing', () => {
    const b = new FragmentBuilder([H264, AAC]);
    b.add(h264Frame(0, 0, true, nalu(0x65, 4)));
    const bad = Buffer.concat([Buffer.from([0, 0, 0, 9]), nalu(0x41, 4)]);
    assert.throws(() => b.add(videoFrameFromFlv(legacyVideoBody(7, 2, 1, 0, bad), 40)!), ProtocolError);
    assert.throws(() => b.add(videoFrameFromFlv(Buffer.from([0x27, 1]), 40)!), ProtocolError);
    assert.throws(() => b.add(audioFrameFromFlv(Buffer.from([0xaf, 5, 1]), 0)!), ProtocolError);
    assert.throws(() => b.add(audioFrameFromFlv(Buffer.from([0xaf]), 0)!), ProtocolError);
    assert.equal(b.sampleCount, 1);
    b.add(h264Frame(40, 0, false, nalu(0x41, 4)));
    assert.deepEqual(readFragments(b.flush()!).map((s) => [s.dts, s.duration]), [
      [0, 3600],
      [3600, 3600],
    ]);
  });

  test('Enhanced RTMP bodies (avc1 CodedFrames / CodedFramesX) give the same fragment as legacy ones', () => {
    const legacy = new FragmentBuilder([H264, AAC]);
    const enhanced = new FragmentBuilder([H264, AAC]);
    for (const f of gopFrames()) legacy.add(f);
    for (const f of gopFrames(0, true)) enhanced.add(f);
    assert.deepEqual(enhanced.flush(), legacy.flush());
  });

  test('fuzz: garbage FLV bodies only ever raise ProtocolError, and the output stays well-formed', () => {
    const b = new FragmentBuilder([H264, AAC]);
    const seeds = [
      legacyVideoBody(7, 1, 1, 80, avcc(nalu(0x65, 20), nalu(0x06, 5))),
      enhancedVideoBody('avc1', 2, 1, -40, avcc(nalu(0x41, 9))),
      enhancedVideoBody('avc1', 2, 3, 0, avcc(nalu(0x41, 9))),
      aacBody(1, Buffer.alloc(12, 0x5a)),
    ];
    let dts = 0;
    const r = expectOnlyProtocolErrors('FragmentBuilder.add', fuzzInputs(seeds, 0x6d703466, 3000), (input) => {
      dts += 7;
      const isVideo = (input[0] ?? 0) >> 4 !== 0x0a;
      const f = isVideo ? videoFrameFromFlv(input, dts) : audioFrameFromFlv(input, dts);
      if (f !== null) b.add(f);
    });
    assert.ok(r.accepted > 100 && r.refused > 100, `accepted ${r.accepted}, refused ${r.refused}`);
    const frag = b.flush()!;
    const samples = readFragments(frag);
    const mdat = parseBoxes(frag)[1]!;
    assert.equal(samples.reduce((n, s) => n + s.size, 0), mdat.payload.length);
    for (const track of [1, 2]) {
      const d = samples.filter((s) => s.trackId === track).map((s) => s.dts);
      for (let i = 1; i < d.length; i++) assert.ok(d[i]! > d[i - 1]!);
    }
  });
});

describe('fragment timing from the frame clock (issue 12: ticks, not ms)', () => {
  const AAC48: TrackInfo = { kind: 'audio', codec: 'aac', timescale: 48000, config: Buffer.from([0x11, 0x90]), sampleRate: 48000, channels: 2 };

  test('a 90 kHz TS ingest at 29.97 fps keeps exact decode times, composition offsets and the last duration', () => {
    const b = new FragmentBuilder([H264]);
    // 3003 ticks a frame (33.367 ms): in whole ms the frames would land 33 or 34 ms apart.
    const frame = (i: number, key: boolean) =>
      videoFrameFromFlv(legacyVideoBody(7, key ? 1 : 2, 1, 33, avcc(nalu(key ? 0x65 : 0x41, 10))), Math.round((i * 3003) / 90), 90000, i * 3003, i * 3003 + 3003)!;
    for (let i = 0; i < 30; i++) b.add(frame(i, i === 0));
    const samples = readFragments(b.flush({ next: frame(30, true) })!);
    assert.deepEqual(samples.map((s) => s.dts), Array.from({ length: 30 }, (_, i) => i * 3003));
    assert.ok(samples.every((s) => s.duration === 3003 && s.cts === 3003), 'durations and offsets exact, the last one too');
  });

  test('48 kHz AAC from a 90 kHz clock: 10 minutes of 1024-sample frames end exactly at n x 1024', () => {
    const b = new FragmentBuilder([AAC48]);
    const n = Math.ceil((600 * 48000) / 1024);
    const tfdts: number[] = [];
    for (let i = 0; i < n; i++) {
      // 1024/48000 s = 1920 ticks at 90 kHz exactly; 21.333 ms in the FLV clock.
      b.add(audioFrameFromFlv(aacBody(1, Buffer.from([0x21, 0x10, 0x05])), Math.round((i * 1920) / 90), 90000, i * 1920)!);
      if ((i + 1) % 470 === 0) tfdts.push(readFragments(b.flush()!)[0]!.dts);
    }
    const last = readFragments(b.flush()!);
    assert.equal(last[last.length - 1]!.dts, (n - 1) * 1024);
    assert.ok(tfdts.every((t, k) => t === k * 470 * 1024), 'every fragment starts on its sample count');
  });
});
