import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import type { ServerContext } from '../context.js';
import { RtcService } from './rtc-service.js';

function service(candidate: string): RtcService {
  return new RtcService({ config: () => ({ rtcServer: { candidate } }) } as unknown as ServerContext);
}

test('candidates: ?eip= wins (with its :port when given), then rtc_server.candidate, then * = this host\'s IPv4 addresses', () => {
  assert.deepEqual(service('192.0.2.1').candidates('203.0.113.7:8001').map((c) => [c.address, c.port]), [['203.0.113.7', 8001]]);
  assert.deepEqual(service('192.0.2.1').candidates('203.0.113.7').map((c) => [c.address, c.port]), [['203.0.113.7', 0]]);
  assert.deepEqual(service('192.0.2.1').candidates(undefined).map((c) => c.address), ['192.0.2.1']);
  const local = Object.values(os.networkInterfaces()).flatMap((l) => l ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address);
  assert.deepEqual(service('*').candidates(undefined).map((c) => c.address), local.length > 0 ? local : ['127.0.0.1']);
  assert.ok(service('*').candidates(undefined).every((c) => c.transport === 'udp'));
});

test('play while the UDP port is not open is refused with a reason (no client record is made)', async () => {
  await assert.rejects(service('*').play({ offer: 'v=0', vhost: '', app: 'live', stream: 's', param: '', clientIp: '127.0.0.1', pageUrl: '', tcUrl: '' }), /RTC is disabled/);
});
