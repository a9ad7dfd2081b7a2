import type { MediaFrame } from '../../kernel/media-frame.js';

/** Audio frames after the last video frame beyond which a stream counts as pure audio (SRS #124). */
const PURE_AUDIO_GUESS_COUNT = 115;

/**
 * Keeps the frames since the last video keyframe so a new player can start at once on a keyframe.
 * Like SRS: reset at every keyframe, cleared for pure-audio streams and when over `maxFrames`.
 */
export class GopCache {
  private frames: MediaFrame[] = [];
  private audioAfterLastVideo = 0;
  private hasKeyframe = false;
  constructor(public enabled: boolean, public maxFrames: number) {}

  cache(frame: MediaFrame): void {
    if (!this.enabled || frame.sequenceHeader || frame.kind === 'data') return;
    if (frame.kind === 'video') {
      // Only codecs we can start a decoder on from a keyframe.
      if (frame.codec !== 'h264' && frame.codec !== 'h265' && frame.codec !== 'av1') return;
      this.audioAfterLastVideo = 0;
      if (frame.keyframe) {
        this.frames.length = 0;
        this.hasKeyframe = true;
      }
      if (!this.hasKeyframe) return;
    } else {
      this.audioAfterLastVideo++;
      if (this.audioAfterLastVideo > PURE_AUDIO_GUESS_COUNT) {
        // Pure audio: keep nothing, players start with the next frame.
        this.clear();
        return;
      }
      if (!this.hasKeyframe) return;
    }
    this.frames.push(frame);
    if (this.maxFrames > 0 && this.frames.length > this.maxFrames) this.clear();
  }

  clear(): void {
    this.frames = [];
    this.hasKeyframe = false;
  }

  get size(): number {
    return this.frames.length;
  }

  /** The cached frames, oldest first (do not mutate). */
  snapshot(): readonly MediaFrame[] {
    return this.frames;
  }

  /** True when the stream looks like pure audio (for HTTP audio outputs and stats). */
  get pureAudio(): boolean {
    return this.audioAfterLastVideo > PURE_AUDIO_GUESS_COUNT;
  }
}
