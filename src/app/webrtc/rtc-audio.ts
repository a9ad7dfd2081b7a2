// Audio for WebRTC viewers of an RTMP stream (issue 15): AAC → Opus once per stream (one supervised
// ffmpeg, AudioTranscoder), the Opus frames fanned out to every viewer's audio sender, which writes its
// own RTP header (RFC 7587: 48 kHz clock) and SRTP-protects it. Video never waits for audio: a viewer's
// video goes through its PacketSink whatever the transcoder does.
import type { Logger } from '../../core/logger.js';
import type { AudioFrame, MediaFrame } from '../../kernel/media-frame.js';
import { RtpHeaderWriter, opusRtpPayload, rtpTimestamp } from '../../protocol/rtp/index.js';
import { ntpFromUnixMs, serializeRtcp } from '../../protocol/rtcp/index.js';
import type { ProcessSupervisor } from '../ffmpeg/index.js';
import type { LiveSource } from '../live/live-source.js';
import type { Sink } from '../live/sink.js';
import { AudioTranscoder } from './audio-transcoder.js';
import type { RtcSession } from './rtc-session.js';

const OPUS_CLOCK = 48000;

/** One viewer's Opus track. */
export class RtcAudioSender {
  private readonly header: RtpHeaderWriter;
  private readonly scratch = Buffer.alloc(1500);
  packets = 0;
  private octets = 0;
  private lastTs = -1;
  private lastSentAt = 0;

  constructor(
    private readonly session: RtcSession,
    private readonly o: { ssrc: number; payloadType: number; initialSequence: number; timestampOffset: number },
    private readonly now: () => number,
  ) {
    this.header = new RtpHeaderWriter(o);
  }

  send(frame: AudioFrame): void {
    const p = opusRtpPayload(frame);
    if (!p || p.size > 1400) return;
    const ts = rtpTimestamp(frame, OPUS_CLOCK);
    const n = this.header.write(p, ts, this.scratch);
    if (!this.session.sendRtp(this.scratch.subarray(0, n), n - p.size)) return;
    this.packets++;
    this.octets += p.size;
    this.lastTs = ts;
    this.lastSentAt = this.now();
  }

  /** RTCP SR, mapped like the video's (last frame sent + wall time since), so players can line them up. */
  senderReport(): void {
    if (this.lastTs < 0) return;
    const now = this.now();
    const ntp = ntpFromUnixMs(now);
    const rtp = (this.lastTs + this.o.timestampOffset + Math.round(((now - this.lastSentAt) * OPUS_CLOCK) / 1000)) % 2 ** 32;
    this.session.sendRtcp(
      serializeRtcp([{ type: 'sr', ssrc: this.o.ssrc, ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: rtp >>> 0, packetCount: this.packets >>> 0, octetCount: this.octets >>> 0, reports: [] }]),
    );
  }
}

/** The AAC → Opus transcoder of one source and the viewers it feeds; made by the first, closed with the last. */
class StreamAudio implements Sink {
  readonly id: string;
  readonly viewer = false;
  readonly senders = new Set<RtcAudioSender>();
  private readonly transcoder: AudioTranscoder;

  constructor(
    readonly source: LiveSource,
    supervisor: ProcessSupervisor,
    log: Logger,
    bitrate: number,
  ) {
    this.id = `rtc-audio-${source.key}`;
    this.transcoder = new AudioTranscoder({
      direction: 'aac-to-opus',
      supervisor,
      log,
      label: source.key,
      bitrate,
      onFrame: (f) => {
        for (const s of this.senders) s.send(f);
      },
    });
  }

  offer(frame: MediaFrame): void {
    if (frame.kind === 'audio' && frame.codec === 'aac') this.transcoder.push(frame);
  }

  close(): void {
    void this.transcoder.close();
  }
}

/** Per-source audio bridges of the RTC service. */
export class RtcAudioBridges {
  private readonly streams = new Map<LiveSource, StreamAudio>();

  constructor(
    private readonly supervisor: () => ProcessSupervisor | undefined,
    private readonly log: Logger,
  ) {}

  /** Whether audio can be bridged at all (an ffmpeg supervisor is there). */
  get available(): boolean {
    return this.supervisor() !== undefined;
  }

  attach(source: LiveSource, sender: RtcAudioSender, bitrate: number): void {
    let s = this.streams.get(source);
    if (!s) {
      const supervisor = this.supervisor();
      if (!supervisor) return;
      s = new StreamAudio(source, supervisor, this.log, bitrate);
      this.streams.set(source, s);
      // Headers and the GOP's audio give the transcoder its AudioSpecificConfig at once.
      source.addSink(s, { gop: true });
    }
    s.senders.add(sender);
  }

  detach(source: LiveSource, sender: RtcAudioSender): void {
    const s = this.streams.get(source);
    if (!s || !s.senders.delete(sender) || s.senders.size > 0) return;
    this.streams.delete(source);
    source.removeSink(s);
    s.close();
  }

  close(): void {
    for (const s of this.streams.values()) {
      s.source.removeSink(s);
      s.close();
    }
    this.streams.clear();
  }
}
