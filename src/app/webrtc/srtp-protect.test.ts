import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RtpHeaderWriter } from '../../protocol/rtp/index.js';
import { SrtpProtector } from './srtp-protect.js';
import { RtpHeader, SrtpProfile, SrtpSession } from './werift.js';

for (const [name, profile, saltLength] of [
  ['AEAD_AES_128_GCM', SrtpProfile.AeadAes128Gcm, 12],
  ['AES_CM_128_HMAC_SHA1_80', SrtpProfile.AesCm128HmacSha1_80, 14],
] as const) {
  test(`${name}: byte-identical to werift's SRTP, across a sequence wrap, with a header extension; the peer decrypts`, () => {
    const keys = { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(saltLength), remoteMasterKey: randomBytes(16), remoteMasterSalt: randomBytes(saltLength) };
    const ours = new SrtpProtector(keys, profile);
    const reference = new SrtpSession({ keys, profile });
    const peer = new SrtpSession({ keys: { localMasterKey: keys.remoteMasterKey, localMasterSalt: keys.remoteMasterSalt, remoteMasterKey: keys.localMasterKey, remoteMasterSalt: keys.localMasterSalt }, profile });
    const writer = new RtpHeaderWriter({ ssrc: 0x11223344, payloadType: 102, initialSequence: 0xfffd, timestampOffset: 5, transportCcId: 3 });
    const scratch = Buffer.alloc(1500);
    for (let i = 0; i < 6; i++) {
      const body = randomBytes(100 + i * 200);
      const n = writer.write({ parts: [body], size: body.length, marker: i % 2 === 0 }, i * 3000, scratch);
      const packet = Buffer.from(scratch.subarray(0, n));
      const header = RtpHeader.deSerialize(packet);
      const want = reference.encrypt(packet.subarray(header.payloadOffset), header);
      const got = ours.protect(packet, n - body.length);
      assert.deepEqual(got, want, `packet ${i} (seq ${packet.readUInt16BE(2)})`);
      assert.deepEqual(peer.decrypt(got).subarray(0, n), packet);
    }
  });
}
