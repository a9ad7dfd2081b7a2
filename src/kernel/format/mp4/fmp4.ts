// Fragmented MP4 (ISO/IEC 14496-12 8.8) for DASH, and later HLS fMP4 / LL-HLS: an init segment
// (ftyp + moov with empty sample tables and mvex/trex) and media fragments (optional styp, moof + mdat).
//
// Fragments follow what ffmpeg's "frag_keyframe+empty_moov+default_base_moof" and SRS's DASH writer
// produce: one traf per track with tfhd (default-base-is-moof), a version 1 tfdt (64-bit
// baseMediaDecodeTime in the track timescale) and a trun carrying each sample's duration, size and flags,
// plus a signed composition offset for video (trun version 1, so B-frames need no edit list).

import type { MediaFrame } from '../../media-frame.js';
import { BOX_HEADER_SIZE, BoxWriter, LARGE_BOX_HEADER_SIZE, MAX_BOX32_SIZE, boxHeader } from './box.js';
import { writeFileType, writeMvhd, writeTrak } from './moov.js';
import { writeEmptySampleTables } from './sample-table.js';
import { MAX_SAMPLE_DURATION, type Mp4Sample, type TrackInfo, TrackSampler } from './track.js';

export { type TrackInfo, trackFromSequenceHeader } from './track.js';

/** trun flags (8.8.8.1). */
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;
const TRUN_SAMPLE_FLAGS = 0x000400;
const TRUN_SAMPLE_CTS = 0x000800;
/** tfhd flag (8.8.7.1): data offsets are relative to the start of the moof. */
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
/** sample_flags (8.8.3.1): sample_depends_on = 2 (an I-frame / independent audio frame). */
const SAMPLE_FLAGS_SYNC = 0x02000000;
/** sample_depends_on = 1 and sample_is_non_sync_sample = 1. */
const SAMPLE_FLAGS_NON_SYNC = 0x01010000;

/** track_ID of each track: its `trackId`, else its position + 1. Throws RangeError for duplicates. */
export function trackIds(tracks: readonly TrackInfo[]): number[] {
  const ids = tracks.map((t, i) => t.trackId ?? i + 1);
  const seen = new Set<number>();
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new RangeError(`track_ID ${id} out of range`);
    if (seen.has(id)) throw new RangeError(`duplicate track_ID ${id}`);
    seen.add(id);
  }
  return ids;
}

/**
 * The initialization segment: ftyp + moov (mvhd, one trak per track with its sample entry —
 * avc1/avcC, hvc1/hvcC, mp4a/esds or Opus/dOps — and empty sample tables, mvex with a trex per track).
 */
export function initSegment(tracks: TrackInfo[]): Buffer {
  if (tracks.length === 0) throw new RangeError('initSegment: no tracks');
  const ids = trackIds(tracks);
  const w = new BoxWriter(1024);
  // iso6: tfdt and default-base-is-moof; iso5 for readers that only know the earlier brand.
  writeFileType(w, 'ftyp', 'iso6', 0, ['iso6', 'iso5', 'mp41']);
  w.box('moov');
  writeMvhd(w, 0, Math.max(...ids) + 1);
  tracks.forEach((track, i) => {
    writeTrak(w, track, { trackId: ids[i]!, movieDuration: 0, mediaDuration: 0, sampleTables: writeEmptySampleTables });
  });
  w.box('mvex');
  for (const id of ids) {
    // trex (8.8.3): sample description 1; every other default is overridden in each trun.
    w.fullBox('trex', 0, 0).u32(id).u32(1).u32(0).u32(0).u32(0).end();
  }
  w.end(); // mvex
  w.end(); // moov
  return w.toBuffer();
}

/** The styp DASH media segments start with (ISO/IEC 23009-1 6.3.4.2). */
export function segmentType(): Buffer {
  const w = new BoxWriter(32);
  writeFileType(w, 'styp', 'msdh', 0, ['msdh', 'msix']);
  return w.toBuffer();
}

export interface FlushOptions {
  /** Start with an styp box (DASH media segments). */
  styp?: boolean;
  /**
   * Decode time (ms) of the video frame that will follow, when known (e.g. the keyframe that triggered
   * the cut): gives the last video sample its true duration instead of repeating the previous one.
   * Audio tracks end on their frames' known length (1024 samples for AAC) and ignore it.
   */
  nextDtsMs?: number;
  /** The video frame that will follow, when known: as nextDtsMs, from its own clock (exact for 90 kHz). */
  next?: MediaFrame;
}

interface Lane {
  readonly track: TrackInfo;
  readonly trackId: number;
  readonly sampler: TrackSampler;
  samples: Mp4Sample[];
}

