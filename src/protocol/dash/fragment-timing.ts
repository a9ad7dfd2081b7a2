// Timing of a media segment as the player will see it, read back from the fragment the writer produced
// (ISO/IEC 14496-12 8.8): the first traf's tfdt (baseMediaDecodeTime) and the sum of its trun sample
// durations. The SegmentTimeline then lists exactly what the segments hold, tick for tick, however the
// sampler snapped or clamped the timestamps.

import { ErrorCode, ProtocolError } from '../../core/errors.js';

export interface FragmentTiming {
  /** baseMediaDecodeTime of the first track fragment, ticks. */
  readonly baseMediaDecodeTime: number;
  /**
   * Earliest presentation time: the smallest decode time + composition offset of its samples (with
   * B-frames, later than the decode time of the first sample), never below 0. SegmentTimeline S@t.
   */
  readonly earliestPresentationTime: number;
  /** Sum of the sample durations of the first track fragment, ticks. */
  readonly duration: number;
  readonly sampleCount: number;
  /** The first sample is a sync sample (sample_is_non_sync_sample clear): the segment starts at a SAP. */
  readonly firstSampleSync: boolean;
  /** Size of the mdat payload, bytes. */
  readonly mdatBytes: number;
}

/** trun flags (8.8.8.1) and tfhd flags (8.8.7.1) that move the fields this reader needs. */
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;
const TRUN_SAMPLE_FLAGS = 0x000400;
const TRUN_SAMPLE_CTS = 0x000800;
const TFHD_BASE_DATA_OFFSET = 0x000001;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
const TFHD_DEFAULT_SAMPLE_DURATION = 0x000008;
const TFHD_DEFAULT_SAMPLE_SIZE = 0x000010;
const TFHD_DEFAULT_SAMPLE_FLAGS = 0x000020;
/** sample_is_non_sync_sample in sample_flags (8.8.3.1). */
const SAMPLE_IS_NON_SYNC = 0x00010000;

function fail(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.MediaDecode, `dash: fragment: ${message}`);
}

interface Box {
  type: string;
  /** Payload bounds (after the header). */
  start: number;
  end: number;
}

function boxes(buf: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  let pos = start;
  while (pos + 8 <= end) {
    let size = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    let header = 8;
    if (size === 1) {
      if (pos + 16 > end) throw fail(`truncated large box ${type}`);
      size = Number(buf.readBigUInt64BE(pos + 8));
      header = 16;
    } else if (size === 0) {
      size = end - pos;
    }
    if (size < header || pos + size > end) throw fail(`box ${type} of ${size} bytes at ${pos} runs past ${end}`);
    out.push({ type, start: pos + header, end: pos + size });
    pos += size;
  }
  return out;
}

/** Timing of the first track fragment of a (styp +) moof + mdat. Throws ProtocolError when malformed. */
export function fragmentTiming(segment: Buffer): FragmentTiming {
  const top = boxes(segment, 0, segment.length);
  const moof = top.find((b) => b.type === 'moof');
  if (moof === undefined) throw fail('no moof');
  const mdat = top.find((b) => b.type === 'mdat');
  const traf = boxes(segment, moof.start, moof.end).find((b) => b.type === 'traf');
  if (traf === undefined) throw fail('no traf');
  const children = boxes(segment, traf.start, traf.end);

  let defaultDuration = 0;
  let defaultFlags = 0;
  const tfhd = children.find((b) => b.type === 'tfhd');
  if (tfhd !== undefined) {
    const flags = segment.readUInt32BE(tfhd.start) & 0xffffff;
    let at = tfhd.start + 8; // version/flags, track_ID
    if (flags & TFHD_BASE_DATA_OFFSET) at += 8;
    if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) at += 4;
    if (flags & TFHD_DEFAULT_SAMPLE_DURATION) {
      defaultDuration = segment.readUInt32BE(at);
      at += 4;
    }
    if (flags & TFHD_DEFAULT_SAMPLE_SIZE) at += 4;
    if (flags & TFHD_DEFAULT_SAMPLE_FLAGS) defaultFlags = segment.readUInt32BE(at);
  }

  const tfdt = children.find((b) => b.type === 'tfdt');
  if (tfdt === undefined) throw fail('no tfdt');
  const version = segment[tfdt.start]!;
  const baseMediaDecodeTime = version === 1 ? Number(segment.readBigUInt64BE(tfdt.start + 4)) : segment.readUInt32BE(tfdt.start + 4);

  let duration = 0;
  let sampleCount = 0;
  let firstFlags: number | null = null;
  let decodeTime = baseMediaDecodeTime;
  let earliest = Infinity;
  for (const trun of children.filter((b) => b.type === 'trun')) {
    const flags = segment.readUInt32BE(trun.start) & 0xffffff;
    const count = segment.readUInt32BE(trun.start + 4);
    let at = trun.start + 8;
    if (flags & TRUN_DATA_OFFSET) at += 4;
    if (flags & TRUN_FIRST_SAMPLE_FLAGS) {
      firstFlags ??= segment.readUInt32BE(at);
      at += 4;
    }
    const fields = [TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_CTS].filter((f) => flags & f).length;
    if (at + count * fields * 4 > trun.end) throw fail(`trun of ${count} samples runs past its box`);
    const trunVersion = segment[trun.start]!;
    for (let i = 0; i < count; i++) {
      let field = at;
      let sampleDuration = defaultDuration;
      if (flags & TRUN_SAMPLE_DURATION) {
        sampleDuration = segment.readUInt32BE(field);
        field += 4;
      }
      if (flags & TRUN_SAMPLE_SIZE) field += 4;
      if (flags & TRUN_SAMPLE_FLAGS) {
        if (firstFlags === null) firstFlags = segment.readUInt32BE(field);
        field += 4;
      }
      let cts = 0;
      if (flags & TRUN_SAMPLE_CTS) cts = trunVersion === 0 ? segment.readUInt32BE(field) : segment.readInt32BE(field);
      earliest = Math.min(earliest, decodeTime + cts);
      decodeTime += sampleDuration;
      duration += sampleDuration;
      at += fields * 4;
    }
    sampleCount += count;
  }
  const firstSampleSync = sampleCount > 0 && ((firstFlags ?? defaultFlags) & SAMPLE_IS_NON_SYNC) === 0;
  const earliestPresentationTime = Number.isFinite(earliest) ? Math.max(0, earliest) : baseMediaDecodeTime;
  return { baseMediaDecodeTime, earliestPresentationTime, duration, sampleCount, firstSampleSync, mdatBytes: mdat === undefined ? 0 : mdat.end - mdat.start };
}
