import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discoverRequest, outboundUrl } from './request.js';

test('standard url', () => {
  const r = discoverRequest('rtmp://127.0.0.1:1936/live', 'cam1');
  assert.equal(r.host, '127.0.0.1');
  assert.equal(r.port, 1936);
  assert.equal(r.vhost, '127.0.0.1');
  assert.equal(r.app, 'live');
  assert.equal(r.stream, 'cam1');
  assert.equal(r.param, '');
});

test('default port and query on the stream name become param', () => {
  const r = discoverRequest('rtmp://example.com/live', 'cam1?token=abc&x=1');
  assert.equal(r.port, 1935);
  assert.equal(r.stream, 'cam1');
  assert.equal(r.param, '?token=abc&x=1');
});

test('FMLE style: params on the tcUrl', () => {
  const r = discoverRequest('rtmp://host/live?vhost=show.example.com', 'cam1');
  assert.equal(r.app, 'live');
  assert.equal(r.stream, 'cam1');
  assert.equal(r.vhost, 'show.example.com');
  assert.equal(r.param, '?vhost=show.example.com');
});

test('vhost from ?vhost= on the stream and ?domain=', () => {
  assert.equal(discoverRequest('rtmp://1.2.3.4/live', 'cam1?vhost=a.com').vhost, 'a.com');
  assert.equal(discoverRequest('rtmp://1.2.3.4/live', 'cam1?domain=b.com').vhost, 'b.com');
});

test('vhost=__defaultVhost__ alone clears the param and keeps the host', () => {
  const r = discoverRequest('rtmp://1.2.3.4/live', 'cam1?vhost=__defaultVhost__');
  assert.equal(r.vhost, '1.2.3.4');
  assert.equal(r.param, '');
});

test('_definst_ removed, multi-level app, no app', () => {
  assert.equal(discoverRequest('rtmp://h/live/_definst_', 'cam1').app, 'live');
  const m = discoverRequest('rtmp://h/app1/app2', 'cam1');
  assert.equal(m.app, 'app1/app2');
  assert.equal(discoverRequest('rtmp://h', 'cam1').app, '__defaultApp__');
});

test('legacy ...vhost... form', () => {
  const r = discoverRequest('rtmp://1.2.3.4/live...vhost...a.com', 'cam1');
  assert.equal(r.app, 'live');
  assert.equal(r.vhost, 'a.com');
});

test('empty name: the stream is guessed from the app path', () => {
  const r = discoverRequest('rtmp://h/live/cam1', '');
  assert.equal(r.app, 'live');
  assert.equal(r.stream, 'cam1');
});

test('whitespace and slashes are sanitised; IPv6 host', () => {
  const r = discoverRequest('rtmp://[::1]:1937/ live /', ' cam 1 ');
  assert.equal(r.host, '::1');
  assert.equal(r.port, 1937);
  assert.equal(r.app, 'live');
  assert.equal(r.stream, 'cam1');
});

test('hash treated like a query', () => {
  const r = discoverRequest('rtmp://h/live', 'cam1#k=v');
  assert.equal(r.stream, 'cam1');
  assert.equal(r.param, '#k=v');
});

test('outbound url carries the vhost unless default', () => {
  assert.equal(outboundUrl('10.0.0.2:1935', 'live', 'cam1', '?token=x', 'a.com'), 'rtmp://10.0.0.2:1935/live/cam1?token=x&vhost=a.com');
  assert.equal(outboundUrl('10.0.0.2:1935', 'live', 'cam1', '', '__defaultVhost__'), 'rtmp://10.0.0.2:1935/live/cam1');
});
