import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng, randomInt, readFixture } from '../../../test/fixtures/index.js';
import { parseAvcDecoderConfigurationRecord } from '../../kernel/codec/h264.js';
import { demuxFlv } from '../../kernel/format/flv.js';
import { videoFrameFromFlv, type VideoFrame } from '../../kernel/media-frame.js';
import { H264Depacketizer, buildAvcDecoderConfigurationRecord } from './h264-depacketizer.js';
import { payloadH264 } from './h264-payloader.js';
import { encodeRtp, parseRtp, type RtpPacket } from './rtp-packet.js';

interface InputFrame {
  readonly ts: number; // unwrapped RTP timestamp
  readonly keyframe: boolean;
  readonly nalus: Buffer[]; // without AUD/SPS/PPS: what the depacketizer puts in the FLV body
}

const NAL_AUD = 9;
const flv = demuxFlv(readFixture('h264-aac.flv')).tags.filter((t) => t.type === 9);
const avcC = flv[0]!.body.subarray(5);
const record = parseAvcDecoderConfigurationRecord(avcC);
const SPS = record.sps[0]!;
const PPS = record.pps[0]!;

/**
 * The fixture's second of video played twice (two GOPs) as RTP packets (FU-A for big NAL units, STAP-A
 * SPS+PPS before IDRs), from sequence/timestamp starts near a wrap.
 */
function packetize(seq0: number, ts0: number, maxPayload = 300): { frames: InputFrame[]; packets: Buffer[] } {
  const frames: InputFrame[] = [];
  const packets: Buffer[] = [];
  let seq = seq0;
  const coded = flv.slice(1).filter((t) => videoFrameFromFlv(t.body, t.timestamp)!.view.packet === 'coded'); // not the end-of-sequence tag
  for (const [loop, tag] of [...coded.map((t) => [0, t] as const), ...coded.map((t) => [1, t] as const)]) {
    const f = videoFrameFromFlv(tag.body, tag.timestamp)!;
    const nalus = f.view.nalus(4).filter((n) => (n[0]! & 0x1f) !== NAL_AUD);
    const ts = ts0 + (tag.timestamp + loop * 1000) * 90;
    frames.push({ ts, keyframe: f.keyframe, nalus: nalus.filter((n) => ![7, 8].includes(n[0]! & 0x1f)) });
    for (const p of payloadH264(nalus, [SPS, PPS], maxPayload)) {
      packets.push(encodeRtp({ marker: p.marker, payloadType: 102, sequence: seq++, timestamp: ts % 2 ** 32, ssrc: 42 }, Buffer.concat(p.parts)));
    }
  }
  return { frames, packets };
}

function run(d: H264Depacketizer, packets: Buffer[], step = 1): VideoFrame[] {
  const out: VideoFrame[] = [];
  let now = 0;
  for (const b of packets) out.push(...d.push(parseRtp(b), (now += step)));
  out.push(...d.poll(now + 10_000));
  return out;
}

function sameFrame(out: VideoFrame, input: InputFrame): void {
  assert.equal(out.dtsTicks, input.ts);
  assert.equal(out.ptsTicks, input.ts);
  assert.equal(out.timescale, 90000);
  assert.equal(out.dts, Math.round(input.ts / 90));
  assert.equal(out.keyframe, input.keyframe);
  assert.deepEqual(
    out.view.nalus(4).map((n) => n.toString('hex')),
    input.nalus.map((n) => n.toString('hex')),
  );
}

test('in order, across sequence (65535→0) and timestamp (2^32) wraps: a sequence header then every frame, byte-exact', () => {
  const { frames, packets } = packetize(65500, 2 ** 32 - 90000 / 2);
  assert.ok(packets.length > 30, `${packets.length} packets`);
  const d = new H264Depacketizer();
  assert.equal(d.needsKeyframe, true);
  const out = run(d, packets);
  assert.equal(out[0]!.sequenceHeader, true);
  assert.deepEqual(out[0]!.view.data, avcC, 'avcC rebuilt byte for byte, High-profile trailer included');
  const pictures = out.filter((f) => !f.sequenceHeader);
  assert.equal(pictures.length, frames.length);
  pictures.forEach((f, i) => sameFrame(f, frames[i]!));
  assert.ok(pictures.at(-1)!.dtsTicks > 2 ** 32, 'timestamps unwrapped past 2^32');
  assert.equal(out.filter((f) => f.sequenceHeader).length, 1, 'a second IDR with the same SPS/PPS gives no new sequence header');
  assert.equal(d.needsKeyframe, false);
  assert.deepEqual([d.stats.lost, d.stats.framesDropped, d.stats.malformed], [0, 0, 0]);
});

