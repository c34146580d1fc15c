import * as path from 'path';
import { Construct } from 'constructs';
import { CertificateDeployment, CertificateDeploymentStore, Ledger, Schedule, Secret } from '../../../src';
import { DEFAULT_SEED, KeyfactorSimulator } from '../../../src/simulator';
import { connectionEnv, startTlsSimulator } from '../../support/simulator';
import { TerraformProject } from '../../support/terraform';

// Stores from the simulator's default seed (none of them fail jobs).
const [S1, S2, S3, S4] = DEFAULT_SEED.stores.filter((s) => !s.failJobs && !s.failReplace).map((s) => s.Id);
const ENTRY_CANARY = 'canary-entry-7f3a9c1e';
const PFX_CANARY = 'canary-pfx-42b8d6e0';
const CRED_CANARY = DEFAULT_SEED.users[0].password;

describe('CertificateDeployment end to end (terraform + simulator)', () => {
  let sim: KeyfactorSimulator;
  let project: TerraformProject;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startTlsSimulator({ jobTiming: { waitingMs: 20, inProcessMs: 20 } });
    project = new TerraformProject('e2e-deploy');
    env = {
      ...connectionEnv(sim),
      WEB_ENTRY_PASSWORD: ENTRY_CANARY,
      WEB_PFX_PASSWORD: PFX_CANARY,
    };
  });

  afterAll(async () => {
    await sim?.stop();
    project?.cleanup();
  });

  const webStore = (id: string): CertificateDeploymentStore => ({
    certificateStoreId: id,
    alias: 'web',
    includePrivateKey: true,
    overwrite: true,
    entryPassword: Secret.fromEnv('WEB_ENTRY_PASSWORD'),
    pfxPassword: Secret.fromEnv('WEB_PFX_PASSWORD'),
  });
  const build = (webStores: string[]) => (stack: Construct) => {
    new CertificateDeployment(stack, 'web', { certificateId: 1, schedule: Schedule.immediate(), stores: webStores.map(webStore) });
    new CertificateDeployment(stack, 'api', { certificateId: 2, schedule: Schedule.immediate(), stores: [{ certificateStoreId: S3, alias: 'api' }] });
  };
  const addsTo = () => sim.received('POST', '/CertificateStores/Certificates/Add').map((r) => (r.body as any).CertificateStores[0].CertificateStoreId);
  const removesFrom = () => sim.received('POST', '/CertificateStores/Certificates/Remove').map((r) => (r.body as any).CertificateStores[0].CertificateStoreId);
  const jobIdsOf = (op: string) => sim.jobs().filter((j) => j.Operation === op).map((j) => j.JobId).sort();
  const ledgerJobIds = (phase: string) => Ledger.read(project.ledgerDir).filter((r) => r.phase === phase).flatMap((r) => r.jobIds).sort();

  test('apply records the job GUIDs the simulator created', async () => {
    project.synth(build([S1, S2]), env);
    const out = await project.apply(env);

    expect(addsTo().sort()).toEqual([S1, S2, S3].sort());
    expect(jobIdsOf('Add')).toHaveLength(3);
    expect(ledgerJobIds('create')).toEqual(jobIdsOf('Add'));
    // The apply log prints every GUID.
    for (const id of jobIdsOf('Add')) expect(out).toContain(id);

    const records = Ledger.read(project.ledgerDir);
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(r).toMatchObject({ operation: 'CertificateDeployment', phase: 'create', outcome: 'succeeded', stack: 'e2e-deploy' });
      expect(r.finishedAt).toBeDefined();
    }
    expect(records.map((r) => r.constructPath).sort()).toEqual(['e2e-deploy/api', 'e2e-deploy/web', 'e2e-deploy/web']);

    // The secrets did reach Keyfactor, in the fields the API defines.
    const sent = sim.received('POST', '/CertificateStores/Certificates/Add').find((r) => (r.body as any).CertificateStores[0].CertificateStoreId === S1)!;
    expect(sent.body).toMatchObject({
      CertificateId: 1,
      Schedule: { Immediate: true },
      CertificateStores: [{ CertificateStoreId: S1, Alias: 'web', IncludePrivateKey: true, Overwrite: true, EntryPassword: { SecretValue: ENTRY_CANARY }, PfxPassword: PFX_CANARY }],
    });
    expect(sent.headers['x-keyfactor-requested-with']).toBe('APIClient');
    expect(sent.headers['x-keyfactor-api-version']).toBe('1');
  });

  test('changing the store list adds to the new store and removes from the dropped one only', async () => {
    const addsBefore = addsTo().length;
    project.synth(build([S1, S4]), env); // S2 dropped, S4 added, S1 kept
    await project.apply(env);

    expect(addsTo().slice(addsBefore)).toEqual([S4]);
    expect(removesFrom()).toEqual([S2]);
    const removeRecord = Ledger.read(project.ledgerDir).filter((r) => r.phase === 'destroy');
    expect(removeRecord).toHaveLength(1);
    expect(removeRecord[0]).toMatchObject({ instanceKey: S2, outcome: 'succeeded' });
    expect(removeRecord[0].jobIds).toEqual(jobIdsOf('Remove'));
  });

  test('dropping the first store of the list touches only that store, not the ones after it', async () => {
    const [addsBefore, removesBefore] = [addsTo().length, removesFrom().length];
    project.synth(build([S4]), env); // S1, listed before S4, dropped
    await project.apply(env);

    expect(addsTo().slice(addsBefore)).toEqual([]);
    expect(removesFrom().slice(removesBefore)).toEqual([S1]);
  });

  test('destroy removes the certificate from every remaining store and records those GUIDs', async () => {
    await project.destroy(env);
    expect(removesFrom().sort()).toEqual([S1, S2, S3, S4].sort());
    const removeBodies = sim.received('POST', '/CertificateStores/Certificates/Remove').map((r) => (r.body as any).CertificateStores[0]);
    expect(removeBodies.find((b) => b.CertificateStoreId === S3)).toMatchObject({ Alias: 'api' });
    expect(ledgerJobIds('destroy')).toEqual(jobIdsOf('Remove'));
  });

  test('no canary secret in cdk.tf.json, state, ledger or terraform output', () => {
    const haystacks = {
      'cdk.tf.json': TerraformProject.filesText(path.join(project.stackDir, 'cdk.tf.json')),
      'state': TerraformProject.filesText(path.join(project.dir, 'terraform.tfstate'), path.join(project.dir, 'terraform.tfstate.backup')),
      'ledger': TerraformProject.filesText(project.ledgerDir),
      'terraform output': project.output,
    };
    expect(haystacks['cdk.tf.json']).toContain('WEB_ENTRY_PASSWORD'); // the reference is there...
    expect(haystacks.state.length).toBeGreaterThan(100);
    expect(haystacks.ledger).toContain('<secret from env WEB_PFX_PASSWORD>');
    for (const [where, text] of Object.entries(haystacks)) {
      for (const canary of [ENTRY_CANARY, PFX_CANARY, CRED_CANARY]) {
        expect({ where, leaked: text.includes(canary) }).toEqual({ where, leaked: false }); // ...the values are not
      }
    }
  });
});
