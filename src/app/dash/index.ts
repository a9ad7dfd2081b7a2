// MPEG-DASH output (vhost dash): the publish listener and its per-stream writer.
export { DashService, DashStream, dashSegmenterOptions, type DashServiceOptions } from './dash-service.js';
export { DashFileWriter, type DashWriterEvents, type DashWriterOptions } from './dash-file-writer.js';
