// The movie-level boxes both MP4 writers share (ISO/IEC 14496-12 8.2-8.7): file type, movie and track
// headers, media header and handler, media information, and sample descriptions with their decoder
// configuration (avcC/hvcC from ISO/IEC 14496-15, esds from ISO/IEC 14496-14, dOps from "Encapsulation
// of Opus in ISO Base Media File Format").

import { BoxWriter } from './box.js';
import type { TrackInfo } from './track.js';

/** Timescale of mvhd/tkhd/elst durations: milliseconds, like the timestamps we receive. */
export const MOVIE_TIMESCALE = 1000;

const U32_MAX = 0xffffffff;

/** Unity matrix (8.2.2.3): { 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000 }. */
const UNITY_MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];

/** ftyp or styp (8.1.1, 8.16.2): major brand, minor version, compatible brands. */
export function writeFileType(w: BoxWriter, type: 'ftyp' | 'styp', major: string, minor: number, compatible: readonly string[]): void {
  w.box(type).fourCc(major).u32(minor);
  for (const b of compatible) w.fourCc(b);
  w.end();
}

/** mvhd (8.2.2); version 1 only when the duration needs 64 bits. */
export function writeMvhd(w: BoxWriter, duration: number, nextTrackId: number): void {
  const v1 = duration > U32_MAX;
  w.fullBox('mvhd', v1 ? 1 : 0, 0);
  if (v1) w.u64(0).u64(0).u32(MOVIE_TIMESCALE).u64(duration);
  else w.u32(0).u32(0).u32(MOVIE_TIMESCALE).u32(duration);
  w.u32(0x00010000); // rate 1.0
  w.u16(0x0100); // volume 1.0
  w.zeros(2 + 8); // reserved
  for (const m of UNITY_MATRIX) w.u32(m);
  w.zeros(24); // pre_defined
  w.u32(nextTrackId);
  w.end();
}

/** 16.16 fixed point of a pixel size (tkhd width/height). */
function fixed16(v: number | undefined): number {
  if (v === undefined || !(v > 0)) return 0;
  return Math.min(0xffff, Math.floor(v)) * 0x10000;
}

/** tkhd (8.3.2): flags 0x3, track enabled and used in the presentation (as ffmpeg writes). */
export function writeTkhd(w: BoxWriter, track: TrackInfo, trackId: number, duration: number): void {
  const v1 = duration > U32_MAX;
  w.fullBox('tkhd', v1 ? 1 : 0, 0x000003);
  if (v1) w.u64(0).u64(0).u32(trackId).u32(0).u64(duration);
  else w.u32(0).u32(0).u32(trackId).u32(0).u32(duration);
  w.zeros(8); // reserved
  w.u16(0); // layer
  w.u16(0); // alternate_group
  w.u16(track.kind === 'audio' ? 0x0100 : 0); // volume
  w.u16(0); // reserved
  for (const m of UNITY_MATRIX) w.u32(m);
  w.u32(track.kind === 'video' ? fixed16(track.width) : 0);
  w.u32(track.kind === 'video' ? fixed16(track.height) : 0);
  w.end();
}

/**
 * An edit list (8.6.6) for a track that starts after the movie does: an empty edit (movie timescale),
 * then the media from `mediaTime` (media timescale) for `duration` (movie timescale).
 */
export interface TrackEdit {
  readonly empty: number;
  readonly mediaTime: number;
  readonly duration: number;
}

export function writeEdts(w: BoxWriter, edit: TrackEdit): void {
  const v1 = edit.empty > U32_MAX || edit.duration > U32_MAX || edit.mediaTime > 0x7fffffff;
  const entries: Array<[number, number]> = [];
  if (edit.empty > 0) entries.push([edit.empty, -1]);
  entries.push([edit.duration, edit.mediaTime]);
  w.box('edts').fullBox('elst', v1 ? 1 : 0, 0).u32(entries.length);
  for (const [segmentDuration, mediaTime] of entries) {
    if (v1) w.u64(segmentDuration).i64(mediaTime);
    else w.u32(segmentDuration).i32(mediaTime);
    w.u16(1).u16(0); // media_rate 1.0
  }
  w.end().end();
}

