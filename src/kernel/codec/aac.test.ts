import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../core/errors.js';
import { BitWriter, expectOnlyProtocolErrors, fuzzInputs, readFixture } from '../../../test/fixtures/index.js';
import { demuxFlv } from '../format/flv.js';
import { ADTS_HEADER_SIZE, aacProfileName, adtsHeader, parseAdtsHeader, parseAudioSpecificConfig } from './aac.js';

const AUDIO = demuxFlv(readFixture('h264-aac.flv')).tags.filter((t) => t.type === 8);
const ASC = AUDIO[0]!.body.subarray(2);

function asc(build: (w: BitWriter) => void): Buffer {
  const w = new BitWriter();
  build(w);
  while (w.length % 8 !== 0) w.bit(0);
  return w.toBuffer();
}

describe('AudioSpecificConfig', () => {
  it('parses the ffmpeg AAC-LC 48 kHz stereo config', () => {
    assert.equal(ASC.toString('hex'), '1190' + ASC.subarray(2).toString('hex'));
    const c = parseAudioSpecificConfig(ASC);
    assert.equal(c.objectType, 2);
    assert.equal(c.profileName, 'LC');
    assert.equal(c.sampleRateIndex, 3);
    assert.equal(c.sampleRate, 48000);
    assert.equal(c.channelConfiguration, 2);
    assert.equal(c.channels, 2);
    assert.equal(c.sbr, false);
    assert.equal(c.extensionSampleRate, 48000);
  });

  it('parses explicit HE-AAC (object type 5) and HEv2 (29)', () => {
    const he = parseAudioSpecificConfig(asc((w) => w.bits(5, 5).bits(4, 6).bits(4, 2).bits(4, 3).bits(5, 2)));
    assert.deepEqual(
      { objectType: he.objectType, profile: he.profileName, rate: he.sampleRate, ext: he.extensionSampleRate, core: he.coreObjectType, sbr: he.sbr, ps: he.ps },
      { objectType: 5, profile: 'HE', rate: 24000, ext: 48000, core: 2, sbr: true, ps: false },
    );
    const v2 = parseAudioSpecificConfig(asc((w) => w.bits(5, 29).bits(4, 6).bits(4, 1).bits(4, 3).bits(5, 2)));
    assert.equal(v2.profileName, 'HEv2');
    assert.equal(v2.ps, true);
    assert.equal(v2.channels, 1);
  });

  it('detects implicit SBR/PS signalling but keeps the signalled profile (as SRS reports it)', () => {
    const c = parseAudioSpecificConfig(
      asc((w) => w.bits(5, 2).bits(4, 6).bits(4, 2).bits(3, 0).bits(11, 0x2b7).bits(5, 5).bit(1).bits(4, 3).bits(11, 0x548).bit(1)),
    );
    assert.equal(c.profileName, 'LC');
    assert.equal(c.sbr, true);
    assert.equal(c.ps, true);
    assert.equal(c.sampleRate, 24000);
    assert.equal(c.extensionSampleRate, 48000);
  });

  it('reads escaped object types and explicit 24-bit sampling rates', () => {
    const usac = parseAudioSpecificConfig(asc((w) => w.bits(5, 31).bits(6, 42 - 32).bits(4, 4).bits(4, 2)));
    assert.equal(usac.objectType, 42);
    assert.equal(usac.profileName, 'Other');
    const explicit = parseAudioSpecificConfig(asc((w) => w.bits(5, 2).bits(4, 15).bits(24, 44100).bits(4, 1).bits(3, 0)));
    assert.equal(explicit.sampleRateIndex, 15);
    assert.equal(explicit.sampleRate, 44100);
    const odd = parseAudioSpecificConfig(asc((w) => w.bits(5, 2).bits(4, 15).bits(24, 37800).bits(4, 7)));
    assert.equal(odd.sampleRate, 37800);
    assert.equal(odd.channels, 8);
  });

  it('refuses null object type, reserved indexes, reserved channels and truncation', () => {
    const cases = [
      asc((w) => w.bits(5, 0).bits(4, 3).bits(4, 2)),
      asc((w) => w.bits(5, 2).bits(4, 13).bits(4, 2)),
      asc((w) => w.bits(5, 2).bits(4, 3).bits(4, 8)),
      asc((w) => w.bits(5, 2).bits(4, 15).bits(3, 0)),
      asc((w) => w.bits(5, 5).bits(4, 6).bits(4, 2)),
      Buffer.from([0x12]),
      Buffer.alloc(0),
    ];
    for (const c of cases) assert.throws(() => parseAudioSpecificConfig(c), ProtocolError, c.toString('hex'));
  });

  it('names profiles as SRS does', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 29].map(aacProfileName), ['Main', 'LC', 'SSR', 'Other', 'HE', 'HEv2']);
  });

  it('fuzz: mutated configs only throw ProtocolError', () => {
    const seeds = [ASC, asc((w) => w.bits(5, 5).bits(4, 6).bits(4, 2).bits(4, 3).bits(5, 2)), asc((w) => w.bits(5, 2).bits(4, 6).bits(4, 2).bits(3, 0).bits(11, 0x2b7).bits(5, 5).bit(1).bits(4, 3))];
    const { accepted, refused } = expectOnlyProtocolErrors('aac-asc', fuzzInputs(seeds, 0xaac, 3000, 16), (b) => parseAudioSpecificConfig(b));
    assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  });
});

