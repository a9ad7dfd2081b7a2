// Audio between RTMP and WebRTC, once per bridged stream (issue 15): AAC → Opus for RTMP→RTC viewers,
// Opus → AAC for RTC→RTMP/HLS/DVR. One ffmpeg child per direction and stream, supervised (restarted with
// back-off when it dies), fed and read through pipes with self-describing framings, so no container
// probing delays audio:
//   AAC → Opus: ADTS in (`-f aac`), Ogg Opus out (`-f ogg`, one 20 ms packet per page, flushed at once).
//   Opus → AAC: Ogg Opus in (OpusHead + OpusTags + one packet per page), ADTS out (`-f adts`).
// Timestamps: ffmpeg knows nothing of ours (ADTS has none, our Ogg granules restart at 0), so each run of
// the child maps its output sample clock onto the input's: output frame time = (pts of the first input
// frame given to this run, at 48 kHz) + samples output so far by this run. The output is 48 kHz both
// ways (Opus always is; AAC is asked for at 48 kHz), so the frames' ticks are exact sample counts.
// Video never waits for audio: frames are written without waiting (a child that stops reading loses
// audio, counted, rather than growing a queue), and while the child is down audio frames are dropped
// until the restarted child takes them.

import type { ChildProcess } from 'node:child_process';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { ADTS_HEADER_SIZE, adtsHeader, audioSpecificConfigFromAdts, parseAudioSpecificConfig, type AudioSpecificConfig } from '../../kernel/codec/aac.js';
import { opusPacketSamples } from '../../kernel/codec/opus.js';
import { AdtsStreamReader } from '../../kernel/format/adts-stream.js';
import { OggPacketReader, OggPageWriter, encodeOpusTags } from '../../kernel/format/ogg.js';
import { audioFrameFromFlv, ticksIn, type AudioFrame } from '../../kernel/media-frame.js';
import { encodeOpusHead, opusFrame, opusSequenceHeaderFrame } from '../../protocol/rtp/index.js';
import type { ProcessSupervisor, SupervisedProcess } from '../ffmpeg/index.js';

export type AudioTranscodeDirection = 'aac-to-opus' | 'opus-to-aac';

/** The output clock, both ways. */
const RATE = 48000;
/** Bytes a child may have unread in its stdin before frames are dropped (about 2 s of audio). */
const MAX_STDIN_BACKLOG = 64 * 1024;

export interface AudioTranscoderOptions {
  readonly direction: AudioTranscodeDirection;
  readonly supervisor: ProcessSupervisor;
  readonly log: Logger;
  /** For log lines: the stream, e.g. `/live/cam`. */
  readonly label: string;
  /** Called with every output frame: a sequence header first (again after a format change), then frames. */
  readonly onFrame: (frame: AudioFrame) => void;
  readonly ffmpeg?: string;
  /** Output bit rate, bit/s. */
  readonly bitrate?: number;
}

export interface AudioTranscoderStats {
  framesIn: number;
  framesOut: number;
  /** Input frames dropped: no child running, or its stdin backlog was full. */
  dropped: number;
  /** Child starts after the first. */
  restarts: number;
}

export class AudioTranscoder {
  readonly stats: AudioTranscoderStats = { framesIn: 0, framesOut: 0, dropped: 0, restarts: 0 };
  private readonly proc: SupervisedProcess;
  private child: ChildProcess | undefined;
  private asc: AudioSpecificConfig | undefined;
  /** This run's clock mapping: 48 kHz time of its first input frame, and samples out / in so far. */
  private base: number | undefined;
  private samplesOut = 0;
  private granuleIn = 0n;
  private ogg: OggPageWriter | undefined;
  private oggReader = new OggPacketReader();
  private adtsReader = new AdtsStreamReader();
  private outConfig = '';
  private opusHeaderPackets = 0;
  private closed = false;
  private endResolve: (() => void) | undefined;

  constructor(private readonly opts: AudioTranscoderOptions) {
    const bitrate = opts.bitrate ?? (opts.direction === 'aac-to-opus' ? 64000 : 96000);
    const input = opts.direction === 'aac-to-opus' ? ['-f', 'aac'] : ['-f', 'ogg'];
    const output =
      opts.direction === 'aac-to-opus'
        ? ['-c:a', 'libopus', '-application', 'lowdelay', '-frame_duration', '20', '-page_duration', '20000', '-f', 'ogg']
        : ['-c:a', 'aac', '-f', 'adts'];
    const args = [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-fflags', 'nobuffer', '-probesize', '32', '-analyzeduration', '0'],
      ...input,
      ...['-i', 'pipe:0', '-vn', '-ar', String(RATE), '-ac', '2', '-b:a', String(bitrate)],
      ...output,
      ...['-flush_packets', '1', 'pipe:1'],
    ];
    this.proc = opts.supervisor.start({ label: `audio ${opts.direction} of ${opts.label}`, bin: opts.ffmpeg ?? 'ffmpeg', args, stdout: '', stderr: '', pipes: true }, opts.log);
    this.proc.onSpawn((_pid, child) => this.attach(child));
    // The first start happens inside supervisor.start(), before onSpawn could be registered.
    const first = this.proc.childProcess;
    if (first !== null) this.attach(first);
    this.proc.onExit(() => this.detach());
  }

  /** The ffmpeg child's pid (for CPU accounting), when one runs. */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Offers one input frame (AAC for aac-to-opus, Opus for opus-to-aac); never blocks, never throws. */
  push(frame: AudioFrame): void {
    if (this.closed) return;
    try {
      this.pushFrame(frame);
    } catch (err) {
      this.stats.dropped++;
      this.opts.log.warn(`audio ${this.opts.direction} of ${this.opts.label}: input frame dropped: ${errorMessage(err)}`);
    }
  }

