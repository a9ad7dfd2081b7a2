// The live player page: HTTP-FLV, WebSocket-FLV and HTTP-TS through mpegts.js, HLS through hls.js
// (or the browser's own HLS on Safari). The libraries are copied next to this file at build time
// (scripts/copy-player-libs.mjs) and loaded only when a stream needs them.
import { KIND_LABELS, pageParams, streamKind, streamUrlFrom, switchKind } from './stream-url.js';

const $ = (id) => document.getElementById(id);
const video = /** @type {HTMLVideoElement} */ ($('video'));
const urlInput = /** @type {HTMLInputElement} */ ($('url'));
const statusLine = $('status');
const errorBox = $('error');

/** The playback in progress: {kind, engine, url, stop(), speedKBps?(), codecs?()} or null. */
let session = null;
/** Bumped by every start/stop, so a start that finishes loading after a newer action gives up. */
let generation = 0;
let ticker = 0;

const vendor = (file) => new URL(`./vendor/${file}`, import.meta.url).href;
const loading = new Map();

/** Load a classic (UMD) script once and return the global it defines. */
function loadLibrary(file, globalName) {
  if (window[globalName]) return Promise.resolve(window[globalName]);
  let p = loading.get(file);
  if (!p) {
    p = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = vendor(file);
      s.onload = () => (window[globalName] ? resolve(window[globalName]) : reject(new Error(`${file} did not define ${globalName}`)));
      s.onerror = () => reject(new Error(`Cannot load players/js/vendor/${file}. Build tsrs with "npm run build", which copies the player libraries there.`));
      document.head.append(s);
    });
    loading.set(file, p);
    p.catch(() => loading.delete(file));
  }
  return p;
}

function setStatus(state, text) {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
  setStatus('error', 'Stopped after an error');
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

/** A failure reported by an engine for the playback of generation `gen`. */
function failure(gen, message) {
  if (gen !== generation) return;
  stopSession();
  showError(message);
}

async function startMpegts(url, kind, gen) {
  const mpegts = await loadLibrary('mpegts.js', 'mpegts');
  if (!mpegts.getFeatureList().mseLivePlayback) {
    throw new Error('This browser lacks Media Source Extensions, which FLV and TS playback needs.');
  }
  mpegts.LoggingControl?.applyConfig?.({ enableVerbose: false, enableDebug: false, enableInfo: false });
  const player = mpegts.createPlayer(
    { type: kind === 'ts' ? 'mpegts' : 'flv', isLive: true, url },
    { enableWorker: false, lazyLoad: false, liveBufferLatencyChasing: true, autoCleanupSourceBuffer: true },
  );
  let speed = NaN;
  let codecs = '';
  player.on(mpegts.Events.ERROR, (type, detail, info) => {
    const code = info && typeof info.code === 'number' && info.code > 0 ? ` (HTTP ${info.code})` : '';
    const msg = info && info.msg ? `: ${info.msg}` : '';
    const hint = info && info.code === 404 ? ' — is the stream published, and is http_remux on for its vhost?' : '';
    failure(gen, `${type} ${detail}${code}${msg}${hint}`);
  });
  player.on(mpegts.Events.LOADING_COMPLETE, () => {
    if (gen === generation) setStatus('idle', 'The stream ended');
  });
  player.on(mpegts.Events.MEDIA_INFO, (info) => {
    codecs = [info.videoCodec, info.audioCodec].filter(Boolean).join(', ');
  });
  player.on(mpegts.Events.STATISTICS_INFO, (s) => {
    speed = s.speed;
  });
  player.attachMediaElement(video);
  player.load();
  return {
    engine: `mpegts.js ${mpegts.version ?? ''}`.trim(),
    speedKBps: () => speed,
    codecs: () => codecs,
    stop() {
      player.pause();
      player.unload();
      player.detachMediaElement();
      player.destroy();
    },
  };
}

function startNative(url, engine) {
  video.src = url;
  video.load();
  return {
    engine,
    stop() {
      video.removeAttribute('src');
      video.load();
    },
  };
}

async function startHls(url, gen) {
  // Safari plays HLS itself; Chromium-based browsers (which have navigator.userAgentData) may claim
  // to as well, but hls.js reports more and behaves the same everywhere, so they get hls.js.
  const native = video.canPlayType('application/vnd.apple.mpegurl') !== '';
  if (native && !('userAgentData' in navigator)) return startNative(url, 'native HLS');
  const Hls = await loadLibrary('hls.min.js', 'Hls');
  if (!Hls.isSupported()) {
    if (native) return startNative(url, 'native HLS');
    throw new Error('This browser can play HLS neither itself nor through hls.js (no Media Source Extensions).');
  }
  const hls = new Hls({ liveDurationInfinity: true, backBufferLength: 30 });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    const status = data.response && data.response.code ? ` (HTTP ${data.response.code})` : '';
    const hint = data.response && data.response.code === 404 ? ' — is the stream published, and is hls on for its vhost?' : '';
    failure(gen, `${data.type} ${data.details}${status}${hint}`);
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return {
    engine: `hls.js ${Hls.version ?? ''}`.trim(),
    speedKBps: () => (hls.bandwidthEstimate > 0 ? hls.bandwidthEstimate / 8 / 1000 : NaN),
    codecs: () => {
      const level = hls.levels && hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : 0];
      return level ? [level.videoCodec, level.audioCodec].filter(Boolean).join(', ') : '';
    },
    stop() {
      hls.destroy();
      video.removeAttribute('src');
      video.load();
    },
  };
}

