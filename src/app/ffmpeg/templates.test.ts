import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  encoderLogPath,
  execStreamUrl,
  expandExecArg,
  expandIngestOutput,
  expandTranscodeOutput,
  ingestLogPath,
  splitRedirections,
  transcodeInputUrl,
  type PublishRequest,
} from './templates.js';

// 2024-03-05 07:08:09.010 UTC
const clock = { nowMs: Date.UTC(2024, 2, 5, 7, 8, 9, 10), utc: true };

const req: PublishRequest = {
  vhost: '__defaultVhost__',
  app: 'live',
  stream: 'cam',
  param: '?token=abc',
  tcUrl: 'rtmp://media.example.com:19350/live',
  pageUrl: 'http://example.com/page.html',
  swfUrl: 'http://example.com/player.swf',
  host: 'media.example.com',
  tcPort: 19350,
  port: 1935,
};

test('transcode input: the local RTMP port, the vhost in the app query', () => {
  assert.equal(transcodeInputUrl(req), 'rtmp://127.0.0.1:1935/live?vhost=__defaultVhost__/cam');
  assert.equal(transcodeInputUrl({ ...req, vhost: 'a.com', port: 1936 }), 'rtmp://127.0.0.1:1936/live?vhost=a.com/cam');
});

test('transcode output: every variable, every occurrence, date variables last', () => {
  assert.equal(
    expandTranscodeOutput('rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]?vhost=[vhost]', req, 'sd', clock),
    'rtmp://127.0.0.1:1935/live/cam_sd?vhost=__defaultVhost__',
  );
  assert.equal(expandTranscodeOutput('rtmp://127.0.0.1:[port]/[app]/[stream]_[engine][param]', req, 'copy', clock), 'rtmp://127.0.0.1:1935/live/cam_copy?token=abc');
  assert.equal(
    expandTranscodeOutput('/rec/[app]/[stream]/[2006][01][02]/[15][04][05]-[999]-[timestamp]-[stream].flv', req, '', clock),
    `/rec/live/cam/20240305/070809-010-${clock.nowMs}-cam.flv`,
  );
  // Local time unless utc_time.
  const local = new Date(clock.nowMs);
  assert.equal(expandTranscodeOutput('[15]', req, '', { ...clock, utc: false }), String(local.getHours()).padStart(2, '0'));
  // Unknown variables stay as written.
  assert.equal(expandTranscodeOutput('x[foo]', req, 'e', clock), 'x[foo]');
});

test('ingest output: [vhost] [port] and dates only; a default-vhost query is removed', () => {
  assert.equal(expandIngestOutput('rtmp://127.0.0.1:[port]/live/livestream?vhost=[vhost]', '__defaultVhost__', 1935, clock), 'rtmp://127.0.0.1:1935/live/livestream');
  assert.equal(expandIngestOutput('rtmp://127.0.0.1:[port]/live/livestream?vhost=[vhost]', 'a.com', 1935, clock), 'rtmp://127.0.0.1:1935/live/livestream?vhost=a.com');
  assert.equal(expandIngestOutput('rtmp://127.0.0.1:[port]/live?vhost=[vhost]/s', '__defaultVhost__', 1935, clock), 'rtmp://127.0.0.1:1935/live/s');
  assert.equal(expandIngestOutput('rtmp://127.0.0.1:[port]/live/s?vhost=[vhost]&k=v', '__defaultVhost__', 1935, clock), 'rtmp://127.0.0.1:1935/live/s?k=v');
  assert.equal(expandIngestOutput('rtmp://127.0.0.1:[port]/[app]/[stream]-[2006]', '__defaultVhost__', 1935, clock), 'rtmp://127.0.0.1:1935/[app]/[stream]-2024');
});

test('exec [url]: vhost added to the query for a named host or vhost, not for an IPv4 host', () => {
  assert.equal(execStreamUrl(req), 'rtmp://media.example.com:19350/live/cam?token=abc&vhost=media.example.com');
  assert.equal(execStreamUrl({ ...req, host: '10.0.0.1', param: '' }), 'rtmp://10.0.0.1:19350/live/cam');
  assert.equal(execStreamUrl({ ...req, host: '10.0.0.1', param: '', vhost: 'a.com' }), 'rtmp://10.0.0.1:19350/live/cam?vhost=a.com');
  assert.equal(execStreamUrl({ ...req, param: '?vhost=b.com' }), 'rtmp://media.example.com:19350/live/cam?vhost=b.com');
});

test('exec arguments: stream variables, client values, dates, [url]', () => {
  const e = (t: string): string => expandExecArg(t, req, clock);
  assert.equal(e('[vhost]/[app]/[stream]:[port]'), '__defaultVhost__/live/cam:1935');
  assert.equal(e('[tcUrl]|[swfUrl]|[pageUrl]'), 'rtmp://media.example.com:19350/live|http://example.com/player.swf|http://example.com/page.html');
  assert.equal(e('./[stream]-[2006][01][02].flv'), './cam-20240305.flv');
  assert.equal(e('[url]'), 'rtmp://media.example.com:19350/live/cam?token=abc&vhost=media.example.com');
});

test('log files: per engine under ff_log_dir, or /dev/null', () => {
  assert.equal(encoderLogPath('./objs', '__defaultVhost__', 'live', 'cam', 'sd'), './objs/ffmpeg-encoder-__defaultVhost__-live-cam-sd.log');
  assert.equal(encoderLogPath('./objs', '__defaultVhost__', 'live', 'cam', ''), './objs/ffmpeg-encoder-__defaultVhost__-live-cam.log');
  assert.equal(encoderLogPath('/dev/null', 'v', 'a', 's', 'e'), '/dev/null');
  assert.equal(ingestLogPath('/var/log/srs', 'v', 'live', 'in'), '/var/log/srs/ffmpeg-ingest-v-live-in.log');
  assert.equal(ingestLogPath('/dev/null', 'v', 'live', 'in'), '/dev/null');
});

test('redirections: every form SRS understands, plus 2>&1', () => {
  assert.deepEqual(splitRedirections(['ffmpeg', '-i', 'x', 'out.flv']), { args: ['ffmpeg', '-i', 'x', 'out.flv'], stdout: '', stderr: '' });
  assert.deepEqual(splitRedirections(['a', '>o.log']), { args: ['a'], stdout: 'o.log', stderr: '' });
  assert.deepEqual(splitRedirections(['a', '>', 'o.log']), { args: ['a'], stdout: 'o.log', stderr: '' });
  assert.deepEqual(splitRedirections(['a', '1>o.log', '2>e.log']), { args: ['a'], stdout: 'o.log', stderr: 'e.log' });
  assert.deepEqual(splitRedirections(['a', '1', '>', 'o.log', '2', '>e.log']), { args: ['a'], stdout: 'o.log', stderr: 'e.log' });
  assert.deepEqual(splitRedirections(['a', 'b>o.log']), { args: ['a', 'b'], stdout: 'o.log', stderr: '' });
  assert.deepEqual(splitRedirections(['a', '>o.log', '2>&1']), { args: ['a'], stdout: 'o.log', stderr: '&1' });
  // A lone 1 or 2 is an argument.
  assert.deepEqual(splitRedirections(['a', '1', '2']), { args: ['a', '1', '2'], stdout: '', stderr: '' });
});
