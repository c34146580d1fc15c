import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, TerraformStack } from 'cdktf';
import { CertificateDeployment, Schedule, WaitPolicy } from '../../src';
import { tempDir } from '../support/runtime';

/**
 * The undo registry's destroy command renders as HCL that Terraform accepts.
 */
const STORE = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

function deploy(stack: TerraformStack): void {
  new CertificateDeployment(stack, 'web', { certificateId: 7, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE }], wait: WaitPolicy.forCompletion() });
}

function terraform(dir: string, ...args: string[]): { status: number | null; output: string } {
  const res = spawnSync('terraform', [...args, '-input=false', '-no-color'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  return { status: res.status, output: res.stdout + res.stderr };
}

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
  expect(fs.readFileSync(path.join(dir, 'cdk.tf'), 'utf8')).toContain('orphan');
  expect(terraform(dir, 'init')).toMatchObject({ status: 0 });
  const validate = spawnSync('terraform', ['validate', '-no-color'], { cwd: dir, encoding: 'utf8' });
  expect({ status: validate.status, output: validate.stdout + validate.stderr }).toMatchObject({ status: 0, output: expect.stringContaining('The configuration is valid') });
});