test('shuffled within a window of 12 (seeded), with duplicates: every frame comes out once, in order', () => {
  const { frames, packets } = packetize(65530, 123456);
  const rand = prng(1);
  const shuffled = [...packets];
  for (let i = 0; i < shuffled.length; i++) {
    const j = Math.min(shuffled.length - 1, i + randomInt(rand, 12));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  for (let i = 0; i < 10; i++) shuffled.splice(randomInt(rand, shuffled.length), 0, packets[randomInt(rand, packets.length)]!);
  // The first packet must come first: a receiver cannot know what came before the first it sees.
  shuffled.splice(shuffled.indexOf(packets[0]!), 1);
  shuffled.unshift(packets[0]!);
  const d = new H264Depacketizer();
  const pictures = run(d, shuffled).filter((f) => !f.sequenceHeader);
  assert.equal(pictures.length, frames.length);
  pictures.forEach((f, i) => sameFrame(f, frames[i]!));
  assert.equal(d.stats.lost, 0);
  assert.ok(d.stats.duplicates + d.stats.late >= 10);
});

test('loss (seeded drops): no incomplete frame comes out, frames after a loss wait for the next IDR, needsKeyframe says so', () => {
  const { frames, packets } = packetize(100, 0);
  const byTs = new Map(frames.map((f) => [f.ts, f]));
  // Drop one packet in the middle of the first GOP (not the IDR): the rest of that GOP is lost.
  const idrs = frames.filter((f) => f.keyframe).map((f) => f.ts);
  assert.equal(idrs.length, 2);
  const victim = packets.findIndex((b) => parseRtp(b).timestamp === frames[3]!.ts);
  const kept = packets.filter((_, i) => i !== victim);
  const d = new H264Depacketizer({ maxWaitMs: 5 });
  const out: VideoFrame[] = [];
  let sawNeed = false;
  let now = 0;
  for (const b of kept) {
    out.push(...d.push(parseRtp(b), (now += 2)));
    if (d.needsKeyframe && out.length > 0) sawNeed = true;
  }
  const pictures = out.filter((f) => !f.sequenceHeader);
  for (const f of pictures) sameFrame(f, byTs.get(f.dtsTicks)!);
  assert.deepEqual(
    pictures.map((f) => f.dtsTicks),
    frames.filter((f) => f.ts < frames[3]!.ts || f.ts >= idrs[1]!).map((f) => f.ts),
  );
  assert.ok(sawNeed);
  assert.equal(d.needsKeyframe, false, 'the second IDR ended the wait');
  assert.equal(d.stats.lost, 1);

  // Random drops (3%) plus reordering: whatever comes out is byte-exact.
  for (const seed of [2, 3, 4, 5]) {
    const rand = prng(seed);
    const lossy = packets.filter(() => rand() > 0.03);
    const d2 = new H264Depacketizer({ maxWaitMs: 20 });
    for (const f of run(d2, lossy, 3).filter((x) => !x.sequenceHeader)) sameFrame(f, byTs.get(f.dtsTicks)!);
  }
});

test('a gap is waited for maxWaitMs (a retransmission may fill it), then given up on; nextTimeout says when', () => {
  const { frames, packets } = packetize(0, 0);
  const d = new H264Depacketizer({ maxWaitMs: 100 });
  const missing = 5;
  const got: VideoFrame[] = [];
  for (let i = 0; i < 12; i++) if (i !== missing) got.push(...d.push(parseRtp(packets[i]!), 1000));
  const before = got.length;
  assert.equal(d.nextTimeout(), 1100);
  assert.equal(d.poll(1099).length, 0);
  // The retransmission arrives in time: nothing is lost.
  got.push(...d.push(parseRtp(packets[missing]!), 1099));
  assert.equal(d.stats.lost, 0);
  assert.ok(got.length > before);
  assert.equal(d.nextTimeout(), undefined);
  // Now a real loss, noticed by time only.
  for (let i = 13; i < 20; i++) d.push(parseRtp(packets[i]!), 2000);
  assert.equal(d.stats.lost, 0);
  d.poll(2100);
  assert.equal(d.stats.lost, 1);
  assert.equal(d.needsKeyframe, true);
  assert.ok(frames.length > 0);
});

test('malformed payloads drop the frame without throwing: FU-A without start, truncated STAP-A, FU-B', () => {
  const d = new H264Depacketizer();
  const pkt = (seq: number, ts: number, payload: number[], marker = true): RtpPacket =>
    parseRtp(encodeRtp({ marker, payloadType: 102, sequence: seq, timestamp: ts, ssrc: 1 }, Buffer.from(payload)));
  const stap = [24, 0, SPS.length, ...SPS, 0, PPS.length, ...PPS];
  assert.equal(d.push(pkt(1, 0, [...stap, 0x65, 1, 2, 3].slice(0, stap.length).concat([]), false), 0).length, 0);
  d.push(pkt(2, 0, [0x65, 0x88, 0x80]), 0); // completes the IDR frame
  assert.equal(d.needsKeyframe, false);
  assert.equal(d.push(pkt(3, 3000, [0x7c, 0x01, 1, 2]), 1).length, 0); // FU-A middle, no start
  assert.equal(d.push(pkt(4, 6000, [24, 0, 9, 1]), 2).length, 0); // STAP-A unit past the end
  assert.equal(d.push(pkt(5, 9000, [29, 0x85, 1]), 3).length, 0); // FU-B
  assert.equal(d.stats.malformed, 3);
  assert.match(d.lastError, /not allowed in packetization-mode 1/);
  assert.equal(d.needsKeyframe, true);
});

test('avcC for a Baseline SPS has no High-profile trailer', () => {
  const sps = Buffer.from('6742c01e95a0a0fd', 'hex');
  const pps = Buffer.from('68ce3c80', 'hex');
  const r = buildAvcDecoderConfigurationRecord([sps], [pps]);
  assert.equal(r.toString('hex'), '0142c01effe10008' + sps.toString('hex') + '010004' + pps.toString('hex'));
  assert.deepEqual(parseAvcDecoderConfigurationRecord(r).sps, [sps]);
});

test('fuzz (seeded): mutated payloads and sequence numbers never throw, and every frame out parses', () => {
  const { packets } = packetize(1, 1);
  const rand = prng(99);
  for (let round = 0; round < 30; round++) {
    const d = new H264Depacketizer({ maxWaitMs: 10, reorderCapacity: 64 });
    let now = 0;
    for (const b of packets) {
      const m = Buffer.from(b);
      const edits = randomInt(rand, 4);
      for (let e = 0; e < edits; e++) m[12 + randomInt(rand, m.length - 12)] = randomInt(rand, 256);
      if (rand() < 0.05) m.writeUInt16BE(randomInt(rand, 65536), 2);
      if (rand() < 0.05) m[1]! ^= 0x80; // marker flipped
      for (const f of d.push(parseRtp(m), (now += randomInt(rand, 5)))) {
        if (f.sequenceHeader) assert.ok(f.view.track());
        else assert.ok(f.view.nalus(4).length > 0);
      }
    }
    d.poll(now + 1000);
  }
});

test('a sender that restarts its sequence numbers far back is followed, from its next IDR', () => {
  const a = packetize(30000, 0);
  const b = packetize(1000, 5_000_000); // 29000 back: not a late packet of the first run
  const d = new H264Depacketizer();
  const first = run(d, a.packets).filter((f) => !f.sequenceHeader);
  assert.equal(first.length, a.frames.length);
  const second = run(d, b.packets).filter((f) => !f.sequenceHeader);
  assert.equal(second.length, b.frames.length);
  second.forEach((f, i) => sameFrame(f, b.frames[i]!));
});
