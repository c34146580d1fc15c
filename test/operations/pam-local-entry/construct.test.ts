import { Testing, TerraformStack } from 'cdktf';
import { Carrier, KeyfactorDefaults, PamLocalEntry, PamLocalEntryProps, Secret } from '../../../src';
import { synthJson, synthErrors } from '../../support/synth';

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'unit');
}

function entry(props: Partial<PamLocalEntryProps>, s: TerraformStack = stack()) {
  return new PamLocalEntry(s, 'db', {
    providerId: 1,
    secretName: 'DB-Password',
    description: 'database password',
    secretValue: Secret.fromEnv('DB_SECRET'),
    ...props,
  } as PamLocalEntryProps);
}

/** The entry and content carriers of the construct `db`. */
function carriers(s: TerraformStack, type = 'terraform_data'): { entry: any; content: any; json: any } {
  const json = synthJson(s);
  const resources = json.resource[type];
  const entryName = Object.keys(resources).find((k) => /^db_Carrier_/.test(k))!;
  const contentName = Object.keys(resources).find((k) => /^db_ContentCarrier_/.test(k))!;
  return { entry: { name: entryName, ...resources[entryName] }, content: { name: contentName, ...resources[contentName] }, json };
}

describe('PamLocalEntry synth-time validation', () => {
  const cases: Array<[string, Partial<PamLocalEntryProps>, RegExp]> = [
    ['provider id 0', { providerId: 0 }, /^\[unit\/db\] providerId: must be an integer from 1 to 2147483647, got 0/],
    ['provider id above int32', { providerId: 2147483648 }, /^\[unit\/db\] providerId: must be an integer from 1 to 2147483647/],
    ['provider id not an integer', { providerId: 1.5 }, /^\[unit\/db\] providerId: must be an integer/],
    ['missing provider id', { providerId: undefined }, /^\[unit\/db\] providerId: must be an integer .*got nothing/],
    ['empty secret name', { secretName: '' }, /^\[unit\/db\] secretName: must be a non-empty string/],
    ['missing secret name', { secretName: undefined }, /^\[unit\/db\] secretName: must be a non-empty string, got nothing/],
    ['secret name over 400 characters', { secretName: 'n'.repeat(401) }, /^\[unit\/db\] secretName: must be at most 400 characters, got 401/],
    ['description over 2000 characters', { description: 'd'.repeat(2001) }, /^\[unit\/db\] description: must be at most 2000 characters, got 2001/],
    ['description not a string', { description: 42 as any }, /^\[unit\/db\] description: must be a string, got 42/],
    ['missing value', { secretValue: undefined }, /^\[unit\/db\] secretValue: must be a Secret reference/],
    ['literal value', { secretValue: 's3cret' as any }, /^\[unit\/db\] secretValue: must be a Secret reference such as Secret\.fromEnv\("NAME"\), never a literal value/],
    ['value from a PAM provider', { secretValue: Secret.fromPamProvider(1, { SecretName: 'x' }) }, /^\[unit\/db\] secretValue: this API field takes a plain string, so it cannot come from a PAM provider: use Secret\.fromEnv/],
    ['bad environment variable name', { secretValue: Secret.fromEnv('DB SECRET') }, /^\[unit\/db\] secretValue: Secret\.fromEnv needs a valid environment variable name/],
    ['empty rotation key', { rotationKey: '' }, /^\[unit\/db\] rotationKey: must be a non-empty string/],
    ['deleteOnDestroy not a boolean', { deleteOnDestroy: 'no' as any }, /^\[unit\/db\] deleteOnDestroy: must be true or false, got "no"/],
  ];

  test.each(cases)('%s', (_name, props, expected) => {
    expect(synthErrors(entry(props))).toMatch(expected);
  });

  test('a description of exactly 2000 characters and a name of 400 are accepted', () => {
    expect(synthErrors(entry({ description: 'd'.repeat(2000), secretName: 'n'.repeat(400) }))).toBe('');
  });

  test('several problems are reported together', () => {
    expect(synthErrors(entry({ providerId: 0, secretName: '', secretValue: Secret.fromPamProvider(1, {}) })))
      .toMatch(/\[unit\/db\] providerId: .*\n\[unit\/db\] secretName: .*\n\[unit\/db\] secretValue: /);
  });
});

