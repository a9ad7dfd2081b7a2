import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readFixture } from '../../../test/fixtures/index.js';
import type { Logger } from '../../core/logger.js';
import { parseConfigText, type SrsConfig } from '../../config/index.js';
import { demuxFlv } from '../../kernel/format/flv.js';
import { readMp4 } from '../../kernel/format/mp4/mp4-test-helpers.js';
import { fixtureFrames } from '../../kernel/frame-test-helpers.js';
import type { ServerContext } from '../context.js';
import { HttpHooks } from '../hooks/http-hooks.js';
import { SourceRegistry } from '../live/live-source.js';
import { Stats } from '../stats/stats.js';
import { AdmissionService } from '../admission/index.js';
import { DvrService } from './dvr-service.js';

const root = mkdtempSync(join(tmpdir(), 'tsrs-dvr-service-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A DVR service on a fake clock; one publish of the two fixture encodes in a row (a mid-stream SPS change). */
async function recordTwoEncodes(dvrPath: string): Promise<string[]> {
  const quiet = (cid: string): Logger => ({ cid, verbose() {}, info() {}, trace() {}, warn() {}, error() {}, child: (c) => quiet(c) });
  const log = quiet('srv');
  const config: SrsConfig = parseConfigText(`listen 1935; vhost __defaultVhost__ { dvr { enabled on; dvr_plan session; dvr_path ${dvrPath}; } }`, 'd.conf');
  const registry = new SourceRegistry(log);
  const ctx: ServerContext = {
    config: () => config,
    registry,
    stats: new Stats(),
    log,
    now: () => Date.UTC(2024, 2, 5, 7, 8, 9, 10),
    random: (k) => Buffer.alloc(k, 0x5a),
    serverId: 'vid-test',
    serviceId: 'svc',
    hooks: new HttpHooks({ serverId: 'vid-test', serviceId: 'svc', timeoutMs: 1000, notifyAttempts: 1, notifyBackoffMs: 10 }),
    admission: new AdmissionService(() => ctx),
    connections: 0,
  };
  const service = new DvrService(ctx);
  registry.addPublishListener(service);
  const source = registry.obtain('__defaultVhost__', 'live', 'cam', { gopCache: true, gopCacheMaxFrames: 2500, reduceSequenceHeader: false });
  const publisher = { id: `pub${n++}`, kick: () => undefined };
  source.startPublish(publisher);
  for (const f of [...fixtureFrames('h264-aac.flv', 0, true), ...fixtureFrames('h264-444-interlaced.flv', 1000)]) source.publish(f);
  await service.stop(); // closes the files and waits until they are renamed into place
  source.stopPublish(publisher);
  return readdirSync(join(dvrPath, '..')).sort();
}

const avcCOf = (name: string): Buffer => demuxFlv(readFixture(name)).tags.find((t) => t.type === 9)!.body.subarray(5);

test('MP4 DVR: a mid-stream SPS change (new format version) closes the file and records on in a new one with the new avcC', async () => {
  const dir = join(root, `mp4-${n++}`);
  const files = await recordTwoEncodes(join(dir, 'cam.mp4'));
  assert.deepEqual(files, ['cam.1.mp4', 'cam.mp4'], 'a fixed dvr_path is not overwritten');
  const first = readMp4(readFileSync(join(dir, 'cam.mp4')));
  const second = readMp4(readFileSync(join(dir, 'cam.1.mp4')));
  const video = (m: ReturnType<typeof readMp4>) => m.tracks.find((t) => t.handler === 'vide')!;
  assert.ok(video(first).config!.equals(avcCOf('h264-aac.flv')), 'first file: the 320x180 configuration');
  assert.ok(video(second).config!.equals(avcCOf('h264-444-interlaced.flv')), 'second file: the 176x100 configuration');
  assert.equal(video(first).samples.length, 25);
  assert.equal(video(second).samples.length, 25);
});

test('FLV DVR: the new sequence header goes in-band, one file', async () => {
  const dir = join(root, `flv-${n++}`);
  const files = await recordTwoEncodes(join(dir, 'cam.flv'));
  assert.deepEqual(files, ['cam.flv']);
  const headers = demuxFlv(readFileSync(join(dir, 'cam.flv'))).tags.filter((t) => t.type === 9 && t.body[1] === 0);
  assert.equal(headers.length, 2);
});
