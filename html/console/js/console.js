// The console page: server summary, streams and clients from the HTTP API, refreshed every few
// seconds; kick a client; open a stream in the player.
//
// Parameters (in ?query or, as SRS console links write them, in the hash: #/summaries?port=1985):
//   server (or host)  API host, default the page's host
//   port              API port, default 1985
//   schema            http or https for the API, default the page's
//   http_port         HTTP server port for player links, default the page's port (8080 when the page
//                     is served by the API port itself, at /console/)
//   refresh           seconds between updates, default 3
import { Api } from './api.js';
import * as fmt from './format.js';

const $ = (id) => document.getElementById(id);

function pageParams() {
  const params = new URLSearchParams(location.search);
  const q = location.hash.indexOf('?');
  if (q >= 0) for (const [k, v] of new URLSearchParams(location.hash.slice(q + 1))) params.set(k, v);
  return params;
}

const params = pageParams();
const fromWeb = location.protocol === 'http:' || location.protocol === 'https:';
const pageSecure = location.protocol === 'https:';
const schema = params.get('schema') === 'https' || (!params.get('schema') && pageSecure) ? 'https' : 'http';
let apiHost = params.get('server') || params.get('host') || (fromWeb && location.hostname) || '127.0.0.1';
let apiPort = params.get('port') || '1985';
const refreshMs = Math.max(1, Number(params.get('refresh')) || 3) * 1000;

const hostPart = (h) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
const pagePort = location.port || (pageSecure ? '443' : '80');

/** Where the HTTP server (players, streams) is: the page's own origin unless the page came from the API port. */
function httpBase() {
  const onApiPort = fromWeb && pagePort === apiPort;
  const sameHost = fromWeb && location.hostname === apiHost;
  if (!params.get('http_port') && sameHost && !onApiPort) return new URL('..', location.href).href.replace(/\/$/, '');
  const port = params.get('http_port') || '8080';
  return `${schema}://${hostPart(apiHost)}:${port}`;
}

let api;
let vhostNames = new Map();
let timer = 0;
let paused = false;
let running = false;
let firstRender = true;

function connect() {
  api = new Api(`${schema}://${hostPart(apiHost)}:${apiPort}`);
  $('api-server').value = apiHost;
  $('api-port').value = apiPort;
  const base = httpBase();
  $('nav-home').href = `${base}/index.html`;
  $('nav-player').href = `${base}/players/srs_player.html`;
  setConn('loading', `Connecting to ${api.base}…`);
  refreshNow();
}

function setConn(state, text) {
  const el = $('conn');
  el.dataset.state = state;
  el.textContent = text;
}

function showError(message) {
  const el = $('error');
  el.hidden = !message;
  el.textContent = message || '';
}

function notice(message) {
  $('notice').textContent = message;
}

function refreshNow() {
  clearTimeout(timer);
  timer = 0;
  void refresh();
}

function schedule() {
  clearTimeout(timer);
  if (!paused) timer = setTimeout(refresh, refreshMs);
}

async function refresh() {
  if (running) return;
  if (document.hidden) {
    schedule();
    return;
  }
  running = true;
  const used = api;
  try {
    const [versions, summaries, vhosts, streams, clients] = await Promise.allSettled([
      used.get('/api/v1/versions'),
      used.get('/api/v1/summaries'),
      used.get('/api/v1/vhosts/'),
      used.list('/api/v1/streams/', 'streams'),
      used.list('/api/v1/clients/', 'clients'),
    ]);
    if (used !== api) return; // reconnected meanwhile
    const failed = [versions, summaries, vhosts, streams, clients].filter((r) => r.status === 'rejected');
    const value = (r) => (r.status === 'fulfilled' ? r.value : null);
    if (vhosts.status === 'fulfilled') {
      vhostNames = new Map((vhosts.value.vhosts ?? []).map((v) => [v.id, { name: v.name, hls: Boolean(v.hls && v.hls.enabled) }]));
    }
    const streamList = value(streams) ?? [];
    const clientList = value(clients) ?? [];
    if (failed.length === 5) {
      setConn('error', `Cannot reach the API at ${api.base}`);
      showError(`${failed[0].reason.message}. Is http_api enabled there? Enter the API server and port above, or open this page with ?port=.`);
    } else {
      const time = new Date().toLocaleTimeString();
      setConn('ok', `${api.base}${api.mode === 'jsonp' ? ' (JSONP)' : ''} · updated ${time}${paused ? ' · paused' : ''}`);
      showError(failed.length ? failed.map((r) => r.reason.message).join('; ') : '');
      renderSummary(value(versions), value(summaries), streamList, clientList);
      if (streams.status === 'fulfilled') renderStreams(streamList);
      if (clients.status === 'fulfilled') renderClients(clientList);
      if (firstRender) {
        firstRender = false;
        scrollToRoute();
      }
    }
  } finally {
    running = false;
    schedule();
  }
}

