// IP allow/deny rules (vhost `security`) and the referer check (vhost `refer`), evaluated like SRS 4/5
// (config.md §3.11): pure functions so every rule-order quirk is unit-tested.
import { isIP } from 'node:net';
import { AuthError, ErrorCode } from '../../core/errors.js';
import type { ReferConfig, SecurityConfig } from '../../config/index.js';

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

/** Does `target` (`all`, an IP or an IPv4 CIDR) cover `ip`? IPv4-mapped IPv6 peers match IPv4 rules. */
export function ruleMatches(target: string, ip: string): boolean {
  if (target === 'all') return true;
  const peer = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  const slash = target.indexOf('/');
  if (slash < 0) return target === peer || (isIP(target) === 6 && isIP(peer) === 6 && expand6(target) === expand6(peer));
  const base = ipv4ToInt(target.slice(0, slash));
  const bits = Number(target.slice(slash + 1));
  const addr = ipv4ToInt(peer);
  if (base === null || addr === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
  return ((base & mask) >>> 0) === ((addr & mask) >>> 0);
}

function expand6(ip: string): string {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => x.padStart(4, '0').toLowerCase()).join(':');
}

/**
 * SRS's order: disabled → allow; any matching deny → 1053; then, if there are any allow rules (of either
 * method) and none matches this method and ip → 1054; no rules at all → 1054; only non-matching deny
 * rules → allow.
 */
export function checkSecurity(cfg: SecurityConfig, method: 'publish' | 'play', ip: string): void {
  if (!cfg.enabled) return;
  const rules = cfg.rules;
  for (const r of rules) {
    if (r.action === 'deny' && r.method === method && ruleMatches(r.target, ip)) {
      throw new AuthError(ErrorCode.SystemSecurityDeny, `security: ${method} denied for ${ip} by rule "deny ${method} ${r.target}"`);
    }
  }
  const allows = rules.filter((r) => r.action === 'allow');
  if (allows.length === 0 && rules.length > 0) return;
  if (allows.some((r) => r.method === method && ruleMatches(r.target, ip))) return;
  throw new AuthError(ErrorCode.SystemSecurityAllow, `security: ${method} not allowed for ${ip}: no allow rule matches`);
}

/** Host of a page URL (`http://a.com:80/x` → `a.com`); '' when it has none. */
function pageHost(pageUrl: string): string {
  const m = pageUrl.match(/^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i);
  const authority = m ? m[1]! : '';
  const at = authority.lastIndexOf('@');
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  return hostPort.replace(/^\[([^\]]+)\].*$/, '$1').replace(/:\d+$/, '').toLowerCase();
}

/**
 * Referer check: with `refer` enabled, the page URL's host must end with one of the listed domains.
 * `stage` picks `all` (checked at connect), `play` or `publish`; an unset list allows everything.
 */
export function checkRefer(cfg: ReferConfig, stage: 'all' | 'play' | 'publish', pageUrl: string): void {
  if (!cfg.enabled) return;
  const list = cfg[stage];
  if (!list || list.length === 0) return;
  const host = pageHost(pageUrl);
  if (host && list.some((d) => host.endsWith(d.toLowerCase()))) return;
  throw new AuthError(ErrorCode.RtmpAccessDenied, `refer: page url "${pageUrl}" is not allowed for ${stage} (allowed: ${list.join(' ')})`);
}
