import { RunnerError } from '../../src/runtime/errors';
import { apiSecret, describeRef, SecretResolver } from '../../src/runtime/secrets';

describe('SecretResolver', () => {
  test('redacts every occurrence of every value it handed out, longest first', () => {
    const s = new SecretResolver({ SHORT: 'abc123', LONG: 'abc123-and-more', OTHER: 'zz9-plural-z-alpha' });
    s.resolve({ source: 'env', name: 'SHORT' }, 'a');
    s.resolve({ source: 'env', name: 'LONG' }, 'b');
    s.resolve({ source: 'env', name: 'OTHER' }, 'c');
    expect(s.redact('abc123 / abc123-and-more / zz9-plural-z-alpha / abc123')).toBe('*** / *** / *** / ***');
  });

  test('values with regular-expression characters are matched literally', () => {
    const s = new SecretResolver({ P: 'p$1.*(x)' });
    s.resolve({ source: 'env', name: 'P' }, 'password');
    expect(s.redact('got p$1.*(x) and p$1.*(x); not pX1aaax')).toBe('got *** and ***; not pX1aaax');
  });

  test('protect() adds credentials to what is redacted; empty values are ignored', () => {
    const s = new SecretResolver({});
    s.protect('token-value');
    s.protect('');
    s.protect(undefined);
    expect(s.redact('Bearer token-value, Bearer token-value')).toBe('Bearer ***, Bearer ***');
    expect(s.redact('nothing secret here')).toBe('nothing secret here');
  });

  test('a value is redacted only once it has been resolved (nothing else is touched)', () => {
    const s = new SecretResolver({ P: 'hunter2' });
    expect(s.redact('hunter2')).toBe('hunter2');
    expect(s.resolve({ source: 'env', name: 'P' }, 'password')).toBe('hunter2');
    expect(s.redact('hunter2')).toBe('***');
  });

  test.each([
    [{ source: 'env', name: 'MISSING' }, {}, /^pfxPassword: environment variable MISSING is not set \(it holds the secret for this field\)\.$/],
    [{ source: 'env', name: 'EMPTY' }, { EMPTY: '' }, /^pfxPassword: environment variable EMPTY is not set/],
    [{ source: 'variable', name: 'pfx' }, {}, /^pfxPassword: Terraform variable pfx is empty; set it with TF_VAR_pfx or a \.tfvars file\.$/],
    [{ source: 'pam', provider: 1, parameters: {} }, {}, /^pfxPassword: a PAM provider reference cannot fill a plain-string field\.$/],
  ] as const)('resolve(%j) fails clearly', (ref, env, expected) => {
    expect(() => new SecretResolver(env).resolve(ref as never, 'pfxPassword')).toThrow(expected);
  });

  test('a reference of an unknown kind (a newer library than runner) is refused, naming its source', () => {
    expect(() => new SecretResolver({ X: 'v' }).resolve({ source: 'vault', name: 'X' } as never, 'password'))
      .toThrow(new RunnerError('password: unsupported secret source vault.'));
  });

  test('a Terraform variable is read from its provisioner environment variable', () => {
    const s = new SecretResolver({ CDKTF_KEYFACTOR_VAR_pfx_password: 'v4lue' });
    expect(s.resolve({ source: 'variable', name: 'pfx_password' }, 'x')).toBe('v4lue');
    expect(s.redact('v4lue')).toBe('***');
  });

  test('apiSecret: {SecretValue} for env, {Provider, Parameters} for PAM; describeRef never shows a value', () => {
    const s = new SecretResolver({ P: 'hunter2' });
    expect(apiSecret(s, { source: 'env', name: 'P' }, 'x')).toEqual({ SecretValue: 'hunter2' });
    expect(apiSecret(s, { source: 'pam', provider: 2, parameters: { SecretName: 'n' } }, 'x')).toEqual({ Provider: 2, Parameters: { SecretName: 'n' } });
    expect(describeRef({ source: 'env', name: 'P' })).toBe('<secret from env P>');
    expect(describeRef({ source: 'variable', name: 'v' })).toBe('<secret from variable v>');
    expect(describeRef({ source: 'pam', provider: 2, parameters: { SecretName: 'n' } })).toBe('<PAM provider 2 {"SecretName":"n"}>');
    expect(describeRef(undefined)).toBeUndefined();
  });
});

