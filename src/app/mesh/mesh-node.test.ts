import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../core/logger.js';
import type { ServerContext } from '../context.js';
import { SourceRegistry } from '../live/live-source.js';
import type { Sink } from '../live/sink.js';
import { MeshNode, meshTokenAdmits } from './mesh-node.js';
import type { WorkerToPrimary } from './messages.js';

function logger(lines: string[]): Logger {
  const log: Logger = {
    cid: 'test',
    verbose() {},
    info() {},
    trace: (m: string) => void lines.push(`trace ${m}`),
    warn: (m: string) => void lines.push(`warn ${m}`),
    error: (m: string) => void lines.push(`error ${m}`),
    child: () => log,
  };
  return log;
}

function node(): { mesh: MeshNode; sent: WorkerToPrimary[]; lines: string[]; registry: SourceRegistry } {
  const lines: string[] = [];
  const log = logger(lines);
  const registry = new SourceRegistry(log);
  const ctx = { registry, log, now: () => Date.now(), random: (n: number) => randomBytes(n) } as unknown as ServerContext;
  const sent: WorkerToPrimary[] = [];
  const mesh = new MeshNode(ctx, { token: 'secret', workerId: 1, send: (m) => void sent.push(m), retryMs: 20 }).register();
  return { mesh, sent, lines, registry };
}

const opts = { gopCache: true, gopCacheMaxFrames: 2500, reduceSequenceHeader: false };
const viewer = (id: string): Sink => ({ id, viewer: true, offer() {} });

/** A loopback port nobody listens on: connects are refused at once. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('only real local publishes are reported to the primary, not relays', () => {
  const { sent, registry } = node();
  const s = registry.obtain('__defaultVhost__', 'live', 'a', opts);
  const p = { id: 'p', kick() {} };
  s.startPublish(p);
  s.stopPublish(p);
  const relay = { id: 'r', kick() {}, relay: true as const };
  s.startPublish(relay);
  s.stopPublish(relay);
  assert.deepEqual(sent, [
    { tsrsMesh: 1, type: 'publish', key: '/live/a', vhost: '__defaultVhost__', app: 'live', stream: 'a' },
    { tsrsMesh: 1, type: 'unpublish', key: '/live/a' },
  ]);
});

test('other IPC passes by; malformed mesh messages are ignored with a log line', () => {
  const { mesh, lines } = node();
  mesh.receive({ cmd: 'something else' });
  mesh.receive('text');
  assert.deepEqual(lines, []);
  mesh.receive({ tsrsMesh: 1, type: 'publish', key: '/live/a' });
  mesh.receive({ tsrsMesh: 1, type: 'explode' });
  assert.equal(lines.length, 2);
  assert.ok((lines as string[]).every((l) => l.startsWith('warn mesh: ignore a message from the primary')));
});

test('a viewer waits for an owner; the pull starts when one is announced and stops when it unpublishes', async () => {
  const { mesh, registry, lines } = node();
  const port = await deadPort();
  const s = registry.obtain('__defaultVhost__', 'live', 'b', opts);
  s.addSink(viewer('v1'));
  assert.equal(mesh.pullerOf('/live/b'), undefined, 'nobody publishes it yet');
  // Our own publish, echoed by the primary, starts nothing.
  mesh.receive({ tsrsMesh: 1, type: 'publish', key: '/live/b', vhost: '__defaultVhost__', app: 'live', stream: 'b', port, owner: 1 });
  assert.equal(mesh.pullerOf('/live/b'), undefined);
  mesh.receive({ tsrsMesh: 1, type: 'publish', key: '/live/b', vhost: '__defaultVhost__', app: 'live', stream: 'b', port, owner: 2 });
  const puller = mesh.pullerOf('/live/b');
  assert.ok(puller && puller.owner === 2);
  // The owner's port refuses: the relay retries, without taking the publish side.
  const deadline = Date.now() + 5000;
  while (puller.attempts < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  assert.ok(puller.attempts >= 2, `attempts=${puller.attempts}`);
  assert.equal(mesh.pullerOf('/live/b'), puller, 'still retrying');
  assert.equal(s.isPublishing, false);
  assert.ok(lines.some((l) => /mesh: relay of \/live\/b from worker 2 ended .*retry in/.test(l)));
  // An unpublish from someone else is not ours to act on; the owner's stops the pull.
  mesh.receive({ tsrsMesh: 1, type: 'unpublish', key: '/live/b', owner: 3 });
  assert.equal(mesh.pullerOf('/live/b'), puller);
  mesh.receive({ tsrsMesh: 1, type: 'unpublish', key: '/live/b', owner: 2 });
  assert.equal(mesh.pullerOf('/live/b'), undefined);
  mesh.close();
});

test('a relay that keeps failing gives up; the last viewer leaving stops a pull', async () => {
  const { mesh, registry, lines } = node();
  const port = await deadPort();
  const s = registry.obtain('__defaultVhost__', 'live', 'c', opts);
  mesh.receive({ tsrsMesh: 1, type: 'publish', key: '/live/c', vhost: '__defaultVhost__', app: 'live', stream: 'c', port, owner: 2 });
  const v = viewer('v1');
  s.addSink(v);
  const first = mesh.pullerOf('/live/c');
  assert.ok(first);
  const deadline = Date.now() + 5000;
  while (mesh.pullerOf('/live/c') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(mesh.pullerOf('/live/c'), undefined, 'gave up');
  assert.equal(first.attempts, 5);
  assert.ok(lines.some((l) => /failed 5 times in a row/.test(l)));
  // The next announcement starts over; the viewer leaving stops it.
  mesh.receive({ tsrsMesh: 1, type: 'publish', key: '/live/c', vhost: '__defaultVhost__', app: 'live', stream: 'c', port, owner: 2 });
  assert.ok(mesh.pullerOf('/live/c'));
  s.removeSink(v);
  assert.equal(mesh.pullerOf('/live/c'), undefined);
  mesh.close();
});

test('the relay port admits only the exact token', () => {
  assert.equal(meshTokenAdmits('secret', '?tsrs_mesh=secret'), true);
  assert.equal(meshTokenAdmits('secret', '?vhost=x&tsrs_mesh=secret'), true);
  assert.equal(meshTokenAdmits('secret', '?tsrs_mesh=secreT'), false);
  assert.equal(meshTokenAdmits('secret', '?tsrs_mesh=secret1'), false);
  assert.equal(meshTokenAdmits('secret', ''), false);
  assert.equal(meshTokenAdmits('', '?tsrs_mesh='), false);
});
