import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpuTotal,
  parseDiskstatsTicks,
  parseMeminfo,
  parseNetDev,
  parseProcSelfStat,
  parseProcStatCpu,
  parseSnmpTcpEstab,
  parseSockstat,
  parseVmstat,
  SystemSampler,
  type ReadText,
} from './system-stats.js';

const SELF_STAT =
  '4242 (node (tsrs)) S 1 4240 16910 0 -1 4194304 7220 0 0 0 15 2 0 0 20 0 11 0 234406 1056530432 16024 18446744073709551615 11988992 39846385 140721378160144 0 0 0 0 16781312 17927 0 0 0 17 1 0 0 0 0 0';

describe('/proc parsers', () => {
  test('/proc/self/stat with spaces and parentheses in comm', () => {
    const s = parseProcSelfStat(SELF_STAT)!;
    assert.equal(s.pid, 4242);
    assert.equal(s.comm, '(node (tsrs))');
    assert.equal(s.state, 'S');
    assert.equal(s.fields.ppid, 1);
    assert.equal(s.fields.utime, 15);
    assert.equal(s.fields.num_threads, 11);
    assert.equal(s.fields.rss, 16024);
    assert.equal(s.fields.rsslim, 18446744073709551615n);
    assert.equal(s.fields.cguest_time, 0);
    assert.equal(parseProcSelfStat('garbage'), null);
  });

  test('/proc/stat cpu line', () => {
    const c = parseProcStatCpu('cpu  100 2 30 400 5 6 7 8 9 10\ncpu0 1 2 3 4\n')!;
    assert.deepEqual(c, { user: 100, nice: 2, sys: 30, idle: 400, iowait: 5, irq: 6, softirq: 7, steal: 8, guest: 9 });
    assert.equal(cpuTotal(c), 567);
    assert.equal(parseProcStatCpu('intr 1 2\n'), null);
  });

  test('/proc/meminfo with SRS derived values', () => {
    const m = parseMeminfo('MemTotal:       1000 kB\nMemFree:         200 kB\nBuffers:          50 kB\nCached:          150 kB\nSwapCached: 0 kB\nSwapTotal:       400 kB\nSwapFree:        100 kB\n');
    assert.equal(m.MemTotal, 1000);
    assert.equal(m.Cached, 150);
    assert.equal(m.MemActive, 800);
    assert.equal(m.RealInUse, 600);
    assert.equal(m.NotInUse, 400);
    assert.equal(m.percentRam, 0.6);
    assert.equal(m.percentSwap, 0.75);
  });

  test('/proc/net/dev, sockstat, snmp, vmstat, diskstats', () => {
    const dev = parseNetDev(
      'Inter-|   Receive |  Transmit\n face |bytes    packets\n    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n  eth0: 5000 10 0 0 0 0 0 0 7000 12 0 0 0 0 0 0\n',
    );
    assert.deepEqual(dev, [
      { name: 'lo', rbytes: 100, sbytes: 100 },
      { name: 'eth0', rbytes: 5000, sbytes: 7000 },
    ]);
    assert.deepEqual(parseSockstat('sockets: used 120\nTCP: inuse 9 orphan 0 tw 12 alloc 19 mem 3\nUDP: inuse 2 mem 1\n'), { sys: 31, tw: 12, udp: 2 });
    const snmp = 'Ip: a b\nIp: 1 2\nTcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs\nTcp: 1 200 120000 -1 50 40 3 2 8 999\n';
    assert.equal(parseSnmpTcpEstab(snmp), 8);
    assert.deepEqual(parseVmstat('nr_free_pages 1\npgpgin 1234\npgpgout 5678\n'), { pgpgin: 1234, pgpgout: 5678 });
    const ds = '   8       0 sda 1 2 3 4 5 6 7 8 9 70 11\n   8       1 sda1 1 2 3 4 5 6 7 8 9 30 11\n 253 0 vda 1 2 3 4 5 6 7 8 9 5 1\n';
    assert.equal(parseDiskstatsTicks(ds, ['sda', 'vda']), 75);
    assert.equal(parseDiskstatsTicks(ds, []), 0);
  });
});

describe('SystemSampler', () => {
  test('percentages are deltas between samples; at most one read per second', () => {
    let now = 1_000_000;
    let idle = 400;
    let reads = 0;
    const read: ReadText = (p) => {
      reads++;
      if (p === '/proc/stat') return `cpu  100 0 100 ${idle} 0 0 0 0 0\n`;
      if (p === '/proc/self/stat') return SELF_STAT;
      if (p === '/proc/meminfo') return 'MemTotal: 1000 kB\nMemFree: 500 kB\n';
      if (p === '/proc/uptime') return '123.45 678.90\n';
      if (p === '/proc/loadavg') return '1.50 0.75 0.25 1/100 4242\n';
      return null;
    };
    const s = new SystemSampler(() => [], read, () => now);
    const first = s.sample();
    assert.equal(first.ok, true);
    const before = reads;
    now += 500;
    assert.equal(s.sample(), first, 'cached within a second');
    assert.equal(reads, before);
    now += 1000;
    idle += 100; // 100 idle ticks, 0 busy
    const second = s.sample();
    assert.equal(second.systemPercent, 0);
    assert.equal(second.uptime, 123.45);
    assert.equal(second.idleTime, 678.9);
    assert.deepEqual(second.load, [1.5, 0.75, 0.25]);
    assert.equal(second.mem.MemTotal, 1000);
  });

  test('no /proc at all: not ok, but still numbers', () => {
    const s = new SystemSampler(() => ['sda'], () => null);
    const x = s.sample(true);
    assert.equal(x.ok, false);
    assert.equal(x.selfOk, false);
    assert.ok(x.mem.MemTotal > 0, 'falls back to os.totalmem()');
    assert.equal(x.load.length, 3);
    assert.equal(x.connSys, 0);
  });
});
