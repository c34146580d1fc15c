import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, TerraformStack, Testing } from 'cdktf';
import {
  CertificateDeployment, CertificateStorePassword, CertificateStoreReenrollment, PamLocalEntry, PfxReplacement, Schedule, Secret,
} from '../../src';
import { tempDir } from '../support/runtime';
import { synthErrors } from '../support/synth';

const STORE = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

/**
 * An app with mistakes in two stacks, synthesized as cdktf-cli runs an app: with
 * CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS set, so synth writes everything and the CLI prints the
 * manifest's annotations (one `ERROR [path]: message` line each, plus the stack trace, if any).
 */
function synthLikeTheCli(): { outdir: string; manifest: any } {
  const outdir = tempDir('kf-invalid-');
  const saved = process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
  process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = 'true';
  try {
    const app = new App({ outdir });
    const one = new TerraformStack(app, 'one');
    new CertificateDeployment(one, 'good', { certificateId: 7, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE }] });
    new CertificateDeployment(one, 'web', {
      certificateId: 0, schedule: Schedule.daily('25:00'), stores: [{ certificateStoreId: 'web-01', alias: 'alias-canary', jobFields: { Path: 'path-canary' } }],
    });
    new CertificateStorePassword(one, 'pw', { certStoreId: STORE, newPassword: 'literal-canary' as any });
    const two = new TerraformStack(app, 'two');
    new PamLocalEntry(two, 'db', { providerId: 0, secretName: '', secretValue: Secret.fromEnv('V') });
    app.synth();
    return { outdir, manifest: JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) };
  } finally {
    if (saved === undefined) delete process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
    else process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = saved;
  }
}

describe('invalid props', () => {
  const { outdir, manifest } = synthLikeTheCli();

  test('every problem of every construct in every stack is one error annotation, without a stack trace', () => {
    const errors = Object.values<any>(manifest.stacks).flatMap((s) => s.annotations).filter((a) => a.level === '@cdktf/error');
    expect(errors.map((a) => `[${a.constructPath}] ${a.message}`)).toEqual([
      '[one/web] certificateId: must be an integer from 1 to 2147483647, got 0 (CertificateDeployment)',
      '[one/web] schedule.time: must be a UTC time of day like 03:00 or 23:30:00 (or an ISO 8601 UTC date-time, whose date is not used), got "25:00" (CertificateDeployment)',
      '[one/web] stores[0].certificateStoreId: must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got "web-01" (CertificateDeployment)',
      '[one/pw] newPassword: must be a Secret reference such as Secret.fromEnv("NAME"), never a literal value (CertificateStorePassword)',
      '[two/db] providerId: must be an integer from 1 to 2147483647, got 0 (PamLocalEntry)',
      '[two/db] secretName: must be a non-empty string, got "" (PamLocalEntry)',
    ]);
    for (const e of errors) expect(e.stacktrace).toBeUndefined();
  });

  test('what is written carries none of an invalid construct\'s props, and Terraform refuses to plan it', () => {
    const stackDir = path.join(outdir, 'stacks', 'one');
    const written = fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8');
    for (const canary of ['alias-canary', 'path-canary', 'literal-canary', 'web-01']) expect({ canary, found: written.includes(canary) }).toEqual({ canary, found: false });
    // Applying it would otherwise read the construct as deleted from the code and run its undo.
    const run = (args: string[]) => spawnSync('terraform', args, { cwd: stackDir, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    expect(run(['init', '-input=false', '-no-color']).status).toBe(0);
    const plan = run(['plan', '-input=false', '-no-color']);
    expect(plan.status).toBe(1);
    const said = plan.stderr.replace(/[\s│]+/g, ' ');
    expect(said).toContain('cdktf-keyfactor: one/web has invalid props (cdktf synth listed them); fix them and synthesize again.');
    expect(said).toContain('cdktf-keyfactor: one/pw has invalid props');
  });

  test('props missing altogether (as another language may pass them) are reported, not a crash, for every construct', () => {
    const kinds = [CertificateDeployment, CertificateStorePassword, CertificateStoreReenrollment, PamLocalEntry, PfxReplacement];
    for (const Kind of kinds) {
      const stack = new TerraformStack(Testing.app(), 'none');
      const construct = new (Kind as any)(stack, 'c', undefined);
      expect({ kind: Kind.name, errors: synthErrors(construct) }).toEqual({ kind: Kind.name, errors: expect.stringMatching(/^\[none\/c\] \w+/) });
    }
  });

  test('a value that cannot be an environment variable name is not echoed: it may be the secret, typed in by mistake', () => {
    const stack = new TerraformStack(Testing.app(), 'typo');
    new CertificateStorePassword(stack, 'pw', { certStoreId: STORE, newPassword: Secret.fromEnv('hunter2 is my password') });
    const errors = synthErrors(stack);
    expect(errors).toContain('[typo/pw] newPassword: Secret.fromEnv needs a valid environment variable name');
    expect(errors).not.toContain('hunter2');
  });
});
