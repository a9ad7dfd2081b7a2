// The per-stream MPEG-DASH state machine (sans-I/O): MediaFrames in, file operations out — init segments,
// media segments, the MPD after each segment, deletions of what left the window. The app layer performs
// the operations in order; the clock is an argument.
//
// Layout (SRS's srs_app_dash.cpp): the MPD at `<dash_path>/<dash_mpd_file>`, everything else in a folder
// named after the stream next to it, which the MPD's BaseURL points at:
//
//   live/cam1.mpd
//   live/cam1/video-init.mp4   live/cam1/video-<n>.m4s
//   live/cam1/audio-init.mp4   live/cam1/audio-<n>.m4s
//
// One track per file (one AdaptationSet per track, track_ID 1 for video and 2 for audio as SRS), fragments
// with an styp and an absolute tfdt in the track timescale (90 kHz video, the sample rate for audio).
//
// Segments:
// - Video and audio share numbers and cut points: a cut closes both tracks' fragments at once. With video,
//   a segment is cut on a video keyframe once it is at least dash_fragment long (SRS: reap on a keyframe
//   when duration >= fragment); audio-only streams are cut by duration on the first audio frame past it.
// - The MPD lists the last dash_window_size segments; with dash_cleanup, files that left it are deleted one
//   segment later (a player holding the previous MPD still finds them).
//
// Periods (ISO/IEC 23009-1 5.3.2): a Period is a stretch with one init segment per track. A new one starts
//   - when a sequence header changes (new resolution, new AAC config) or a track starts or stops: at the next
//     cut point, continuing the same media timeline (Period@start follows the timestamps);
//   - on republish or a timestamp jump (back > 250 ms, forward > 10 s): the timestamps restart, so the new
//     Period starts at the wall clock (never before the previous one ends) with a presentationTimeOffset
//     mapping its first timestamp there.
//   A Period whose tracks changed gets new init segment names (`video-init-<period>.mp4`) so players never
//   mix an old cached init with new media; unchanged tracks keep theirs. Numbers keep rising for the life
//   of the stream, across Periods and republishes, so a cached segment URL never names other media.

import { ProtocolError, errorMessage } from '../../core/errors.js';
import { FragmentBuilder, initSegment, sameTrackConfig, trackFromSequenceHeader, type TrackInfo } from '../../kernel/format/mp4/index.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import { expandStreamTemplate, srsDirname } from '../hls/template.js';
import { codecsString } from './codecs.js';
import { fragmentTiming } from './fragment-timing.js';
import { renderMpd, type MpdPeriod, type MpdRepresentation } from './mpd.js';

export interface DashSegmenterOptions {
  vhost: string;
  app: string;
  stream: string;
  /** dash_path. */
  dashPath: string;
  /** dash_mpd_file template (`[vhost] [app] [stream]`). */
  mpdFile: string;
  /** dash_fragment, ms. */
  fragmentMs: number;
  /** dash_update_period, ms: the MPD's minimumUpdatePeriod. */
  updatePeriodMs: number;
  /** dash_timeshift, ms: upper bound of timeShiftBufferDepth. */
  timeshiftMs: number;
  /** dash_window_size: segments listed in the MPD. */
  windowSize: number;
  /** dash_cleanup: delete segments that leave the window. */
  cleanup: boolean;
}

export type TrackKind = 'video' | 'audio';

export type DashOp =
  /** Write a whole file atomically (temp file then rename). */
  | { type: 'write'; what: 'init' | 'segment' | 'mpd'; path: string; data: Buffer | string; number?: number }
  /** Delete a file (a missing file is not an error). */
  | { type: 'delete'; path: string }
  | { type: 'log'; level: 'trace' | 'warn'; message: string };

