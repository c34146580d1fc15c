import * as path from 'path';
import { Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { CertificateDeployment, Ledger, Schedule, Secret } from '../../src';
import { DEFAULT_SEED, KeyfactorSimulator } from '../../src/simulator';
import { connectionEnv, startTlsSimulator } from '../support/simulator';
import { synthErrors } from '../support/synth';
import { TerraformProject } from '../support/terraform';

const STORE = DEFAULT_SEED.stores[0].Id;
const CANARY = 'canary-tfvar-5d1e8b3a';

describe('Secret.fromVariable (sensitive Terraform variable)', () => {
  let sim: KeyfactorSimulator;
  let project: TerraformProject;

  beforeAll(async () => {
    sim = await startTlsSimulator({ jobTiming: { waitingMs: 20, inProcessMs: 20 } });
    project = new TerraformProject('tfvar');
  });
  afterAll(async () => {
    await sim?.stop();
    project?.cleanup();
  });

  test('the value reaches Keyfactor, the GUIDs stay visible, and the value is nowhere else', async () => {
    project.synth((stack: Construct) => {
      const entryPassword = new TerraformVariable(stack, 'entry_password', { type: 'string', sensitive: true });
      new CertificateDeployment(stack, 'web', {
        certificateId: 1,
        schedule: Schedule.immediate(),
        stores: [{ certificateStoreId: STORE, alias: 'web', entryPassword: Secret.fromVariable(entryPassword) }],
      });
    }, { TF_VAR_entry_password: CANARY });
    const env = {
      ...connectionEnv(sim),
      TF_VAR_entry_password: CANARY,
    };
    await project.mustRun(['init', '-input=false', '-no-color'], env);
    await project.mustRun(['plan', '-input=false', '-no-color', '-out=tfplan'], env);
    const planJson = await project.mustRun(['show', '-json', 'tfplan'], env);
    const out = await project.mustRun(['apply', '-input=false', '-no-color', 'tfplan'], env);

    const [add] = sim.received('POST', '/CertificateStores/Certificates/Add');
    expect((add.body as any).CertificateStores[0].EntryPassword).toEqual({ SecretValue: CANARY });
    expect(out).toMatch(/\(output suppressed due to sensitive(, ephemeral)? value in config\)/);
    const [job] = sim.jobs();
    expect(out).toMatch(new RegExp(`web \\[${STORE}\\]: succeeded, job ${job.JobId}`));
    expect(Ledger.read(project.ledgerDir)[0].jobIds).toEqual([job.JobId]);

    expect(planJson.length).toBeGreaterThan(100);
    const haystacks = {
      'cdk.tf.json': TerraformProject.filesText(path.join(project.stackDir, 'cdk.tf.json')),
      'plan (show -json)': planJson,
      'state': TerraformProject.filesText(path.join(project.dir, 'terraform.tfstate')),
      'ledger': TerraformProject.filesText(project.ledgerDir),
      'output': project.output,
    };
    for (const [where, text] of Object.entries(haystacks)) expect({ where, leaked: text.includes(CANARY) }).toEqual({ where, leaked: false });
  });

  test('a variable that is not sensitive is refused at synth, naming the construct and field', () => {
    const stack = new TerraformStack(Testing.app(), 'unit');
    const plain = new TerraformVariable(stack, 'plain', { type: 'string' });
    expect(synthErrors(new CertificateDeployment(stack, 'web', {
      certificateId: 1,
      schedule: Schedule.immediate(),
      stores: [{ certificateStoreId: STORE, pfxPassword: Secret.fromVariable(plain) }],
    }))).toMatch(/\[unit\/web\] stores\[0\]\.pfxPassword: Secret\.fromVariable needs a variable declared with sensitive: true/);
  });
});
