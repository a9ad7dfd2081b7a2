// Idle source cleanup (issue 12 #9, SRS 4's open #413): a source with no publisher and no viewers is
// dropped after its grace period together with its HLS and stats state. In process (no ffmpeg): the real
// server on a loopback port, our RTMP client publishing 10 000 distinct stream names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../../src/core/logger.js';
import { parseConfigText } from '../../src/config/index.js';
import { FlvDemuxer } from '../../src/kernel/format/flv.js';
import { audioFrameFromFlv, dataFrame, videoFrameFromFlv, type MediaFrame } from '../../src/kernel/media-frame.js';
import { Server } from '../../src/app/server.js';
import { LogWriter } from '../../src/app/log/srs-logger.js';
import { RtmpClient } from '../../src/app/upstream/index.js';
import { readFixture } from '../fixtures/index.js';
import { freePort } from './harness.js';

const STREAMS = 10_000;
const PARALLEL = 8;
const GRACE_MS = 300;
const HEAP_SLACK_BYTES = 10 * 1024 * 1024;

const quiet: Logger = { cid: 'test', verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: () => quiet };

/** Metadata, sequence headers and the first ~half second of the fixture: enough for HLS to make a segment. */
function fixtureFrames(): MediaFrame[] {
  const frames: MediaFrame[] = [];
  for (const tag of new FlvDemuxer().push(readFixture('h264-aac.flv'))) {
    if (tag.timestamp > 500) break;
    const f = tag.type === 9 ? videoFrameFromFlv(tag.body, tag.timestamp) : tag.type === 8 ? audioFrameFromFlv(tag.body, tag.timestamp) : dataFrame(tag.body, tag.timestamp);
    if (f) frames.push(f);
  }
  return frames;
}

/** One publish: connect, publish, send the frames, unpublish; resolves once our side is closed. */
function publishOnce(port: number, name: string, frames: MediaFrame[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new RtmpClient(
      { url: `rtmp://127.0.0.1:${port}/live/${name}`, mode: 'publish', log: quiet, random: randomBytes, now: Date.now, setupTimeoutMs: 10_000 },
      {
        onReady: () => {
          client.write(frames);
          client.close('done');
        },
        onEnd: (e) => (e.wasReady ? resolve() : reject(new Error(`${name}: ${e.reason}`))),
      },
    );
    client.start();
  });
}

async function publishMany(port: number, prefix: string, count: number, frames: MediaFrame[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await publishOnce(port, `${prefix}${next++}`, frames);
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

/** Wait for a condition, checking every few ms; fails with `what` after timeoutMs. */
async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function forcedGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

test('10 000 published names leave no source, no HLS and no stats state, and no heap growth', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-idle-'));
  const port = await freePort();
  const config = parseConfigText(
    `listen 127.0.0.1:${port}; srs_log_tank console; srs_log_level error;
     vhost __defaultVhost__ { hls { enabled on; hls_storage ram; hls_path ${dir}; hls_fragment 10; hls_dispose 0; } }`,
    't.conf',
  );
  const server = new Server(config, new LogWriter({ tank: 'console', level: 'error', file: '', utcTime: false }), { sourceGraceMs: GRACE_MS });
  await server.start();
  const { registry, stats } = server.ctx;
  const gc = forcedGc();
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const empty = (): boolean => registry.size === 0 && stats.streamRecords === 0 && stats.clientCount === 0;
  try {
    const frames = fixtureFrames();
    assert.ok(frames.some((f) => f.kind === 'video' && f.keyframe && !f.sequenceHeader), 'the frames hold a keyframe');

    // The sources stay for their grace period, with their HLS state: a republish would continue them.
    await publishOnce(port, 'probe', frames);
    await waitFor('the probe to be unpublished', () => registry.get('__defaultVhost__', 'live', 'probe')?.isPublishing === false, 5000);
    assert.ok(server.hls.stream('/live/probe'), 'HLS state of the probe');
    assert.ok(server.hlsMemory.size > 0, 'the probe segment and playlist in memory');
    assert.equal(stats.streamRecords, 1, 'stats id of the probe');
    await waitFor('the probe to be dropped', empty, 10 * GRACE_MS + 5000);
    assert.equal(server.hls.stream('/live/probe'), undefined, 'HLS state dropped with the source');
    assert.equal(server.hlsMemory.size, 0, 'ram segments and playlist dropped with the source');

    // Warm-up: the same work at a smaller scale, so code, pools and caches are in the baseline.
    await publishMany(port, 'warm', 500, frames);
    await waitFor('the warm-up sources to be dropped', empty, 10 * GRACE_MS + 10_000);
    const baseline = heap();

    const started = Date.now();
    await publishMany(port, 's', STREAMS, frames);
    const publishMs = Date.now() - started;
    await waitFor(`${STREAMS} sources to be dropped (registry ${registry.size}, stats ${stats.streamRecords})`, empty, 10 * GRACE_MS + 30_000);
    assert.equal(server.hls.stream(`/live/s${STREAMS - 1}`), undefined);
    assert.equal(server.hlsMemory.size, 0);
    const after = heap();
    const growth = after - baseline;
    t.diagnostic(`published ${STREAMS} streams in ${publishMs} ms; heap ${(baseline / 1048576).toFixed(1)} -> ${(after / 1048576).toFixed(1)} MiB`);
    assert.ok(growth < HEAP_SLACK_BYTES, `heap grew ${(growth / 1048576).toFixed(1)} MiB over the baseline`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
