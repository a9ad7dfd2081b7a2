// GET /metrics in the Prometheus text exposition format (version 0.0.4). The `srs_*` families are SRS 5's
// exporter (SrsGoApiMetrics) with the same names, types and labels, so existing dashboards keep working;
// the `tsrs_*` families add per-stream detail and process figures. Written by hand rather than with
// prom-client: a dozen families rendered from a snapshot need no registry, no global state and no
// dependency, and the SRS families must keep SRS's exact names and label sets.
import os from 'node:os';
import type { ServerContext } from '../app/context.js';
import { SRS_COMPAT_VERSION, SRS_COMPAT_VERSION_STRING, TSRS_VERSION } from '../core/version.js';
import { collectStreams, listClients } from './stat-objects.js';
import type { SystemSample } from './system-stats.js';

type Labels = Record<string, string>;

/** Escape a label value: backslash, double quote and newline (exposition format spec). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Accumulates metric families; each family's HELP/TYPE is written once, before its samples. */
export class MetricsWriter {
  private readonly lines: string[] = [];

  family(name: string, type: 'gauge' | 'counter', help: string, samples: { labels?: Labels; value: number }[]): void {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    this.lines.push(`# TYPE ${name} ${type}`);
    for (const s of samples) {
      const labels = s.labels ? Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`) : [];
      this.lines.push(`${name}${labels.length ? `{${labels.join(',')}}` : ''} ${formatValue(s.value)}`);
    }
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** HLS answered from memory (app/hls HlsMemoryFiles). */
export interface HlsMemoryStats {
  readonly counters: { readonly hits: number; readonly evictions: number };
  readonly cachedBytes: number;
  readonly cacheBytes: number;
}

export interface MetricsInput {
  ctx: ServerContext;
  hlsMemory?: HlsMemoryStats;
  system: SystemSample;
  buildDate: string;
  label: string;
  tag: string;
}

export function renderMetrics({ ctx, system, buildDate, label, tag, hlsMemory }: MetricsInput): string {
  const w = new MetricsWriter();
  w.family('srs_node_uname_info', 'gauge', 'Labeled system information as provided by the uname system call.', [
    { labels: { sysname: os.type(), nodename: os.hostname(), release: os.release(), version: os.version(), machine: os.machine() }, value: 1 },
  ]);
  const build: Labels = {
    server: ctx.serverId,
    service: ctx.serviceId,
    pid: String(process.pid),
    build_date: buildDate,
    major: String(SRS_COMPAT_VERSION.major),
    version: SRS_COMPAT_VERSION_STRING,
    code: 'Bee',
  };
  if (label) build.label = label;
  if (tag) build.tag = tag;
  w.family('srs_build_info', 'gauge', "A metric with a constant '1' value labeled by build_date, version from which SRS was built.", [{ labels: build, value: 1 }]);
  w.family('srs_cpu_percent', 'gauge', 'SRS cpu used percent.', [{ value: round2(system.selfPercent * 100) }]);
  // SRS reports rss pages × 4, i.e. KB with 4 KiB pages.
  w.family('srs_memory', 'gauge', 'SRS memory used.', [{ value: Math.round(process.memoryUsage().rss / 1024) }]);
  const totals = ctx.stats.totals();
  w.family('srs_send_bytes_total', 'counter', 'SRS total sent bytes.', [{ value: totals.sendBytes }]);
  w.family('srs_receive_bytes_total', 'counter', 'SRS total received bytes.', [{ value: totals.recvBytes }]);
  const streams = collectStreams(ctx);
  const clients = listClients(ctx);
  w.family('srs_streams', 'gauge', 'The number of SRS concurrent streams.', [{ value: streams.length }]);
  w.family('srs_clients', 'gauge', 'The number of SRS concurrent clients.', [{ value: clients.length }]);
  w.family('srs_clients_total', 'counter', 'The total counts of SRS clients.', [{ value: ctx.stats.clientsTotal }]);
  w.family('srs_clients_errs_total', 'counter', 'The total errors of SRS clients.', [{ value: ctx.stats.clientErrorsTotal }]);

  // tsrs extensions.
  w.family('tsrs_build_info', 'gauge', 'tsrs version and the SRS version it is compatible with.', [
    { labels: { version: TSRS_VERSION, srs_version: SRS_COMPAT_VERSION_STRING }, value: 1 },
  ]);
  const cpu = process.cpuUsage();
  w.family('tsrs_process_cpu_seconds_total', 'counter', 'User and system CPU time of the tsrs process.', [{ value: (cpu.user + cpu.system) / 1e6 }]);
  const mem = process.memoryUsage();
  w.family('tsrs_process_resident_memory_bytes', 'gauge', 'Resident set size of the tsrs process.', [{ value: mem.rss }]);
  w.family('tsrs_process_heap_used_bytes', 'gauge', 'V8 heap in use.', [{ value: mem.heapUsed }]);
  w.family('tsrs_process_uptime_seconds', 'gauge', 'Seconds since the process started.', [{ value: Math.floor(process.uptime()) }]);
  if (hlsMemory) {
    w.family('tsrs_hls_cache_hits_total', 'counter', 'HLS playlist and segment requests answered from memory (the hls_storage disk cache, or hls_storage ram|both).', [
      { value: hlsMemory.counters.hits },
    ]);
    w.family('tsrs_hls_cache_evictions_total', 'counter', 'HLS segments evicted from the hls_storage disk cache to stay within its budget.', [{ value: hlsMemory.counters.evictions }]);
    w.family('tsrs_hls_cache_bytes', 'gauge', 'Bytes of HLS segments held by the hls_storage disk cache.', [{ value: hlsMemory.cachedBytes }]);
    w.family('tsrs_hls_cache_budget_bytes', 'gauge', 'Budget of the hls_storage disk cache (TSRS_HLS_CACHE_MB; 0 = off).', [{ value: hlsMemory.cacheBytes }]);
  }
  w.family('tsrs_connections', 'gauge', 'Open TCP connections over all listeners (max_connections applies to it).', [{ value: ctx.connections }]);

  const perStream = (f: (s: (typeof streams)[number]) => number): { labels: Labels; value: number }[] =>
    streams.map((s) => ({ labels: { vhost: s.vhost, app: s.app, stream: s.stream }, value: f(s) }));
  const traffic = new Map(streams.map((s) => [s.key, ctx.stats.streamTrafficOf(s.key)]));
  w.family('tsrs_stream_publishing', 'gauge', '1 while the stream has a publisher.', perStream((s) => (s.source?.isPublishing ? 1 : 0)));
  w.family('tsrs_stream_clients', 'gauge', 'Clients of the stream (players and publisher).', perStream((s) => s.clients.length));
  w.family('tsrs_stream_send_bytes_total', 'counter', 'Bytes sent to the clients of the stream.', perStream((s) => traffic.get(s.key)!.sendBytes));
  w.family('tsrs_stream_receive_bytes_total', 'counter', 'Bytes received from the clients of the stream.', perStream((s) => traffic.get(s.key)!.recvBytes));
  w.family('tsrs_stream_send_kbps', 'gauge', 'Send rate of the stream over 30 s, kbit/s.', perStream((s) => traffic.get(s.key)!.sendKbps));
  w.family('tsrs_stream_receive_kbps', 'gauge', 'Receive rate of the stream over 30 s, kbit/s.', perStream((s) => traffic.get(s.key)!.recvKbps));
  w.family('tsrs_stream_video_frames_total', 'counter', 'Video frames the publisher sent.', perStream((s) => s.source?.counters.videoFrames ?? 0));
  w.family('tsrs_stream_audio_frames_total', 'counter', 'Audio frames the publisher sent.', perStream((s) => s.source?.counters.audioFrames ?? 0));
  w.family(
    'tsrs_stream_dropped_frames_total',
    'counter',
    'Frames dropped for slow viewers of the stream (connections that report it).',
    perStream((s) => s.clients.reduce((n, c) => n + (c.stat.droppedFrames?.() ?? 0), 0)),
  );
  return w.text();
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
