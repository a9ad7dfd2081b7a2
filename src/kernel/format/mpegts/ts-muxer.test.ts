import assert from 'node:assert/strict';
import { test } from 'node:test';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv } from '../../media-frame.js';
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
  prng,
  pesOf,
  videoFrame,
  videoSequenceHeader,
} from './mpegts-test-helpers.js';
import { buildHevcConfig } from '../../codec/nal-unit.js';
import { TsMuxer, msTo90k, writePesTimestamp } from './ts-muxer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const IDR = Buffer.concat([Buffer.from([0x65, 0x88]), fill(300, 1)]);
const SEI = Buffer.from([0x06, 0x05, 0x01, 0xaa, 0x80]);
const P_SLICE = Buffer.concat([Buffer.from([0x41, 0x9a]), fill(50, 2)]);

/** A PSI packet: header, pointer_field 0, section, 0xFF to 188. */
function psiPacket(head: string, section: string): Buffer {
  const b = Buffer.alloc(188, 0xff);
  hex(head + '00' + section).copy(b);
  return b;
}

test('PAT matches the one ffmpeg writes for PMT PID 0x1001 (CRC 2E 70 19 05)', () => {
  const ts = new TsMuxer().tables();
  assert.equal(ts.length, 376);
  assert.deepEqual(ts.subarray(0, 188), psiPacket('47400010', '00b00d0001c100000001f0012e701905'));
});

test('PMT for audio-only AAC, MP3 and video-only H.264 match ffmpeg byte for byte', () => {
  const aac = new TsMuxer({ videoCodec: 'none', audioCodec: 'aac' }).tables().subarray(188);
  assert.deepEqual(aac, psiPacket('47500110', '02b0120001c10000e101f0000fe101f000ece2b094'));
  const mp3 = new TsMuxer({ videoCodec: 'none', audioCodec: 'mp3' }).tables().subarray(188);
  assert.deepEqual(mp3, psiPacket('47500110', '02b0120001c10000e101f00003e101f0008dff3411'));
  const h264 = new TsMuxer({ audioCodec: 'none' }).tables().subarray(188);
  assert.deepEqual(h264, psiPacket('47500110', '02b0120001c10000e100f0001be100f00015bd4d56'));
});

test('default PMT lists AAC then H.264 (SRS order), PCR on the video PID, valid CRC', () => {
  const pmt = new TsMuxer().tables().subarray(188);
  const section = pmt.subarray(5, 5 + 3 + 0x17);
  assert.deepEqual(section.subarray(0, 12), hex('02b0170001c10000e100f000'));
  assert.deepEqual(section.subarray(12, 22), hex('0fe101f000 1be100f000'));
  assert.equal(crc32Mpeg2(section), 0);
});

test('PES timestamp fields: 5-byte PTS/DTS with marker bits, 33-bit values', () => {
  const b = Buffer.alloc(5);
  writePesTimestamp(b, 0, 0x3, 90000);
  assert.deepEqual(b, hex('310005bf21'));
  writePesTimestamp(b, 0, 0x1, 86400);
  assert.deepEqual(b, hex('110005a301'));
  writePesTimestamp(b, 0, 0x2, 2 ** 33 - 1);
  assert.deepEqual(b, hex('2fffffffff'));
  writePesTimestamp(b, 0, 0x2, 2 ** 32);
  assert.deepEqual(b, hex('2900010001'));
});

test('ms → 90 kHz wraps at 2^33 (and below 0)', () => {
  assert.equal(msTo90k(1000), 90000);
  assert.equal(msTo90k(95443718), 95443718 * 90 - 2 ** 33);
  assert.equal(msTo90k(-1), 2 ** 33 - 90);
});