  private pushFrame(frame: AudioFrame): void {
    const want = this.opts.direction === 'aac-to-opus' ? 'aac' : 'opus';
    if (frame.codec !== want) return;
    if (frame.sequenceHeader) {
      if (want === 'aac') this.asc = parseAudioSpecificConfig(frame.view.raw);
      return;
    }
    this.stats.framesIn++;
    const stdin = this.child?.stdin;
    if (stdin === undefined || stdin === null || !stdin.writable || stdin.writableLength > MAX_STDIN_BACKLOG) {
      this.stats.dropped++;
      return;
    }
    const raw = frame.view.raw;
    if (raw.length === 0) return;
    if (want === 'aac') {
      if (this.asc === undefined) {
        this.stats.dropped++;
        return;
      }
      const b = Buffer.allocUnsafe(ADTS_HEADER_SIZE + raw.length);
      adtsHeader(this.asc, raw.length, b, 0);
      raw.copy(b, ADTS_HEADER_SIZE);
      this.startRun(frame);
      stdin.write(b);
    } else {
      if (this.ogg === undefined) {
        this.ogg = new OggPageWriter(1);
        stdin.write(this.ogg.page(encodeOpusHead(2, 0), 0n));
        stdin.write(this.ogg.page(encodeOpusTags(), 0n));
      }
      this.startRun(frame);
      this.granuleIn += BigInt(opusPacketSamples(raw));
      stdin.write(this.ogg.page(raw, this.granuleIn));
    }
  }

  private startRun(frame: AudioFrame): void {
    if (this.base === undefined) this.base = ticksIn(frame.ptsTicks, frame.timescale, RATE);
  }

  private attach(child: ChildProcess): void {
    this.child = child;
    this.stats.restarts = this.proc.info.restarts;
    this.base = undefined;
    this.samplesOut = 0;
    this.granuleIn = 0n;
    this.ogg = undefined;
    this.oggReader = new OggPacketReader();
    this.adtsReader = new AdtsStreamReader();
    this.opusHeaderPackets = 0;
    // EPIPE when the child dies mid-write: the exit handler restarts it; nothing to do here.
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (child !== this.child) return;
      try {
        this.output(chunk);
      } catch (err) {
        this.opts.log.warn(`audio ${this.opts.direction} of ${this.opts.label}: bad output from ffmpeg: ${errorMessage(err)}`);
      }
    });
    child.stdout?.on('end', () => this.endResolve?.());
  }

  private detach(): void {
    this.child = undefined;
  }

  private output(chunk: Buffer): void {
    if (this.opts.direction === 'aac-to-opus') {
      for (const packet of this.oggReader.push(chunk)) {
        // RFC 7845 3: the first two packets are OpusHead and OpusTags.
        if (this.opusHeaderPackets < 2) {
          this.opusHeaderPackets++;
          if (this.opusHeaderPackets === 1) this.emitConfig('opus', packet.data, (ticks) => opusSequenceHeaderFrame(packet.data, ticks));
          continue;
        }
        const ticks = this.nextTicks();
        this.samplesOut += opusPacketSamples(packet.data);
        this.emit(opusFrame(packet.data, ticks));
      }
    } else {
      for (const f of this.adtsReader.push(chunk)) {
        const asc = audioSpecificConfigFromAdts(f.profile, f.sampleRateIndex, f.channelConfiguration);
        this.emitConfig('aac', asc, (ticks) => audioFrameFromFlv(flvAac(0, asc), Math.round(ticks / 48), RATE, ticks)!);
        const ticks = this.nextTicks();
        this.samplesOut += 1024;
        this.emit(audioFrameFromFlv(flvAac(1, f.raw), Math.round(ticks / 48), RATE, ticks)!);
      }
    }
  }

  private nextTicks(): number {
    return (this.base ?? 0) + this.samplesOut;
  }

  /** A sequence header when the output format is new or changed (a restart with the same settings sends none). */
  private emitConfig(codec: string, config: Buffer, make: (ticks: number) => AudioFrame): void {
    const key = `${codec}:${config.toString('hex')}`;
    if (key === this.outConfig) return;
    this.outConfig = key;
    this.emit(make(this.nextTicks()));
  }

  private emit(frame: AudioFrame): void {
    if (!frame.sequenceHeader) this.stats.framesOut++;
    try {
      this.opts.onFrame(frame);
    } catch (err) {
      this.opts.log.warn(`audio ${this.opts.direction} of ${this.opts.label}: frame consumer failed: ${errorMessage(err)}`);
    }
  }

  /**
   * Ends the input of the running child and resolves when its output has ended (everything encoded was
   * delivered): for a stream's end and for tests. The supervisor restarts the child afterwards unless closed.
   */
  drain(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.stdin === null) return Promise.resolve();
    return new Promise((resolve) => {
      this.endResolve = resolve;
      child.stdin!.end();
    });
  }

  /** Stops the child for good. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const stopped = this.proc.stop();
    // ffmpeg blocked on its stdin exits at once on EOF; SIGTERM alone waits for the grace period.
    this.child?.stdin?.end();
    await stopped;
  }
}

/** An FLV AAC body: [SoundFormat 10, 44 kHz flag, 16-bit, stereo][AACPacketType][data]. */
function flvAac(packetType: 0 | 1, data: Buffer): Buffer {
  const b = Buffer.allocUnsafe(2 + data.length);
  b[0] = 0xaf;
  b[1] = packetType;
  data.copy(b, 2);
  return b;
}

