// SRS config syntax → directive tree. Follows SRS's nginx-derived tokenizer (srs_app_config.cpp
// `read_token`, itself from nginx `ngx_conf_read_token`): tokens split on whitespace, `;` and `{`;
// `#` starts a comment only where a token could start; quotes ('…' or "…") have no escapes and must be
// followed by whitespace, `;` or `{`; `}` must stand alone. `include` splices other files in place.
// Pure: the only I/O is the injected `readFile`.

import { normalize } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { type ConfDirective, makeDirective } from './directive.js';

export type ReadFile = (path: string) => string;

/** Nested includes deeper than this are refused (a cycle spelled with different paths ends here). */
const MAX_INCLUDE_DEPTH = 32;

interface Token {
  text: string;
  line: number;
  column: number;
}

type StatementEnd = 'semicolon' | 'open' | 'close' | 'eof';

interface Statement {
  tokens: Token[];
  end: StatementEnd;
  /** Position of the terminator (or of EOF). */
  line: number;
  column: number;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

class Lexer {
  private pos = 0;
  private line = 1;
  private column = 1;

  constructor(
    private readonly text: string,
    readonly file: string,
  ) {
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1; // UTF-8 BOM written by some editors
  }

  private advance(): string {
    const ch = this.text[this.pos++]!;
    if (ch === '\n') {
      this.line++;
      this.column = 1;
    } else {
      this.column++;
    }
    return ch;
  }

  private fail(line: number, column: number, message: string): never {
    throw new ConfigError(`${this.file}:${line}:${column}: ${message}`);
  }

  /** Reads one statement: the tokens of a directive and what ended it. */
  next(): Statement {
    const tokens: Token[] = [];
    const named = (): string => (tokens.length > 0 ? ` in directive "${tokens[0]!.text}"` : '');
    for (;;) {
      if (this.pos >= this.text.length) {
        if (tokens.length > 0) {
          this.fail(this.line, this.column, `unexpected end of file, expecting ";" or "{"${named()}`);
        }
        return { tokens, end: 'eof', line: this.line, column: this.column };
      }
      const ch = this.text[this.pos]!;
      const line = this.line;
      const column = this.column;
      if (isSpace(ch)) {
        this.advance();
        continue;
      }
      if (ch === '#') {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.advance();
        continue;
      }
      if (ch === ';' || ch === '{') {
        if (tokens.length === 0) this.fail(line, column, `unexpected '${ch}' (no directive name before it)`);
        this.advance();
        return { tokens, end: ch === ';' ? 'semicolon' : 'open', line, column };
      }
      if (ch === '}') {
        if (tokens.length > 0) this.fail(line, column, `unexpected '}'${named()} (missing ";"?)`);
        this.advance();
        return { tokens, end: 'close', line, column };
      }
      if (ch === '"' || ch === "'") {
        this.advance();
        const start = this.pos;
        while (this.pos < this.text.length && this.text[this.pos] !== ch) this.advance();
        if (this.pos >= this.text.length) {
          this.fail(line, column, `unexpected end of file in string opened by ${ch}${named()}`);
        }
        const text = this.text.slice(start, this.pos);
        this.advance(); // closing quote
        if (this.pos < this.text.length) {
          const after = this.text[this.pos]!;
          if (!isSpace(after) && after !== ';' && after !== '{') {
            this.fail(this.line, this.column, `unexpected '${after}' after quoted string${named()}`);
          }
        }
        // SRS drops empty words, so `""` yields no argument at all (arg0 then reads as empty).
        if (text !== '') tokens.push({ text, line, column });
        continue;
      }
      const start = this.pos;
      while (this.pos < this.text.length) {
        const c = this.text[this.pos]!;
        if (isSpace(c) || c === ';' || c === '{') break;
        this.advance();
      }
      tokens.push({ text: this.text.slice(start, this.pos), line, column });
    }
  }
}

interface ParseContext {
  readFile: ReadFile | undefined;
  /** Normalized paths of the files being parsed, outermost first (for cycle detection). */
  stack: string[];
}

function parseInto(lexer: Lexer, parent: ConfDirective, opener: ConfDirective | undefined, ctx: ParseContext): void {
  for (;;) {
    const st = lexer.next();
    if (st.end === 'close') {
      if (opener) return;
      throw new ConfigError(`${lexer.file}:${st.line}:${st.column}: unexpected "}" (no block to close)`);
    }
    if (st.end === 'eof') {
      if (!opener) return;
      const head = [opener.name, ...opener.args].join(' ');
      throw new ConfigError(
        `${lexer.file}:${st.line}:${st.column}: unexpected end of file, expecting "}" to close "${head}" ` +
          `opened at ${opener.file}:${opener.line}:${opener.column}`,
      );
    }
    const [nameTok, ...argToks] = st.tokens;
    const name = nameTok!.text;
    if (name === 'include') {
      if (st.end === 'open') {
        throw new ConfigError(`${lexer.file}:${nameTok!.line}:${nameTok!.column}: directive "include" takes no block`);
      }
      if (argToks.length === 0) {
        throw new ConfigError(`${lexer.file}:${nameTok!.line}:${nameTok!.column}: include is empty directive`);
      }
      for (const tok of argToks) includeFile(tok, lexer.file, parent, ctx);
      continue;
    }
    const dir: ConfDirective = {
      name,
      args: argToks.map((t) => t.text),
      children: [],
      file: lexer.file,
      line: nameTok!.line,
      column: nameTok!.column,
    };
    parent.children.push(dir);
    if (st.end === 'open') parseInto(lexer, dir, dir, ctx);
  }
}

function includeFile(tok: Token, fromFile: string, parent: ConfDirective, ctx: ParseContext): void {
  const at = `${fromFile}:${tok.line}:${tok.column}`;
  const path = tok.text;
  if (!ctx.readFile) {
    throw new ConfigError(`${at}: include "${path}": including files is not available here`);
  }
  const key = normalize(path);
  if (ctx.stack.includes(key)) {
    throw new ConfigError(`${at}: include "${path}" is a cycle (${[...ctx.stack, key].join(' -> ')})`);
  }
  if (ctx.stack.length > MAX_INCLUDE_DEPTH) {
    throw new ConfigError(`${at}: include "${path}" nested deeper than ${MAX_INCLUDE_DEPTH} files`);
  }
  let text: string;
  try {
    text = ctx.readFile(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`${at}: include "${path}": cannot read file: ${why}`, { cause: err });
  }
  ctx.stack.push(key);
  try {
    // An included file is parsed as a file: its braces must balance on their own.
    parseInto(new Lexer(text, path), parent, undefined, ctx);
  } finally {
    ctx.stack.pop();
  }
}

/**
 * Parses config text into a tree whose root (name '') holds the top-level directives.
 * `include` paths are passed to `readFile` as written: SRS opens them relative to the process cwd.
 * Throws ConfigError naming file:line:column.
 */
export function parseConfTree(text: string, file: string, readFile?: ReadFile): ConfDirective {
  const root = makeDirective('', [], { file, line: 0, column: 0 });
  parseInto(new Lexer(text, file), root, undefined, { readFile, stack: [normalize(file)] });
  return root;
}
