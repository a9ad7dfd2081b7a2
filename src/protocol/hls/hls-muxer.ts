// The HLS muxer of one stream, sans-I/O: MediaFrames in, file operations out (open/write/close a TS
// segment, write a key, write the playlist, delete expired files). The app layer performs them in order.
// It owns the reap decisions of SRS's SrsHlsController/SrsHlsMuxer (srs_app_hls.cpp) and the window of
// SrsFragmentWindow (srs_app_fragment.cpp); behaviours.md §9 is the contract.
//
// Lifetime: one instance per stream URL for the life of the process, so [seq], the window and the key
// survive a republish (SRS 5 never frees a source); `publish()`/`unpublish()` bracket each publish.
//
// Segmenting (SRS):
// - a segment's duration runs from its smallest to its largest DTS; the frame that triggers a reap counts
//   in the segment it closes, so consecutive durations tile the timeline;
// - video reaps when duration ≥ hls_fragment × hls_td_ratio (+ the hls_ts_floor allowance) at a keyframe
//   (any frame with hls_wait_keyframe off); audio reaps when duration ≥ hls_fragment × hls_aof_ratio, the
//   only trigger of a pure-audio stream; neither below 200 ms;
// - a segment under 100 ms is dropped and its seq reused.
//
// Discontinuities: the first segment of each publish (SRS marks it when the sequence headers arrive), and
// beyond SRS a cut plus #EXT-X-DISCONTINUITY when, mid-publish, a sequence header changes, a codec or track
// changes, or a track's timestamps jump (back > 250 ms or forward > 10 s). Repeated identical sequence
// headers do not count (SRS would mark the segment).

import { decodeAmf0 } from '../../kernel/format/amf0.js';
import { Amf0EcmaArray, type Amf0Value } from '../../kernel/format/amf-value.js';
import { TsMuxer, type TsAudioCodec, type TsVideoCodec } from '../../kernel/format/mpegts/index.js';
import { retimed, type AudioFrame, type DataFrame, type MediaFrame, type VideoFrame } from '../../kernel/media-frame.js';
import { AacDtsRebuilder } from './aac-dts.js';
import { expiredCount, renderMediaPlaylist, type MediaPlaylist, type PlaylistEntry, type PlaylistKey } from './playlist.js';
import { expandDuration, expandSeq, expandStreamTemplate, expandTimeTemplate, replaceAll, segmentUri } from './template.js';
import { TsFloor } from './ts-floor.js';
import { ErrorCode, TsrsError } from '../../core/errors.js';

/** The hls { } settings one publish runs with (the app maps the vhost config onto this). */
export interface HlsMuxerOptions {
  readonly vhost: string;
  readonly app: string;
  readonly stream: string;
  readonly fragmentMs: number;
  readonly tdRatio: number;
  readonly aofRatio: number;
  readonly windowMs: number;
  readonly hlsPath: string;
  readonly m3u8File: string;
  readonly tsFile: string;
  readonly tsFloor: boolean;
  readonly entryPrefix: string;
  readonly acodec: 'aac' | 'mp3' | 'an';
  readonly vcodec: 'h264' | 'vn';
  readonly cleanup: boolean;
  readonly waitKeyframe: boolean;
  readonly dtsDirectly: boolean;
  readonly keys: boolean;
  readonly fragmentsPerKey: number;
  readonly keyFile: string;
  readonly keyFilePath: string;
  readonly keyUrl: string;
  /** `utc_time`: date variables in UTC instead of local time. */
  readonly utcTime: boolean;
}

/** AES-128 parameters of one segment (RFC 8216 §5.2: CBC, PKCS7 padding, IV from the playlist). */
export interface SegmentCipher {
  readonly key: Buffer;
  readonly iv: Buffer;
}

