import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { f2, srsJson } from './json.js';
import { escapeLabel, MetricsWriter } from './metrics.js';
import { isValidJsonpCallback } from './respond.js';
import { checkBasicAuth } from './routes.js';
import { atoi, page } from './stat-objects.js';

describe('srsJson', () => {
  test('compact, insertion order, integers plain, floats with two decimals', () => {
    assert.equal(
      srsJson({ code: 0, server: 'vid-x', alive: f2(13.04), mem_percent: f2(0), cpu: f2(0.125), n: 7, big: 1795457806843, ok: true, v: null }),
      '{"code":0,"server":"vid-x","alive":13.04,"mem_percent":0.00,"cpu":0.13,"n":7,"big":1795457806843,"ok":true,"v":null}',
    );
  });
  test('arrays, nesting, escaping, undefined members dropped', () => {
    assert.equal(srsJson({ a: [1, 'x"y', { b: undefined, c: [] }], d: {} }), '{"a":[1,"x\\"y",{"c":[]}],"d":{}}');
  });
  test('an unmarked non-integer is still printed as an SRS float; non-finite numbers become 0', () => {
    assert.equal(srsJson([1.5, Number.NaN, f2(Infinity)]), '[1.50,0,0.00]');
  });
  test('bigint values stay exact', () => {
    assert.equal(srsJson({ rsslim: 18446744073709551615n }), '{"rsslim":18446744073709551615}');
  });
});

describe('JSONP callback names', () => {
  test('only [A-Za-z0-9_.-]', () => {
    assert.equal(isValidJsonpCallback('JSON_CALLBACK'), true);
    assert.equal(isValidJsonpCallback('angular.callbacks._0'), true);
    assert.equal(isValidJsonpCallback('a-b'), true);
    assert.equal(isValidJsonpCallback('alert(1)'), false);
    assert.equal(isValidJsonpCallback('x;y'), false);
    assert.equal(isValidJsonpCallback('<script>'), false);
  });
});

describe('Basic auth', () => {
  const h = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
  test('accepts the right user:password only', () => {
    assert.equal(checkBasicAuth(h('admin:secret'), 'admin', 'secret'), true);
    assert.equal(checkBasicAuth(h('admin:pa:ss'), 'admin', 'pa:ss'), true);
    assert.equal(checkBasicAuth(h('admin:wrong'), 'admin', 'secret'), false);
    assert.equal(checkBasicAuth(h('root:secret'), 'admin', 'secret'), false);
    assert.equal(checkBasicAuth(h('nocolon'), 'admin', 'secret'), false);
    assert.equal(checkBasicAuth('Bearer abc', 'admin', 'secret'), false);
    assert.equal(checkBasicAuth(undefined, 'admin', 'secret'), false);
  });
});

describe('paging', () => {
  const items = Array.from({ length: 25 }, (_, i) => i);
  const u = (q: string): URL => new URL(`http://x/api/v1/streams/${q}`);
  test('default start 0, count 10', () => assert.deepEqual(page(items, u('')), items.slice(0, 10)));
  test('count is at least 10', () => assert.deepEqual(page(items, u('?count=2')), items.slice(0, 10)));
  test('start and count', () => assert.deepEqual(page(items, u('?start=20&count=30')), items.slice(20)));
  test('negative or junk start is 0', () => assert.deepEqual(page(items, u('?start=-5&count=x')), items.slice(0, 10)));
  test('atoi takes the leading integer', () => {
    assert.equal(atoi('12abc'), 12);
    assert.equal(atoi(null), 0);
    assert.equal(atoi(' 7'), 7);
  });
});

describe('Prometheus text', () => {
  test('HELP/TYPE once per family, labels escaped', () => {
    const w = new MetricsWriter();
    w.family('x_total', 'counter', 'Things.', [
      { labels: { a: 'q"uote', b: 'back\\slash\nnl' }, value: 3 },
      { value: 4 },
    ]);
    assert.equal(w.text(), '# HELP x_total Things.\n# TYPE x_total counter\nx_total{a="q\\"uote",b="back\\\\slash\\nnl"} 3\nx_total 4\n');
    assert.equal(escapeLabel('plain'), 'plain');
  });
});
