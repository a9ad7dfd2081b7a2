import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseH264ProfileLevelId } from './h264-profile.js';

test('profile-level-id names the profile from profile_idc and constraint flags (RFC 6184 §8.1)', () => {
  const p = (s: string | undefined): string | undefined => parseH264ProfileLevelId(s)?.profile;
  assert.equal(p('42e01f'), 'constrained-baseline');
  assert.equal(p('42c01f'), 'constrained-baseline');
  assert.equal(p('4de01f'), 'constrained-baseline');
  assert.equal(p('58f01f'), 'constrained-baseline');
  assert.equal(p('42001f'), 'baseline');
  assert.equal(p('42801f'), 'baseline');
  assert.equal(p('4d001f'), 'main');
  assert.equal(p('4d401f'), 'main');
  assert.equal(p('58801f'), 'baseline');
  assert.equal(p('58001f'), 'extended');
  assert.equal(p('640c1f'), 'constrained-high');
  assert.equal(p('640034'), 'high');
  assert.equal(p('f40032'), 'high-444');
  assert.equal(p(undefined), 'baseline');
  assert.equal(parseH264ProfileLevelId('42e01f')?.levelIdc, 31);
  assert.equal(parseH264ProfileLevelId('42f00b')?.levelIdc, 9);
  for (const bad of ['42e0', 'zzzzzz', '42e000', '43e01f', '42e11f', '6401f1f']) assert.equal(parseH264ProfileLevelId(bad), undefined, bad);
});
