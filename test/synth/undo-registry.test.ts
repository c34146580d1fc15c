import { App, DataResource, Testing, TerraformStack } from 'cdktf';
import {
  Carrier, CertificateDeployment, CertificateStorePassword, KeyfactorDefaults, PamLocalEntry, PfxReplacement, Schedule, Secret,
} from '../../src';
import { configuredInstances } from '../../src/runtime/configuration';
import { caseVariant } from '../support/guid';

/** The stack's undo registry blocks (KeyfactorUndo, KeyfactorUndo1, KeyfactorUndo2): what deleting a construct runs. */
const A = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const B = 'f0e1d2c3-b4a5-4968-8776-655443322110';

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'unit');
}

/** The stack's blocks of `type`; a carrier's for_each is its instances map (the `locals` entry it names). */
function synth(s: TerraformStack, type = 'terraform_data'): Record<string, any> {
  const json = JSON.parse(Testing.synth(s));
  const blocks = json.resource?.[type] ?? {};
  for (const [name, block] of Object.entries<any>(blocks)) if (!name.startsWith('KeyfactorUndo')) block.for_each = configuredInstances(json, block);
  return blocks;
}

/** The instances of registry block `id` (a `locals` map its for_each points at). */
function instances(s: TerraformStack, id = 'KeyfactorUndo'): Record<string, { carrier: string; spec: string }> {
  return JSON.parse(Testing.synth(s)).locals[`${id}Instances`];
}

function deploy(s: TerraformStack, id: string, more: Record<string, unknown> = {}): CertificateDeployment {
  const props = { certificateId: 7, schedule: Schedule.immediate(), stores: [{ certificateStoreId: A, alias: id }], ...more };
  return new CertificateDeployment(s, id, props);
}

function entry(s: TerraformStack, id: string, more: Record<string, unknown> = {}): PamLocalEntry {
  return new PamLocalEntry(s, id, { providerId: 1, secretName: id, secretValue: Secret.fromEnv('V'), ...more });
}