/** A file operation for the app, to be executed in order. Paths are as configured (hls_path + "/" + file). */
export type HlsOp =
  /** Write a 16-byte AES key file (before the segment that uses it). */
  | { readonly type: 'key'; readonly path: string; readonly key: Buffer }
  /** Create `tmpPath`; with a cipher, everything written to it is AES-128-CBC encrypted. */
  | { readonly type: 'open'; readonly seq: number; readonly tmpPath: string; readonly cipher: SegmentCipher | null }
  /** Append TS bytes to the open segment. */
  | { readonly type: 'data'; readonly seq: number; readonly bytes: Buffer }
  /** Finish the segment (flush padding) and rename `tmpPath` to `path`. */
  | { readonly type: 'close'; readonly seq: number; readonly tmpPath: string; readonly path: string; readonly uri: string; readonly durationMs: number }
  /** Finish the segment and delete it: under 100 ms. */
  | { readonly type: 'discard'; readonly seq: number; readonly tmpPath: string; readonly durationMs: number }
  /** Render (`renderMediaPlaylist`) and write atomically: `<path>.temp` then rename. */
  | { readonly type: 'playlist'; readonly path: string; readonly playlist: MediaPlaylist }
  /** Delete a file: a segment or key that left the window (hls_cleanup), or everything (dispose). */
  | { readonly type: 'delete'; readonly path: string; readonly reason: 'cleanup' | 'dispose' }
  /** Something worth a log line (the app logs it with the stream's context). */
  | { readonly type: 'log'; readonly level: 'trace' | 'warn'; readonly message: string };

/** SRS_HLS_SEGMENT_MIN_DURATION */
export const HLS_MIN_SEGMENT_MS = 100;
/** A track whose DTS steps back more than this is treated as a timestamp reset (discontinuity). */
export const HLS_JUMP_BACK_MS = 250;
/** A track whose DTS steps forward more than this is treated as a gap (discontinuity). */
export const HLS_JUMP_FORWARD_MS = 10_000;

/** The codecs the TS of the current segments carries ('none' = track absent). */
export interface HlsTracks {
  readonly video: TsVideoCodec;
  readonly audio: TsAudioCodec;
}

interface OpenSegment {
  readonly seq: number;
  /** hls_path + "/" + ts file, [duration] still unexpanded. */
  readonly path: string;
  readonly tmpPath: string;
  readonly uri: string;
  readonly discontinuity: boolean;
  readonly key: PlaylistKey | null;
  readonly keyPath: string | null;
  startDts: number;
  endDts: number;
  /** Bytes of PES data (tables excluded): a segment without any is never kept. */
  mediaBytes: number;
}

interface WindowSegment extends PlaylistEntry {
  readonly path: string;
  readonly keyPath: string | null;
}

interface CurrentKey {
  readonly bytes: Buffer;
  readonly iv: Buffer;
  readonly uri: string;
  readonly path: string;
}

/** Metadata hints (onMetaData videocodecid/audiocodecid) used to decide the tracks before both appear. */
interface MetaHints {
  video: TsVideoCodec;
  audio: TsAudioCodec;
}

export class HlsMuxer {
  private opts: HlsMuxerOptions | null = null;
  private active = false;
  private nextSeq = 0;
  private readonly window: WindowSegment[] = [];
  private current: OpenSegment | null = null;
  private key: CurrentKey | null = null;
  // Per publish:
  private m3u8Url = '';
  private m3u8Path = '';
  private maxTdMs = 0;
  private ts: TsMuxer | null = null;
  private tracks: HlsTracks | null = null;
  private videoHeader: VideoFrame | null = null;
  private audioHeader: AudioFrame | null = null;
  private aacSampleRate = 0;
  private meta: MetaHints | null = null;
  private lastVideoDts: number | null = null;
  private lastAudioDts: number | null = null;
  private pendingDiscontinuity = false;
  private floor = new TsFloor();
  private aacDts = new AacDtsRebuilder();
  /** Frames HLS cannot carry (codecs other than H.264/H.265/AAC/MP3). */
  ignoredFrames = 0;