/** A track whose DTS steps back more than this is treated as a timestamp reset. */
export const DASH_JUMP_BACK_MS = 250;
/** A track whose DTS steps forward more than this is treated as a gap. */
export const DASH_JUMP_FORWARD_MS = 10_000;
/** Segments kept on disk after they left the MPD's window, before dash_cleanup deletes them. */
export const RETIRED_SEGMENTS = 1;
/** A track that stays empty this many fragments while another has media is dropped from the Period. */
const STALL_FRAGMENTS = 3;
/** Without a keyframe, a video segment is cut anyway (not at a SAP) after max(10 fragments, this). */
const FORCE_CUT_MIN_MS = 60_000;
/** ... or when it holds this many bytes, so a stream without keyframes cannot grow memory without end. */
const FORCE_CUT_BYTES = 64 * 1024 * 1024;
/** Waiting for a video keyframe to start, audio is given up on for video after max(3 fragments, this). */
const WAIT_KEYFRAME_MIN_MS = 15_000;

const TRACK_IDS: Record<TrackKind, number> = { video: 1, audio: 2 };
const KINDS: readonly TrackKind[] = ['video', 'audio'];

interface PeriodTrack {
  readonly track: TrackInfo;
  readonly codecs: string;
  /** File name of the init segment, relative to the stream folder. */
  readonly initName: string;
  readonly builder: FragmentBuilder;
  /** Frames and payload bytes in the segment being filled. */
  samples: number;
  bytes: number;
  /** Segments written for this track in this Period. */
  segments: number;
}

interface Period {
  readonly id: number;
  readonly tracks: Map<TrackKind, PeriodTrack>;
  /** The track whose frames decide the cuts: video when there is video. */
  readonly leader: TrackKind;
  /** Same media timeline as the previous Period (a track change), or a restart (republish, jump). */
  readonly continuous: boolean;
  /** Set with its first segment: Period@start (ms from availabilityStartTime) and the media ms mapped there. */
  startMs: number;
  anchorMs: number;
  /** Presentation time (ms from availabilityStartTime) where its last segment ends. */
  endMs: number;
  started: boolean;
}

interface SegmentPart {
  readonly path: string;
  readonly t: number;
  readonly d: number;
  readonly bytes: number;
}

interface WindowSegment {
  readonly number: number;
  readonly period: Period;
  readonly parts: Map<TrackKind, SegmentPart>;
  /** The leader's duration (the longest part when the leader has none), ms. */
  readonly durationMs: number;
}

export class DashSegmenter {
  private opts: DashSegmenterOptions | null = null;
  private mpdPath = '';
  private home = '';
  private baseUrl = '';
  /** Latest decoder configuration per track, from the sequence headers (or the first MP3/Opus frame). */
  private readonly configs = new Map<TrackKind, TrackInfo>();
  /** Format version of the latest sequence header per track (0: frames not stamped by a LiveSource). */
  private readonly headerVersions = new Map<TrackKind, number>();
  private period: Period | null = null;
  /** The latest init segment written per track, which a later Period with the same configuration reuses. */
  private readonly lastInit = new Map<TrackKind, { track: TrackInfo; initName: string }>();
  /** The Period placed on the timeline last, which a continuing Period follows. */
  private lastPlaced: Period | null = null;
  /** The next Period continues the media timeline of the last one. */
  private nextContinuous = false;
  /** A track changed: start a new Period at the next cut point. */
  private changeAtNextCut = false;
  private changeReason = '';
  /** Tracks given up on (no media while others have); they rejoin with their next frame. */
  private readonly stalled = new Set<TrackKind>();
  private readonly lastDts = new Map<TrackKind, number>();
  /** Leader's first DTS in the segment being filled (ms), or null while it is empty. */
  private segmentStartMs: number | null = null;
  /** DTS of the first audio frame dropped while waiting for a video keyframe. */
  private waitingSinceMs: number | null = null;
  private readonly window: WindowSegment[] = [];
  /** Segments out of the window whose files are kept a little longer (dash_cleanup on). */
  private readonly retired: WindowSegment[] = [];
  private availabilityStartMs: number | null = null;
  /** Presentation time where the last Period's last segment ends (ms), once there is one. */
  private lastEndMs: number | null = null;
  private nextNumber = 0;
  private nextPeriodId = 0;
  /** Every init file written and not deleted yet, by name. */
  private readonly initFiles = new Set<string>();
  private readonly warned = new Set<string>();

