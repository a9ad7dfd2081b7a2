// Formatting of API values for people. Pure functions.

/** 3725 → "1h 2m 5s"; 59.2 → "59s"; 90061 → "1d 1h 1m". */
export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  let s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m ${s}s`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

/** A fraction (0.125, as the API reports CPU and memory use) as a percentage: "12.5%". */
export function percent(fraction) {
  if (!Number.isFinite(fraction)) return '–';
  const p = fraction * 100;
  return `${p < 10 ? p.toFixed(1) : Math.round(p)}%`;
}

/** Bytes as "1.5 MB" (powers of 1000, like network rates). */
export function bytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** kbit/s as the API gives it ("kbps":{"recv_30s":…}). */
export function kbps(n) {
  if (!Number.isFinite(n)) return '–';
  return n >= 10000 ? `${(n / 1000).toFixed(1)} Mbit/s` : `${Math.round(n)} kbit/s`;
}

/** The video object of a stream: "H264 High 3.1". */
export function videoCodec(v) {
  if (!v) return '–';
  return [v.codec, v.profile, v.level].filter((x) => x && x !== 'Other').join(' ') || v.codec || '–';
}

/** The audio object of a stream: "AAC LC 44.1 kHz stereo". */
export function audioCodec(a) {
  if (!a) return '–';
  const rate = a.sample_rate ? `${(a.sample_rate / 1000).toLocaleString('en', { maximumFractionDigits: 2 })} kHz` : '';
  const ch = a.channel === 1 ? 'mono' : a.channel === 2 ? 'stereo' : a.channel ? `${a.channel} ch` : '';
  return [a.codec, a.profile && a.profile !== 'Other' ? a.profile : '', rate, ch].filter(Boolean).join(' ');
}

/** "320×240" or "–". */
export function resolution(v) {
  return v && v.width && v.height ? `${v.width}×${v.height}` : '–';
}
