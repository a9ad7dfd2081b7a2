// Codec names of MediaFrame and the per-source format (a leaf module, so frame and format share them).

export type VideoCodec = 'h264' | 'h265' | 'av1' | 'vp6' | 'unknown-video';
export type AudioCodec = 'aac' | 'mp3' | 'opus' | 'speex' | 'g711a' | 'g711u' | 'unknown-audio';
