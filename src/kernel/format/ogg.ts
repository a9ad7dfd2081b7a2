// Ogg (RFC 3533) pages ↔ packets, streaming, for the Opus audio transcoder's pipes to ffmpeg
// (Ogg Opus, RFC 7845). Reader: bytes in any split → whole packets (continued across pages) with the
// granule position of the page that ends them; it resyncs on the next "OggS" after garbage and skips a
// page whose CRC is wrong (counted), so a bad byte never stops the stream. Writer: one packet per page.

const CAPTURE = Buffer.from('OggS', 'latin1');
const HEADER_SIZE = 27;
const ZERO_CRC = Buffer.alloc(4);
/** header_type flags (RFC 3533 6). */
export const OGG_CONTINUED = 0x01;
export const OGG_BOS = 0x02;
export const OGG_EOS = 0x04;

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial 0, no final xor (RFC 3533 6). */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

export function oggCrc(data: Uint8Array, crc = 0): number {
  for (let i = 0; i < data.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ data[i]!) & 0xff]!) >>> 0;
  return crc;
}

export interface OggPacket {
  /** The packet bytes (its own buffer when it spans pages or segments are copied; else a view of the page). */
  readonly data: Buffer;
  /** Granule position of the page where the packet ends (-1: none ends there, RFC 3533 6). */
  readonly granule: bigint;
  readonly serial: number;
  /** First packet of its logical stream (BOS page). */
  readonly bos: boolean;
}

export class OggPacketReader {
  /** Pages dropped for a wrong CRC, and bytes skipped to find a capture pattern. */
  readonly errors = { badCrc: 0, skippedBytes: 0 };
  private pending: Buffer = Buffer.alloc(0);
  private partial: Buffer[] = [];

  /** Adds bytes; returns the packets they complete. */
  push(chunk: Buffer): OggPacket[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: OggPacket[] = [];
    let p = 0;
    const b = this.pending;
    while (b.length - p >= HEADER_SIZE) {
      if (b.readUInt32BE(p) !== 0x4f676753) {
        const next = b.indexOf(CAPTURE, p + 1);
        const to = next < 0 ? b.length - 3 : next;
        this.errors.skippedBytes += to - p;
        this.partial = [];
        p = to;
        continue;
      }
      const segments = b[p + 26]!;
      if (b.length - p < HEADER_SIZE + segments) break;
      let bodySize = 0;
      for (let i = 0; i < segments; i++) bodySize += b[p + HEADER_SIZE + i]!;
      const pageSize = HEADER_SIZE + segments + bodySize;
      if (b.length - p < pageSize) break;
      const page = b.subarray(p, p + pageSize);
      // The CRC covers the page with its own field zeroed.
      const crc = oggCrc(page.subarray(26), oggCrc(ZERO_CRC, oggCrc(page.subarray(0, 22))));
      if (crc !== page.readUInt32LE(22)) {
        this.errors.badCrc++;
        this.partial = [];
        p += 4; // resync from inside this page: its length may be garbage too
        continue;
      }
      this.readPage(page, segments, out);
      p += pageSize;
    }
    this.pending = p === b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(p));
    return out;
  }

  private readPage(page: Buffer, segments: number, out: OggPacket[]): void {
    const flags = page[5]!;
    const granule = page.readBigInt64LE(6);
    const serial = page.readUInt32LE(14);
    if ((flags & OGG_CONTINUED) === 0) this.partial = [];
    let start = HEADER_SIZE + segments;
    let pos = start;
    let lastEnd = -1; // the lacing value that ends the page's last packet: it gets the granule
    for (let i = 0; i < segments; i++) if (page[HEADER_SIZE + i]! < 255) lastEnd = i;
    for (let i = 0; i < segments; i++) {
      const lace = page[HEADER_SIZE + i]!;
      pos += lace;
      if (lace === 255) continue;
      const piece = page.subarray(start, pos);
      // Copies: the page lives in `pending`, which the next push replaces.
      const data = this.partial.length === 0 ? Buffer.from(piece) : Buffer.concat([...this.partial, piece]);
      this.partial = [];
      out.push({ data, granule: i === lastEnd ? granule : -1n, serial, bos: (flags & OGG_BOS) !== 0 && out.length === 0 });
      start = pos;
    }
    if (start < pos) this.partial.push(Buffer.from(page.subarray(start, pos)));
  }
}

/** Writes one logical stream, one packet per page (packets up to 65025 bytes). */
export class OggPageWriter {
  private sequence = 0;

  constructor(private readonly serial: number) {}

  page(packet: Buffer, granule: bigint, flags = 0): Buffer {
    const full = Math.floor(packet.length / 255);
    const segments = full + 1;
    if (segments > 255) throw new RangeError(`Ogg packet of ${packet.length} bytes needs more than one page`);
    const b = Buffer.alloc(HEADER_SIZE + segments + packet.length);
    CAPTURE.copy(b, 0);
    b[4] = 0;
    b[5] = flags | (this.sequence === 0 ? OGG_BOS : 0);
    b.writeBigInt64LE(granule, 6);
    b.writeUInt32LE(this.serial >>> 0, 14);
    b.writeUInt32LE(this.sequence++, 18);
    b[26] = segments;
    b.fill(255, HEADER_SIZE, HEADER_SIZE + full);
    b[HEADER_SIZE + full] = packet.length % 255;
    packet.copy(b, HEADER_SIZE + segments);
    b.writeUInt32LE(oggCrc(b), 22);
    return b;
  }
}

/** The OpusTags comment header (RFC 7845 5.2) with a vendor string and no comments. */
export function encodeOpusTags(vendor = 'tsrs'): Buffer {
  const v = Buffer.from(vendor, 'utf8');
  const b = Buffer.alloc(8 + 4 + v.length + 4);
  b.write('OpusTags', 0, 'latin1');
  b.writeUInt32LE(v.length, 8);
  v.copy(b, 12);
  b.writeUInt32LE(0, 12 + v.length);
  return b;
}