  /** @param random source of key and IV bytes (crypto-strength in the app, fixed in tests). */
  constructor(private readonly random: (n: number) => Buffer) {}

  /** The seq the next segment will get. */
  get sequenceNo(): number {
    return this.nextSeq;
  }

  get isPublishing(): boolean {
    return this.active;
  }

  /** Current segment's URI (for logs), '' when none is open. */
  get currentUri(): string {
    return this.current?.uri ?? '';
  }

  get currentDurationMs(): number {
    return this.current ? this.current.endDts - this.current.startDts : 0;
  }

  /** The tracks of the TS being written (null before the first media frame of a publish). */
  get currentTracks(): HlsTracks | null {
    return this.tracks;
  }

  /** Path of the playlist (hls_path + "/" + m3u8 file). */
  get playlistPath(): string {
    return this.m3u8Path;
  }

  /** Segments in the playlist, oldest first. */
  get segments(): readonly PlaylistEntry[] {
    return this.window;
  }

  /** hls_ts_floor deviation in pieces (0 without floor). */
  get deviation(): number {
    return this.opts?.tsFloor ? this.floor.deviation : 0;
  }

  /** A publish starts (or restarts after a reload) with these settings. */
  publish(opts: HlsMuxerOptions): void {
    if (this.active) throw new TsrsError(ErrorCode.SystemAssert, 'HlsMuxer.publish while publishing');
    this.opts = opts;
    this.active = true;
    this.m3u8Url = expandStreamTemplate(opts.m3u8File, opts.vhost, opts.app, opts.stream);
    this.m3u8Path = `${opts.hlsPath}/${this.m3u8Url}`;
    // srs_utime_t is integer µs: fragment × ratio truncates there (10 s × 1.1 is 11 s, not 11.000000000000002).
    this.maxTdMs = Math.trunc(opts.fragmentMs * 1000 * opts.tdRatio) / 1000;
    this.ts = null;
    this.tracks = null;
    this.videoHeader = null;
    this.audioHeader = null;
    this.aacSampleRate = 0;
    this.meta = null;
    this.lastVideoDts = null;
    this.lastAudioDts = null;
    this.pendingDiscontinuity = true;
    this.floor = new TsFloor();
    this.aacDts = new AacDtsRebuilder();
  }

  /** The publisher left: close the current segment and update the playlist (files are kept). */
  unpublish(): HlsOp[] {
    const ops: HlsOp[] = [];
    if (!this.active) return ops;
    this.closeSegment(ops);
    this.active = false;
    this.ts = null;
    return ops;
  }

  /**
   * Stop this publish without keeping the open segment (the app could not write it): no playlist update,
   * the segment's number is not reused.
   */
  abort(): HlsOp[] {
    if (!this.active) return [];
    const seg = this.current;
    this.current = null;
    this.active = false;
    this.ts = null;
    return seg ? [{ type: 'discard', seq: seg.seq, tmpPath: seg.tmpPath, durationMs: seg.endDts - seg.startDts }] : [];
  }

  /**
   * hls_dispose: delete the playlist, every segment in the window and their keys, and forget them. The
   * seq keeps counting.
   */
  dispose(): HlsOp[] {
    const ops = this.unpublish();
    const keys = new Set<string>();
    for (const s of this.window) {
      ops.push({ type: 'delete', path: s.path, reason: 'dispose' });
      if (s.keyPath !== null) keys.add(s.keyPath);
    }
    if (this.key) keys.add(this.key.path);
    for (const k of keys) ops.push({ type: 'delete', path: k, reason: 'dispose' });
    if (this.m3u8Path !== '') ops.push({ type: 'delete', path: this.m3u8Path, reason: 'dispose' });
    this.window.length = 0;
    this.key = null;
    return ops;
  }

