import * as path from 'path';
import { Construct } from 'constructs';
import { Ledger, PfxReplacement, PfxReplacementProps, Secret } from '../../../src';
import { DEFAULT_SEED, KeyfactorSimulator, SimulatorSeed } from '../../../src/simulator';
import { connectionEnv, startTlsSimulator } from '../../support/simulator';
import { TerraformProject } from '../../support/terraform';

// Default seed: certificate 1 is in store 1 (fine) and store 5 (marked failReplace); certificate 2 is in store 2.
const S1 = '11111111-1111-4111-8111-000000000001';
const S2 = '11111111-1111-4111-8111-000000000002';
const S3 = '11111111-1111-4111-8111-000000000003';
const S5 = '11111111-1111-4111-8111-000000000005';
const PFX_CANARY = 'canary-pfx-replace-5d1e8a73';
const CRED_CANARY = DEFAULT_SEED.users[0].password;

/** The default seed, plus certificate 3 in store 2 (agent 1) and store 3 (agent 2): a replacement across two orchestrators. */
function seed(): SimulatorSeed {
  const s = structuredClone(DEFAULT_SEED);
  s.certificates.find((c) => c.Id === 3)!.locations = [{ storeId: S2, alias: 'api' }, { storeId: S3, alias: 'api' }];
  expect(s.stores.find((x) => x.Id === S5)!.failReplace).toBe(true);
  return s;
}

