// E2E helpers for DASH output: reading MPDs written by tsrs, checking segments with ffprobe, decoding with ffmpeg.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timelineOf } from '../../src/protocol/dash/dash-test-helpers.js';
import { run, type RunResult } from './harness.js';

export interface MpdTrack {
  startNumber: number;
  timescale: number;
  init: string;
  segments: Array<{ number: number; t: number; d: number }>;
}

export interface MpdInfo {
  text: string;
  periods: number;
  video: MpdTrack | null;
  audio: MpdTrack | null;
}

/** The last Period's tracks of an MPD file (null while it does not exist). */
export function readMpd(path: string): MpdInfo | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  const periodIds = [...text.matchAll(/<Period id="([^"]+)"/g)].map((m) => m[1]!);
  const last = periodIds[periodIds.length - 1];
  const track = (id: string): MpdTrack | null => {
    const tl = last === undefined ? null : timelineOf(text, id, last);
    if (tl === null) return null;
    return { startNumber: tl.startNumber, timescale: tl.timescale, init: tl.init, segments: tl.segments.map((s, i) => ({ number: tl.startNumber + i, ...s })) };
  };
  return { text, periods: periodIds.length, video: track('video'), audio: track('audio') };
}

/** Files of a folder that are not temp files, sorted; [] when it does not exist. */
export function filesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => !f.endsWith('.tmp')).sort();
}

/** Whether any write is in progress in a folder (a temp file exists). */
export function writing(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.tmp'));
}

/** Frames of one media segment played after its init segment (ffprobe), as key flags and pts. */
export async function segmentFrames(home: string, kind: 'video' | 'audio', init: string, n: number, scratch: string): Promise<{ key: boolean[]; first: number }> {
  const joined = join(scratch, `${kind}-${n}-${Date.now()}.mp4`);
  writeFileSync(joined, Buffer.concat([readFileSync(join(home, init)), readFileSync(join(home, `${kind}-${n}.m4s`))]));
  const r = await run('ffprobe', ['-v', 'error', '-show_entries', 'frame=key_frame,pts_time', '-of', 'json', joined]);
  if (r.code !== 0) throw new Error(`ffprobe ${joined}: ${r.stderr}`);
  const frames = (JSON.parse(r.stdout) as { frames: Array<{ key_frame: number; pts_time: string }> }).frames;
  return { key: frames.map((f) => f.key_frame === 1), first: Number(frames[0]?.pts_time ?? NaN) };
}

/** ffmpeg's DASH demuxer reading a live MPD (a file path or an http:// URL) for `seconds`, decoding everything. */
export function decodeMpd(mpd: string, seconds: number): Promise<RunResult> {
  return run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', mpd, '-t', String(seconds), '-f', 'null', '-'], 60_000);
}

export async function probeMpd(mpd: string): Promise<Array<{ codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string }>> {
  const r = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height,sample_rate', '-of', 'json', mpd], 60_000);
  if (r.code !== 0) throw new Error(`ffprobe ${mpd} failed (${r.code ?? r.signal}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { streams: Array<{ codec_type: string; codec_name: string }> }).streams;
}
