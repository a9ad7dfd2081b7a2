// Process and system samples for /api/v1/summaries, rusages, self_proc_stats, system_proc_stats and
// meminfos, read the way SRS's srs_app_utility.cpp reads them (/proc/self/stat, /proc/stat, /proc/meminfo,
// /proc/uptime, /proc/loadavg, /proc/vmstat, /proc/diskstats, /proc/net/dev, /proc/net/sockstat,
// /proc/net/snmp). Every reader tolerates a missing /proc (other OSes, containers): the sample is then
// marked not ok and falls back to what `os`/`process` know.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export type ReadText = (path: string) => string | null;

export const readProcText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** /proc/self/stat field names in order after `comm` and `state` (proc(5)), as SRS's API names them. */
const SELF_STAT_FIELDS = [
  'ppid', 'pgrp', 'session', 'tty_nr', 'tpgid', 'flags', 'minflt', 'cminflt', 'majflt', 'cmajflt',
  'utime', 'stime', 'cutime', 'cstime', 'priority', 'nice', 'num_threads', 'itrealvalue', 'starttime',
  'vsize', 'rss', 'rsslim', 'startcode', 'endcode', 'startstack', 'kstkesp', 'kstkeip', 'signal',
  'blocked', 'sigignore', 'sigcatch', 'wchan', 'nswap', 'cnswap', 'exit_signal', 'processor',
  'rt_priority', 'policy', 'delayacct_blkio_ticks', 'guest_time', 'cguest_time',
] as const;

export type SelfStatField = (typeof SELF_STAT_FIELDS)[number];

export interface ProcSelfStat {
  pid: number;
  comm: string;
  state: string;
  fields: Record<SelfStatField, number | bigint>;
}

/** Parse /proc/<pid>/stat (`comm` may hold spaces and parentheses: it ends at the last `)`). */
export function parseProcSelfStat(text: string): ProcSelfStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number.parseInt(text.slice(0, open), 10);
  const comm = `(${text.slice(open + 1, close)})`;
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const state = rest[0] ?? '';
  const fields = {} as Record<SelfStatField, number | bigint>;
  SELF_STAT_FIELDS.forEach((name, i) => {
    const text = rest[i + 1] ?? '0';
    const v = Number(text);
    // rsslim is often 2^64-1: keep such values exact.
    fields[name] = !Number.isFinite(v) ? 0 : Number.isSafeInteger(v) ? v : /^-?\d+$/.test(text) ? BigInt(text) : v;
  });
  return { pid: Number.isFinite(pid) ? pid : 0, comm, state, fields };
}

export interface CpuTimes {
  user: number;
  nice: number;
  sys: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
}

/** The aggregate `cpu ` line of /proc/stat (guest_nice ignored, like SRS). */
export function parseProcStatCpu(text: string): CpuTimes | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const v = line.slice(4).trim().split(/\s+/).map(Number);
  const at = (i: number): number => (Number.isFinite(v[i]) ? v[i]! : 0);
  return { user: at(0), nice: at(1), sys: at(2), idle: at(3), iowait: at(4), irq: at(5), softirq: at(6), steal: at(7), guest: at(8) };
}

export function cpuTotal(c: CpuTimes): number {
  return c.user + c.nice + c.sys + c.idle + c.iowait + c.irq + c.softirq + c.steal + c.guest;
}

export interface MemInfo {
  MemActive: number;
  RealInUse: number;
  NotInUse: number;
  MemTotal: number;
  MemFree: number;
  Buffers: number;
  Cached: number;
  SwapTotal: number;
  SwapFree: number;
  percentRam: number;
  percentSwap: number;
}

