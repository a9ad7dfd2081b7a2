// A real ffmpeg publish (test/fixtures/rtmp-publish-ffmpeg.bin, made by capture-rtmp-publish.mjs): chunk size
// 128, extended timestamps with fmt-3 repeats. Decoding must give the same messages wherever the bytes split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFixture } from '../../../test/fixtures/index.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { decodeCommand } from './commands.js';
import { MessageType, type RtmpMessage } from './message.js';
import { RtmpServerSession, type ServerSessionEvent } from './server-session.js';

const capture = readFixture('rtmp-publish-ffmpeg.bin');
const HANDSHAKE = 1 + 1536 + 1536;
const chunks = capture.subarray(HANDSHAKE);
// The capture ends mid-message; compare only the messages complete in it.
const reference = new ChunkDecoder().push(chunks);
const summary = (ms: RtmpMessage[]): string[] => ms.map((m) => `${m.typeId}/${m.chunkStreamId}/${m.timestamp}/${m.payload.length}/${m.payload.subarray(0, 8).toString('hex')}`);

test('the capture is what we think it is', () => {
  assert.equal(capture[0], 3);
  const names = reference.filter((m) => m.typeId === MessageType.CommandAmf0).map((m) => decodeCommand(m).name);
  assert.deepEqual(names.slice(0, 4), ['connect', 'releaseStream', 'FCPublish', 'createStream']);
  assert.ok(names.includes('publish'));
  const video = reference.filter((m) => m.typeId === MessageType.Video);
  assert.ok(video.length > 10);
  assert.ok(video.some((m) => m.timestamp >= 0xffffff), 'extended timestamps present');
  assert.ok(video.some((m) => m.payload.length > 128), 'messages span several chunks');
});

test('chunk decoder: same messages at every split point', () => {
  const want = summary(reference);
  for (let k = 1; k < chunks.length; k++) {
    const d = new ChunkDecoder();
    const got = [...d.push(chunks.subarray(0, k)), ...d.push(chunks.subarray(k))];
    assert.deepEqual(summary(got), want, `split at ${k}`);
  }
});

test('chunk decoder: byte by byte', () => {
  const d = new ChunkDecoder();
  const got: RtmpMessage[] = [];
  for (let i = 0; i < chunks.length; i++) got.push(...d.push(chunks.subarray(i, i + 1)));
  assert.deepEqual(summary(got), summary(reference));
});

test('server session: handshake and chunks split around the handshake boundary', () => {
  const kinds = (evs: ServerSessionEvent[]): string => evs.map((e) => e.type).join(',');
  const whole = new RtmpServerSession({ random: randomBytes, nowMs: () => 0 }).receive(capture);
  for (let k = HANDSHAKE - 200; k < HANDSHAKE + 600; k += 3) {
    const s = new RtmpServerSession({ random: randomBytes, nowMs: () => 0 });
    const evs = [...s.receive(capture.subarray(0, k)), ...s.receive(capture.subarray(k))];
    assert.equal(kinds(evs), kinds(whole), `split at ${k}`);
  }
  assert.match(kinds(whole), /^handshake,connect,/);
});
