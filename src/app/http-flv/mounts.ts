// http_remux mount templates (`[vhost]/[app]/[stream].flv`) turned into request matchers, as SRS mounts them:
// `[vhost]` replaced by the vhost name, `__defaultVhost__/` collapsing to `/`, and a mount that does not
// start with `/` after that bound to requests whose Host is the vhost (urls-and-ports.md §3).

export type RemuxFormat = 'flv' | 'ts' | 'aac' | 'mp3';

export interface Mount {
  vhost: string;
  format: RemuxFormat;
  /** Host the mount is bound to, or null for any host. */
  host: string | null;
  private: { re: RegExp; names: ('app' | 'stream')[] };
}

export interface MountMatch {
  vhost: string;
  format: RemuxFormat;
  app: string;
  stream: string;
}

const FORMATS: Record<string, RemuxFormat> = { '.flv': 'flv', '.ts': 'ts', '.aac': 'aac', '.mp3': 'mp3' };

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Build a mount for a vhost, or null when the template's extension is not a live format. */
export function compileMount(vhost: string, template: string): Mount | null {
  const ext = template.slice(template.lastIndexOf('.'));
  const format = FORMATS[ext];
  if (!format) return null;
  let path = template.replace(/\[vhost\]/g, vhost);
  if (path.startsWith('__defaultVhost__/')) path = path.slice('__defaultVhost__'.length);
  let host: string | null = null;
  if (!path.startsWith('/')) {
    const slash = path.indexOf('/');
    host = slash < 0 ? path : path.slice(0, slash);
    path = slash < 0 ? '/' : path.slice(slash);
  }
  const names: ('app' | 'stream')[] = [];
  // Variables match one path segment each, so the request must have as many `/` as the template.
  const re = escapeRe(path).replace(/\\\[(app|stream)\\\]/g, (_m, name: 'app' | 'stream') => {
    names.push(name);
    return '([^/]+)';
  });
  return { vhost, format, host, private: { re: new RegExp(`^${re}$`), names } };
}

/** Match a request (path without query, Host header's hostname) against mounts; host-bound mounts win. */
export function matchMount(mounts: readonly Mount[], path: string, hostname: string): MountMatch | null {
  let fallback: MountMatch | null = null;
  for (const m of mounts) {
    if (m.host !== null && m.host !== hostname) continue;
    const hit = m.private.re.exec(path);
    if (!hit) continue;
    const vars: Record<string, string> = { app: '', stream: '' };
    m.private.names.forEach((n, i) => (vars[n] = safeDecode(hit[i + 1]!)));
    const match = { vhost: m.vhost, format: m.format, app: vars.app!, stream: vars.stream! };
    if (m.host !== null) return match;
    fallback ??= match;
  }
  return fallback;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