  /**
   * A segment could not be written (the app reports it): drop it from the playlist and rewrite the
   * playlist without it (or delete the playlist if nothing is left).
   */
  forgetSegment(seq: number): HlsOp[] {
    const i = this.window.findIndex((s) => s.seq === seq);
    if (i < 0) return [];
    this.window.splice(i, 1);
    const ops: HlsOp[] = [];
    this.pushPlaylist(ops);
    if (this.window.length === 0 && this.m3u8Path !== '') ops.push({ type: 'delete', path: this.m3u8Path, reason: 'cleanup' });
    return ops;
  }

  /** Feed one frame at wall-clock `nowMs` (used only for file-name variables). */
  offer(frame: MediaFrame, nowMs: number): HlsOp[] {
    const ops: HlsOp[] = [];
    if (!this.active) return ops;
    if (frame.kind === 'data') this.onData(frame);
    else if (frame.kind === 'video') this.onVideo(frame, nowMs, ops);
    else this.onAudio(frame, nowMs, ops);
    return ops;
  }

  private onData(frame: DataFrame): void {
    if (this.tracks !== null) return;
    const hints = metaHints(frame.payload);
    if (hints) this.meta = hints;
  }

  private onVideo(frame: VideoFrame, nowMs: number, ops: HlsOp[]): void {
    const opts = this.opts!;
    if (opts.vcodec === 'vn') return;
    if (frame.codec !== 'h264' && frame.codec !== 'h265') {
      this.ignoredFrames++;
      return;
    }
    if (frame.sequenceHeader) {
      this.onVideoHeader(frame, ops);
      return;
    }
    if (!isCodedVideo(frame)) return;
    this.ensureTracks(frame, ops);
    if (jumped(this.lastVideoDts, frame.dts)) this.cutForJump('video', this.lastVideoDts!, frame.dts, ops);
    this.lastVideoDts = frame.dts;
    this.write(frame, nowMs, ops);
  }

  private onAudio(frame: AudioFrame, nowMs: number, ops: HlsOp[]): void {
    const opts = this.opts!;
    if (opts.acodec === 'an') return;
    if (frame.codec !== 'aac' && frame.codec !== 'mp3') {
      this.ignoredFrames++;
      return;
    }
    if (frame.sequenceHeader) {
      this.onAudioHeader(frame, ops);
      return;
    }
    if (frame.view.raw.length === 0) return;
    this.ensureTracks(frame, ops);
    if (jumped(this.lastAudioDts, frame.dts)) this.cutForJump('audio', this.lastAudioDts!, frame.dts, ops);
    this.lastAudioDts = frame.dts;
    let f = frame;
    if (!opts.dtsDirectly && frame.codec === 'aac' && this.aacSampleRate > 0) {
      f = retimed(frame, this.aacDts.next(frame.dts, this.aacSampleRate));
    }
    this.write(f, nowMs, ops);
  }

  private onVideoHeader(frame: VideoFrame, ops: HlsOp[]): void {
    const prev = this.videoHeader;
    this.videoHeader = frame;
    // The codec bytes, not the format version: the version also moves for the other track's changes.
    if (prev !== null && (prev.codec !== frame.codec || !prev.view.data.equals(frame.view.data))) this.cut(ops, 'video sequence header changed');
    if (this.ts && this.tracks?.video === frame.codec) this.ts.mux(frame);
  }

  private onAudioHeader(frame: AudioFrame, ops: HlsOp[]): void {
    const prev = this.audioHeader;
    this.audioHeader = frame;
    // Parsed once per header frame by its codec view; a broken config gives 0 (the TS muxer drops the frames too).
    this.aacSampleRate = frame.view.track()?.asc?.sampleRate ?? 0;
    if (prev !== null && (prev.codec !== frame.codec || !prev.view.raw.equals(frame.view.raw))) this.cut(ops, 'audio sequence header changed');
    if (this.ts && this.tracks?.audio === 'aac') this.ts.mux(frame);
  }

