import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type SrsConfig, type VhostConfig, atof, atoi, dvrAppliesTo, parseConfigText, parseEndpoint, resolveVhost } from './index.js';

const BASE = 'listen 1935; daemon off;\n';

function load(text: string, env: Record<string, string | undefined> = {}): SrsConfig {
  return parseConfigText(BASE + text, 't.conf', undefined, env);
}

function vhost(text: string, env: Record<string, string | undefined> = {}, name = '__defaultVhost__'): VhostConfig {
  const v = load(`vhost ${name} { ${text} }`, env).vhosts.get(name);
  assert.ok(v);
  return v;
}

/** Drops raw tree back-references so objects compare by value. */
function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'directive' ? undefined : x))) as T;
}

test('parseEndpoint: port only, ip:port, [ipv6]:port, last colon wins', () => {
  assert.deepEqual(parseEndpoint('1935'), { host: '0.0.0.0', port: 1935 });
  assert.deepEqual(parseEndpoint('127.0.0.1:1936'), { host: '127.0.0.1', port: 1936 });
  assert.deepEqual(parseEndpoint('[::]:1935'), { host: '::', port: 1935 });
  assert.deepEqual(parseEndpoint('[fe80::1]:80'), { host: 'fe80::1', port: 80 });
  assert.deepEqual(parseEndpoint('x'), { host: '0.0.0.0', port: 0 });
});

test('atoi/atof behave like C: prefix parse, garbage is 0', () => {
  assert.equal(atoi('42'), 42);
  assert.equal(atoi('  -7xyz'), -7);
  assert.equal(atoi('9.3'), 9);
  assert.equal(atoi('abc'), 0);
  assert.equal(atoi(''), 0);
  assert.equal(atof('2.5s'), 2.5);
  assert.equal(atof('.5'), 0.5);
  assert.equal(atof('1e3'), 1000);
  assert.equal(atof('x1'), 0);
});

test('global defaults match SRS 5', () => {
  const c = parseConfigText('listen 1935;', 'd.conf');
  assert.deepEqual(c.listen, [{ host: '0.0.0.0', port: 1935 }]);
  assert.equal(c.pid, './objs/srs.pid');
  assert.equal(c.daemon, true);
  assert.equal(c.asprocess, false);
  assert.equal(c.maxConnections, 1000);
  assert.equal(c.chunkSize, 60000);
  assert.deepEqual(c.log, { tank: 'file', level: 'trace', file: './objs/srs.log' });
  assert.equal(c.ffLogDir, './objs');
  assert.equal(c.ffLogLevel, 'info');
  assert.equal(c.utcTime, false);
  assert.equal(c.pithyPrintMs, 10000);
  assert.equal(c.workDir, './');
  assert.equal(c.serverId, undefined);
  assert.equal(c.emptyIpOk, true);
  assert.equal(c.inDocker, false);
  assert.equal(c.graceStartWaitMs, 2300);
  assert.equal(c.graceFinalWaitMs, 3200);
  assert.equal(c.forceGraceQuit, false);
  assert.equal(c.disableDaemonForDocker, true);
  assert.equal(c.inotifyAutoReload, false);
  assert.equal(c.autoReloadForDocker, true);
  assert.equal(c.tcmallocReleaseRate, 0.8);
  assert.equal(c.queryLatestVersion, false);
  assert.equal(c.firstWaitForQlvMs, 300000);
  assert.deepEqual(c.threads, { intervalMs: 5000 });
  assert.deepEqual(c.circuitBreaker, {
    enabled: true,
    highThreshold: 90,
    highPulse: 2,
    criticalThreshold: 95,
    criticalPulse: 1,
    dyingThreshold: 99,
    dyingPulse: 5,
  });
  assert.deepEqual(c.exporter, { enabled: false, metricsOnApi: true, listen: { host: '0.0.0.0', port: 9972 }, label: '', tag: '' });
  assert.deepEqual(c.heartbeat, {
    enabled: false,
    intervalMs: 10000,
    url: 'http://127.0.0.1:8085/api/v1/servers',
    deviceId: '',
    summaries: false,
    ports: false,
  });
  assert.deepEqual(c.stats, { enabled: true, network: 0, disk: [] });
  assert.equal(c.tencentcloudApm.serviceName, 'srs-server');
  assert.equal(c.tencentcloudCls.statStreams, true);
  assert.equal(c.vhosts.size, 0);
  assert.ok(c.warnings.some((w) => w.includes('daemon is ignored; use a supervisor')));
});