  /** Number the next segment will get. */
  get nextSegmentNumber(): number {
    return this.nextNumber;
  }

  get mpdFilePath(): string {
    return this.mpdPath;
  }

  /** Folder of the init and media segments. */
  get segmentHome(): string {
    return this.home;
  }

  /** Segments listed in the MPD (oldest first): number and duration, for tests and stats. */
  get segments(): Array<{ number: number; durationMs: number; periodId: number; kinds: TrackKind[] }> {
    return this.window.map((s) => ({ number: s.number, durationMs: s.durationMs, periodId: s.period.id, kinds: [...s.parts.keys()] }));
  }

  get publishing(): boolean {
    return this.opts !== null;
  }

  /**
   * A publish starts (or restarts after a reload) with these settings. The window carries over unless the
   * MPD moves (another dash_path or dash_mpd_file): then the stream starts from scratch at the new place and
   * the old files are left as they are.
   */
  publish(opts: DashSegmenterOptions, nowMs: number): DashOp[] {
    const ops: DashOp[] = [];
    if (this.opts !== null) this.endPeriod(null, nowMs, ops, 'restart');
    const mpdUrl = expandStreamTemplate(opts.mpdFile, opts.vhost, opts.app, opts.stream);
    const mpdPath = `${opts.dashPath}/${mpdUrl}`;
    if (mpdPath !== this.mpdPath) {
      this.reset();
      this.mpdPath = mpdPath;
      this.home = `${srsDirname(mpdPath)}/${opts.stream}`;
      this.baseUrl = `${encodeURIComponent(opts.stream)}/`;
    }
    this.opts = { ...opts, windowSize: Math.max(1, Math.floor(opts.windowSize)) };
    this.configs.clear();
    this.headerVersions.clear();
    this.stalled.clear();
    this.lastDts.clear();
    this.period = null;
    this.nextContinuous = false;
    this.changeAtNextCut = false;
    this.segmentStartMs = null;
    this.waitingSinceMs = null;
    ops.push({
      type: 'log',
      level: 'trace',
      message:
        `dash: fragment=${opts.fragmentMs}ms, update_period=${opts.updatePeriodMs}ms, window=${this.opts.windowSize}, ` +
        `timeshift=${opts.timeshiftMs}ms, cleanup=${+opts.cleanup}, mpd=${this.mpdPath}, home=${this.home}`,
    });
    return ops;
  }

  /** One frame from the source. Never throws for bad media: it is logged and skipped. */
  offer(frame: MediaFrame, nowMs: number): DashOp[] {
    const ops: DashOp[] = [];
    if (this.opts === null || frame.kind === 'data') return ops;
    if (frame.sequenceHeader) {
      this.onSequenceHeader(frame, ops);
      return ops;
    }
    this.onCodedFrame(frame, nowMs, ops);
    return ops;
  }

  /** The publisher left: close the segment being filled and update the MPD. */
  unpublish(nowMs: number): DashOp[] {
    const ops: DashOp[] = [];
    if (this.opts === null) return ops;
    this.endPeriod(null, nowMs, ops, 'unpublish');
    this.opts = null;
    return ops;
  }

  /**
   * dash_dispose: delete the MPD, every segment and init segment, and forget the timeline (a later publish
   * starts a new presentation). Numbers keep rising.
   */
  dispose(nowMs: number): DashOp[] {
    const ops: DashOp[] = [];
    if (this.opts !== null) this.endPeriod(null, nowMs, ops, 'dispose');
    for (const seg of [...this.retired, ...this.window]) for (const part of seg.parts.values()) ops.push({ type: 'delete', path: part.path });
    for (const name of this.initFiles) ops.push({ type: 'delete', path: `${this.home}/${name}` });
    if (this.mpdPath !== '') ops.push({ type: 'delete', path: this.mpdPath });
    this.window.length = 0;
    this.retired.length = 0;
    this.initFiles.clear();
    this.availabilityStartMs = null;
    this.lastEndMs = null;
    this.lastPlaced = null;
    this.nextContinuous = false;
    return ops;
  }