test('keyframe: tables, PCR + random access in the first packet, PES header, AUD + SPS/PPS before the IDR', () => {
  const mux = new TsMuxer();
  assert.equal(mux.mux(videoSequenceHeader(H264_AVCC)).length, 0);
  const ts = mux.mux(videoFrame([SEI, IDR], 1000, 40, true));
  const pkts = parsePackets(ts);
  assert.deepEqual(pkts.slice(0, 2).map((p) => p.pid), [0x0000, 0x1001]);
  const first = pkts[2]!;
  assert.equal(first.pid, 0x100);
  assert.equal(first.pusi, true);
  assert.equal(first.afc, 3);
  // adaptation_field_length 7: random_access_indicator | PCR_flag, PCR base 90000, reserved, ext 0.
  assert.deepEqual(first.raw.subarray(4, 12), hex('07 50 0000afc8 7e00'));
  const pes = pesOf(pkts, 0x100);
  assert.equal(pes.length, 1);
  const annexB = Buffer.concat([
    hex('00000001 09f0'),
    hex('000001'),
    SEI,
    hex('00000001'),
    H264_SPS,
    hex('00000001'),
    H264_PPS,
    hex('000001'),
    IDR,
  ]);
  // 00 00 01 E0, length, '10' flags, PTS+DTS, header length 10, PTS 1040 ms, DTS 1000 ms.
  const header = Buffer.alloc(19);
  hex('000001e0 0000 80c0 0a').copy(header);
  header.writeUInt16BE(13 + annexB.length, 4);
  writePesTimestamp(header, 9, 3, 1040 * 90);
  writePesTimestamp(header, 14, 1, 1000 * 90);
  assert.deepEqual(pes[0], Buffer.concat([header, annexB]));
});

test('non-keyframe: no tables, PCR without random access, AUD but no SPS/PPS; PTS only when DTS = PTS', () => {
  const mux = new TsMuxer();
  mux.mux(videoSequenceHeader(H264_AVCC));
  mux.mux(videoFrame([IDR], 0, 0, true));
  const pkts = parsePackets(mux.mux(videoFrame([P_SLICE], 40, 0, false)));
  assert.ok(pkts.every((p) => p.pid === 0x100));
  const pes = pesOf(pkts, 0x100)[0]!;
  assert.equal(pkts[0]!.af![0], 0x10); // PCR_flag only
  assert.equal(pkts[0]!.af!.length, 184 - 1 - pes.length); // flags + PCR + stuffing fill the packet
  assert.deepEqual(pes.subarray(6, 9), hex('808005'));
  assert.deepEqual(pes.subarray(14), Buffer.concat([hex('00000001 09f0 000001'), P_SLICE]));
});

test('frames that carry their own AUD or parameter sets are not given another', () => {
  const mux = new TsMuxer();
  mux.mux(videoSequenceHeader(H264_AVCC));
  const aud = Buffer.from([0x09, 0x10]);
  const pes = pesOf(parsePackets(mux.mux(videoFrame([aud, H264_SPS, H264_PPS, IDR], 0, 0, true))), 0x100)[0]!;
  assert.deepEqual(
    pes.subarray(14),
    Buffer.concat([hex('00000001'), aud, hex('00000001'), H264_SPS, hex('00000001'), H264_PPS, hex('000001'), IDR]),
  );
});

test('AAC: dropped before its sequence header, then ADTS-wrapped, PTS only, audio PID', () => {
  const mux = new TsMuxer();
  const raw = fill(20, 3);
  assert.equal(mux.mux(aacFrame(raw, 0)).length, 0);
  assert.equal(mux.mux(aacSequenceHeader(AAC_ASC)).length, 0);
  const pkts = parsePackets(mux.mux(aacFrame(raw, 23)));
  assert.deepEqual(pkts.map((p) => p.pid), [0, 0x1001, 0x101]); // tables before the first frame
  const pes = pesOf(pkts, 0x101)[0]!;
  const header = Buffer.alloc(14);
  hex('000001c0 0000 8080 05').copy(header);
  header.writeUInt16BE(8 + 7 + raw.length, 4);
  writePesTimestamp(header, 9, 2, 23 * 90);
  assert.deepEqual(pes, Buffer.concat([header, hex('fff15080037ffc'), raw]));
  assert.equal(pkts[2]!.af!.length, 188 - 4 - 1 - pes.length); // stuffing: flags byte + 0xFF
});

