import * as fs from 'fs';
import * as path from 'path';
import { CARRIER_ENV, SPEC_ENV } from '../../src/contract/environment';
import { canonicalJson, SPEC_VERSION } from '../../src/contract/spec';
import { Ledger } from '../../src/ledger';
import type { PamLocalEntrySpec } from '../../src/operations/pam-local-entry/spec';
import { deletedConstructDecision } from '../../src/runner/deleted-construct';
import { run } from '../../src/runner/main';
import { basicEnv, captureOutput, deploymentSpec, runInProcess, S1, startSim, tempDir } from '../support/runtime';

/** What the undo registry's destroy (`runner.cjs orphan`) decides from the configuration being applied. */
const web = deploymentSpec('web');
const secret: PamLocalEntrySpec = {
  v: SPEC_VERSION,
  operation: 'PamLocalEntry',
  stack: 't',
  path: 't/secret',
  key: '1/db-password',
  part: 'entry',
  providerId: 1,
  secretName: 'DB-Password',
  secretValue: { source: 'env', name: 'V' },
};
const WEB_CARRIER = 'terraform_data.web_Carrier_8FBC246C';

/**
 * A stack directory whose cdk.tf.json configures `blocks` (name -> instance specs) as carriers of
 * `type`, rendered as synth renders them: for_each names a `locals` map of the instances.
 */
function configDir(blocks: Record<string, unknown[]>, type = 'terraform_data'): string {
  const dir = tempDir('kf-orphan-');
  const entries = Object.entries(blocks);
  const resource = { [type]: Object.fromEntries(entries.map(([name]) => [name, { for_each: `\${local.${name}Instances}` }])) };
  const locals = Object.fromEntries(entries.map(([name, specs]) =>
    [`${name}Instances`, Object.fromEntries(specs.map((spec, i) => [String(i), { spec: canonicalJson(spec), hash: 'h' }]))]));
  fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ resource, locals }));
  return dir;
}

