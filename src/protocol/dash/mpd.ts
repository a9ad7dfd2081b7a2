// MPD rendering for a live stream (ISO/IEC 23009-1): a dynamic presentation with the isoff-live profile
// (8.4), one Period per stretch of unchanged tracks (5.3.2), one AdaptationSet per track, and a
// SegmentTemplate with $Number$ and a SegmentTimeline (5.3.9.4, 5.3.9.6) so segments of any duration are
// described exactly, in each track's own timescale.
//
// Pure: every value, the clock included, comes in through the arguments.

/** One segment of a Representation, in its timescale. */
export interface MpdSegment {
  /** Earliest presentation time (the fragment's tfdt), ticks. */
  readonly t: number;
  /** Duration (the sum of the fragment's sample durations), ticks. */
  readonly d: number;
}

export interface MpdRepresentation {
  readonly kind: 'video' | 'audio';
  /** Representation@id, also what $RepresentationID$ would expand to. */
  readonly id: string;
  readonly codecs: string;
  /** Bits per second (Representation@bandwidth is mandatory). */
  readonly bandwidth: number;
  readonly width?: number;
  readonly height?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
  readonly timescale: number;
  /** Media time (ticks) that maps to the Period start (SegmentTemplate@presentationTimeOffset). */
  readonly presentationTimeOffset: number;
  /** SegmentTemplate@initialization (relative to the BaseURL). */
  readonly initialization: string;
  /** SegmentTemplate@media, with `$Number$`. */
  readonly media: string;
  /** Number of `segments[0]`. */
  readonly startNumber: number;
  readonly segments: readonly MpdSegment[];
}

export interface MpdPeriod {
  readonly id: string;
  /** Period@start: presentation time from availabilityStartTime, ms. */
  readonly startMs: number;
  readonly representations: readonly MpdRepresentation[];
}

export interface Mpd {
  /** Wall-clock time (Unix ms) of presentation time 0. */
  readonly availabilityStartTimeMs: number;
  /** When this version of the MPD was made (Unix ms). */
  readonly publishTimeMs: number;
  readonly minimumUpdatePeriodMs: number;
  readonly timeShiftBufferDepthMs: number;
  readonly minBufferTimeMs: number;
  readonly maxSegmentDurationMs: number;
  /** MPD-level BaseURL (relative to the MPD's URL), omitted when empty. */
  readonly baseUrl?: string;
  /**
   * Add `<UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014">` carrying publishTime (5.8.5.7), so a
   * player aligns its clock with the server's without asking a time server on the Internet (dash.js's
   * default). The time is at most one MPD update old when read, which only moves the player's live edge
   * back by that much.
   */
  readonly utcTimingDirect?: boolean;
  readonly periods: readonly MpdPeriod[];
}

/** xs:dateTime in UTC with milliseconds: `2024-03-05T07:08:09.010Z`. */
export function isoDateTime(unixMs: number): string {
  return new Date(Math.round(unixMs)).toISOString();
}

