import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFixture } from '../../../test/fixtures/index.js';
import { audioSpecificConfigFromAdts, parseAudioSpecificConfig, splitAdts } from '../../kernel/codec/aac.js';
import { parseMpegAudioFrameHeader } from '../../kernel/codec/mp3.js';
import { demuxFlv, FlvDemuxer } from '../../kernel/format/flv.js';
import { TsDemuxer } from '../../kernel/format/mpegts/ts-demuxer.js';
import { audioFrameFromFlv, videoFrameFromFlv, type AudioFrame, type MediaFrame, type VideoFrame } from '../../kernel/media-frame.js';
import { createEncoder, FlvStreamEncoder, type StreamEncoder } from './stream-encoders.js';

const aac = (ts: number, fill: number): MediaFrame => audioFrameFromFlv(Buffer.from([0xaf, 1, fill, fill, fill]), ts)!;

/** Encodes one batch and returns its Buffers plus the bytes they held at that moment (what was sent). */
function batch(enc: FlvStreamEncoder, frames: MediaFrame[]): { parts: Buffer[]; sent: Buffer } {
  const parts: Buffer[] = [];
  enc.encode(frames, frames.map((f) => f.dts), parts);
  return { parts, sent: Buffer.concat(parts) };
}

test('FLV encoder: a stream of batches decodes to the frames, with and without recycle() between them', () => {
  const enc = new FlvStreamEncoder(true, false, false);
  const wire: Buffer[] = [Buffer.concat(enc.start())];
  const frames = Array.from({ length: 400 }, (_, i) => aac(i * 23, i & 0xff));
  for (let i = 0; i < frames.length; i += 8) {
    // Recycle between every other batch: like an output whose socket had drained.
    if ((i / 8) % 2 === 1) enc.recycle();
    wire.push(batch(enc, frames.slice(i, i + 8)).sent);
  }
  const tags = new FlvDemuxer().push(Buffer.concat(wire));
  assert.equal(tags.length, frames.length);
  tags.forEach((t, i) => {
    assert.equal(t.type, 8);
    assert.equal(t.timestamp, i * 23);
    assert.deepEqual(t.body, frames[i]!.payload);
  });
});

test('FLV encoder: tag headers are new memory until recycle(), then the same memory again', () => {
  const enc = new FlvStreamEncoder(true, false, false);
  const a = batch(enc, [aac(0, 1), aac(23, 2)]);
  const b = batch(enc, [aac(46, 3)]);
  const headA = a.parts[0]!;
  // Without recycle, batch b did not write over batch a (it may still sit in a socket's queue).
  assert.deepEqual(Buffer.concat(a.parts), a.sent);
  assert.notEqual(b.parts[0]!.byteOffset, headA.byteOffset);
  enc.recycle();
  const c = batch(enc, [aac(69, 4)]);
  assert.equal(c.parts[0]!.buffer, headA.buffer);
  assert.equal(c.parts[0]!.byteOffset, headA.byteOffset);
  // And now a's header Buffers hold c's bytes: why only an output that has sent everything may recycle.
  assert.notDeepEqual(Buffer.concat(a.parts), a.sent);
});

// ---------------------------------------------------------------------------------------------------------
// Round trips (issue 12): the bytes each HTTP stream encoder writes, decoded back by our TS demuxer / ADTS
// parser / MPEG audio header parser and by ffprobe, equal what went in.

function fixtureFrames(name: string): MediaFrame[] {
  const frames: MediaFrame[] = [];
  for (const t of demuxFlv(readFixture(name)).tags) {
    const f = t.type === 9 ? videoFrameFromFlv(t.body, t.timestamp) : t.type === 8 ? audioFrameFromFlv(t.body, t.timestamp) : null;
    if (f) frames.push(f);
  }
  return frames;
}

/** Encodes in batches of 7 (as merged writes do) and returns the bytes. */
function encodeAll(enc: StreamEncoder, frames: MediaFrame[]): Buffer {
  const out: Buffer[] = [...enc.start()];
  const accepted = frames.filter((f) => enc.accepts(f));
  for (let i = 0; i < accepted.length; i += 7) {
    const b = accepted.slice(i, i + 7);
    enc.encode(b, b.map((f) => f.dts), out);
  }
  return Buffer.concat(out);
}