describe('PamLocalEntry rendering', () => {
  test('entry carrier: one instance keyed by provider and lower-cased name, create + destroy, never replaced in place', () => {
    const s = stack();
    entry({ rotationKey: 'r1' }, s);
    const { entry: e } = carriers(s);
    expect(Object.keys(e.for_each)).toEqual(['1/db-password']);
    const spec = JSON.parse(e.for_each['1/db-password'].spec);
    expect(spec).toEqual({
      v: 1,
      operation: 'PamLocalEntry',
      stack: 'unit',
      path: 'unit/db',
      key: '1/db-password',
      part: 'entry',
      providerId: 1,
      secretName: 'DB-Password',
      description: 'database password',
      secretValue: { source: 'env', name: 'DB_SECRET' },
    });
    // Only a new key (name or provider) makes a new instance; nothing else replaces one.
    expect(e.triggers_replace).toEqual({ instance: '${each.key}' });
    expect(e.lifecycle).toBeUndefined();
    expect(e.provisioner.map((p: any) => p['local-exec'].when ?? 'create')).toEqual(['create', 'destroy']);
    expect(e.provisioner[1]['local-exec'].environment.CDKTF_KEYFACTOR_SPEC).toBe('${self.input.spec}');
  });

  test('content carrier: create-only, create-before-destroy, after the entry, carries rotationKey', () => {
    const s = stack();
    entry({ rotationKey: 'r1' }, s);
    const { entry: e, content: c } = carriers(s);
    const spec = JSON.parse(c.input.spec);
    expect(spec).toMatchObject({ part: 'content', key: 'content', secretName: 'DB-Password', description: 'database password', rotationKey: 'r1', secretValue: { source: 'env', name: 'DB_SECRET' } });
    expect(spec.deleteOnDestroy).toBeUndefined();
    expect(c.for_each).toBeUndefined();
    expect(c.input.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(c.triggers_replace).toEqual({ hash: c.input.hash });
    expect(c.lifecycle).toEqual({ create_before_destroy: true });
    expect(c.depends_on).toEqual([`terraform_data.${e.name}`]);
    expect(c.provisioner).toHaveLength(1);
    expect(c.provisioner[0]['local-exec'].command).toMatch(/runner\.cjs" create$/);
  });

  test('description and rotationKey changes touch only the content carrier; a rename re-keys the entry', () => {
    const render = (props: Partial<PamLocalEntryProps>) => {
      const s = stack();
      entry(props, s);
      const { entry: e, content: c } = carriers(s);
      return { key: Object.keys(e.for_each)[0], content: c.input.hash };
    };
    const base = render({});
    const described = render({ description: 'changed' });
    const rotated = render({ rotationKey: '2026-11' });
    expect(described.key).toBe(base.key);
    expect(rotated.key).toBe(base.key);
    expect(described.content).not.toBe(base.content);
    expect(rotated.content).not.toBe(base.content);
    expect(render({ secretName: 'db-password' }).key).toBe(base.key); // case only: same entry
    expect(render({ secretName: 'db-password-v2' }).key).toBe('1/db-password-v2');
    expect(render({ providerId: 3 }).key).toBe('3/db-password');
  });

  test('deleteOnDestroy false: the entry carrier has no destroy provisioner', () => {
    const s = stack();
    entry({ deleteOnDestroy: false }, s);
    const { entry: e } = carriers(s);
    expect(e.provisioner).toHaveLength(1);
    expect(e.provisioner[0]['local-exec'].when).toBeUndefined();
  });

  test('no secret value is synthesized: only the variable name', () => {
    process.env.DB_SECRET_UNIT_CANARY = 'canary-unit-4f2a';
    const s = stack();
    entry({ secretValue: Secret.fromEnv('DB_SECRET_UNIT_CANARY') }, s);
    const text = Testing.synth(s);
    expect(text).toContain('DB_SECRET_UNIT_CANARY');
    expect(text).not.toContain('canary-unit-4f2a');
    delete process.env.DB_SECRET_UNIT_CANARY;
  });

  test('public properties', () => {
    const construct = entry({});
    expect(construct.providerId).toBe(1);
    expect(construct.secretName).toBe('DB-Password');
    expect(construct.entryCarrier.terraformResourceType).toBe('terraform_data');
    expect(construct.contentCarrier.terraformResourceType).toBe('terraform_data');
  });

  test('null_resource carrier (per stack): entry ignores trigger changes, content is create-before-destroy', () => {
    const s = stack();
    new KeyfactorDefaults(s, 'KeyfactorDefaults', { carrier: Carrier.nullResource() });
    entry({}, s);
    const { entry: e, content: c, json } = carriers(s, 'null_resource');
    expect(json.resource.terraform_data).toBeUndefined();
    expect(Object.keys(e.for_each)).toEqual(['1/db-password']);
    expect(e.lifecycle).toEqual({ ignore_changes: ['triggers'] });
    expect(e.provisioner).toHaveLength(2);
    expect(c.lifecycle).toEqual({ create_before_destroy: true });
    expect(c.depends_on).toEqual([`null_resource.${e.name}`]);
    expect(json.provider.null).toHaveLength(1);
  });

  test('two entries in one stack get distinct carriers', () => {
    const s = stack();
    entry({}, s);
    new PamLocalEntry(s, 'api', { providerId: 1, secretName: 'api-key', secretValue: Secret.fromEnv('API_KEY') });
    expect(Object.keys(synthJson(s).resource.terraform_data)).toHaveLength(4);
  });
});
