/**
 * HCL configuration (`cdktf synth --hcl` output, or the files of a team that left CDK) read into
 * the form cdk.tf.json has, as far as the library reads a configuration: resource blocks with
 * their attributes and nested blocks (a provisioner as `provisioner: [{"local-exec": {...}}]`),
 * and locals. Literal values become JSON values; a quoted string stays Terraform template text,
 * as a cdk.tf.json string is; any other expression becomes `${expression}` text. The expressions
 * specs are rendered as are evaluated when their values are literal: `jsonencode(<literal>)`,
 * `replace(...)` of one, a quoted string (bare or inside `"${...}"`).
 */

/** A parsed file: resource blocks by type and name (attributes only), and locals. */
export interface HclConfiguration {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly locals: Record<string, unknown>;
}

/** A syntax error, with its 1-based line. */
export class HclError extends Error {
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`);
  }
}

/** Not a literal: the expression's source text. */
class Expression {
  constructor(readonly text: string) {}
}

const IDENT = /[\p{ID_Start}_][\p{ID_Continue}-]*/uy;
const NUMBER = /-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEREDOC = /<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/y;
const ESCAPES: Record<string, string> = { 'n': '\n', 'r': '\r', 't': '\t', '"': '"', '\\': '\\' };

export function parseHcl(text: string): HclConfiguration {
  const resource: Record<string, Record<string, Record<string, unknown>>> = {};
  const locals: Record<string, unknown> = {};
  const top = new Parser(text).body(true);
  for (const block of top.blocks) {
    if (block.type === 'resource' && block.labels.length === 2) {
      const [type, name] = block.labels;
      (resource[type] ??= {})[name] = block.attributes;
    } else if (block.type === 'locals') {
      Object.assign(locals, block.attributes);
    }
  }
  return { resource, locals };
}

interface Block {
  readonly type: string;
  readonly labels: string[];
  readonly attributes: Record<string, unknown>;
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  /** Attributes and blocks until `}` (or the end of the file, at top level). */
  body(top: boolean): { attributes: Record<string, unknown>; blocks: Block[] } {
    const attributes: Record<string, unknown> = {};
    const blocks: Block[] = [];
    for (;;) {
      this.space(true);
      if (this.i >= this.s.length) {
        if (!top) this.fail('a block has no closing "}"');
        break;
      }
      if (this.s[this.i] === '}') {
        if (top) this.fail('unexpected "}"');
        break;
      }
      const name = this.ident();
      this.space(false);
      if (this.s[this.i] === '=' && this.s[this.i + 1] !== '=') {
        this.i++;
        attributes[name] = this.json(this.value());
        this.endOfItem();
        continue;
      }
      const labels: string[] = [];
      while (this.s[this.i] !== '{') {
        if (this.s[this.i] === '"') {
          const label = this.quoted();
          if (label.interpolated) this.fail('a block label cannot hold an expression');
          labels.push(label.text);
        } else {
          labels.push(this.ident());
        }
        this.space(false);
      }
      this.i++;
      const inner = this.body(false);
      this.i++; // the closing brace
      blocks.push({ type: name, labels, attributes: inner.attributes });
      // Inside a block, as cdk.tf.json writes them: a list per block type, a labelled one keyed by its label.
      if (!top) ((attributes[name] ??= []) as unknown[]).push(labels.length ? { [labels.join('.')]: inner.attributes } : inner.attributes);
      this.endOfItem();
    }
    return { attributes, blocks };
  }

  /** A value: a literal (object, tuple, string, number, bool, null) or an expression. */
  private value(): unknown {
    this.space(false);
    const start = this.i;
    const literal = this.literal();
    const after = this.i;
    this.space(false);
    if (literal !== undefined && this.atTerminator()) {
      this.i = after;
      return literal;
    }
    // An operator, a call, an index: the whole extent is an expression (evaluated if it is one of ours).
    this.i = start;
    this.skipExpression();
    const text = this.s.slice(start, this.i).trim();
    let value: string | undefined;
    try {
      value = stringValue(text);
    } catch {
      // Not one of those forms.
    }
    return value ?? new Expression(text);
  }

  private literal(): unknown {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.tuple();
    if (c === '"') return this.evaluate(this.quoted());
    if (c === '<' && this.s[this.i + 1] === '<') return this.heredoc();
    NUMBER.lastIndex = this.i;
    const number = NUMBER.exec(this.s);
    if (number) {
      this.i += number[0].length;
      return Number(number[0]);
    }
    IDENT.lastIndex = this.i;
    const word = IDENT.exec(this.s)?.[0];
    const keywords: Record<string, unknown> = { true: true, false: false, null: null };
    if (word !== undefined && word in keywords && !/[.[(]/.test(this.s[this.i + word.length] ?? '')) {
      this.i += word.length;
      return keywords[word];
    }
    return undefined;
  }

  private object(): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    const literal = this.items('}', () => {
      let key: string;
      if (this.s[this.i] === '"') {
        key = this.quoted().text; // a template key (a for_each key Terraform evaluates) as cdk.tf.json writes it
      } else {
        IDENT.lastIndex = this.i;
        const m = IDENT.exec(this.s);
        if (!m) return false; // a computed key: an expression
        key = m[0];
        this.i += key.length;
      }
      this.space(false);
      if (this.s[this.i] !== '=' && this.s[this.i] !== ':') return false;
      this.i++;
      out[key] = this.json(this.value());
      return true;
    });
    return literal ? out : undefined;
  }

  private tuple(): unknown[] | undefined {
    const out: unknown[] = [];
    const literal = this.items(']', () => {
      if (this.s.startsWith('for', this.i) && /\s/.test(this.s[this.i + 3] ?? '')) return false; // a for expression
      out.push(this.json(this.value()));
      return true;
    });
    return literal ? out : undefined;
  }

  /** From an opening bracket to `close`: items separated by commas or line breaks; false as soon as `item` finds one that is not literal. */
  private items(close: string, item: () => boolean): boolean {
    this.i++;
    for (;;) {
      this.space(true);
      if (this.s[this.i] === ',') {
        this.i++;
      } else if (this.s[this.i] === close) {
        this.i++;
        return true;
      } else if (!item()) {
        return false;
      }
    }
  }

  /** A quoted template: its text with escapes decoded except `$${` and `%%{` (cdk.tf.json's form), interpolations verbatim. */
  private quoted(): { text: string; interpolated: boolean } {
    const start = this.i++;
    let text = '';
    let interpolated = false;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || c === '\n') throw new HclError('a quoted string has no closing quote', this.line(start));
      if (c === '"') {
        this.i++;
        return { text, interpolated };
      }
      if (c === '\\') {
        const e = this.s[this.i + 1];
        if (e === 'u' || e === 'U') {
          const digits = this.s.slice(this.i + 2, this.i + (e === 'u' ? 6 : 10));
          if (!/^[0-9A-Fa-f]+$/.test(digits)) this.fail(`bad escape \\${e}${digits}`);
          text += String.fromCodePoint(parseInt(digits, 16));
          this.i += 2 + digits.length;
        } else if (e in ESCAPES) {
          text += ESCAPES[e];
          this.i += 2;
        } else {
          this.fail(`bad escape \\${e}`);
        }
      } else if ((c === '$' || c === '%') && this.s[this.i + 1] === c && this.s[this.i + 2] === '{') {
        text += `${c}${c}{`;
        this.i += 3;
      } else if ((c === '$' || c === '%') && this.s[this.i + 1] === '{') {
        const from = this.i;
        this.i += 2;
        this.skipExpression(true);
        if (this.s[this.i] !== '}') this.fail(`"${c}{" without its closing "}"`);
        this.i++;
        text += this.s.slice(from, this.i);
        interpolated = true;
      } else {
        text += c;
        this.i++;
      }
    }
  }

  private heredoc(): string {
    HEREDOC.lastIndex = this.i;
    const m = HEREDOC.exec(this.s);
    if (!m) this.fail('a heredoc needs a marker and a line break after "<<"');
    this.i += m![0].length;
    const lines: string[] = [];
    for (;;) {
      if (this.i >= this.s.length) this.fail(`heredoc without its closing ${m![2]}`);
      let end = this.s.indexOf('\n', this.i);
      if (end < 0) end = this.s.length;
      const line = this.s.slice(this.i, end).replace(/\r$/, '');
      this.i = end;
      if (line.trim() === m![2]) break;
      lines.push(line);
      this.i++;
    }
    if (m![1]) {
      const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length));
      return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n') + '\n';
    }
    return lines.join('\n') + '\n';
  }

  /**
   * A quoted template's value: its text, or the value of its one interpolation when that is one
   * of the forms the library renders: `jsonencode(<literal>)` (JSON text, keys sorted), a quoted
   * string, or `replace(<one of these>, "<text>", "<text>")`.
   */
  private evaluate(q: { text: string; interpolated: boolean }): string {
    const m = /^\$\{([\s\S]*)\}$/.exec(q.text);
    let value: string | undefined;
    try {
      value = m ? stringValue(m[1]) : undefined;
    } catch {
      // Not one of those forms: left as the template it is.
    }
    return value ?? q.text;
  }

  /** The expressions of a call's arguments, from just after its `(` to its `)` (which must end the text). */
  args(): string[] | undefined {
    const out: string[] = [];
    for (;;) {
      this.space(true);
      const from = this.i;
      this.skipExpression();
      out.push(this.s.slice(from, this.i).trim());
      const c = this.s[this.i++];
      if (c === ')') return this.i === this.s.length ? out : undefined;
      if (c !== ',') return undefined;
    }
  }

  /** The text as one literal value, or undefined if it is anything else. */
  whole(): unknown {
    this.space(true);
    const value = this.literal();
    this.space(true);
    return this.i === this.s.length ? value : undefined;
  }

  /** Moves past an expression: to a newline, `,` or unmatched closer at depth 0 (or the `}` ending an interpolation). */
  private skipExpression(inTemplate = false): void {
    let depth = 0;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '"') {
        this.quoted();
        continue;
      }
      if (c === '<' && this.s[this.i + 1] === '<' && /[-A-Za-z_]/.test(this.s[this.i + 2] ?? '')) {
        this.heredoc();
        continue;
      }
      if (c === '#' || (c === '/' && (this.s[this.i + 1] === '/' || this.s[this.i + 1] === '*'))) {
        if (depth === 0 && !inTemplate) return;
        this.space(true);
        continue;
      }
      if (c === '(' || c === '[' || c === '{') {
        depth++;
      } else if (c === ')' || c === ']' || c === '}') {
        if (depth === 0) return;
        depth--;
      } else if (depth === 0 && !inTemplate && (c === '\n' || c === ',')) {
        return;
      }
      this.i++;
    }
  }

  private atTerminator(): boolean {
    const c = this.s[this.i];
    return c === undefined || c === '\n' || c === ',' || c === '}' || c === ']' || c === ')' || c === '#' ||
      (c === '/' && (this.s[this.i + 1] === '/' || this.s[this.i + 1] === '*'));
  }

  /** After an attribute or block: only a comment may follow on its line. */
  private endOfItem(): void {
    this.space(false);
    const c = this.s[this.i];
    if (c !== undefined && c !== '\n' && c !== '}') this.fail(`unexpected "${c}" after an attribute or block`);
  }

  /** Skips blanks and comments (and line breaks, when `lines`). */
  private space(lines: boolean): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\r' || (lines && c === '\n')) {
        this.i++;
      } else if (c === '#' || (c === '/' && this.s[this.i + 1] === '/')) {
        while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      } else if (c === '/' && this.s[this.i + 1] === '*') {
        const end = this.s.indexOf('*/', this.i + 2);
        if (end < 0) this.fail('a /* comment has no closing */');
        this.i = end + 2;
      } else {
        return;
      }
    }
  }

  private ident(): string {
    IDENT.lastIndex = this.i;
    const m = IDENT.exec(this.s);
    if (!m) this.fail(`expected a name, found "${this.s.slice(this.i, this.i + 20).split('\n')[0]}"`);
    this.i += m![0].length;
    return m![0];
  }

  /** An expression as cdk.tf.json writes it: `${...}` text. */
  private json(value: unknown): unknown {
    return value instanceof Expression ? `\${${value.text}}` : value;
  }

  private line(at = this.i): number {
    return this.s.slice(0, at).split('\n').length;
  }

  private fail(message: string): never {
    throw new HclError(message, this.line());
  }
}

/**
 * For a spec Terraform evaluates (`jsonencode({...})` with references, possibly inside `replace`
 * calls, bare or as `${...}`): its literal values, references as null, as JSON text (what a
 * cdktf spec's `known` holds). Undefined for anything else.
 */
export function knownValues(text: string): string | undefined {
  let expression = /^\$\{([\s\S]*)\}$/.exec(text)?.[1] ?? text;
  try {
    for (;;) {
      const call = /^\s*(jsonencode|replace)\(/.exec(expression);
      const args = call ? new Parser(expression.trim().slice(call[0].trim().length)).args() : undefined;
      if (!call || !args) return undefined;
      if (call[1] === 'replace') {
        expression = args[0];
        continue;
      }
      if (args.length !== 1) return undefined;
      const value = new Parser(args[0]).whole();
      return value === undefined ? undefined : JSON.stringify(sortKeys(literalOnly(value)));
    }
  } catch {
    return undefined;
  }
}

/** `value` with every string that holds a template (an expression's `${...}` text) replaced by null. */
function literalOnly(value: unknown): unknown {
  if (typeof value === 'string') return isPlain(value) ? value : null;
  if (Array.isArray(value)) return value.map(literalOnly);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literalOnly(v)]));
  return value;
}

/** The string `expression` evaluates to, if it is one of the forms `evaluate` reads. */
function stringValue(expression: string): string | undefined {
  const text = expression.trim();
  if (text.startsWith('"')) {
    const value = new Parser(text).whole();
    return typeof value === 'string' && !/[$%]\{/.test(value) ? value : undefined;
  }
  const call = /^(jsonencode|replace)\(/.exec(text);
  const args = call ? new Parser(text.slice(call[0].length)).args() : undefined;
  if (!call || !args) return undefined;
  if (call[1] === 'jsonencode' && args.length === 1) {
    const value = new Parser(args[0]).whole();
    return value !== undefined && isPlain(value) ? JSON.stringify(sortKeys(value)) : undefined;
  }
  if (call[1] === 'replace' && args.length === 3) {
    const [subject, search, replacement] = args.map(stringValue);
    // A search string in slashes is a regular expression in Terraform: not read here.
    if (subject === undefined || search === undefined || replacement === undefined || /^\/.*\/$/.test(search)) return undefined;
    return subject.split(search).join(replacement);
  }
  return undefined;
}

/** No template text anywhere: a value Terraform would not change. */
function isPlain(value: unknown): boolean {
  if (typeof value === 'string') return !/[$%]\{/.test(value);
  if (Array.isArray(value)) return value.every(isPlain);
  if (value && typeof value === 'object') return Object.values(value).every(isPlain);
  return true;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  return value;
}
