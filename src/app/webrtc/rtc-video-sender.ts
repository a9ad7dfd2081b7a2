// A viewer's H.264 track (issue 15): the PacketSink's PacketOutput. Payloads (STAP-A with SPS/PPS before
// an IDR, FU-A) are made once per frame for all viewers (SharedH264Payloads); each viewer writes its own
// RTP header (SSRC, sequence, timestamp offset) into its scratch buffer, SRTP-protects it into a new
// buffer (SrtpProtector) (the datagram in flight), and keeps the last packets for NACK (RFC 4585 §6.2.1).
import type { MediaFrame } from '../../kernel/media-frame.js';
import { RtpHeaderWriter, rtpTimestamp, type RtpPayload, type SharedH264Payloads } from '../../protocol/rtp/index.js';
import { ntpFromUnixMs, serializeRtcp } from '../../protocol/rtcp/index.js';
import type { PacketOutput } from '../live/packet-sink.js';
import type { RtcSession } from './rtc-session.js';

/** Packets kept for retransmission: about a second of 2 Mbit/s video. */
const NACK_HISTORY = 512;
const VIDEO_CLOCK = 90000;

export interface VideoSenderOptions {
  ssrc: number;
  payloadType: number;
  initialSequence: number;
  timestampOffset: number;
  transportCcId?: number;
  /** Drop B-frames (SRS `keep_bframe off`). */
  dropBframes: boolean;
}

export class RtcVideoSender implements PacketOutput {
  private readonly header: RtpHeaderWriter;
  private readonly scratch = Buffer.alloc(1500);
  private readonly history: (Buffer | undefined)[] = new Array<Buffer | undefined>(NACK_HISTORY);
  private readonly historySeq = new Int32Array(NACK_HISTORY).fill(-1);
  private parameterSets: readonly Buffer[] = [];
  private naluLengthSize: 1 | 2 | 4 = 4;
  packets = 0;
  octets = 0;
  retransmits = 0;
  private lastRtpTs = -1;
  private lastSentAt = 0;

  constructor(
    private readonly session: RtcSession,
    private readonly payloads: SharedH264Payloads,
    private readonly o: VideoSenderOptions,
    private readonly now: () => number,
  ) {
    this.header = new RtpHeaderWriter({ ssrc: o.ssrc, payloadType: o.payloadType, initialSequence: o.initialSequence, timestampOffset: o.timestampOffset, transportCcId: o.transportCcId });
  }

  accepts(frame: MediaFrame): boolean {
    return frame.kind === 'video' && frame.codec === 'h264';
  }

  send(frame: MediaFrame): boolean {
    if (frame.kind !== 'video' || frame.codec !== 'h264') return true;
    if (frame.sequenceHeader) {
      const track = frame.view.track();
      if (track && !track.error) {
        this.parameterSets = track.parameterSets;
        this.naluLengthSize = track.naluLengthSize;
      }
      return true;
    }
    // SRS keep_bframe off: WebRTC players do not reorder, so B-frames are dropped. Cheaply: a picture no
    // other picture references (nal_ref_idc 0, H.264 §7.4.1) can always go without harming decoding.
    let list: RtpPayload[];
    try {
      if (this.o.dropBframes && !frame.keyframe && isNonReference(frame.view.nalus(this.naluLengthSize))) return true;
      list = this.payloads.of(frame, frame.keyframe ? this.parameterSets : [], this.naluLengthSize);
    } catch {
      return true; // malformed NAL unit lengths: this frame is skipped, the stream goes on
    }
    const ts = rtpTimestamp(frame, VIDEO_CLOCK);
    for (const p of list) this.sendPayload(p, ts);
    this.lastRtpTs = ts;
    this.lastSentAt = this.now();
    return true;
  }

  private sendPayload(p: RtpPayload, ts: number): void {
    const seq = this.header.nextSequence;
    const n = this.header.write(p, ts, this.scratch);
    const out = this.session.sendRtp(this.scratch.subarray(0, n), n - p.size);
    if (!out) return;
    this.packets++;
    this.octets += p.size;
    const slot = seq % NACK_HISTORY;
    this.history[slot] = out;
    this.historySeq[slot] = seq;
  }

  /** NACKed sequence numbers: resend the ones still in the history. */
  retransmit(seqs: readonly number[]): void {
    for (const seq of seqs) {
      const slot = seq % NACK_HISTORY;
      const pkt = this.history[slot];
      if (pkt && this.historySeq[slot] === seq) {
        this.retransmits++;
        this.session.resend(pkt);
      }
    }
  }

  /** RTCP SR (RFC 3550 §6.4.1) so the browser can map our timestamps to wall-clock time. */
  senderReport(): void {
    if (this.lastRtpTs < 0) return;
    const now = this.now();
    const ntp = ntpFromUnixMs(now);
    const rtp = (this.lastRtpTs + this.o.timestampOffset + Math.round(((now - this.lastSentAt) * VIDEO_CLOCK) / 1000)) % 2 ** 32;
    this.session.sendRtcp(
      serializeRtcp([{ type: 'sr', ssrc: this.o.ssrc, ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: rtp >>> 0, packetCount: this.packets >>> 0, octetCount: this.octets >>> 0, reports: [] }]),
    );
  }
}

/** The first slice NAL unit (type 1) has nal_ref_idc 0: nothing is predicted from this picture. */
function isNonReference(nalus: readonly Buffer[]): boolean {
  for (const n of nalus) {
    const type = n[0]! & 0x1f;
    if (type === 1) return (n[0]! & 0x60) === 0;
    if (type === 5) return false;
  }
  return false;
}
