import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../core/errors.js';
import { type ConfDirective, formatDirective } from './directive.js';
import { parseConfTree } from './parser.js';

/** name + args of every directive, nested, for compact assertions. */
function shape(d: ConfDirective): unknown[] {
  return d.children.map((c) => (c.children.length ? [c.name, ...c.args, shape(c)] : [c.name, ...c.args]));
}

function parseError(text: string, file = 'x.conf', readFile?: (p: string) => string): string {
  try {
    parseConfTree(text, file, readFile);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

test('simple directives, blocks and nested blocks', () => {
  const root = parseConfTree('listen 1935 1936;\nvhost a.com {\n  hls { enabled on; }\n  enabled;\n}\n', 'a.conf');
  assert.deepEqual(shape(root), [['listen', '1935', '1936'], ['vhost', 'a.com', [['hls', [['enabled', 'on']]], ['enabled']]]]);
});

test('positions are 1-based line and column of the directive name', () => {
  const root = parseConfTree('\n  listen 1935;\nvhost v {\n\thls { enabled on; }\n}\n', 'p.conf');
  const listen = root.children[0]!;
  assert.equal(listen.file, 'p.conf');
  assert.equal(listen.line, 2);
  assert.equal(listen.column, 3);
  const hls = root.children[1]!.children[0]!;
  assert.equal(hls.line, 4);
  assert.equal(hls.column, 2);
  assert.equal(hls.children[0]!.line, 4);
  assert.equal(hls.children[0]!.column, 8);
});

test('comments run to end of line, anywhere a token can start', () => {
  const root = parseConfTree('# top\nlisten 1935; # trailing\nvhost v { # open\n  # inside\n  enabled on; }\n', 'c.conf');
  assert.deepEqual(shape(root), [['listen', '1935'], ['vhost', 'v', [['enabled', 'on']]]]);
});

test('# inside a word is part of the word', () => {
  const root = parseConfTree('device_id a#b;', 'c.conf');
  assert.deepEqual(shape(root), [['device_id', 'a#b']]);
});

test('single and double quotes keep spaces, ; and {, with no escapes', () => {
  const root = parseConfTree(`a 'x y;z{'; b "it's" "\\n";\nc "multi\nline";`, 'q.conf');
  assert.deepEqual(shape(root), [['a', 'x y;z{'], ['b', "it's", '\\n'], ['c', 'multi\nline']]);
});

test('quoted value may be followed directly by ; or {', () => {
  const root = parseConfTree(`transcode "live/x"{ enabled on; } k 'v';`, 'q.conf');
  assert.deepEqual(shape(root), [['transcode', 'live/x', [['enabled', 'on']]], ['k', 'v']]);
});

test('empty quoted strings produce no argument (SRS drops empty words)', () => {
  const root = parseConfTree(`hls_entry_prefix ""; a '' b;`, 'q.conf');
  assert.deepEqual(shape(root), [['hls_entry_prefix'], ['a', 'b']]);
});

test('tokens split on ; and { without spaces; CRLF and tabs are whitespace', () => {
  const root = parseConfTree('a 1;b 2;vhost v{c 3;}\r\n\td\t4;\r\n', 'w.conf');
  assert.deepEqual(shape(root), [['a', '1'], ['b', '2'], ['vhost', 'v', [['c', '3']]], ['d', '4']]);
});

test('empty file and comment-only file parse to an empty root', () => {
  assert.equal(parseConfTree('', 'e.conf').children.length, 0);
  assert.equal(parseConfTree('# nothing\n\n', 'e.conf').children.length, 0);
});

test('UTF-8 BOM is ignored', () => {
  assert.deepEqual(shape(parseConfTree('\ufefflisten 1935;', 'b.conf')), [['listen', '1935']]);
});

test('error: stray ; names file:line:column', () => {
  assert.equal(parseError('listen 1935;\n  ;\n'), "x.conf:2:3: unexpected ';' (no directive name before it)");
});

test('error: stray { with no name', () => {
  assert.equal(parseError('{ a; }'), "x.conf:1:1: unexpected '{' (no directive name before it)");
});

test('error: stray } at top level', () => {
  assert.equal(parseError('listen 1935;\n}\n'), 'x.conf:2:1: unexpected "}" (no block to close)');
});

test('error: } right after args names the directive', () => {
  assert.equal(parseError('vhost v {\n  enabled on }\n'), `x.conf:2:14: unexpected '}' in directive "enabled" (missing ";"?)`);
});

test('error: EOF inside a block names the opening directive', () => {
  assert.equal(
    parseError('listen 1935;\nvhost a.com {\n  hls {\n    enabled on;\n  }\n'),
    'x.conf:6:1: unexpected end of file, expecting "}" to close "vhost a.com" opened at x.conf:2:1',
  );
});

test('error: EOF in the middle of a directive', () => {
  assert.equal(parseError('listen 1935'), 'x.conf:1:12: unexpected end of file, expecting ";" or "{" in directive "listen"');
  assert.equal(parseError('listen 1935 # no semicolon'), 'x.conf:1:27: unexpected end of file, expecting ";" or "{" in directive "listen"');
});

test('error: unterminated quote', () => {
  assert.equal(parseError(`a 'open;\n`), `x.conf:1:3: unexpected end of file in string opened by ' in directive "a"`);
});

test('error: junk right after a closing quote', () => {
  assert.equal(parseError(`a 'x'y;`), `x.conf:1:6: unexpected 'y' after quoted string in directive "a"`);
  assert.equal(parseError(`a "x"#c\n;`), `x.conf:1:6: unexpected '#' after quoted string in directive "a"`);
});

test('include splices files in place, at top level and inside blocks', () => {
  const files: Record<string, string> = {
    'conf/inc/vhost.conf': 'vhost b.com {\n  include conf/inc/hls.conf;\n}\n',
    'conf/inc/hls.conf': 'hls { enabled on; }',
    'conf/inc/api.conf': 'http_api { enabled on; }',
  };
  const read = (p: string): string => {
    const t = files[p];
    if (t === undefined) throw new Error(`ENOENT ${p}`);
    return t;
  };
  const root = parseConfTree('listen 1935;\ninclude conf/inc/vhost.conf conf/inc/api.conf;\ndaemon off;\n', 'main.conf', read);
  assert.deepEqual(shape(root), [
    ['listen', '1935'],
    ['vhost', 'b.com', [['hls', [['enabled', 'on']]]]],
    ['http_api', [['enabled', 'on']]],
    ['daemon', 'off'],
  ]);
  const hls = root.children[1]!.children[0]!;
  assert.equal(hls.file, 'conf/inc/hls.conf');
  assert.equal(hls.line, 1);
  assert.equal(root.children[3]!.file, 'main.conf');
});

test('include paths are passed to readFile as written (cwd-relative, like SRS)', () => {
  const seen: string[] = [];
  parseConfTree('include ./conf/a.conf "conf/b c.conf";', 'm.conf', (p) => {
    seen.push(p);
    return '';
  });
  assert.deepEqual(seen, ['./conf/a.conf', 'conf/b c.conf']);
});

test('include errors: empty, block, unreadable, no reader, cycle', () => {
  assert.equal(parseError('include;', 'm.conf', () => ''), 'm.conf:1:1: include is empty directive');
  assert.equal(parseError('include a.conf { }', 'm.conf', () => ''), 'm.conf:1:1: directive "include" takes no block');
  assert.match(
    parseError('\ninclude nope.conf;', 'm.conf', () => {
      throw new Error('ENOENT: no such file');
    }),
    /^m\.conf:2:9: include "nope\.conf": cannot read file: ENOENT: no such file$/,
  );
  assert.match(parseError('include a.conf;', 'm.conf'), /^m\.conf:1:9: include "a\.conf": including files is not available/);
  const files: Record<string, string> = { 'a.conf': 'include ./b.conf;', 'b.conf': 'vhost x { include a.conf; }' };
  assert.equal(
    parseError('include a.conf;', 'm.conf', (p) => files[p.replace(/^\.\//, '')] ?? ''),
    './b.conf:1:19: include "a.conf" is a cycle (m.conf -> a.conf -> b.conf -> a.conf)',
  );
  assert.match(parseError('include m.conf;', 'm.conf', () => 'x 1;'), /is a cycle \(m\.conf -> m\.conf\)/);
});

test('errors inside an included file name that file', () => {
  assert.equal(parseError('vhost v {\ninclude i.conf;\n}', 'm.conf', () => 'hls {\n enabled on;\n'), 'i.conf:3:1: unexpected end of file, expecting "}" to close "hls" opened at i.conf:1:1');
  // An included file must balance its own braces even when included inside a block.
  assert.equal(parseError('vhost v {\ninclude i.conf;\n', 'm.conf', () => '}'), 'i.conf:1:1: unexpected "}" (no block to close)');
});

test('the same file may be included twice when it is not a cycle', () => {
  const root = parseConfTree('include h.conf h.conf;', 'm.conf', () => 'a 1;');
  assert.deepEqual(shape(root), [['a', '1'], ['a', '1']]);
});

test('formatDirective round-trips through the parser', () => {
  const text = `listen 1935;\nvhost v {\n    a 'x y';\n    b "it's";\n    c {\n        d;\n    }\n}\n`;
  const root = parseConfTree(text, 'r.conf');
  const again = parseConfTree(formatDirective(root), 'r2.conf');
  assert.deepEqual(shape(again), shape(root));
});

test('fuzz: random input either parses or throws ConfigError, never anything else', () => {
  const alphabet = ['a', 'b', ' ', '\n', '\t', ';', '{', '}', '#', '"', "'", 'include', 'vhost', '1', '\r'];
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const read = (): string => 'x 1;';
  for (let i = 0; i < 3000; i++) {
    let text = '';
    const len = rand(40);
    for (let j = 0; j < len; j++) text += alphabet[rand(alphabet.length)];
    try {
      parseConfTree(text, 'f.conf', read);
    } catch (err) {
      assert.ok(err instanceof ConfigError, `input ${JSON.stringify(text)} threw ${String(err)}`);
      assert.match(err.message, /^f\.conf:\d+:\d+: /, `message has a position: ${err.message}`);
    }
  }
});