/** /proc/meminfo in KB, with SRS's derived values (srs_update_meminfo). */
export function parseMeminfo(text: string): MemInfo {
  const kb = (key: string): number => {
    const m = text.match(new RegExp(`^${key}:\\s*(\\d+)`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  const MemTotal = kb('MemTotal');
  const MemFree = kb('MemFree');
  const Buffers = kb('Buffers');
  const Cached = kb('Cached');
  const SwapTotal = kb('SwapTotal');
  const SwapFree = kb('SwapFree');
  const MemActive = MemTotal - MemFree;
  const RealInUse = MemActive - Buffers - Cached;
  const NotInUse = MemTotal - RealInUse;
  return {
    MemActive,
    RealInUse,
    NotInUse,
    MemTotal,
    MemFree,
    Buffers,
    Cached,
    SwapTotal,
    SwapFree,
    percentRam: MemTotal > 0 ? RealInUse / MemTotal : 0,
    percentSwap: SwapTotal > 0 ? (SwapTotal - SwapFree) / SwapTotal : 0,
  };
}

export interface NetDevice {
  name: string;
  rbytes: number;
  sbytes: number;
}

/** /proc/net/dev: receive bytes is the 1st counter, transmit bytes the 9th. */
export function parseNetDev(text: string): NetDevice[] {
  const out: NetDevice[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const v = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    out.push({ name: line.slice(0, colon).trim(), rbytes: v[0] ?? 0, sbytes: v[8] ?? 0 });
  }
  return out;
}

export interface SockStat {
  /** TCP alloc + TIME_WAIT (ss's summary, SRS conn_sys). */
  sys: number;
  tw: number;
  udp: number;
}

/** /proc/net/sockstat `TCP: inuse N orphan N tw N alloc N mem N` and `UDP: inuse N`. */
export function parseSockstat(text: string): SockStat {
  const num = (re: RegExp): number => {
    const m = text.match(re);
    return m ? Number(m[1]) : 0;
  };
  const tw = num(/^TCP:.*\btw (\d+)/m);
  const alloc = num(/^TCP:.*\balloc (\d+)/m);
  return { sys: alloc + tw, tw, udp: num(/^UDP: inuse (\d+)/m) };
}

/** Tcp CurrEstab from /proc/net/snmp (the 9th value of the second `Tcp:` line). */
export function parseSnmpTcpEstab(text: string): number {
  const lines = text.split('\n').filter((l) => l.startsWith('Tcp:'));
  if (lines.length < 2) return 0;
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  const i = names.indexOf('CurrEstab');
  const v = Number(values[i >= 0 ? i : 9]);
  return Number.isFinite(v) ? v : 0;
}

/** pgpgin/pgpgout (KB paged in/out) from /proc/vmstat. */
export function parseVmstat(text: string): { pgpgin: number; pgpgout: number } {
  const num = (key: string): number => {
    const m = text.match(new RegExp(`^${key} (\\d+)`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  return { pgpgin: num('pgpgin'), pgpgout: num('pgpgout') };
}

/** Milliseconds spent doing I/O (field 13) summed over the named devices of /proc/diskstats. */
export function parseDiskstatsTicks(text: string, devices: readonly string[]): number {
  if (devices.length === 0) return 0;
  let ticks = 0;
  for (const line of text.split('\n')) {
    const v = line.trim().split(/\s+/);
    if (v.length >= 13 && devices.includes(v[2]!)) ticks += Number(v[12]) || 0;
  }
  return ticks;
}

/** A device counts as public when one of its IPv4 addresses is not private/loopback/link-local. */
function internetDevices(): Set<string> {
  const out = new Set<string>();
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      const [x, y] = a.address.split('.').map(Number) as [number, number];
      const priv = x === 10 || x === 127 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 169 && y === 254) || (x === 100 && y >= 64 && y <= 127);
      if (!priv) out.add(name);
    }
  }
  return out;
}

export interface SystemSample {
  sampleTimeMs: number;
  ok: boolean;
  selfOk: boolean;
  self: ProcSelfStat | null;
  /** Process CPU as a fraction of one core since the previous sample. */
  selfPercent: number;
  systemOk: boolean;
  cpu: CpuTimes | null;
  /** Busy fraction of all cores since the previous sample. */
  systemPercent: number;
  memOk: boolean;
  mem: MemInfo;
  uptime: number;
  idleTime: number;
  load: [number, number, number];
  diskInKBps: number;
  diskOutKBps: number;
  diskBusy: number;
  netSampleTimeMs: number;
  netRecv: number;
  netSend: number;
  netRecvi: number;
  netSendi: number;
  connSys: number;
  connSysEt: number;
  connSysTw: number;
  connSysUdp: number;
}

/**
 * Periodic system sampler. `sample()` re-reads at most once a second; percentages are deltas since the
 * previous read, like SRS's timer-driven srs_update_* (the first sample is taken at construction).
 */
export class SystemSampler {
  private last: SystemSample | null = null;
  private lastCpuUsage = process.cpuUsage();
  private lastCpuAt = process.hrtime.bigint();
  private lastVm: { pgpgin: number; pgpgout: number; atMs: number } | null = null;
  private lastDiskTicks = 0;

  constructor(
    private readonly disks: () => readonly string[] = () => [],
    private readonly read: ReadText = readProcText,
    private readonly now: () => number = Date.now,
  ) {
    this.sample(true);
  }

  sample(force = false): SystemSample {
    const nowMs = this.now();
    if (!force && this.last && nowMs - this.last.sampleTimeMs < 1000) return this.last;
    const prev = this.last;

    const selfText = this.read('/proc/self/stat');
    const self = selfText ? parseProcSelfStat(selfText) : null;
    const usage = process.cpuUsage();
    const at = process.hrtime.bigint();
    const elapsedUs = Number(at - this.lastCpuAt) / 1000;
    const usedUs = usage.user - this.lastCpuUsage.user + (usage.system - this.lastCpuUsage.system);
    const selfPercent = elapsedUs > 0 && prev ? usedUs / elapsedUs : (prev?.selfPercent ?? 0);
    this.lastCpuUsage = usage;
    this.lastCpuAt = at;

    const statText = this.read('/proc/stat');
    const cpu = statText ? parseProcStatCpu(statText) : null;
    let systemPercent = prev?.systemPercent ?? 0;
    if (cpu && prev?.cpu) {
      const total = cpuTotal(cpu) - cpuTotal(prev.cpu);
      if (total > 0) systemPercent = 1 - (cpu.idle - prev.cpu.idle) / total;
    }

    const memText = this.read('/proc/meminfo');
    const mem = memText
      ? parseMeminfo(memText)
      : parseMeminfo(`MemTotal: ${Math.floor(os.totalmem() / 1024)}\nMemFree: ${Math.floor(os.freemem() / 1024)}\n`);

    const uptimeText = this.read('/proc/uptime');
    const [uptime, idleTime] = uptimeText ? uptimeText.trim().split(/\s+/).map(Number) : [os.uptime(), 0];
    const loadText = this.read('/proc/loadavg');
    const lv = loadText ? loadText.trim().split(/\s+/).slice(0, 3).map(Number) : os.loadavg();

    let diskInKBps = prev?.diskInKBps ?? 0;
    let diskOutKBps = prev?.diskOutKBps ?? 0;
    let diskBusy = prev?.diskBusy ?? 0;
    const vmText = this.read('/proc/vmstat');
    if (vmText) {
      const vm = { ...parseVmstat(vmText), atMs: nowMs };
      const o = this.lastVm;
      if (o && vm.atMs > o.atMs) {
        const ms = vm.atMs - o.atMs;
        diskInKBps = vm.pgpgin > o.pgpgin && o.pgpgin > 0 ? Math.floor(((vm.pgpgin - o.pgpgin) * 1000) / ms) : 0;
        diskOutKBps = vm.pgpgout > o.pgpgout && o.pgpgout > 0 ? Math.floor(((vm.pgpgout - o.pgpgout) * 1000) / ms) : 0;
      }
      this.lastVm = vm;
    }
    const devices = this.disks();
    if (devices.length > 0) {
      const dsText = this.read('/proc/diskstats');
      const ticks = dsText ? parseDiskstatsTicks(dsText, devices) : 0;
      if (prev && ticks > this.lastDiskTicks && nowMs > prev.sampleTimeMs) diskBusy = (ticks - this.lastDiskTicks) / (nowMs - prev.sampleTimeMs);
      this.lastDiskTicks = ticks;
    }

    let netRecv = 0;
    let netSend = 0;
    let netRecvi = 0;
    let netSendi = 0;
    const devText = this.read('/proc/net/dev');
    if (devText) {
      const publicDevices = internetDevices();
      for (const d of parseNetDev(devText)) {
        if (d.name === 'lo' || !publicDevices.has(d.name)) {
          netRecvi += d.rbytes;
          netSendi += d.sbytes;
        } else {
          netRecv += d.rbytes;
          netSend += d.sbytes;
        }
      }
    }
    const sockText = this.read('/proc/net/sockstat');
    const sock = sockText ? parseSockstat(sockText) : { sys: 0, tw: 0, udp: 0 };
    const snmpText = this.read('/proc/net/snmp');

    const sample: SystemSample = {
      sampleTimeMs: nowMs,
      ok: self !== null && cpu !== null && memText !== null,
      selfOk: self !== null,
      self,
      selfPercent,
      systemOk: cpu !== null,
      cpu,
      systemPercent,
      memOk: memText !== null,
      mem,
      uptime: uptime ?? 0,
      idleTime: idleTime ?? 0,
      load: [lv[0] ?? 0, lv[1] ?? 0, lv[2] ?? 0],
      diskInKBps,
      diskOutKBps,
      diskBusy,
      netSampleTimeMs: devText ? nowMs : 0,
      netRecv,
      netSend,
      netRecvi,
      netSendi,
      connSys: sock.sys,
      connSysEt: snmpText ? parseSnmpTcpEstab(snmpText) : 0,
      connSysTw: sock.tw,
      connSysUdp: sock.udp,
    };
    this.last = sample;
    return sample;
  }
}