test('AAC with an explicit-rate AudioSpecificConfig (index 15, 44100 Hz) is ADTS-wrapped at index 4, not dropped (issue 12)', () => {
  const mux = new TsMuxer();
  const raw = fill(20, 3);
  // aot 2, samplingFrequencyIndex 15, 24-bit rate 0x00AC44 = 44100, channelConfiguration 2.
  assert.equal(mux.mux(aacSequenceHeader(Buffer.from([0x17, 0x80, 0x56, 0x22, 0x10]))).length, 0);
  const pes = pesOf(parsePackets(mux.mux(aacFrame(raw, 23))), 0x101)[0]!;
  assert.ok(pes, 'the audio frame is muxed');
  assert.deepEqual(pes.subarray(14), Buffer.concat([hex('fff15080037ffc'), raw]));
  assert.equal(mux.malformedFrames, 0);
});

test('timestamps come from the frame clock: a 90 kHz frame keeps its exact ticks (no ms rounding)', () => {
  const mux = new TsMuxer();
  mux.mux(aacSequenceHeader(AAC_ASC));
  const f = aacFrame(fill(8, 1), 23);
  // The same frame as a TS ingest would give it: 90 kHz ticks, 23.2222 ms.
  const ticked = { ...f, timescale: 90000, dtsTicks: 2090, ptsTicks: 2090 };
  const pes = pesOf(parsePackets(mux.mux(ticked)), 0x101)[0]!;
  const expected = Buffer.alloc(5);
  writePesTimestamp(expected, 0, 2, 2090);
  assert.deepEqual(pes.subarray(9, 14), expected);
});

test('MP3 frames are carried as they are, stream type 0x03', () => {
  const mux = new TsMuxer({ audioCodec: 'mp3' });
  const mp3 = Buffer.concat([hex('fffb9064'), fill(100, 4)]);
  const pkts = parsePackets(mux.mux(audioFrameFromFlv(Buffer.concat([hex('2f'), mp3]), 0)!));
  assert.equal(pkts[1]!.payload[13], 0x03);
  assert.deepEqual(pesOf(pkts, 0x101)[0]!.subarray(14), mp3);
});

test('audio-only (videoCodec none): PCR on the audio PID with random access, video ignored', () => {
  const mux = new TsMuxer({ videoCodec: 'none' });
  const pmt = mux.tables().subarray(188);
  assert.deepEqual(pmt.subarray(13, 15), hex('e101'));
  mux.mux(aacSequenceHeader());
  assert.equal(mux.mux(videoFrame([IDR], 0, 0, true)).length, 0);
  const pkts = parsePackets(mux.mux(aacFrame(fill(10, 5), 100)));
  const audio = pkts.find((p) => p.pid === 0x101)!;
  assert.deepEqual(audio.raw.subarray(5, 12), hex('50 00001194 7e00')); // PCR base 9000
});

test('unsupported frames produce nothing', () => {
  const mux = new TsMuxer();
  assert.equal(mux.mux(dataFrame(Buffer.from([2, 0, 1, 0x61]), 0)).length, 0);
  assert.equal(mux.mux(audioFrameFromFlv(Buffer.from([0xd2, 1, 2, 3]), 0)!).length, 0); // opus/other
  assert.equal(mux.mux(videoFrameFromFlv(Buffer.from([0x12, 0, 0, 0]), 0)!).length, 0); // Sorenson
  assert.equal(mux.mux(videoFrameFromFlv(Buffer.from([0x17, 2, 0, 0, 0]), 0)!).length, 0); // end of sequence
  assert.equal(mux.mux(videoFrameFromFlv(Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 9, 1]), 0)!).length, 0); // bad length
  assert.equal(mux.malformedFrames, 1);
});

