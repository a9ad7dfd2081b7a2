// SRS path templates for HLS files (config.md §4): literal substring replacement, every occurrence,
// in SRS's order — stream identity first (srs_path_build_stream), then wall-clock variables
// (srs_path_build_timestamp), then [seq]; [duration] is substituted when the segment is closed.
// The time is an argument: this layer never reads a clock.

/** Replace every occurrence of `from` (SRS's srs_string_replace: left to right, no re-scan of the insert). */
export function replaceAll(s: string, from: string, to: string): string {
  if (from === to || from.length === 0) return s;
  return s.split(from).join(to);
}

/** `[vhost]`, `[app]`, `[stream]`. */
export function expandStreamTemplate(template: string, vhost: string, app: string, stream: string): string {
  let s = replaceAll(template, '[vhost]', vhost);
  s = replaceAll(s, '[app]', app);
  return replaceAll(s, '[stream]', stream);
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * `[2006] [01] [02] [15] [04] [05] [999]` (year, month, day, hour, minute, second, millisecond, Go-style
 * layout) in local time or UTC (`utc_time on`), and `[timestamp]` = Unix time in ms unless the caller
 * already replaced it (hls_ts_floor does).
 */
export function expandTimeTemplate(template: string, nowMs: number, utc: boolean): string {
  if (!template.includes('[')) return template;
  const d = new Date(nowMs);
  const year = utc ? d.getUTCFullYear() : d.getFullYear();
  const month = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
  const day = utc ? d.getUTCDate() : d.getDate();
  const hour = utc ? d.getUTCHours() : d.getHours();
  const minute = utc ? d.getUTCMinutes() : d.getMinutes();
  const second = utc ? d.getUTCSeconds() : d.getSeconds();
  const ms = utc ? d.getUTCMilliseconds() : d.getMilliseconds();
  let s = replaceAll(template, '[2006]', pad(year, 4));
  s = replaceAll(s, '[01]', pad(month, 2));
  s = replaceAll(s, '[02]', pad(day, 2));
  s = replaceAll(s, '[15]', pad(hour, 2));
  s = replaceAll(s, '[04]', pad(minute, 2));
  s = replaceAll(s, '[05]', pad(second, 2));
  s = replaceAll(s, '[999]', pad(ms, 3));
  return replaceAll(s, '[timestamp]', String(Math.floor(nowMs)));
}

/** `[seq]`. */
export function expandSeq(template: string, seq: number): string {
  return replaceAll(template, '[seq]', String(seq));
}

/** `[duration]`: the segment's duration in integer ms, known only when the segment closes. */
export function expandDuration(template: string, durationMs: number): string {
  return replaceAll(template, '[duration]', String(Math.trunc(durationMs)));
}

/** SRS's srs_path_dirname: `./` without a slash, `/` for a file at the root, else everything before the last `/`. */
export function srsDirname(path: string): string {
  const pos = path.lastIndexOf('/');
  if (pos < 0) return './';
  if (pos === 0) return '/';
  return path.slice(0, pos);
}

/** Directory part for creating a file's parent (no SRS quirks: '' when there is none). */
export function parentDir(path: string): string {
  const pos = path.lastIndexOf('/');
  return pos <= 0 ? (pos === 0 ? '/' : '') : path.slice(0, pos);
}

/**
 * The URI a playlist lists for a segment (behaviours.md §9 "URI in m3u8"):
 * - the TS path relative to the m3u8's directory when it lies under it, else the full path;
 * - with `hls_entry_prefix P`: `P<uri>` when P ends in `/`, else `P/<m3u8 dir>/<uri>`.
 * @param tsPath `hls_path + "/" + ts file`
 * @param m3u8Path `hls_path + "/" + m3u8 url`
 * @param m3u8Url the expanded `hls_m3u8_file` (relative to hls_path)
 */
export function segmentUri(tsPath: string, m3u8Path: string, m3u8Url: string, entryPrefix: string): string {
  const m3u8Dir = srsDirname(m3u8Path);
  let rel = tsPath;
  // SRS compares plain string prefixes; we require a directory boundary so `live2/x.ts` is not taken as
  // being under `live` (it would have become `2/x.ts`).
  if (rel.startsWith(m3u8Dir) && (m3u8Dir.endsWith('/') || rel.length === m3u8Dir.length || rel[m3u8Dir.length] === '/')) {
    rel = rel.slice(m3u8Dir.length);
  }
  while (rel.startsWith('/')) rel = rel.slice(1);
  let uri = entryPrefix;
  if (entryPrefix !== '' && !entryPrefix.endsWith('/')) {
    uri += '/';
    // SRS appends srs_path_dirname(m3u8_url), which is "./" for a playlist at the root and would give
    // `P/.//x.ts`; a root playlist adds no directory here.
    const dir = srsDirname(m3u8Url);
    if (dir !== './' && dir !== '/' && dir !== '') uri += `${dir}/`;
  }
  return uri + rel;
}
