import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError } from '../../core/errors.js';
import type { SecurityConfig } from '../../config/index.js';
import { checkRefer, checkSecurity, ruleMatches } from './access.js';

const sec = (rules: [string, string, string][], enabled = true): SecurityConfig =>
  ({ enabled, rules: rules.map(([action, method, target]) => ({ action, method, target })) }) as SecurityConfig;
const allowed = (cfg: SecurityConfig, method: 'publish' | 'play', ip: string): boolean | number => {
  try {
    checkSecurity(cfg, method, ip);
    return true;
  } catch (e) {
    assert.ok(e instanceof AuthError);
    return e.code;
  }
};

test('CIDR, exact and all targets; IPv4-mapped peers', () => {
  assert.ok(ruleMatches('10.0.0.0/8', '10.2.3.4'));
  assert.ok(!ruleMatches('10.0.0.0/8', '11.2.3.4'));
  assert.ok(ruleMatches('192.168.1.7', '::ffff:192.168.1.7'));
  assert.ok(ruleMatches('all', '::1'));
  assert.ok(ruleMatches('::1', '0:0:0:0:0:0:0:1'));
  assert.ok(ruleMatches('0.0.0.0/0', '8.8.8.8'));
  assert.ok(!ruleMatches('bad/99', '1.2.3.4'));
});

test('disabled allows everything; enabled with no rules denies', () => {
  assert.equal(allowed(sec([], false), 'play', '1.2.3.4'), true);
  assert.equal(allowed(sec([]), 'play', '1.2.3.4'), 1054);
});

test('deny wins over allow', () => {
  const c = sec([['allow', 'play', 'all'], ['deny', 'play', '127.0.0.1']]);
  assert.equal(allowed(c, 'play', '127.0.0.1'), 1053);
  assert.equal(allowed(c, 'play', '127.0.0.2'), true);
});

test('SRS quirk: "allow play all" alone blocks publishing', () => {
  const c = sec([['allow', 'play', 'all']]);
  assert.equal(allowed(c, 'play', '1.1.1.1'), true);
  assert.equal(allowed(c, 'publish', '1.1.1.1'), 1054);
});

test('only deny rules: non-matching peers are allowed', () => {
  const c = sec([['deny', 'publish', '10.0.0.0/8']]);
  assert.equal(allowed(c, 'publish', '10.1.1.1'), 1053);
  assert.equal(allowed(c, 'publish', '127.0.0.1'), true);
  assert.equal(allowed(c, 'play', '10.1.1.1'), true);
});

test('refer: host suffix match per stage; unset lists allow', () => {
  const cfg = { enabled: true, all: ['example.com'], play: undefined, publish: ['studio.example.com'] };
  checkRefer(cfg, 'all', 'http://www.example.com/page.html');
  checkRefer(cfg, 'play', '');
  assert.throws(() => checkRefer(cfg, 'all', 'http://evil.test/x'), AuthError);
  assert.throws(() => checkRefer(cfg, 'all', ''), AuthError);
  assert.throws(() => checkRefer(cfg, 'publish', 'https://www.example.com:8443/'), AuthError);
  checkRefer(cfg, 'publish', 'https://user@studio.example.com:8443/x');
  checkRefer({ ...cfg, enabled: false }, 'all', 'http://evil.test/');
});