test('http_api / http_server defaults', () => {
  const c = parseConfigText('listen 1935;', 'd.conf');
  assert.deepEqual(c.httpApi, {
    enabled: false,
    listen: { host: '0.0.0.0', port: 1985 },
    crossdomain: true,
    rawApi: { enabled: false, allowReload: false, allowQuery: false, allowUpdate: false },
    auth: { enabled: false, username: '', password: '', metrics: false },
    https: { enabled: false, listen: { host: '0.0.0.0', port: 1990 }, key: './conf/server.key', cert: './conf/server.crt' },
  });
  assert.deepEqual(c.httpServer, {
    enabled: false,
    listen: { host: '0.0.0.0', port: 8080 },
    dir: './objs/nginx/html',
    crossdomain: true,
    https: { enabled: false, listen: { host: '0.0.0.0', port: 8088 }, key: './conf/server.key', cert: './conf/server.crt' },
  });
});

test('API sharing the HTTP server port follows its HTTPS port by default', () => {
  const c = load('http_api { enabled on; listen 8080; } http_server { enabled on; listen 8080; https { listen 8443; } }');
  assert.equal(c.httpApi.https.listen.port, 8443);
});

test('rtc_server / srt_server / stream_caster defaults', () => {
  const c = load('stream_caster { caster flv; listen 8936; }');
  assert.deepEqual(c.rtcServer, {
    enabled: false,
    listen: 8000,
    tcp: { enabled: false, listen: 8000 },
    protocol: 'udp',
    candidate: '*',
    useAutoDetectNetworkIp: true,
    ipFamily: 'ipv4',
    apiAsCandidates: true,
    resolveApiDomain: true,
    keepApiDomain: false,
    ecdsa: true,
    encrypt: true,
    reuseport: 1,
    mergeNalus: false,
    blackHole: { enabled: false, addr: '' },
  });
  assert.deepEqual(c.srtServer, {
    enabled: false,
    listen: 10080,
    maxbw: -1,
    mss: 1500,
    connectTimeoutMs: 3000,
    peerIdleTimeoutMs: 10000,
    defaultApp: 'live',
    peerLatencyMs: 0,
    recvLatencyMs: 120,
    latencyMs: 120,
    tsbpdMode: true,
    tlpktDrop: true,
    sendBuf: 8192 * 1472,
    recvBuf: 8192 * 1472,
    payloadSize: 1316,
    passphrase: '',
    pbKeyLen: 0,
    seiFilter: true,
    mixCorrect: true,
  });
  assert.equal(c.streamCasters.length, 1);
  assert.deepEqual(plain(c.streamCasters[0]), {
    enabled: false,
    caster: 'flv',
    output: '',
    listen: 8936,
    sip: { enabled: true, listen: 5060, timeoutMs: 60000, reinviteMs: 5000, candidate: '*' },
  });
});

