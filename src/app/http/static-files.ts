// Static files under a directory (SRS SrsHttpFileServer + SrsVodStream, urls-and-ports.md §3):
// MIME by extension, `dir/` → `dir/index.html`, HEAD, `Range: bytes=` (206/416), MP4 `?range=a-b` /
// `?bytes=a-b` and FLV `?start=<byte offset>` VOD seek, and no way out of the directory (`..`, encoded
// dots, backslashes, NUL). Files (or ranges) up to SMALL_FILE_BYTES are read in one call and sent in one
// write; bigger ones are streamed from disk with backpressure. Files held in memory (HLS, see
// app/hls/hls-memory.ts) are answered from there, one write of the shared buffer.
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream';
import type { Logger } from '../../core/logger.js';
import { sendRedirect, sendStatus, type HttpHandler, type HttpRoute } from './http-mux.js';

// SRS's table (srs_protocol_http_stack.cpp serve_file) first, then common web types it lacks.
const MIME: Record<string, string> = {
  '.ts': 'video/MP2T',
  '.flv': 'video/x-flv',
  '.m4v': 'video/x-m4v',
  '.3gpp': 'video/3gpp',
  '.3gp': 'video/3gpp',
  '.mp4': 'video/mp4',
  '.aac': 'audio/x-aac',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/x-m4a',
  '.ogg': 'audio/ogg',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.rss': 'application/rss+xml',
  '.json': 'application/json',
  '.swf': 'application/x-shockwave-flash',
  '.doc': 'application/msword',
  '.zip': 'application/zip',
  '.rar': 'application/x-rar-compressed',
  '.xml': 'text/xml',
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.jpeg': 'image/jpeg',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.mpd': 'application/dash+xml',
  '.m4s': 'video/iso.segment',
  '.mp4v': 'video/mp4',
  // Not in SRS's table.
  '.htm': 'text/html',
  '.mjs': 'text/javascript',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.opus': 'audio/ogg',
  '.wav': 'audio/wav',
  '.vtt': 'text/vtt',
  '.key': 'application/octet-stream',
  '.f4m': 'application/f4m+xml',
};

