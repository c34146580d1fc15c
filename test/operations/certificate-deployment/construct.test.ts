import { Testing, TerraformStack } from 'cdktf';
import { Carrier, CertificateDeployment, CertificateDeploymentProps, DayOfWeek, KeyfactorDefaults, Schedule, Secret, WaitPolicy } from '../../../src';
import { specHash } from '../../../src/contract/spec';
import { caseVariant } from '../../support/guid';
import { synthJson, synthErrors } from '../../support/synth';

// Letters in both GUIDs, so that case-insensitive handling is really exercised.
const STORE_A = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const STORE_B = 'f0e1d2c3-b4a5-4968-8776-655443322110';
const STORE_C = 'c0ffee00-dead-4bee-8f00-00000000cafe';

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'unit');
}

function deploy(props: Partial<CertificateDeploymentProps>, s: TerraformStack = stack()) {
  return new CertificateDeployment(s, 'web-cert', {
    certificateId: 7,
    schedule: Schedule.immediate(),
    stores: [{ certificateStoreId: STORE_A, alias: 'web' }],
    ...props,
  } as CertificateDeploymentProps);
}

describe('CertificateDeployment synth-time validation', () => {
  const cases: Array<[string, Partial<CertificateDeploymentProps>, RegExp]> = [
    ['malformed store GUID', { stores: [{ certificateStoreId: 'not-a-guid' }] }, /\[unit\/web-cert\] stores\[0\]\.certificateStoreId: must be a GUID.*"not-a-guid"/],
    ['empty store list', { stores: [] }, /\[unit\/web-cert\] stores: must list at least one certificate store/],
    ['missing store list', { stores: undefined }, /\[unit\/web-cert\] stores: must list at least one/],
    ['missing schedule', { schedule: undefined }, /\[unit\/web-cert\] schedule: is required/],
    ['non-UTC time', { schedule: Schedule.exactlyOnce('2026-11-25T23:30:00+02:00') }, /\[unit\/web-cert\] schedule\.time: must be in UTC/],
    ['local time without zone', { schedule: Schedule.daily('2026-11-25T23:30:00') }, /\[unit\/web-cert\] schedule\.time: must be in UTC/],
    ['malformed time', { schedule: Schedule.exactlyOnce('next tuesday') }, /\[unit\/web-cert\] schedule\.time: must be an ISO 8601 UTC time/],
    ['impossible date', { schedule: Schedule.exactlyOnce('2026-02-30T10:00:00Z') }, /\[unit\/web-cert\] schedule\.time: is not a real date-time/],
    ['duplicate store', { stores: [{ certificateStoreId: STORE_A }, { certificateStoreId: caseVariant(STORE_A) }] }, /\[unit\/web-cert\] stores\[1\]\.certificateStoreId: store .* is already listed at stores\[0\]/],
    ['certificate id not positive', { certificateId: 0 }, /\[unit\/web-cert\] certificateId: must be an integer from 1/],
    ['certificate id not an integer', { certificateId: 1.5 }, /\[unit\/web-cert\] certificateId: must be an integer/],
    ['interval of zero minutes', { schedule: Schedule.interval(0) }, /\[unit\/web-cert\] schedule\.minutes: must be an integer from 1/],
    ['monthly day 31', { schedule: Schedule.monthly(31, '2026-01-01T02:00:00Z') }, /\[unit\/web-cert\] schedule\.day: must be an integer from 1 to 27/],
    ['weekly with no days', { schedule: Schedule.weekly([], '2026-01-01T02:00:00Z') }, /\[unit\/web-cert\] schedule\.days: must name at least one day/],
    ['literal password instead of Secret', { stores: [{ certificateStoreId: STORE_A, entryPassword: 'hunter2' as any }] }, /\[unit\/web-cert\] stores\[0\]\.entryPassword: must be a Secret reference/],
    ['bad env var name', { stores: [{ certificateStoreId: STORE_A, pfxPassword: Secret.fromEnv('1 BAD') }] }, /\[unit\/web-cert\] stores\[0\]\.pfxPassword: Secret\.fromEnv needs a valid environment variable name/],
    ['empty alias', { stores: [{ certificateStoreId: STORE_A, alias: '' }] }, /\[unit\/web-cert\] stores\[0\]\.alias: must be a non-empty string/],
  ];

  test.each(cases)('%s', (_name, props, expected) => {
    expect(synthErrors(deploy(props))).toMatch(expected);
  });

  test('several problems are reported together', () => {
    expect(synthErrors(deploy({ certificateId: -1, stores: [] }))).toMatch(/\[unit\/web-cert\] certificateId: .*\n\[unit\/web-cert\] stores: /);
  });

  test.each([
    ['a prefix', `x${STORE_A}`],
    ['a suffix', `${STORE_A}0`],
    ['braces', `{${STORE_A}}`],
    ['a leading space', ` ${STORE_A}`],
    ['a trailing newline', `${STORE_A}\n`],
    ['one character short', STORE_A.slice(0, -1)],
    ['a non-hex character', STORE_A.replace('a1', 'g1')],
    ['no dashes', STORE_A.replace(/-/g, '')],
    ['a GUID inside a longer text', `store ${STORE_A} please`],
  ])('a near-miss store GUID (%s) is refused', (_name, id) => {
    expect(synthErrors(deploy({ stores: [{ certificateStoreId: id }] }))).toMatch(/\[unit\/web-cert\] stores\[0\]\.certificateStoreId: must be a GUID/);
  });

  test('a store listed twice in different letter case is refused', () => {
    expect(caseVariant(STORE_A)).not.toBe(STORE_A);
    const stores = [{ certificateStoreId: caseVariant(STORE_A) }, { certificateStoreId: STORE_B }, { certificateStoreId: STORE_A }];
    expect(synthErrors(deploy({ stores })))
      .toMatch(/\[unit\/web-cert\] stores\[2\]\.certificateStoreId: store a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d is already listed at stores\[0\]; list each store once/);
  });
});

