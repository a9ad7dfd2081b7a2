import { test } from 'node:test';
import assert from 'node:assert/strict';
import { videoFrameFromFlv } from '../../kernel/media-frame.js';
import { SharedH264Payloads } from '../../protocol/rtp/index.js';
import type { RtcSession } from './rtc-session.js';
import { RtcVideoSender } from './rtc-video-sender.js';

/** An FLV AVC NALU tag body: frame type/codec, packet type 1, cts 0, then one length-prefixed NAL unit. */
function avcFrame(nal: Buffer, key: boolean, dts: number) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(nal.length);
  return videoFrameFromFlv(Buffer.concat([Buffer.from([key ? 0x17 : 0x27, 1, 0, 0, 0]), len, nal]), dts)!;
}

function fakeSession() {
  const sent: Buffer[] = [];
  const resent: Buffer[] = [];
  const session = {
    sendRtp: (packet: Buffer) => {
      const copy = Buffer.from(packet);
      sent.push(copy);
      return copy;
    },
    resend: (b: Buffer) => resent.push(b),
    sendRtcp: () => {},
  } as unknown as RtcSession;
  return { session, sent, resent };
}

test('NACK: the packets still in the history are sent again, byte for byte; unknown ones are not', () => {
  const { session, sent, resent } = fakeSession();
  const sender = new RtcVideoSender(session, new SharedH264Payloads(), { ssrc: 9, payloadType: 102, initialSequence: 100, timestampOffset: 0, dropBframes: true }, () => 0);
  const idr = Buffer.concat([Buffer.from([0x65]), Buffer.alloc(3000, 7)]);
  sender.send(avcFrame(idr, true, 0));
  assert.ok(sent.length >= 3, 'FU-A fragments');
  assert.deepEqual(sent.map((p) => p.readUInt16BE(2)), sent.map((_, i) => 100 + i));
  sender.retransmit([101, 5000]);
  assert.equal(resent.length, 1);
  assert.equal(resent[0], sent[1]);
  assert.equal(sender.retransmits, 1);
});

test('keep_bframe off: a non-reference picture (nal_ref_idc 0) is not sent; a reference P picture is', () => {
  const { session, sent } = fakeSession();
  const sender = new RtcVideoSender(session, new SharedH264Payloads(), { ssrc: 9, payloadType: 102, initialSequence: 1, timestampOffset: 0, dropBframes: true }, () => 0);
  sender.send(avcFrame(Buffer.from([0x01, 1, 2, 3]), false, 40));
  assert.equal(sent.length, 0);
  sender.send(avcFrame(Buffer.from([0x41, 1, 2, 3]), false, 80));
  assert.equal(sent.length, 1);
});
