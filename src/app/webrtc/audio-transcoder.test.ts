// Runs the real ffmpeg: AAC → Opus and back, counts and durations of the frames, and a child killed
// mid-stream coming back with audio.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Logger } from '../../core/logger.js';
import { readFixture } from '../../../test/fixtures/index.js';
import { parseAudioSpecificConfig } from '../../kernel/codec/aac.js';
import { parseOpusHead } from '../../kernel/codec/opus.js';
import { demuxFlv } from '../../kernel/format/flv.js';
import { audioFrameFromFlv, type AudioFrame } from '../../kernel/media-frame.js';
import { ProcessSupervisor } from '../ffmpeg/index.js';
import { AudioTranscoder, type AudioTranscodeDirection } from './audio-transcoder.js';

const lines: string[] = [];
const log: Logger = {
  cid: 't',
  verbose: () => undefined,
  info: () => undefined,
  trace: (m) => lines.push(m),
  warn: (m) => lines.push(m),
  error: (m) => lines.push(m),
  child: () => log,
};

/** The fixture's AAC (48 kHz stereo, ~1 s) played `loops` times: the sequence header, then raw frames in ms. */
function aacFrames(loops: number, startMs = 0): AudioFrame[] {
  const tags = demuxFlv(readFixture('h264-aac.flv')).tags.filter((t) => t.type === 8);
  const header = audioFrameFromFlv(tags[0]!.body, startMs)!;
  const raw = tags.slice(1);
  const out: AudioFrame[] = [header];
  for (let l = 0; l < loops; l++) {
    raw.forEach((t, i) => {
      const ms = startMs + Math.round(((l * raw.length + i) * 1024 * 1000) / 48000);
      out.push(audioFrameFromFlv(t.body, ms)!);
    });
  }
  return out;
}

function cpuTicks(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

async function transcode(direction: AudioTranscodeDirection, input: AudioFrame[], sup: ProcessSupervisor): Promise<{ out: AudioFrame[]; cpuTicks: number }> {
  const out: AudioFrame[] = [];
  const t = new AudioTranscoder({ direction, supervisor: sup, log, label: '/live/test', onFrame: (f) => out.push(f) });
  try {
    for (const f of input) t.push(f);
    const pid = t.pid;
    // Wait for the child to take the input before reading its CPU time (it exits once drained).
    await new Promise((r) => setTimeout(r, 300));
    const cpu = cpuTicks(pid);
    await t.drain();
    assert.equal(t.stats.dropped, 0);
    return { out, cpuTicks: cpu };
  } finally {
    await t.close();
  }
}

test('AAC → Opus → AAC through real ffmpeg: counts, durations and contiguous 48 kHz timestamps', { timeout: 60_000 }, async () => {
  const sup = new ProcessSupervisor(log, { initialBackoffMs: 50 });
  const aac = aacFrames(2, 1000);
  const inputSamples = (aac.length - 1) * 1024;
  assert.ok(inputSamples >= 2 * 48000, `${inputSamples} samples: at least 2 s`);
  const opus = await transcode('aac-to-opus', aac, sup);
  const [head, ...packets] = opus.out;
  assert.equal(head!.sequenceHeader, true, lines.join('\n'));
  assert.equal(parseOpusHead(head!.view.raw).channels, 2);
  assert.equal(packets.filter((f) => f.sequenceHeader).length, 0);
  for (const f of packets) assert.equal(f.view.samples, 960, '20 ms packets');
  packets.forEach((f, i) => assert.equal(f.dtsTicks, 48 * 1000 + i * 960, 'contiguous from the first input pts'));
  assert.equal(packets[0]!.timescale, 48000);
  // Encoder delay (pre-skip), decoder priming and the last partial packet move the total by at most a packet or two.
  const outSamples = packets.length * 960;
  assert.ok(Math.abs(outSamples - inputSamples) <= 2 * 960, `${outSamples} vs ${inputSamples}`);

  const back = await transcode('opus-to-aac', packets, sup);
  const [ascFrame, ...aacOut] = back.out;
  assert.equal(ascFrame!.sequenceHeader, true);
  const asc = parseAudioSpecificConfig(ascFrame!.view.raw);
  assert.deepEqual([asc.sampleRate, asc.channels, asc.objectType], [48000, 2, 2]);
  aacOut.forEach((f, i) => {
    assert.equal(f.codec, 'aac');
    assert.equal(f.view.samples, 1024);
    assert.equal(f.dtsTicks, 48 * 1000 + i * 1024);
  });
  const aacSamples = aacOut.length * 1024;
  assert.ok(Math.abs(aacSamples - outSamples) <= 2 * 1024, `${aacSamples} vs ${outSamples}`);
  console.log(`# CPU of the ffmpeg child for ${(inputSamples / 48000).toFixed(2)} s of audio: AAC→Opus ${opus.cpuTicks} ticks, Opus→AAC ${back.cpuTicks} ticks (1 tick = 10 ms)`);
});

test('the child killed mid-stream: restarted by the supervisor, audio resumes with the new input times', { timeout: 60_000 }, async () => {
  const sup = new ProcessSupervisor(log, { initialBackoffMs: 50 });
  const out: AudioFrame[] = [];
  const t = new AudioTranscoder({ direction: 'aac-to-opus', supervisor: sup, log, label: '/live/kill', onFrame: (f) => out.push(f) });
  try {
    const first = aacFrames(1, 0);
    for (const f of first) t.push(f);
    while (out.length < 10) await new Promise((r) => setTimeout(r, 20));
    const pid = t.pid!;
    process.kill(pid, 'SIGKILL');
    while (t.pid === undefined || t.pid === pid) {
      t.push(first[5]!); // dropped while no child runs
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(t.stats.dropped > 0);
    const before = out.length;
    const second = aacFrames(1, 5000).slice(1); // same config: no new sequence header expected
    for (const f of second) t.push(f);
    await t.drain();
    const resumed = out.slice(before);
    assert.ok(resumed.length >= 45, `${resumed.length} frames after the restart`);
    assert.equal(resumed.filter((f) => f.sequenceHeader).length, 0);
    assert.equal(resumed[0]!.dtsTicks, 5000 * 48);
    assert.equal(t.stats.restarts, 1);
  } finally {
    await t.close();
  }
});