  /** Forget everything but the counters (no file operations): the MPD moved. */
  private reset(): void {
    this.window.length = 0;
    this.retired.length = 0;
    this.initFiles.clear();
    this.availabilityStartMs = null;
    this.lastEndMs = null;
    this.period = null;
    this.lastInit.clear();
    this.lastPlaced = null;
  }

  private warnOnce(key: string, message: string, ops: DashOp[]): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    ops.push({ type: 'log', level: 'warn', message });
  }

  // ---------------------------------------------------------------------------------------------------
  // Input

  private onSequenceHeader(frame: MediaFrame, ops: DashOp[]): void {
    const kind = frame.kind as TrackKind;
    // Same format version as this track's last header: a repeat (encoders resend headers), nothing changed
    // (issue 12 point 3). A new version is parsed once, and setConfig finds which track changed: only that
    // one gets a new init segment in the new Period.
    if (frame.formatVersion !== 0 && this.headerVersions.get(kind) === frame.formatVersion) return;
    this.headerVersions.set(kind, frame.formatVersion);
    let track: TrackInfo | null;
    try {
      track = trackFromSequenceHeader(frame);
    } catch (err) {
      ops.push({ type: 'log', level: 'warn', message: `dash: ignore a malformed ${kind} sequence header: ${errorMessage(err)}` });
      return;
    }
    if (track === null) {
      this.warnOnce(`codec:${frame.codec}`, `dash: ${kind} codec ${frame.codec} is not supported in fMP4, the track is left out`, ops);
      return;
    }
    this.setConfig(kind, track, ops);
  }

  /** A new configuration for a track; a real change moves to a new Period at the next cut. */
  private setConfig(kind: TrackKind, track: TrackInfo, ops: DashOp[]): void {
    const old = this.configs.get(kind);
    if (old !== undefined && sameTrackConfig(old, track)) return;
    this.configs.set(kind, track);
    if (this.period === null) return;
    const inPeriod = this.period.tracks.get(kind);
    if (inPeriod !== undefined && sameTrackConfig(inPeriod.track, track)) {
      // Back to the configuration the Period has: nothing to change after all.
      this.configs.set(kind, inPeriod.track);
      return;
    }
    this.requestChange(`${kind} ${inPeriod === undefined ? 'track added' : 'sequence header changed'}`, ops);
  }

  private requestChange(why: string, ops: DashOp[]): void {
    if (this.changeAtNextCut) return;
    this.changeAtNextCut = true;
    this.changeReason = why;
    ops.push({ type: 'log', level: 'trace', message: `dash: ${why}, new period at the next cut` });
  }

  private onCodedFrame(frame: MediaFrame, nowMs: number, ops: DashOp[]): void {
    const kind = frame.kind as TrackKind;
    if (frame.kind === 'audio' && (frame.codec === 'mp3' || frame.codec === 'opus')) {
      // No sequence header in FLV: the frames describe the track.
      const known = this.configs.get('audio');
      if (known === undefined || known.codec !== frame.codec) {
        let track: TrackInfo | null = null;
        try {
          track = trackFromSequenceHeader(frame);
        } catch (err) {
          this.warnOnce(`bad:${frame.codec}`, `dash: ignore ${frame.codec} frames: ${errorMessage(err)}`, ops);
        }
        if (track === null) return;
        this.setConfig('audio', track, ops);
      }
    }
    const config = this.configs.get(kind);
    if (config === undefined || config.codec !== frame.codec) {
      if (config === undefined && (frame.codec === 'h264' || frame.codec === 'h265' || frame.codec === 'aac')) {
        this.warnOnce(`nosh:${kind}`, `dash: ${kind} frames before any sequence header are dropped`, ops);
      } else {
        this.warnOnce(`codec:${frame.codec}`, `dash: ${kind} codec ${frame.codec} is not supported in fMP4, the track is left out`, ops);
      }
      return;
    }

    // A track that comes back after a stall rejoins in a new Period.
    if (this.stalled.delete(kind) && this.period !== null && !this.period.tracks.has(kind)) this.requestChange(`${kind} track resumed`, ops);

    const last = this.lastDts.get(kind);
    this.lastDts.set(kind, frame.dts);
    if (this.period !== null && last !== undefined && (frame.dts < last - DASH_JUMP_BACK_MS || frame.dts > last + DASH_JUMP_FORWARD_MS)) {
      this.endPeriod(null, nowMs, ops, `${kind} timestamp jump ${last}ms -> ${frame.dts}ms`);
      this.nextContinuous = false;
      this.lastDts.clear();
      this.lastDts.set(kind, frame.dts);
    }

    if (this.period !== null) this.maybeCut(frame, nowMs, ops);

    if (this.period === null) {
      if (!this.canStart(frame, ops)) return;
      this.startPeriod(ops);
    }
    const period = this.period!;
    const pt = period.tracks.get(kind);
    // Not in this Period (yet), or its configuration changed and the new Period has not started.
    if (pt === undefined || pt.track !== config) return;
    if (kind === period.leader && pt.samples === 0) this.segmentStartMs = frame.dts;
    try {
      pt.builder.add(frame);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      ops.push({ type: 'log', level: 'warn', message: `dash: skip a ${kind} frame at ${frame.dts}ms: ${err.message}` });
      return;
    }
    pt.samples++;
    pt.bytes += frame.size;
  }

  /** Whether this frame closes the segment being filled (and maybe the Period) before it is added. */
  private maybeCut(frame: MediaFrame, nowMs: number, ops: DashOp[]): void {
    const period = this.period!;
    const opts = this.opts!;
    const kind = frame.kind as TrackKind;
    const sap = frame.kind === 'audio' || frame.keyframe;
    // A track changed: the new Period starts at the first frame that can open it.
    if (this.changeAtNextCut && sap && this.nextLeader() === kind) {
      this.endPeriod(frame, nowMs, ops, this.changeReason);
      this.nextContinuous = true;
      return;
    }
    const stallMs = STALL_FRAGMENTS * opts.fragmentMs;
    if (kind !== period.leader) {
      // The leader went quiet (a camera turned off): go on without it rather than fill one endless segment.
      const leaderLast = this.lastDts.get(period.leader);
      if (leaderLast !== undefined && frame.dts - leaderLast >= stallMs && period.tracks.has(kind)) {
        this.stalled.add(period.leader);
        this.endPeriod(frame, nowMs, ops, `no ${period.leader} for ${frame.dts - leaderLast}ms`);
        this.nextContinuous = true;
      }
      return;
    }
    const leader = period.tracks.get(period.leader)!;
    if (leader.samples === 0 || this.segmentStartMs === null) return;
    const durationMs = frame.dts - this.segmentStartMs;
    if (!sap) {
      let bytes = 0;
      for (const t of period.tracks.values()) bytes += t.bytes;
      if (durationMs >= Math.max(10 * opts.fragmentMs, FORCE_CUT_MIN_MS) || bytes >= FORCE_CUT_BYTES) {
        this.warnOnce('nokey', `dash: no video keyframe for ${durationMs}ms, segments are cut without one`, ops);
        this.cut(frame, nowMs, ops);
      }
      return;
    }
    if (durationMs < opts.fragmentMs) return;
    // A track that already has segments in this Period must not skip a number: wait for its media, up to
    // a few fragments, then drop it from the Period.
    const empty = [...period.tracks.entries()].filter(([, t]) => t.samples === 0 && t.segments > 0).map(([k]) => k);
    if (empty.length === 0) {
      this.cut(frame, nowMs, ops);
      return;
    }
    if (durationMs < stallMs) return;
    for (const k of empty) this.stalled.add(k);
    this.endPeriod(frame, nowMs, ops, `no ${empty.join('/')} for ${durationMs}ms`);
    this.nextContinuous = true;
  }

  /** The track that will lead the next Period: video when it is known and not stalled. */
  private nextLeader(): TrackKind {
    return this.configs.has('video') && !this.stalled.has('video') ? 'video' : 'audio';
  }

  /** Whether this frame can open a new Period: a video keyframe, or any audio frame when there is no video. */
  private canStart(frame: MediaFrame, ops: DashOp[]): boolean {
    if (this.nextLeader() === 'video') {
      if (frame.kind === 'video') {
        this.waitingSinceMs = null;
        return frame.keyframe;
      }
      // Audio while waiting for a video keyframe: dropped, until video looks gone.
      this.waitingSinceMs ??= frame.dts;
      const limit = Math.max(STALL_FRAGMENTS * this.opts!.fragmentMs, WAIT_KEYFRAME_MIN_MS);
      if (frame.dts - this.waitingSinceMs < limit) return false;
      this.stalled.add('video');
      ops.push({ type: 'log', level: 'warn', message: `dash: no video keyframe for ${frame.dts - this.waitingSinceMs}ms, going on with audio only` });
    }
    this.waitingSinceMs = null;
    return frame.kind === 'audio';
  }

  // ---------------------------------------------------------------------------------------------------
  // Periods and segments

  private startPeriod(ops: DashOp[]): void {
    const id = this.nextPeriodId++;
    const tracks = new Map<TrackKind, PeriodTrack>();
    for (const kind of KINDS) {
      const config = this.configs.get(kind);
      if (config === undefined || this.stalled.has(kind)) continue;
      let codecs: string;
      try {
        codecs = codecsString(config);
      } catch (err) {
        ops.push({ type: 'log', level: 'warn', message: `dash: ${kind} left out, bad decoder configuration: ${errorMessage(err)}` });
        continue;
      }
      const withId: TrackInfo = { ...config, trackId: TRACK_IDS[kind] };
      // An unchanged track keeps its init segment; a changed one gets a new name.
      const prev = this.lastInit.get(kind);
      let initName: string;
      if (prev !== undefined && this.initFiles.has(prev.initName) && sameTrackConfig(prev.track, config)) {
        initName = prev.initName;
      } else {
        initName = id === 0 ? `${kind}-init.mp4` : `${kind}-init-${id}.mp4`;
        ops.push({ type: 'write', what: 'init', path: `${this.home}/${initName}`, data: initSegment([withId]) });
        this.initFiles.add(initName);
        this.lastInit.set(kind, { track: config, initName });
      }
      tracks.set(kind, {
        track: config,
        codecs,
        initName,
        builder: new FragmentBuilder(withId, this.nextNumber),
        samples: 0,
        bytes: 0,
        segments: 0,
      });
    }
    const leader: TrackKind = tracks.has('video') ? 'video' : 'audio';
    this.period = { id, tracks, leader, continuous: this.nextContinuous, startMs: 0, anchorMs: 0, endMs: 0, started: false };
    this.changeAtNextCut = false;
    this.segmentStartMs = null;
    const list = [...tracks.entries()].map(([k, t]) => `${k}=${t.codecs}${t.track.width ? ` ${t.track.width}x${t.track.height}` : ''}${t.track.sampleRate ? ` ${t.track.sampleRate}Hz` : ''}`);
    ops.push({ type: 'log', level: 'trace', message: `dash: period ${id} (${this.nextContinuous ? 'continuous' : 'new timeline'}), ${list.join(', ')}` });
  }

  /** Close the segment being filled (`next` is the leader frame after it) and the Period. */
  private endPeriod(next: MediaFrame | null, nowMs: number, ops: DashOp[], why: string): void {
    if (this.period === null) return;
    this.cut(next, nowMs, ops);
    ops.push({ type: 'log', level: 'trace', message: `dash: end of period ${this.period.id}: ${why}` });
    this.period = null;
    this.changeAtNextCut = false;
    this.segmentStartMs = null;
  }

  /** Write the segment being filled (every track that has media in it), slide the window, write the MPD. */
  private cut(next: MediaFrame | null, nowMs: number, ops: DashOp[]): void {
    const period = this.period!;
    const number = this.nextNumber;
    const parts = new Map<TrackKind, SegmentPart>();
    for (const [kind, pt] of period.tracks) {
      if (pt.samples === 0) continue;
      const data = pt.builder.flush({ styp: true, next: next !== null && next.kind === 'video' ? next : undefined });
      pt.samples = 0;
      pt.bytes = 0;
      if (data === null) continue;
      const timing = fragmentTiming(data);
      const path = `${this.home}/${kind}-${number}.m4s`;
      ops.push({ type: 'write', what: 'segment', path, data, number });
      // S@t is the earliest presentation time (23009-1 5.3.9.6): with B-frames, the first picture's
      // composition offset after the decode time, which is where MSE buffers it.
      parts.set(kind, { path, t: timing.earliestPresentationTime, d: timing.duration, bytes: data.length });
      pt.segments++;
    }
    this.segmentStartMs = null;
    if (parts.size === 0) return;
    this.nextNumber++;

    const ms = (kind: TrackKind, ticks: number): number => (ticks * 1000) / period.tracks.get(kind)!.track.timescale;
    const leaderPart = parts.get(period.leader);
    let durationMs = 0;
    for (const [kind, part] of parts) durationMs = Math.max(durationMs, ms(kind, part.d));
    if (leaderPart !== undefined) durationMs = ms(period.leader, leaderPart.d);

    if (!period.started) this.placePeriod(period, parts, nowMs);
    let endMediaMs = 0;
    for (const [kind, part] of parts) endMediaMs = Math.max(endMediaMs, ms(kind, part.t + part.d));
    period.endMs = period.startMs + (endMediaMs - period.anchorMs);
    this.lastEndMs = period.endMs;

    this.window.push({ number, period, parts, durationMs });
    ops.push({ type: 'log', level: 'trace', message: `dash: segment ${number} ${[...parts.keys()].join('+')} ${durationMs.toFixed(0)}ms` });
    // The MPD that no longer lists them goes first, then the files that left the window.
    const deletes = this.slideWindow();
    ops.push({ type: 'write', what: 'mpd', path: this.mpdPath, data: this.renderMpd(nowMs) }, ...deletes);
  }

  /**
   * Place a Period on the presentation timeline with its first segment: the first Period of a presentation
   * sets availabilityStartTime so that this segment ends now (it is live); a continuing Period follows the
   * timestamps; a restarted one starts now, never before the previous one ended.
   */
  private placePeriod(period: Period, parts: Map<TrackKind, SegmentPart>, nowMs: number): void {
    let anchorMs = Infinity;
    let endMediaMs = 0;
    for (const [kind, part] of parts) {
      const ts = period.tracks.get(kind)!.track.timescale;
      anchorMs = Math.min(anchorMs, Math.floor((part.t * 1000) / ts));
      endMediaMs = Math.max(endMediaMs, ((part.t + part.d) * 1000) / ts);
    }
    period.anchorMs = anchorMs;
    period.started = true;
    const previous = this.lastPlaced;
    this.lastPlaced = period;
    if (this.availabilityStartMs === null || this.lastEndMs === null) {
      this.availabilityStartMs = Math.round(nowMs - (endMediaMs - anchorMs));
      period.startMs = 0;
    } else if (period.continuous && previous !== null) {
      period.startMs = previous.startMs + (anchorMs - previous.anchorMs);
    } else {
      const wallMs = nowMs - this.availabilityStartMs - (endMediaMs - anchorMs);
      period.startMs = Math.max(this.lastEndMs, wallMs);
    }
    period.startMs = Math.max(0, Math.round(period.startMs));
  }

  /**
   * Drop what is beyond dash_window_size; returns the deletions dash_cleanup asks for. A segment's files
   * stay RETIRED_SEGMENTS more segments after the MPD stops listing it, so a player holding the previous
   * MPD still finds them (SRS keeps them longer still, up to twice the window).
   */
  private slideWindow(): DashOp[] {
    const ops: DashOp[] = [];
    const opts = this.opts!;
    while (this.window.length > opts.windowSize) this.retired.push(this.window.shift()!);
    if (!opts.cleanup) {
      this.retired.length = 0;
      return ops;
    }
    while (this.retired.length > RETIRED_SEGMENTS) {
      const gone = this.retired.shift()!;
      for (const part of gone.parts.values()) ops.push({ type: 'delete', path: part.path });
      // Init segments no remaining Period (nor the current one) uses.
      const live = [...this.retired, ...this.window];
      if (live.some((s) => s.period === gone.period) || this.period === gone.period) continue;
      const used = new Set<string>();
      for (const s of live) for (const t of s.period.tracks.values()) used.add(t.initName);
      if (this.period !== null) for (const t of this.period.tracks.values()) used.add(t.initName);
      for (const t of gone.period.tracks.values()) {
        if (used.has(t.initName) || !this.initFiles.has(t.initName)) continue;
        this.initFiles.delete(t.initName);
        ops.push({ type: 'delete', path: `${this.home}/${t.initName}` });
      }
    }
    return ops;
  }

  /** The MPD for the segments in the window. */
  renderMpd(nowMs: number): string {
    const opts = this.opts ?? { fragmentMs: 10_000, updatePeriodMs: 5_000, timeshiftMs: 300_000 };
    const periods: MpdPeriod[] = [];
    let totalMs = 0;
    let maxMs = 0;
    for (const seg of this.window) {
      totalMs += seg.durationMs;
      maxMs = Math.max(maxMs, seg.durationMs);
    }
    for (let i = 0; i < this.window.length; ) {
      const period = this.window[i]!.period;
      let j = i;
      while (j < this.window.length && this.window[j]!.period === period) j++;
      const segs = this.window.slice(i, j);
      const reps: MpdRepresentation[] = [];
      for (const [kind, pt] of period.tracks) {
        const listed = segs.filter((s) => s.parts.has(kind));
        if (listed.length === 0) continue;
        const ts = pt.track.timescale;
        let bandwidth = 0;
        for (const s of listed) {
          const p = s.parts.get(kind)!;
          if (p.d > 0) bandwidth = Math.max(bandwidth, (p.bytes * 8 * ts) / p.d);
        }
        reps.push({
          kind,
          id: kind,
          codecs: pt.codecs,
          bandwidth: Math.ceil(bandwidth / 1000) * 1000,
          width: pt.track.width,
          height: pt.track.height,
          sampleRate: pt.track.sampleRate,
          channels: pt.track.channels,
          timescale: ts,
          presentationTimeOffset: Math.floor((period.anchorMs * ts) / 1000),
          initialization: pt.initName,
          media: `${kind}-$Number$.m4s`,
          startNumber: listed[0]!.number,
          segments: listed.map((s) => ({ t: s.parts.get(kind)!.t, d: s.parts.get(kind)!.d })),
        });
      }
      periods.push({ id: String(period.id), startMs: period.startMs, representations: reps });
      i = j;
    }
    return renderMpd({
      availabilityStartTimeMs: this.availabilityStartMs ?? nowMs,
      publishTimeMs: nowMs,
      minimumUpdatePeriodMs: opts.updatePeriodMs,
      // Never more than the segments listed: older ones may already be deleted.
      timeShiftBufferDepthMs: Math.min(opts.timeshiftMs, totalMs),
      minBufferTimeMs: opts.fragmentMs,
      maxSegmentDurationMs: Math.ceil(maxMs),
      baseUrl: this.baseUrl,
      periods,
      utcTimingDirect: true,
    });
  }
}
