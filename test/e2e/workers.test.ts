// Multi-process mode (TSRS_WORKERS): workers share the RTMP and HTTP ports; the primary supervises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { rtmpConf, startServer } from './harness.js';
import { RawRtmpClient } from './rtmp-client.js';

function apiPid(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // A new connection per request, so the primary hands each to the next worker.
    const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/versions', agent: false, headers: { Connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve((JSON.parse(body) as { pid: string }).pid));
    });
    req.on('error', reject);
  });
}

test('TSRS_WORKERS=2: two workers share the ports, a dead worker is replaced, SIGTERM stops all', async () => {
  process.env.TSRS_WORKERS = '2';
  const server = await startServer((p) => rtmpConf(p, '', `http_api { enabled on; listen ${p.api}; }`));
  delete process.env.TSRS_WORKERS;
  try {
    await server.waitForLog(/primary pid=\d+ started 2 workers/);
    await server.waitForLog(/RTMP listen at[\s\S]*RTMP listen at/);
    const pids = new Set<string>();
    for (let i = 0; i < 20 && pids.size < 2; i++) pids.add(await apiPid(server.ports.api));
    assert.equal(pids.size, 2, `answers came from ${[...pids].join(', ')}`);
    assert.ok(![...pids].includes(String(server.proc.pid)), 'the primary serves nothing itself');

    // RTMP is served by the workers too.
    const c = await RawRtmpClient.open(server.ports.rtmp);
    assert.equal(await c.connectApp(`rtmp://127.0.0.1:${server.ports.rtmp}/live`), 1);
    c.close();

    const victim = Number([...pids][0]);
    process.kill(victim, 'SIGKILL');
    await server.waitForLog(new RegExp(`worker pid=${victim} exited \\(code=null, signal=SIGKILL\\); restarting`));
    await server.waitForLog(/(RTMP listen at[\s\S]*){3}/);
  } finally {
    const code = await server.stop();
    assert.equal(code, 0);
    assert.match(server.output(), /all workers exited/);
  }
});
