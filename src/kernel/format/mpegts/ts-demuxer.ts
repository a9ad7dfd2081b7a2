// MPEG-TS → MediaFrame (ISO/IEC 13818-1), for SRT/UDP-TS/HTTP-TS ingest. Behaviour follows SRS's
// SrsTsContext::decode and SrsMpegtsOverUdp::on_ts_video/on_ts_audio: the first program's first video
// (H.264/H.265) and first audio (AAC/MP3) elementary streams become FLV-bodied frames, the same form RTMP
// ingest produces; SPS/PPS(/VPS) seen in-band become a synthesized sequence header whenever they change,
// and pictures before the first one are dropped.
//
// Push-fed and pure: push(bytes) returns the finished frames and keeps the remainder. Garbage is skipped
// (resync on the 0x47 sync byte, CRC-checked tables, continuity-checked PES); it never throws.

import { type MediaFrame, audioFrameFromFlv, videoFrameFromFlv } from '../../media-frame.js';
import { Mpegts33Unwrapper } from '../../timestamp.js';
import { AAC_SAMPLE_RATES, splitAdts } from '../../codec/aac.js';
import { crc32Mpeg2 } from './crc32-mpeg2.js';
import {
  H264_NAL_PPS,
  H264_NAL_SPS,
  H265_NAL_PPS,
  H265_NAL_SPS,
  H265_NAL_VPS,
  type NaluCodec,
  buildAvcConfig,
  buildHevcConfig,
  isAud,
  isRandomAccess,
  naluType,
  splitAnnexB,
} from '../../codec/nal-unit.js';
import { TS_CLOCK_WRAP, TS_PACKET_SIZE, TS_PID_NULL, TS_PID_PAT, TS_SYNC_BYTE, TsStreamType } from './ts-constants.js';

/** Frames from TS keep the 90 kHz PES clock as their ticks (issue 12: no ms rounding for TS/HLS/RTP outputs). */
const TS_CLOCK = 90000;

export type TsElementaryCodec = 'h264' | 'h265' | 'aac' | 'mp3';

export interface TsDemuxerStats {
  /** Transport packets parsed. */
  packets: number;
  /** Times the 0x47 sync byte was lost and searched for again. */
  resyncs: number;
  /** Continuity counter jumps on an elementary stream PID. */
  discontinuities: number;
  /** PES packets dropped: cut by packet loss, malformed header, or over the size limit. */
  droppedPes: number;
  /** PSI sections whose CRC_32 did not match. */
  crcErrors: number;
}

/** Largest PES we reassemble; an unbounded video PES with no end in sight is dropped past this. */
const MAX_PES_BYTES = 16 * 1024 * 1024;
/** §2.4.4.11: PAT/PMT section_length is at most 1021, so a whole section is at most 1024 bytes. */
const MAX_SECTION_BYTES = 1024;

interface SectionAssembler {
  buf: Buffer;
  len: number;
}

interface ElementaryStream {
  readonly pid: number;
  readonly codec: TsElementaryCodec;
  /** Last continuity_counter seen, -1 before the first packet. */
  cc: number;
  /** A PES is being assembled (its first packet was seen and nothing was lost since). */
  active: boolean;
  buf: Buffer;
  size: number;
  /** Whole PES size from PES_packet_length: 0 while unknown, -1 for unbounded (length 0). */
  expected: number;
  lastPts33: number;
  lastDts33: number;
}

const PES_STREAM_IDS_WITHOUT_HEADER = new Set([0xbc, 0xbe, 0xbf, 0xf0, 0xf1, 0xf2, 0xf8, 0xff]);

function codecOfStreamType(streamType: number): TsElementaryCodec | null {
  switch (streamType) {
    case TsStreamType.h264:
      return 'h264';
    case TsStreamType.h265:
      return 'h265';
    case TsStreamType.aacAdts:
      return 'aac';
    case TsStreamType.mpeg1Audio:
    case TsStreamType.mpeg2Audio:
      return 'mp3';
    default:
      return null;
  }
}

