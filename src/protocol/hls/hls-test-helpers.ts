// Test-only (not exported from index.ts): synthetic FLV-bodied frames and streams for the HLS unit tests,
// and a driver that runs an HlsMuxer and records what each segment received.

import { audioFrameFromFlv, dataFrame, videoFrameFromFlv, type AudioFrame, type MediaFrame, type VideoFrame } from '../../kernel/media-frame.js';
import { encodeAmf0 } from '../../kernel/format/amf0.js';
import { Amf0EcmaArray } from '../../kernel/format/amf-value.js';
import { MediaFormat } from '../../kernel/media-format.js';
import type { HlsMuxer, HlsMuxerOptions, HlsOp } from './hls-muxer.js';

/** x264 High 64x48 SPS/PPS (the mpegts tests' fixture) and its avcC. */
const SPS = Buffer.from('6764000aacd9447b011000000300100000030320f1225960', 'hex');
const PPS = Buffer.from('68ebe3cb22c0', 'hex');

export function avcC(sps: Buffer = SPS, pps: Buffer = PPS): Buffer {
  const rec = Buffer.alloc(11 + sps.length + pps.length);
  rec.set([1, sps[1]!, sps[2]!, sps[3]!, 0xff, 0xe1], 0);
  rec.writeUInt16BE(sps.length, 6);
  sps.copy(rec, 8);
  rec[8 + sps.length] = 1;
  rec.writeUInt16BE(pps.length, 9 + sps.length);
  pps.copy(rec, 11 + sps.length);
  return rec;
}

function videoBody(codecId: number, keyframe: boolean, packetType: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(keyframe ? 0x10 : 0x20) | codecId, packetType, 0, 0, 0]), data]);
}

export function h264Header(dts = 0, record: Buffer = avcC()): VideoFrame {
  return videoFrameFromFlv(videoBody(7, true, 0, record), dts)!;
}

/** One H.264 picture: an IDR slice (type 5) or a non-IDR slice (type 1) with a few payload bytes. */
export function h264Frame(dts: number, keyframe: boolean): VideoFrame {
  const nalu = Buffer.from([keyframe ? 0x65 : 0x41, 0x88, 0x84, 0x21, 0xa0, (dts / 40) & 0xff]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(nalu.length);
  return videoFrameFromFlv(videoBody(7, keyframe, 1, Buffer.concat([len, nalu])), dts)!;
}

/** AAC LC 44.1 kHz stereo. */
export const ASC_44100 = Buffer.from([0x12, 0x10]);
/** AAC LC 48 kHz stereo. */
export const ASC_48000 = Buffer.from([0x11, 0x90]);

export function aacHeader(dts = 0, asc: Buffer = ASC_44100): AudioFrame {
  return audioFrameFromFlv(Buffer.concat([Buffer.from([0xaf, 0]), asc]), dts)!;
}

export function aacFrame(dts: number): AudioFrame {
  return audioFrameFromFlv(Buffer.from([0xaf, 1, 0x21, 0x10, 0x05, 0x00, 0xa0, 0x1c]), dts)!;
}

/** An MP3 frame body (the TS muxer copies it as is). */
export function mp3Frame(dts: number): AudioFrame {
  return audioFrameFromFlv(Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64, 0x00, 0x00]), dts)!;
}

export function metadata(props: Record<string, number>): MediaFrame {
  return dataFrame(encodeAmf0('onMetaData', new Amf0EcmaArray(props)), 0);
}

export interface StreamShape {
  /** Stream start, ms. */
  startMs?: number;
  durationMs: number;
  video?: boolean;
  audio?: 'aac' | 'mp3' | false;
  fps?: number;
  gopFrames?: number;
}

/** Media frames (no headers) of a synthetic live stream, in DTS order; audio at FLV-rounded AAC frame times. */
export function streamFrames(shape: StreamShape): MediaFrame[] {
  const start = shape.startMs ?? 0;
  const fps = shape.fps ?? 25;
  const gop = shape.gopFrames ?? 25;
  const frames: MediaFrame[] = [];
  if (shape.video !== false) {
    for (let i = 0; i * (1000 / fps) < shape.durationMs; i++) frames.push(h264Frame(start + Math.round((i * 1000) / fps), i % gop === 0));
  }
  const audio = shape.audio ?? 'aac';
  if (audio) {
    const step = audio === 'aac' ? (1024 * 1000) / 44100 : (1152 * 1000) / 44100;
    for (let i = 0; i * step < shape.durationMs; i++) {
      const dts = start + Math.round(i * step);
      frames.push(audio === 'aac' ? aacFrame(dts) : mp3Frame(dts));
    }
  }
  // Stable sort: video before audio at equal DTS, as encoders interleave.
  return frames.sort((a, b) => a.dts - b.dts);
}

export function options(over: Partial<HlsMuxerOptions> = {}): HlsMuxerOptions {
  return {
    vhost: '__defaultVhost__',
    app: 'live',
    stream: 'cam',
    fragmentMs: 2000,
    tdRatio: 1,
    aofRatio: 2.1,
    windowMs: 10000,
    hlsPath: '/h',
    m3u8File: '[app]/[stream].m3u8',
    tsFile: '[app]/[stream]-[seq].ts',
    tsFloor: false,
    entryPrefix: '',
    acodec: 'aac',
    vcodec: 'h264',
    cleanup: true,
    waitKeyframe: true,
    dtsDirectly: true,
    keys: false,
    fragmentsPerKey: 5,
    keyFile: '[app]/[stream]-[seq].key',
    keyFilePath: '/h',
    keyUrl: '/h',
    utcTime: true,
    ...over,
  };
}

/** Deterministic "random" bytes: 0x00, 0x01, ... continuing across calls. */
export function counterRandom(): (n: number) => Buffer {
  let next = 0;
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = next++ & 0xff;
    return b;
  };
}

/** What a run produced: all ops, and per seq the frames written and their order. */
export interface Run {
  ops: HlsOp[];
  /** Frames (media only) whose bytes went to each seq, in order. */
  framesBySeq: Map<number, MediaFrame[]>;
}

/** Feed frames at a wall clock starting at `nowMs` (advancing with the stream), collecting ops. */
/** One MediaFormat per muxer, stamping versions on the frames as LiveSource.publish does. */
const formats = new WeakMap<HlsMuxer, MediaFormat>();

export function drive(muxer: HlsMuxer, frames: MediaFrame[], run: Run = { ops: [], framesBySeq: new Map() }, nowMs = Date.UTC(2024, 2, 5, 7, 8, 9, 10)): Run {
  let seq = -1;
  let format = formats.get(muxer);
  if (format === undefined) formats.set(muxer, (format = new MediaFormat()));
  for (const input of frames) {
    const f = format.stamp(input);
    const ops = muxer.offer(f, nowMs + f.dts);
    for (const op of ops) {
      if (op.type === 'open') seq = op.seq;
      if (op.type === 'data' && f.kind !== 'data' && !f.sequenceHeader) {
        const list = run.framesBySeq.get(seq) ?? [];
        if (list[list.length - 1] !== f) list.push(f);
        run.framesBySeq.set(seq, list);
      }
    }
    run.ops.push(...ops);
  }
  return run;
}

export function lastPlaylist(ops: HlsOp[]): Extract<HlsOp, { type: 'playlist' }> | undefined {
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    if (op.type === 'playlist') return op;
  }
  return undefined;
}

export function opsOf<T extends HlsOp['type']>(ops: HlsOp[], type: T): Extract<HlsOp, { type: T }>[] {
  return ops.filter((o): o is Extract<HlsOp, { type: T }> => o.type === type);
}
