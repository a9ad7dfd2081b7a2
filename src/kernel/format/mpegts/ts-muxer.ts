// MediaFrame → MPEG-TS (ISO/IEC 13818-1), the HLS/HTTP-TS/SRT output encoding. Behaviour follows SRS's
// srs_kernel_ts.cpp (SrsTsContext::encode, SrsTsMessageCache::do_cache_avc/aac): fixed PIDs, AUD before
// each access unit, parameter sets before IDR, raw AAC wrapped in ADTS, PCR equal to DTS.
//
// Runs once per frame per stream, so each frame becomes exactly one Buffer allocation: the Annex-B/ADTS
// conversion is not materialized, its pieces are copied straight into the 188-byte packets.
// It reads the frame's codec view (issue 12): NALU views split once per frame for every output, the
// configuration record and AudioSpecificConfig parsed once per sequence-header frame, and timestamps from
// the ingest clock (ticks) rather than from milliseconds. It never reads the FLV tag header.

import { ADTS_MAX_RAW, adtsHeader, type AudioSpecificConfig } from '../../codec/aac.js';
import { type NaluCodec, isAud, isParameterSet, isRandomAccess, isVcl, naluType } from '../../codec/nal-unit.js';
import { ticksIn, type AudioFrame, type MediaFrame, type VideoFrame } from '../../media-frame.js';
import { crc32Mpeg2 } from './crc32-mpeg2.js';
import {
  PES_STREAM_ID_AUDIO,
  PES_STREAM_ID_VIDEO,
  TS_CLOCK_WRAP,
  TS_PACKET_SIZE,
  TS_PAYLOAD_SIZE,
  TS_PID_AUDIO,
  TS_PID_PAT,
  TS_PID_PMT,
  TS_PID_VIDEO,
  TS_PROGRAM_NUMBER,
  TS_SYNC_BYTE,
  TS_TICKS_PER_MS,
  TS_TRANSPORT_STREAM_ID,
  TsStreamType,
} from './ts-constants.js';

export type TsVideoCodec = 'h264' | 'h265' | 'none';
export type TsAudioCodec = 'aac' | 'mp3' | 'none';

export interface TsMuxerOptions {
  /**
   * Video track announced in the PMT before (or without) video frames, like SRS's `hls_vcodec`
   * (default 'h264'). 'none' drops video frames and makes the audio PID carry the PCR (pure audio).
   * A frame of the other video codec switches the track and re-sends PAT/PMT with a new version.
   */
  videoCodec?: TsVideoCodec;
  /** Audio track, like SRS's `hls_acodec` (default 'aac'); 'none' drops audio frames. */
  audioCodec?: TsAudioCodec;
}

const EMPTY = Buffer.alloc(0);
const START_CODE_4 = Buffer.from([0, 0, 0, 1]);
const START_CODE_3 = Buffer.from([0, 0, 1]);
/** H.264 AUD (§7.3.2.4): nal_unit_type 9, primary_pic_type 7 (any slice type), rbsp stop bit. */
const AUD_H264 = Buffer.from([0x09, 0xf0]);
/** H.265 AUD (§7.3.2.5): nal_unit_type 35, nuh_temporal_id_plus1 1, pic_type 2 (I/P/B), stop bit. */
const AUD_H265 = Buffer.from([0x46, 0x01, 0x50]);

/** Milliseconds → 33-bit 90 kHz clock value (wraps at 2^33, negative times wrap from the top). */
export function msTo90k(ms: number): number {
  const v = Math.round(ms * TS_TICKS_PER_MS) % TS_CLOCK_WRAP;
  return v < 0 ? v + TS_CLOCK_WRAP : v;
}

/** A frame time in its ingest clock → 33-bit 90 kHz clock value (exact for 1 kHz and 90 kHz clocks). */
export function ticksTo90k(ticks: number, timescale: number): number {
  const v = ticksIn(ticks, timescale, 90000) % TS_CLOCK_WRAP;
  return v < 0 ? v + TS_CLOCK_WRAP : v;
}

/** Decoder configuration the muxer keeps from the last sequence header. */
interface VideoConfig {
  readonly lengthSize: 1 | 2 | 4;
  readonly parameterSets: readonly Buffer[];
}