describe('the undo registry', () => {
  test('one instance per carrier instance with an undo, holding its spec and carrier; destroy-only, running `orphan`', () => {
    const s = stack();
    deploy(s, 'web', { stores: [{ certificateStoreId: A }, { certificateStoreId: caseVariant(B) }] });
    entry(s, 'db');
    const resources = synth(s);
    const registry = resources.KeyfactorUndo;
    const [web, db] = ['web_Carrier_', 'db_Carrier_'].map((prefix) => Object.keys(resources).find((k) => k.startsWith(prefix))!);
    expect(registry.for_each).toBe('${local.KeyfactorUndoInstances}');
    // Copies of the specs (HCL output refers to them instead: test/end-to-end/hcl-exit.e2e.test.ts).
    expect(instances(s)).toEqual({
      [`unit/web/Carrier[${A}]`]: { carrier: `terraform_data.${web}`, spec: resources[web].for_each[A].spec },
      [`unit/web/Carrier[${B}]`]: { carrier: `terraform_data.${web}`, spec: resources[web].for_each[B].spec },
      'unit/db/Carrier[1/db]': { carrier: `terraform_data.${db}`, spec: resources[db].for_each['1/db'].spec },
    });
    expect(registry.input).toEqual({ carrier: '${each.value.carrier}', spec: '${each.value.spec}' });
    expect(registry.provisioner).toHaveLength(1);
    expect(registry.provisioner[0]['local-exec']).toMatchObject({
      when: 'destroy',
      environment: {
        CDKTF_KEYFACTOR_SPEC: '${self.input.spec}',
        CDKTF_KEYFACTOR_CARRIER: '${self.input.carrier}',
      },
    });
    // Always the runner: only it can tell a carrier whose interrupted create left it tainted (test/end-to-end/cancelled-apply).
    expect(registry.provisioner[0]['local-exec'].command).toMatch(/^exec node "assets\/KeyfactorRunner\/[0-9A-F]+\/runner\.cjs" orphan$/);
  });

  test('constructs without an undo keep the registry (empty), so deleting the last one with an undo still runs it', () => {
    const s = stack();
    new CertificateStorePassword(s, 'pw', { certStoreId: A, newPassword: Secret.fromEnv('P') });
    new PfxReplacement(s, 'pfx', { existingCertificateId: 1, certificateId: 7 });
    deploy(s, 'kept', { removeOnDestroy: false });
    entry(s, 'kept-entry', { deleteOnDestroy: false });
    expect(Object.keys(synth(s)).filter((id) => id.startsWith('KeyfactorUndo'))).toEqual(['KeyfactorUndo', 'KeyfactorUndo1', 'KeyfactorUndo2']);
    expect(['KeyfactorUndo', 'KeyfactorUndo1', 'KeyfactorUndo2'].map((id) => instances(s, id))).toEqual([{}, {}, {}]);
  });

  test('KeyfactorDefaults alone keeps a stack\'s registry; a stack with nothing of ours has none', () => {
    const app = Testing.app();
    const withDefaults = new TerraformStack(app, 'with');
    new KeyfactorDefaults(withDefaults, 'KeyfactorDefaults');
    expect(Object.keys(synth(withDefaults))).toEqual(['KeyfactorUndo', 'KeyfactorUndo1', 'KeyfactorUndo2']);
    expect(synth(new TerraformStack(app, 'without'))).toEqual({});
    // Defaults set on the app (for every stack) need no stack of their own.
    expect(() => new KeyfactorDefaults(new App({ outdir: Testing.app().outdir }), 'Defaults')).not.toThrow();
  });

  test('a construct that depends on one with an undo is undone first: one block further, blocks chained by depends_on', () => {
    const s = stack();
    const secret = entry(s, 'secret');
    // Through a construct without an undo: the password set from the secret, then the deployment.
    const password = new CertificateStorePassword(s, 'pw', { certStoreId: A, newPassword: Secret.fromPamProvider(1, { SecretName: 'secret' }), dependsOn: [secret] });
    const web = deploy(s, 'web', { dependsOn: [password] });
    const api = deploy(s, 'api', { dependsOn: [web], stores: [{ certificateStoreId: B, alias: 'api' }] });
    deploy(s, 'deeper', { dependsOn: [api], stores: [{ certificateStoreId: B, alias: 'deeper' }] });
    deploy(s, 'alone', { stores: [{ certificateStoreId: B, alias: 'alone' }] });
    const resources = synth(s);
    const paths = (id: string) => Object.keys(instances(s, id)).map((k) => k.replace(/\/Carrier\[.*$/, '')).sort();
    expect(paths('KeyfactorUndo')).toEqual(['unit/alone', 'unit/secret']);
    expect(paths('KeyfactorUndo1')).toEqual(['unit/web']);
    // Past the last block, the rest share it (their undos run together).
    expect(paths('KeyfactorUndo2')).toEqual(['unit/api', 'unit/deeper']);
    expect(resources.KeyfactorUndo.depends_on).toBeUndefined();
    expect(resources.KeyfactorUndo1.depends_on).toEqual(['terraform_data.KeyfactorUndo']);
    expect(resources.KeyfactorUndo2.depends_on).toEqual(['terraform_data.KeyfactorUndo1']);
  });

  test('each block depends on what its constructs depend on outside this library, so an undo runs before that is destroyed', () => {
    const s = stack();
    const store = new DataResource(s, 'store', { input: { standsInFor: 'keyfactor_certificate_store' } });
    const provider = new DataResource(s, 'provider', { input: { standsInFor: 'the PAM provider' } });
    const secret = entry(s, 'secret', { dependsOn: [provider] });
    deploy(s, 'web', { dependsOn: [store, secret] });
    const resources = synth(s);
    expect(resources.KeyfactorUndo.depends_on).toEqual(['terraform_data.provider']);
    expect(resources.KeyfactorUndo1.depends_on).toEqual(['terraform_data.KeyfactorUndo', 'terraform_data.store']);
  });

  test('null_resource when the stack\'s default carrier is', () => {
    const s = stack();
    new KeyfactorDefaults(s, 'KeyfactorDefaults', { carrier: Carrier.nullResource() });
    deploy(s, 'web');
    const resources = synth(s, 'null_resource');
    const web = Object.keys(resources).find((k) => k.startsWith('web_Carrier_'))!;
    expect(instances(s)[`unit/web/Carrier[${A}]`]).toEqual({ carrier: `null_resource.${web}`, spec: resources[web].for_each[A].spec });
    expect(resources.KeyfactorUndo.triggers).toEqual({ carrier: '${each.value.carrier}', spec: '${each.value.spec}' });
    expect(resources.KeyfactorUndo.provisioner[0]['local-exec'].environment).toMatchObject({
      CDKTF_KEYFACTOR_SPEC: '${self.triggers.spec}', CDKTF_KEYFACTOR_CARRIER: '${self.triggers.carrier}',
    });
    expect(synth(s)).toEqual({});
  });
});
