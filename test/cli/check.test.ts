import { compare, Configuration, runCheck, StateResource } from '../../src/cli/check';
import { canonicalJson, SPEC_VERSION } from '../../src/contract/spec';
import { tempDir } from '../support/runtime';

/**
 * `cdktf-keyfactor check` on a state and a configuration written by hand: which deleted
 * constructs the next apply undoes, and which it would drop without their undo. (The whole
 * command, with terraform, is in test/end-to-end/deleted-construct.e2e.test.ts.)
 */
const S = '11111111-1111-4111-8111-000000000001';
const deployment = (path: string, more: Record<string, unknown> = {}) => canonicalJson({
  v: SPEC_VERSION,
  operation: 'CertificateDeployment',
  stack: 's',
  path,
  key: S,
  certificateId: 1,
  store: { certificateStoreId: S, alias: 'a' },
  schedule: { Immediate: true },
  removeOnDestroy: true,
  ...more,
});
const entry = (path: string, part: 'entry' | 'content') => canonicalJson({
  v: SPEC_VERSION,
  operation: 'PamLocalEntry',
  stack: 's',
  path,
  key: part === 'entry' ? '1/x' : 'content',
  part,
  providerId: 1,
  secretName: 'x',
  secretValue: { source: 'env', name: 'V' },
});

const carrier = (name: string, spec: string, type = 'terraform_data'): StateResource => ({
  address: `${type}.${name}["${S}"]`, type, name, index: S, values: { [type === 'terraform_data' ? 'input' : 'triggers']: { spec, hash: 'h' } },
});
const registered = (block: string, key: string, carrierAddress: string, spec: string): StateResource => ({
  address: `terraform_data.${block}["${key}"]`, type: 'terraform_data', name: block, index: key, values: { input: { spec, carrier: carrierAddress } },
});
/** A configuration with these carrier blocks and the registry blocks (instances in their locals), or none (null). */
const config = (carriers: string[], registry: Record<string, Record<string, unknown>> | null = {}): Configuration => ({
  resource: {
    terraform_data: {
      ...Object.fromEntries(carriers.map((c) => [c, {}])),
      ...(registry ? { KeyfactorUndo: {}, KeyfactorUndo1: {}, KeyfactorUndo2: {} } : {}),
    },
  },
  locals: registry ? { KeyfactorUndoInstances: registry, KeyfactorUndo1Instances: {}, KeyfactorUndo2Instances: {} } : {},
});

describe('check: state against the configuration about to be applied', () => {
  const web = deployment('s/web');
  const key = `s/web/Carrier[${S}]`;
  const state = [carrier('web_Carrier_1', web), registered('KeyfactorUndo1', key, 'terraform_data.web_Carrier_1', web)];

  test('a configured construct: nothing to say, with or without the registry', () => {
    expect(compare('s', config(['web_Carrier_1'], { [key]: {} }), state)).toEqual({ lost: [], pending: [] });
    expect(compare('s', config(['web_Carrier_1'], null), state)).toEqual({ lost: [], pending: [] });
  });

  test('deleted, with the registry configured: the apply undoes it (whichever block held it)', () => {
    expect(compare('s', config([]), state)).toEqual({ lost: [], pending: [{ stack: 's', label: `CertificateDeployment s/web [${S}]` }] });
  });

  test('deleted while a configured construct owns the same target as Terraform evaluated it (its store was a reference): said to stay', () => {
    // The configuration shows the new construct's store as a reference; the state holds the value Terraform gave it.
    const moved = { ...carrier('webv2_Carrier_1', deployment('s/web-v2', { key: 'k' })), address: 'terraform_data.webv2_Carrier_1["k"]' };
    expect(compare('s', config(['webv2_Carrier_1']), [...state, moved]).pending)
      .toEqual([{ stack: 's', label: `CertificateDeployment s/web [${S}]`, takenOverBy: 's/web-v2' }]);
    const elsewhere = { ...moved, values: { input: { spec: deployment('s/web-v2', { key: 'k', store: { certificateStoreId: S, alias: 'other' } }), hash: 'h' } } };
    expect(compare('s', config(['webv2_Carrier_1']), [...state, elsewhere]).pending).toEqual([{ stack: 's', label: `CertificateDeployment s/web [${S}]` }]);
  });

  test('deleted with the last Keyfactor construct (no registry block left): lost, registry gone', () => {
    expect(compare('s', config([], null), state).lost).toEqual([{ stack: 's', label: `CertificateDeployment s/web [${S}]`, why: 'registry-gone' }]);
  });

  test('deleted in the change that upgrades to the registry (no instance recorded): lost; only carriers with an undo count', () => {
    const old = [
      carrier('web_Carrier_1', web),
      carrier('kept_Carrier_1', deployment('s/kept', { removeOnDestroy: false })),
      carrier('secret_Carrier_1', entry('s/secret', 'entry')),
      carrier('secret_ContentCarrier_1', entry('s/secret', 'content')),
      carrier('nul_Carrier_1', deployment('s/nul'), 'null_resource'),
      { address: 'terraform_data.other', type: 'terraform_data', name: 'other', values: { input: 'not ours' } },
    ];
    expect(compare('s', config([]), old).lost.map((f) => [f.label, f.why])).toEqual([
      [`CertificateDeployment s/web [${S}]`, 'applied-before-registry'],
      ['PamLocalEntry s/secret [1/x]', 'applied-before-registry'],
      [`CertificateDeployment s/nul [${S}]`, 'applied-before-registry'],
    ]);
  });

  test('no synthesized stack: a clear error naming the fix', () => {
    const outdir = tempDir('kf-check-');
    expect(() => runCheck({ outdir }, process.env, () => undefined)).toThrow(`no synthesized stacks in ${outdir}: run \`cdktf synth\` first (or pass --outdir).`);
    expect(() => runCheck({ outdir, stack: ['missing'] }, process.env, () => undefined))
      .toThrow(/cannot read stack "missing": reading .*missing\/cdk\.tf\.json failed \(ENOENT\)\. Run `cdktf synth` first\./);
  });
});
