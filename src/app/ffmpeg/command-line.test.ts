import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText, type EngineConfig } from '../../config/index.js';
import { EngineError, copyCommand, ffmpegArgs, transcodeCommand } from './command-line.js';

const IN = 'rtmp://127.0.0.1:1935/live?vhost=__defaultVhost__/cam';
const OUT = 'rtmp://127.0.0.1:1935/live/cam_x';

/** The engine as the config layer builds it from `engine x { body }`. */
function engine(body: string): EngineConfig {
  const c = parseConfigText(`listen 1935; vhost __defaultVhost__ { transcode { enabled on; ffmpeg ffmpeg; engine x { enabled on; ${body} } } }`, 't.conf');
  return c.vhosts.get('__defaultVhost__')!.transcodes[0]!.engines[0]!;
}

const argv = (body: string, input = IN, output = OUT): string[] => ffmpegArgs(transcodeCommand(engine(body), input, output));

test('full.conf example engine: every option in SRS order (perfile, iformat, vfilter, video, audio, oformat)', () => {
  const body = `perfile { re; rtsp_transport tcp; } iformat flv;
    vfilter { i ./doc/ffmpeg-logo.png; filter_complex 'overlay=10:10'; }
    vcodec libx264; vbitrate 1500; vfps 25; vwidth 768; vheight 320; vthreads 12; vprofile main; vpreset medium;
    vparams { t 100; coder 1; b_strategy 2; bf 3; refs 10; }
    acodec libfdk_aac; abitrate 70; asample_rate 44100; achannels 2;
    aparams { profile:a aac_low; bsf:a aac_adtstoasc; } oformat flv;`;
  assert.deepEqual(argv(body), [
    '-re', '-rtsp_transport', 'tcp',
    '-f', 'flv', '-i', IN,
    '-i', './doc/ffmpeg-logo.png', '-filter_complex', 'overlay=10:10',
    '-vcodec', 'libx264', '-b:v', '1500000', '-r', '25.00', '-s', '768x320', '-aspect', '768:320', '-threads', '12',
    '-profile:v', 'main', '-preset', 'medium', '-t', '100', '-coder', '1', '-b_strategy', '2', '-bf', '3', '-refs', '10',
    '-acodec', 'libfdk_aac', '-b:a', '70000', '-ar', '44100', '-ac', '2', '-profile:a', 'aac_low', '-bsf:a', 'aac_adtstoasc',
    '-f', 'flv', '-y', OUT,
  ]);
});

test('copy: no codec options at all; only -bsf:a aac_adtstoasc survives for copied audio', () => {
  assert.deepEqual(argv('vcodec copy; acodec copy;'), ['-f', 'flv', '-i', IN, '-vcodec', 'copy', '-acodec', 'copy', '-f', 'flv', '-y', OUT]);
  assert.deepEqual(argv('vcodec copy; vbitrate 800; vparams { bf 0; } acodec copy; abitrate 64; aparams { ar 22050; bsf:a aac_adtstoasc; }'), [
    '-f', 'flv', '-i', IN, '-vcodec', 'copy', '-acodec', 'copy', '-bsf:a', 'aac_adtstoasc', '-f', 'flv', '-y', OUT,
  ]);
  // Another bitstream filter is dropped like any other audio option.
  assert.deepEqual(argv('vcodec copy; acodec copy; aparams { bsf:a mp3decomp; }'), ['-f', 'flv', '-i', IN, '-vcodec', 'copy', '-acodec', 'copy', '-f', 'flv', '-y', OUT]);
});

test('vn and an: -vn / -an instead of a codec, and no options for the dropped track', () => {
  assert.deepEqual(argv('vcodec vn; vbitrate 300; acodec aac; abitrate 45; asample_rate 44100; achannels 2;'), [
    '-f', 'flv', '-i', IN, '-vn', '-acodec', 'aac', '-b:a', '45000', '-ar', '44100', '-ac', '2', '-f', 'flv', '-y', OUT,
  ]);
  assert.deepEqual(argv('vcodec libx264; vprofile baseline; vpreset superfast; vthreads 2; acodec an; abitrate 45;'), [
    '-f', 'flv', '-i', IN, '-vcodec', 'libx264', '-threads', '2', '-profile:v', 'baseline', '-preset', 'superfast', '-an', '-f', 'flv', '-y', OUT,
  ]);
});

test('vf filter, vparams with their own dash, flags without a value, default vthreads 1', () => {
  assert.deepEqual(argv(`vfilter { vf 'crop=in_w-20:in_h-160:10:80'; } vcodec libx264; vprofile high; vpreset fast; vparams { -tune zerolatency; an_flag; } acodec aac;`), [
    '-f', 'flv', '-i', IN, '-vf', 'crop=in_w-20:in_h-160:10:80',
    '-vcodec', 'libx264', '-threads', '1', '-profile:v', 'high', '-preset', 'fast', '-tune', 'zerolatency', '-an_flag',
    '-acodec', 'aac', '-f', 'flv', '-y', OUT,
  ]);
});

