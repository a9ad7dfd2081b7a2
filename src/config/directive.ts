// The config tree: one node per directive, nginx style. A node remembers where it was written so every
// later error (syntax, unknown name, failed check) can point at file:line:column.

export interface ConfDirective {
  name: string;
  args: string[];
  children: ConfDirective[];
  /** The file the directive was read from (the include path as written, for included files). */
  file: string;
  /** 1-based; 0 for the synthetic root and for directives made up from the environment. */
  line: number;
  column: number;
}

/** A directive node; `at` gives its source position (copied from another node when synthesized). */
export function makeDirective(
  name: string,
  args: string[] = [],
  at: Pick<ConfDirective, 'file' | 'line' | 'column'> = { file: '', line: 0, column: 0 },
): ConfDirective {
  return { name, args, children: [], file: at.file, line: at.line, column: at.column };
}

/** The first child named `name` (SRS semantics: later duplicates of single-valued directives are ignored). */
export function getChild(dir: ConfDirective | undefined, name: string, arg0?: string): ConfDirective | undefined {
  if (!dir) return undefined;
  for (const c of dir.children) {
    if (c.name === name && (arg0 === undefined || (c.args[0] ?? '') === arg0)) return c;
  }
  return undefined;
}

/** Every child named `name`, in order (for repeatable directives: vhost, ingest, engine, allow/deny...). */
export function getChildren(dir: ConfDirective | undefined, name: string): ConfDirective[] {
  return dir ? dir.children.filter((c) => c.name === name) : [];
}

/** First argument or '' (SRS `arg0()`). */
export function arg0(dir: ConfDirective | undefined): string {
  return dir?.args[0] ?? '';
}

/** The first child named `name`, appended (positioned like `at`) when missing. */
export function getOrCreate(
  dir: ConfDirective,
  name: string,
  at: Pick<ConfDirective, 'file' | 'line' | 'column'>,
  args?: string[],
): ConfDirective {
  const found = getChild(dir, name);
  if (found) return found;
  const made = makeDirective(name, args ? [...args] : [], at);
  dir.children.push(made);
  return made;
}

/** `file:line:column` of a directive, or just the file for synthetic nodes. */
export function where(dir: Pick<ConfDirective, 'file' | 'line' | 'column'>): string {
  if (dir.line <= 0) return dir.file || '<env>';
  return `${dir.file}:${dir.line}:${dir.column}`;
}

/** Deep copy (the transform and env-only mode mutate trees; callers keep the original untouched). */
export function cloneDirective(dir: ConfDirective): ConfDirective {
  return { ...dir, args: [...dir.args], children: dir.children.map(cloneDirective) };
}

/** Serialize a tree back to config syntax (args that need it are quoted). Used by raw API and tests. */
export function formatDirective(dir: ConfDirective, indent = ''): string {
  const quote = (s: string): string => {
    if (s !== '' && !/[\s;{}#"']/.test(s)) return s;
    return s.includes("'") ? `"${s}"` : `'${s}'`;
  };
  let out = '';
  for (const c of dir.children) {
    const head = [c.name, ...c.args.map(quote)].join(' ');
    if (c.children.length === 0) {
      out += `${indent}${head};\n`;
    } else {
      out += `${indent}${head} {\n${formatDirective(c, indent + '    ')}${indent}}\n`;
    }
  }
  return out;
}
