import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ConfDirective, getChild } from './directive.js';
import { parseConfTree } from './parser.js';
import { transformTree } from './transform.js';
import { parseConfigText } from './index.js';

function shape(d: ConfDirective): unknown[] {
  return d.children.map((c) => (c.children.length ? [c.name, ...c.args, shape(c)] : [c.name, ...c.args]));
}

function transformed(text: string): { tree: ConfDirective; notes: string[] } {
  const tree = parseConfTree(text, 't.conf');
  const notes = transformTree(tree);
  return { tree, notes };
}

test('http_stream becomes http_server; vhost http becomes http_static', () => {
  const { tree, notes } = transformed('http_stream { enabled on; }\nvhost v { http { enabled on; } }');
  assert.deepEqual(shape(tree), [['http_server', [['enabled', 'on']]], ['vhost', 'v', [['http_static', [['enabled', 'on']]]]]]);
  assert.equal(notes[0], 't.conf:1:1: transform: http_stream => http_server');
  assert.equal(notes[1], 't.conf:2:11: transform: vhost.http => vhost.http_static of v');
});

test('refer without block becomes refer { enabled on; all/play/publish }', () => {
  const { tree } = transformed('vhost v { refer a.com b.com; refer_play p.com; refer_publish q.com; }');
  assert.deepEqual(shape(tree), [
    ['vhost', 'v', [['refer', [['enabled', 'on'], ['all', 'a.com', 'b.com'], ['play', 'p.com'], ['publish', 'q.com']]]]],
  ]);
});

test('mr block becomes publish.mr and publish.mr_latency', () => {
  const { tree } = transformed('vhost v { mr { enabled on; latency 500; } }');
  assert.deepEqual(shape(tree), [['vhost', 'v', [['publish', [['mr', 'on'], ['mr_latency', '500']]]]]]);
});

test('publish_1stpkt_timeout and publish_normal_timeout move into publish', () => {
  const { tree } = transformed('vhost v { publish { parse_sps off; } publish_1stpkt_timeout 3000; publish_normal_timeout 7000; }');
  assert.deepEqual(shape(tree), [
    ['vhost', 'v', [['publish', [['parse_sps', 'off'], ['firstpkt_timeout', '3000'], ['normal_timeout', '7000']]]]],
  ]);
});

test('vhost-level play options move into play {} and merge with an existing (later) play block', () => {
  const { tree, notes } = transformed(`vhost v {
    gop_cache off; time_jitter zero; mix_correct on; atc on; atc_auto on; mw_latency 100;
    gop_cache_max_frames 10; queue_length 5; send_min_interval 10; reduce_sequence_header on;
    play { mw_msgs 4; queue_length 20; }
  }`);
  const play = getChild(tree.children[0], 'play')!;
  assert.deepEqual(shape(play), [
    ['mw_msgs', '4'],
    ['queue_length', '5'], // legacy value overrides, as SRS does
    ['gop_cache', 'off'],
    ['time_jitter', 'zero'],
    ['mix_correct', 'on'],
    ['atc', 'on'],
    ['atc_auto', 'on'],
    ['mw_latency', '100'],
    ['gop_cache_max_frames', '10'],
    ['send_min_interval', '10'],
    ['reduce_sequence_header', 'on'],
  ]);
  assert.equal(tree.children[0]!.children.length, 1, 'only the play block is left');
  assert.ok(notes.includes('t.conf:2:5: transform: vhost.gop_cache to vhost.play.gop_cache of v'));
  // Moved directives keep their original position.
  assert.equal(getChild(play, 'gop_cache')!.line, 2);
});

test('forward with args becomes forward { enabled on; destination ... }', () => {
  const { tree } = transformed('vhost v { forward 127.0.0.1:1936 127.0.0.1:1937; }');
  assert.deepEqual(shape(tree), [['vhost', 'v', [['forward', [['enabled', 'on'], ['destination', '127.0.0.1:1936', '127.0.0.1:1937']]]]]]);
});

