// Public surface of the pure media kernel: codecs, container formats, the MediaFrame model, timestamps.
// No I/O, clocks or logging below this line (ARCHITECTURE.md, "Layers").

export * from './media-frame.js';
export * from './media-format.js';
export * from './track-format.js';
export * from './timestamp.js';

export * from './format/amf0.js';
export * from './format/amf3.js';
export { AmfBudget } from './format/amf-value.js';
export type { AmfRefEntry } from './format/amf-value.js';
export * from './format/flv.js';
export * from './format/mpegts/index.js';

export * from './codec/h264.js';
export * from './codec/h265.js';
export * from './codec/aac.js';
export * from './codec/mp3.js';
export * from './codec/opus.js';
export * from './codec/av1.js';
export * from './codec/nal-unit.js';
export * from './codec/flv-codec-info.js';
