// Test support for the mp4 unit tests only (not exported from index.ts): a small ISOBMFF reader that
// walks boxes and expands progressive sample tables and fragment truns back into samples, so tests can
// check what the writers produced (and read reference files made by ffmpeg) without a demuxer in src/.

import { ErrorCode, ProtocolError, TsrsError } from '../../../core/errors.js';

export interface ParsedBox {
  readonly type: string;
  /** Offset of the box in the buffer given to parseBoxes. */
  readonly start: number;
  readonly size: number;
  readonly headerSize: number;
  /** The bytes after the header (for a FullBox: version and flags first). */
  readonly payload: Buffer;
  readonly children: ParsedBox[];
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'dinf', 'edts', 'mvex', 'moof', 'traf', 'udta']);

/** Boxes in buf[start, end), descending into containers (and stsd sample entries). */
export function parseBoxes(buf: Buffer, start = 0, end = buf.length): ParsedBox[] {
  const out: ParsedBox[] = [];
  let pos = start;
  while (pos + 8 <= end) {
    let size = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    let headerSize = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(pos + 8));
      headerSize = 16;
    } else if (size === 0) {
      size = end - pos;
    }
    if (size < headerSize || pos + size > end) throw new ProtocolError(ErrorCode.MediaDecode, `bad box ${type} of ${size} at ${pos} (end ${end})`);
    const payload = buf.subarray(pos + headerSize, pos + size);
    let children: ParsedBox[] = [];
    if (CONTAINERS.has(type)) children = parseBoxes(buf, pos + headerSize, pos + size);
    else if (type === 'stsd') children = parseBoxes(buf, pos + headerSize + 8, pos + size);
    else if (type === 'avc1' || type === 'hvc1' || type === 'hev1') children = parseBoxes(buf, pos + headerSize + 78, pos + size);
    else if (type === 'mp4a' || type === 'Opus') children = parseBoxes(buf, pos + headerSize + 28, pos + size);
    out.push({ type, start: pos, size, headerSize, payload, children });
    pos += size;
  }
  if (pos !== end) throw new ProtocolError(ErrorCode.MediaDecode, `${end - pos} trailing bytes at ${pos}`);
  return out;
}

/** The first box along a path of types ("moov/trak/mdia/mdhd"), or undefined. */
export function findBox(boxes: ParsedBox[], path: string): ParsedBox | undefined {
  const [head, ...rest] = path.split('/');
  for (const b of boxes) {
    if (b.type !== head) continue;
    if (rest.length === 0) return b;
    const found = findBox(b.children, rest.join('/'));
    if (found !== undefined) return found;
  }
  return undefined;
}

export function mustFind(boxes: ParsedBox[], path: string): ParsedBox {
  const b = findBox(boxes, path);
  if (b === undefined) throw new TsrsError(ErrorCode.FileNotFound, `no ${path}`);
  return b;
}

/** Every box of a type among `boxes` (one level). */
export function allOf(boxes: ParsedBox[], type: string): ParsedBox[] {
  return boxes.filter((b) => b.type === type);
}

function u64(b: Buffer, at: number): number {
  return Number(b.readBigUInt64BE(at));
}

export interface ReadSample {
  readonly offset: number;
  readonly size: number;
  readonly dts: number;
  readonly cts: number;
  readonly duration: number;
  readonly sync: boolean;
}

export interface ReadTrack {
  readonly trackId: number;
  readonly handler: string;
  readonly timescale: number;
  readonly sampleEntry: string;
  /** avcC / hvcC / esds / dOps payload. */
  readonly config: Buffer | undefined;
  readonly mdhdDuration: number;
  readonly tkhdDuration: number;
  /** elst entries [segment_duration, media_time]. */
  readonly edits: Array<[number, number]>;
  readonly samples: ReadSample[];
}

function fullBoxVersion(b: ParsedBox): number {
  return b.payload[0]!;
}

