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