describe('PfxReplacement end to end (terraform + simulator)', () => {
  let sim: KeyfactorSimulator;
  let env: Record<string, string>;
  const projects: TerraformProject[] = [];

  beforeAll(async () => {
    sim = await startTlsSimulator({ seed: seed(), jobTiming: { waitingMs: 20, inProcessMs: 20 } });
    env = {
      ...connectionEnv(sim),
      PFX_REPLACE_PASSWORD: PFX_CANARY,
      CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '10',
      CDKTF_KEYFACTOR_JOB_LOOKUP_INTERVAL_SECONDS: '0.2',
    };
  });

  afterAll(async () => {
    await sim?.stop();
    for (const p of projects) p.cleanup();
  });

  beforeEach(() => sim.reset());

  const project = (name: string, props: PfxReplacementProps) => {
    const p = new TerraformProject(name);
    projects.push(p);
    p.synth((stack: Construct) => new PfxReplacement(stack, 'renew', props), env);
    return p;
  };
  const replaceJobs = () => sim.jobs().filter((j) => j.Operation === 'PfxReplace');

  test('a store that fails the replacement fails the apply, naming its GUID; the ledger keeps both store lists and the job GUIDs', async () => {
    const p = project('e2e-pfx-fail', { existingCertificateId: 1, certificateId: 4, password: Secret.fromEnv('PFX_REPLACE_PASSWORD') });
    await p.mustRun(['init', '-input=false', '-no-color'], env);
    const res = await p.terraform(['apply', '-auto-approve', '-input=false', '-no-color'], env);

    expect(res.status).not.toBe(0);
    expect(res.stdout + res.stderr).toContain(S5);
    expect(res.stdout + res.stderr).toMatch(/could not schedule the replacement for 1 of 2 store\(s\): FailedStores \[11111111-1111-4111-8111-000000000005 \(legacy-01\.example\.test \/etc\/ssl\/legacy\.pem\)\]/);
    expect(res.stdout + res.stderr).toMatch(/allowPartialSuccess/);

    // Command did create the job for the store that worked, and the ledger says which.
    const jobs = replaceJobs();
    expect(jobs.map((j) => j.CertificateStoreId)).toEqual([S1]);
    const [record] = Ledger.read(p.ledgerDir);
    expect(record).toMatchObject({
      operation: 'PfxReplacement',
      phase: 'create',
      outcome: 'failed',
      constructPath: 'e2e-pfx-fail/renew',
      request: { ExistingCertificateId: 1, CertificateId: 4, Password: '<secret from env PFX_REPLACE_PASSWORD>' },
      response: { SuccessfulStores: [S1], FailedStores: [S5], JobIdsByStore: { [S1]: jobs[0].JobId } },
      jobIds: [jobs[0].JobId],
    });
    expect(record.message).toContain(S5);

    // The password reached Command, in the API's plain-string field.
    const [sent] = sim.received('POST', '/Enrollment/PFX/Replace');
    expect(sent.body).toEqual({ ExistingCertificateId: 1, CertificateId: 4, Password: PFX_CANARY });
    expect(sent.headers['x-keyfactor-api-version']).toBe('1');
  });

  test('allowPartialSuccess: the same partial result succeeds, with a warning', async () => {
    const p = project('e2e-pfx-partial', { existingCertificateId: 1, requestId: 77, allowPartialSuccess: true });
    const out = await p.apply(env);

    expect(out).toMatch(/WARNING: partial success allowed: Command could not schedule the replacement for 1 of 2 store\(s\)/);
    expect(out).toContain(S5);
    const jobs = replaceJobs();
    expect(jobs).toHaveLength(1);
    const [record] = Ledger.read(p.ledgerDir);
    expect(record).toMatchObject({
      outcome: 'succeeded',
      request: { ExistingCertificateId: 1, RequestId: 77 },
      response: { SuccessfulStores: [S1], FailedStores: [S5] },
      jobIds: [jobs[0].JobId],
    });
    expect(record.message).toMatch(/^WARNING: partial success allowed/);
    expect(sim.received('POST', '/Enrollment/PFX/Replace')[0].body).toEqual({ ExistingCertificateId: 1, RequestId: 77 });
  });

  test('success across two orchestrators: the recorded job GUIDs are the simulator\'s PfxReplace jobs, store by store', async () => {
    const jobTime = new Date(Date.now() + 3000).toISOString().replace(/\.\d+Z$/, 'Z');
    const p = project('e2e-pfx-ok', { existingCertificateId: 3, certificateId: 5, jobTime, password: Secret.fromEnv('PFX_REPLACE_PASSWORD') });
    const out = await p.apply(env);

    const jobs = replaceJobs();
    expect(jobs.map((j) => j.CertificateStoreId).sort()).toEqual([S2, S3]);
    expect(jobs.every((j) => (j.Schedule as any).ExactlyOnce.Time === jobTime)).toBe(true);
    const byStore = Object.fromEntries(jobs.map((j) => [j.CertificateStoreId, j.JobId]));
    const [record] = Ledger.read(p.ledgerDir);
    expect(record).toMatchObject({ outcome: 'succeeded', response: { SuccessfulStores: [S2, S3], FailedStores: [], JobIdsByStore: byStore } });
    expect(record.jobIds).toEqual([byStore[S2], byStore[S3]]);
    expect(record.message).toBeUndefined();
    for (const id of record.jobIds) expect(out).toContain(id);
    expect(sim.received('POST', '/Enrollment/PFX/Replace')[0].body).toEqual({ ExistingCertificateId: 3, CertificateId: 5, Password: PFX_CANARY, JobTime: jobTime });

    // Re-applying the unchanged stack replaces nothing again; destroying has no undo.
    await p.apply(env);
    await p.destroy(env);
    expect(sim.received('POST', '/Enrollment/PFX/Replace')).toHaveLength(1);
    expect(Ledger.read(p.ledgerDir)).toHaveLength(1);
  });

  test('no canary secret in cdk.tf.json, state, ledger or terraform output', () => {
    expect(projects).toHaveLength(3);
    for (const p of projects) {
      const haystacks = {
        'cdk.tf.json': TerraformProject.filesText(path.join(p.stackDir, 'cdk.tf.json')),
        'state': TerraformProject.filesText(path.join(p.dir, 'terraform.tfstate'), path.join(p.dir, 'terraform.tfstate.backup')),
        'ledger': TerraformProject.filesText(p.ledgerDir),
        'terraform output': p.output,
      };
      expect(haystacks['cdk.tf.json']).toContain('PfxReplacement');
      expect(haystacks.ledger).toContain('PfxReplacement');
      for (const [where, text] of Object.entries(haystacks)) {
        for (const canary of [PFX_CANARY, CRED_CANARY]) {
          expect({ project: p.stackName, where, leaked: text.includes(canary) }).toEqual({ project: p.stackName, where, leaked: false });
        }
      }
    }
    // Only the reference was synthesized (the value reached Command: see the bodies asserted above).
    const p = projects.find((x) => x.stackName === 'e2e-pfx-ok')!;
    expect(TerraformProject.filesText(path.join(p.stackDir, 'cdk.tf.json'))).toContain('PFX_REPLACE_PASSWORD');
  });
});
