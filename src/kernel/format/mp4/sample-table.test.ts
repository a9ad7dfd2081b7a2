import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoxWriter } from './box.js';
import {
  Column,
  hasCompositionOffsets,
  runs,
  writeChunkOffsets,
  writeCtts,
  writeEmptySampleTables,
  writeStsc,
  writeStss,
  writeStsz,
  writeStts,
} from './sample-table.js';

function build(fn: (w: BoxWriter) => void): string {
  const w = new BoxWriter();
  fn(w);
  return w.toBuffer().toString('hex');
}

describe('sample tables', () => {
  test('Column grows past its capacity and keeps every value', () => {
    const c = new Column(Float64Array, 16);
    for (let i = 0; i < 1000; i++) c.push(i * 2 ** 33);
    assert.equal(c.length, 1000);
    assert.equal(c.get(999), 999 * 2 ** 33);
    c.set(0, 5);
    assert.deepEqual([...c.view().subarray(0, 2)], [5, 2 ** 33]);
  });

  test('runs() groups consecutive equal values', () => {
    assert.deepEqual(runs([3600, 3600, 3600, 3700, 3600]), [[3, 3600], [1, 3700], [1, 3600]]);
    assert.deepEqual(runs([]), []);
  });

  test('stts is run-length coded', () => {
    assert.equal(build((w) => writeStts(w, [1024, 1024, 1024, 512])), '00000020' + '73747473' + '00000000' + '00000002' + '00000003' + '00000400' + '00000001' + '00000200');
  });

  test('ctts is version 0 for non-negative offsets and version 1 (signed) otherwise', () => {
    assert.equal(build((w) => writeCtts(w, [7200, 7200, 0])), '00000020' + '63747473' + '00000000' + '00000002' + '00000002' + '00001c20' + '00000001' + '00000000');
    assert.equal(build((w) => writeCtts(w, [-3600, 3600])), '00000020' + '63747473' + '01000000' + '00000002' + '00000001' + 'fffff1f0' + '00000001' + '00000e10');
    assert.equal(hasCompositionOffsets([0, 0]), false);
    assert.equal(hasCompositionOffsets([0, 1]), true);
  });

  test('stss lists 1-based sync sample numbers', () => {
    assert.equal(build((w) => writeStss(w, [1, 0, 0, 1, 0])), '00000018' + '73747373' + '00000000' + '00000002' + '00000001' + '00000004');
  });

  test('stsc has one entry per change of samples-per-chunk', () => {
    assert.equal(
      build((w) => writeStsc(w, [2, 2, 1, 1, 2])),
      '00000034' + '73747363' + '00000000' + '00000003' +
        '00000001' + '00000002' + '00000001' + '00000003' + '00000001' + '00000001' + '00000005' + '00000002' + '00000001',
    );
  });

  test('stsz uses one sample_size when all sizes match, else a table', () => {
    assert.equal(build((w) => writeStsz(w, [4, 4, 4])), '00000014' + '7374737a' + '00000000' + '00000004' + '00000003');
    assert.equal(build((w) => writeStsz(w, [4, 5])), '0000001c' + '7374737a' + '00000000' + '00000000' + '00000002' + '00000004' + '00000005');
    assert.equal(build((w) => writeStsz(w, [])), '00000014' + '7374737a' + '00000000' + '00000000' + '00000000');
  });

  test('chunk offsets: stco while they fit 32 bits, co64 once one does not', () => {
    assert.equal(build((w) => writeChunkOffsets(w, [48, 0xffffffff])), '00000018' + '7374636f' + '00000000' + '00000002' + '00000030' + 'ffffffff');
    assert.equal(
      build((w) => writeChunkOffsets(w, [48, 0x100000000])),
      '00000020' + '636f3634' + '00000000' + '00000002' + '0000000000000030' + '0000000100000000',
    );
  });

  test('init segments carry empty stts, stsc, stsz and stco', () => {
    assert.equal(
      build(writeEmptySampleTables),
      '00000010737474730000000000000000' + '00000010737473630000000000000000' + '000000147374737a000000000000000000000000' + '000000107374636f0000000000000000',
    );
  });
});