function text(id, value) {
  const el = $(id);
  if (el.textContent !== value) el.textContent = value;
}

const num = (n) => (Number.isFinite(n) ? n : NaN);

function renderSummary(versions, summaries, streams, clients) {
  const env = versions ?? summaries ?? {};
  text('s-version', versions?.data?.version ?? '–');
  text('s-server', env.server ? `server ${env.server}` : '–');
  const self = summaries?.data?.self ?? {};
  const sys = summaries?.data?.system ?? {};
  text('s-uptime', fmt.duration(num(self.srs_uptime)));
  text('s-pid', self.pid ? `pid ${self.pid}` : env.pid ? `pid ${env.pid}` : '–');
  text('s-cpu', fmt.percent(num(self.cpu_percent)));
  const load = Number.isFinite(sys.load_1m) ? ` · load ${sys.load_1m.toFixed(2)}` : '';
  text('s-cpu-sys', `system ${fmt.percent(num(sys.cpu_percent))}${load}`);
  text('s-mem', Number.isFinite(self.mem_kbyte) ? fmt.bytes(self.mem_kbyte * 1000) : '–');
  const ram = Number.isFinite(sys.mem_ram_kbyte) ? ` of ${fmt.bytes(sys.mem_ram_kbyte * 1000)}` : '';
  text('s-mem-sys', `system ${fmt.percent(num(sys.mem_ram_percent))}${ram}`);
  text('s-conns', Number.isFinite(sys.conn_srs) ? String(sys.conn_srs) : String(clients.length));
  text('s-counts', `${streams.length} stream${streams.length === 1 ? '' : 's'} · ${clients.length} client${clients.length === 1 ? '' : 's'}`);
  text('s-traffic', Number.isFinite(sys.srs_send_bytes) ? `${fmt.bytes(sys.srs_send_bytes)} out` : '–');
  text('s-traffic-sub', Number.isFinite(sys.srs_recv_bytes) ? `${fmt.bytes(sys.srs_recv_bytes)} in` : '–');
  text('streams-count', `(${streams.length})`);
  text('clients-count', `(${clients.length})`);
}

function vhostOf(id) {
  return vhostNames.get(id) ?? { name: id, hls: false };
}

function playerUrl(stream, vhostName, ext) {
  const q = new URLSearchParams({ app: stream.app, stream: `${stream.name}.${ext}`, autostart: 'true' });
  if (vhostName && vhostName !== '__defaultVhost__') q.set('vhost', vhostName);
  return `${httpBase()}/players/srs_player.html?${q}`;
}

function renderStreams(streams) {
  syncRows($('streams-table').tBodies[0], streams, (s) => s.id, (s) => {
    const vhost = vhostOf(s.vhost);
    const active = Boolean(s.publish && s.publish.active);
    const path = `${s.app}/${s.name}`;
    return [
      cell(`${s.name}\n${s.url ?? ''}`, (td) => {
        const name = document.createElement('strong');
        name.textContent = s.name;
        const url = document.createElement('div');
        url.className = 'sub mono';
        url.textContent = s.url ?? `/${path}`;
        td.append(name, url);
      }),
      vhost.name,
      cell(String(active), (td) => td.append(badge(active ? 'live' : 'idle', active ? 'ok' : 'off'))),
      { text: String(s.clients ?? 0), className: 'num' },
      fmt.videoCodec(s.video),
      fmt.audioCodec(s.audio),
      fmt.resolution(s.video),
      { text: fmt.kbps(s.kbps?.recv_30s), className: 'num' },
      { text: fmt.kbps(s.kbps?.send_30s), className: 'num' },
      cell(`${path}|${vhost.name}|${vhost.hls}|${httpBase()}`, (td) => {
        const box = document.createElement('span');
        box.className = 'actions';
        box.append(link('Play', playerUrl(s, vhost.name, 'flv'), `Play ${path} over HTTP-FLV`));
        if (vhost.hls) box.append(link('HLS', playerUrl(s, vhost.name, 'm3u8'), `Play ${path} over HLS`));
        td.append(box);
      }),
    ];
  }, 'No streams. Publish one, for example: ffmpeg -re -i video.mp4 -c copy -f flv rtmp://' + hostPart(apiHost) + '/live/livestream');
}

function renderClients(clients) {
  syncRows($('clients-table').tBodies[0], clients, (c) => c.id, (c) => {
    const where = c.name && !c.url?.endsWith(`/${c.name}`) ? `${c.url} (${c.name})` : (c.url ?? '');
    return [
      { text: c.id, className: 'mono' },
      cell(c.type, (td) => td.append(badge(c.type ?? '?', c.publish ? 'pub' : 'play'))),
      { text: c.ip ?? '', className: 'mono' },
      { text: where, className: 'mono' },
      { text: fmt.duration(c.alive), className: 'num' },
      { text: fmt.kbps(c.kbps?.recv_30s), className: 'num' },
      { text: fmt.kbps(c.kbps?.send_30s), className: 'num' },
      cell(c.id, (td) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'danger';
        b.textContent = 'Kick';
        b.setAttribute('aria-label', `Kick client ${c.id} (${c.type ?? ''} ${c.url ?? ''})`);
        b.addEventListener('click', () => kick(c.id, b));
        td.append(b);
      }),
    ];
  }, 'No clients.');
}

