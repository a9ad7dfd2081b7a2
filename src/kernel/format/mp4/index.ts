// MP4 output: fragmented MP4 (DASH, HLS fMP4) and progressive MP4 files (DVR), from FLV-bodied MediaFrames.
export { BoxWriter, box, boxHeader, fullBox, BOX_HEADER_SIZE, LARGE_BOX_HEADER_SIZE, MAX_BOX32_SIZE } from './box.js';
export { type TrackInfo, type Mp4VideoCodec, type Mp4AudioCodec, trackFromSequenceHeader, sameTrackConfig, VIDEO_TIMESCALE } from './track.js';
export { FragmentBuilder, type FlushOptions, initSegment, segmentType, trackIds } from './fmp4.js';
export { Mp4FileWriter, type Mp4FilePatch, type Mp4FileTail } from './mp4-file.js';