test('continuity counters run per PID mod 16 across frames and tables; resetContinuity restarts them', () => {
  const mux = new TsMuxer();
  mux.mux(videoSequenceHeader(H264_AVCC));
  mux.mux(aacSequenceHeader());
  const chunks: Buffer[] = [];
  for (let i = 0; i < 60; i++) {
    mux.muxInto(videoFrame([i % 25 === 0 ? IDR : P_SLICE, fill(i * 37, i)], i * 40, 80, i % 25 === 0), chunks);
    mux.muxInto(aacFrame(fill(200 + i, i + 100), i * 23), chunks);
  }
  chunks.push(mux.tables());
  const last = new Map<number, number>();
  for (const p of parsePackets(Buffer.concat(chunks))) {
    const prev = last.get(p.pid);
    if (prev !== undefined) assert.equal(p.cc, (prev + 1) & 15, `pid ${p.pid}`);
    else assert.equal(p.cc, 0);
    last.set(p.pid, p.cc);
  }
  assert.deepEqual([...last.keys()].sort(), [0, 0x100, 0x101, 0x1001]);
  mux.resetContinuity();
  assert.ok(parsePackets(mux.tables()).every((p) => p.cc === 0));
});

test('every PES size packs into 188-byte packets with exact adaptation-field stuffing', () => {
  for (const pcr of [false, true]) {
    for (let n = 1; n <= 420; n++) {
      const mux = new TsMuxer({ videoCodec: pcr ? 'none' : 'h264' });
      mux.mux(aacSequenceHeader());
      const raw = fill(n, n);
      const pkts = parsePackets(mux.mux(aacFrame(raw, 0))).filter((p) => p.pid === 0x101);
      const pes = pesOf(pkts, 0x101);
      assert.equal(pes.length, 1);
      assert.deepEqual(pes[0]!.subarray(14 + 7), raw, `n=${n}`);
      assert.equal(pes[0]!.readUInt16BE(4), 8 + 7 + n);
      pkts.forEach((p, i) => {
        const isFirst = i === 0;
        const isLast = i === pkts.length - 1;
        if (p.afc === 1) {
          assert.ok(!(isFirst && pcr), 'PCR needs an adaptation field');
          return;
        }
        assert.equal(p.afc, 3);
        const af = p.af!;
        if (af.length === 0) return assert.ok(isLast); // 1 byte of stuffing: adaptation_field_length 0
        const flags = af[0]!;
        const fixed = flags & 0x10 ? 7 : 1;
        assert.equal(flags & 0x10 ? 1 : 0, isFirst && pcr ? 1 : 0);
        assert.ok(af.subarray(fixed).every((b) => b === 0xff), 'stuffing bytes are 0xFF');
        if (af.length > fixed) assert.ok(isLast, 'only the last packet is stuffed');
      });
    }
  }
});

test('large video PES: PES_packet_length 0 above 65535 bytes', () => {
  const mux = new TsMuxer();
  mux.mux(videoSequenceHeader(H264_AVCC));
  const big = Buffer.concat([Buffer.from([0x65]), fill(70000, 9)]);
  const pes = pesOf(parsePackets(mux.mux(videoFrame([big], 0, 0, true))), 0x100)[0]!;
  assert.equal(pes.readUInt16BE(4), 0);
  assert.ok(pes.subarray(19).includes(big));
});

test('H.265: AUD type 35, VPS/SPS/PPS before the IRAP, stream type 0x24 after switching from H.264', () => {
  const mux = new TsMuxer();
  mux.mux(aacSequenceHeader());
  mux.mux(aacFrame(fill(10, 1), 0)); // tables go out announcing H.264
  const rec = buildHevcConfig(H265_VPS, H265_SPS, H265_PPS);
  assert.equal(mux.mux(videoSequenceHeader(rec, 'h265')).length, 0);
  assert.deepEqual(mux.codecs, { video: 'h265', audio: 'aac' });
  const idr = Buffer.concat([Buffer.from([0x26, 0x01]), fill(100, 7)]); // IDR_W_RADL (19)
  const pkts = parsePackets(mux.mux(videoFrame([idr], 40, 0, true, 'h265')));
  const pmt = pkts[1]!.payload;
  assert.equal(pmt[6]! & 0x3e, 1 << 1); // version_number bumped to 1
  assert.deepEqual(pmt.subarray(18, 23), hex('24e100f000'));
  const pes = pesOf(pkts, 0x100)[0]!;
  assert.deepEqual(
    pes.subarray(14),
    Buffer.concat([
      hex('00000001 460150'),
      hex('00000001'),
      H265_VPS,
      hex('00000001'),
      H265_SPS,
      hex('00000001'),
      H265_PPS,
      hex('000001'),
      idr,
    ]),
  );
});

