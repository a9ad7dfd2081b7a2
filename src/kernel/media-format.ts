// The per-source format (issue 12, point 3): the codec configurations of a source, parsed once when their
// sequence header (or, for codecs without one, their first frame) is published, and read by the API, HLS,
// DASH, DVR, TS and RTP outputs instead of re-parsing sequence headers or guessing from the GOP cache.
//
// Tracks are a list, so one source can carry AAC and, transcoded next to it, Opus of the same audio. At
// most one video track (one picture stream per source); audio tracks are keyed by codec.
// `version` starts at 0 (no track) and is bumped by every change: a new track, another codec, a new
// configuration record (e.g. an SPS change mid-stream), or reset() at unpublish. LiveSource stamps it on
// every frame (`frame.formatVersion`), so an output that sees a version it has not seen reacts (new fMP4
// init segment, HLS discontinuity, keyframe request) without comparing header bytes.

import type { AudioCodec, AudioFrame, MediaFrame, VideoFrame } from './media-frame.js';
import { NO_BYTES, isOpusHead, videoTrack, type AudioTrackFormat, type TrackFormat, type VideoTrackFormat } from './track-format.js';

export type { AudioTrackFormat, TrackFormat, VideoTrackFormat } from './track-format.js';

export class MediaFormat {
  private trackList: TrackFormat[] = [];
  private versionNumber = 0;

  /** Bumped on every change of the track list; 0 before the first track. */
  get version(): number {
    return this.versionNumber;
  }

  get tracks(): readonly TrackFormat[] {
    return this.trackList;
  }

  video(): VideoTrackFormat | undefined {
    for (const t of this.trackList) if (t.kind === 'video') return t;
    return undefined;
  }

  /** The audio track of `codec`, or the first audio track. */
  audio(codec?: AudioCodec): AudioTrackFormat | undefined {
    for (const t of this.trackList) if (t.kind === 'audio' && (codec === undefined || t.codec === codec)) return t;
    return undefined;
  }

  /**
   * Learn from a published frame; returns true when the format changed (version bumped). Cheap for coded
   * frames of known tracks: a codec lookup, no parsing.
   */
  update(frame: MediaFrame): boolean {
    if (frame.kind === 'video') return this.updateVideo(frame);
    if (frame.kind === 'audio') return this.updateAudio(frame);
    return false;
  }

  /** The publisher left: forget every track (a new publish may carry other codecs). */
  reset(): void {
    if (this.trackList.length === 0) return;
    this.trackList = [];
    this.versionNumber++;
  }

  private updateVideo(frame: VideoFrame): boolean {
    // The per-frame path: coded pictures of codecs with a record change nothing (the record does).
    if (!frame.sequenceHeader && (frame.codec === 'h264' || frame.codec === 'h265' || frame.codec === 'av1')) return false;
    const cur = this.video();
    if (!frame.sequenceHeader) {
      // Codecs without a configuration record (VP6) still make a track, from their first frame.
      if (cur !== undefined && cur.codec === frame.codec) return false;
      return this.setTrack(videoTrack(frame.codec, NO_BYTES));
    }
    const track = frame.view.track()!;
    if (cur !== undefined && cur.codec === frame.codec && cur.config.equals(track.config)) return false;
    return this.setTrack(track);
  }

  private updateAudio(frame: AudioFrame): boolean {
    if (frame.codec === 'aac' && !frame.sequenceHeader) return false; // the per-frame path
    const cur = this.audio(frame.codec);
    if (frame.codec === 'aac') {
      const track = frame.view.track()!;
      if (cur !== undefined && cur.config.equals(track.config)) return false;
      return this.setTrack(track);
    }
    if (cur !== undefined) {
      // Opus may send its OpusHead after a first packet described the track.
      if (frame.codec !== 'opus' || !isOpusHead(frame.view.raw) || cur.config.equals(frame.view.raw)) return false;
    }
    return this.setTrack(frame.view.track()!);
  }

  private setTrack(track: TrackFormat): boolean {
    const i = this.trackList.findIndex((t) => t.kind === track.kind && (t.kind === 'video' || t.codec === track.codec));
    const next = this.trackList.slice();
    if (i >= 0) next[i] = track;
    else next.push(track);
    this.trackList = next; // a new array: readers holding `tracks` keep a consistent list
    this.versionNumber++;
    return true;
  }
}