test('vhost defaults match SRS 5', () => {
  const v = vhost('');
  assert.equal(v.name, '__defaultVhost__');
  assert.equal(v.enabled, true);
  assert.equal(v.chunkSize, 60000);
  assert.equal(v.minLatency, false);
  assert.equal(v.rtcMinLatency, true);
  assert.equal(v.tcpNodelay, false);
  assert.equal(v.inAckSize, 0);
  assert.equal(v.outAckSize, 2500000);
  assert.deepEqual(v.play, {
    gopCache: true,
    gopCacheMaxFrames: 2500,
    queueLengthMs: 30000,
    timeJitter: 'full',
    atc: false,
    atcAuto: false,
    mixCorrect: false,
    mwLatencyMs: 350,
    mwMsgs: 8,
    rtcMwMsgs: 0,
    sendMinIntervalMs: 0,
    reduceSequenceHeader: false,
  });
  assert.deepEqual(v.publish, {
    mr: false,
    mrLatencyMs: 350,
    firstPktTimeoutMs: 20000,
    normalTimeoutMs: 5000,
    parseSps: true,
    tryAnnexbFirst: true,
    kickoffForIdleMs: 0,
  });
  assert.deepEqual(v.httpRemux, {
    enabled: false,
    mount: '[vhost]/[app]/[stream].flv',
    fastCacheMs: 0,
    dropIfNotMatch: true,
    hasAudio: true,
    hasVideo: true,
    guessHasAv: true,
  });
  assert.deepEqual(v.httpStatic, { enabled: false, mount: '[vhost]/', dir: './objs/nginx/html' });
  assert.deepEqual(v.hls, {
    enabled: false,
    storage: 'disk',
    fragmentMs: 10000,
    tdRatio: 1.0,
    aofRatio: 2.1,
    windowMs: 60000,
    onError: 'continue',
    path: './objs/nginx/html',
    m3u8File: '[app]/[stream].m3u8',
    tsFile: '[app]/[stream]-[seq].ts',
    tsFloor: false,
    entryPrefix: '',
    acodec: 'aac',
    vcodec: 'h264',
    cleanup: true,
    disposeMs: 120000,
    waitKeyframe: true,
    nbNotify: 64,
    dtsDirectly: true,
    ctx: true,
    tsCtx: true,
    keys: false,
    fragmentsPerKey: 5,
    keyFile: '[app]/[stream]-[seq].key',
    keyFilePath: './objs/nginx/html',
    keyUrl: './objs/nginx/html',
  });
  assert.deepEqual(v.hds, { enabled: false, fragmentMs: 10000, windowMs: 60000, path: './objs/nginx/html' });
  assert.deepEqual(v.dash, {
    enabled: false,
    fragmentMs: 10000,
    updatePeriodMs: 5000,
    timeshiftMs: 300000,
    path: './objs/nginx/html',
    mpdFile: '[app]/[stream].mpd',
    windowSize: 5,
    cleanup: true,
    disposeMs: 0,
  });
  assert.deepEqual(v.dvr, {
    enabled: false,
    apply: [],
    plan: 'session',
    path: './objs/nginx/html/[app]/[stream].[timestamp].flv',
    durationMs: 30000,
    waitKeyframe: true,
    timeJitter: 'full',
  });
  assert.deepEqual(v.httpHooks, {
    enabled: false,
    onConnect: [],
    onClose: [],
    onPublish: [],
    onUnpublish: [],
    onPlay: [],
    onStop: [],
    onDvr: [],
    onHls: [],
    onHlsNotify: [],
  });
  assert.deepEqual(v.security, { enabled: false, rules: [] });
  assert.deepEqual(v.refer, { enabled: false, all: undefined, play: undefined, publish: undefined });
  assert.deepEqual(v.forward, { enabled: false, destination: [], backend: undefined });
  assert.deepEqual(v.cluster, {
    mode: 'local',
    isEdge: false,
    origin: [],
    tokenTraverse: false,
    vhost: '[vhost]',
    debugSrsUpnode: true,
    protocol: 'rtmp',
    followClient: false,
    originCluster: false,
    coworkers: [],
  });
  assert.deepEqual(v.transcodes, []);
  assert.deepEqual(v.ingests, []);
  assert.deepEqual(v.exec, { enabled: false, publish: [] });
  assert.deepEqual(v.rtc, {
    enabled: false,
    rtmpToRtc: false,
    rtcToRtmp: false,
    keepBframe: false,
    keepAvcNaluSei: true,
    opusBitrate: 48000,
    aacBitrate: 48000,
    pliForRtmpMs: 6000,
    nack: true,
    nackNoCopy: true,
    twcc: true,
    stunTimeoutMs: 30000,
    stunStrictCheck: false,
    dtlsRole: 'passive',
    dtlsVersion: 'auto',
    dropForPt: 0,
  });
  assert.deepEqual(v.srt, { enabled: false, srtToRtmp: true });
});

