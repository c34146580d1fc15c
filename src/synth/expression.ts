import { IResolvable, IResolveContext, Lazy, Token, Tokenization } from 'cdktf';

/*
 * Specs whose values Terraform evaluates. A prop may be a cdktf token (another resource's output,
 * a variable, `Fn.*`) or a string holding a `${...}` / `%{...}` template, which Terraform evaluates
 * as it does in any cdktf string. Such a spec cannot be written as JSON text at synth: it becomes
 * a `jsonencode({...})` expression, so Terraform evaluates each value and JSON-escapes the result.
 * cdktf's own Fn.jsonencode is not used: it leaves quotes in literal strings unescaped, escapes
 * `${` in literals but not `%{`, and warns on every call.
 */

/** cdktf's string token marker, e.g. `${TfToken[TOKEN.12]}`. */
const STRING_TOKEN = /\$\{TfToken\[[^\]]*\]\}/g;
const TEMPLATE_START = /[$%]\{/;

/** A string's parts: literal text, and cdktf tokens in order. */
type Part = { readonly text: string } | { readonly token: IResolvable };

function parts(value: string): Part[] {
  const out: Part[] = [];
  let last = 0;
  for (const m of value.matchAll(STRING_TOKEN)) {
    if (m.index! > last) out.push({ text: value.slice(last, m.index) });
    const token = Tokenization.reverseString(m[0]).firstToken;
    out.push(token ? { token } : { text: m[0] });
    last = m.index! + m[0].length;
  }
  if (last < value.length) out.push({ text: value.slice(last) });
  return out;
}

/** `Fn.rawString(text)`: its text, sent verbatim (cdktf's RawString, which it does not export). */
function rawText(token: IResolvable): string | undefined {
  const t = token as unknown as { constructor?: { name?: string }; str?: unknown };
  return t.constructor?.name === 'RawString' && typeof t.str === 'string' ? t.str : undefined;
}

/**
 * Whether `value` (a prop value) is known only to Terraform: a token, or a string with a
 * `${...}`/`%{...}` template (escaped `$${` and `%%{` included: Terraform unescapes them, so
 * the text it hands the runner differs from the text at synth). `Fn.rawString` text counts too.
 */
export function isTerraformValue(value: unknown): boolean {
  // cdktf's string token markers start with `${` too.
  if (typeof value === 'string') return TEMPLATE_START.test(value);
  if (typeof value === 'number') return Token.isUnresolved(value);
  if (Array.isArray(value)) return Token.isUnresolved(value);
  return Tokenization.isResolvable(value); // Token.asAny(...)
}

/** Whether any value anywhere in `value` is known only to Terraform. */
export function holdsTerraformValues(value: unknown): boolean {
  if (isTerraformValue(value)) return true;
  if (Array.isArray(value)) return value.some(holdsTerraformValues);
  if (value && typeof value === 'object') return Object.values(value).some(holdsTerraformValues);
  return false;
}

/** A literal string as Terraform would read it: why it is not a valid template, or undefined. */
export function templateProblem(value: string): string | undefined {
  if (!value.includes('{')) return undefined; // most strings: nothing to parse
  for (const part of parts(value)) {
    if ('text' in part) {
      const problem = sections(part.text).problem;
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * Splits literal text into plain text and `${...}`/`%{...}` template sections, as Terraform reads
 * a string. `$${` and `%%{` are escapes and stay in the text.
 */
function sections(text: string): { sections: Array<{ text: string; template: boolean }>; problem?: string } {
  const out: Array<{ text: string; template: boolean }> = [];
  let plain = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i) || text.startsWith('%%{', i)) {
      plain += text.slice(i, i + 3);
      i += 3;
    } else if (text.startsWith('${', i) || text.startsWith('%{', i)) {
      const end = closingBrace(text, i + 2);
      if (end < 0) {
        return {
          sections: out,
          problem: `has "${text.slice(i, i + 2)}" at character ${i + 1} without its closing "}": Terraform reads \${...} and %{...} as an expression. ` +
            'To send the text as it is, wrap the value in Fn.rawString(...) (or write $${ and %%{)',
        };
      }
      if (plain) out.push({ text: plain, template: false });
      plain = '';
      out.push({ text: text.slice(i, end + 1), template: true });
      i = end + 1;
    } else {
      plain += text[i++];
    }
  }
  if (plain) out.push({ text: plain, template: false });
  return { sections: out };
}

/** Index of the `}` closing an expression that starts at `from`, skipping nested braces and quoted strings; -1 if none. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (c === '"') {
      j = closingQuote(text, j + 1);
      if (j < 0) return -1;
    } else if (c === '{') {
      depth++;
    } else if (c === '}' && --depth === 0) {
      return j;
    }
  }
  return -1;
}

function closingQuote(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') {
      j++;
    } else if (c === '"') {
      return j;
    } else if ((c === '$' || c === '%') && text[j + 1] === '{' && text[j - 1] !== c) {
      j = closingBrace(text, j + 2);
      if (j < 0) return -1;
    }
  }
  return -1;
}

/**
 * `text`, a string Terraform reads as a template (a for_each key may hold `${...}`), as an HCL
 * quoted string inside an expression: its plain text escaped, its templates as they are.
 */
export function quotedTemplate(text: string): string {
  return `"${sections(text).sections.map((s) => (s.template ? s.text : escapeText(s.text))).join('')}"`;
}

/** Plain text inside an HCL quoted string. */
function escapeText(text: string): string {
  return text.replace(/[\\"\u0000-\u001f]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' } as Record<string, string>)[c]
    ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Verbatim text inside an HCL quoted string: templates escaped too. */
function escapeVerbatim(text: string): string {
  return escapeText(text).replace(/([$%])\{/g, (_, c: string) => `${c}${c}{`);
}

/** A token as a bare HCL expression (`var.alias`, `terraform_data.x.output`), not a `${...}` template. */
function bare(context: IResolveContext, token: IResolvable): string {
  const raw = rawText(token);
  if (raw !== undefined) return `"${escapeVerbatim(raw)}"`;
  context.suppressBraces = true;
  const resolved = context.resolve(token);
  return typeof resolved === 'string' ? resolved : hcl(context, resolved);
}

/** The HCL expression for a JSON value whose strings, numbers and lists may be tokens. */
function hcl(context: IResolveContext, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Token.isUnresolved(value) ? bare(context, Tokenization.reverseNumber(value)!) : JSON.stringify(value);
  if (typeof value === 'string') {
    const ps = parts(value);
    if (ps.length === 1 && 'token' in ps[0] && rawText(ps[0].token) === undefined) return bare(context, ps[0].token);
    let out = '';
    for (const p of ps) {
      if ('token' in p) {
        const raw = rawText(p.token);
        out += raw !== undefined ? escapeVerbatim(raw) : `\${${bare(context, p.token)}}`;
      } else {
        for (const s of sections(p.text).sections) out += s.template ? s.text : escapeText(s.text);
      }
    }
    return `"${out}"`;
  }
  if (Tokenization.isResolvable(value)) return bare(context, value);
  if (Array.isArray(value)) {
    if (Token.isUnresolved(value)) return bare(context, Tokenization.reverseList(value)!);
    return `[${value.map((v) => hcl(context, v)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `"${escapeVerbatim(k)}" = ${hcl(context, o[k])}`).join(', ')}}`;
  }
  throw new Error(`cdktf-keyfactor: cannot render ${typeof value} in a spec`);
}

/**
 * `${jsonencode(...)}` of `value`, resolved when the stack synthesizes (tokens resolve in their
 * stack). `asStringify`: Terraform's escapes undone, so the text is JSON.stringify's (canonicalJson's).
 */
export function jsonencodeExpression(value: unknown, asStringify = false): string {
  return Lazy.stringValue({
    produce: (context: IResolveContext) => {
      const json = `jsonencode(${hcl(context, value)})`;
      return `\${${asStringify ? asJsonStringify(json) : json}}`;
    },
  });
}

/** The first 16 hex digits of the SHA-256 of `jsonencode(value)`, computed by Terraform. */
export function hashExpression(value: unknown): string {
  return Lazy.stringValue({ produce: (context: IResolveContext) => `\${substr(sha256(jsonencode(${hcl(context, value)})), 0, 16)}` });
}

/**
 * HCL computing what specHash computes, from `spec`, an expression for a spec's JSON text: the
 * first 16 hex digits of the SHA-256 of its canonical JSON without `wait`. Terraform's jsonencode
 * sorts keys as canonicalJson does, but escapes <, >, &, U+2028 and U+2029, which are undone.
 */
export function specHashHcl(spec: string): string {
  return `substr(sha256(${asJsonStringify(`jsonencode({ for k, v in jsondecode(${spec}) : k => v if k != "wait" })`)}), 0, 16)`;
}

/**
 * HCL computing specHash of `literal` (a value without Terraform values) merged with `computed`
 * (attribute name -> HCL expression), e.g. a trigger that holds other resources' hashes.
 */
export function mergedHashHcl(literal: Record<string, unknown>, computed: Record<string, string>): string {
  const { wait: _runtimeOnly, ...identity } = literal;
  const text = JSON.stringify(JSON.stringify(identity)).replace(/([$%])\{/g, (_, c: string) => `${c}${c}{`);
  const merged = `merge(jsondecode(${text}), { ${Object.entries(computed).map(([k, v]) => `${k} = ${v}`).join(', ')} })`;
  return `substr(sha256(${asJsonStringify(`jsonencode(${merged})`)}), 0, 16)`;
}

/**
 * Why Terraform's jsonencode of `value` would not give JSON.stringify's text (after
 * asJsonStringify), so a hash it computes would differ from specHash; undefined if it gives the
 * same. Terraform sorts keys by their bytes (JavaScript puts integer-like keys first), writes
 * numbers below 1e-6 or from 1e21 up without an exponent, NFC-normalizes strings, and before
 * 1.8 wrote \b and \f as \u0008 and \u000c.
 */
export function jsonencodeDiffers(value: unknown, at = ''): string | undefined {
  if (typeof value === 'number') {
    const magnitude = Math.abs(value);
    return value !== 0 && (magnitude < 1e-6 || magnitude >= 1e21) ? `${at || 'a value'} is the number ${value}` : undefined;
  }
  if (typeof value === 'string') {
    if (value !== value.normalize('NFC')) return `${at || 'a value'} is not in Unicode normal form C`;
    return /[\b\f]/.test(value) ? `${at || 'a value'} holds a backspace or form feed` : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const why = jsonencodeDiffers(value[i], `${at}[${i}]`);
      if (why) return why;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (/^(0|[1-9][0-9]*)$/.test(k) || /[^\x20-\x7e]/.test(k)) return `${at ? `${at}.` : ''}${k} is a key Terraform sorts differently`;
      const why = jsonencodeDiffers(v, at ? `${at}.${k}` : k) ?? jsonencodeDiffers(k, 'a key');
      if (why) return why;
    }
  }
  return undefined;
}

/** The characters Terraform's jsonencode escapes (as Go's encoder does) and JSON.stringify does not. */
export const JSONENCODE_ESCAPED = /[<>&\u2028\u2029]/;

/**
 * HCL turning `json`, an expression for jsonencode's output, into JSON.stringify's text of the
 * same value. An escaped backslash is set aside first (as NUL, which jsonencode never writes
 * raw), so text that itself reads `\u003c` stays as it is.
 */
function asJsonStringify(json: string): string {
  json = `replace(${json}, "\\\\\\\\", "\\u0000")`;
  for (const [escaped, character] of [['u003c', '<'], ['u003e', '>'], ['u0026', '&'], ['u2028', '\\u2028'], ['u2029', '\\u2029']]) {
    json = `replace(${json}, "\\\\${escaped}", "${character}")`;
  }
  return `replace(${json}, "\\u0000", "\\\\\\\\")`;
}

/**
 * A string template Terraform evaluates, e.g. `${var.a}/${lower(var.b)}`, built from the HCL
 * expressions of values (`r(value)`): the template where a string is expected (a for_each key),
 * the same template quoted where it sits inside another expression (a spec).
 */
export function templateOf(build: (r: (value: unknown) => string) => string): string {
  return Lazy.stringValue({
    produce: (context: IResolveContext) => {
      const inExpression = context.suppressBraces === true;
      const template = build((value) => hcl(context, value));
      // Quotes inside ${...} need no escaping in an HCL template; `build` writes no literal quote.
      return inExpression ? `"${template}"` : template;
    },
  });
}

/**
 * `value` with every value Terraform evaluates replaced by null, as JSON text Terraform leaves
 * alone (`${` and `%{` escaped): what a reader of cdk.tf.json can know of a spec without Terraform.
 */
export function knownValuesJson(value: unknown): string {
  return JSON.stringify(knownValues(value)).replace(/([$%])\{/g, (_, c: string) => `${c}${c}{`);
}

/** `value` with every value Terraform evaluates replaced by null. */
export function knownValues(value: unknown): unknown {
  if (isTerraformValue(value)) return null;
  if (Array.isArray(value)) return value.map(knownValues);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, knownValues(x)]));
  return value;
}
