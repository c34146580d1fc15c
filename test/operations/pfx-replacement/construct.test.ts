import { Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { Carrier, PfxReplacement, PfxReplacementProps, Secret } from '../../../src';
import { synthJson, synthErrors } from '../../support/synth';

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'unit');
}

function replace(props: Partial<PfxReplacementProps>, s: TerraformStack = stack()) {
  return new PfxReplacement(s, 'renew-web', { existingCertificateId: 1, certificateId: 3, ...props } as PfxReplacementProps);
}

function carrierOf(s: TerraformStack): any {
  const json = synthJson(s);
  const carriers = Object.values<any>(json.resource.terraform_data ?? json.resource.null_resource);
  expect(carriers).toHaveLength(1);
  return carriers[0];
}

describe('PfxReplacement synth-time validation', () => {
  const cases: Array<[string, Partial<PfxReplacementProps>, RegExp]> = [
    ['missing existingCertificateId', { existingCertificateId: undefined }, /\[unit\/renew-web\] existingCertificateId: must be an integer from 1 .* got nothing/],
    ['existingCertificateId 0', { existingCertificateId: 0 }, /\[unit\/renew-web\] existingCertificateId: must be an integer from 1/],
    ['existingCertificateId not an integer', { existingCertificateId: 2.5 }, /\[unit\/renew-web\] existingCertificateId: must be an integer/],
    ['both certificateId and requestId', { certificateId: 3, requestId: 9 }, /\[unit\/renew-web\] certificateId: give exactly one of certificateId .* or requestId .*, not both/],
    ['neither certificateId nor requestId', { certificateId: undefined }, /\[unit\/renew-web\] certificateId: give exactly one of certificateId .* or requestId .*; neither was given/],
    ['certificateId 0', { certificateId: 0 }, /\[unit\/renew-web\] certificateId: must be an integer from 1/],
    ['requestId negative', { certificateId: undefined, requestId: -4 }, /\[unit\/renew-web\] requestId: must be an integer from 1/],
    ['certificateId equal to the existing one', { certificateId: 1 }, /\[unit\/renew-web\] certificateId: is the same certificate as existingCertificateId \(1\)/],
    ['jobTime with an offset', { jobTime: '2026-11-25T23:30:00+01:00' }, /\[unit\/renew-web\] jobTime: must be in UTC/],
    ['jobTime without a zone', { jobTime: '2026-11-25T23:30:00' }, /\[unit\/renew-web\] jobTime: must be in UTC/],
    ['jobTime not a time', { jobTime: 'tonight' }, /\[unit\/renew-web\] jobTime: must be an ISO 8601 UTC time/],
    ['jobTime impossible date', { jobTime: '2026-02-30T10:00:00Z' }, /\[unit\/renew-web\] jobTime: is not a real date-time/],
    ['password as a literal', { password: 'hunter2' as any }, /\[unit\/renew-web\] password: must be a Secret reference/],
    ['password from a PAM provider', { password: Secret.fromPamProvider(1, { SecretName: 'pfx' }) }, /\[unit\/renew-web\] password: this API field takes a plain string, so it cannot come from a PAM provider: use Secret\.fromEnv/],
    ['password env var name invalid', { password: Secret.fromEnv('PFX PASSWORD') }, /\[unit\/renew-web\] password: Secret\.fromEnv needs a valid environment variable name/],
    ['allowPartialSuccess not a boolean', { allowPartialSuccess: 'yes' as any }, /\[unit\/renew-web\] allowPartialSuccess: must be true or false/],
  ];

  test.each(cases)('%s', (_name, props, expected) => {
    expect(synthErrors(replace(props))).toMatch(expected);
  });

  test('errors name the construct kind and are reported together', () => {
    expect(synthErrors(replace({ existingCertificateId: 0, certificateId: 3, requestId: 4, jobTime: 'x' })))
      .toMatch(/\[unit\/renew-web\] existingCertificateId: .*\n\[unit\/renew-web\] certificateId: .*requestId.*\n\[unit\/renew-web\] jobTime: /);
  });
});

describe('PfxReplacement rendering', () => {
  test('one terraform_data carrier, create provisioner only (no undo), password as a reference', () => {
    const s = stack();
    replace({ password: Secret.fromEnv('PFX_PASSWORD'), jobTime: '2026-11-25T23:30:00Z' }, s);
    const carrier = carrierOf(s);
    expect(carrier.for_each).toBeUndefined();
    const spec = JSON.parse(carrier.input.spec);
    expect(spec).toEqual({
      v: 1,
      operation: 'PfxReplacement',
      stack: 'unit',
      wait: { mode: 'none' }, // the default policy, outside the replacement hash
      path: 'unit/renew-web',
      existingCertificateId: 1,
      certificateId: 3,
      password: { source: 'env', name: 'PFX_PASSWORD' },
      jobTime: '2026-11-25T23:30:00Z',
      allowPartialSuccess: false,
    });
    expect(carrier.provisioner).toHaveLength(1);
    expect(carrier.provisioner[0]['local-exec'].when).toBeUndefined();
    expect(carrier.provisioner[0]['local-exec'].command).toMatch(/runner\.cjs" create$/);
  });

  test('requestId instead of certificateId; allowPartialSuccess recorded', () => {
    const s = stack();
    replace({ certificateId: undefined, requestId: 42, allowPartialSuccess: true }, s);
    const spec = JSON.parse(carrierOf(s).input.spec);
    expect(spec).toMatchObject({ requestId: 42, allowPartialSuccess: true });
    expect(spec.certificateId).toBeUndefined();
  });

  test('a changed prop changes the hash (the replacement runs again); an unchanged one keeps it', () => {
    const hash = (props: Partial<PfxReplacementProps>) => {
      const s = stack();
      replace(props, s);
      return carrierOf(s).input.hash;
    };
    expect(hash({})).toBe(hash({}));
    expect(hash({ certificateId: 4 })).not.toBe(hash({}));
    expect(hash({ password: Secret.fromEnv('A') })).not.toBe(hash({ password: Secret.fromEnv('B') }));
  });

  test('the password may also be a sensitive Terraform variable: only its name is synthesized, the create step gets its value', () => {
    const s = stack();
    const pfxPassword = new TerraformVariable(s, 'pfx_password', { type: 'string', sensitive: true });
    replace({ password: Secret.fromVariable(pfxPassword) }, s);
    const carrier = carrierOf(s);
    expect(JSON.parse(carrier.input.spec).password).toEqual({ source: 'variable', name: 'pfx_password' });
    const create = carrier.provisioner.find((p: any) => /create$/.test(p['local-exec'].command))['local-exec'];
    expect(Object.values(create.environment)).toContain('${var.pfx_password}');
    // A variable that is not sensitive is refused, naming the field.
    const plain = new TerraformVariable(s, 'plain', { type: 'string' });
    expect(synthErrors(new PfxReplacement(s, 'other', { existingCertificateId: 1, certificateId: 3, password: Secret.fromVariable(plain) })))
      .toMatch(/\[unit\/other\] password: Secret\.fromVariable needs a variable declared with sensitive: true/);
  });

  test('null_resource carrier', () => {
    const s = stack();
    replace({ carrier: Carrier.nullResource() }, s);
    const json = synthJson(s);
    expect(json.resource.terraform_data).toBeUndefined();
    expect(Object.keys(json.resource.null_resource)).toHaveLength(1);
  });
});
