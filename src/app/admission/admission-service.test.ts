import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError, ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { parseConfigText, type SrsConfig, type VhostConfig } from '../../config/index.js';
import type { HookClientInfo } from '../hooks/http-hooks.js';
import { Stats } from '../stats/stats.js';
import { AdmissionService, type AdmissionClient, type AdmissionRequest } from './index.js';

const log: Logger = { cid: 'srv', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => log };

/** Hooks that record every call; a gate refuses when its action is in `deny`, or waits when held. */
class FakeHooks {
  calls: { action: string; client: HookClientInfo; extra?: Record<string, unknown> }[] = [];
  deny = new Set<string>();
  held = new Map<string, () => void>();
  hold = new Set<string>();
  async gate(_cfg: unknown, action: string, client: HookClientInfo): Promise<void> {
    this.calls.push({ action, client });
    if (this.hold.has(action)) await new Promise<void>((r) => this.held.set(action, r));
    if (this.deny.has(action)) throw new AuthError(ErrorCode.HookCodeNotZero, `hook ${action}: code 1`);
  }
  notify(_cfg: unknown, action: string, client: HookClientInfo, _log: Logger, extra?: Record<string, unknown>): Promise<void> {
    this.calls.push({ action, client, extra });
    return Promise.resolve();
  }
  actions(): string[] {
    return this.calls.map((c) => c.action);
  }
}

function setup(extra = '', max = 1000) {
  const config: SrsConfig = parseConfigText(
    `listen 1935; max_connections ${max}; vhost __defaultVhost__ { http_hooks { enabled on; on_connect http://h/c; on_close http://h/c; on_publish http://h/p; on_unpublish http://h/p; on_play http://h/p; on_stop http://h/p; } ${extra} }`,
    'a.conf',
  );
  const hooks = new FakeHooks();
  const stats = new Stats();
  const traversed: string[] = [];
  let clusterOn = false;
  const admission = new AdmissionService(() => ({
    config: () => config,
    stats,
    hooks: hooks as never,
    log,
    now: () => 1000,
    cluster: clusterOn ? { traverse: async (r) => void traversed.push(`${r.host}/${r.app}/${r.stream}`) } : undefined,
  }));
  const vhost = config.vhosts.get('__defaultVhost__') as VhostConfig;
  return { admission, hooks, stats, vhost, traversed, cluster: (on: boolean) => (clusterOn = on) };
}

function client(over: Partial<AdmissionClient> = {}): AdmissionClient & { kicked: string[] } {
  const kicked: string[] = [];
  return { proto: 'rtmp', id: 'c1', ip: '127.0.0.1', log, sendBytes: () => 10, recvBytes: () => 20, kick: (r) => kicked.push(r), kicked, ...over };
}

function request(vhost: VhostConfig, over: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { vhost, app: 'live', stream: 'cam', param: '?k=1', tcUrl: 'rtmp://127.0.0.1/live', pageUrl: '', type: 'fmle-publish', ...over };
}

test('max_connections: one counter for every listener, slots released once', () => {
  const { admission } = setup('', 2);
  const a = admission.openConnection('rtmp', '1.1.1.1')!;
  const b = admission.openConnection('http', '1.1.1.2')!;
  assert.equal(admission.connections, 2);
  assert.equal(admission.openConnection('rtmp', '1.1.1.3'), null);
  a.release();
  a.release();
  assert.equal(admission.connections, 1);
  const c = admission.openConnection('http', '1.1.1.3');
  assert.ok(c);
  b.release();
  c.release();
  assert.equal(admission.connections, 0);
});

test('connection client: on_connect once, then on_publish; close fires on_unpublish then on_close, ends the record, frees the slot', async () => {
  const { admission, hooks, stats, vhost } = setup();
  const slot = admission.openConnection('rtmp', '127.0.0.1')!;
  const c = admission.openClient({ ...client(), connectHooks: true }, slot);
  assert.equal(stats.clientCount, 1, 'listed from accept');
  assert.equal(stats.client('c1')!.stat.type, '');
  const t = await c.admit('publish', request(vhost));
  assert.deepEqual(hooks.actions(), ['on_connect', 'on_publish']);
  assert.equal(stats.client('c1')!.stat.type, 'fmle-publish');
  assert.equal(stats.client('c1')!.stat.publish, true);
  assert.equal(hooks.calls[1]!.client.streamUrl, '/live/cam');
  assert.equal(hooks.calls[1]!.client.param, '?k=1');
  t.close('FCUnpublish');
  assert.equal(stats.client('c1')!.stat.publish, false);
  await c.admit('play', request(vhost, { type: 'rtmp-play' }));
  assert.deepEqual(hooks.actions(), ['on_connect', 'on_publish', 'on_unpublish', 'on_play'], 'no second on_connect');
  c.close('bye');
  c.close('bye again');
  assert.deepEqual(hooks.actions(), ['on_connect', 'on_publish', 'on_unpublish', 'on_play', 'on_stop', 'on_close']);
  assert.deepEqual(hooks.calls.at(-1)!.extra, { send_bytes: 10, recv_bytes: 20 });
  assert.equal(stats.clientCount, 0);
  assert.equal(admission.connections, 0);
});

