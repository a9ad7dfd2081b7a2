// E2E helpers for HLS output: bounded polling for files, playlist parsing, decoding with ffmpeg/ffprobe.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run, type RunResult } from './harness.js';

/** Poll `check` every `intervalMs` until it returns a value (not undefined/false/null); rejects after `timeoutMs`. */
export async function pollUntil<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timeout after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface HlsEntry {
  durationSec: number;
  uri: string;
  discontinuity: boolean;
  /** The EXT-X-KEY line in force for this segment, if any. */
  key: string | null;
}

export interface HlsPlaylist {
  text: string;
  version: number;
  mediaSequence: number;
  targetDuration: number;
  entries: HlsEntry[];
}

/** Parse a media playlist (null if the file does not exist yet). */
export function readPlaylist(path: string): HlsPlaylist | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const p: HlsPlaylist = { text, version: 0, mediaSequence: -1, targetDuration: -1, entries: [] };
  let pending: Partial<HlsEntry> = {};
  let key: string | null = null;
  for (const line of lines) {
    if (line.startsWith('#EXT-X-VERSION:')) p.version = Number(line.slice(15));
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) p.mediaSequence = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) p.targetDuration = Number(line.slice(22));
    else if (line === '#EXT-X-DISCONTINUITY') pending.discontinuity = true;
    else if (line.startsWith('#EXT-X-KEY:')) key = line;
    else if (line.startsWith('#EXTINF:')) pending.durationSec = Number(line.slice(8).split(',')[0]);
    else if (line !== '' && !line.startsWith('#')) {
      p.entries.push({ durationSec: pending.durationSec ?? NaN, uri: line, discontinuity: pending.discontinuity ?? false, key });
      pending = {};
    }
  }
  return p;
}

/** Segment sequence number from a URI like `cam-12.ts`. */
export function seqOf(uri: string): number {
  return Number(/-(\d+)\.ts$/.exec(uri)?.[1] ?? NaN);
}

/**
 * Wait until the stream's HLS is finished after its publisher left: no temp files, and the playlist lists
 * the newest TS on disk.
 */
export async function waitHlsClosed(m3u8: string, stream: string, timeoutMs = 15_000): Promise<HlsPlaylist> {
  const dir = dirname(m3u8);
  return pollUntil(`${stream} HLS closed`, () => {
    const files = readdirSync(dir).filter((f) => f.startsWith(`${stream}-`) || f.startsWith(`${stream}.`));
    if (files.some((f) => f.endsWith('.tmp') || f.endsWith('.temp'))) return null;
    const p = readPlaylist(m3u8);
    if (!p || p.entries.length === 0) return null;
    const newest = Math.max(...files.filter((f) => f.endsWith('.ts')).map(seqOf));
    return seqOf(p.entries[p.entries.length - 1]!.uri) === newest ? p : null;
  }, timeoutMs);
}

/**
 * Decode every segment of a playlist with ffmpeg at `-v error` (stderr must stay empty). A live playlist
 * has no ENDLIST, so a VOD copy is written next to it (same relative URIs) and decoded from the start.
 */
export async function decodeAllSegments(m3u8: string, extraInputArgs: string[] = []): Promise<RunResult> {
  const copy = join(dirname(m3u8), `vod-${Date.now()}-${Math.floor(Math.random() * 1e6)}.m3u8`);
  writeFileSync(copy, `${readFileSync(m3u8, 'utf8')}#EXT-X-ENDLIST\n`);
  return run('ffmpeg', ['-hide_banner', '-v', 'error', ...extraInputArgs, '-i', copy, '-f', 'null', '-'], 60_000);
}

/** key_frame of the first video frame of a TS file (ffprobe). */
export async function firstVideoFrameIsKey(ts: string): Promise<boolean> {
  const r = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-read_intervals', '%+#1', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', ts]);
  if (r.code !== 0) throw new Error(`ffprobe ${ts}: ${r.stderr}`);
  return r.stdout.trim().split('\n')[0] === '1';
}