describe('ADTS', () => {
  it('writes the header ffmpeg writes for the fixture (ffmpeg -c:a copy -f adts)', () => {
    const c = parseAudioSpecificConfig(ASC);
    const firstFrame = AUDIO[1]!.body.subarray(2);
    assert.equal(firstFrame.length, 132);
    assert.equal(adtsHeader(c, firstFrame.length).toString('hex'), 'fff14c80117ffc');
  });

  it('round-trips through parseAdtsHeader for every fixture frame', () => {
    const c = parseAudioSpecificConfig(ASC);
    for (const tag of AUDIO.slice(1)) {
      const raw = tag.body.subarray(2);
      const h = parseAdtsHeader(adtsHeader(c, raw.length));
      assert.equal(h.frameLength, raw.length + ADTS_HEADER_SIZE);
      assert.equal(h.sampleRate, 48000);
      assert.equal(h.channelConfiguration, 2);
      assert.equal(h.objectType, 2);
      assert.equal(h.protectionAbsent, true);
      assert.equal(h.rawDataBlocks, 1);
      assert.equal(h.mpegVersion, 4);
    }
  });

  it('writes into a caller buffer at an offset', () => {
    const c = parseAudioSpecificConfig(ASC);
    const out = Buffer.alloc(20, 0xee);
    const view = adtsHeader(c, 100, out, 5);
    assert.equal(view.length, 7);
    assert.equal(view.buffer, out.buffer);
    assert.deepEqual(out.subarray(5, 12), adtsHeader(c, 100));
    assert.equal(out[4], 0xee);
    assert.equal(out[12], 0xee);
    assert.throws(() => adtsHeader(c, 100, out, 15), RangeError);
  });

  it('uses the core profile and rate for HE-AAC and maps explicit rates to an index', () => {
    const he = parseAudioSpecificConfig(asc((w) => w.bits(5, 5).bits(4, 6).bits(4, 2).bits(4, 3).bits(5, 2)));
    const h = parseAdtsHeader(adtsHeader(he, 10));
    assert.equal(h.objectType, 2);
    assert.equal(h.sampleRate, 24000);
    const explicit = parseAudioSpecificConfig(asc((w) => w.bits(5, 2).bits(4, 15).bits(24, 44100).bits(4, 1).bits(3, 0)));
    assert.equal(parseAdtsHeader(adtsHeader(explicit, 10)).sampleRateIndex, 4);
  });

  it('refuses what ADTS cannot express', () => {
    const c = parseAudioSpecificConfig(ASC);
    assert.throws(() => adtsHeader(c, 8185), ProtocolError);
    assert.doesNotThrow(() => adtsHeader(c, 8184));
    const odd = parseAudioSpecificConfig(asc((w) => w.bits(5, 2).bits(4, 15).bits(24, 37800).bits(4, 2)));
    assert.throws(() => adtsHeader(odd, 10), /no ADTS index/);
    const usac = parseAudioSpecificConfig(asc((w) => w.bits(5, 31).bits(6, 10).bits(4, 4).bits(4, 2)));
    assert.throws(() => adtsHeader(usac, 10), /no ADTS profile/);
    assert.throws(() => parseAdtsHeader(Buffer.from('fff14c8011', 'hex')), ProtocolError);
    assert.throws(() => parseAdtsHeader(Buffer.from('fff04c80117ffc', 'hex').fill(0, 0, 1)), ProtocolError);
    assert.throws(() => parseAdtsHeader(Buffer.from('fff17c80117ffc', 'hex')), /reserved/);
    assert.throws(() => parseAdtsHeader(Buffer.from('fff14c80000ffc', 'hex')), /frame_length/);
  });
});
