// The ffmpeg command line SRS builds for a transcode engine or an ingest (srs_app_ffmpeg.cpp:
// SrsFFMPEG::initialize_transcode / initialize_copy / start), as pure functions: same checks, same
// arguments in the same order, so an SRS config produces the very same ffmpeg process under tsrs.
import { TsrsError } from '../../core/errors.js';
import type { EngineConfig } from '../../config/index.js';

/** SRS's error codes for encoders (srs_kernel_error.hpp, 30xx), with their names for log lines. */
export const FfmpegError = {
  NoCodec: [3015, 'FFmpegNoCodec'],
  NoOutput: [3016, 'FFmpegNoOutput'],
  Channels: [3017, 'FFmpegChannels'],
  SampleRate: [3018, 'FFmpegSampleRate'],
  AudioBitrate: [3019, 'FFmpegAudioBitrate'],
  AudioCodec: [3020, 'FFmpegAudioCodec'],
  Preset: [3021, 'FFmpegPreset'],
  Profile: [3022, 'FFmpegProfile'],
  Threads: [3023, 'FFmpegThreads'],
  Height: [3024, 'FFmpegHeight'],
  Width: [3025, 'FFmpegWidth'],
  Fps: [3026, 'FFmpegFps'],
  VideoBitrate: [3027, 'FFmpegVideoBitrate'],
  Loop: [3029, 'FFmpegLoop'],
  Binary: [3032, 'FFmpegBinary'],
  NoInput: [3033, 'FFmpegNoInput'],
  NoOutputUrl: [3034, 'FFmpegNoOutput'],
  InputType: [3035, 'FFmpegInputType'],
} as const satisfies Record<string, readonly [number, string]>;
export type FfmpegErrorKind = keyof typeof FfmpegError;

/** A transcode engine or an ingest that cannot run as configured. */
export class EngineError extends TsrsError {
  readonly kind: FfmpegErrorKind;
  constructor(kind: FfmpegErrorKind, message: string) {
    super(FfmpegError[kind][0], message);
    this.kind = kind;
  }
  override summary(): string {
    return `code=${this.code}(${FfmpegError[this.kind][1]}) : ${this.message}`;
  }
}

/** Codec names with a meaning of their own in an engine (SRS_RTMP_ENCODER_*). */
export const COPY = 'copy';
export const NO_VIDEO = 'vn';
export const NO_AUDIO = 'an';
const LIBX264 = 'libx264';
const PNG = 'png';
const LIBAACPLUS = 'libaacplus';

/** Everything that goes on one ffmpeg command line, in SRS's terms. */
export interface FfmpegCommand {
  /** Options before everything else (ingest: `-loglevel <ff_log_level>`, `-re`). */
  iparams: string[];
  /** `perfile { }`: options before the input. */
  perfile: string[];
  /** `-f` of the input; '' or `off` = none. */
  iformat: string;
  input: string;
  /** `vfilter { }`: options right after the input (`-i logo.png -filter_complex ...`, `-vf ...`). */
  vfilter: string[];
  vcodec: string;
  /** kbps */
  vbitrate: number;
  vfps: number;
  vwidth: number;
  vheight: number;
  vthreads: number;
  vprofile: string;
  vpreset: string;
  vparams: string[];
  acodec: string;
  /** kbps */
  abitrate: number;
  asampleRate: number;
  achannels: number;
  aparams: string[];
  /** `-f` of the output; '' or `off` = none. */
  oformat: string;
  output: string;
}

function empty(input: string, output: string, iparams: string[]): FfmpegCommand {
  return {
    iparams,
    perfile: [],
    iformat: '',
    input,
    vfilter: [],
    vcodec: '',
    vbitrate: 0,
    vfps: 0,
    vwidth: 0,
    vheight: 0,
    vthreads: 0,
    vprofile: '',
    vpreset: '',
    vparams: [],
    acodec: '',
    abitrate: 0,
    asampleRate: 0,
    achannels: 0,
    aparams: [],
    oformat: '',
    output,
  };
}

/**
 * An engine's command (SRS initialize_transcode), after SRS's checks: throws EngineError for what SRS
 * refuses — video and audio both disabled, a video codec other than libx264/png/copy/vn, libx264 without
 * vprofile or vpreset, negative numbers, more than 2 audio channels, no output. tsrs also refuses an
 * empty acodec (SRS would hand ffmpeg `-acodec ""`, which fails at every restart).
 */