test('bool rules: default-off flags need literal on; default-on flags need literal off', () => {
  const v = vhost('tcp_nodelay yes; play { gop_cache no; atc true; } hls { enabled yes; hls_cleanup 0; } http_remux { enabled on; }');
  assert.equal(v.tcpNodelay, false, 'yes is not on');
  assert.equal(v.play.atc, false);
  assert.equal(v.hls.enabled, false);
  assert.equal(v.play.gopCache, true, 'no is not off');
  assert.equal(v.hls.cleanup, true);
  assert.equal(v.httpRemux.enabled, true);
  assert.equal(vhost('play { gop_cache off; }').play.gopCache, false);
  assert.equal(vhost('enabled off;').enabled, false);
  assert.equal(vhost('enabled nope;').enabled, true);
  assert.equal(load('utc_time ON;').utcTime, false, 'case-sensitive');
});

test('bool exceptions: hls_keys, query_latest_version, srt_to_rtmp', () => {
  assert.equal(vhost('hls { hls_keys yes; }').hls.keys, true);
  assert.equal(vhost('hls { hls_keys off; }').hls.keys, false);
  assert.equal(load('query_latest_version whatever;').queryLatestVersion, true);
  assert.equal(load('query_latest_version off;').queryLatestVersion, false);
  assert.equal(vhost('srt { enabled on; }').srt.srtToRtmp, true);
  assert.equal(vhost('srt { srt_to_rtmp yes; }').srt.srtToRtmp, false);
  assert.equal(vhost('srt { srt_to_rtmp on; }').srt.srtToRtmp, true);
  assert.equal(vhost('min_latency yes;').rtcMinLatency, true);
  assert.equal(vhost('min_latency yes;').minLatency, false);
});

test('numbers parse like atoi/atof with SRS units', () => {
  const v = vhost(`play { queue_length 2.9; mw_latency 120; send_min_interval 1.5; }
    publish { firstpkt_timeout 3000; kickoff_for_idle 2.5; mr_latency abc; }
    hls { hls_fragment 2.5; hls_window 30; hls_dispose 9.9; hls_td_ratio 1.5; }
    http_remux { fast_cache 0.3; } dvr { dvr_duration 12.7; }`);
  assert.equal(v.play.queueLengthMs, 2000, 'queue_length is integer seconds');
  assert.equal(v.play.mwLatencyMs, 120);
  assert.equal(v.play.sendMinIntervalMs, 1.5);
  assert.equal(v.publish.firstPktTimeoutMs, 3000);
  assert.equal(v.publish.kickoffForIdleMs, 2500);
  assert.equal(v.publish.mrLatencyMs, 0, 'garbage is 0');
  assert.equal(v.hls.fragmentMs, 2500);
  assert.equal(v.hls.windowMs, 30000);
  assert.equal(v.hls.disposeMs, 9000, 'hls_dispose is integer seconds');
  assert.equal(v.hls.tdRatio, 1.5);
  assert.equal(v.httpRemux.fastCacheMs, 300);
  assert.equal(v.dvr.durationMs, 12000);
  assert.equal(load('heartbeat { interval 9.3; }').heartbeat.intervalMs, 9000);
});

test('min_latency on: mw_msgs defaults to 0; explicit mw_msgs wins and is capped at 128', () => {
  const rt = vhost('min_latency on;');
  assert.equal(rt.minLatency, true);
  assert.equal(rt.play.mwMsgs, 0);
  assert.equal(rt.play.mwLatencyMs, 350);
  assert.equal(vhost('min_latency on; play { mw_msgs 4; }').play.mwMsgs, 4);
  assert.equal(vhost('play { mw_msgs 1000; }').play.mwMsgs, 128);
  const rtcOff = vhost('min_latency off;');
  assert.equal(rtcOff.rtcMinLatency, false);
  assert.equal(rtcOff.play.rtcMwMsgs, 1);
});

test('vhost chunk_size falls back to the global one', () => {
  const c = load('chunk_size 4096; vhost a { } vhost b { chunk_size 8192; }');
  assert.equal(c.chunkSize, 4096);
  assert.equal(c.vhosts.get('a')!.chunkSize, 4096);
  assert.equal(c.vhosts.get('b')!.chunkSize, 8192);
});

