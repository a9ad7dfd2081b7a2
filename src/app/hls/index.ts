// HLS delivery: the per-vhost service that attaches an HLS muxer to every publishing source and writes
// TS segments, playlists and keys under hls_path.
export { HlsService, HlsStream, HlsSink, hlsMuxerOptions, type HlsServiceOptions } from './hls-service.js';
export { HlsFileWriter, FLUSH_BYTES, DEFAULT_MAX_PENDING_BYTES, type HlsWriterEvents, type HlsWriterOptions } from './hls-file-writer.js';
export { HlsContexts, tagPlaylist, type FileResolver } from './hls-ctx.js';