/** Write a 5-byte PTS or DTS field (§2.4.3.7): 4-bit prefix, 33-bit value split 3/15/15 with marker bits. */
export function writePesTimestamp(buf: Uint8Array, off: number, prefix: number, ts90k: number): void {
  const hi = Math.floor(ts90k / 2 ** 30) & 0x07;
  const lo = ts90k % 2 ** 30;
  const mid = (lo >>> 15) & 0x7fff;
  const low = lo & 0x7fff;
  buf[off] = (prefix << 4) | (hi << 1) | 1;
  buf[off + 1] = mid >>> 7;
  buf[off + 2] = ((mid & 0x7f) << 1) | 1;
  buf[off + 3] = low >>> 7;
  buf[off + 4] = ((low & 0x7f) << 1) | 1;
}

/** Write a 6-byte PCR (§2.4.3.5): 33-bit base, 6 reserved bits, 9-bit extension (always 0 here). */
function writePcr(buf: Uint8Array, off: number, base90k: number): void {
  const rest = base90k % 2 ** 25;
  buf[off] = Math.floor(base90k / 2 ** 25) & 0xff;
  buf[off + 1] = (rest >>> 17) & 0xff;
  buf[off + 2] = (rest >>> 9) & 0xff;
  buf[off + 3] = (rest >>> 1) & 0xff;
  buf[off + 4] = ((rest & 1) << 7) | 0x7e;
  buf[off + 5] = 0;
}

/** A PES about to be packetized: its payload is a list of pieces copied in order. */
interface PendingPes {
  pid: number;
  streamId: number;
  pts90k: number;
  /** -1 when DTS equals PTS (no DTS field, as SRS and ffmpeg do). */
  dts90k: number;
  pieces: Buffer[];
  size: number;
  randomAccess: boolean;
}

export class TsMuxer {
  private videoCodec: TsVideoCodec;
  private audioCodec: TsAudioCodec;
  private videoConfig: VideoConfig | null = null;
  private aacConfig: AudioSpecificConfig | null = null;
  /** Scratch for the one ADTS header of the frame being muxed; copied out before mux() returns. */
  private readonly adtsHeader = Buffer.allocUnsafe(7);
  private ccPat = 0;
  private ccPmt = 0;
  private ccVideo = 0;
  private ccAudio = 0;
  private pmtVersion = 0;
  private tablesSent = false;
  private tablesDue = true;
  private patSection: Buffer;
  private pmtSection: Buffer;
  /** Frames dropped because their payload or sequence header could not be parsed. */
  malformedFrames = 0;

  constructor(opts: TsMuxerOptions = {}) {
    this.videoCodec = opts.videoCodec ?? 'h264';
    this.audioCodec = opts.audioCodec ?? 'aac';
    this.patSection = buildPatSection();
    this.pmtSection = this.buildPmtSection();
  }

  /** Feed a frame; sequence headers are remembered (not output). Returns TS bytes for this frame (may be empty). */
  mux(frame: MediaFrame): Buffer {
    let pes: PendingPes | null = null;
    let videoKeyframe = false;
    if (frame.kind === 'video') {
      pes = this.prepareVideo(frame);
      videoKeyframe = pes !== null && pes.randomAccess;
    } else if (frame.kind === 'audio') {
      pes = this.prepareAudio(frame);
    }
    if (pes === null) return EMPTY;
    const withTables = this.tablesDue || videoKeyframe;
    const pcr = pes.pid === this.pcrPid();
    const out = Buffer.allocUnsafe((withTables ? 2 * TS_PACKET_SIZE : 0) + pesPacketCount(pes, pcr) * TS_PACKET_SIZE);
    let off = 0;
    if (withTables) off = this.writeTables(out, 0);
    this.writePes(out, off, pes, pcr);
    return out;
  }

  /** mux() and push the result onto `out` if non-empty; returns the number of bytes added. */
  muxInto(frame: MediaFrame, out: Buffer[]): number {
    const b = this.mux(frame);
    if (b.length > 0) out.push(b);
    return b.length;
  }

  /** PAT+PMT, to start a new segment/HTTP-TS stream (also emitted automatically before the first frame and at each keyframe). */
  tables(): Buffer {
    const out = Buffer.allocUnsafe(2 * TS_PACKET_SIZE);
    this.writeTables(out, 0);
    return out;
  }

  /** Restart every continuity_counter at 0 (a new file whose first packets need not continue the last). */
  resetContinuity(): void {
    this.ccPat = this.ccPmt = this.ccVideo = this.ccAudio = 0;
  }

  /** The codecs the PMT currently announces. */
  get codecs(): { video: TsVideoCodec; audio: TsAudioCodec } {
    return { video: this.videoCodec, audio: this.audioCodec };
  }

