import { Construct } from 'constructs';
import { CertificateDeployment, Ledger, PamLocalEntry, Schedule, Secret, WaitPolicy } from '../../src';
import { DEFAULT_SEED } from '../../src/simulator';
import { startSimulator, StartedSimulator } from '../support/simulator';
import { TerraformProject } from '../support/terraform';

/**
 * Deleting a construct from the code and applying runs its undo, as deleting a resource block
 * does with a provider: Remove for each store of a deleted CertificateDeployment, DELETE for a
 * deleted PamLocalEntry, and nothing for what stays.
 */
const [S0, S1] = [DEFAULT_SEED.stores[0].Id, DEFAULT_SEED.stores[1].Id];
const KF = '/KeyfactorAPI';
const ADD = `${KF}/CertificateStores/Certificates/Add`;
const REMOVE = `${KF}/CertificateStores/Certificates/Remove`;
const ENTRIES = `${KF}/PamProviders/Local/1/Entries`;

type Part = 'web' | 'api' | 'entry' | 'api-renamed';

function build(parts: Part[]): (scope: Construct) => void {
  return (scope) => {
    if (parts.includes('web')) {
      new CertificateDeployment(scope, 'web', {
        certificateId: 3,
        schedule: Schedule.immediate(),
        wait: WaitPolicy.forCompletion({ pollIntervalSeconds: 1 }),
        stores: [{ certificateStoreId: S0, alias: 'del-web' }, { certificateStoreId: S1, alias: 'del-web' }],
      });
    }
    if (parts.includes('api')) {
      new CertificateDeployment(scope, 'api', { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: S0, alias: 'del-api' }] });
    }
    if (parts.includes('api-renamed')) {
      new CertificateDeployment(scope, 'api-v2', { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: S0, alias: 'del-api' }] });
    }
    if (parts.includes('entry')) {
      new PamLocalEntry(scope, 'entry', { providerId: 1, secretName: 'del-entry', secretValue: Secret.fromEnv('DEL_PAM_VALUE') });
    }
  };
}

describe('deleting a construct from the code', () => {
  let started: StartedSimulator;
  const projects: TerraformProject[] = [];
  beforeAll(async () => {
    started = await startSimulator({ jobTiming: { waitingMs: 20, inProcessMs: 20 } });
  });
  afterAll(async () => {
    await started?.sim.stop();
    projects.forEach((p) => p.cleanup());
  });

  /** Requests that reached Command's API during `step`, as "METHOD path alias/secretName". */
  async function requestsDuring(step: () => Promise<unknown>): Promise<string[]> {
    const before = started.sim.requests.length;
    await step();
    return started.sim.requests.slice(before)
      .filter((r) => !r.path.endsWith('/JobHistory') && r.method !== 'GET')
      .map((r) => {
        const body = r.body as { CertificateStores?: { CertificateStoreId: string; Alias?: string }[] } | undefined;
        const target = body?.CertificateStores?.map((s) => `${s.CertificateStoreId}/${s.Alias}`).join(',') ?? r.query.secretName ?? '';
        return `${r.method} ${r.path} ${target}`.trim();
      })
      .sort();
  }

  test('runs Remove for each store of a deleted deployment, DELETE for a deleted PAM entry, nothing for the rest', async () => {
    const { sim } = started;
    const project = new TerraformProject('deleted');
    projects.push(project);
    const env = { ...started.env, DEL_PAM_VALUE: 'del-pam-value' };

    project.synth(build(['web', 'api', 'entry']));
    expect(await requestsDuring(() => project.apply(env))).toEqual([
      `POST ${ADD} ${S0}/del-api`, `POST ${ADD} ${S0}/del-web`, `POST ${ADD} ${S1}/del-web`,
      `POST ${ENTRIES}`, `PUT ${ENTRIES}`, // the entry carrier creates it, the content carrier writes the record
    ].sort());

    // One deployment deleted: Remove for each of its stores, waited for as `cdktf destroy` would.
    project.synth(build(['api', 'entry']));
    let out = '';
    expect(await requestsDuring(async () => (out = await project.apply(env)))).toEqual([`POST ${REMOVE} ${S0}/del-web`, `POST ${REMOVE} ${S1}/del-web`]);
    // Two registry instances, two carrier instances, the wait carrier.
    expect(out).toMatch(/Apply complete! Resources: 0 added, 0 changed, 5 destroyed/);
    const removes = sim.jobs().filter((j) => j.Operation === 'Remove');
    expect(removes).toHaveLength(2);
    const destroyed = Ledger.read(project.ledgerDir).filter((r) => r.phase === 'destroy');
    expect(destroyed.map((r) => [r.constructPath, r.instanceKey, r.outcome]).sort()).toEqual([
      ['deleted/web', S0.toLowerCase(), 'succeeded'], ['deleted/web', S1.toLowerCase(), 'succeeded'],
    ]);
    expect(destroyed.flatMap((r) => r.jobIds).sort()).toEqual(removes.map((j) => j.JobId).sort());
    // The wait policy's wait for each Remove job, as on destroy.
    expect(out.match(/deleted\/web \[[0-9a-f-]+\]: waiting for jobs: 1\/1 done/g)).toHaveLength(2);

    // The PAM entry deleted: DELETE of that secret only.
    project.synth(build(['api']));
    expect(await requestsDuring(() => project.apply(env))).toEqual([`DELETE ${ENTRIES} del-entry`]);
    expect(sim.pamEntries(1).map((e) => e.SecretName)).not.toContain('del-entry');

    // Renamed (same store and alias): the new construct adds; the old one's Remove is not sent.
    project.synth(build(['api-renamed']));
    expect(await requestsDuring(() => project.apply(env))).toEqual([`POST ${ADD} ${S0}/del-api`]);
    const skipped = Ledger.read(project.ledgerDir).filter((r) => r.constructPath === 'deleted/api' && r.phase === 'destroy');
    expect(skipped.map((r) => [r.outcome, r.message])).toEqual([['skipped', expect.stringContaining('deleted/api-v2 now owns the same target')]]);

    // The last construct deleted; the stack keeps its KeyfactorDefaults, which keeps the registry.
    project.synth(build([]));
    expect(await requestsDuring(() => project.apply(env))).toEqual([`POST ${REMOVE} ${S0}/del-api`]);
    expect(await requestsDuring(() => project.apply(env))).toEqual([]);
  });
});
