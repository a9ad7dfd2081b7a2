import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expiredCount, extinf, renderMediaPlaylist, targetDurationSec, type PlaylistEntry } from './playlist.js';

const entry = (seq: number, durationMs: number, more: Partial<PlaylistEntry> = {}): PlaylistEntry => ({
  seq,
  durationMs,
  uri: `livestream-${seq}.ts`,
  discontinuity: false,
  key: null,
  ...more,
});

test('playlist text is byte-exact SRS output', () => {
  const text = renderMediaPlaylist({
    entries: [entry(3, 10010, { discontinuity: true }), entry(4, 9980), entry(5, 10433)],
    minTargetMs: 10000,
  });
  assert.equal(
    text,
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-TARGETDURATION:11\n' +
      '#EXT-X-DISCONTINUITY\n#EXTINF:10.010, no desc\nlivestream-3.ts\n' +
      '#EXTINF:9.980, no desc\nlivestream-4.ts\n' +
      '#EXTINF:10.433, no desc\nlivestream-5.ts\n',
  );
  assert.ok(!text!.includes('ENDLIST'));
  assert.ok(!text!.includes('\r'));
});

test('no segments, no playlist', () => {
  assert.equal(renderMediaPlaylist({ entries: [], minTargetMs: 10000 }), null);
});

test('target duration: ceil of max(longest, fragment×td_ratio) in whole ms', () => {
  assert.equal(targetDurationSec([entry(0, 2000)], 2000), 2);
  assert.equal(targetDurationSec([entry(0, 2001)], 2000), 3);
  assert.equal(targetDurationSec([entry(0, 1500)], 2000), 2);
  assert.equal(targetDurationSec([], 11000), 11);
  assert.equal(targetDurationSec([entry(0, 100)], 1500.5), 2);
});

test('EXTINF has three decimals', () => {
  assert.equal(extinf(2000), '2.000');
  assert.equal(extinf(1), '0.001');
  assert.equal(extinf(123456), '123.456');
});

test('EXT-X-KEY on the first segment and where the key changes', () => {
  const k0 = { uri: 'https://k.example/live/cam-0.key', iv: Buffer.alloc(16, 0xab) };
  const k2 = { uri: 'https://k.example/live/cam-2.key', iv: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex') };
  const text = renderMediaPlaylist({ entries: [entry(1, 2000, { key: k0 }), entry(2, 2000, { key: k2 }), entry(3, 2000, { key: k2, discontinuity: true })], minTargetMs: 2000 });
  assert.equal(
    text,
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-TARGETDURATION:2\n' +
      `#EXT-X-KEY:METHOD=AES-128,URI="https://k.example/live/cam-0.key",IV=0x${'ab'.repeat(16)}\n#EXTINF:2.000, no desc\nlivestream-1.ts\n` +
      '#EXT-X-KEY:METHOD=AES-128,URI="https://k.example/live/cam-2.key",IV=0x000102030405060708090a0b0c0d0e0f\n#EXTINF:2.000, no desc\nlivestream-2.ts\n' +
      '#EXT-X-DISCONTINUITY\n#EXTINF:2.000, no desc\nlivestream-3.ts\n',
  );
  // Encryption switched off mid-window: the clear segment says so.
  const off = renderMediaPlaylist({ entries: [entry(1, 2000, { key: k0 }), entry(2, 2000)], minTargetMs: 2000 })!;
  assert.match(off, /#EXT-X-KEY:METHOD=NONE\n#EXTINF:2.000, no desc\nlivestream-2.ts\n$/);
});

test('window: keep back to and including the segment that crosses hls_window', () => {
  // 5 × 2 s = 10 s is not over a 10 s window; the 6th from the end crosses it and is kept.
  assert.equal(expiredCount([2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000], 10000), 2);
  assert.equal(expiredCount([2000, 2000, 2000, 2000, 2000], 10000), 0);
  assert.equal(expiredCount([2000, 2000, 2000, 2000, 2000, 2000], 10000), 0);
  assert.equal(expiredCount([30000, 1000], 10000), 0);
  assert.equal(expiredCount([1000, 30000, 1000], 10000), 1);
  assert.equal(expiredCount([], 10000), 0);
});