function readTrak(trak: ParsedBox): ReadTrack {
  const tkhd = mustFind(trak.children, 'tkhd');
  const tv = fullBoxVersion(tkhd);
  const trackId = tkhd.payload.readUInt32BE(tv === 1 ? 20 : 12);
  const tkhdDuration = tv === 1 ? u64(tkhd.payload, 28) : tkhd.payload.readUInt32BE(20);
  const mdhd = mustFind(trak.children, 'mdia/mdhd');
  const mv = fullBoxVersion(mdhd);
  const timescale = mdhd.payload.readUInt32BE(mv === 1 ? 20 : 12);
  const mdhdDuration = mv === 1 ? u64(mdhd.payload, 24) : mdhd.payload.readUInt32BE(16);
  const handler = mustFind(trak.children, 'mdia/hdlr').payload.toString('latin1', 8, 12);
  const stbl = mustFind(trak.children, 'mdia/minf/stbl');
  const entry = mustFind(stbl.children, 'stsd').children[0]!;
  const configBox = entry.children.find((c) => ['avcC', 'hvcC', 'esds', 'dOps'].includes(c.type));
  const edits: Array<[number, number]> = [];
  const elst = findBox(trak.children, 'edts/elst');
  if (elst !== undefined) {
    const v = fullBoxVersion(elst);
    const n = elst.payload.readUInt32BE(4);
    for (let i = 0, p = 8; i < n; i++) {
      if (v === 1) {
        edits.push([u64(elst.payload, p), Number(elst.payload.readBigInt64BE(p + 8))]);
        p += 20;
      } else {
        edits.push([elst.payload.readUInt32BE(p), elst.payload.readInt32BE(p + 4)]);
        p += 12;
      }
    }
  }

  // Expand the sample tables.
  const durations: number[] = [];
  const stts = mustFind(stbl.children, 'stts').payload;
  for (let i = 0, n = stts.readUInt32BE(4); i < n; i++) {
    const count = stts.readUInt32BE(8 + 8 * i);
    for (let j = 0; j < count; j++) durations.push(stts.readUInt32BE(12 + 8 * i));
  }
  const ctsList: number[] = [];
  const ctts = findBox(stbl.children, 'ctts');
  if (ctts !== undefined) {
    const signed = fullBoxVersion(ctts) === 1;
    for (let i = 0, n = ctts.payload.readUInt32BE(4); i < n; i++) {
      const count = ctts.payload.readUInt32BE(8 + 8 * i);
      const off = signed ? ctts.payload.readInt32BE(12 + 8 * i) : ctts.payload.readUInt32BE(12 + 8 * i);
      for (let j = 0; j < count; j++) ctsList.push(off);
    }
  }
  const stszBox = mustFind(stbl.children, 'stsz').payload;
  const uniform = stszBox.readUInt32BE(4);
  const count = stszBox.readUInt32BE(8);
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) sizes.push(uniform !== 0 ? uniform : stszBox.readUInt32BE(12 + 4 * i));
  let syncSet: Set<number> | null = null;
  const stss = findBox(stbl.children, 'stss');
  if (stss !== undefined) {
    syncSet = new Set();
    for (let i = 0, n = stss.payload.readUInt32BE(4); i < n; i++) syncSet.add(stss.payload.readUInt32BE(8 + 4 * i));
  }
  const chunkOffsets: number[] = [];
  const stco = findBox(stbl.children, 'stco');
  const co64 = findBox(stbl.children, 'co64');
  if (stco !== undefined) {
    for (let i = 0, n = stco.payload.readUInt32BE(4); i < n; i++) chunkOffsets.push(stco.payload.readUInt32BE(8 + 4 * i));
  } else if (co64 !== undefined) {
    for (let i = 0, n = co64.payload.readUInt32BE(4); i < n; i++) chunkOffsets.push(u64(co64.payload, 8 + 8 * i));
  }
  const stsc = mustFind(stbl.children, 'stsc').payload;
  const stscEntries: Array<[number, number]> = [];
  for (let i = 0, n = stsc.readUInt32BE(4); i < n; i++) {
    stscEntries.push([stsc.readUInt32BE(8 + 12 * i), stsc.readUInt32BE(12 + 12 * i)]);
  }
  const samples: ReadSample[] = [];
  let s = 0;
  let dts = 0;
  for (let c = 0; c < chunkOffsets.length; c++) {
    let perChunk = 0;
    for (const [first, n] of stscEntries) if (first <= c + 1) perChunk = n;
    let off = chunkOffsets[c]!;
    for (let k = 0; k < perChunk && s < count; k++, s++) {
      const duration = durations[s] ?? 0;
      samples.push({ offset: off, size: sizes[s]!, dts, cts: ctsList[s] ?? 0, duration, sync: syncSet === null || syncSet.has(s + 1) });
      off += sizes[s]!;
      dts += duration;
    }
  }
  if (count > 0 && samples.length !== count) throw new ProtocolError(ErrorCode.MediaDecode, `sample tables describe ${samples.length} of ${count} samples`);
  return { trackId, handler, timescale, sampleEntry: entry.type, config: configBox?.payload, mdhdDuration, tkhdDuration, edits, samples };
}