test('values: time_jitter, hls_on_error, codecs, security, hooks, transcode, ingest, exec', () => {
  const v = vhost(`
    play { time_jitter bogus; }
    hls { hls_on_error stop; hls_acodec mp3; hls_vcodec vn; hls_path /data; }
    dvr { dvr_apply live/a live/b; dvr_plan segment; time_jitter zero; }
    security { enabled on; allow play all; deny publish 1.2.3.4; }
    http_hooks { enabled on; on_publish http://a/x http://b/y; on_hls_notify http://c/[ts_url]; }
    transcode live/cam { enabled on; ffmpeg ff; engine hd { enabled on; perfile { re; } vfilter { -i logo.png; filter_complex 'overlay=1:1'; } aparams { ar 44100; } iformat off; } }
    ingest cam1 { enabled on; input { type stream; url rtmp://x/y; } ffmpeg ff; engine { enabled off; output rtmp://127.0.0.1/live/z; } }
    exec { enabled on; publish ffmpeg -i [url] -c copy out.flv; publish echo [app]; }
  `);
  assert.equal(v.play.timeJitter, 'off');
  assert.equal(v.hls.onError, 'disconnect');
  assert.equal(v.hls.acodec, 'mp3');
  assert.equal(v.hls.vcodec, 'vn');
  assert.equal(v.hls.keyFilePath, '/data');
  assert.equal(v.hls.keyUrl, '/data');
  assert.deepEqual(v.dvr.apply, ['live/a', 'live/b']);
  assert.equal(v.dvr.plan, 'segment');
  assert.equal(v.dvr.timeJitter, 'zero');
  assert.equal(dvrAppliesTo(v.dvr.apply, 'live', 'a'), true);
  assert.equal(dvrAppliesTo(v.dvr.apply, 'live', 'c'), false);
  assert.equal(dvrAppliesTo(['all'], 'x', 'y'), true);
  assert.deepEqual(v.security.rules, [
    { action: 'allow', method: 'play', target: 'all' },
    { action: 'deny', method: 'publish', target: '1.2.3.4' },
  ]);
  assert.deepEqual(v.httpHooks.onPublish, ['http://a/x', 'http://b/y']);
  assert.deepEqual(v.httpHooks.onHlsNotify, ['http://c/[ts_url]']);
  const t = v.transcodes[0]!;
  assert.equal(t.scope, 'live/cam');
  assert.equal(t.enabled, true);
  const e = t.engines[0]!;
  assert.equal(e.name, 'hd');
  assert.deepEqual(e.perfile, ['-re']);
  assert.deepEqual(e.vfilter, ['-i', 'logo.png', '-filter_complex', 'overlay=1:1']);
  assert.deepEqual(e.aparams, ['-ar', '44100']);
  assert.equal(e.iformat, 'off');
  assert.equal(e.oformat, 'flv');
  assert.equal(e.vthreads, 1);
  assert.deepEqual(plain(v.ingests[0]), {
    id: 'cam1',
    enabled: true,
    input: { type: 'stream', url: 'rtmp://x/y' },
    ffmpeg: 'ff',
    engines: [{ ...plain(v.ingests[0]!.engines[0]!), enabled: false, output: 'rtmp://127.0.0.1/live/z', name: '' }],
  });
  assert.deepEqual(v.exec.publish, [['ffmpeg', '-i', '[url]', '-c', 'copy', 'out.flv'], ['echo', '[app]']]);
});

test('rtc bitrates and pli out of range reset to defaults with a warning', () => {
  const c = load('vhost v { rtc { opus_bitrate 1000; aac_bitrate 96000; pli_for_rtmp 0.1; } }');
  const rtc = c.vhosts.get('v')!.rtc;
  assert.equal(rtc.opusBitrate, 48000);
  assert.equal(rtc.aacBitrate, 96000);
  assert.equal(rtc.pliForRtmpMs, 6000);
  assert.ok(c.warnings.some((w) => w.includes('opus_bitrate=1000 out of [8000, 320000]')));
});