/**
 * Collects frames into samples and writes them as one fragment (moof + mdat) per flush. Timestamps
 * are kept absolute: tfdt is the frame's dtsTicks in the track timescale, so fragments of a live stream
 * line up with each other and with a DASH timeline without any rebasing. Frames of kinds or codecs the
 * builder has no track for, sequence headers and empty bodies are ignored; malformed bodies throw
 * ProtocolError and leave the builder unchanged.
 */
export class FragmentBuilder {
  private readonly lanes: Lane[];
  private sequenceNumber: number;

  constructor(track: TrackInfo | TrackInfo[], sequenceNumberStart = 1) {
    const tracks = Array.isArray(track) ? track : [track];
    if (tracks.length === 0) throw new RangeError('FragmentBuilder: no tracks');
    const ids = trackIds(tracks);
    this.lanes = tracks.map((t, i) => ({ track: t, trackId: ids[i]!, sampler: new TrackSampler(t), samples: [] }));
    this.sequenceNumber = sequenceNumberStart >>> 0;
  }

  /** mfhd sequence_number the next fragment will carry. */
  get nextSequenceNumber(): number {
    return this.sequenceNumber;
  }

  add(frame: MediaFrame): void {
    for (const lane of this.lanes) {
      if (lane.track.kind !== frame.kind || lane.track.codec !== frame.codec) continue;
      const sample = lane.sampler.take(frame);
      if (sample !== null) lane.samples.push(sample);
      return;
    }
  }

  /** Samples waiting for the next flush, all tracks together. */
  get sampleCount(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane.samples.length;
    return n;
  }

  /** Duration of the samples waiting (the longest track), ms; the last sample counts with its estimated duration. */
  get durationMs(): number {
    let max = 0;
    for (const lane of this.lanes) {
      const first = lane.samples[0];
      if (first === undefined) continue;
      const end = lane.sampler.lastDecodeTime + lane.sampler.lastSampleDuration;
      max = Math.max(max, ((end - first.dts) * 1000) / lane.track.timescale);
    }
    return max;
  }

  /** moof + mdat (after an styp when asked) for the samples added so far, or null when there are none. */
  flush(opts: FlushOptions = {}): Buffer | null {
    const lanes = this.lanes.filter((l) => l.samples.length > 0);
    if (lanes.length === 0) return null;

    const w = new BoxWriter(256 + 16 * this.sampleCount);
    w.box('moof');
    w.fullBox('mfhd', 0, 0).u32(this.sequenceNumber).end();
    const dataOffsetAt: number[] = [];
    let mdatPayload = 0;
    for (const lane of lanes) {
      const samples = lane.samples;
      const video = lane.track.kind === 'video';
      w.box('traf');
      w.fullBox('tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF).u32(lane.trackId).end();
      w.fullBox('tfdt', 1, 0).u64(samples[0]!.dts).end();
      const flags = TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | TRUN_SAMPLE_FLAGS | (video ? TRUN_SAMPLE_CTS : 0);
      w.fullBox('trun', video ? 1 : 0, flags).u32(samples.length);
      dataOffsetAt.push(w.length);
      w.i32(0); // data_offset, patched below once the moof size is known
      const lastDuration =
        !video
          ? lane.sampler.lastSampleDuration
          : opts.next !== undefined
            ? lane.sampler.durationUntilTicks(lane.sampler.decodeTime(opts.next.dtsTicks, opts.next.timescale))
            : opts.nextDtsMs !== undefined
              ? lane.sampler.durationUntil(opts.nextDtsMs)
              : lane.sampler.lastSampleDuration;
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i]!;
        const next = samples[i + 1];
        w.u32(Math.min(MAX_SAMPLE_DURATION, next !== undefined ? next.dts - s.dts : lastDuration));
        w.u32(s.data.length);
        w.u32(s.sync ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC);
        if (video) w.i32(s.cts);
        mdatPayload += s.data.length;
      }
      w.end(); // trun
      w.end(); // traf
    }
    w.end(); // moof

    const mdatHeaderSize = mdatPayload + BOX_HEADER_SIZE > MAX_BOX32_SIZE ? LARGE_BOX_HEADER_SIZE : BOX_HEADER_SIZE;
    let offset = w.length + mdatHeaderSize;
    lanes.forEach((lane, i) => {
      w.patchI32(dataOffsetAt[i]!, offset);
      for (const s of lane.samples) offset += s.data.length;
    });

    const parts: Buffer[] = [];
    if (opts.styp === true) parts.push(segmentType());
    parts.push(w.toBuffer(), boxHeader('mdat', mdatPayload));
    for (const lane of lanes) {
      for (const s of lane.samples) parts.push(s.data);
      lane.samples = [];
    }
    this.sequenceNumber = (this.sequenceNumber + 1) >>> 0;
    return Buffer.concat(parts);
  }
}