describe('SecretResolver.redact: escaped forms and cut-off prefixes', () => {
  // A tab, double spaces, a quote, a backslash, HTML's specials, and blanks at both ends.
  const V = '\tpa"ss\\wo  rd<&>\'x9 ';
  const json = (v: string) => JSON.stringify(v).slice(1, -1);
  const collapse = (v: string) => v.replace(/\s+/g, ' ');
  const html = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');
  const resolver = (...values: string[]) => {
    const s = new SecretResolver({});
    values.forEach((v) => s.protect(v));
    return s;
  };

  test.each([
    ['raw', V],
    ['JSON-escaped', json(V)],
    ['JSON-escaped twice', json(json(V))],
    ['URL-encoded', encodeURIComponent(V)],
    ['form-encoded', new URLSearchParams({ x: V }).toString().slice(2)],
    ['whitespace-collapsed', collapse(V)],
    ['whitespace-collapsed and trimmed', collapse(V).trim()],
    ['JSON-escaped, whitespace-collapsed', collapse(json(V))],
    ['HTML-escaped', html(V)],
    ['JSON- then HTML-escaped', html(json(V))],
    // System.Text.Json (Command's serialiser), written out by hand.
    ['.NET-escaped (upper-case hex)', '\\tpa\\u0022ss\\\\wo  rd\\u003C\\u0026\\u003E\\u0027x9 '],
    ['.NET-escaped (lower-case hex)', '\\tpa\\u0022ss\\\\wo  rd\\u003c\\u0026\\u003e\\u0027x9 '],
    ['.NET-escaped, then JSON-escaped', '\\\\tpa\\\\u0022ss\\\\\\\\wo  rd\\\\u003C\\\\u0026\\\\u003E\\\\u0027x9 '],
  ])('the %s form is redacted', (_, form) => {
    expect(form.length).toBeGreaterThan(6);
    expect(resolver(V).redact(`[[${form}]]`)).toBe('[[***]]');
  });

  test('the forms look as an echo shows them', () => {
    const s = resolver(V);
    expect(s.redact('{"SecretValue":"\\tpa\\"ss\\\\wo  rd<&>\'x9 "}')).toBe('{"SecretValue":"***"}');
    expect(s.redact('Message: "{\\"SecretValue\\":\\"\\\\tpa\\\\\\"ss\\\\\\\\wo  rd<&>\'x9 \\"}"')).toBe('Message: "{\\"SecretValue\\":\\"***\\"}"');
    expect(s.redact('password=%09pa%22ss%5Cwo%20%20rd%3C%26%3E\'x9%20&x=1')).toBe('password=***&x=1');
    expect(s.redact('password=%09pa%22ss%5Cwo++rd%3C%26%3E%27x9+&x=1')).toBe('password=***&x=1');
    // The blank before it goes too: it may be the value's collapsed tab.
    expect(s.redact('was pa"ss\\wo rd<&>\'x9.')).toBe('was***.');
  });

  test.each([
    ['at the end of the text', 'echo: abcdef', 'echo: ***'],
    ['before an ellipsis', 'echo: "abcdefg…" (truncated)', 'echo: "***…" (truncated)'],
    ['before "..."', 'echo: abcdefghi...', 'echo: ***...'],
    ['the whole value and more', 'abcdefghijklmnop', '***klmnop'],
    ['5 characters are left alone', 'echo: abcde…', 'echo: abcde…'],
    ['a run that leaves the value is cut where it leaves', 'abcdefgXYZ', '***XYZ'],
  ])('a prefix of 6+ characters is redacted: %s', (_, text, expected) => {
    expect(resolver('abcdefghij').redact(text)).toBe(expected);
  });

  test('a cut-off prefix of an escaped form is redacted too', () => {
    const s = resolver('ab"c\\defgh');
    expect(s.redact('{"Secret":"ab\\"c\\\\d…')).toBe('{"Secret":"***…');
    expect(s.redact('p=ab%22c%5C')).toBe('p=***');
    expect(s.redact('ab\\"c')).toBe('ab\\"c');
  });

  test('a value shorter than 6 characters is matched whole only, in each of its forms', () => {
    const s = resolver('a"b\\c');
    expect(s.redact('a"b\\c and a\\"b\\\\c')).toBe('*** and ***');
    // Its JSON form is 7 characters long, but a start of it is not redacted.
    expect(s.redact('a\\"b\\\\ a"b\\')).toBe('a\\"b\\\\ a"b\\');
  });

  test('overlapping matches of two values are hidden together, leaving no part of either', () => {
    const s = resolver('xyz-secret-1', 'secret-1-tail-999');
    expect(s.redact('<xyz-secret-1-tail-999>')).toBe('<***>');
    expect(s.redact('<xyz-secret-1><xyz-secret-1>')).toBe('<***><***>');
  });

  test('a value of blanks hides itself, not every space', () => {
    const s = resolver('  ');
    expect(s.redact('a b')).toBe('a b');
    expect(s.redact('a  b')).toBe('a***b');
  });

  test('a form shared by a short and a long value has its start redacted, whichever came first', () => {
    const short = '"""""';
    const long = json(short); // 10 characters: the short value's JSON form
    const cut = `${long.slice(0, 6)}…`;
    expect(resolver(short).redact(cut)).toBe(cut);
    for (const s of [resolver(short, long), resolver(long, short), resolver(short, short, long)]) expect(s.redact(cut)).toBe('***…');
  });
});
