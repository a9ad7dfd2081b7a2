import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoxWriter } from './box.js';
import { writeDops, writeEdts, writeEsds, writeFileType, writeHdlr, writeMdhd, writeMvhd, writeStsd, writeTkhd } from './moov.js';
import { parseBoxes } from './mp4-test-helpers.js';
import type { TrackInfo } from './track.js';

function build(fn: (w: BoxWriter) => void): Buffer {
  const w = new BoxWriter();
  fn(w);
  return w.toBuffer();
}

const hex = (b: Buffer) => b.toString('hex');

const AAC: TrackInfo = { kind: 'audio', codec: 'aac', timescale: 44100, config: Buffer.from([0x12, 0x10]), sampleRate: 44100, channels: 2 };
const AVC_RECORD = Buffer.from('0164000affe100186764000aacd9447b011000000300100000030320f122596001000668ebe3cb22c0', 'hex');
const H264: TrackInfo = { kind: 'video', codec: 'h264', timescale: 90000, config: AVC_RECORD, width: 64, height: 48 };

describe('movie boxes', () => {
  test('ftyp: major brand, minor version, compatible brands', () => {
    const b = build((w) => writeFileType(w, 'ftyp', 'isom', 0x200, ['isom', 'mp41']));
    assert.equal(hex(b), '00000018' + '66747970' + '69736f6d' + '00000200' + '69736f6d' + '6d703431');
  });

  test('mvhd version 0 is 108 bytes: ms timescale, duration, unity rate/volume/matrix, next_track_ID', () => {
    const b = build((w) => writeMvhd(w, 3000, 3));
    assert.equal(b.length, 108);
    assert.equal(b.readUInt32BE(0), 108);
    assert.equal(b.toString('latin1', 4, 8), 'mvhd');
    assert.equal(b[8], 0); // version
    assert.equal(b.readUInt32BE(20), 1000); // timescale
    assert.equal(b.readUInt32BE(24), 3000); // duration
    assert.equal(b.readUInt32BE(28), 0x00010000); // rate
    assert.equal(b.readUInt16BE(32), 0x0100); // volume
    assert.equal(b.readUInt32BE(44), 0x00010000); // matrix a
    assert.equal(b.readUInt32BE(60), 0x00010000); // matrix d
    assert.equal(b.readUInt32BE(76), 0x40000000); // matrix w
    assert.equal(b.readUInt32BE(104), 3); // next_track_ID
  });

  test('mvhd switches to version 1 (64-bit times) when the duration needs it', () => {
    const b = build((w) => writeMvhd(w, 2 ** 32, 2));
    assert.equal(b.length, 120);
    assert.equal(b[8], 1);
    assert.equal(b.readUInt32BE(28), 1000);
    assert.equal(Number(b.readBigUInt64BE(32)), 2 ** 32);
  });

  test('tkhd version 0 is 92 bytes with flags 3, track id, duration, volume and 16.16 size', () => {
    const v = build((w) => writeTkhd(w, H264, 1, 3000));
    assert.equal(v.length, 92);
    assert.equal(v.readUInt32BE(8), 3); // version 0, flags 3
    assert.equal(v.readUInt32BE(20), 1); // track_ID
    assert.equal(v.readUInt32BE(28), 3000); // duration
    assert.equal(v.readUInt16BE(44), 0); // volume: video
    assert.equal(v.readUInt32BE(84), 64 << 16);
    assert.equal(v.readUInt32BE(88), 48 << 16);
    const a = build((w) => writeTkhd(w, AAC, 2, 3000));
    assert.equal(a.readUInt16BE(44), 0x0100);
    assert.equal(a.readUInt32BE(84), 0);
    const long = build((w) => writeTkhd(w, AAC, 2, 2 ** 33));
    assert.equal(long.length, 104);
    assert.equal(long[8], 1);
    assert.equal(Number(long.readBigUInt64BE(36)), 2 ** 33);
  });

  test('mdhd carries the media timescale and language "und" (0x55c4)', () => {
    const b = build((w) => writeMdhd(w, 90000, 270000));
    assert.equal(hex(b), '00000020' + '6d646864' + '00000000' + '00000000' + '00000000' + '00015f90' + '00041eb0' + '55c4' + '0000');
  });

  test('hdlr names the handler type', () => {
    const b = build((w) => writeHdlr(w, 'audio'));
    assert.equal(b.toString('latin1', 16, 20), 'soun');
    assert.equal(b.toString('latin1', 32), 'SoundHandler\0');
  });

  test('elst: an empty edit then the media from its first composition time', () => {
    const b = build((w) => writeEdts(w, { empty: 107, mediaTime: 7200, duration: 2000 }));
    assert.equal(
      hex(b),
      '00000030' + '65647473' + '00000028' + '656c7374' + '00000000' + '00000002' +
        '0000006b' + 'ffffffff' + '00010000' + '000007d0' + '00001c20' + '00010000',
    );
    const noEmpty = build((w) => writeEdts(w, { empty: 0, mediaTime: 0, duration: 5 }));
    assert.equal(noEmpty.readUInt32BE(20), 1);
  });
});