/** Read a 5-byte PTS/DTS field (§2.4.3.7) as a 33-bit number. */
export function readPesTimestamp(b: Uint8Array, off: number): number {
  const hi = (b[off]! >> 1) & 0x07;
  const mid = (b[off + 1]! << 7) | (b[off + 2]! >> 1);
  const low = (b[off + 3]! << 7) | (b[off + 4]! >> 1);
  return hi * 2 ** 30 + mid * 2 ** 15 + low;
}

/** Signed difference of two 33-bit clock values, taking the shorter way round the wrap. */
function clockDiff(a33: number, b33: number): number {
  let d = (a33 - b33) % TS_CLOCK_WRAP;
  if (d < 0) d += TS_CLOCK_WRAP;
  return d >= TS_CLOCK_WRAP / 2 ? d - TS_CLOCK_WRAP : d;
}

export class TsDemuxer {
  readonly stats: TsDemuxerStats = { packets: 0, resyncs: 0, discontinuities: 0, droppedPes: 0, crcErrors: 0 };
  private rem: Buffer | null = null;
  private pmtPid = -1;
  private readonly sections = new Map<number, SectionAssembler>();
  private video: ElementaryStream | null = null;
  private audio: ElementaryStream | null = null;
  private readonly clock = new Mpegts33Unwrapper();
  // In-band parameter sets (copies), and the decoder configuration record last sent downstream.
  private vps: Buffer | null = null;
  private sps: Buffer | null = null;
  private pps: Buffer | null = null;
  private parameterSetsChanged = false;
  private sentVideoConfig: Buffer | null = null;
  /** AudioSpecificConfig last sent, as its 2 bytes in one number (-1: none yet). */
  private sentAsc = -1;

  /** The elementary streams selected from the PMT. */
  get streams(): { video: TsElementaryCodec | null; audio: TsElementaryCodec | null } {
    return { video: this.video?.codec ?? null, audio: this.audio?.codec ?? null };
  }

  /** Feed bytes (any split); returns the frames completed by them. The bytes are not retained. */
  push(bytes: Uint8Array): MediaFrame[] {
    const out: MediaFrame[] = [];
    let data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    if (this.rem !== null) {
      const rem = this.rem;
      const need = TS_PACKET_SIZE - rem.length;
      if (data.length < need) {
        this.rem = Buffer.concat([rem, data]);
        return out;
      }
      this.rem = null;
      if (data.length === need || data[need] === TS_SYNC_BYTE) {
        this.packet(Buffer.concat([rem, data.subarray(0, need)]), 0, out);
        pos = need;
      } else {
        // The kept tail did not start a packet after all (garbage before a packet boundary): search
        // again through it and the new bytes together. Rare, so the copy does not matter.
        data = Buffer.concat([rem, data]);
      }
    }
    while (pos < data.length) {
      if (data[pos] !== TS_SYNC_BYTE) {
        this.stats.resyncs++;
        pos = this.findSync(data, pos + 1);
        continue;
      }
      const next = pos + TS_PACKET_SIZE;
      if (next < data.length && data[next] !== TS_SYNC_BYTE) {
        // Either garbage follows a good packet, or this 0x47 is itself garbage: it is garbage when a
        // confirmed packet start lies inside it.
        const alt = this.findSync(data, pos + 1);
        if (alt < next) {
          this.stats.resyncs++;
          pos = alt;
          continue;
        }
      }
      if (next > data.length) {
        this.rem = Buffer.from(data.subarray(pos));
        break;
      }
      this.packet(data, pos, out);
      pos = next;
    }
    return out;
  }

  /** End of input: emit PES still open (video PES with PES_packet_length 0 end only at the next one). */
  flush(): MediaFrame[] {
    const out: MediaFrame[] = [];
    for (const st of [this.video, this.audio]) {
      if (st !== null && st.active) this.finishPes(st, out);
    }
    this.rem = null;
    return out;
  }