/** xs:duration in seconds with millisecond precision: `PT5.000S`. */
export function isoDuration(ms: number): string {
  return `PT${(Math.max(0, Math.round(ms)) / 1000).toFixed(3)}S`;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escape text for an XML attribute value or element content. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/**
 * `<S>` elements for a run of segments: `t` on the first one and wherever a segment does not start where
 * the previous one ended (a gap or an overlap), `r` for repeats of the same duration (5.3.9.6.1).
 */
export function renderTimeline(segments: readonly MpdSegment[], indent: string): string[] {
  const lines: string[] = [];
  let i = 0;
  let expected = -1;
  while (i < segments.length) {
    const first = segments[i]!;
    let repeat = 0;
    while (i + repeat + 1 < segments.length) {
      const prev = segments[i + repeat]!;
      const next = segments[i + repeat + 1]!;
      if (next.d !== first.d || next.t !== prev.t + prev.d) break;
      repeat++;
    }
    const t = first.t === expected ? '' : ` t="${first.t}"`;
    const r = repeat > 0 ? ` r="${repeat}"` : '';
    lines.push(`${indent}<S${t} d="${first.d}"${r}/>`);
    const last = segments[i + repeat]!;
    expected = last.t + last.d;
    i += repeat + 1;
  }
  return lines;
}

function attrs(pairs: Array<[string, string | number | undefined]>): string {
  let s = '';
  for (const [name, value] of pairs) {
    if (value === undefined) continue;
    s += ` ${name}="${xmlEscape(String(value))}"`;
  }
  return s;
}

const AUDIO_CHANNEL_SCHEME = 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011';

function renderRepresentation(rep: MpdRepresentation, index: number, out: string[]): void {
  const video = rep.kind === 'video';
  out.push(
    `    <AdaptationSet${attrs([
      ['id', index],
      ['contentType', rep.kind],
      ['mimeType', video ? 'video/mp4' : 'audio/mp4'],
      ['segmentAlignment', 'true'],
      ['startWithSAP', 1],
    ])}>`,
  );
  out.push(
    `      <Representation${attrs([
      ['id', rep.id],
      ['bandwidth', Math.max(1, Math.ceil(rep.bandwidth))],
      ['codecs', rep.codecs],
      ['width', video ? rep.width : undefined],
      ['height', video ? rep.height : undefined],
      ['audioSamplingRate', video ? undefined : rep.sampleRate],
    ])}>`,
  );
  if (!video && rep.channels !== undefined && rep.channels > 0) {
    out.push(`        <AudioChannelConfiguration${attrs([['schemeIdUri', AUDIO_CHANNEL_SCHEME], ['value', rep.channels]])}/>`);
  }
  out.push(
    `        <SegmentTemplate${attrs([
      ['timescale', rep.timescale],
      ['presentationTimeOffset', rep.presentationTimeOffset > 0 ? rep.presentationTimeOffset : undefined],
      ['initialization', rep.initialization],
      ['media', rep.media],
      ['startNumber', rep.startNumber],
    ])}>`,
  );
  out.push('          <SegmentTimeline>');
  out.push(...renderTimeline(rep.segments, '            '));
  out.push('          </SegmentTimeline>');
  out.push('        </SegmentTemplate>');
  out.push('      </Representation>');
  out.push('    </AdaptationSet>');
}

/** The MPD document (UTF-8 XML text). Representations without segments are left out. */
export function renderMpd(mpd: Mpd): string {
  const out: string[] = ['<?xml version="1.0" encoding="utf-8"?>'];
  out.push(
    `<MPD${attrs([
      ['xmlns', 'urn:mpeg:dash:schema:mpd:2011'],
      ['profiles', 'urn:mpeg:dash:profile:isoff-live:2011'],
      ['type', 'dynamic'],
      ['availabilityStartTime', isoDateTime(mpd.availabilityStartTimeMs)],
      ['publishTime', isoDateTime(mpd.publishTimeMs)],
      ['minimumUpdatePeriod', isoDuration(mpd.minimumUpdatePeriodMs)],
      ['timeShiftBufferDepth', isoDuration(mpd.timeShiftBufferDepthMs)],
      ['minBufferTime', isoDuration(mpd.minBufferTimeMs)],
      ['maxSegmentDuration', isoDuration(mpd.maxSegmentDurationMs)],
    ])}>`,
  );
  if (mpd.baseUrl !== undefined && mpd.baseUrl !== '') out.push(`  <BaseURL>${xmlEscape(mpd.baseUrl)}</BaseURL>`);
  for (const period of mpd.periods) {
    const reps = period.representations.filter((r) => r.segments.length > 0);
    if (reps.length === 0) continue;
    out.push(`  <Period${attrs([['id', period.id], ['start', isoDuration(period.startMs)]])}>`);
    reps.forEach((rep, i) => renderRepresentation(rep, i, out));
    out.push('  </Period>');
  }
  if (mpd.utcTimingDirect === true) {
    out.push(`  <UTCTiming${attrs([['schemeIdUri', 'urn:mpeg:dash:utc:direct:2014'], ['value', isoDateTime(mpd.publishTimeMs)]])}/>`);
  }
  out.push('</MPD>');
  return `${out.join('\n')}\n`;
}
