import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '../../../core/errors.js';
import { type MediaFrame, audioFrameFromFlv } from '../../media-frame.js';
import { adtsHeader, parseAudioSpecificConfig } from '../../codec/aac.js';
import { splitAvccNalus } from '../../codec/h264.js';
import { crc32Mpeg2 } from './crc32-mpeg2.js';
import {
  AAC_ASC,
  H264_AVCC,
  H264_PPS,
  H264_SPS,
  H265_PPS,
  H265_SPS,
  H265_VPS,
  aacFrame,
  aacSequenceHeader,
  fill,
  parsePackets,
  pesOf,
  prng,
  videoFrame,
  videoSequenceHeader,
} from './mpegts-test-helpers.js';
import { buildHevcConfig } from '../../codec/nal-unit.js';
import { TsDemuxer, readPesTimestamp } from './ts-demuxer.js';
import { TsMuxer, writePesTimestamp } from './ts-muxer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A synthetic H.264 + AAC stream: sequence headers, 2 GOPs with B-frame style CTS, 20 ms audio. */
function synthetic(opts: { startMs?: number; frames?: number; codec?: 'h264' | 'h265' } = {}): MediaFrame[] {
  const start = opts.startMs ?? 0;
  const n = opts.frames ?? 30;
  const codec = opts.codec ?? 'h264';
  const frames: MediaFrame[] = [];
  const record = codec === 'h264' ? H264_AVCC : buildHevcConfig(H265_VPS, H265_SPS, H265_PPS);
  frames.push(videoSequenceHeader(record, codec, start), aacSequenceHeader(AAC_ASC, start));
  const idrType = codec === 'h264' ? [0x65, 0x88] : [0x26, 0x01];
  const pType = codec === 'h264' ? [0x41, 0x9a] : [0x02, 0x01];
  const seiType = codec === 'h264' ? [0x06, 0x05] : [0x4e, 0x01];
  for (let i = 0; i < n; i++) {
    const dts = start + i * 40;
    const key = i % 15 === 0;
    const size = key ? 3000 + i * 100 : 100 + ((i * 997) % 2500);
    const nalus = [Buffer.concat([Buffer.from(key ? idrType : pType), fill(size, i)])];
    if (key) nalus.unshift(Buffer.concat([Buffer.from(seiType), fill(20, 1000 + i)]));
    frames.push(videoFrame(nalus, dts, key ? 0 : 80, key, codec));
    frames.push(aacFrame(fill(150 + ((i * 31) % 300), 5000 + i), dts));
    frames.push(aacFrame(fill(150 + ((i * 17) % 300), 6000 + i), dts + 20));
  }
  return frames;
}

function muxAll(frames: MediaFrame[], mux = new TsMuxer()): Buffer {
  const out: Buffer[] = [];
  for (const f of frames) mux.muxInto(f, out);
  return Buffer.concat(out);
}

function demuxAll(ts: Buffer, chunks?: number[]): { frames: MediaFrame[]; demuxer: TsDemuxer } {
  const demuxer = new TsDemuxer();
  const frames: MediaFrame[] = [];
  if (chunks === undefined) frames.push(...demuxer.push(ts));
  else {
    let off = 0;
    for (const n of chunks) {
      frames.push(...demuxer.push(ts.subarray(off, off + n)));
      off += n;
    }
    frames.push(...demuxer.push(ts.subarray(off)));
  }
  frames.push(...demuxer.flush());
  return { frames, demuxer };
}

/** The fields a frame is compared on (payload as hex keeps failures readable). */
function summary(f: MediaFrame): object {
  return {
    kind: f.kind,
    codec: f.codec,
    dts: f.dts,
    pts: f.pts,
    keyframe: f.keyframe,
    sequenceHeader: f.sequenceHeader,
    payload: f.payload.toString('hex'),
  };
}

function byKind(frames: MediaFrame[], kind: 'video' | 'audio'): object[] {
  return frames.filter((f) => f.kind === kind).map(summary);
}

function assertSameFrames(actual: MediaFrame[], expected: MediaFrame[]): void {
  assert.deepEqual(byKind(actual, 'video'), byKind(expected, 'video'));
  assert.deepEqual(byKind(actual, 'audio'), byKind(expected, 'audio'));
}