test('edge options move into cluster {}', () => {
  const { tree } = transformed('vhost v { mode remote; origin a:1935 b; token_traverse on; vhost x.com; debug_srs_upnode off; }');
  assert.deepEqual(shape(tree), [
    ['vhost', 'v', [['cluster', [['mode', 'remote'], ['origin', 'a:1935', 'b'], ['token_traverse', 'on'], ['vhost', 'x.com'], ['debug_srs_upnode', 'off']]]]],
  ]);
});

test('nack/twcc blocks and rtc aac/bframe become rtc flags', () => {
  const { tree } = transformed('vhost v { nack { enabled off; no_copy off; } twcc { enabled off; } rtc { aac transcode; bframe discard; } }');
  const rtc = getChild(tree.children[0], 'rtc')!;
  assert.deepEqual(shape(rtc), [['nack', 'off'], ['nack_no_copy', 'off'], ['twcc', 'off'], ['rtmp_to_rtc', 'on'], ['keep_bframe', 'off']]);
});

test('http_remux hstrs is dropped; rtc_server perf_stat/queue_length dropped; srt tlpkdrop renamed', () => {
  const { tree } = transformed(
    'rtc_server { enabled on; perf_stat on; queue_length 10; }\nsrt_server { tlpkdrop off; }\nvhost v { http_remux { enabled on; hstrs on; } }',
  );
  assert.deepEqual(shape(tree), [
    ['rtc_server', [['enabled', 'on']]],
    ['srt_server', [['tlpktdrop', 'off']]],
    ['vhost', 'v', [['http_remux', [['enabled', 'on']]]]],
  ]);
});

test('stream_caster GB28181 v4 keys dropped, host moved to sip.candidate', () => {
  const { tree, notes } = transformed('stream_caster { caster gb28181; host 1.2.3.4; rtp_port_min 5000; sip { enabled on; serial 34; } }');
  assert.deepEqual(shape(tree), [['stream_caster', [['caster', 'gb28181'], ['sip', [['enabled', 'on'], ['candidate', '1.2.3.4']]]]]]);
  assert.ok(notes.some((n) => n.includes('rtp_port_min for GB is not used')));
  assert.ok(notes.some((n) => n.includes('sip.serial for GB is not used')));
});

test('legacy config loads with the transformed values', () => {
  const cfg = parseConfigText(
    `listen 1935; daemon off;
     http_stream { enabled on; listen 8081; dir ./html; }
     vhost __defaultVhost__ {
       gop_cache off; queue_length 7; time_jitter zero;
       publish_1stpkt_timeout 1000; mr { enabled on; latency 200; }
       refer example.com; forward 127.0.0.1:19350;
       mode remote; origin 127.0.0.1:1936;
     }`,
    'legacy.conf',
  );
  assert.equal(cfg.httpServer.enabled, true);
  assert.equal(cfg.httpServer.listen.port, 8081);
  const v = cfg.vhosts.get('__defaultVhost__')!;
  assert.equal(v.play.gopCache, false);
  assert.equal(v.play.queueLengthMs, 7000);
  assert.equal(v.play.timeJitter, 'zero');
  assert.equal(v.publish.firstPktTimeoutMs, 1000);
  assert.equal(v.publish.mr, true);
  assert.equal(v.publish.mrLatencyMs, 200);
  assert.deepEqual(v.refer, { enabled: true, all: ['example.com'], play: undefined, publish: undefined });
  assert.deepEqual(v.forward, { enabled: true, destination: ['127.0.0.1:19350'], backend: undefined });
  assert.equal(v.cluster.isEdge, true);
  assert.deepEqual(v.cluster.origin, ['127.0.0.1:1936']);
  assert.ok(cfg.warnings.some((w) => w.includes('transform: vhost.gop_cache to vhost.play.gop_cache')));
});