describe('the undo registry decides from the configuration', () => {
  test('a carrier whose for_each names no instances map: no guess, an error naming the block', () => {
    const dir = configDir({});
    fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ resource: { terraform_data: { other_Carrier_1: { for_each: '${local.gone}' } } } }));
    expect(() => deletedConstructDecision(web, WEB_CARRIER, dir))
      .toThrow('cannot tell which constructs are configured: the for_each of terraform_data.other_Carrier_1 in the configuration names no instances map.');
  });

  test('the carrier block still configured (stack destroy, a store dropped, a changed spec): the carrier undoes, not the registry', () => {
    expect(deletedConstructDecision(web, WEB_CARRIER, configDir({ web_Carrier_8FBC246C: [] }))).toEqual({ undo: false, reason: 'configured' });
    expect(deletedConstructDecision(web, 'null_resource.web_Carrier_8FBC246C', configDir({ web_Carrier_8FBC246C: [] }, 'null_resource')))
      .toEqual({ undo: false, reason: 'configured' });
  });

  test('the carrier gone and nothing else owning its target: undo', () => {
    const unrelated = { ...web, path: 't/api', store: { certificateStoreId: S1, alias: 'api' } };
    expect(deletedConstructDecision(web, WEB_CARRIER, configDir({ api_Carrier_1: [unrelated], other_Carrier: [secret] }))).toEqual({ undo: true });
    // A block of the same type under another name is not the carrier.
    expect(deletedConstructDecision(web, WEB_CARRIER, configDir({ web_Carrier_OTHER: [] }))).toEqual({ undo: true });
  });

  test('renamed or moved (another construct deploys to the same store and alias, or to that store without an alias): left in place', () => {
    const moved = { ...web, path: 't/web-v2' };
    expect(deletedConstructDecision(web, WEB_CARRIER, configDir({ webv2_Carrier_1: [moved] }))).toEqual({ undo: false, reason: 'taken-over', by: moved });
    const noAlias = { ...web, path: 't/any', store: { certificateStoreId: S1 } };
    expect(deletedConstructDecision(web, WEB_CARRIER, configDir({ any_Carrier_1: [noAlias] }))).toMatchObject({ reason: 'taken-over' });
    expect(deletedConstructDecision({ ...web, store: { certificateStoreId: S1 } }, WEB_CARRIER, configDir({ api_Carrier_1: [{ ...web, path: 't/api' }] })))
      .toMatchObject({ reason: 'taken-over' });
  });

  test('a PAM entry: the same provider and name in any case is taken over; the content part or another provider is not', () => {
    const dir = (spec: PamLocalEntrySpec) => configDir({ renamed_Carrier_1: [spec] });
    expect(deletedConstructDecision(secret, 'terraform_data.secret_Carrier_1', dir({ ...secret, path: 't/moved', secretName: 'db-password' })))
      .toMatchObject({ reason: 'taken-over' });
    expect(deletedConstructDecision(secret, 'terraform_data.secret_Carrier_1', dir({ ...secret, path: 't/moved', part: 'content', key: 'content' })))
      .toEqual({ undo: true });
    expect(deletedConstructDecision(secret, 'terraform_data.secret_Carrier_1', dir({ ...secret, path: 't/moved', providerId: 2 }))).toEqual({ undo: true });
  });

  test('no configuration to read, or no carrier address: a clear error rather than a guess (undoing twice or not at all)', () => {
    const empty = tempDir('kf-orphan-');
    expect(() => deletedConstructDecision(web, WEB_CARRIER, empty)).toThrow(
      new RegExp(`cannot tell whether t/web was deleted from the code: reading ${empty}/cdk\\.tf\\.json failed \\(ENOENT\\)`));
    fs.writeFileSync(path.join(empty, 'cdk.tf.json'), '{"resource": ');
    expect(() => deletedConstructDecision(web, WEB_CARRIER, empty)).toThrow(/cdk\.tf\.json is not JSON \(Unexpected end of JSON input\)/);
    expect(() => deletedConstructDecision(web, undefined, configDir({}))).toThrow(/did not pass its carrier address \(CDKTF_KEYFACTOR_CARRIER\)/);
  });

  test('from hand-edited HCL: a spec written as a bare jsonencode, or holding a reference, still shows who owns the target; one it cannot read is an error', () => {
    const dir = tempDir('kf-orphan-hcl-');
    const hcl = (spec: string) => fs.writeFileSync(path.join(dir, 'main.tf'), [
      'locals {',
      '  renamed = {',
      `    "1/db-password" = { spec = ${spec} }`,
      '  }',
      '}',
      'resource "terraform_data" "secret_v2" {',
      '  for_each = local.renamed',
      '  input    = { spec = each.value.spec }',
      '}',
    ].join('\n'));
    const renamed = { ...secret, path: 't/secret-v2' };
    const { secretValue: _object, ...scalars } = renamed;
    const literal = Object.entries(scalars).map(([k, v]) => `"${k}" = ${JSON.stringify(v)}`).join(', ');
    const value = '"secretValue" = { "name" = "V", "source" = "env" }';
    // Bare, as tflint would have it: read like cdktf's quoted form.
    hcl(`jsonencode({ ${literal}, ${value} })`);
    expect(deletedConstructDecision(secret, 'terraform_data.secret_Carrier_1', dir)).toMatchObject({ undo: false, reason: 'taken-over', by: { path: 't/secret-v2' } });
    // A reference added by hand: the literal values still show the same secret, so no DELETE (uncertain).
    hcl(`jsonencode({ ${literal.replace('"providerId" = 1', '"providerId" = var.provider')}, ${value} })`);
    expect(deletedConstructDecision({ ...secret }, 'terraform_data.secret_Carrier_1', dir)).toMatchObject({ undo: false, reason: 'uncertain', candidates: [{ path: 't/secret-v2' }] });
    // Not a form the runner reads: no guess.
    hcl('jsonencode(local.somewhere_else)');
    expect(() => deletedConstructDecision(secret, 'terraform_data.secret_Carrier_1', dir))
      .toThrow('cannot tell which constructs are configured: the spec of terraform_data.secret_v2["1/db-password"] is an expression the runner does not read');
  });

  test('`runner.cjs orphan`: still configured, it exits 0 having sent nothing and written nothing; taken over, it records a skip', async () => {
    const ledger = tempDir('kf-orphan-ledger-');
    // No connection settings at all: any request would fail the run.
    const env = { CDKTF_KEYFACTOR_LEDGER_DIR: ledger, [SPEC_ENV]: canonicalJson(web), [CARRIER_ENV]: WEB_CARRIER };
    const cwd = process.cwd();
    const out = captureOutput();
    try {
      process.chdir(configDir({ web_Carrier_8FBC246C: [] }));
      expect(await run(['orphan'], env)).toBe(0);
      expect(Ledger.read(ledger)).toEqual([]);
      process.chdir(configDir({ webv2_Carrier_1: [{ ...web, path: 't/web-v2' }] }));
      expect(await run(['orphan'], env)).toBe(0);
    } finally {
      process.chdir(cwd);
      out.restore();
    }
    expect(Ledger.read(ledger).map((r) => [r.phase, r.outcome, r.constructPath, r.message])).toEqual([
      ['destroy', 'skipped', 't/web', 'deleted from the code, but t/web-v2 now owns the same target (renamed or moved): left in place, not undone'],
    ]);
    expect(out.text()).toContain('t/web-v2 now owns the same target');
  });

  test('`runner.cjs orphan` with a candidate whose alias is a reference: decided by the value its ledger record holds, else a failure naming it', async () => {
    const sim = await startSim();
    const ledger = tempDir('kf-orphan-ref-');
    const env = { ...basicEnv(sim), CDKTF_KEYFACTOR_LEDGER_DIR: ledger, CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0' };
    const cwd = process.cwd();
    // The configuration shows web-v2's alias as a reference: null to the runner.
    const candidate = (alias: string) => deploymentSpec(alias, { path: 't/web-v2', key: 'v2' });
    const dir = tempDir('kf-orphan-ref-config-');
    const known = canonicalJson({ ...candidate('x'), store: { certificateStoreId: S1, alias: null } });
    fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({
      resource: { terraform_data: { webv2_Carrier_1: { for_each: '${local.v2}' } } },
      locals: { v2: { v2: { spec: '${jsonencode({ alias = var.alias })}', known } } },
    }));
    const orphan = async () => {
      const out = captureOutput();
      try {
        process.chdir(dir);
        return { code: await run(['orphan'], { ...env, [SPEC_ENV]: canonicalJson(web), [CARRIER_ENV]: WEB_CARRIER }), output: out.text() };
      } finally {
        process.chdir(cwd);
        out.restore();
      }
    };
    try {
      // No record of web-v2 yet: neither undone nor skipped, a failure that names it (the next apply decides again).
      let res = await orphan();
      expect(res.code).toBe(1);
      expect(res.output).toContain('deleted from the code, but t/web-v2 may own the same target: its target is a Terraform reference, and no ledger record');
      expect(sim.received('POST', '/CertificateStores/Certificates/Remove')).toHaveLength(0);
      // Its create recorded the alias Terraform gave it, the same as the deleted one's: taken over, nothing sent.
      expect((await runInProcess({ ...env, [SPEC_ENV]: canonicalJson(candidate('web')) })).code).toBe(0);
      res = await orphan();
      expect(res.code).toBe(0);
      expect(res.output).toContain('t/web-v2 now owns the same target');
      expect(sim.received('POST', '/CertificateStores/Certificates/Remove')).toHaveLength(0);
    } finally {
      await sim.stop();
    }
  });
});
