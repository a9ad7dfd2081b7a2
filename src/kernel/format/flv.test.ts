import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, ProtocolError, TsrsError } from '../../core/errors.js';
import { expectOnlyProtocolErrors, fuzzInputs, prng, randomInt, readFixture } from '../../../test/fixtures/index.js';
import { Amf0EcmaArray, decodeAmf0, encodeAmf0 } from './amf0.js';
import {
  type FlvTag,
  FLV_TAG_HEADER_SIZE,
  FlvDemuxer,
  decodeScriptData,
  demuxFlv,
  encodeFlvHeader,
  encodeFlvTag,
  encodeOnMetaData,
  encodeOnMetaDataTag,
  flvPreviousTagSize,
  flvTagHeader,
  metadataProperties,
  parseFlvAudioTagHeader,
  parseFlvVideoTagHeader,
} from './flv.js';

const FILE = readFixture('h264-aac.flv');
const REFERENCE = demuxFlv(FILE).tags;

function sameTags(actual: FlvTag[], expected: FlvTag[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: tag count`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a.type !== e.type || a.timestamp !== e.timestamp || !a.body.equals(e.body)) {
      assert.fail(`${label}: tag ${i} differs (${a.type}@${a.timestamp} ${a.body.length}B vs ${e.type}@${e.timestamp} ${e.body.length}B)`);
    }
  }
}

function demuxInPieces(file: Buffer, cuts: number[]): FlvTag[] {
  const d = new FlvDemuxer();
  const tags: FlvTag[] = [];
  let prev = 0;
  for (const cut of [...cuts, file.length]) {
    tags.push(...d.push(file.subarray(prev, cut)));
    prev = cut;
  }
  assert.equal(d.bufferedBytes, 0);
  return tags;
}

describe('FLV encode', () => {
  it('writes the 9-byte header plus PreviousTagSize0', () => {
    assert.equal(encodeFlvHeader({ hasAudio: true, hasVideo: true }).toString('hex'), '464c5601050000000900000000');
    assert.equal(encodeFlvHeader({ hasAudio: true, hasVideo: false }).toString('hex'), '464c5601040000000900000000');
    assert.equal(encodeFlvHeader({ hasAudio: false, hasVideo: true }).toString('hex'), '464c5601010000000900000000');
  });

  it('writes a tag with the extended timestamp byte and PreviousTagSize', () => {
    const tag = encodeFlvTag(9, 0x12345678, Buffer.from([0xaa, 0xbb, 0xcc]));
    assert.equal(tag.toString('hex'), '09' + '000003' + '345678' + '12' + '000000' + 'aabbcc' + '0000000e');
  });

  it('wraps timestamps modulo 2^32 and clamps negatives to 0', () => {
    const ts = (ms: number) => {
      const b = encodeFlvTag(8, ms, Buffer.alloc(0));
      return (b.readUIntBE(4, 3) | (b[7]! << 24)) >>> 0;
    };
    assert.equal(ts(2 ** 32 + 5), 5);
    assert.equal(ts(2 ** 32 - 1), 2 ** 32 - 1);
    assert.equal(ts(-1), 0);
    assert.equal(ts(12.9), 12);
  });

  it('writes headers into a caller buffer for zero-copy output', () => {
    const body = Buffer.from('hello');
    const out = Buffer.alloc(3 + FLV_TAG_HEADER_SIZE + body.length + 4, 0xee);
    let off = flvTagHeader(8, 1000, body.length, out, 3);
    assert.equal(off, 3 + FLV_TAG_HEADER_SIZE);
    off += body.copy(out, off);
    off = flvPreviousTagSize(body.length, out, off);
    assert.equal(off, out.length);
    assert.equal(out[0], 0xee);
    assert.deepEqual(out.subarray(3), encodeFlvTag(8, 1000, body));
  });

  it('refuses bodies that do not fit the 24-bit size', () => {
    assert.throws(() => flvTagHeader(9, 0, 0x1000000, Buffer.alloc(11), 0), (e: unknown) => e instanceof TsrsError && e.code === ErrorCode.RtmpMessageSize);
  });

  it('builds onMetaData as an ECMA array, skipping undefined properties', () => {
    const body = encodeOnMetaData({ width: 640, height: 360, videocodecid: 7, encoder: 'tsrs', duration: undefined });
    const [name, meta] = decodeAmf0(body);
    assert.equal(name, 'onMetaData');
    assert.ok(meta instanceof Amf0EcmaArray);
    assert.deepEqual({ ...meta.entries }, { width: 640, height: 360, videocodecid: 7, encoder: 'tsrs' });
    const tag = encodeOnMetaDataTag({ width: 1 }, 40);
    assert.equal(tag[0], 18);
    const [t] = new FlvDemuxer({ header: false }).push(tag);
    assert.equal(t!.timestamp, 40);
    assert.deepEqual(decodeScriptData(t!.body).values, [new Amf0EcmaArray({ width: 1 })]);
  });
});

describe('FlvDemuxer', () => {
  it('reads the ffmpeg fixture: header, onMetaData, sequence headers, then media', () => {
    const { header, tags } = demuxFlv(FILE);
    assert.deepEqual(header, { version: 1, hasAudio: true, hasVideo: true });
    assert.equal(tags[0]!.type, 18);
    const meta = decodeScriptData(tags[0]!.body);
    assert.equal(meta.name, 'onMetaData');
    assert.equal(metadataProperties(meta.values[0])!['width'], 320);
    const video = tags.filter((t) => t.type === 9);
    const audio = tags.filter((t) => t.type === 8);
    assert.equal(video.length, 27); // sequence header + 25 frames (1 s at 25 fps) + end of sequence
    assert.equal(video.at(-1)!.body[1], 2); // AVCPacketType 2: AVC end of sequence
    assert.ok(audio.length >= 47); // sequence header + ~47 AAC frames of 1024 samples at 48 kHz
    assert.equal(video[0]!.body[1], 0); // AVCPacketType 0
    assert.equal(audio[0]!.body[1], 0); // AACPacketType 0
    for (let i = 1; i < tags.length; i++) assert.ok(tags[i]!.timestamp >= 0);
    assert.ok(tags.at(-1)!.timestamp >= 900 && tags.at(-1)!.timestamp <= 1100);
  });

  it('re-muxes the fixture byte for byte', () => {
    const rebuilt = Buffer.concat([encodeFlvHeader({ hasAudio: true, hasVideo: true }), ...REFERENCE.map((t) => encodeFlvTag(t.type, t.timestamp, t.body))]);
    assert.deepEqual(rebuilt, FILE);
  });

  it('gives the same tags when the input is split at every offset of the first 4 KiB', () => {
    for (let cut = 0; cut <= 4096; cut++) sameTags(demuxInPieces(FILE, [cut]), REFERENCE, `cut ${cut}`);
  });

  it('gives the same tags when fed one byte at a time', () => {
    const cuts: number[] = [];
    for (let i = 1; i < FILE.length; i++) cuts.push(i);
    sameTags(demuxInPieces(FILE, cuts), REFERENCE, 'byte by byte');
  });

  it('gives the same tags for random multi-way splits', () => {
    const rand = prng(0xf1f);
    for (let run = 0; run < 200; run++) {
      const n = 1 + randomInt(rand, 40);
      const cuts = Array.from({ length: n }, () => randomInt(rand, FILE.length)).sort((a, b) => a - b);
      sameTags(demuxInPieces(FILE, cuts), REFERENCE, `run ${run} cuts ${cuts.join(',')}`);
    }
  });

  it('copies bodies out of the input and owns the bytes it keeps', () => {
    const input = Buffer.from(FILE);
    const d = new FlvDemuxer();
    const half = 5000;
    const first = d.push(input.subarray(0, half));
    assert.ok(d.bufferedBytes > 0);
    input.fill(0, 0, half); // the caller reuses its read buffer
    const rest = d.push(input.subarray(half));
    input.fill(0);
    sameTags([...first, ...rest], REFERENCE, 'after the input was overwritten');
    for (const t of [...first, ...rest]) assert.notEqual(t.body.buffer, input.buffer);
  });

  it('reassembles a 4 MiB tag pushed in 1000-byte pieces in linear time', () => {
    const body = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body[i] = i / 4096;
    const stream = Buffer.concat([encodeFlvHeader({ hasAudio: false, hasVideo: true }), encodeFlvTag(9, 7, body), encodeFlvTag(9, 8, Buffer.from([0x27, 1, 0, 0, 0]))]);
    const d = new FlvDemuxer();
    const tags: FlvTag[] = [];
    const started = process.hrtime.bigint();
    for (let pos = 0; pos < stream.length; pos += 1000) tags.push(...d.push(stream.subarray(pos, pos + 1000)));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(tags.length, 2);
    assert.ok(tags[0]!.body.equals(body));
    assert.equal(tags[1]!.timestamp, 8);
    assert.equal(d.bufferedBytes, 0);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it('skips extra header bytes when DataOffset > 9', () => {
    const header = Buffer.from('464c560105000000100000000000000000000000', 'hex'); // DataOffset 16, 7 extra bytes, PTS0
    const d = new FlvDemuxer();
    const tags = d.push(Buffer.concat([header, FILE.subarray(13)]));
    sameTags(tags, REFERENCE, 'DataOffset 16');
  });

  it('reads a bare tag stream with header: false', () => {
    const d = new FlvDemuxer({ header: false });
    sameTags(d.push(FILE.subarray(13)), REFERENCE, 'bare tags');
    assert.equal(d.header, null);
  });

  const isFlvError = (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.MediaDecode;

  it('throws ProtocolError on a bad signature, tag type, encrypted tag or oversized tag', () => {
    assert.throws(() => new FlvDemuxer().push(Buffer.from('464c5801050000000900000000', 'hex')), isFlvError);
    assert.throws(() => new FlvDemuxer().push(Buffer.from('464c5601050000000400000000', 'hex')), isFlvError);
    const tag = (typeByte: number, size: number) => Buffer.from([typeByte, size >> 16, (size >> 8) & 0xff, size & 0xff, 0, 0, 0, 0, 0, 0, 0]);
    assert.throws(() => new FlvDemuxer({ header: false }).push(tag(7, 1)), isFlvError);
    assert.throws(() => new FlvDemuxer({ header: false }).push(tag(0x29, 1)), isFlvError);
    assert.throws(() => new FlvDemuxer({ header: false, maxTagSize: 1000 }).push(tag(9, 1001)), isFlvError);
    assert.deepEqual(new FlvDemuxer({ header: false, maxTagSize: 1000 }).push(tag(9, 1000)), []);
  });

  it('demuxFlv refuses a file that ends mid-tag', () => {
    assert.throws(() => demuxFlv(FILE.subarray(0, FILE.length - 1)), isFlvError);
    assert.throws(() => demuxFlv(FILE.subarray(0, 5)), isFlvError);
  });

  it('fuzz: mutated and truncated streams only throw ProtocolError', () => {
    const head = FILE.subarray(0, 3000);
    const seeds = [head, FILE.subarray(13, 2000)];
    const rand = prng(0xdead);
    const { accepted, refused } = expectOnlyProtocolErrors('flv-demuxer', fuzzInputs(seeds, 0xf00d, 1500, 64), (input) => {
      const d = new FlvDemuxer({ header: input[0] === 0x46, maxTagSize: 1 << 20 });
      let pos = 0;
      while (pos < input.length) {
        const n = 1 + randomInt(rand, 700);
        d.push(input.subarray(pos, pos + n));
        pos += n;
      }
    });
    assert.ok(accepted > 50 && refused > 50, `accepted ${accepted}, refused ${refused}`);
  });
});

describe('FLV tag-body headers', () => {
  it('parses the fixture audio and video headers', () => {
    const v = parseFlvVideoTagHeader(REFERENCE.find((t) => t.type === 9)!.body);
    assert.deepEqual(v, { frameType: 1, codecId: 7, fourCc: null, sequenceHeader: true, packetType: 0, compositionTime: 0, dataOffset: 5 });
    const a = parseFlvAudioTagHeader(REFERENCE.find((t) => t.type === 8)!.body);
    assert.deepEqual(a, { soundFormat: 10, soundRate: 3, soundSize: 1, soundType: 1, aacPacketType: 0, dataOffset: 2 });
  });

  it('reads the B-frame composition times of the fixture', () => {
    const cts = REFERENCE.filter((t) => t.type === 9).map((t) => parseFlvVideoTagHeader(t.body).compositionTime);
    assert.ok(cts.some((c) => c > 0), 'x264 with B-frames writes positive composition times');
    assert.ok(cts.every((c) => c >= 0 && c % 40 === 0), `cts ${cts.join(',')}`);
  });

  it('reads signed composition times', () => {
    const v = parseFlvVideoTagHeader(Buffer.from([0x27, 0x01, 0xff, 0xff, 0xd8, 0, 0, 0, 1]));
    assert.equal(v.compositionTime, -40);
    assert.equal(v.frameType, 2);
    assert.equal(v.sequenceHeader, false);
  });

  it('parses Enhanced RTMP video headers', () => {
    const seq = parseFlvVideoTagHeader(Buffer.concat([Buffer.from([0x90]), Buffer.from('hvc1'), Buffer.from([1])]));
    assert.deepEqual(seq, { frameType: 1, codecId: null, fourCc: 'hvc1', sequenceHeader: true, packetType: 0, compositionTime: 0, dataOffset: 5 });
    const coded = parseFlvVideoTagHeader(Buffer.concat([Buffer.from([0xa1]), Buffer.from('hvc1'), Buffer.from([0, 0, 40, 9])]));
    assert.equal(coded.compositionTime, 40);
    assert.equal(coded.dataOffset, 8);
    assert.equal(coded.frameType, 2);
    const codedX = parseFlvVideoTagHeader(Buffer.concat([Buffer.from([0x93]), Buffer.from('hvc1'), Buffer.from([9])]));
    assert.equal(codedX.dataOffset, 5);
  });

  it('parses non-AVC codecs without packet type', () => {
    assert.deepEqual(parseFlvVideoTagHeader(Buffer.from([0x12])), { frameType: 1, codecId: 2, fourCc: null, sequenceHeader: false, packetType: null, compositionTime: 0, dataOffset: 1 });
    assert.deepEqual(parseFlvAudioTagHeader(Buffer.from([0x2e, 0xff])), { soundFormat: 2, soundRate: 3, soundSize: 1, soundType: 0, aacPacketType: null, dataOffset: 1 });
  });

  it('throws ProtocolError on short headers', () => {
    for (const b of [[], [0x17], [0x17, 0, 0, 0], [0x90, 0x68], [0xa1, 0x68, 0x76, 0x63, 0x31, 0]]) {
      assert.throws(() => parseFlvVideoTagHeader(Buffer.from(b)), ProtocolError);
    }
    assert.throws(() => parseFlvAudioTagHeader(Buffer.alloc(0)), ProtocolError);
    assert.throws(() => parseFlvAudioTagHeader(Buffer.from([0xaf])), ProtocolError);
  });
});

describe('FLV script data', () => {
  it('removes the RTMP @setDataFrame wrapper', () => {
    const body = encodeAmf0('@setDataFrame', 'onMetaData', { width: 1280 });
    assert.deepEqual(decodeScriptData(body), { name: 'onMetaData', values: [{ width: 1280 }] });
    assert.deepEqual(metadataProperties({ width: 1280 }), { width: 1280 });
    assert.equal(metadataProperties([1]), null);
    assert.equal(metadataProperties('x'), null);
  });

  it('refuses script data without a string name', () => {
    assert.throws(() => decodeScriptData(encodeAmf0(1)), (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.RtmpAmf0Decode);
    assert.throws(() => decodeScriptData(Buffer.alloc(0)), ProtocolError);
  });
});
