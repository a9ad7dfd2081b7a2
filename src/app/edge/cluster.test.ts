import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/logger.js';
import { parseConfigText } from '../../config/index.js';
import { retryDelayMs } from '../forward/index.js';
import { withDefaultPort } from '../upstream/index.js';
import { clustersQueryUrl, locateInCluster, parseClustersAnswer, ORIGIN_CLUSTER_REDIRECT } from './origin-cluster.js';
import { RoundRobin } from './round-robin.js';
import { TsrsError } from '../../core/errors.js';

const quiet: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quiet };

test('round robin starts with the first server and wraps (SrsLbRoundRobin)', () => {
  const lb = new RoundRobin();
  assert.equal(lb.selected, '');
  assert.deepEqual([1, 2, 3, 4, 5].map(() => lb.select(['a', 'b', 'c'])), ['a', 'b', 'c', 'a', 'b']);
  assert.equal(lb.selected, 'b');
  assert.throws(() => lb.select([]));
});

test('default RTMP port for origins and destinations', () => {
  assert.equal(withDefaultPort('10.0.0.2'), '10.0.0.2:1935');
  assert.equal(withDefaultPort('10.0.0.2:19350'), '10.0.0.2:19350');
  assert.equal(withDefaultPort('origin.example.com'), 'origin.example.com:1935');
  assert.equal(withDefaultPort('[::1]:1936'), '[::1]:1936');
  assert.equal(withDefaultPort('[::1]'), '[::1]:1935');
  assert.equal(withDefaultPort('::1'), '[::1]:1935');
});

test('forward retry: every 3 s, then doubling up to the cap after 5 failures in a row', () => {
  assert.deepEqual([1, 2, 5, 6, 7, 8, 9, 20].map((n) => retryDelayMs(n, 3000, 30_000)), [3000, 3000, 3000, 6000, 12000, 24000, 30000, 30000]);
});

test('clusters answers: origin ip/port, or why not', () => {
  assert.deepEqual(parseClustersAnswer('u', '{"code":0,"data":{"query":{},"origin":{"ip":"10.0.0.3","port":19351,"vhost":"v","api":"x","routers":["x"]}}}'), {
    ip: '10.0.0.3',
    port: 19351,
  });
  assert.throws(() => parseClustersAnswer('u', '{"code":0,"data":{"origin":null}}'), /no origin/);
  assert.throws(() => parseClustersAnswer('u', '{"code":0,"data":{"origin":{"ip":"h","port":"1935"}}}'), /without ip\/port/);
  assert.throws(() => parseClustersAnswer('u', 'nope'), /not JSON/);
});

function clusterVhost(coworkers: string[]) {
  const config = parseConfigText(
    `listen 1935; vhost v.com { cluster { mode local; origin_cluster on; coworkers ${coworkers.join(' ')}; } }`,
    'c.conf',
  );
  return config.vhosts.get('v.com')!;
}

test('origin cluster: coworkers asked in order with SRS query; the first with the stream wins', async () => {
  const seen: string[] = [];
  const answers = [
    { code: 0, data: { query: {}, origin: null } },
    { code: 0, data: { query: {}, origin: { ip: '10.1.1.2', port: 19352, vhost: 'v.com', api: '10.1.1.2:1985', routers: ['10.1.1.2:1985'] } } },
  ];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answers[seen.length - 1] ?? answers[0]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as AddressInfo).port;
    const coworker = `127.0.0.1:${port}`;
    const vhost = clusterVhost([coworker, coworker]);
    const req = { vhost, host: '192.168.1.9', app: 'live', stream: 'cam1', param: '?token=x' };
    assert.equal(
      clustersQueryUrl(coworker, req),
      `http://${coworker}/api/v1/clusters?vhost=v.com&ip=192.168.1.9&app=live&stream=cam1&coworker=${coworker}`,
    );
    const url = await locateInCluster(req, quiet, { timeoutMs: 2000 });
    assert.equal(url, 'rtmp://10.1.1.2:19352/live/cam1?token=x&vhost=v.com');
    assert.deepEqual(seen, [
      `POST /api/v1/clusters?vhost=v.com&ip=192.168.1.9&app=live&stream=cam1&coworker=${coworker}`,
      `POST /api/v1/clusters?vhost=v.com&ip=192.168.1.9&app=live&stream=cam1&coworker=${coworker}`,
    ]);

    // Nobody has it (and one coworker is down): error 3092.
    seen.length = 0;
    answers.length = 1;
    const none = clusterVhost([coworker, '127.0.0.1:1']);
    await assert.rejects(locateInCluster({ ...req, vhost: none }, quiet, { timeoutMs: 2000 }), (err: unknown) => {
      assert.ok(err instanceof TsrsError);
      assert.equal(err.code, ORIGIN_CLUSTER_REDIRECT);
      return true;
    });
  } finally {
    server.close();
  }
});

test('origin cluster off, or an edge: no lookup, the play is served here', async () => {
  const config = parseConfigText('listen 1935; vhost a { } vhost e { cluster { mode remote; origin 1.2.3.4; origin_cluster on; coworkers 1.2.3.4:1985; } }', 'c.conf');
  for (const name of ['a', 'e']) {
    const url = await locateInCluster({ vhost: config.vhosts.get(name)!, host: 'h', app: 'live', stream: 's', param: '' }, quiet, { timeoutMs: 100 });
    assert.equal(url, null);
  }
});