  /** Decide the TS tracks at the first media frame; a new track or codec later means a new TS and a cut. */
  private ensureTracks(frame: VideoFrame | AudioFrame, ops: HlsOp[]): void {
    if (this.tracks === null) {
      this.tracks = this.initialTracks(frame);
      this.ts = this.newTsMuxer(this.tracks);
      ops.push({ type: 'log', level: 'trace', message: `hls: tracks video=${this.tracks.video}, audio=${this.tracks.audio}` });
      return;
    }
    let { video, audio } = this.tracks;
    if (frame.kind === 'video') video = frame.codec as TsVideoCodec;
    else audio = frame.codec as TsAudioCodec;
    if (video === this.tracks.video && audio === this.tracks.audio) return;
    const was = this.tracks;
    this.cut(ops, `tracks changed from video=${was.video}, audio=${was.audio} to video=${video}, audio=${audio}`);
    this.tracks = { video, audio };
    this.ts = this.newTsMuxer(this.tracks);
  }

  private initialTracks(first: VideoFrame | AudioFrame): HlsTracks {
    const opts = this.opts!;
    let video: TsVideoCodec = 'none';
    if (opts.vcodec !== 'vn') {
      if (first.kind === 'video') video = first.codec as TsVideoCodec;
      else if (this.videoHeader) video = this.videoHeader.codec as TsVideoCodec;
      else if (this.meta) video = this.meta.video;
    }
    let audio: TsAudioCodec = 'none';
    if (opts.acodec !== 'an') {
      if (first.kind === 'audio') audio = first.codec as TsAudioCodec;
      else if (this.audioHeader) audio = 'aac';
      else if (this.meta) audio = this.meta.audio;
    }
    return { video, audio };
  }

  private newTsMuxer(tracks: HlsTracks): TsMuxer {
    const ts = new TsMuxer({ videoCodec: tracks.video, audioCodec: tracks.audio });
    if (this.videoHeader && this.videoHeader.codec === tracks.video) ts.mux(this.videoHeader);
    if (this.audioHeader && tracks.audio === 'aac') ts.mux(this.audioHeader);
    return ts;
  }

  private cutForJump(track: string, from: number, to: number, ops: HlsOp[]): void {
    this.cut(ops, `${track} timestamp jump ${from}ms -> ${to}ms`);
  }

  /** Close the current segment and start the next one with #EXT-X-DISCONTINUITY. */
  private cut(ops: HlsOp[], why: string): void {
    ops.push({ type: 'log', level: 'trace', message: `hls: discontinuity, ${why}` });
    this.closeSegment(ops);
    this.pendingDiscontinuity = true;
  }

  private write(frame: VideoFrame | AudioFrame, nowMs: number, ops: HlsOp[]): void {
    const opts = this.opts!;
    const cur = this.current;
    if (cur !== null) {
      // As SRS, the frame's DTS extends the segment before the overflow test, so the frame that triggers a
      // reap ends the old segment and starts the new one.
      extend(cur, frame.dts);
      const reap =
        frame.kind === 'video'
          ? this.overflow(cur, this.maxTdMs) && (!opts.waitKeyframe || frame.keyframe)
          : this.overflow(cur, opts.fragmentMs * opts.aofRatio);
      if (reap) this.closeSegment(ops);
    }
    if (this.current === null) this.openSegment(nowMs, ops);
    const seg = this.current!;
    const bytes = this.ts!.mux(frame);
    if (bytes.length === 0) return;
    if (seg.mediaBytes === 0) {
      // Every segment starts with PAT/PMT so it decodes alone (a keyframe brings its own).
      if (!startsWithPat(bytes)) ops.push({ type: 'data', seq: seg.seq, bytes: this.ts!.tables() });
      seg.startDts = frame.dts;
      seg.endDts = frame.dts;
    } else {
      extend(seg, frame.dts);
    }
    seg.mediaBytes += bytes.length;
    ops.push({ type: 'data', seq: seg.seq, bytes });
  }