export function transcodeCommand(engine: EngineConfig, input: string, output: string, iparams: string[] = []): FfmpegCommand {
  const c = empty(input, output, iparams);
  Object.assign(c, {
    perfile: [...engine.perfile],
    iformat: engine.iformat,
    vfilter: [...engine.vfilter],
    vcodec: engine.vcodec,
    vbitrate: engine.vbitrate,
    vfps: engine.vfps,
    // SRS keeps the size even (x264 needs it for 4:2:0).
    vwidth: engine.vwidth - (engine.vwidth % 2),
    vheight: engine.vheight - (engine.vheight % 2),
    vthreads: engine.vthreads,
    vprofile: engine.vprofile,
    vpreset: engine.vpreset,
    vparams: [...engine.vparams],
    acodec: engine.acodec,
    abitrate: engine.abitrate,
    asampleRate: engine.asampleRate,
    achannels: engine.achannels,
    aparams: [...engine.aparams],
    oformat: engine.oformat,
  } satisfies Partial<FfmpegCommand>);

  if (c.vcodec === NO_VIDEO && c.acodec === NO_AUDIO) throw new EngineError('NoCodec', 'video and audio disabled');
  if (c.vcodec !== COPY && c.vcodec !== NO_VIDEO && c.vcodec !== PNG) {
    if (c.vcodec !== LIBX264) throw new EngineError('NoCodec', `invalid vcodec, must be ${LIBX264}, actual ${c.vcodec || '(empty)'}`);
    if (c.vbitrate < 0) throw new EngineError('VideoBitrate', `invalid vbitrate: ${c.vbitrate}`);
    if (c.vfps < 0) throw new EngineError('Fps', `invalid vfps: ${c.vfps.toFixed(2)}`);
    if (c.vwidth < 0) throw new EngineError('Width', `invalid vwidth: ${c.vwidth}`);
    if (c.vheight < 0) throw new EngineError('Height', `invalid vheight: ${c.vheight}`);
    if (c.vthreads < 0) throw new EngineError('Threads', `invalid vthreads: ${c.vthreads}`);
    if (c.vprofile === '') throw new EngineError('Profile', 'invalid vprofile: (empty), libx264 needs one (e.g. vprofile main)');
    if (c.vpreset === '') throw new EngineError('Preset', 'invalid vpreset: (empty), libx264 needs one (e.g. vpreset medium)');
  }
  if (c.acodec === LIBAACPLUS && c.abitrate !== 0 && (c.abitrate < 16 || c.abitrate > 72)) {
    throw new EngineError('AudioBitrate', `invalid abitrate for aac: ${c.abitrate}, must in [16, 72]`);
  }
  if (c.acodec === '') throw new EngineError('AudioCodec', 'invalid acodec: (empty), use an to drop the audio or copy to keep it');
  if (c.acodec !== COPY && c.acodec !== NO_AUDIO) {
    if (c.abitrate < 0) throw new EngineError('AudioBitrate', `invalid abitrate: ${c.abitrate}`);
    if (c.asampleRate < 0) throw new EngineError('SampleRate', `invalid sample rate: ${c.asampleRate}`);
    if (c.achannels !== 0 && c.achannels !== 1 && c.achannels !== 2) {
      throw new EngineError('Channels', `invalid achannels, must be 1 or 2, actual ${c.achannels}`);
    }
  }
  if (c.output === '') throw new EngineError('NoOutput', 'invalid empty output');
  // SRS #290: `-f flv` only before an RTMP input (not before udp://, a file...).
  if (!c.input.startsWith('rtmp://')) c.iformat = '';
  return c;
}

/** Both codecs copied (SRS initialize_copy): an ingest whose engine is off or names no codecs. */
export function copyCommand(input: string, output: string, iparams: string[] = []): FfmpegCommand {
  if (output === '') throw new EngineError('NoOutput', 'invalid empty output');
  return { ...empty(input, output, iparams), vcodec: COPY, acodec: COPY };
}

const set = (v: string): boolean => v !== '' && v !== 'off';
const nonEmpty = (list: readonly string[]): string[] => list.filter((p) => p !== '');

/** The arguments after the binary, in SRS's order (SrsFFMPEG::start). */
export function ffmpegArgs(c: FfmpegCommand): string[] {
  const a: string[] = [...nonEmpty(c.iparams), ...nonEmpty(c.perfile)];
  if (set(c.iformat)) a.push('-f', c.iformat);
  a.push('-i', c.input, ...nonEmpty(c.vfilter));

  if (c.vcodec !== NO_VIDEO) a.push('-vcodec', c.vcodec);
  else a.push('-vn');
  // Copy and vn take no video options.
  if (c.vcodec !== COPY && c.vcodec !== NO_VIDEO) {
    if (c.vbitrate > 0) a.push('-b:v', String(c.vbitrate * 1000));
    if (c.vfps > 0) a.push('-r', c.vfps.toFixed(2));
    if (c.vwidth > 0 && c.vheight > 0) a.push('-s', `${c.vwidth}x${c.vheight}`, '-aspect', `${c.vwidth}:${c.vheight}`);
    if (c.vthreads > 0) a.push('-threads', String(c.vthreads));
    if (c.vprofile !== '') a.push('-profile:v', c.vprofile);
    if (c.vpreset !== '') a.push('-preset', c.vpreset);
    a.push(...nonEmpty(c.vparams));
  }

  if (c.acodec !== NO_AUDIO) a.push('-acodec', c.acodec);
  else a.push('-an');
  if (c.acodec !== NO_AUDIO && c.acodec !== COPY) {
    if (c.abitrate > 0) a.push('-b:a', String(c.abitrate * 1000));
    if (c.asampleRate > 0) a.push('-ar', String(c.asampleRate));
    if (c.achannels > 0) a.push('-ac', String(c.achannels));
    a.push(...nonEmpty(c.aparams));
  } else if (c.acodec === COPY) {
    // Copied audio keeps only the ADTS-to-ASC bitstream filter of its aparams.
    for (let i = 0; i < c.aparams.length; ) {
      const name = c.aparams[i++];
      if (name === '-bsf:a' && i < c.aparams.length) {
        const value = c.aparams[i++]!;
        if (value === 'aac_adtstoasc') a.push(name, value);
      }
    }
  }

  if (set(c.oformat)) a.push('-f', c.oformat);
  a.push('-y', c.output);
  return a;
}