/** ffmpeg's avcC for H264_SPS/H264_PPS with another level_idc (in the record and in its SPS copy). */
function avccWithLevel(level: number): string {
  const rec = Buffer.from(H264_AVCC);
  rec[3] = level;
  rec[8 + 3] = level;
  return rec.toString('hex');
}

/** Minimal packetizer for hand-made PES: payload-only packets, the last one stuffed. */
function packetize(pid: number, pes: Buffer, cc0 = 0): Buffer {
  const out: Buffer[] = [];
  let cc = cc0;
  for (let off = 0, first = true; off < pes.length; first = false) {
    const n = Math.min(184, pes.length - off);
    const pkt = Buffer.alloc(188, 0xff);
    pkt[0] = 0x47;
    pkt[1] = (first ? 0x40 : 0) | (pid >> 8);
    pkt[2] = pid & 0xff;
    pkt[3] = (n < 184 ? 0x30 : 0x10) | (cc++ & 15);
    if (n < 184) {
      pkt[4] = 183 - n;
      if (183 - n > 0) pkt[5] = 0;
    }
    pes.copy(pkt, 188 - n, off, off + n);
    out.push(pkt);
    off += n;
  }
  return Buffer.concat(out);
}

function pesBytes(streamId: number, es: Buffer, pts90k: number, dts90k = pts90k, bounded = true): Buffer {
  const withDts = dts90k !== pts90k;
  const h = Buffer.alloc(withDts ? 19 : 14);
  hex('000001').copy(h);
  h[3] = streamId;
  h.writeUInt16BE(bounded ? h.length - 6 + es.length : 0, 4);
  h[6] = 0x80;
  h[7] = withDts ? 0xc0 : 0x80;
  h[8] = withDts ? 10 : 5;
  writePesTimestamp(h, 9, withDts ? 3 : 2, pts90k);
  if (withDts) writePesTimestamp(h, 14, 1, dts90k);
  return Buffer.concat([h, es]);
}

/** PAT + PMT packets from the muxer for the given codecs. */
function tablesFor(video: 'h264' | 'h265' | 'none', audio: 'aac' | 'mp3' | 'none'): Buffer {
  return new TsMuxer({ videoCodec: video, audioCodec: audio }).tables();
}

test('mux → demux round trip of H.264 + AAC is exact (payloads, timestamps, flags)', () => {
  const input = synthetic();
  const { frames, demuxer } = demuxAll(muxAll(input));
  assertSameFrames(frames, input);
  assert.deepEqual(demuxer.streams, { video: 'h264', audio: 'aac' });
  assert.deepEqual(demuxer.stats, { packets: demuxer.stats.packets, resyncs: 0, discontinuities: 0, droppedPes: 0, crcErrors: 0 });
});

test('mux → demux round trip of H.265 + AAC is exact', () => {
  const input = synthetic({ codec: 'h265' });
  const { frames } = demuxAll(muxAll(input, new TsMuxer({ videoCodec: 'h265' })));
  assertSameFrames(frames, input);
});

test('the same frames come out whatever the byte splits (every split point of a short stream, random chunks)', () => {
  const input = synthetic({ frames: 3 });
  const ts = muxAll(input);
  const whole = demuxAll(ts).frames.map(summary);
  for (let cut = 1; cut < ts.length; cut += 7) {
    assert.deepEqual(demuxAll(ts, [cut]).frames.map(summary), whole, `cut ${cut}`);
  }
  const big = muxAll(synthetic());
  const rnd = prng(7);
  for (let round = 0; round < 10; round++) {
    const chunks: number[] = [];
    for (let n = 0; n < big.length; ) {
      const c = 1 + Math.floor(rnd() * 700);
      chunks.push(c);
      n += c;
    }
    assertSameFrames(demuxAll(big, chunks).frames, synthetic());
  }
});

test('PTS/DTS across the 33-bit wrap come back as rising milliseconds', () => {
  const start = Math.floor(2 ** 33 / 90) - 500; // wraps after ~500 ms
  const input = synthetic({ startMs: start, frames: 30 });
  const ts = muxAll(input);
  const { frames } = demuxAll(ts);
  assertSameFrames(frames, input);
  const video = frames.filter((f) => f.kind === 'video' && !f.sequenceHeader);
  assert.ok(video.at(-1)!.dts > 2 ** 33 / 90, 'timeline continues past the wrap');
});