test('log: tank, level_v2 mapping, invalid level warns', () => {
  assert.equal(load('srs_log_tank console;').log.tank, 'console');
  assert.equal(load('srs_log_tank stdout;').log.tank, 'file', 'anything but console is file');
  assert.equal(load('srs_log_level warn;').log.level, 'warn');
  assert.equal(load('srs_log_level warn; srs_log_level_v2 debug;').log.level, 'info');
  assert.equal(load('srs_log_level_v2 trace;').log.level, 'verbose');
  assert.equal(load('srs_log_level_v2 info;').log.level, 'trace');
  const bad = load('srs_log_level loud;');
  assert.equal(bad.log.level, 'trace');
  assert.ok(bad.warnings.some((w) => w.startsWith('t.conf:2:1: invalid srs_log_level loud')));
  assert.equal(parseConfigText('listen 1935;', 'x', undefined, {}, { inDocker: true }).log.tank, 'console');
  assert.equal(load('in_docker on;').log.tank, 'console');
});

test('resolveVhost: exact, then __defaultVhost__, else undefined', () => {
  const withDefault = load('vhost __defaultVhost__ { } vhost a.com { }');
  assert.equal(resolveVhost(withDefault, 'a.com')!.name, 'a.com');
  assert.equal(resolveVhost(withDefault, 'b.com')!.name, '__defaultVhost__');
  const without = load('vhost a.com { }');
  assert.equal(resolveVhost(without, 'b.com'), undefined);
});

test('duplicate vhost: first wins, warning', () => {
  const c = load('vhost a { chunk_size 1000; }\nvhost a { chunk_size 2000; }');
  assert.equal(c.vhosts.get('a')!.chunkSize, 1000);
  assert.ok(c.warnings.some((w) => w.startsWith('t.conf:3:1: duplicated vhost a')));
});

test('duplicate single-valued directive: first one wins', () => {
  const c = load('http_api { enabled on; listen 1985; } http_api { listen 2000; } max_connections 10; max_connections 20;');
  assert.equal(c.httpApi.listen.port, 1985);
  assert.equal(c.maxConnections, 10);
});

test('rtc candidate: $ENV, unset env → *, literal value', () => {
  assert.equal(load('rtc_server { candidate $CANDIDATE; }', { CANDIDATE: '10.0.0.5' }).rtcServer.candidate, '10.0.0.5');
  assert.equal(load('rtc_server { candidate $CANDIDATE; }').rtcServer.candidate, '*');
  assert.equal(load('rtc_server { candidate 192.168.1.2; }').rtcServer.candidate, '192.168.1.2');
  assert.equal(load('rtc_server { candidate 1.1.1.1; }', { SRS_RTC_SERVER_CANDIDATE: '2.2.2.2' }).rtcServer.candidate, '2.2.2.2');
  assert.equal(load('', { SRS_RTC_SERVER_CANDIDATE: '$MYIP', MYIP: '3.3.3.3' }).rtcServer.candidate, '3.3.3.3');
});

test('stream_caster: gb28181 and unknown engines refused at load when enabled; port and output checked', () => {
  const err = (text: string): string => {
    try {
      load(text);
    } catch (e) {
      return (e as Error).message;
    }
    return 'loaded';
  };
  assert.match(err('stream_caster { enabled on; caster gb28181; listen 9000; output rtmp://127.0.0.1/live/[stream]; }'), /gb28181 is not supported/);
  assert.match(err('stream_caster { enabled on; caster rtsp; listen 554; output rtmp://127.0.0.1/live/s; }'), /unsupported stream_caster.caster "rtsp"/);
  assert.match(err('stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]; }'), /stream_caster.listen has invalid port 0/);
  assert.match(err('stream_caster { enabled on; caster mpegts_over_udp; listen 8935; }'), /stream_caster.output is empty/);
  assert.match(err('stream_caster { enabled on; caster mpegts_over_udp; listen 8935; output rtmp://127.0.0.1/live; }'), /not rtmp:\/\/host\[:port\]\/app\/stream/);
  // Disabled blocks (SRS 5 example configs) load whatever they say.
  assert.equal(err('stream_caster { enabled off; caster gb28181; listen 9000; }'), 'loaded');
  const c = load('stream_caster { enabled on; caster mpegts_over_udp; listen 8935; output rtmp://127.0.0.1/live/livestream; }');
  assert.equal(c.streamCasters[0]!.enabled, true);
  assert.equal(c.streamCasters[0]!.caster, 'mpegts_over_udp');
});