  /** Next position of a sync byte that is followed by another one 188 bytes later (when visible). */
  private findSync(data: Buffer, from: number): number {
    let p = from;
    for (;;) {
      p = data.indexOf(TS_SYNC_BYTE, p);
      if (p < 0) return data.length;
      const next = p + TS_PACKET_SIZE;
      if (next >= data.length || data[next] === TS_SYNC_BYTE) return p;
      p++;
    }
  }

  private packet(buf: Buffer, off: number, out: MediaFrame[]): void {
    this.stats.packets++;
    const b1 = buf[off + 1]!;
    const b3 = buf[off + 3]!;
    if (b1 & 0x80) return; // transport_error_indicator
    const pusi = (b1 & 0x40) !== 0;
    const pid = ((b1 & 0x1f) << 8) | buf[off + 2]!;
    const afc = (b3 >> 4) & 0x03;
    if (pid === TS_PID_NULL || afc === 0 || (b3 & 0xc0) !== 0) return; // null, reserved, scrambled
    const end = off + TS_PACKET_SIZE;
    let p = off + 4;
    let discontinuity = false;
    if (afc & 0x02) {
      const afLength = buf[p]!;
      if (afLength > 183) return;
      if (afLength > 0) discontinuity = (buf[p + 1]! & 0x80) !== 0;
      p += 1 + afLength;
      if ((afc & 0x01) === 0) return; // adaptation field only
    }
    const payload = buf.subarray(p, end);
    if (pid === TS_PID_PAT || pid === this.pmtPid) {
      this.onPsi(pid, pusi, payload);
    } else if (this.video !== null && pid === this.video.pid) {
      this.onPes(this.video, pusi, b3 & 0x0f, discontinuity, payload, out);
    } else if (this.audio !== null && pid === this.audio.pid) {
      this.onPes(this.audio, pusi, b3 & 0x0f, discontinuity, payload, out);
    }
  }

  // ---- PSI (§2.4.4): sections may start mid-packet (pointer_field) and span packets.

  private onPsi(pid: number, pusi: boolean, payload: Buffer): void {
    let asm = this.sections.get(pid);
    if (pusi) {
      if (payload.length === 0) return;
      const pointer = payload[0]!;
      if (1 + pointer > payload.length) {
        this.sections.delete(pid);
        return;
      }
      if (asm !== undefined && asm.len > 0) this.appendSection(pid, asm, payload.subarray(1, 1 + pointer));
      if (asm === undefined) {
        asm = { buf: Buffer.allocUnsafe(MAX_SECTION_BYTES), len: 0 };
        this.sections.set(pid, asm);
      }
      asm.len = 0;
      this.appendSection(pid, asm, payload.subarray(1 + pointer));
    } else if (asm !== undefined && asm.len > 0) {
      this.appendSection(pid, asm, payload);
    }
  }

  private appendSection(pid: number, asm: SectionAssembler, data: Buffer): void {
    let d = data;
    while (d.length > 0) {
      if (asm.len === 0 && d[0] === 0xff) return; // stuffing after the last section
      const take = Math.min(d.length, MAX_SECTION_BYTES - asm.len);
      d.copy(asm.buf, asm.len, 0, take);
      asm.len += take;
      d = d.subarray(take);
      while (asm.len >= 3) {
        const total = 3 + (((asm.buf[1]! & 0x0f) << 8) | asm.buf[2]!);
        if (total > MAX_SECTION_BYTES) {
          asm.len = 0;
          return;
        }
        if (asm.len < total) break;
        this.onSection(pid, asm.buf.subarray(0, total));
        asm.buf.copy(asm.buf, 0, total, asm.len);
        asm.len -= total;
        if (asm.len > 0 && asm.buf[0] === 0xff) asm.len = 0;
      }
      if (asm.len === 0 && d.length > 0 && d[0] === 0xff) return;
    }
  }