test('MP3 round trip keeps the bytes; FLV flags come from the MPEG audio header', () => {
  const mux = new TsMuxer({ audioCodec: 'mp3', videoCodec: 'none' });
  const mpeg1Stereo = audioFrameFromFlv(Buffer.concat([hex('2f fffb9064'), fill(200, 1)]), 0)!;
  const mpeg2Mono = audioFrameFromFlv(Buffer.concat([hex('2a fff390c4'), fill(100, 2)]), 26)!;
  const { frames, demuxer } = demuxAll(muxAll([mpeg1Stereo, mpeg2Mono], mux));
  assert.deepEqual(demuxer.streams, { video: null, audio: 'mp3' });
  assertSameFrames(frames, [mpeg1Stereo, mpeg2Mono]);
});

test('several ADTS frames in one PES: one sequence header, frames 1024 samples apart; config change re-announced', () => {
  const adts = (sfi: number, ch: number, raw: Buffer): Buffer => {
    const asc = parseAudioSpecificConfig(Buffer.from([0x10 | (sfi >> 1), ((sfi & 1) << 7) | (ch << 3)])); // LC
    return Buffer.concat([adtsHeader(asc, raw.length), raw]);
  };
  const es1 = Buffer.concat([adts(3, 2, fill(10, 1)), adts(3, 2, fill(11, 2)), adts(3, 2, fill(12, 3))]);
  const es2 = adts(3, 1, fill(13, 4));
  const ts = Buffer.concat([
    tablesFor('none', 'aac'),
    packetize(0x101, pesBytes(0xc0, es1, 90000)),
    packetize(0x101, pesBytes(0xc0, es2, 90000 + 3 * 1920), 1),
  ]);
  const { frames } = demuxAll(ts);
  assert.deepEqual(
    frames.map((f) => [f.dts, f.sequenceHeader, f.payload.subarray(0, 4).toString('hex')]),
    [
      [1000, true, 'af001190'], // LC, 48 kHz, 2 channels
      [1000, false, 'af01' + fill(10, 1).subarray(0, 2).toString('hex')],
      [1021, false, 'af01' + fill(11, 2).subarray(0, 2).toString('hex')], // 1024/48000 s = 21.33 ms
      [1042, false, 'af01' + fill(12, 3).subarray(0, 2).toString('hex')],
      [1064, true, 'af001188'], // now mono
      [1064, false, 'af01' + fill(13, 4).subarray(0, 2).toString('hex')],
    ],
  );
});

test('TS in, TS out: frames keep the 90 kHz PES clock, so 48 kHz AAC PTS come back exact (no ms rounding drift)', () => {
  const asc = parseAudioSpecificConfig(Buffer.from([0x11, 0x90])); // LC, 48 kHz, stereo
  const pts = Array.from({ length: 30 }, (_, k) => 90000 + k * 1920); // 1024 samples = 1920 ticks
  const ts = Buffer.concat([
    tablesFor('none', 'aac'),
    ...pts.map((p, k) => packetize(0x101, pesBytes(0xc0, Buffer.concat([adtsHeader(asc, 6), fill(6, k)]), p), k & 0x0f)),
  ]);
  const { frames } = demuxAll(ts);
  const audio = frames.filter((f) => f.kind === 'audio' && !f.sequenceHeader);
  assert.deepEqual(audio.map((f) => [f.timescale, f.dtsTicks]), pts.map((p) => [90000, p]));
  const remuxed = parsePackets(muxAll(frames, new TsMuxer({ videoCodec: 'none' })));
  const ptsOut = pesOf(remuxed, 0x101).map((pes) => readPesTimestamp(pes, 9));
  assert.deepEqual(ptsOut, pts, 'ms (21/22 ms steps) would give 1890/1980-tick steps');
});

