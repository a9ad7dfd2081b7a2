// Per-packet cost of the WebRTC send path (docs/webrtc.md): RTP header write into the viewer's scratch,
// the header parse werift's SRTP API needs, and SRTP protect, for both profiles. Run after `npm run build`:
//   node scripts/bench-srtp.mjs
import { randomBytes } from 'node:crypto';
import { RtpHeaderWriter } from '../dist/src/protocol/rtp/index.js';
import { RtpHeader, SrtpSession, SrtpProfile } from '../dist/src/app/webrtc/werift.js';
import { SrtpProtector } from '../dist/src/app/webrtc/srtp-protect.js';

const N = 100_000;
const payload = { parts: [randomBytes(1100)], size: 1100, marker: false };
for (const [name, profile, salt] of [['AEAD_AES_128_GCM', SrtpProfile.AeadAes128Gcm, 12], ['AES_CM_128_HMAC_SHA1_80', SrtpProfile.AesCm128HmacSha1_80, 14]]) {
  const keys = { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(salt), remoteMasterKey: randomBytes(16), remoteMasterSalt: randomBytes(salt) };
  const srtp = new SrtpSession({ keys, profile });
  const w = new RtpHeaderWriter({ ssrc: 1234, payloadType: 102, initialSequence: 1, timestampOffset: 0, transportCcId: 3 });
  const scratch = Buffer.alloc(1500);
  let t = 0;
  const one = () => {
    const n = w.write(payload, t++, scratch);
    const pkt = scratch.subarray(0, n);
    const h = RtpHeader.deSerialize(pkt);
    return srtp.encrypt(pkt.subarray(h.payloadOffset), h);
  };
  for (let i = 0; i < 10_000; i++) one();
  let start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) one();
  const total = Number(process.hrtime.bigint() - start) / 1e3 / N;
  // The cipher alone, for comparison (what a hand-written SRTP over node:crypto could get down to).
  const hdr = RtpHeader.deSerialize(scratch.subarray(0, w.write(payload, 0, scratch)));
  start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) srtp.encrypt(payload.parts[0], hdr);
  const enc = Number(process.hrtime.bigint() - start) / 1e3 / N;
  // What the server runs: header write + SrtpProtector.protect.
  const ours = new SrtpProtector(keys, profile);
  for (let i = 0; i < 10_000; i++) ours.protect(scratch.subarray(0, w.write(payload, t++, scratch)), 20);
  start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const n = w.write(payload, t++, scratch);
    ours.protect(scratch.subarray(0, n), n - 1100);
  }
  const mine = Number(process.hrtime.bigint() - start) / 1e3 / N;
  console.log(`${name}: server path (header write + SrtpProtector) ${mine.toFixed(2)} µs/packet; werift SrtpSession path ${total.toFixed(2)} µs (protect alone ${enc.toFixed(2)} µs); 1100-byte payloads`);
}