  private onSection(pid: number, sec: Buffer): void {
    // section_syntax_indicator set, long-form header, CRC_32 over the whole section (Annex A).
    if (sec.length < 16 || (sec[1]! & 0x80) === 0) return;
    if (crc32Mpeg2(sec) !== 0) {
      this.stats.crcErrors++;
      return;
    }
    if ((sec[5]! & 0x01) === 0) return; // current_next_indicator: not yet applicable
    const tableId = sec[0]!;
    const end = sec.length - 4;
    if (pid === TS_PID_PAT && tableId === 0x00) {
      // The first program (program_number 0 is the network PID) — SRS demuxes single-program streams.
      for (let p = 8; p + 4 <= end; p += 4) {
        const program = sec.readUInt16BE(p);
        const pmtPid = sec.readUInt16BE(p + 2) & 0x1fff;
        if (program === 0 || pmtPid === TS_PID_PAT || pmtPid === TS_PID_NULL) continue;
        if (pmtPid !== this.pmtPid) {
          this.sections.delete(this.pmtPid);
          this.pmtPid = pmtPid;
        }
        return;
      }
    } else if (pid === this.pmtPid && tableId === 0x02) {
      const programInfoLength = sec.readUInt16BE(10) & 0x0fff;
      let video: [number, TsElementaryCodec] | null = null;
      let audio: [number, TsElementaryCodec] | null = null;
      for (let p = 12 + programInfoLength; p + 5 <= end; ) {
        const codec = codecOfStreamType(sec[p]!);
        const esPid = sec.readUInt16BE(p + 1) & 0x1fff;
        p += 5 + (sec.readUInt16BE(p + 3) & 0x0fff);
        if (codec === null || esPid === TS_PID_PAT || esPid === TS_PID_NULL || esPid === this.pmtPid) continue;
        if (codec === 'h264' || codec === 'h265') video ??= [esPid, codec];
        else audio ??= [esPid, codec];
      }
      if (audio !== null && video !== null && audio[0] === video[0]) audio = null;
      this.video = this.selectStream(this.video, video);
      this.audio = this.selectStream(this.audio, audio);
    }
  }

  private selectStream(cur: ElementaryStream | null, sel: [number, TsElementaryCodec] | null): ElementaryStream | null {
    if (sel === null) return null;
    const [pid, codec] = sel;
    if (cur !== null && cur.pid === pid && cur.codec === codec) return cur;
    if (codec === 'h264' || codec === 'h265') {
      // New video codec: old parameter sets mean nothing any more.
      this.vps = this.sps = this.pps = this.sentVideoConfig = null;
      this.parameterSetsChanged = false;
    } else {
      this.sentAsc = -1;
    }
    return {
      pid,
      codec,
      cc: -1,
      active: false,
      buf: Buffer.allocUnsafe(codec === 'h264' || codec === 'h265' ? 64 * 1024 : 4096),
      size: 0,
      expected: 0,
      lastPts33: -1,
      lastDts33: -1,
    };
  }

  // ---- PES (§2.4.3.6)

  private onPes(st: ElementaryStream, pusi: boolean, cc: number, discontinuity: boolean, payload: Buffer, out: MediaFrame[]): void {
    if (st.cc >= 0 && !discontinuity) {
      if (cc === st.cc) return; // a duplicate packet (§2.4.3.3): same bytes again
      if (cc !== ((st.cc + 1) & 0x0f)) {
        this.stats.discontinuities++;
        if (st.active) {
          st.active = false;
          this.stats.droppedPes++;
        }
      }
    }
    st.cc = cc;
    if (pusi) {
      if (st.active) this.finishPes(st, out);
      st.active = true;
      st.size = 0;
      st.expected = 0;
    } else if (!st.active) {
      return;
    }
    if (st.size + payload.length > MAX_PES_BYTES) {
      st.active = false;
      this.stats.droppedPes++;
      return;
    }
    if (st.size + payload.length > st.buf.length) {
      let cap = st.buf.length * 2;
      while (cap < st.size + payload.length) cap *= 2;
      const grown = Buffer.allocUnsafe(cap);
      st.buf.copy(grown, 0, 0, st.size);
      st.buf = grown;
    }
    payload.copy(st.buf, st.size);
    st.size += payload.length;
    if (st.expected === 0 && st.size >= 6) {
      if (st.buf[0] !== 0 || st.buf[1] !== 0 || st.buf[2] !== 1) {
        st.active = false;
        this.stats.droppedPes++;
        return;
      }
      const length = st.buf.readUInt16BE(4);
      st.expected = length === 0 ? -1 : 6 + length;
    }
    if (st.expected > 0 && st.size >= st.expected) this.finishPes(st, out);
  }

