// Test-only (not exported from index.ts): FLV-bodied frames and generated A/V streams for the DASH unit
// tests, and an in-memory file system that applies a segmenter's operations so tests can look at what is on
// "disk" after each step.

import { audioFrameFromFlv, videoFrameFromFlv, type AudioFrame, type MediaFrame, type VideoFrame } from '../../kernel/media-frame.js';
import type { DashOp, DashSegmenterOptions } from './dash-segmenter.js';
import { ErrorCode, TsrsError } from '../../core/errors.js';

/** An AVC sequence header (FLV body: keyframe, AVC, AVCPacketType 0, CTS 0, the record). */
export function avcHeader(avcC: Buffer, dts = 0): VideoFrame {
  return videoFrameFromFlv(Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0]), avcC]), dts)!;
}

/** One AVC picture: a single small NAL unit (IDR or non-IDR slice) with a 4-byte length; `ctsMs` in the header. */
export function avcPicture(dts: number, keyframe: boolean, ctsMs = 0): VideoFrame {
  const nalu = Buffer.from([keyframe ? 0x65 : 0x41, 0x9a, (dts >> 8) & 0xff, dts & 0xff]);
  const header = Buffer.from([keyframe ? 0x17 : 0x27, 1, (ctsMs >> 16) & 0xff, (ctsMs >> 8) & 0xff, ctsMs & 0xff, 0, 0, 0, nalu.length]);
  return videoFrameFromFlv(Buffer.concat([header, nalu]), dts)!;
}

/** An AAC sequence header with this AudioSpecificConfig. */
export function aacHeader(asc: Buffer, dts = 0): AudioFrame {
  return audioFrameFromFlv(Buffer.concat([Buffer.from([0xaf, 0]), asc]), dts)!;
}

/** One raw AAC frame (contents irrelevant to the segmenter). */
export function aacRaw(dts: number): AudioFrame {
  return audioFrameFromFlv(Buffer.from([0xaf, 1, 0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c]), dts)!;
}

export interface StreamShape {
  fromMs?: number;
  toMs: number;
  /** Video frames per second (0 = no video). */
  fps?: number;
  /** Frames per GOP. */
  gop?: number;
  /** AAC sample rate (0 = no audio); frames of 1024 samples, timestamps in whole ms as RTMP has them. */
  sampleRate?: number;
}

/** Coded frames of a live A/V stream in DTS order (video first on ties), without sequence headers. */
export function avFrames(shape: StreamShape): MediaFrame[] {
  const from = shape.fromMs ?? 0;
  const fps = shape.fps ?? 25;
  const gop = shape.gop ?? 25;
  const rate = shape.sampleRate ?? 44100;
  const frames: MediaFrame[] = [];
  if (fps > 0) {
    for (let i = 0; ; i++) {
      const dts = from + Math.round((i * 1000) / fps);
      if (dts >= shape.toMs) break;
      frames.push(avcPicture(dts, i % gop === 0));
    }
  }
  if (rate > 0) {
    for (let i = 0; ; i++) {
      const dts = from + Math.floor((i * 1024 * 1000) / rate);
      if (dts >= shape.toMs) break;
      frames.push(aacRaw(dts));
    }
  }
  // Stable: equal DTS keeps video (pushed first) before audio.
  return frames.sort((a, b) => a.dts - b.dts);
}

export function dashOptions(over: Partial<DashSegmenterOptions> = {}): DashSegmenterOptions {
  return {
    vhost: '__defaultVhost__',
    app: 'live',
    stream: 'cam1',
    dashPath: '/html',
    mpdFile: '[app]/[stream].mpd',
    fragmentMs: 2000,
    updatePeriodMs: 5000,
    timeshiftMs: 300_000,
    windowSize: 5,
    cleanup: true,
    ...over,
  };
}

/** Files by path, as the operations leave them; and the log lines. */
export class MemoryDisk {
  readonly files = new Map<string, Buffer | string>();
  readonly logs: string[] = [];
  readonly writes: Array<Extract<DashOp, { type: 'write' }>> = [];
  readonly deletes: string[] = [];

  apply(ops: readonly DashOp[]): this {
    for (const op of ops) {
      if (op.type === 'log') this.logs.push(`${op.level}: ${op.message}`);
      else if (op.type === 'write') {
        this.files.set(op.path, op.data);
        this.writes.push(op);
      } else {
        this.files.delete(op.path);
        this.deletes.push(op.path);
      }
    }
    return this;
  }

  /** File names under a folder, sorted. */
  list(dir: string): string[] {
    const prefix = `${dir}/`;
    return [...this.files.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length)).sort();
  }

  text(path: string): string {
    const f = this.files.get(path);
    if (f === undefined) throw new TsrsError(ErrorCode.FileNotFound, `no file ${path}`);
    return typeof f === 'string' ? f : f.toString('utf8');
  }

  buffer(path: string): Buffer {
    const f = this.files.get(path);
    if (f === undefined) throw new TsrsError(ErrorCode.FileNotFound, `no file ${path}`);
    return typeof f === 'string' ? Buffer.from(f) : f;
  }
}

/** `<S>` elements of the Representation with this id in a Period of an MPD text, expanded to t/d pairs. */
export function timelineOf(mpd: string, repId: string, periodId?: string): { startNumber: number; pto: number; timescale: number; init: string; segments: Array<{ t: number; d: number }> } | null {
  let text = mpd;
  if (periodId !== undefined) {
    const m = new RegExp(`<Period id="${periodId}"[\\s\\S]*?</Period>`).exec(mpd);
    if (m === null) return null;
    text = m[0];
  }
  const rep = new RegExp(`<Representation id="${repId}"[\\s\\S]*?</Representation>`).exec(text);
  if (rep === null) return null;
  const tpl = /<SegmentTemplate ([^>]*)>/.exec(rep[0])!;
  const attr = (name: string): string | undefined => new RegExp(`\\b${name}="([^"]*)"`).exec(tpl[1]!)?.[1];
  const segments: Array<{ t: number; d: number }> = [];
  let next = 0;
  for (const s of rep[0].matchAll(/<S( t="(\d+)")? d="(\d+)"( r="(\d+)")?\/>/g)) {
    let t = s[2] !== undefined ? Number(s[2]) : next;
    const d = Number(s[3]);
    const r = s[5] !== undefined ? Number(s[5]) : 0;
    for (let i = 0; i <= r; i++) {
      segments.push({ t, d });
      t += d;
    }
    next = t;
  }
  return {
    startNumber: Number(attr('startNumber')),
    pto: Number(attr('presentationTimeOffset') ?? 0),
    timescale: Number(attr('timescale')),
    init: attr('initialization')!,
    segments,
  };
}