test('enhanced RTMP (hvc1 FourCC) frames mux like legacy codec-id-12 frames', () => {
  const rec = buildHevcConfig(H265_VPS, H265_SPS, H265_PPS);
  const idr = Buffer.concat([Buffer.from([0x26, 0x01]), fill(100, 7)]);
  const nalu = Buffer.concat([Buffer.from([0, 0, 0, idr.length]), idr]);
  const ex = (b0: number, rest: Buffer): Buffer => Buffer.concat([Buffer.from([b0]), Buffer.from('hvc1'), rest]);
  const a = new TsMuxer();
  a.mux(videoFrameFromFlv(ex(0x90, rec), 0)!); // key | SequenceStart
  const outA = a.mux(videoFrameFromFlv(ex(0x91, Buffer.concat([hex('000028'), nalu])), 0)!); // CodedFrames, cts 40
  const b = new TsMuxer();
  b.mux(videoSequenceHeader(rec, 'h265'));
  const outB = b.mux(videoFrame([idr], 0, 40, true, 'h265'));
  assert.deepEqual(outA, outB);
  const c = new TsMuxer();
  c.mux(videoFrameFromFlv(ex(0x90, rec), 0)!);
  const outC = c.mux(videoFrameFromFlv(ex(0x93, nalu), 0)!); // CodedFramesX: no cts
  assert.equal(outC.length, outB.length);
});

test('PTS/DTS wrap at 2^33 in the PES header', () => {
  const mux = new TsMuxer();
  mux.mux(aacSequenceHeader());
  const ms = Math.ceil(2 ** 33 / 90) + 5; // just past the wrap
  const pes = pesOf(parsePackets(mux.mux(aacFrame(fill(4, 1), ms))), 0x101)[0]!;
  const b = Buffer.alloc(5);
  writePesTimestamp(b, 0, 2, ms * 90 - 2 ** 33);
  assert.deepEqual(pes.subarray(9, 14), b);
});

test('fuzz: random FLV bodies (bad sequence headers, lengths, codecs) never throw and stay 188-aligned', () => {
  const rnd = prng(42);
  const heads = [0x17, 0x27, 0x1c, 0x2c, 0x90, 0x91, 0x93, 0xaf, 0x2f];
  for (let i = 0; i < 600; i++) {
    const mux = new TsMuxer({
      videoCodec: (['h264', 'h265', 'none'] as const)[i % 3],
      audioCodec: (['aac', 'mp3', 'none'] as const)[(i >> 2) % 3],
    });
    for (let k = 0; k < 6; k++) {
      const p = Buffer.alloc(1 + Math.floor(rnd() * 400));
      for (let j = 0; j < p.length; j++) p[j] = Math.floor(rnd() * 256);
      p[0] = heads[Math.floor(rnd() * heads.length)]!;
      if (p.length > 1 && rnd() < 0.6) p[1] = Math.floor(rnd() * 3);
      const dts = Math.floor(rnd() * 2e10) - 1e9;
      const f = p[0]! === 0xaf || p[0]! === 0x2f ? audioFrameFromFlv(p, dts)! : videoFrameFromFlv(p, dts)!;
      const ts = mux.mux(f);
      assert.equal(ts.length % 188, 0);
      parsePackets(ts);
    }
  }
});