  private pcrPid(): number {
    return this.videoCodec !== 'none' ? TS_PID_VIDEO : TS_PID_AUDIO;
  }

  /** Codec switch (e.g. H.264 → H.265 on republish): new PMT version, tables before the next frame. */
  private codecChanged(): void {
    if (this.tablesSent) this.pmtVersion = (this.pmtVersion + 1) & 0x1f;
    this.pmtSection = this.buildPmtSection();
    this.tablesDue = true;
  }

  private prepareVideo(frame: VideoFrame): PendingPes | null {
    if (this.videoCodec === 'none') return null;
    if (frame.codec !== 'h264' && frame.codec !== 'h265') return null;
    const codec: NaluCodec = frame.codec;
    const view = frame.view;
    if (view.packet !== 'config' && view.packet !== 'coded') return null; // end of sequence, metadata
    if (codec !== this.videoCodec) {
      this.videoCodec = codec;
      this.videoConfig = null;
      this.codecChanged();
    }
    if (view.packet === 'config') {
      const track = view.track()!;
      // An unreadable SPS still leaves usable parameter sets (decoders parse them, not our summary).
      if (track.error !== null && track.parameterSets.length === 0) this.malformedFrames++;
      else this.videoConfig = { lengthSize: track.naluLengthSize, parameterSets: track.parameterSets };
      return null;
    }
    let nalus: readonly Buffer[];
    try {
      nalus = view.nalus(this.videoConfig?.lengthSize ?? 4);
    } catch {
      this.malformedFrames++;
      return null;
    }
    if (nalus.length === 0) return null;

    let hasAud = false;
    let hasParameterSets = false;
    let hasRandomAccess = false;
    let firstVcl = -1;
    for (let i = 0; i < nalus.length; i++) {
      const type = naluType(codec, nalus[i]![0]!);
      if (isAud(codec, type)) hasAud = true;
      else if (isParameterSet(codec, type)) hasParameterSets = true;
      else if (isVcl(codec, type)) {
        if (firstVcl < 0) firstVcl = i;
        if (isRandomAccess(codec, type)) hasRandomAccess = true;
      }
    }
    const keyframe = hasRandomAccess || frame.keyframe;
    const pieces: Buffer[] = [];
    let size = 0;
    const add = (b: Buffer): void => {
      pieces.push(b);
      size += b.length;
    };
    // One AUD opens each access unit (H.264 §7.4.1.2.3), as SRS does when the frame has none.
    if (!hasAud) {
      add(START_CODE_4);
      add(codec === 'h264' ? AUD_H264 : AUD_H265);
    }
    const sets = this.videoConfig?.parameterSets ?? [];
    const insertSets = keyframe && !hasParameterSets && sets.length > 0;
    for (let i = 0; i < nalus.length; i++) {
      const nalu = nalus[i]!;
      if (insertSets && i === firstVcl) {
        for (const ps of sets) {
          add(START_CODE_4);
          add(ps);
        }
      }
      // Annex B §B.1.2: zero_byte (4-byte start code) before parameter sets and an AU's first NALU.
      add(pieces.length === 0 || isParameterSet(codec, naluType(codec, nalu[0]!)) ? START_CODE_4 : START_CODE_3);
      add(nalu);
    }
    const pts90k = ticksTo90k(frame.ptsTicks, frame.timescale);
    const dts90k = ticksTo90k(frame.dtsTicks, frame.timescale);
    return {
      pid: TS_PID_VIDEO,
      streamId: PES_STREAM_ID_VIDEO,
      pts90k,
      dts90k: dts90k === pts90k ? -1 : dts90k,
      pieces,
      size,
      randomAccess: keyframe,
    };
  }

