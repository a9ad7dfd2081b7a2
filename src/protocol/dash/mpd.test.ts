import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isoDateTime, isoDuration, renderMpd, renderTimeline, xmlEscape, type Mpd, type MpdRepresentation } from './mpd.js';

const video: MpdRepresentation = {
  kind: 'video',
  id: 'video',
  codecs: 'avc1.64001f',
  bandwidth: 812_345.4,
  width: 1280,
  height: 720,
  timescale: 90000,
  presentationTimeOffset: 0,
  initialization: 'video-init.mp4',
  media: 'video-$Number$.m4s',
  startNumber: 7,
  segments: [
    { t: 1_260_000, d: 180_000 },
    { t: 1_440_000, d: 180_000 },
    { t: 1_620_000, d: 183_600 },
  ],
};

const audio: MpdRepresentation = {
  kind: 'audio',
  id: 'audio',
  codecs: 'mp4a.40.2',
  bandwidth: 66_000,
  sampleRate: 44100,
  channels: 2,
  timescale: 44100,
  presentationTimeOffset: 0,
  initialization: 'audio-init.mp4',
  media: 'audio-$Number$.m4s',
  startNumber: 7,
  segments: [
    { t: 617_400, d: 88_064 },
    { t: 705_464, d: 89_088 },
    { t: 794_552, d: 89_088 },
  ],
};

const base: Mpd = {
  availabilityStartTimeMs: Date.UTC(2024, 2, 5, 7, 8, 9, 10),
  publishTimeMs: Date.UTC(2024, 2, 5, 7, 8, 29, 500),
  minimumUpdatePeriodMs: 5000,
  timeShiftBufferDepthMs: 6040,
  minBufferTimeMs: 2000,
  maxSegmentDurationMs: 2040,
  baseUrl: 'cam1/',
  periods: [{ id: '0', startMs: 0, representations: [video, audio] }],
};

describe('MPD rendering', () => {
  test('a dynamic isoff-live MPD with a SegmentTimeline per track (exact text)', () => {
    const want = `<?xml version="1.0" encoding="utf-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic" availabilityStartTime="2024-03-05T07:08:09.010Z" publishTime="2024-03-05T07:08:29.500Z" minimumUpdatePeriod="PT5.000S" timeShiftBufferDepth="PT6.040S" minBufferTime="PT2.000S" maxSegmentDuration="PT2.040S">
  <BaseURL>cam1/</BaseURL>
  <Period id="0" start="PT0.000S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">
      <Representation id="video" bandwidth="812346" codecs="avc1.64001f" width="1280" height="720">
        <SegmentTemplate timescale="90000" initialization="video-init.mp4" media="video-$Number$.m4s" startNumber="7">
          <SegmentTimeline>
            <S t="1260000" d="180000" r="1"/>
            <S d="183600"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1">
      <Representation id="audio" bandwidth="66000" codecs="mp4a.40.2" audioSamplingRate="44100">
        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
        <SegmentTemplate timescale="44100" initialization="audio-init.mp4" media="audio-$Number$.m4s" startNumber="7">
          <SegmentTimeline>
            <S t="617400" d="88064"/>
            <S d="89088" r="1"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`;
    assert.equal(renderMpd(base), want);
  });

  test('UTCTiming with the publish time, after the Periods (5.3.1.3 element order)', () => {
    const text = renderMpd({ ...base, utcTimingDirect: true });
    assert.match(text, /<\/Period>\n {2}<UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014" value="2024-03-05T07:08:29.500Z"\/>\n<\/MPD>\n$/);
  });

  test('several Periods: start and presentationTimeOffset; Representations without segments are left out', () => {
    const text = renderMpd({
      ...base,
      periods: [
        { id: '3', startMs: 0, representations: [video, { ...audio, segments: [] }] },
        { id: '4', startMs: 5803.6, representations: [{ ...video, presentationTimeOffset: 900, startNumber: 10, initialization: 'video-init-4.mp4', segments: [{ t: 900, d: 180_000 }] }] },
        { id: '5', startMs: 9000, representations: [{ ...audio, segments: [] }] },
      ],
    });
    assert.match(text, /<Period id="3" start="PT0.000S">\n {4}<AdaptationSet id="0" contentType="video"[^\n]*\n[\s\S]*?<\/Period>\n {2}<Period id="4" start="PT5.804S">/);
    assert.equal(text.match(/<Period /g)?.length, 2, 'the Period with nothing to play is not written');
    assert.equal(text.match(/contentType="audio"/g), null);
    assert.match(text, /<SegmentTemplate timescale="90000" presentationTimeOffset="900" initialization="video-init-4.mp4" media="video-\$Number\$.m4s" startNumber="10">/);
  });

  test('timeline: t on the first S and after gaps or overlaps, r for runs of equal durations', () => {
    const lines = renderTimeline(
      [
        { t: 0, d: 10 },
        { t: 10, d: 10 },
        { t: 20, d: 10 },
        { t: 35, d: 10 }, // gap
        { t: 45, d: 12 },
        { t: 50, d: 12 }, // overlap
        { t: 62, d: 12 },
      ],
      '',
    );
    assert.deepEqual(lines, ['<S t="0" d="10" r="2"/>', '<S t="35" d="10"/>', '<S d="12"/>', '<S t="50" d="12" r="1"/>']);
    assert.deepEqual(renderTimeline([], ''), []);
  });

  test('dates, durations and escaping', () => {
    assert.equal(isoDateTime(0), '1970-01-01T00:00:00.000Z');
    assert.equal(isoDateTime(1_709_622_489_010.4), '2024-03-05T07:08:09.010Z');
    assert.equal(isoDuration(300_000), 'PT300.000S');
    assert.equal(isoDuration(1.6), 'PT0.002S');
    assert.equal(isoDuration(-5), 'PT0.000S');
    assert.equal(xmlEscape(`a&b<c>"d'`), 'a&amp;b&lt;c&gt;&quot;d&apos;');
    const text = renderMpd({ ...base, baseUrl: 'a%26b/' , periods: [{ id: '0', startMs: 0, representations: [{ ...video, initialization: 'x&y.mp4' }] }] });
    assert.match(text, /<BaseURL>a%26b\/<\/BaseURL>/);
    assert.match(text, /initialization="x&amp;y.mp4"/);
    assert.doesNotMatch(renderMpd({ ...base, baseUrl: '' }), /BaseURL/);
  });
});
