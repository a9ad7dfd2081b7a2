// Test-only: frames of the checked-in ffmpeg fixtures, and a stream that switches encodes mid-stream (an SPS
// change: 320x180 High 4:2:0 then 176x100 High 4:4:4), stamped with format versions as LiveSource does.

import { readFixture } from '../../test/fixtures/index.js';
import { demuxFlv } from './format/flv.js';
import { MediaFormat } from './media-format.js';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv, type MediaFrame } from './media-frame.js';

/** Every tag of an FLV fixture as a frame, timestamps shifted by `shiftMs`. */
export function fixtureFrames(name: string, shiftMs = 0, withData = false): MediaFrame[] {
  const out: MediaFrame[] = [];
  for (const t of demuxFlv(readFixture(name)).tags) {
    const dts = t.timestamp + shiftMs;
    const f = t.type === 9 ? videoFrameFromFlv(t.body, dts) : t.type === 8 ? audioFrameFromFlv(t.body, dts) : withData ? dataFrame(t.body, dts) : null;
    if (f) out.push(f);
  }
  return out;
}

/**
 * h264-aac.flv (1 s, 320x180, AAC 48 kHz) then h264-444-interlaced.flv (1 s, 176x100, video only) from 1000 ms
 * on, through one MediaFormat: the second encode's sequence header bumps the version mid-stream.
 */
export function twoEncodes(): { frames: MediaFrame[]; versions: [number, number] } {
  const format = new MediaFormat();
  const first = fixtureFrames('h264-aac.flv').map((f) => format.stamp(f));
  const v1 = format.version;
  const second = fixtureFrames('h264-444-interlaced.flv', 1000).map((f) => format.stamp(f));
  return { frames: [...first, ...second], versions: [v1, format.version] };
}
