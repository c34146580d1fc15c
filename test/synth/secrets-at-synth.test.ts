import * as fs from 'fs';
import * as path from 'path';
import { App, TerraformStack, TerraformVariable } from 'cdktf';
import { CertificateDeployment, CertificateStorePassword, PamLocalEntry, PfxReplacement, Schedule, Secret } from '../../src';
import { tempDir } from '../support/runtime';

/**
 * The secrets are in the environment while the app synthesizes, as they are on a developer's
 * machine or a pipeline that runs `cdktf deploy`: no construct may read a value into cdk.tf.json
 * or anything else cdktf writes.
 */
const SECRETS = {
  ENTRY_PW: 'canary-synth-entry-1d4c',
  PFX_PW: 'canary-synth-pfx-2e5d',
  STORE_PW: 'canary-synth-store-3f6e',
  REPLACE_PW: 'canary-synth-replace-4a7f',
  PAM_VALUE: 'canary-synth-pam-5b80',
  TF_VAR_pfx_var: 'canary-synth-tfvar-6c91',
  TF_VAR_pam_var: 'canary-synth-tfvar-7da2',
};
const STORE = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

describe('secrets in the environment at synth', () => {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [k, v] of Object.entries(SECRETS)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test('no secret-bearing field of any construct reads its value at synth', () => {
    const outdir = tempDir('kf-synth-');
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'synth-secrets');
    const pfxVar = new TerraformVariable(stack, 'pfx_var', { type: 'string', sensitive: true });
    const pamVar = new TerraformVariable(stack, 'pam_var', { type: 'string', sensitive: true });
    new CertificateDeployment(stack, 'env', {
      certificateId: 1,
      schedule: Schedule.immediate(),
      stores: [{ certificateStoreId: STORE, includePrivateKey: true, entryPassword: Secret.fromEnv('ENTRY_PW'), pfxPassword: Secret.fromEnv('PFX_PW') }],
    });
    new CertificateDeployment(stack, 'var', {
      certificateId: 2,
      schedule: Schedule.immediate(),
      stores: [{ certificateStoreId: STORE, includePrivateKey: true, pfxPassword: Secret.fromVariable(pfxVar) }],
    });
    new CertificateStorePassword(stack, 'pw', { certStoreId: STORE, newPassword: Secret.fromEnv('STORE_PW') });
    new PfxReplacement(stack, 'replace', { existingCertificateId: 1, certificateId: 3, password: Secret.fromEnv('REPLACE_PW') });
    new PamLocalEntry(stack, 'pam-env', { providerId: 1, secretName: 'a', secretValue: Secret.fromEnv('PAM_VALUE') });
    new PamLocalEntry(stack, 'pam-var', { providerId: 1, secretName: 'b', secretValue: Secret.fromVariable(pamVar) });
    app.synth();

    const written = filesText(outdir);
    const config = fs.readFileSync(path.join(outdir, 'stacks', 'synth-secrets', 'cdk.tf.json'), 'utf8');
    // The references are there (so the constructs did render the fields)...
    for (const name of ['ENTRY_PW', 'PFX_PW', 'STORE_PW', 'REPLACE_PW', 'PAM_VALUE']) expect(config).toContain(`"name\\":\\"${name}\\"`);
    expect(config).toContain('${var.pfx_var}');
    expect(config).toContain('${var.pam_var}');
    // ...the values are not, anywhere cdktf wrote.
    for (const value of Object.values(SECRETS)) expect({ value, leaked: written.includes(value) }).toEqual({ value, leaked: false });
  });
});

function filesText(p: string): string {
  if (fs.statSync(p).isDirectory()) return fs.readdirSync(p).map((e) => filesText(path.join(p, e))).join('\n');
  return fs.readFileSync(p, 'utf8');
}