async function kick(id, button) {
  button.disabled = true;
  button.textContent = 'Kicking…';
  try {
    await api.delete(`/api/v1/clients/${encodeURIComponent(id)}`);
    notice(`Kicked client ${id}.`);
    refreshNow();
  } catch (e) {
    button.disabled = false;
    button.textContent = 'Kick';
    showError(`Cannot kick client ${id}: ${e.message}`);
  }
}

function badge(label, kind) {
  const span = document.createElement('span');
  span.className = `badge ${kind}`;
  span.textContent = label;
  return span;
}

function link(label, href, ariaLabel) {
  const a = document.createElement('a');
  a.className = 'button small';
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener';
  a.textContent = label;
  a.setAttribute('aria-label', ariaLabel);
  return a;
}

/** A cell rebuilt only when its signature changes (keeps buttons, and their focus, across updates). */
function cell(sig, build) {
  return { sig: String(sig), build };
}

/**
 * Update a table body in place, keyed by id: rows are reused and only changed cells touched, so a
 * refresh neither flickers nor steals the focus from a button.
 */
function syncRows(tbody, items, key, cellsOf, emptyText) {
  const old = new Map();
  for (const tr of [...tbody.rows]) {
    if (tr.dataset.key) old.set(tr.dataset.key, tr);
    else tr.remove();
  }
  let prev = null;
  for (const item of items) {
    const k = key(item);
    const cells = cellsOf(item);
    let tr = old.get(k);
    old.delete(k);
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.key = k;
      for (let i = 0; i < cells.length; i++) tr.insertCell();
    }
    cells.forEach((c, i) => fill(tr.cells[i], c));
    const want = prev ? prev.nextSibling : tbody.firstChild;
    if (want !== tr) tbody.insertBefore(tr, want);
    prev = tr;
  }
  for (const tr of old.values()) tr.remove();
  if (!items.length) {
    const tr = tbody.insertRow();
    tr.className = 'empty';
    const td = tr.insertCell();
    td.colSpan = tbody.parentElement.tHead.rows[0].cells.length;
    td.textContent = emptyText;
  }
}

function fill(td, c) {
  if (typeof c === 'string') c = { text: c };
  if ('build' in c) {
    if (td.dataset.sig !== c.sig) {
      td.replaceChildren();
      c.build(td);
      td.dataset.sig = c.sig;
    }
    return;
  }
  if (td.textContent !== c.text) td.textContent = c.text;
  if (c.className && td.className !== c.className) td.className = c.className;
}

/** SRS console links name a view in the hash (#/streams?port=1985): scroll to that section. */
function scrollToRoute() {
  const m = /^#\/([a-z]+)/.exec(location.hash);
  const el = m && $(m[1]);
  if (el && m[1] !== 'summaries') el.scrollIntoView();
}

$('api-form').addEventListener('submit', (e) => {
  e.preventDefault();
  apiHost = $('api-server').value.trim() || apiHost;
  apiPort = $('api-port').value.trim() || apiPort;
  const q = new URLSearchParams(location.search);
  q.set('server', apiHost);
  q.set('port', apiPort);
  // Drop the hash too: its query (SRS-style links) would override these on a reload.
  history.replaceState(null, '', `${location.pathname}?${q}`);
  notice('');
  connect();
});
$('pause').addEventListener('click', (e) => {
  paused = !paused;
  e.currentTarget.setAttribute('aria-pressed', String(paused));
  e.currentTarget.textContent = paused ? 'Resume updates' : 'Pause updates';
  if (paused) clearTimeout(timer);
  else refreshNow();
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && !paused) refreshNow();
});

/**
 * Without ?port=, the API is on port 1985 of the page's host, unless this page is itself served by the
 * API port (SRS serves /console/ there too): then the page's own origin answers /api/v1/summaries
 * (which, unlike /api/v1/versions, the HTTP server port does not have).
 */
async function detectApi() {
  if (!fromWeb || params.get('port') || (params.get('server') ?? location.hostname) !== location.hostname) return;
  try {
    const res = await fetch('/api/v1/summaries', { cache: 'no-store' });
    const body = res.ok ? await res.json() : null;
    if (body && body.code === 0 && body.data) {
      apiHost = location.hostname;
      apiPort = pagePort;
    }
  } catch {
    // Not an API port (no such route, or not JSON): keep the default.
  }
}

detectApi().then(connect);