describe('CertificateDeployment rendering', () => {
  test('one terraform_data instance per store, keyed by store GUID, secrets as references only', () => {
    const s = stack();
    deploy({
      stores: [
        { certificateStoreId: STORE_A, alias: 'web', entryPassword: Secret.fromEnv('WEB_ENTRY_PASSWORD') },
        { certificateStoreId: caseVariant(STORE_B), alias: 'web', overwrite: true, jobFields: { ProviderName: 'x' } },
      ],
      schedule: Schedule.weekly([DayOfWeek.MONDAY, DayOfWeek.FRIDAY], '2026-11-23T02:00:00Z'),
    }, s);
    const json = synthJson(s);
    const [carrier] = Object.values<any>(json.resource.terraform_data);
    expect(Object.keys(carrier.for_each)).toEqual([STORE_A, STORE_B]);
    const spec = JSON.parse(carrier.for_each[STORE_A].spec);
    expect(spec).toMatchObject({
      operation: 'CertificateDeployment',
      path: 'unit/web-cert',
      certificateId: 7,
      schedule: { Weekly: { Days: [1, 5], Time: '2026-11-23T02:00:00Z' } },
      store: { certificateStoreId: STORE_A, alias: 'web', entryPassword: { source: 'env', name: 'WEB_ENTRY_PASSWORD' } },
    });
    expect(carrier.triggers_replace).toEqual({ hash: '${each.value.hash}' });
    expect(carrier.provisioner.map((p: any) => p['local-exec'].when ?? 'create')).toEqual(['create', 'destroy']);
    for (const p of carrier.provisioner) {
      expect(p['local-exec'].environment.CDKTF_KEYFACTOR_SPEC).toBe('${self.input.spec}');
      expect(p['local-exec'].command).toMatch(/^exec node "assets\/KeyfactorRunner\/[0-9A-F]+\/runner\.cjs" (create|destroy)$/);
    }
  });

  test("a store's instance (key, spec, hash) does not depend on its place in the list or on the other stores", () => {
    const instances = (ids: string[]) => {
      const s = stack();
      deploy({ stores: ids.map((id) => ({ certificateStoreId: id, alias: 'web' })) }, s);
      const [carrier] = Object.values<any>(synthJson(s).resource.terraform_data);
      return carrier.for_each as Record<string, { spec: string; hash: string }>;
    };
    const all = instances([STORE_A, STORE_B, STORE_C]);
    expect(Object.keys(all).sort()).toEqual([STORE_A, STORE_B, STORE_C].sort());
    // The first store dropped, the order reversed, a store given in upper case: the others are the same instances.
    expect(instances([STORE_B, STORE_C])).toEqual({ [STORE_B]: all[STORE_B], [STORE_C]: all[STORE_C] });
    expect(instances([STORE_C, STORE_B, STORE_A])).toEqual(all);
    expect(instances([caseVariant(STORE_A), STORE_B, STORE_C])).toEqual(all);
    expect(new Set(Object.values(all).map((v) => v.hash)).size).toBe(3);
  });

  test('a changed prop changes the instance hash (so Terraform re-runs it); an unchanged one keeps it', () => {
    const hashes = (alias: string) => {
      const s = stack();
      deploy({ stores: [{ certificateStoreId: STORE_A, alias: 'same' }, { certificateStoreId: STORE_B, alias }] }, s);
      const [carrier] = Object.values<any>(synthJson(s).resource.terraform_data);
      return [carrier.for_each[STORE_A].hash, carrier.for_each[STORE_B].hash];
    };
    const [a1, b1] = hashes('one');
    const [a2, b2] = hashes('two');
    expect(a1).toBe(a2);
    expect(b1).not.toBe(b2);
  });

  test('null_resource carrier, per construct, adds the null provider once', () => {
    const s = stack();
    deploy({ carrier: Carrier.nullResource() }, s);
    new CertificateDeployment(s, 'second', { certificateId: 8, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE_B }], carrier: Carrier.nullResource() });
    const json = synthJson(s);
    expect(json.resource.terraform_data).toBeUndefined();
    const carriers = Object.values<any>(json.resource.null_resource);
    expect(carriers).toHaveLength(2);
    expect(carriers[0].triggers).toEqual({ hash: '${each.value.hash}', spec: '${each.value.spec}' });
    expect(carriers[0].provisioner[1]['local-exec']).toMatchObject({ when: 'destroy', environment: { CDKTF_KEYFACTOR_SPEC: '${self.triggers.spec}' } });
    expect(json.provider.null).toHaveLength(1);
    expect(json.terraform.required_providers.null).toBeDefined();
  });

  test('null_resource carrier per stack through KeyfactorDefaults; a construct can still choose terraform_data', () => {
    const s = stack();
    new KeyfactorDefaults(s, 'KeyfactorDefaults', { carrier: Carrier.nullResource() });
    deploy({}, s);
    new CertificateDeployment(s, 'override', { certificateId: 8, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE_B }], carrier: Carrier.terraformData() });
    const json = synthJson(s);
    expect(Object.keys(json.resource.null_resource)).toHaveLength(1);
    expect(Object.keys(json.resource.terraform_data)).toHaveLength(1);
  });

  test('props as another language may pass them: none at all, or a store id that is not a string', () => {
    expect(synthErrors(new CertificateDeployment(stack(), 'web-cert', undefined as any)))
      .toMatch(/^\[unit\/web-cert\] certificateId: must be an integer from 1 to 2147483647, got nothing \(CertificateDeployment\)\n\[unit\/web-cert\] schedule: is required/);
    expect(synthErrors(deploy({ stores: [{ certificateStoreId: 42 as any }] }))).toMatch(/^\[unit\/web-cert\] stores\[0\]\.certificateStoreId: must be a GUID .*, got 42 \(CertificateDeployment\)$/);
  });

  test('collectionId: 0 or more, rendered as given', () => {
    expect(synthErrors(deploy({ collectionId: -1 }))).toMatch(/^\[unit\/web-cert\] collectionId: must be an integer from 0 to 2147483647, got -1/);
    const s = stack();
    deploy({ collectionId: 0 }, s);
    const [carrier] = Object.values<any>(synthJson(s).resource.terraform_data);
    expect(JSON.parse(carrier.for_each[STORE_A].spec).collectionId).toBe(0);
  });

  test('entryPassword may come from a PAM provider (a KeyfactorAPISecret); pfxPassword may not (a plain string)', () => {
    const pam = Secret.fromPamProvider(1, { SecretName: 'entry' });
    const s = stack();
    deploy({ stores: [{ certificateStoreId: STORE_A, entryPassword: pam }] }, s);
    const [carrier] = Object.values<any>(synthJson(s).resource.terraform_data);
    expect(JSON.parse(carrier.for_each[STORE_A].spec).store.entryPassword).toEqual({ source: 'pam', provider: 1, parameters: { SecretName: 'entry' } });
    expect(synthErrors(deploy({ stores: [{ certificateStoreId: STORE_A, pfxPassword: pam }] })))
      .toMatch(/^\[unit\/web-cert\] stores\[0\]\.pfxPassword: this API field takes a plain string, so it cannot come from a PAM provider/);
  });

  test('removeOnDestroy is true unless set false', () => {
    const s = stack();
    deploy({}, s);
    const [carrier] = Object.values<any>(synthJson(s).resource.terraform_data);
    expect(JSON.parse(carrier.for_each[STORE_A].spec).removeOnDestroy).toBe(true);
  });

  test('the Wait carrier names the carrier whose instances (and their hashes) it reads from the configuration at apply', () => {
    const s = stack();
    const d = deploy({ stores: [{ certificateStoreId: STORE_A }, { certificateStoreId: STORE_B }], wait: WaitPolicy.forCompletion() }, s);
    const resources = synthJson(s).resource.terraform_data;
    const carrierName = Object.keys(resources).find((k) => k.startsWith('web-cert_Carrier_'))!;
    const wait = JSON.parse(resources[Object.keys(resources).find((k) => k.startsWith('web-cert_Wait_'))!].input.spec);
    expect(wait.carrier).toBe(`terraform_data.${carrierName}`);
    const hashOf = (store: string) => resources[carrierName].for_each[store].hash;
    expect([STORE_A, STORE_B].map(hashOf)).toEqual([STORE_A, STORE_B].map((id) => specHash(JSON.parse(resources[carrierName].for_each[id].spec))));
    expect(d.storeIds).toEqual([STORE_A, STORE_B]);
  });

  test('removeOnDestroy=false is recorded in the spec', () => {
    const s = stack();
    deploy({ removeOnDestroy: false }, s);
    const [carrier] = Object.values<any>(synthJson(s).resource.terraform_data);
    expect(JSON.parse(carrier.for_each[STORE_A].spec).removeOnDestroy).toBe(false);
  });
});
