// MPEG-TS (ISO/IEC 13818-1): MediaFrame ⇄ 188-byte transport packets.
export { TsMuxer, type TsMuxerOptions, type TsVideoCodec, type TsAudioCodec, msTo90k, ticksTo90k, writePesTimestamp } from './ts-muxer.js';
export { TsDemuxer, type TsDemuxerStats, type TsElementaryCodec, readPesTimestamp } from './ts-demuxer.js';
export { crc32Mpeg2 } from './crc32-mpeg2.js';
export * from './ts-constants.js';