  private prepareAudio(frame: AudioFrame): PendingPes | null {
    if (this.audioCodec === 'none') return null;
    if (frame.codec !== 'aac' && frame.codec !== 'mp3') return null;
    if (frame.codec !== this.audioCodec) {
      this.audioCodec = frame.codec;
      this.aacConfig = null;
      this.codecChanged();
    }
    const raw = frame.view.raw;
    let pieces: Buffer[];
    if (frame.codec === 'aac') {
      if (frame.sequenceHeader) {
        const track = frame.view.track()!;
        if (track.asc === null) this.malformedFrames++;
        this.aacConfig = track.asc;
        return null;
      }
      // Without an AudioSpecificConfig there is no ADTS header to write (SRS drops these too).
      if (this.aacConfig === null || raw.length === 0) return null;
      if (raw.length > ADTS_MAX_RAW) {
        this.malformedFrames++;
        return null;
      }
      try {
        // An explicit-rate config (samplingFrequencyIndex 15) is written with the table index of its rate.
        pieces = [adtsHeader(this.aacConfig, raw.length, this.adtsHeader, 0), raw];
      } catch {
        this.malformedFrames++; // a config ADTS cannot express (object type > 4, rate outside the table)
        return null;
      }
    } else {
      if (raw.length === 0) return null;
      pieces = [raw];
    }
    let size = 0;
    for (const b of pieces) size += b.length;
    return {
      pid: TS_PID_AUDIO,
      streamId: PES_STREAM_ID_AUDIO,
      pts90k: ticksTo90k(frame.ptsTicks, frame.timescale),
      dts90k: -1,
      pieces,
      size,
      randomAccess: true,
    };
  }

  private writeTables(out: Buffer, off: number): number {
    writePsiPacket(out, off, TS_PID_PAT, this.patSection, this.ccPat);
    this.ccPat = (this.ccPat + 1) & 0x0f;
    writePsiPacket(out, off + TS_PACKET_SIZE, TS_PID_PMT, this.pmtSection, this.ccPmt);
    this.ccPmt = (this.ccPmt + 1) & 0x0f;
    this.tablesDue = false;
    this.tablesSent = true;
    return off + 2 * TS_PACKET_SIZE;
  }

  /** PMT (§2.4.4.8); like SRS, audio is listed first and video, when present, carries the PCR. */
  private buildPmtSection(): Buffer {
    const es: Array<[number, number]> = [];
    if (this.audioCodec !== 'none') {
      es.push([this.audioCodec === 'aac' ? TsStreamType.aacAdts : TsStreamType.mpeg1Audio, TS_PID_AUDIO]);
    }
    if (this.videoCodec !== 'none') {
      es.push([this.videoCodec === 'h264' ? TsStreamType.h264 : TsStreamType.h265, TS_PID_VIDEO]);
    }
    const sectionLength = 9 + 5 * es.length + 4;
    const s = Buffer.allocUnsafe(3 + sectionLength);
    s[0] = 0x02; // table_id: TS_program_map_section
    s[1] = 0xb0 | (sectionLength >> 8); // section_syntax_indicator=1, '0', reserved '11'
    s[2] = sectionLength & 0xff;
    s.writeUInt16BE(TS_PROGRAM_NUMBER, 3);
    s[5] = 0xc1 | (this.pmtVersion << 1); // reserved '11', version_number, current_next_indicator=1
    s[6] = 0; // section_number
    s[7] = 0; // last_section_number
    s.writeUInt16BE(0xe000 | this.pcrPid(), 8); // reserved '111', PCR_PID
    s.writeUInt16BE(0xf000, 10); // reserved '1111', program_info_length = 0
    let p = 12;
    for (const [streamType, pid] of es) {
      s[p] = streamType;
      s.writeUInt16BE(0xe000 | pid, p + 1); // reserved '111', elementary_PID
      s.writeUInt16BE(0xf000, p + 3); // reserved '1111', ES_info_length = 0
      p += 5;
    }
    s.writeUInt32BE(crc32Mpeg2(s, 0, p), p);
    return s;
  }

