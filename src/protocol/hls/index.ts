// Public surface of HLS (sans-I/O): the per-stream muxer that decides segments and emits file operations,
// playlist rendering, path templates, hls_ts_floor and the AAC timestamp rebuilder.
export * from './hls-muxer.js';
export * from './playlist.js';
export * from './template.js';
export * from './ts-floor.js';
export * from './aac-dts.js';