test('refusals: security deny, referer and a hook; a refused one-shot client leaves no record', async () => {
  const sec = setup('security { enabled on; deny play 127.0.0.1; allow publish all; } refer { enabled on; publish studio.example.com; }');
  const c = sec.admission.openClient({ ...client(), connectHooks: true });
  await assert.rejects(c.admit('play', request(sec.vhost, { type: 'rtmp-play' })), (e: unknown) => e instanceof AuthError && e.code === ErrorCode.SystemSecurityDeny);
  await assert.rejects(c.admit('publish', request(sec.vhost, { pageUrl: 'http://evil.example/' })), /refer/);
  const ok = await c.admit('publish', request(sec.vhost, { pageUrl: 'http://live.studio.example.com/x' }));
  assert.equal(ok.closed, false);

  const { admission, hooks, stats, vhost } = setup();
  hooks.deny.add('on_play');
  await assert.rejects(admission.admit({ action: 'play', request: request(vhost, { type: 'flv-play' }), client: client({ proto: 'http-flv' }) }), /code 1/);
  assert.equal(stats.clientCount, 0);
  assert.deepEqual(hooks.actions(), ['on_play'], 'no on_stop after a refused play, no connect hooks over HTTP');
});

test('one-shot ticket: listed once admitted, close ends the record and fires on_stop once; abandon fires nothing', async () => {
  const { admission, hooks, stats, vhost } = setup();
  const t = await admission.admit({
    action: 'play',
    request: request(vhost, { type: 'hls-play', stream: 'cam', hookStream: 'cam.m3u8', name: 'cam.m3u8', tcUrl: 'http://h/live' }),
    client: client({ proto: 'hls', id: 'h1', tcUrl: 'http://h/live' }),
  });
  const rec = stats.client('h1')!.stat;
  assert.equal(rec.type, 'hls-play');
  assert.equal(rec.name, 'cam.m3u8');
  assert.equal(rec.stream, 'cam');
  assert.equal(t.hook.stream, 'cam.m3u8');
  assert.equal(t.hook.streamUrl, '/live/cam');
  t.close('idle');
  t.close('idle');
  assert.deepEqual(hooks.actions(), ['on_play', 'on_stop']);
  assert.equal(stats.clientCount, 0);

  const b = await admission.admit({ action: 'play', request: request(vhost, { type: 'flv-play' }), client: client({ proto: 'http-flv', id: 'h2' }) });
  b.abandon('HEAD');
  b.close('late');
  assert.deepEqual(hooks.actions(), ['on_play', 'on_stop', 'on_play']);
  assert.equal(stats.clientCount, 0);
});

test('edge token traverse runs after on_connect when the cluster feature is there', async () => {
  const { admission, hooks, vhost, traversed, cluster } = setup();
  cluster(true);
  const c = admission.openClient({ ...client(), connectHooks: true });
  await c.admit('play', request(vhost, { type: 'rtmp-play', traverse: { host: 'origin.test', tcUrl: 'rtmp://origin.test/live', connectArgs: null } }));
  assert.deepEqual(traversed, ['origin.test/live/cam']);
  assert.deepEqual(hooks.actions(), ['on_connect', 'on_play']);
});

test('a client that closes while a hook decides gets an abandoned ticket and no stop hook', async () => {
  const { admission, hooks, stats, vhost } = setup();
  hooks.hold.add('on_publish');
  const c = admission.openClient({ ...client(), connectHooks: true });
  const pending = c.admit('publish', request(vhost));
  await new Promise((r) => setImmediate(r));
  c.close('peer left');
  hooks.held.get('on_publish')!();
  const t = await pending;
  assert.equal(t.closed, true);
  assert.deepEqual(hooks.actions(), ['on_connect', 'on_publish', 'on_close']);
  assert.equal(stats.clientCount, 0);
});
