import { canonicalJson, SPEC_VERSION, specHash, specLabel } from '../../src/contract/spec';

const base = { v: SPEC_VERSION, operation: 'CertificateStorePassword', stack: 's', path: 's/pw' };

describe('canonical JSON and the spec hash', () => {
  test('keys are sorted at every depth, arrays keep their order, undefined members are dropped', () => {
    const value = { b: 1, a: { d: [{ z: 1, y: 2 }, 3], c: null, e: undefined }, f: [2, 1] };
    expect(canonicalJson(value)).toBe('{"a":{"c":null,"d":[{"y":2,"z":1},3]},"b":1,"f":[2,1]}');
    expect(canonicalJson({ y: { b: 2, a: 1 }, x: 'x' })).toBe(canonicalJson({ x: 'x', y: { a: 1, b: 2 } }));
    expect(canonicalJson([{ b: 1, a: 2 }])).toBe('[{"a":2,"b":1}]');
    expect(canonicalJson('text')).toBe('"text"');
    expect(canonicalJson(7)).toBe('7');
    expect(canonicalJson(null)).toBe('null');
  });

  test('the hash is 16 hex digits, the same whatever the key order, and changes with any identity field', () => {
    const hash = specHash({ ...base, certStoreId: 'a', newPassword: { source: 'env', name: 'P' } } as any);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(specHash({ newPassword: { name: 'P', source: 'env' }, certStoreId: 'a', ...base } as any)).toBe(hash);
    expect(specHash({ ...base, certStoreId: 'b', newPassword: { source: 'env', name: 'P' } } as any)).not.toBe(hash);
    expect(specHash({ ...base, certStoreId: 'a', newPassword: { source: 'env', name: 'Q' } } as any)).not.toBe(hash);
    expect(specHash({ ...base, key: 'k', certStoreId: 'a', newPassword: { source: 'env', name: 'P' } } as any)).not.toBe(hash);
  });

  test('the wait policy is not part of the identity: changing it never re-runs an operation', () => {
    const spec = { ...base, certStoreId: 'a' };
    expect(specHash({ ...spec, wait: { mode: 'completion', timeoutSeconds: 60, pollIntervalSeconds: 5 } })).toBe(specHash(spec));
    expect(specHash({ ...spec, wait: { mode: 'none' } })).toBe(specHash(spec));
  });

  test('a spec is labelled by operation, path and instance key', () => {
    expect(specLabel(base)).toBe('CertificateStorePassword s/pw');
    expect(specLabel({ ...base, key: 'k1' })).toBe('CertificateStorePassword s/pw [k1]');
  });
});
