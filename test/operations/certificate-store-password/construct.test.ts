import { Testing, TerraformStack } from 'cdktf';
import { Carrier, CertificateStorePassword, CertificateStorePasswordProps, PamLocalEntry, Secret } from '../../../src';
import { caseVariant } from '../../support/guid';
import { synthJson, synthErrors } from '../../support/synth';

// Letters in the GUID, so that case-insensitive handling is really exercised.
const STORE = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'unit');
}

function password(props: Partial<CertificateStorePasswordProps>, s: TerraformStack = stack()) {
  return new CertificateStorePassword(s, 'pw', {
    certStoreId: STORE,
    newPassword: Secret.fromEnv('STORE_PASSWORD'),
    ...props,
  } as CertificateStorePasswordProps);
}

function carrierOf(s: TerraformStack): any {
  const [carrier] = Object.values<any>(synthJson(s).resource.terraform_data);
  return carrier;
}

describe('CertificateStorePassword synth-time validation', () => {
  const cases: Array<[string, Partial<CertificateStorePasswordProps>, RegExp]> = [
    ['malformed store GUID', { certStoreId: 'store-1' }, /^\[unit\/pw\] certStoreId: must be a GUID .*"store-1"/],
    ['missing store GUID', { certStoreId: undefined }, /^\[unit\/pw\] certStoreId: must be a GUID .*got nothing/],
    ['missing password', { newPassword: undefined }, /^\[unit\/pw\] newPassword: must be a Secret reference/],
    ['literal password', { newPassword: 'hunter2' as any }, /^\[unit\/pw\] newPassword: must be a Secret reference such as Secret\.fromEnv\("NAME"\), never a literal value/],
    ['bad environment variable name', { newPassword: Secret.fromEnv('STORE-PASSWORD') }, /^\[unit\/pw\] newPassword: Secret\.fromEnv needs a valid environment variable name/],
    ['PAM provider id 0', { newPassword: Secret.fromPamProvider(0, { SecretName: 'x' }) }, /^\[unit\/pw\] newPassword: Secret\.fromPamProvider needs a provider id >= 1/],
    ['empty rotation key', { rotationKey: '' }, /^\[unit\/pw\] rotationKey: must be a non-empty string/],
    ['rotation key too long', { rotationKey: 'x'.repeat(201) }, /^\[unit\/pw\] rotationKey: must be at most 200 characters/],
  ];

  test.each(cases)('%s', (_name, props, expected) => {
    expect(synthErrors(password(props))).toMatch(expected);
  });

  test('every message names the construct kind', () => {
    expect(synthErrors(password({ certStoreId: 'x' }))).toMatch(/\(CertificateStorePassword\)$/);
  });

  test('several problems are reported together', () => {
    expect(synthErrors(password({ certStoreId: 'x', newPassword: undefined, rotationKey: '' })))
      .toMatch(/\[unit\/pw\] certStoreId: .*\n\[unit\/pw\] newPassword: .*\n\[unit\/pw\] rotationKey: /);
  });
});

describe('CertificateStorePassword rendering', () => {
  test('one create-only terraform_data carrier; the spec holds the reference, never a value', () => {
    const s = stack();
    const construct = password({ certStoreId: caseVariant(STORE), rotationKey: '2026-11' }, s);
    const carrier = carrierOf(s);
    const spec = JSON.parse(carrier.input.spec);
    expect(spec).toEqual({
      v: 1,
      operation: 'CertificateStorePassword',
      stack: 'unit',
      path: 'unit/pw',
      certStoreId: STORE,
      newPassword: { source: 'env', name: 'STORE_PASSWORD' },
      rotationKey: '2026-11',
    });
    expect(construct.certStoreId).toBe(STORE);
    expect(carrier.input.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(carrier.triggers_replace).toEqual({ hash: carrier.input.hash });
    // Destroy has nothing to undo: no destroy-time provisioner.
    expect(carrier.provisioner).toHaveLength(1);
    expect(carrier.provisioner[0]['local-exec'].when).toBeUndefined();
    expect(carrier.provisioner[0]['local-exec'].command).toMatch(/runner\.cjs" create$/);
  });

  test('a PAM-backed password is synthesized as its provider and parameters (not secret)', () => {
    const s = stack();
    password({ newPassword: Secret.fromPamProvider(1, { SecretName: 'web-01' }) }, s);
    expect(JSON.parse(carrierOf(s).input.spec).newPassword).toEqual({ source: 'pam', provider: 1, parameters: { SecretName: 'web-01' } });
  });

  test('only a change of store, reference or rotationKey changes the hash (the value cannot: it is not synthesized)', () => {
    const hash = (props: Partial<CertificateStorePasswordProps>) => {
      const s = stack();
      password(props, s);
      return carrierOf(s).input.hash;
    };
    const base = hash({ rotationKey: '1' });
    expect(hash({ rotationKey: '1' })).toBe(base);
    expect(hash({ rotationKey: '2' })).not.toBe(base);
    expect(hash({ rotationKey: '1', newPassword: Secret.fromEnv('OTHER') })).not.toBe(base);
    expect(hash({ rotationKey: '1', certStoreId: 'f0e1d2c3-b4a5-4968-8776-655443322110' })).not.toBe(base);
    // The store GUID is case-insensitive.
    expect(hash({ rotationKey: '1', certStoreId: caseVariant(STORE) })).toBe(base);
  });

  test('dependsOn: runs after a PamLocalEntry has written its content', () => {
    const s = stack();
    const entry = new PamLocalEntry(s, 'secret', { providerId: 1, secretName: 'web-01', secretValue: Secret.fromEnv('WEB_01') });
    password({ newPassword: Secret.fromPamProvider(1, { SecretName: 'web-01' }), dependsOn: [entry] }, s);
    const resources = synthJson(s).resource.terraform_data;
    const pw = Object.entries<any>(resources).find(([k]) => k.startsWith('pw_'))![1];
    const content = Object.keys(resources).find((k) => k.startsWith('secret_ContentCarrier_'))!;
    expect(pw.depends_on).toEqual([`terraform_data.${content}`]);
  });

  test('null_resource carrier', () => {
    const s = stack();
    password({ carrier: Carrier.nullResource() }, s);
    const json = synthJson(s);
    expect(json.resource.terraform_data).toBeUndefined();
    const [carrier] = Object.values<any>(json.resource.null_resource);
    expect(JSON.parse(carrier.triggers.spec).operation).toBe('CertificateStorePassword');
    expect(carrier.provisioner).toHaveLength(1);
  });
});