  private overflow(seg: OpenSegment, limitMs: number): boolean {
    const duration = seg.endDts - seg.startDts;
    if (seg.mediaBytes === 0 || duration < 2 * HLS_MIN_SEGMENT_MS) return false;
    const allowance = this.opts!.tsFloor ? this.floor.reapAllowanceMs(this.opts!.fragmentMs) : 0;
    return duration >= limitMs + allowance;
  }

  private openSegment(nowMs: number, ops: HlsOp[]): void {
    const opts = this.opts!;
    const seq = this.nextSeq++;
    const { vhost, app, stream } = opts;

    let key: PlaylistKey | null = null;
    let keyPath: string | null = null;
    let cipher: SegmentCipher | null = null;
    if (opts.keys) {
      const perKey = Math.max(1, Math.trunc(opts.fragmentsPerKey));
      if (seq % perKey === 0 || this.key === null) {
        const keyFile = expandSeq(expandStreamTemplate(opts.keyFile, vhost, app, stream), seq);
        this.key = {
          bytes: this.random(16),
          iv: this.random(16),
          // hls_key_url is a prefix glued on without a separator (config.md §3.13); empty → the file name.
          uri: opts.keyUrl !== '' ? opts.keyUrl + keyFile : keyFile,
          path: `${opts.keyFilePath}/${keyFile}`,
        };
        ops.push({ type: 'key', path: this.key.path, key: this.key.bytes });
      }
      key = { uri: this.key!.uri, iv: this.key!.iv };
      keyPath = this.key!.path;
      cipher = { key: this.key!.bytes, iv: this.key!.iv };
    }

    let tsFile = expandStreamTemplate(opts.tsFile, vhost, app, stream);
    if (opts.tsFloor) {
      const piece = this.floor.next(nowMs, opts.fragmentMs);
      if (piece.warning) ops.push({ type: 'log', level: 'warn', message: piece.warning });
      tsFile = replaceAll(tsFile, '[timestamp]', String(piece.timestamp));
    }
    tsFile = expandSeq(expandTimeTemplate(tsFile, nowMs, opts.utcTime), seq);
    const path = `${opts.hlsPath}/${tsFile}`;
    const seg: OpenSegment = {
      seq,
      path,
      tmpPath: `${path}.tmp`,
      uri: segmentUri(path, this.m3u8Path, this.m3u8Url, opts.entryPrefix),
      discontinuity: this.pendingDiscontinuity,
      key,
      keyPath,
      startDts: 0,
      endDts: 0,
      mediaBytes: 0,
    };
    this.pendingDiscontinuity = false;
    this.current = seg;
    ops.push({ type: 'open', seq, tmpPath: seg.tmpPath, cipher });
  }

  private closeSegment(ops: HlsOp[]): void {
    const seg = this.current;
    if (seg === null) return;
    this.current = null;
    const opts = this.opts!;
    const durationMs = Math.trunc(seg.endDts - seg.startDts);
    if (seg.mediaBytes === 0 || durationMs < HLS_MIN_SEGMENT_MS) {
      // Too short to play; SRS drops it and reuses its number.
      this.nextSeq--;
      if (seg.discontinuity) this.pendingDiscontinuity = true;
      ops.push({ type: 'discard', seq: seg.seq, tmpPath: seg.tmpPath, durationMs });
      ops.push({ type: 'log', level: 'trace', message: `Drop ts segment, sequence_no=${seg.seq}, uri=${seg.uri}, duration=${durationMs}ms` });
    } else {
      const path = expandDuration(seg.path, durationMs);
      const uri = expandDuration(seg.uri, durationMs);
      ops.push({ type: 'close', seq: seg.seq, tmpPath: seg.tmpPath, path, uri, durationMs });
      this.window.push({ seq: seg.seq, durationMs, uri, discontinuity: seg.discontinuity, key: seg.key, path, keyPath: seg.keyPath });
    }
    const expired = this.window.splice(0, expiredCount(this.window.map((s) => s.durationMs), opts.windowMs));
    this.pushPlaylist(ops);
    if (opts.cleanup) {
      for (const s of expired) ops.push({ type: 'delete', path: s.path, reason: 'cleanup' });
      // Beyond SRS (which never deletes keys): a key file goes once no listed segment uses it.
      const live = new Set<string>();
      for (const s of this.window) if (s.keyPath !== null) live.add(s.keyPath);
      if (this.key) live.add(this.key.path);
      const gone = new Set<string>();
      for (const s of expired) if (s.keyPath !== null && !live.has(s.keyPath)) gone.add(s.keyPath);
      for (const k of gone) ops.push({ type: 'delete', path: k, reason: 'cleanup' });
    }
  }

