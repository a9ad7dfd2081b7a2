import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng, randomBytes, randomInt } from '../../../test/fixtures/index.js';
import { OggPacketReader, OggPageWriter, encodeOpusTags, oggCrc } from './ogg.js';

test('Ogg CRC-32 (poly 0x04c11db7, unreflected) of a known page', () => {
  // "123456789" under CRC-32/MPEG-2 is 0x0376e6e7 (init ~0, no xor); Ogg's variant (init 0) gives 0x89a1897f.
  assert.equal(oggCrc(Buffer.from('123456789')), 0x89a1897f);
});

test('pages written one packet each read back as packets in any split; long packets use 255-lacing', () => {
  const rand = prng(7);
  const w = new OggPageWriter(0x1234);
  const packets = [Buffer.from('OpusHead........'), encodeOpusTags(), ...Array.from({ length: 40 }, (_, i) => randomBytes(rand, [0, 1, 254, 255, 256, 510, 600][i % 7]!))];
  const stream = Buffer.concat(packets.map((p, i) => w.page(p, BigInt(i * 960))));
  for (const seed of [1, 2, 3]) {
    const r = new OggPacketReader();
    const got: Buffer[] = [];
    const granules: bigint[] = [];
    const cut = prng(seed);
    for (let p = 0; p < stream.length; ) {
      const n = 1 + randomInt(cut, 700);
      for (const pkt of r.push(stream.subarray(p, p + n))) {
        got.push(pkt.data);
        granules.push(pkt.granule);
        assert.equal(pkt.serial, 0x1234);
      }
      p += n;
    }
    assert.deepEqual(got, packets);
    assert.deepEqual(granules, packets.map((_, i) => BigInt(i * 960)));
  }
});

test('a packet continued over two pages (as ffmpeg writes big packets), and two packets in one page', () => {
  // Hand-made pages: page 1 holds packet A (3 bytes) and the first 255 bytes of B; page 2 ends B with 5 bytes.
  const page = (flags: number, granule: bigint, seq: number, laces: number[], body: Buffer) => {
    const h = Buffer.alloc(27 + laces.length);
    h.write('OggS', 0, 'latin1');
    h[5] = flags;
    h.writeBigInt64LE(granule, 6);
    h.writeUInt32LE(9, 14);
    h.writeUInt32LE(seq, 18);
    h[26] = laces.length;
    Buffer.from(laces).copy(h, 27);
    const b = Buffer.concat([h, body]);
    b.writeUInt32LE(oggCrc(b), 22);
    return b;
  };
  const A = Buffer.from([1, 2, 3]);
  const B = Buffer.alloc(260, 7);
  const stream = Buffer.concat([page(0, -1n, 0, [3, 255], Buffer.concat([A, B.subarray(0, 255)])), page(1, 1920n, 1, [5], B.subarray(255))]);
  const r = new OggPacketReader();
  const got = r.push(stream);
  assert.deepEqual(got.map((p) => [p.data.length, p.granule]), [
    [3, -1n],
    [260, 1920n],
  ]);
  assert.deepEqual(got[1]!.data, B);
});

test('garbage and a corrupted page are skipped, the stream goes on', () => {
  const w = new OggPageWriter(1);
  const pages = [0, 1, 2, 3].map((i) => w.page(Buffer.alloc(50, i), BigInt(i)));
  const bad = Buffer.from(pages[1]!);
  bad[40] ^= 0xff;
  const r = new OggPacketReader();
  const got = r.push(Buffer.concat([Buffer.from('junk!'), pages[0]!, bad, pages[2]!, pages[3]!]));
  assert.deepEqual(got.map((p) => p.data[0]), [0, 2, 3]);
  assert.equal(r.errors.badCrc, 1);
  assert.ok(r.errors.skippedBytes >= 5);
});
