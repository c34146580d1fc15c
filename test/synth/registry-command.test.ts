import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Testing, TerraformStack } from 'cdktf';
import { CertificateDeployment, Schedule, WaitPolicy } from '../../src';
import { tempDir } from '../support/runtime';

/**
 * The undo registry's destroy command, as Terraform and the shell run it: on a stack destroy (its
 * carrier still configured) it ends without starting node; and it renders as valid HCL.
 */
const STORE = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

function deploy(stack: TerraformStack): void {
  new CertificateDeployment(stack, 'web', { certificateId: 7, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE }], wait: WaitPolicy.forCompletion() });
}

function terraform(dir: string, ...args: string[]): { status: number | null; output: string } {
  const res = spawnSync('terraform', [...args, '-input=false', '-no-color'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  return { status: res.status, output: res.stdout + res.stderr };
}

test('on destroy, a registry instance whose carrier is still configured ends in the shell; otherwise it runs the runner', () => {
  const stack = new TerraformStack(Testing.app(), 'unit');
  deploy(stack);
  const registry = JSON.parse(Testing.synth(stack)).resource.terraform_data.KeyfactorUndo.provisioner[0]['local-exec'];

  // The registry's own provisioner on a minimal configuration; the runner asset is absent, so starting node fails the destroy.
  const run = (configured: boolean) => {
    const dir = tempDir('kf-registry-command-');
    const resource: Record<string, unknown> = { KeyfactorUndo: { input: { carrier: 'terraform_data.web_Carrier_ABCD1234', spec: '{}' }, provisioner: [{ 'local-exec': registry }] } };
    if (configured) resource.web_Carrier_ABCD1234 = {};
    fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ resource: { terraform_data: resource } }, null, 2));
    expect(terraform(dir, 'init').status).toBe(0);
    expect(terraform(dir, 'apply', '-auto-approve').status).toBe(0);
    return terraform(dir, 'destroy', '-auto-approve');
  };
  expect(run(true)).toMatchObject({ status: 0, output: expect.stringContaining('Destroy complete!') });
  expect(run(false)).toMatchObject({ status: 1, output: expect.stringMatching(/Cannot find module .*runner\.cjs/) });
});

test('cdktf synth --hcl renders a stack that terraform accepts (init, validate)', () => {
  const outdir = tempDir('kf-hcl-');
  // As `cdktf synth --hcl` asks for it (each stack reads it when created).
  process.env.SYNTH_HCL_OUTPUT = 'true';
  try {
    const app = new App({ outdir, hclOutput: true });
    deploy(new TerraformStack(app, 'hcl'));
    app.synth();
  } finally {
    delete process.env.SYNTH_HCL_OUTPUT;
  }
  const dir = path.join(outdir, 'stacks', 'hcl');
  expect(fs.readFileSync(path.join(dir, 'cdk.tf'), 'utf8')).toContain('CDKTF_KEYFACTOR_CARRIER_KEY');
  expect(terraform(dir, 'init')).toMatchObject({ status: 0 });
  const validate = spawnSync('terraform', ['validate', '-no-color'], { cwd: dir, encoding: 'utf8' });
  expect({ status: validate.status, output: validate.stdout + validate.stderr }).toMatchObject({ status: 0, output: expect.stringContaining('The configuration is valid') });
});
