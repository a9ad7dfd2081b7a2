import assert from 'node:assert/strict';
import { test } from 'node:test';
import { videoFrameFromFlv, retimed } from '../../kernel/media-frame.js';
import { DEFAULT_MAX_PAYLOAD, SharedH264Payloads, payloadH264, type RtpPayload } from './h264-payloader.js';

const SPS = Buffer.from('6764000aacd9447b011000000300100000030320f1225960', 'hex');
const PPS = Buffer.from('68ebe3cb22c0', 'hex');
const bytes = (p: RtpPayload) => Buffer.concat(p.parts);

function idr(n: number): Buffer {
  const b = Buffer.alloc(n);
  b[0] = 0x65;
  for (let i = 1; i < n; i++) b[i] = i & 0xff;
  return b;
}

/** RFC 6184 depacketizer for the test: STAP-A, FU-A and single NAL unit packets back to NAL units. */
function depacketize(payloads: RtpPayload[]): Buffer[] {
  const out: Buffer[] = [];
  let fu: Buffer[] = [];
  for (const p of payloads) {
    const b = bytes(p);
    const type = b[0]! & 0x1f;
    if (type === 24) {
      for (let i = 1; i < b.length; ) {
        const n = b.readUInt16BE(i);
        out.push(b.subarray(i + 2, i + 2 + n));
        i += 2 + n;
      }
    } else if (type === 28) {
      if (b[1]! & 0x80) fu = [Buffer.from([(b[0]! & 0xe0) | (b[1]! & 0x1f)])];
      fu.push(b.subarray(2));
      if (b[1]! & 0x40) out.push(Buffer.concat(fu));
    } else out.push(b);
  }
  return out;
}

test('keyframe: STAP-A with SPS+PPS (exact bytes), then FU-A fragments that rebuild the IDR; marker on the last', () => {
  const unit = idr(3000);
  const p = payloadH264([Buffer.from([0x09, 0xf0]), unit], [SPS, PPS], 1200);
  const stap = bytes(p[0]!);
  assert.deepEqual(stap, Buffer.concat([Buffer.from([0x78, 0, SPS.length]), SPS, Buffer.from([0, PPS.length]), PPS]));
  assert.equal(p.length, 1 + Math.ceil((3000 - 1) / 1198));
  const fus = p.slice(1);
  assert.deepEqual([...bytes(fus[0]!).subarray(0, 2)], [0x7c, 0x85], 'FU indicator (NRI 3, type 28), FU header S + type 5');
  assert.deepEqual([...bytes(fus.at(-1)!).subarray(0, 2)], [0x7c, 0x45], 'E bit on the last fragment');
  assert.deepEqual(p.map((x) => x.marker), p.map((_, i) => i === p.length - 1));
  for (const x of p) assert.ok(x.size <= 1200);
  assert.deepEqual(depacketize(p), [SPS, PPS, unit], 'AUD dropped, everything else rebuilt');
  assert.equal(fus[1]!.parts[1]!.buffer, unit.buffer, 'fragments are views of the NAL unit');
});

test('small non-IDR NAL units go as single NAL unit packets; no parameter sets without an IDR', () => {
  const sei = Buffer.from([0x06, 5, 1, 0x80]);
  const slice = Buffer.from([0x41, 0x9a, 0x01]);
  const p = payloadH264([sei, slice], [SPS, PPS]);
  assert.deepEqual(p.map(bytes), [sei, slice]);
  assert.deepEqual(p.map((x) => x.marker), [false, true]);
});

test('shared payloads: made once per frame for every viewer, also for retimed copies of the frame', () => {
  const nalu = idr(2500);
  const body = Buffer.concat([Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0x09, 0xc4]), nalu]);
  const frame = videoFrameFromFlv(body, 0)!;
  const shared = new SharedH264Payloads();
  const a = shared.of(frame, [SPS, PPS]);
  assert.equal(shared.of(retimed(frame, 500), [SPS, PPS]), a, 'the same array for every viewer');
  assert.deepEqual(depacketize(a), [SPS, PPS, nalu]);
  for (const x of a) assert.ok(x.size <= DEFAULT_MAX_PAYLOAD);
});
