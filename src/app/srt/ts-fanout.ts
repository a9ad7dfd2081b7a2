// SRT play (issue 14): a stream is muxed to MPEG-TS ONCE, by one sink on its LiveSource, and the TS bytes
// of each frame are cut into payloads of 7 TS packets (1316 bytes) and sent to every SRT viewer of the
// stream. The packet delivery policy in its simplest form (src/app/live/packet-sink.ts): a viewer starts
// at a video keyframe (whose TS carries PAT/PMT), and a viewer whose SRT send buffer backs up skips to the
// next keyframe instead of queueing without end.
import type { MediaFrame } from '../../kernel/media-frame.js';
import { TsMuxer } from '../../kernel/format/mpegts/index.js';
import type { Sink } from '../live/sink.js';

const TS_PACKET = 188;

/** One SRT viewer as the fanout sees it. */
export interface TsViewer {
  /** Send one payload (<= payloadSize bytes). */
  send(payload: Buffer): void;
  /** The payloads of one frame were sent: push the datagrams out. */
  flush(): void;
  /** Packets in the SRT send buffer, not yet acknowledged. */
  backlog(): number;
  /** Backlog from which the viewer is congested and skips to the next keyframe. */
  readonly maxBacklog: number;
}

interface ViewerState {
  waitKeyframe: boolean;
  /** Frames skipped while waiting for a keyframe (join or congestion). */
  skipped: number;
}

export class TsFanout implements Sink {
  readonly viewer = true;
  private readonly muxer = new TsMuxer({ videoCodec: 'h264', audioCodec: 'aac' });
  private readonly viewers = new Map<TsViewer, ViewerState>();
  private sawVideo = false;

  constructor(
    readonly id: string,
    /** Payload size of every viewer (srt_server payloadsize, a multiple of 188 rounded down). */
    private readonly payloadSize: number,
  ) {}

  get size(): number {
    return this.viewers.size;
  }

  add(v: TsViewer): void {
    this.viewers.set(v, { waitKeyframe: true, skipped: 0 });
  }

  remove(v: TsViewer): void {
    this.viewers.delete(v);
  }

  skippedFrames(v: TsViewer): number {
    return this.viewers.get(v)?.skipped ?? 0;
  }

  offer(frame: MediaFrame): void {
    if (frame.kind === 'video') this.sawVideo = true;
    const ts = this.muxer.mux(frame);
    if (ts.length === 0) return;
    // A video keyframe's TS starts with PAT/PMT (TsMuxer); an audio-only stream can join anywhere.
    const joinable = frame.kind === 'video' ? frame.keyframe : !this.sawVideo;
    const step = Math.max(TS_PACKET, this.payloadSize - (this.payloadSize % TS_PACKET));
    let tables: Buffer | null = null;
    for (const [v, st] of this.viewers) {
      if (v.backlog() > v.maxBacklog) st.waitKeyframe = true;
      if (st.waitKeyframe) {
        if (!joinable) {
          st.skipped++;
          continue;
        }
        st.waitKeyframe = false;
        if (frame.kind !== 'video') {
          tables ??= this.muxer.tables();
          v.send(tables);
        }
      }
      for (let o = 0; o < ts.length; o += step) v.send(ts.subarray(o, Math.min(ts.length, o + step)));
      v.flush();
    }
  }
}