/** Tracks of a progressive MP4 (or an init segment) with their samples from the sample tables. */
export function readMp4(file: Buffer): { boxes: ParsedBox[]; tracks: ReadTrack[] } {
  const boxes = parseBoxes(file);
  const moov = mustFind(boxes, 'moov');
  return { boxes, tracks: allOf(moov.children, 'trak').map(readTrak) };
}

export interface FragmentSample extends ReadSample {
  readonly trackId: number;
  readonly sequenceNumber: number;
}

/** Samples of every moof in `file` (offsets absolute in `file`), in file order. */
export function readFragments(file: Buffer): FragmentSample[] {
  const boxes = parseBoxes(file);
  const out: FragmentSample[] = [];
  for (const moof of allOf(boxes, 'moof')) {
    const sequenceNumber = mustFind(moof.children, 'mfhd').payload.readUInt32BE(4);
    for (const traf of allOf(moof.children, 'traf')) {
      const tfhd = mustFind(traf.children, 'tfhd').payload;
      const trackId = tfhd.readUInt32BE(4);
      const tfdt = mustFind(traf.children, 'tfdt');
      let dts = fullBoxVersion(tfdt) === 1 ? u64(tfdt.payload, 4) : tfdt.payload.readUInt32BE(4);
      for (const trun of allOf(traf.children, 'trun')) {
        const p = trun.payload;
        const version = p[0]!;
        const flags = p.readUIntBE(1, 3);
        const n = p.readUInt32BE(4);
        let q = 8;
        let offset = moof.start;
        if (flags & 0x1) {
          offset += p.readInt32BE(q);
          q += 4;
        }
        if (flags & 0x4) q += 4;
        for (let i = 0; i < n; i++) {
          const duration = flags & 0x100 ? p.readUInt32BE((q += 4) - 4) : 0;
          const size = flags & 0x200 ? p.readUInt32BE((q += 4) - 4) : 0;
          const sflags = flags & 0x400 ? p.readUInt32BE((q += 4) - 4) : 0;
          let cts = 0;
          if (flags & 0x800) cts = version === 1 ? p.readInt32BE((q += 4) - 4) : p.readUInt32BE((q += 4) - 4);
          out.push({ trackId, sequenceNumber, offset, size, dts, cts, duration, sync: (sflags & 0x10000) === 0 });
          offset += size;
          dts += duration;
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Synthetic FLV-bodied frames

/** x264 (High, 64x48) AVCDecoderConfigurationRecord with one SPS and one PPS. */
export const AVC_RECORD = Buffer.from(
  '0164000affe100186764000aacd9447b011000000300100000030320f122596001000668ebe3cb22c0',
  'hex',
);
/** AAC-LC 44.1 kHz stereo AudioSpecificConfig. */
export const AAC_LC_44100 = Buffer.from([0x12, 0x10]);

/** NAL units with 4-byte length prefixes. */
export function avcc(...nalus: Buffer[]): Buffer {
  return Buffer.concat(
    nalus.flatMap((n) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(n.length);
      return [len, n];
    }),
  );
}

/** Legacy FLV video body: [frameType|codecId][AVCPacketType][cts(24)][data]. */
export function legacyVideoBody(codecId: 7 | 12, frameType: number, packetType: number, cts: number, data: Buffer): Buffer {
  const b = Buffer.alloc(5);
  b[0] = (frameType << 4) | codecId;
  b[1] = packetType;
  b.writeIntBE(cts, 2, 3);
  return Buffer.concat([b, data]);
}

/** Enhanced RTMP video body: [1|frameType|packetType][FourCC][cts(24) for CodedFrames][data]. */
export function enhancedVideoBody(fourCc: string, frameType: number, packetType: number, cts: number, data: Buffer): Buffer {
  const b = Buffer.alloc(packetType === 1 ? 8 : 5);
  b[0] = 0x80 | (frameType << 4) | packetType;
  b.write(fourCc, 1, 'latin1');
  if (packetType === 1) b.writeIntBE(cts, 5, 3);
  return Buffer.concat([b, data]);
}

/** AAC audio body: [0xaf][AACPacketType][data]. */
export function aacBody(packetType: 0 | 1, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xaf, packetType]), data]);
}