  private pushPlaylist(ops: HlsOp[]): void {
    if (this.window.length === 0 || this.m3u8Path === '') return;
    const entries: PlaylistEntry[] = this.window.map(({ seq, durationMs, uri, discontinuity, key }) => ({ seq, durationMs, uri, discontinuity, key }));
    ops.push({ type: 'playlist', path: this.m3u8Path, playlist: { entries, minTargetMs: this.maxTdMs } });
  }
}

function extend(seg: OpenSegment, dts: number): void {
  // SrsFragment::append: the start follows the smallest DTS (audio may trail video slightly).
  if (dts < seg.startDts) seg.startDts = dts;
  if (dts > seg.endDts) seg.endDts = dts;
}

/** The TS bytes begin with a PAT packet (PID 0 with payload_unit_start). */
function startsWithPat(ts: Buffer): boolean {
  return ts.length >= 4 && ts[0] === 0x47 && (ts[1]! & 0x5f) === 0x40 && ts[2] === 0;
}

function jumped(last: number | null, dts: number): boolean {
  return last !== null && (dts < last - HLS_JUMP_BACK_MS || dts > last + HLS_JUMP_FORWARD_MS);
}

/** A picture (not a sequence header, end of sequence or metadata packet), from the frame's codec view. */
function isCodedVideo(frame: VideoFrame): boolean {
  return frame.view.packet === 'coded' && frame.view.data.length > 0;
}

const VIDEO_CODEC_IDS: Record<string, TsVideoCodec> = { '7': 'h264', '12': 'h265', avc1: 'h264', hvc1: 'h265' };
const AUDIO_CODEC_IDS: Record<string, TsAudioCodec> = { '10': 'aac', '2': 'mp3', mp4a: 'aac', '.mp3': 'mp3' };
const FOURCC_AVC1 = 0x61766331;
const FOURCC_HVC1 = 0x68766331;
const FOURCC_MP4A = 0x6d703461;

/** Track hints from an onMetaData payload (`onMetaData, {…}`), null when it is some other data message. */
export function metaHints(payload: Buffer): MetaHints | null {
  let values: Amf0Value[];
  try {
    values = decodeAmf0(payload);
  } catch {
    return null;
  }
  if (values[0] !== 'onMetaData') return null;
  const obj = values[1];
  let props: Record<string, Amf0Value>;
  if (obj instanceof Amf0EcmaArray) props = obj.entries;
  else if (obj !== null && typeof obj === 'object' && !Array.isArray(obj) && !(obj instanceof Date)) props = obj;
  else return null;
  return { video: codecHint(props.videocodecid, VIDEO_CODEC_IDS, 'none'), audio: codecHint(props.audiocodecid, AUDIO_CODEC_IDS, 'none') };
}

function codecHint<T extends string>(v: Amf0Value, table: Record<string, T>, none: T): T {
  if (typeof v === 'number') {
    // Enhanced RTMP writes FourCCs as numbers.
    if (v === FOURCC_AVC1) return (table.avc1 ?? none) as T;
    if (v === FOURCC_HVC1) return (table.hvc1 ?? none) as T;
    if (v === FOURCC_MP4A) return (table.mp4a ?? none) as T;
    return table[String(v)] ?? none;
  }
  if (typeof v === 'string') return table[v] ?? none;
  return none;
}