/** Content-Type for a file name (application/octet-stream when unknown, as SRS). */
export function mimeTypeOf(file: string): string {
  return MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file a request path names under `root`, or null when the path tries to leave it.
 * `pattern` is the mux pattern that matched (`/`, `/hls/`, `host.com/hls/`): its path part is the
 * virtual directory, stripped from the URL path like srs_http_fs_fullpath. `urlPath` is still
 * percent-encoded (URL.pathname); each segment is decoded once and checked.
 */
export function resolveStaticPath(root: string, pattern: string, urlPath: string): string | null {
  const slash = pattern.indexOf('/');
  const mount = slash < 0 ? '/' : pattern.slice(slash);
  let rest = urlPath;
  if (mount.length > 1 && urlPath.startsWith(mount)) rest = urlPath.slice(mount.length - 1);
  else if (mount.length > 1 && urlPath === mount.slice(0, -1)) rest = '/';
  if (!rest.startsWith('/')) rest = `/${rest}`;
  if (rest.endsWith('/')) rest += 'index.html';
  const segments: string[] = [];
  for (const encoded of rest.split('/')) {
    if (encoded === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(encoded);
    } catch {
      return null;
    }
    if (seg === '.' || seg === '..' || seg.includes('/') || seg.includes('\\') || seg.includes('\0')) return null;
    segments.push(seg);
  }
  const base = resolve(root);
  const full = join(base, ...segments);
  const rel = relative(base, full);
  if (rel.startsWith('..') || isAbsolute(rel)) return null;
  return full;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * A `Range: bytes=...` header against a file size: a range, 'unsatisfiable' (→ 416), or null to serve
 * the whole file (absent, malformed, or several ranges, which RFC 9110 §14.2 lets a server ignore).
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = header.trim().match(/^bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i);
  if (!m) return null;
  const [, a, b] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    // Suffix range: the last N bytes.
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    if (size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  let end = b === '' ? Infinity : Number(b);
  if (!Number.isSafeInteger(start) || (b !== '' && !Number.isSafeInteger(end)) || end < start) return null;
  if (start >= size) return 'unsatisfiable';
  if (end >= size) end = size - 1;
  return { start, end };
}

/**
 * SRS's MP4 VOD range from `?range=a-b`, `?bytes=a-b` (or a Range header value without `bytes=`):
 * `a-` means to the end. Returns null to serve the whole file (SRS falls back to that on bad input).
 */
export function parseMp4QueryRange(value: string, size: number): ByteRange | 'unsatisfiable' | null {
  const pos = value.indexOf('-');
  if (pos < 0) return null;
  const start = pos > 0 ? Number.parseInt(value.slice(0, pos), 10) : 0;
  let end = pos < value.length - 1 ? Number.parseInt(value.slice(pos + 1), 10) : -1;
  if (!Number.isFinite(start) || start < 0 || Number.isNaN(end) || (end !== -1 && start > end)) return null;
  if (end === -1 || end >= size) end = size - 1;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

const FLV_HEADER_SIZE = 13; // 9-byte header + PreviousTagSize0
const FLV_TAG_HEADER_SIZE = 11;

/**
 * Where the first audio and video tags (the sequence headers) of an FLV file are, as SRS's
 * SrsFlvVodStreamDecoder::read_sequence_header_summary finds them: script tags are skipped, the range
 * runs from the first A/V tag to the end of the first of each kind (with its PreviousTagSize).
 */
export async function flvSequenceHeaderRange(file: FileHandle, size: number): Promise<{ start: number; end: number } | null> {
  const head = Buffer.alloc(FLV_TAG_HEADER_SIZE);
  let pos = FLV_HEADER_SIZE;
  let gotVideo = false;
  let gotAudio = false;
  let start = -1;
  let end = -1;
  for (let tags = 0; tags < 64 && pos + FLV_TAG_HEADER_SIZE <= size; tags++) {
    const { bytesRead } = await file.read(head, 0, FLV_TAG_HEADER_SIZE, pos);
    if (bytesRead < FLV_TAG_HEADER_SIZE) break;
    const type = head[0]! & 0x1f;
    const dataSize = head.readUIntBE(1, 3);
    const next = pos + FLV_TAG_HEADER_SIZE + dataSize + 4;
    const isVideo = type === 9;
    const isAudio = type === 8;
    if (isVideo || isAudio) {
      if ((isVideo && gotVideo) || (isAudio && gotAudio)) break;
      if (isVideo) gotVideo = true;
      else gotAudio = true;
      if (start < 0) start = pos;
      end = Math.min(next, size);
      if (gotVideo && gotAudio) break;
    }
    pos = next;
  }
  return start >= 0 && end > start ? { start, end } : null;
}

/** A file held in memory: bytes shared by every response. */
export interface MemoryFileLike {
  readonly bytes: Buffer;
  readonly contentType: string;
  /** Last-Modified (HTTP date). */
  readonly modified: string;
}

/**
 * Read in one call and sent in one write up to this size (a playlist, a typical segment); bigger files
 * stream in 64 KiB pieces. Bounded because the buffer lives until a slow client has taken it all.
 */
export const SMALL_FILE_BYTES = 1024 * 1024;

export interface StaticFilesOptions {
  /** The directory (relative paths resolve against the working directory at request time). */
  dir: string;
  log: Logger;
  /** Files answered from memory when held there (absolute path → file), before the disk is touched. */
  memory?: (file: string) => MemoryFileLike | undefined;
}

/** Headers every file answer carries (disk or memory alike). */
function fileHeaders(file: string, contentType: string, modified: string): Record<string, string | number> {
  const headers: Record<string, string | number> = { 'Content-Type': contentType, 'Last-Modified': modified, 'Accept-Ranges': 'bytes' };
  // Live playlists change in place; caches must revalidate.
  const ext = extname(file).toLowerCase();
  if (ext === '.m3u8' || ext === '.mpd') headers['Cache-Control'] = 'no-cache';
  return headers;
}

/** A file from memory: the same headers, HEAD and Range as from disk; the body is one write of the shared buffer (or a view of it). */
function serveMemory(req: IncomingMessage, res: ServerResponse, file: string, mem: MemoryFileLike): void {
  const size = mem.bytes.length;
  const type = mimeTypeOf(file);
  const headers = fileHeaders(file, type === 'application/octet-stream' ? mem.contentType : type, mem.modified);
  const range = parseRangeHeader(req.headers.range, size);
  if (range === 'unsatisfiable') {
    sendStatus(res, 416, { 'Content-Range': `bytes */${size}` });
    return;
  }
  let body = mem.bytes;
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
    body = mem.bytes.subarray(range.start, range.end + 1);
  }
  headers['Content-Length'] = body.length;
  res.writeHead(range ? 206 : 200, headers);
  res.end(req.method === 'HEAD' || body.length === 0 ? undefined : body);
}

/** A mux handler serving `dir` under the pattern it is registered at. */
export function staticFilesHandler(options: StaticFilesOptions): HttpHandler {
  return (req, res, route) => serveStatic(req, res, route, options);
}

async function serveStatic(req: IncomingMessage, res: ServerResponse, route: HttpRoute, options: StaticFilesOptions): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendStatus(res, 405, { Allow: 'GET, HEAD, OPTIONS' });
    return;
  }
  const { url } = route;
  const file = resolveStaticPath(options.dir, route.pattern, url.pathname);
  if (!file) {
    sendStatus(res, 404);
    return;
  }
  const mem = options.memory?.(file);
  if (mem) {
    serveMemory(req, res, file, mem);
    return;
  }
  let handle: FileHandle;
  try {
    handle = await open(file, fsConstants.O_RDONLY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ENAMETOOLONG') options.log.warn(`http: open ${file} failed: ${code}`);
    sendStatus(res, code === 'EACCES' || code === 'EPERM' ? 403 : 404);
    return;
  }
  let handedOver = false;
  try {
    const st = await handle.stat();
    if (st.isDirectory()) {
      if (url.pathname.endsWith('/')) sendStatus(res, 404);
      else sendRedirect(res, `${url.pathname}/`, url, 302);
      return;
    }
    if (!st.isFile()) {
      sendStatus(res, 404);
      return;
    }
    const size = st.size;
    const ext = extname(file).toLowerCase();
    const headers = fileHeaders(file, mimeTypeOf(file), st.mtime.toUTCString());

    // FLV VOD seek: FLV header + sequence headers + the file from the byte offset (SrsVodStream).
    const flvStart = ext === '.flv' ? Number.parseInt(url.searchParams.get('start') ?? '', 10) : NaN;
    if (flvStart > 0) {
      if (flvStart >= size) {
        sendStatus(res, 416, { 'Content-Range': `bytes */${size}` });
        return;
      }
      const prefix = await flvSeekPrefix(handle, size);
      if (prefix) {
        headers['Content-Type'] = 'video/x-flv';
        headers['Content-Length'] = prefix.length + (size - flvStart);
        res.writeHead(200, headers);
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        res.write(prefix);
        handedOver = true;
        stream(handle, res, flvStart, size - 1, options.log, file);
        return;
      }
    }

    let range: ByteRange | 'unsatisfiable' | null = null;
    if (ext === '.mp4') {
      const q = url.searchParams.get('range') || url.searchParams.get('bytes');
      if (q) range = parseMp4QueryRange(q, size);
    }
    if (!range) range = parseRangeHeader(req.headers.range, size);
    if (range === 'unsatisfiable') {
      sendStatus(res, 416, { 'Content-Range': `bytes */${size}` });
      return;
    }
    const start = range ? range.start : 0;
    let end = range ? range.end : size - 1;
    let body: Buffer | null = null;
    if (req.method !== 'HEAD' && size > 0 && end - start + 1 <= SMALL_FILE_BYTES) {
      // One read, one write. A file that shrank since the stat is sent as far as it goes.
      body = await readRange(handle, start, end - start + 1);
      end = start + body.length - 1;
    }
    if (range) {
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
      headers['Content-Length'] = end - start + 1;
      res.writeHead(206, headers);
    } else {
      headers['Content-Length'] = body ? body.length : size;
      res.writeHead(200, headers);
    }
    if (req.method === 'HEAD' || size === 0 || body !== null) {
      res.end(body !== null && body.length > 0 ? body : undefined);
      return;
    }
    handedOver = true;
    stream(handle, res, start, end, options.log, file);
  } finally {
    if (!handedOver) await handle.close().catch(() => {});
  }
}

async function flvSeekPrefix(handle: FileHandle, size: number): Promise<Buffer | null> {
  if (size < FLV_HEADER_SIZE) return null;
  const header = Buffer.alloc(FLV_HEADER_SIZE);
  await handle.read(header, 0, FLV_HEADER_SIZE, 0);
  if (header.toString('latin1', 0, 3) !== 'FLV') return null;
  const sh = await flvSequenceHeaderRange(handle, size);
  if (!sh) return null;
  const body = Buffer.alloc(sh.end - sh.start);
  await handle.read(body, 0, body.length, sh.start);
  return Buffer.concat([header, body]);
}

/** `length` bytes from `start` (fewer if the file ends first). */
async function readRange(handle: FileHandle, start: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, start + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/** Pipe [start, end] of the file to the response; the stream owns (and closes) the handle. */
function stream(handle: FileHandle, res: ServerResponse, start: number, end: number, log: Logger, file: string): void {
  const src = handle.createReadStream({ start, end, autoClose: true, highWaterMark: 64 * 1024 });
  pipeline(src, res, (err) => {
    if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') log.warn(`http: sending ${file} failed: ${err.message}`);
  });
}