async function play(url) {
  stopSession();
  clearError();
  url = url.trim();
  if (!url) {
    showError('Enter a stream URL, for example http://host:8080/live/livestream.flv');
    return;
  }
  const gen = ++generation;
  const kind = streamKind(url);
  urlInput.value = url;
  markKind(kind);
  setStatus('loading', `Connecting (${KIND_LABELS[kind]})…`);
  let started;
  try {
    if (kind === 'hls') started = await startHls(url, gen);
    else if (kind === 'native') started = startNative(url, 'browser');
    else started = await startMpegts(url, kind, gen);
  } catch (e) {
    if (gen === generation) showError(e instanceof Error ? e.message : String(e));
    return;
  }
  if (gen !== generation) {
    started.stop();
    return;
  }
  session = { kind, url, ...started };
  $('stat-engine').textContent = session.engine;
  ticker = window.setInterval(updateStats, 1000);
  // An HTTP-FLV request for a stream nobody publishes yet is answered and then waits (as in SRS).
  window.setTimeout(() => {
    if (gen === generation && statusLine.dataset.state === 'loading' && video.readyState < 2) {
      setStatus('loading', 'Connected, waiting for media — is the stream being published?');
    }
  }, 5000);
  try {
    await video.play();
  } catch (e) {
    if (gen !== generation) return;
    if (e && e.name === 'NotAllowedError') setStatus('idle', 'The browser blocked autoplay: press play on the video.');
    else if (e && e.name !== 'AbortError') failure(gen, `Cannot play: ${e.message ?? e}`);
  }
}

function stopSession() {
  generation++;
  window.clearInterval(ticker);
  const s = session;
  session = null;
  if (s) {
    try {
      s.stop();
    } catch (e) {
      console.warn('stopping the player', e);
    }
  }
}

function stop() {
  const wasPlaying = session !== null;
  stopSession();
  clearError();
  setStatus('idle', wasPlaying ? 'Stopped' : 'Idle');
  for (const id of ['stat-engine', 'stat-size', 'stat-codecs', 'stat-buffer', 'stat-speed', 'stat-dropped']) $(id).textContent = '–';
}

function formatSeconds(s) {
  if (!Number.isFinite(s)) return '–';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}` : `${s.toFixed(1)} s`;
}

function updateStats() {
  if (!session) return;
  const { videoWidth: w, videoHeight: h } = video;
  $('stat-size').textContent = w && h ? `${w} × ${h}` : '–';
  $('stat-codecs').textContent = (session.codecs && session.codecs()) || '–';
  const b = video.buffered;
  const ahead = b.length ? b.end(b.length - 1) - video.currentTime : NaN;
  $('stat-buffer').textContent = Number.isFinite(ahead) ? `${Math.max(0, ahead).toFixed(1)} s` : '–';
  const kbps = session.speedKBps ? session.speedKBps() : NaN;
  $('stat-speed').textContent = Number.isFinite(kbps) ? `${Math.round(kbps * 8)} kbit/s` : '–';
  const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
  $('stat-dropped').textContent = q ? `${q.droppedVideoFrames} of ${q.totalVideoFrames}` : '–';
  if (statusLine.dataset.state === 'playing') {
    setStatus('playing', `Playing ${KIND_LABELS[session.kind]} · ${formatSeconds(video.currentTime)}${video.muted ? ' · muted' : ''}`);
  }
}

function markKind(kind) {
  for (const b of document.querySelectorAll('[data-kind]')) b.setAttribute('aria-pressed', String(b.dataset.kind === kind));
}

// The <video> element's own events drive the status line between engine events.
video.addEventListener('playing', () => {
  if (session) setStatus('playing', `Playing ${KIND_LABELS[session.kind]}${video.muted ? ' · muted' : ''}`);
});
video.addEventListener('waiting', () => {
  if (session) setStatus('loading', 'Buffering…');
});
video.addEventListener('error', () => {
  if (!session || !video.error) return;
  const names = { 1: 'aborted', 2: 'network error', 3: 'decode error', 4: 'format not supported' };
  failure(generation, `Video element: ${names[video.error.code] ?? 'error'}${video.error.message ? ` (${video.error.message})` : ''}`);
});

$('play-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const url = urlInput.value.trim();
  remember(url);
  play(url);
});
$('stop').addEventListener('click', stop);
urlInput.addEventListener('input', () => markKind(streamKind(urlInput.value.trim())));
for (const b of document.querySelectorAll('[data-kind]')) {
  b.addEventListener('click', () => {
    let url;
    try {
      url = switchKind(urlInput.value.trim(), b.dataset.kind);
    } catch {
      showError('Enter a full stream URL first, for example http://host:8080/live/livestream.flv');
      return;
    }
    remember(url);
    play(url);
  });
}
window.addEventListener('pagehide', stopSession);

/** Keep what the user plays in the address bar, so a reload or a shared link plays it again. */
function remember(url) {
  if (url === initialUrl) return;
  const q = new URLSearchParams({ url, autostart: 'true' });
  history.replaceState(null, '', `${location.pathname}?${q}`);
}

const params = pageParams(location);
const initialUrl = streamUrlFrom(params, location);
urlInput.value = initialUrl;
markKind(streamKind(initialUrl));
if (params.get('autostart') === 'true') {
  // Browsers allow autoplay only without sound; ?muted=false keeps the sound (and may need a click).
  video.muted = params.get('muted') !== 'false';
  play(initialUrl);
}