function ffprobe(bytes: Buffer, format: string): { streams: Array<Record<string, unknown>>; packets: Array<Record<string, unknown>> } | null {
  const r = spawnSync('ffprobe', ['-v', 'error', '-f', format, '-show_streams', '-show_packets', '-of', 'json', '-i', 'pipe:0'], {
    input: bytes,
    timeout: 20_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) return null; // no ffprobe on this machine: the in-process decoders still check the bytes
  assert.equal(r.status, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}

const NAL_AUD = 9;
const NAL_SPS = 7;
const NAL_PPS = 8;

test('TS encoder round trip: our demuxer gives back every picture (NAL units) and AAC frame with its timestamps', () => {
  const input = fixtureFrames('h264-aac.flv');
  const ts = encodeAll(createEncoder('ts', { hasAudio: true, hasVideo: true, dropIfNotMatch: false }), input);
  assert.equal(ts.length % 188, 0);
  const demuxer = new TsDemuxer();
  const output = [...demuxer.push(ts), ...demuxer.flush()];

  const pictures = (frames: MediaFrame[]) =>
    frames
      .filter((f): f is VideoFrame => f.kind === 'video' && f.view.packet === 'coded')
      .map((f) => ({
        dts: f.dts,
        pts: f.pts,
        keyframe: f.keyframe,
        // The muxer adds an AUD and, before IDRs, SPS/PPS: compare the rest.
        nalus: f.view.nalus().filter((n) => ![NAL_AUD, NAL_SPS, NAL_PPS].includes(n[0]! & 0x1f)).map((n) => n.toString('hex')),
      }));
  const audio = (frames: MediaFrame[]) =>
    frames.filter((f): f is AudioFrame => f.kind === 'audio' && !f.sequenceHeader).map((f) => ({ dts: f.dts, raw: f.view.raw.toString('hex') }));

  const inPictures = pictures(input);
  assert.ok(inPictures.length > 10);
  assert.deepEqual(pictures(output), inPictures);
  assert.deepEqual(audio(output), audio(input));
  const ascIn = input.find((f) => f.kind === 'audio' && f.sequenceHeader) as AudioFrame;
  const ascOut = output.find((f) => f.kind === 'audio' && f.sequenceHeader) as AudioFrame;
  assert.deepEqual(ascOut.view.raw.subarray(0, 2), ascIn.view.raw.subarray(0, 2));
  const spsIn = (input.find((f) => f.kind === 'video' && f.sequenceHeader) as VideoFrame).view.track()!;
  const spsOut = (output.find((f) => f.kind === 'video' && f.sequenceHeader) as VideoFrame).view.track()!;
  assert.deepEqual(spsOut.parameterSets, spsIn.parameterSets);

  const probe = ffprobe(ts, 'mpegts');
  if (probe) {
    const codecs = probe.streams.map((s) => s['codec_name']).sort();
    assert.deepEqual(codecs, ['aac', 'h264']);
    const v = probe.packets.filter((p) => p['codec_type'] === 'video').length;
    const a = probe.packets.filter((p) => p['codec_type'] === 'audio').length;
    assert.deepEqual([v, a], [inPictures.length, audio(input).length]);
  }
});

test('AAC encoder round trip: ADTS frames carry the input raw frames and its AudioSpecificConfig', () => {
  const input = fixtureFrames('h264-aac.flv').filter((f): f is AudioFrame => f.kind === 'audio');
  const sh = input.find((f) => f.sequenceHeader)!;
  const asc = parseAudioSpecificConfig(sh.view.raw);
  const raws = input.filter((f) => !f.sequenceHeader).map((f) => f.view.raw);
  const bytes = encodeAll(createEncoder('aac', { hasAudio: true, hasVideo: false, dropIfNotMatch: false }), input);
  const frames = splitAdts(bytes);
  assert.equal(frames.length, raws.length);
  assert.equal(frames.reduce((n, f) => n + 7 + f.raw.length, 0), bytes.length, 'nothing but ADTS frames');
  frames.forEach((f, i) => assert.deepEqual(f.raw, raws[i], `frame ${i}`));
  for (const f of frames) {
    assert.deepEqual(parseAudioSpecificConfig(audioSpecificConfigFromAdts(f.profile, f.sampleRateIndex, f.channelConfiguration)).sampleRate, asc.sampleRate);
    assert.equal(f.profile + 1, asc.objectType);
    assert.equal(f.channelConfiguration, asc.channelConfiguration);
  }
  const probe = ffprobe(bytes, 'aac');
  if (probe) {
    assert.equal(probe.streams[0]!['codec_name'], 'aac');
    assert.equal(Number(probe.streams[0]!['sample_rate']), asc.sampleRate);
    assert.equal(probe.streams[0]!['channels'], asc.channels);
    assert.equal(probe.packets.length, raws.length);
  }
});

test('AAC encoder: an explicit-rate AudioSpecificConfig (index 15) gives ADTS at the table index of its rate', () => {
  const enc = createEncoder('aac', { hasAudio: true, hasVideo: false, dropIfNotMatch: false });
  const out: Buffer[] = [];
  const frames = [audioFrameFromFlv(Buffer.from([0xaf, 0, 0x17, 0x80, 0x5d, 0xc0, 0x10]), 0)!, audioFrameFromFlv(Buffer.from([0xaf, 1, 9, 8, 7]), 21)!];
  enc.encode(frames, [0, 21], out);
  const [f] = splitAdts(Buffer.concat(out));
  assert.deepEqual([f!.sampleRateIndex, f!.channelConfiguration, [...f!.raw]], [3, 2, [9, 8, 7]]);
});

test('MP3 encoder round trip: the output is exactly the MP3 frames that went in, frame by frame', () => {
  const input = fixtureFrames('mp3.flv').filter((f): f is AudioFrame => f.kind === 'audio');
  const raws = input.map((f) => f.view.raw);
  const bytes = encodeAll(createEncoder('mp3', { hasAudio: true, hasVideo: false, dropIfNotMatch: false }), fixtureFrames('mp3.flv'));
  const frames: Buffer[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const h = parseMpegAudioFrameHeader(bytes, pos);
    assert.ok(h.frameLength > 0);
    frames.push(bytes.subarray(pos, pos + h.frameLength));
    pos += h.frameLength;
  }
  assert.ok(raws.length > 10);
  assert.deepEqual(frames, raws);
  const probe = ffprobe(bytes, 'mp3');
  if (probe) {
    assert.equal(probe.streams[0]!['codec_name'], 'mp3');
    assert.equal(probe.packets.length, raws.length);
  }
});