  private writePes(out: Buffer, start: number, pes: PendingPes, pcr: boolean): void {
    const hasDts = pes.dts90k >= 0;
    const headerDataLength = hasDts ? 10 : 5;
    const headerLength = 9 + headerDataLength;
    const total = headerLength + pes.size;
    // PES_packet_length counts the bytes after itself; 0 ("unbounded") is allowed only for video (§2.4.3.7).
    const pesPacketLength = total - 6 <= 0xffff ? total - 6 : 0;
    let written = 0; // PES bytes written so far, header included
    let piece = 0;
    let pieceOff = 0;
    let off = start;
    let cc = pes.pid === TS_PID_VIDEO ? this.ccVideo : this.ccAudio;
    for (let first = true; written < total; first = false) {
      const afFixed = first && pcr ? 8 : 0; // adaptation_field_length + flags + PCR
      const capacity = TS_PAYLOAD_SIZE - afFixed;
      const chunk = Math.min(total - written, capacity);
      const stuffing = capacity - chunk;
      const hasAf = afFixed > 0 || stuffing > 0;
      out[off] = TS_SYNC_BYTE;
      out[off + 1] = (first ? 0x40 : 0) | ((pes.pid >> 8) & 0x1f); // payload_unit_start_indicator on the first
      out[off + 2] = pes.pid & 0xff;
      out[off + 3] = (hasAf ? 0x30 : 0x10) | cc; // adaptation_field_control: '11' or '01'
      cc = (cc + 1) & 0x0f;
      let p = off + 4;
      if (afFixed > 0) {
        out[p] = 7 + stuffing;
        out[p + 1] = 0x10 | (pes.randomAccess ? 0x40 : 0); // PCR_flag, random_access_indicator
        writePcr(out, p + 2, pes.dts90k >= 0 ? pes.dts90k : pes.pts90k);
        p += 8;
        out.fill(0xff, p, p + stuffing);
        p += stuffing;
      } else if (stuffing > 0) {
        // §2.4.3.4: a 1-byte adaptation field is just adaptation_field_length = 0.
        out[p] = stuffing - 1;
        if (stuffing > 1) {
          out[p + 1] = 0; // no flags
          out.fill(0xff, p + 2, p + stuffing);
        }
        p += stuffing;
      }
      let need = chunk;
      if (first) {
        out[p] = 0;
        out[p + 1] = 0;
        out[p + 2] = 1; // packet_start_code_prefix
        out[p + 3] = pes.streamId;
        out.writeUInt16BE(pesPacketLength, p + 4);
        out[p + 6] = 0x80; // '10', not scrambled, no priority/alignment/copyright flags
        out[p + 7] = hasDts ? 0xc0 : 0x80; // PTS_DTS_flags
        out[p + 8] = headerDataLength;
        writePesTimestamp(out, p + 9, hasDts ? 0x3 : 0x2, pes.pts90k);
        if (hasDts) writePesTimestamp(out, p + 14, 0x1, pes.dts90k);
        p += headerLength;
        need -= headerLength;
      }
      while (need > 0) {
        const src = pes.pieces[piece]!;
        const take = Math.min(need, src.length - pieceOff);
        src.copy(out, p, pieceOff, pieceOff + take);
        p += take;
        need -= take;
        pieceOff += take;
        if (pieceOff === src.length) {
          piece++;
          pieceOff = 0;
        }
      }
      written += chunk;
      off += TS_PACKET_SIZE;
    }
    if (pes.pid === TS_PID_VIDEO) this.ccVideo = cc;
    else this.ccAudio = cc;
  }
}

/** How many 188-byte packets a PES needs (the first one may lose 8 bytes to the PCR). */
function pesPacketCount(pes: PendingPes, pcr: boolean): number {
  const total = 9 + (pes.dts90k >= 0 ? 10 : 5) + pes.size;
  const firstCapacity = TS_PAYLOAD_SIZE - (pcr ? 8 : 0);
  if (total <= firstCapacity) return 1;
  return 1 + Math.ceil((total - firstCapacity) / TS_PAYLOAD_SIZE);
}

/** PAT (§2.4.4.3) with the one program SRS writes: program 1 → PMT PID 0x1001. */
function buildPatSection(): Buffer {
  const sectionLength = 5 + 4 + 4;
  const s = Buffer.allocUnsafe(3 + sectionLength);
  s[0] = 0x00; // table_id: program_association_section
  s[1] = 0xb0 | (sectionLength >> 8);
  s[2] = sectionLength & 0xff;
  s.writeUInt16BE(TS_TRANSPORT_STREAM_ID, 3);
  s[5] = 0xc1; // reserved '11', version_number 0, current_next_indicator 1
  s[6] = 0;
  s[7] = 0;
  s.writeUInt16BE(TS_PROGRAM_NUMBER, 8);
  s.writeUInt16BE(0xe000 | TS_PID_PMT, 10);
  s.writeUInt32BE(crc32Mpeg2(s, 0, 12), 12);
  return s;
}

function writePsiPacket(out: Buffer, off: number, pid: number, section: Buffer, cc: number): void {
  out[off] = TS_SYNC_BYTE;
  out[off + 1] = 0x40 | ((pid >> 8) & 0x1f); // payload_unit_start_indicator
  out[off + 2] = pid & 0xff;
  out[off + 3] = 0x10 | cc; // payload only
  out[off + 4] = 0; // pointer_field
  section.copy(out, off + 5);
  out.fill(0xff, off + 5 + section.length, off + TS_PACKET_SIZE);
}
