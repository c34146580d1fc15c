import { RunnerError } from './errors';
import { variableEnvName } from '../contract/environment';
import type { SecretRef } from '../contract/spec';

/** Shortest run of a value's start that is redacted on its own (a value cut off by a truncation). */
const MIN_PREFIX = 6;

/**
 * Resolves secret references at apply time and remembers every value it handed out, so all
 * runner output (logs, errors, ledger) can be scrubbed of them.
 */
export class SecretResolver {
  private readonly values = new Set<string>();
  /** Every form of every value: whether its start alone is redacted (values of 6+ characters). */
  private readonly forms = new Map<string, boolean>();
  /** The forms grouped by their first MIN_PREFIX characters (whole form if shorter), rebuilt on protect. */
  private bySeed = new Map<string, string[]>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** Registers a value that must never be printed (credentials). */
  protect(value: string | undefined): void {
    if (!value || this.values.has(value)) return;
    this.values.add(value);
    const prefix = value.length >= MIN_PREFIX;
    // A blank derived form (of a whitespace-only value) would redact every space.
    for (const form of formsOf(value)) if (form === value || form.trim()) this.forms.set(form, prefix || (this.forms.get(form) ?? false));
    this.bySeed = new Map();
    for (const form of this.forms.keys()) {
      const seed = form.slice(0, MIN_PREFIX);
      this.bySeed.set(seed, [...(this.bySeed.get(seed) ?? []), form]);
    }
  }

  /** The value of a reference to a plain-string field. */
  resolve(ref: SecretRef, where: string): string {
    if (ref.source === 'pam') {
      throw new RunnerError(`${where}: a PAM provider reference cannot fill a plain-string field.`);
    }
    if (ref.source === 'env' || ref.source === 'variable') {
      const envName = ref.source === 'env' ? ref.name : variableEnvName(ref.name);
      const value = this.env[envName];
      if (value === undefined || value === '') {
        throw new RunnerError(ref.source === 'env'
          ? `${where}: environment variable ${ref.name} is not set (it holds the secret for this field).`
          : `${where}: Terraform variable ${ref.name} is empty; set it with TF_VAR_${ref.name} or a .tfvars file.`);
      }
      this.protect(value);
      return value;
    }
    throw new RunnerError(`${where}: unsupported secret source ${(ref as { source: string }).source}.`);
  }

  /**
   * Replaces with `***` every known value in `text`, in every form an echo may give it (JSON- and
   * URL-escaped, whitespace-collapsed, HTML-escaped), and any run of 6+ characters that is the
   * start of one (a value cut off by someone's truncation). Overlapping matches are merged, so no
   * part of a longer match is left behind by a shorter one.
   */
  redact(text: string): string {
    const spans: Array<[number, number]> = [];
    for (const [seed, forms] of this.bySeed) {
      for (let at = text.indexOf(seed); at >= 0; at = text.indexOf(seed, at + 1)) {
        let end = at;
        for (const form of forms) {
          let n = seed.length;
          while (n < form.length && text[at + n] === form[n]) n++;
          if (n === form.length || (n >= MIN_PREFIX && this.forms.get(form))) end = Math.max(end, at + n);
        }
        if (end > at) spans.push([at, end]);
      }
    }
    if (spans.length === 0) return text;
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let from = 0;
    for (const [start, end] of spans) {
      if (end <= from) continue;
      out += start >= from ? `${text.slice(from, start)}***` : '';
      from = end;
    }
    return out + text.slice(from);
  }
}

/**
 * A string as .NET's System.Text.Json writes it by default (Command's own error bodies): `+ ' < >
 * & " \``, control and non-ASCII characters as `\uXXXX`, in upper-case hex, or lower (other
 * serialisers).
 */
export function dotnetJson(value: string, lower = false): string {
  const short: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
  return value.split('').map((ch) => {
    if (short[ch]) return short[ch];
    const code = ch.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f && !'"&\'+<>`'.includes(ch)) return ch;
    const hex = code.toString(16).padStart(4, '0');
    return `\\u${lower ? hex : hex.toUpperCase()}`;
  }).join('');
}

/** The ways a value can come back in an error body: raw, escaped once or twice, collapsed by someone. */
function formsOf(value: string): string[] {
  const json = (v: string) => JSON.stringify(v).slice(1, -1);
  const html = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');
  const dotnet = [dotnetJson(value), dotnetJson(value, true)];
  const escaped = [value, json(value), json(json(value)), encodeURIComponent(value),
    new URLSearchParams({ x: value }).toString().slice(2), html(value), html(json(value)), ...dotnet, ...dotnet.map(json)];
  return escaped.flatMap((v) => [v, v.replace(/\s+/g, ' '), v.replace(/\s+/g, ' ').trim()]);
}

/** A reference as the API's KeyfactorAPISecret: `{SecretValue}` or `{Provider, Parameters}`. */
export type ApiSecret = { SecretValue: string } | { Provider: number; Parameters: Record<string, string> };

export function apiSecret(secrets: SecretResolver, ref: SecretRef, where: string): ApiSecret {
  if (ref.source === 'pam') return { Provider: ref.provider, Parameters: ref.parameters };
  return { SecretValue: secrets.resolve(ref, where) };
}

/** How a secret reference is shown in logs and the ledger. */
export function describeRef(ref: SecretRef | undefined): string | undefined {
  if (!ref) return undefined;
  switch (ref.source) {
    case 'env': return `<secret from env ${ref.name}>`;
    case 'variable': return `<secret from variable ${ref.name}>`;
    case 'pam': return `<PAM provider ${ref.provider} ${JSON.stringify(ref.parameters)}>`;
  }
}
