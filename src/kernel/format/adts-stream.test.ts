import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adtsHeader, parseAudioSpecificConfig } from '../codec/aac.js';
import { AdtsStreamReader } from './adts-stream.js';

test('ADTS frames from a stream cut at every position', () => {
  const asc = parseAudioSpecificConfig(Buffer.from([0x11, 0x90]));
  const raws = [10, 300, 1, 77].map((n, i) => Buffer.alloc(n, i + 1));
  const stream = Buffer.concat(raws.flatMap((r) => [adtsHeader(asc, r.length), r]));
  for (let cut = 1; cut < stream.length; cut++) {
    const r = new AdtsStreamReader();
    const got = [...r.push(stream.subarray(0, cut)).map((f) => Buffer.from(f.raw)), ...r.push(stream.subarray(cut)).map((f) => Buffer.from(f.raw))];
    assert.deepEqual(got, raws, `cut at ${cut}`);
  }
});
