import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appStreamOfPath, casterRequest, expandOutputUrl } from './output-url.js';

test('[app] and [stream] are replaced from the POST path', () => {
  assert.equal(expandOutputUrl('rtmp://127.0.0.1/[app]/[stream]', { app: 'live', stream: 's' }), 'rtmp://127.0.0.1/live/s');
  assert.equal(expandOutputUrl('rtmp://h/[app]/[stream]_[app]', { app: 'a', stream: 'b' }), 'rtmp://h/a/b_a');
  // No variables (UDP caster): the URL as written.
  assert.equal(expandOutputUrl('rtmp://127.0.0.1/live/livestream', {}), 'rtmp://127.0.0.1/live/livestream');
});

test('the output URL names vhost, app and stream like an RTMP publish of it', () => {
  const r = casterRequest('rtmp://127.0.0.1/live/livestream', {});
  assert.equal(r.vhost, '127.0.0.1');
  assert.equal(r.app, 'live');
  assert.equal(r.stream, 'livestream');
  assert.equal(r.tcUrl, 'rtmp://127.0.0.1/live');
  assert.equal(r.param, '');
  const v = casterRequest('rtmp://127.0.0.1:1936/[app]/[stream]?vhost=cams', { app: 'show/x', stream: 'cam1' }, '?token=k');
  assert.equal(v.vhost, 'cams');
  assert.equal(v.app, 'show/x');
  assert.equal(v.stream, 'cam1');
  assert.equal(v.port, 1936);
  assert.equal(v.param, '?vhost=cams&token=k');
  assert.equal(casterRequest('rtmp://h/live/s', {}, 'a=1').param, '?a=1');
});

test('a POST path gives [app] (dirname) and [stream] (basename without extension)', () => {
  assert.deepEqual(appStreamOfPath('/live/s.flv'), { app: 'live', stream: 's' });
  assert.deepEqual(appStreamOfPath('/live/sub/cam.1.flv'), { app: 'live/sub', stream: 'cam.1' });
  assert.deepEqual(appStreamOfPath('/live/s'), { app: 'live', stream: 's' });
  assert.equal(appStreamOfPath('/s.flv'), null);
  assert.equal(appStreamOfPath('/'), null);
  assert.equal(appStreamOfPath('/live/.flv'), null);
});
