// Public surface of MPEG-DASH (sans-I/O): the per-stream segmenter that decides segments and Periods and
// emits file operations, MPD rendering, Representation codecs strings, fragment timing.
export * from './dash-segmenter.js';
export * from './mpd.js';
export * from './codecs.js';
export * from './fragment-timing.js';