/** mdhd (8.4.2), language "und". */
export function writeMdhd(w: BoxWriter, timescale: number, duration: number): void {
  const v1 = duration > U32_MAX;
  w.fullBox('mdhd', v1 ? 1 : 0, 0);
  if (v1) w.u64(0).u64(0).u32(timescale).u64(duration);
  else w.u32(0).u32(0).u32(timescale).u32(duration);
  // ISO-639-2/T "und", each letter - 0x60 in 5 bits: 0x55c4.
  w.u16(((0x75 - 0x60) << 10) | ((0x6e - 0x60) << 5) | (0x64 - 0x60));
  w.u16(0);
  w.end();
}

/** hdlr (8.4.3). */
export function writeHdlr(w: BoxWriter, kind: 'video' | 'audio'): void {
  w.fullBox('hdlr', 0, 0).u32(0).fourCc(kind === 'video' ? 'vide' : 'soun').zeros(12);
  w.cString(kind === 'video' ? 'VideoHandler' : 'SoundHandler');
  w.end();
}

/** vmhd/smhd (12.1.2, 12.2.2) and dinf with one self-contained data reference (8.7.1, 8.7.2). */
export function writeMediaHeaderAndDinf(w: BoxWriter, kind: 'video' | 'audio'): void {
  if (kind === 'video') w.fullBox('vmhd', 0, 1).u16(0).zeros(6).end();
  else w.fullBox('smhd', 0, 0).i16(0).u16(0).end();
  w.box('dinf').fullBox('dref', 0, 0).u32(1).fullBox('url ', 0, 1).end().end().end();
}

/** Size of an MPEG-4 descriptor (14496-1 8.3.3): 7 bits per byte, high bit = more follows. */
function descriptorHeader(w: BoxWriter, tag: number, size: number): void {
  w.u8(tag);
  const groups: number[] = [];
  let v = size;
  do {
    groups.unshift(v & 0x7f);
    v = Math.floor(v / 128);
  } while (v > 0);
  for (let i = 0; i < groups.length; i++) w.u8(groups[i]! | (i < groups.length - 1 ? 0x80 : 0));
}

function descriptorHeaderSize(size: number): number {
  let n = 1;
  for (let v = size; v >= 128; v = Math.floor(v / 128)) n++;
  return 1 + n;
}

/** objectTypeIndication (14496-1 Table 5 / the MP4 registration authority). */
function objectTypeIndication(track: TrackInfo): number {
  if (track.codec === 'aac') return 0x40; // Audio ISO/IEC 14496-3
  // MP3: 0x6b is "Audio ISO/IEC 11172-3" (MPEG-1, 32..48 kHz); the half rates are MPEG-2 (13818-3), 0x69.
  return (track.sampleRate ?? 44100) >= 32000 ? 0x6b : 0x69;
}

/**
 * esds (14496-14 5.6): ES_Descriptor { DecoderConfigDescriptor { DecoderSpecificInfo = ASC },
 * SLConfigDescriptor(predefined 2) }. ES_ID is 0 in a stored file (14496-14 3.1.2).
 */
export function writeEsds(w: BoxWriter, track: TrackInfo): void {
  const dsi = track.codec === 'aac' ? track.config : Buffer.alloc(0);
  const dsiSize = dsi.length > 0 ? descriptorHeaderSize(dsi.length) + dsi.length : 0;
  const dcdSize = 13 + dsiSize;
  const slSize = 1;
  const esSize = 3 + descriptorHeaderSize(dcdSize) + dcdSize + descriptorHeaderSize(slSize) + slSize;
  w.fullBox('esds', 0, 0);
  descriptorHeader(w, 0x03, esSize);
  w.u16(0).u8(0); // ES_ID, flags (no dependency, URL or OCR stream), streamPriority 0
  descriptorHeader(w, 0x04, dcdSize);
  w.u8(objectTypeIndication(track));
  w.u8((0x05 << 2) | 0x01); // streamType audio, upStream 0, reserved 1
  w.u24(0).u32(0).u32(0); // bufferSizeDB, maxBitrate, avgBitrate: unknown for a live stream
  if (dsi.length > 0) {
    descriptorHeader(w, 0x05, dsi.length);
    w.bytes(dsi);
  }
  descriptorHeader(w, 0x06, slSize);
  w.u8(0x02); // predefined: reserved for use in MP4 files
  w.end();
}