  private finishPes(st: ElementaryStream, out: MediaFrame[]): void {
    st.active = false;
    const size = st.expected > 0 ? st.expected : st.size;
    if (st.expected === 0 || st.size < size || size < 9) {
      this.stats.droppedPes++; // cut short by loss we could not see in the continuity counters
      return;
    }
    const pes = st.buf.subarray(0, size);
    if (PES_STREAM_IDS_WITHOUT_HEADER.has(pes[3]!)) return;
    const ptsDtsFlags = pes[7]! >> 6;
    const headerDataLength = pes[8]!;
    const esStart = 9 + headerDataLength;
    if ((pes[6]! & 0xc0) !== 0x80 || esStart > size || ptsDtsFlags === 1) {
      this.stats.droppedPes++;
      return;
    }
    let pts33 = st.lastPts33;
    let dts33 = st.lastDts33;
    if (ptsDtsFlags & 0x02) {
      if (headerDataLength < (ptsDtsFlags === 3 ? 10 : 5)) {
        this.stats.droppedPes++;
        return;
      }
      pts33 = readPesTimestamp(pes, 9);
      dts33 = ptsDtsFlags === 3 ? readPesTimestamp(pes, 14) : pts33;
    }
    if (pts33 < 0) return; // no timestamp yet on this stream
    st.lastPts33 = pts33;
    st.lastDts33 = dts33;
    const dtsTicks = this.clock.unwrap(dts33);
    const ptsTicks = dtsTicks + clockDiff(pts33, dts33);
    const es = pes.subarray(esStart);
    if (st.codec === 'h264' || st.codec === 'h265') this.onVideo(st.codec, es, dtsTicks, ptsTicks, out);
    else if (st.codec === 'aac') this.onAac(es, ptsTicks, out);
    else this.onMp3(es, ptsTicks, out);
  }

  // ---- Elementary streams → FLV tag bodies

  private onVideo(codec: NaluCodec, es: Buffer, dtsTicks: number, ptsTicks: number, out: MediaFrame[]): void {
    const keep: Buffer[] = [];
    let size = 0;
    let keyframe = false;
    for (const nalu of splitAnnexB(es)) {
      const type = naluType(codec, nalu[0]!);
      if (isAud(codec, type)) continue;
      if (codec === 'h264') {
        if (type === H264_NAL_SPS) this.sps = this.keepParameterSet(this.sps, nalu);
        else if (type === H264_NAL_PPS) this.pps = this.keepParameterSet(this.pps, nalu);
        if (type === H264_NAL_SPS || type === H264_NAL_PPS || (type >= 10 && type <= 12)) continue; // + EOS, EOB, filler
      } else {
        if (type === H265_NAL_VPS) this.vps = this.keepParameterSet(this.vps, nalu);
        else if (type === H265_NAL_SPS) this.sps = this.keepParameterSet(this.sps, nalu);
        else if (type === H265_NAL_PPS) this.pps = this.keepParameterSet(this.pps, nalu);
        if ((type >= H265_NAL_VPS && type <= H265_NAL_PPS) || (type >= 36 && type <= 38)) continue; // + EOS, EOB, FD
      }
      if (isRandomAccess(codec, type)) keyframe = true;
      keep.push(nalu);
      size += 4 + nalu.length;
    }
    const dtsMs = Math.floor(dtsTicks / 90);
    const codecId = codec === 'h264' ? 7 : 12;
    if (this.parameterSetsChanged && this.sps !== null && this.pps !== null && (codec === 'h264' || this.vps !== null)) {
      this.parameterSetsChanged = false;
      const rec = codec === 'h264' ? buildAvcConfig(this.sps, this.pps) : buildHevcConfig(this.vps!, this.sps, this.pps);
      if (this.sentVideoConfig === null || !this.sentVideoConfig.equals(rec)) {
        this.sentVideoConfig = rec;
        const body = Buffer.allocUnsafe(5 + rec.length);
        body[0] = 0x10 | codecId; // keyframe
        body[1] = 0; // AVC sequence header
        body.writeUIntBE(0, 2, 3);
        rec.copy(body, 5);
        out.push(videoFrameFromFlv(body, dtsMs, TS_CLOCK, dtsTicks, dtsTicks)!);
      }
    }
    // Pictures before the first sequence header cannot be decoded downstream (SRS drops them too).
    if (this.sentVideoConfig === null || keep.length === 0) return;
    const cts = Math.max(-0x800000, Math.min(0x7fffff, Math.floor(ptsTicks / 90) - dtsMs));
    const body = Buffer.allocUnsafe(5 + size);
    body[0] = (keyframe ? 0x10 : 0x20) | codecId;
    body[1] = 1; // NALUs
    body.writeIntBE(cts, 2, 3);
    let p = 5;
    for (const nalu of keep) {
      body.writeUInt32BE(nalu.length, p);
      nalu.copy(body, p + 4);
      p += 4 + nalu.length;
    }
    out.push(videoFrameFromFlv(body, dtsMs, TS_CLOCK, dtsTicks, ptsTicks)!);
  }