test('Annex-B from other encoders: in-band SPS/PPS make the sequence header, AUD dropped, pictures before it dropped', () => {
  const idr = Buffer.concat([hex('6588'), fill(500, 1)]);
  const p = Buffer.concat([hex('419a'), fill(300, 2)]);
  const sc = hex('00000001');
  const sps2 = Buffer.from(H264_SPS);
  sps2[3] = 0x0b; // another level: a new sequence header
  const es = [
    Buffer.concat([sc, hex('09f0'), sc, p]), // before any SPS: dropped
    Buffer.concat([sc, hex('09f0'), sc, H264_SPS, sc, H264_PPS, hex('000001'), idr]),
    Buffer.concat([sc, hex('09f0'), hex('000001'), p, hex('0000')]), // trailing zeros trimmed
    Buffer.concat([sc, hex('09f0'), sc, H264_SPS, sc, H264_PPS, hex('000001'), idr]), // same SPS: no header
    Buffer.concat([sc, hex('09f0'), sc, sps2, sc, H264_PPS, hex('000001'), idr]),
  ];
  const parts: Buffer[] = [tablesFor('h264', 'none')];
  let cc = 0;
  es.forEach((e, i) => {
    const pes = pesBytes(0xe0, e, (i * 40 + 80) * 90, i * 40 * 90, false); // unbounded, like ffmpeg
    const pk = packetize(0x100, pes, cc);
    cc += pk.length / 188;
    parts.push(pk);
  });
  const { frames } = demuxAll(Buffer.concat(parts));
  const avcc = (n: Buffer[]): string => Buffer.concat(n.flatMap((x) => [Buffer.from([0, 0, (x.length >> 8) & 0xff, x.length & 0xff]), x])).toString('hex');
  assert.deepEqual(
    frames.map((f) => [f.dts, f.pts, f.keyframe, f.sequenceHeader, f.payload.subarray(5).toString('hex')]),
    [
      [40, 40, true, true, H264_AVCC.toString('hex')],
      [40, 120, true, false, avcc([idr])],
      [80, 160, false, false, avcc([p])],
      [120, 200, true, false, avcc([idr])],
      [160, 160, true, true, avccWithLevel(0x0b)],
      [160, 240, true, false, avcc([idr])],
    ],
  );
  // cts in the FLV header is pts - dts
  assert.equal(frames[1]!.payload.readIntBE(2, 3), 80);
});

test('PAT with a network PID, PMT spanning two packets with descriptors and unknown streams', () => {
  const pat = hex('00b0110001c10000 0000e010 0001e200');
  const patSection = Buffer.concat([pat, Buffer.alloc(4)]);
  patSection.writeUInt32BE(crc32Mpeg2(pat), pat.length);
  const descriptor = Buffer.concat([hex('05f8'), Buffer.alloc(248, 0x41)]);
  const esLoop = Buffer.concat([
    hex('06e300f0fa'),
    descriptor,
    hex('0fe101f000'),
    hex('1be100f006'),
    hex('0a04656e6700'), // ISO 639 language descriptor on the video ES, skipped over
  ]);
  const body = Buffer.concat([hex('0001c10000e100f000'), esLoop]);
  const head = hex('02b000');
  head.writeUInt16BE(0xb000 | (body.length + 4), 1);
  const pmtNoCrc = Buffer.concat([head, body]);
  const pmtSection = Buffer.concat([pmtNoCrc, Buffer.alloc(4)]);
  pmtSection.writeUInt32BE(crc32Mpeg2(pmtNoCrc), pmtNoCrc.length);
  // PAT starts 3 bytes into its packet (pointer_field 3 skips the tail of a previous section).
  const patPkt = Buffer.alloc(188, 0xff);
  hex('47400010 03 aabbcc').copy(patPkt);
  patSection.copy(patPkt, 8);
  const pmtPkts = packetize(0x200, Buffer.concat([Buffer.from([0]), pmtSection])); // pointer_field 0, 2 packets
  assert.equal(pmtPkts.length, 376);
  const media = parsePackets(muxAll(synthetic({ frames: 3 }))).filter((p) => p.pid === 0x100 || p.pid === 0x101);
  const ts = Buffer.concat([patPkt, pmtPkts, ...media.map((p) => p.raw)]);
  const { frames, demuxer } = demuxAll(ts);
  assert.deepEqual(demuxer.streams, { video: 'h264', audio: 'aac' });
  assertSameFrames(frames, synthetic({ frames: 3 }));
});

test('a PMT with a bad CRC is ignored, so nothing is demuxed', () => {
  const ts = muxAll(synthetic({ frames: 2 }));
  for (const p of parsePackets(ts)) if (p.pid === 0x1001) p.raw[30] ^= 0x01; // inside the CRC
  const { frames, demuxer } = demuxAll(ts);
  assert.equal(frames.length, 0);
  assert.ok(demuxer.stats.crcErrors > 0);
});