/**
 * dOps (Opus in ISOBMFF 4.3.2): the OpusHead fields, big-endian. From the track's OpusHead when it has
 * one (RFC 7845 5.1, little-endian), else a mono/stereo mapping family 0 header.
 */
export function writeDops(w: BoxWriter, track: TrackInfo): void {
  const c = track.config;
  w.box('dOps').u8(0);
  if (c.length >= 19 && c.toString('latin1', 0, 8) === 'OpusHead') {
    const channels = c[9]!;
    const family = c[18]!;
    w.u8(channels).u16(c.readUInt16LE(10)).u32(c.readUInt32LE(12)).i16(c.readInt16LE(16)).u8(family);
    if (family !== 0 && c.length >= 21 + channels) w.bytes(c.subarray(19, 21 + channels));
  } else {
    w.u8(Math.min(2, Math.max(1, track.channels ?? 2))).u16(0).u32(track.sampleRate ?? 48000).i16(0).u8(0);
  }
  w.end();
}

function sampleEntryType(track: TrackInfo): string {
  switch (track.codec) {
    case 'h264':
      return 'avc1';
    case 'h265':
      return 'hvc1'; // parameter sets in hvcC (Apple players require hvc1 over hev1)
    case 'opus':
      return 'Opus';
    default:
      return 'mp4a';
  }
}

/** stsd (8.5.2) with one VisualSampleEntry (12.1.3) or AudioSampleEntry (12.2.3). */
export function writeStsd(w: BoxWriter, track: TrackInfo): void {
  w.fullBox('stsd', 0, 0).u32(1);
  w.box(sampleEntryType(track));
  w.zeros(6).u16(1); // reserved, data_reference_index
  if (track.kind === 'video') {
    w.u16(0).u16(0).zeros(12); // pre_defined, reserved, pre_defined[3]
    w.u16(Math.min(0xffff, track.width ?? 0)).u16(Math.min(0xffff, track.height ?? 0));
    w.u32(0x00480000).u32(0x00480000); // 72 dpi
    w.u32(0); // reserved
    w.u16(1); // frame_count
    w.zeros(32); // compressorname (empty Pascal string)
    w.u16(0x0018); // depth
    w.i16(-1); // pre_defined
    w.box(track.codec === 'h264' ? 'avcC' : 'hvcC').bytes(track.config).end();
  } else {
    const channels = Math.max(1, Math.min(0xffff, track.channels ?? 2));
    const rate = track.codec === 'opus' ? 48000 : (track.sampleRate ?? track.timescale);
    w.zeros(8); // reserved (version, revision, vendor in QuickTime terms)
    w.u16(channels).u16(16); // channelcount, samplesize
    w.u16(0).u16(0); // pre_defined, reserved
    w.u32(rate <= 0xffff ? rate * 0x10000 : 0); // samplerate 16.16 (0 when it does not fit, as ffmpeg)
    if (track.codec === 'opus') writeDops(w, track);
    else writeEsds(w, track);
  }
  w.end().end();
}

export interface TrakOptions {
  readonly trackId: number;
  /** Track duration in the movie timescale (tkhd), including an initial empty edit. */
  readonly movieDuration: number;
  /** Media duration in the track timescale (mdhd). */
  readonly mediaDuration: number;
  /** An edit list, when the track does not start with the movie. */
  readonly edit?: TrackEdit;
  /** Writes the sample tables after stsd (stts, ctts, stss, stsc, stsz, stco/co64). */
  readonly sampleTables: (w: BoxWriter) => void;
}

/** One trak (8.3.1) with everything above the sample tables. */
export function writeTrak(w: BoxWriter, track: TrackInfo, opts: TrakOptions): void {
  w.box('trak');
  writeTkhd(w, track, opts.trackId, opts.movieDuration);
  if (opts.edit !== undefined) writeEdts(w, opts.edit);
  w.box('mdia');
  writeMdhd(w, track.timescale, opts.mediaDuration);
  writeHdlr(w, track.kind);
  w.box('minf');
  writeMediaHeaderAndDinf(w, track.kind);
  w.box('stbl');
  writeStsd(w, track);
  opts.sampleTables(w);
  w.end(); // stbl
  w.end(); // minf
  w.end(); // mdia
  w.end(); // trak
}