  /** Keep a copy of a parameter set (the NALU is a view into a reused buffer); flag real changes. */
  private keepParameterSet(cur: Buffer | null, nalu: Buffer): Buffer {
    if (cur !== null && cur.equals(nalu)) return cur;
    this.parameterSetsChanged = true;
    return Buffer.from(nalu);
  }

  private onAac(es: Buffer, ptsTicks: number, out: MediaFrame[]): void {
    const frames = splitAdts(es);
    for (let k = 0; k < frames.length; k++) {
      const f = frames[k]!;
      // Several ADTS frames in one PES share its PTS; each AAC frame is 1024 samples later.
      const rate = AAC_SAMPLE_RATES[f.sampleRateIndex]!;
      const frameTicks = ptsTicks + Math.round((k * 1024 * 90000) / rate);
      const dtsMs = Math.floor(frameTicks / 90);
      const objectType = f.profile + 1;
      const asc = (objectType << 11) | (f.sampleRateIndex << 7) | ((f.channelConfiguration & 0x0f) << 3);
      if (asc !== this.sentAsc) {
        this.sentAsc = asc;
        const sh = Buffer.allocUnsafe(4);
        sh[0] = 0xaf; // AAC; FLV spec: rate 44 kHz, 16-bit, stereo flags regardless of the real values
        sh[1] = 0; // AAC sequence header
        sh.writeUInt16BE(asc, 2);
        out.push(audioFrameFromFlv(sh, dtsMs, TS_CLOCK, frameTicks)!);
      }
      const body = Buffer.allocUnsafe(2 + f.raw.length);
      body[0] = 0xaf;
      body[1] = 1; // raw AAC frame
      f.raw.copy(body, 2);
      out.push(audioFrameFromFlv(body, dtsMs, TS_CLOCK, frameTicks)!);
    }
  }

  private onMp3(es: Buffer, ptsTicks: number, out: MediaFrame[]): void {
    if (es.length === 0) return;
    // FLV SoundRate/SoundType from the first MPEG audio frame header (ISO/IEC 11172-3 §2.4.1.3).
    let rate = 3;
    let stereo = 1;
    if (es.length >= 4 && es[0] === 0xff && (es[1]! & 0xe0) === 0xe0) {
      const version = (es[1]! >> 3) & 0x03; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
      rate = version === 3 ? 3 : version === 2 ? 2 : 1;
      stereo = es[3]! >> 6 === 3 ? 0 : 1;
    }
    const body = Buffer.allocUnsafe(1 + es.length);
    body[0] = (2 << 4) | (rate << 2) | (1 << 1) | stereo;
    es.copy(body, 1);
    out.push(audioFrameFromFlv(body, Math.floor(ptsTicks / 90), TS_CLOCK, ptsTicks)!);
  }
}
