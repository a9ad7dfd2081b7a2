import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import {
  CONTROL_CHUNK_STREAM_ID,
  MessageType,
  PeerBandwidthLimit,
  UserControlEvent,
  decodeAbort,
  decodeAcknowledgement,
  decodeSetChunkSize,
  decodeSetPeerBandwidth,
  decodeUserControl,
  decodeWindowAckSize,
  encodeAbort,
  encodeAcknowledgement,
  encodePingRequest,
  encodePingResponse,
  encodeSetChunkSize,
  encodeSetPeerBandwidth,
  encodeStreamBegin,
  encodeStreamEof,
  encodeUserControl,
  encodeWindowAckSize,
  type RtmpMessage,
} from './message.js';

function isDecodeError(code: number) {
  return (err: unknown) => err instanceof ProtocolError && err.code === code;
}

function assertControl(msg: RtmpMessage, typeId: number, hex: string): void {
  assert.equal(msg.typeId, typeId);
  assert.equal(msg.chunkStreamId, CONTROL_CHUNK_STREAM_ID);
  assert.equal(msg.streamId, 0);
  assert.equal(msg.timestamp, 0);
  assert.equal(msg.payload.toString('hex'), hex);
}

test('message type and user control ids match the spec', () => {
  assert.deepEqual(
    [
      MessageType.SetChunkSize,
      MessageType.Abort,
      MessageType.Acknowledgement,
      MessageType.UserControl,
      MessageType.WindowAckSize,
      MessageType.SetPeerBandwidth,
      MessageType.Audio,
      MessageType.Video,
      MessageType.DataAmf3,
      MessageType.SharedObjectAmf3,
      MessageType.CommandAmf3,
      MessageType.DataAmf0,
      MessageType.SharedObjectAmf0,
      MessageType.CommandAmf0,
      MessageType.Aggregate,
    ],
    [1, 2, 3, 4, 5, 6, 8, 9, 15, 16, 17, 18, 19, 20, 22],
  );
  assert.deepEqual(
    [
      UserControlEvent.StreamBegin,
      UserControlEvent.StreamEOF,
      UserControlEvent.StreamDry,
      UserControlEvent.SetBufferLength,
      UserControlEvent.StreamIsRecorded,
      UserControlEvent.PingRequest,
      UserControlEvent.PingResponse,
    ],
    [0, 1, 2, 3, 4, 6, 7],
  );
});

test('protocol control messages encode on chunk stream 2, stream 0', () => {
  assertControl(encodeSetChunkSize(60000), MessageType.SetChunkSize, '0000ea60');
  // Bit 31 must be zero (5.4.1).
  assertControl(encodeSetChunkSize(0x80000080), MessageType.SetChunkSize, '00000080');
  assertControl(encodeAbort(4), MessageType.Abort, '00000004');
  assertControl(encodeAcknowledgement(0xfffffffe), MessageType.Acknowledgement, 'fffffffe');
  assertControl(encodeWindowAckSize(2500000), MessageType.WindowAckSize, '002625a0');
  assertControl(encodeSetPeerBandwidth(2500000, PeerBandwidthLimit.Dynamic), MessageType.SetPeerBandwidth, '002625a002');
});

test('protocol control messages decode what they encode', () => {
  assert.equal(decodeSetChunkSize(encodeSetChunkSize(4096).payload), 4096);
  assert.equal(decodeAbort(encodeAbort(65599).payload), 65599);
  assert.equal(decodeAcknowledgement(encodeAcknowledgement(0xffffffff).payload), 0xffffffff);
  assert.equal(decodeWindowAckSize(encodeWindowAckSize(5000000).payload), 5000000);
  assert.deepEqual(decodeSetPeerBandwidth(encodeSetPeerBandwidth(1234567, PeerBandwidthLimit.Soft).payload), {
    size: 1234567,
    limitType: 1,
  });
});

test('truncated control payloads are ProtocolErrors', () => {
  const short = Buffer.from([0, 0, 1]);
  for (const decode of [decodeSetChunkSize, decodeAbort, decodeAcknowledgement, decodeWindowAckSize]) {
    assert.throws(() => decode(short), isDecodeError(ErrorCode.RtmpMessageDecode));
  }
  assert.throws(() => decodeSetPeerBandwidth(Buffer.from([0, 0, 0, 1])), isDecodeError(ErrorCode.RtmpMessageDecode));
});

test('user control events encode per spec 7.1.7', () => {
  assertControl(encodeStreamBegin(1), MessageType.UserControl, '000000000001');
  assertControl(encodeStreamEof(1), MessageType.UserControl, '000100000001');
  assertControl(encodeUserControl(UserControlEvent.SetBufferLength, 1, 3000), MessageType.UserControl, '00030000000100000bb8');
  assertControl(encodePingRequest(0x01020304), MessageType.UserControl, '000601020304');
  assertControl(encodePingResponse(0xffffffff), MessageType.UserControl, '0007ffffffff');
  assertControl(encodeUserControl(UserControlEvent.SwfVerifyRequest, 1), MessageType.UserControl, '001a01');
});

test('user control events decode', () => {
  assert.deepEqual(decodeUserControl(encodeStreamBegin(7).payload), { event: 0, value: 7 });
  assert.deepEqual(decodeUserControl(encodeUserControl(UserControlEvent.SetBufferLength, 1, 100).payload), {
    event: 3,
    value: 1,
    extra: 100,
  });
  assert.deepEqual(decodeUserControl(encodePingRequest(123456).payload), { event: 6, value: 123456 });
  assert.deepEqual(decodeUserControl(Buffer.from('001a01', 'hex')), { event: 26, value: 1 });
  // Unknown events with 4 bytes of data pass through (Flash's buffer empty/ready).
  assert.deepEqual(decodeUserControl(Buffer.from('001f00000001', 'hex')), { event: 31, value: 1 });
});

test('truncated user control payloads are ProtocolErrors', () => {
  for (const hex of ['', '00', '0000000000', '000300000001', '00030000000100']) {
    assert.throws(() => decodeUserControl(Buffer.from(hex, 'hex')), isDecodeError(ErrorCode.RtmpMessageDecode), hex);
  }
});