test('resync after garbage between packets loses nothing; a lost packet drops only its PES', () => {
  const input = synthetic({ frames: 8 });
  const packets = parsePackets(muxAll(input)).map((p) => p.raw);
  const rnd = prng(3);
  const noisy: Buffer[] = [Buffer.from([0x47, 0x00, 0x11])];
  let junkBefore = false;
  for (const p of packets) {
    noisy.push(p);
    // 1..6 bytes of junk between packets, sometimes starting with or containing the sync byte. Never on
    // both sides of one packet: then nothing tells a real packet start from a stray 0x47.
    junkBefore = !junkBefore && rnd() < 0.4;
    if (junkBefore) {
      const junk = Buffer.alloc(1 + Math.floor(rnd() * 6));
      for (let k = 0; k < junk.length; k++) junk[k] = rnd() < 0.3 ? 0x47 : Math.floor(rnd() * 256);
      noisy.push(junk);
    }
  }
  const { frames, demuxer } = demuxAll(Buffer.concat(noisy), [1000, 333, 188, 5000]);
  assertSameFrames(frames, input);
  assert.ok(demuxer.stats.resyncs > 0);

  // Drop the second packet of a multi-packet P-frame PES (the 3rd picture).
  const pkts = parsePackets(muxAll(input));
  const starts = pkts.flatMap((p, i) => (p.pid === 0x100 && p.pusi ? [i] : []));
  const lost = starts[2]! + 1;
  assert.equal(pkts[lost]!.pusi, false);
  const lossy = Buffer.concat(pkts.filter((_, i) => i !== lost).map((p) => p.raw));
  const out = demuxAll(lossy);
  assert.equal(out.demuxer.stats.discontinuities, 1);
  assert.equal(out.demuxer.stats.droppedPes, 1);
  const pictures = input.filter((f) => f.kind === 'video' && !f.sequenceHeader);
  const expected = input.filter((f) => f !== pictures[2]);
  assertSameFrames(out.frames, expected);
});

test('duplicate packets (same continuity counter) are ignored', () => {
  const input = synthetic({ frames: 2 });
  const packets = parsePackets(muxAll(input)).flatMap((p) => (p.pid === 0x100 ? [p.raw, p.raw] : [p.raw]));
  assertSameFrames(demuxAll(Buffer.concat(packets)).frames, input);
});

test('fuzz: random bytes, mutated and truncated streams never throw anything but ProtocolError', () => {
  const rnd = prng(0xc0ffee);
  const base = [muxAll(synthetic({ frames: 12 })), muxAll(synthetic({ frames: 12, codec: 'h265' }), new TsMuxer({ videoCodec: 'h265' }))];
  const check = (bytes: Buffer): void => {
    const d = new TsDemuxer();
    const frames: MediaFrame[] = [];
    try {
      for (let off = 0; off < bytes.length; ) {
        const n = 1 + Math.floor(rnd() * 900);
        frames.push(...d.push(bytes.subarray(off, off + n)));
        off += n;
      }
      frames.push(...d.flush());
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `unexpected ${String(err)}`);
    }
    for (const f of frames) {
      assert.ok(f.kind === 'video' || f.kind === 'audio');
      assert.ok(Number.isFinite(f.dts) && f.dts >= 0 && Number.isFinite(f.pts));
      assert.ok(f.payload.length >= 2);
      if (f.kind === 'video' && !f.sequenceHeader) assert.doesNotThrow(() => splitAvccNalus(f.payload, 4, 5));
    }
  };
  for (let i = 0; i < 150; i++) {
    // Pure noise, with sync bytes planted at packet boundaries half of the time.
    const noise = Buffer.alloc(Math.floor(rnd() * 4000));
    for (let k = 0; k < noise.length; k++) noise[k] = Math.floor(rnd() * 256);
    if (i % 2 === 0) for (let k = 0; k < noise.length; k += 188) noise[k] = 0x47;
    check(noise);
  }
  for (let i = 0; i < 300; i++) {
    const src = base[i % 2]!;
    const m = Buffer.from(src.subarray(0, Math.floor(src.length * (0.2 + 0.8 * rnd()))));
    const flips = 1 + Math.floor(rnd() * 30);
    for (let k = 0; k < flips; k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
    check(m);
  }
});