describe('sample descriptions', () => {
  test('esds for AAC: ES_Descriptor > DecoderConfigDescriptor(0x40, audio) > ASC, SLConfig 2', () => {
    const b = build((w) => writeEsds(w, AAC));
    assert.equal(
      hex(b),
      '00000027' + '65736473' + '00000000' +
        '0319' + '0000' + '00' + // ES_Descriptor, ES_ID 0, flags
        '0411' + '40' + '15' + '000000' + '00000000' + '00000000' + // DecoderConfigDescriptor
        '0502' + '1210' + // DecoderSpecificInfo = AudioSpecificConfig
        '0601' + '02', // SLConfigDescriptor predefined 2
    );
  });

  test('esds descriptor sizes of 128 and more take several 7-bit bytes', () => {
    const b = build((w) => writeEsds(w, { ...AAC, config: Buffer.alloc(200, 0x11) }));
    const at = b.indexOf(Buffer.from([0x05, 0x81, 0x48]));
    assert.ok(at > 0, 'DecoderSpecificInfo size 200 = 0x81 0x48');
    assert.equal(b.readUInt32BE(0), b.length);
    // ES_Descriptor: 3 + (3 + 13 + 3 + 200) + 3 = 225 = 0x81 0x61
    assert.equal(hex(b.subarray(12, 15)), '038161');
  });

  test('esds for MP3: objectTypeIndication 0x6b (MPEG-1 rates) or 0x69 (MPEG-2 half rates), no DSI', () => {
    const mp3: TrackInfo = { kind: 'audio', codec: 'mp3', timescale: 44100, config: Buffer.alloc(0), sampleRate: 44100, channels: 1 };
    const b = build((w) => writeEsds(w, mp3));
    assert.equal(hex(b.subarray(12)), '0315' + '000000' + '040d' + '6b15' + '000000' + '00000000' + '00000000' + '0601' + '02');
    const low = build((w) => writeEsds(w, { ...mp3, sampleRate: 22050, timescale: 22050 }));
    assert.equal(low[19], 0x69);
  });

  test('dOps from the track (mono/stereo) or from an OpusHead', () => {
    const opus: TrackInfo = { kind: 'audio', codec: 'opus', timescale: 48000, config: Buffer.alloc(0), sampleRate: 48000, channels: 2 };
    assert.equal(hex(build((w) => writeDops(w, opus))), '00000013' + '644f7073' + '00' + '02' + '0000' + '0000bb80' + '0000' + '00');
    const head = Buffer.from('4f707573486561640101380180bb00000000' + '00', 'hex'); // OpusHead v1, 1 ch, pre-skip 312
    assert.equal(hex(build((w) => writeDops(w, { ...opus, config: head }))), '00000013' + '644f7073' + '00' + '01' + '0138' + '0000bb80' + '0000' + '00');
  });

  test('avc1 visual sample entry: 78 bytes of fields then avcC with the record as given', () => {
    const b = build((w) => writeStsd(w, H264));
    const [stsd] = parseBoxes(b);
    assert.equal(stsd!.type, 'stsd');
    assert.equal(stsd!.payload.readUInt32BE(4), 1); // entry_count
    const entry = stsd!.children[0]!;
    assert.equal(entry.type, 'avc1');
    assert.equal(entry.payload.readUInt16BE(6), 1); // data_reference_index
    assert.equal(entry.payload.readUInt16BE(24), 64); // width
    assert.equal(entry.payload.readUInt16BE(26), 48); // height
    assert.equal(entry.payload.readUInt32BE(28), 0x00480000);
    assert.equal(entry.payload.readUInt16BE(40), 1); // frame_count
    assert.equal(entry.payload.readUInt16BE(74), 0x18); // depth
    assert.equal(entry.payload.readInt16BE(76), -1);
    assert.equal(entry.children[0]!.type, 'avcC');
    assert.deepEqual(entry.children[0]!.payload, AVC_RECORD);
  });

  test('hvc1 for H.265, mp4a with channel count and 16.16 rate for AAC', () => {
    const hevc = build((w) => writeStsd(w, { ...H264, codec: 'h265', config: Buffer.from([1, 2, 3]) }));
    assert.deepEqual(parseBoxes(hevc)[0]!.children.map((c) => [c.type, c.children[0]!.type]), [['hvc1', 'hvcC']]);
    const aac = parseBoxes(build((w) => writeStsd(w, AAC)))[0]!.children[0]!;
    assert.equal(aac.type, 'mp4a');
    assert.equal(aac.payload.readUInt16BE(16), 2); // channelcount
    assert.equal(aac.payload.readUInt16BE(18), 16); // samplesize
    assert.equal(aac.payload.readUInt32BE(24), 44100 * 65536);
    assert.equal(aac.children[0]!.type, 'esds');
    // 96 kHz does not fit 16.16: 0, as ffmpeg writes.
    const hi = parseBoxes(build((w) => writeStsd(w, { ...AAC, sampleRate: 96000, timescale: 96000 })))[0]!.children[0]!;
    assert.equal(hi.payload.readUInt32BE(24), 0);
  });
});