test('sizes are made even; size and aspect only when both are set; fractional fps keeps two decimals', () => {
  const a = argv('vcodec libx264; vwidth 161; vheight 121; vfps 29.97; vprofile main; vpreset medium; acodec copy;');
  assert.deepEqual(a.slice(a.indexOf('-r'), a.indexOf('-threads')), ['-r', '29.97', '-s', '160x120', '-aspect', '160:120']);
  assert.ok(!argv('vcodec libx264; vwidth 320; vprofile main; vpreset medium; acodec copy;').includes('-s'));
});

test('png is accepted like libx264 but needs no profile or preset', () => {
  assert.deepEqual(argv('vcodec png; vfps 1; acodec an; oformat image2;', IN, './[stream]-%03d.png'), [
    '-f', 'flv', '-i', IN, '-vcodec', 'png', '-r', '1.00', '-threads', '1', '-an', '-f', 'image2', '-y', './[stream]-%03d.png',
  ]);
});

test('iformat off / oformat off: no -f at all; iformat dropped for inputs that are not rtmp://', () => {
  assert.deepEqual(argv('iformat off; oformat off; vcodec copy; acodec copy;', IN, 'out.mp4'), ['-i', IN, '-vcodec', 'copy', '-acodec', 'copy', '-y', 'out.mp4']);
  assert.deepEqual(argv('iformat mpegts; oformat mpegts; vcodec copy; acodec copy;', 'udp://0.0.0.0:5000', 'udp://10.0.0.1:6000'), [
    '-i', 'udp://0.0.0.0:5000', '-vcodec', 'copy', '-acodec', 'copy', '-f', 'mpegts', '-y', 'udp://10.0.0.1:6000',
  ]);
});

test('input params come first, then perfile (ingest: -loglevel, -re)', () => {
  const cmd = transcodeCommand(engine('perfile { rtsp_transport tcp; } vcodec copy; acodec copy;'), 'rtsp://cam/1', OUT, ['-loglevel', 'warning', '-re']);
  assert.deepEqual(ffmpegArgs(cmd), ['-loglevel', 'warning', '-re', '-rtsp_transport', 'tcp', '-i', 'rtsp://cam/1', '-vcodec', 'copy', '-acodec', 'copy', '-f', 'flv', '-y', OUT]);
});

test('copyCommand: both codecs copied, nothing else (the caller sets the output format)', () => {
  assert.deepEqual(ffmpegArgs({ ...copyCommand('./a.flv', OUT, ['-re']), oformat: 'flv' }), ['-re', '-i', './a.flv', '-vcodec', 'copy', '-acodec', 'copy', '-f', 'flv', '-y', OUT]);
  assert.throws(() => copyCommand('./a.flv', ''), (e: unknown) => e instanceof EngineError && e.kind === 'NoOutput');
});

test("SRS's checks: each refusal is an EngineError with SRS's code", () => {
  const refuse = (body: string, kind: string, output = OUT): void => {
    assert.throws(
      () => transcodeCommand(engine(body), IN, output),
      (e: unknown) => e instanceof EngineError && e.kind === kind && /^code=30\d\d\(FFmpeg\w+\) : /.test(e.summary()),
      body,
    );
  };
  refuse('vcodec vn; acodec an;', 'NoCodec');
  refuse('vcodec libx265; vprofile main; vpreset fast; acodec aac;', 'NoCodec');
  refuse('vcodec; acodec aac;', 'NoCodec');
  refuse('vcodec libx264; vpreset fast; acodec aac;', 'Profile');
  refuse('vcodec libx264; vprofile main; acodec aac;', 'Preset');
  refuse('vcodec libx264; vbitrate -1; vprofile main; vpreset fast; acodec aac;', 'VideoBitrate');
  refuse('vcodec libx264; vfps -1; vprofile main; vpreset fast; acodec aac;', 'Fps');
  refuse('vcodec libx264; vwidth -4; vprofile main; vpreset fast; acodec aac;', 'Width');
  refuse('vcodec libx264; vheight -4; vprofile main; vpreset fast; acodec aac;', 'Height');
  refuse('vcodec libx264; vthreads -1; vprofile main; vpreset fast; acodec aac;', 'Threads');
  refuse('vcodec copy; acodec libaacplus; abitrate 96;', 'AudioBitrate');
  refuse('vcodec copy; acodec aac; abitrate -1;', 'AudioBitrate');
  refuse('vcodec copy; acodec aac; asample_rate -1;', 'SampleRate');
  refuse('vcodec copy; acodec aac; achannels 6;', 'Channels');
  refuse('vcodec copy;', 'AudioCodec');
  refuse('vcodec copy; acodec copy;', 'NoOutput', '');
  // libaacplus in range, and copied tracks ignore their numbers.
  assert.ok(transcodeCommand(engine('vcodec copy; acodec libaacplus; abitrate 64;'), IN, OUT));
  assert.ok(transcodeCommand(engine('vcodec copy; vbitrate -5; acodec copy; achannels 6;'), IN, OUT));
});
