import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Construct } from 'constructs';
import { CertificateDeployment, CertificateStorePassword, DayOfWeek, Ledger, PamLocalEntry, Schedule, Secret } from '../../src';
import { formatOutputs, selectRecords } from '../../src/cli/outputs';
import { DEFAULT_SEED } from '../../src/simulator';
import { StartedSimulator } from '../support/simulator';
import { endToEnd } from '../support/terraform';

/**
 * A pipeline cancelled while Command holds the answers to requests it has already processed
 * (an Add, a store password PUT, a PAM entry POST), then a plain re-apply. Whatever the way
 * the apply was stopped, Command ends with one job per (certificate, store, alias), one PAM
 * entry, the password set, every job GUID Command created in the ledger, and the re-apply
 * succeeds.
 */
const ADD = '/CertificateStores/Certificates/Add';
const PASSWORD = '/CertificateStores/Password';
const ENTRIES = '/PamProviders/Local/1/Entries';
const [DEPLOY_STORE, PASSWORD_STORE] = [DEFAULT_SEED.stores[0].Id, DEFAULT_SEED.stores[1].Id];

function stack(scope: Construct): void {
  new CertificateDeployment(scope, 'web', { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: DEPLOY_STORE, alias: 'cancel-web' }] });
  new CertificateStorePassword(scope, 'pw', { certStoreId: PASSWORD_STORE, newPassword: Secret.fromEnv('CANCEL_STORE_PASSWORD') });
  new PamLocalEntry(scope, 'entry', { providerId: 1, secretName: 'cancel-entry', secretValue: Secret.fromEnv('CANCEL_PAM_VALUE') });
}

/** Runner (node) processes working in `dir` (terraform runs provisioners there), orphans included. */
function runnerPids(dir: string): number[] {
  let pids: number[];
  try {
    pids = execFileSync('pgrep', ['-f', 'runner.cjs'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  return pids.filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node' && fs.realpathSync(`/proc/${pid}/cwd`) === fs.realpathSync(dir);
    } catch {
      return false; // exited meanwhile
    }
  });
}

describe('an apply cancelled while Command holds its answers', () => {
  const e2e = endToEnd();
  let started: StartedSimulator;
  beforeAll(() => (started = e2e.started()));

  test.each([
    ['SIGTERM to the terraform process only (a CI cancel)', 'terraform-term'],
    ['SIGINT to the whole process group (Ctrl+C)', 'group-int'],
    ['SIGKILL of the runners', 'runner-kill'],
  ] as const)('%s, then a plain re-apply: no duplicate, no lost GUID', async (_name, how) => {
    const { sim } = started;
    sim.reset();
    const project = e2e.project(`cancel-${how}`);
    project.synth(stack);
    const env = { ...started.env, CANCEL_STORE_PASSWORD: 'cancel-store-pw', CANCEL_PAM_VALUE: 'cancel-pam-value', CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '2' };
    await project.mustRun(['init', '-input=false', '-no-color'], env);

    sim.injectFaults(...[['POST', ADD], ['PUT', PASSWORD], ['POST', ENTRIES]].map(([method, pathSuffix]) =>
      ({ route: { method, pathSuffix }, kind: 'holdAfterProcessing' as const, count: 1 })));
    const apply = project.start(['apply', '-auto-approve', '-input=false', '-no-color'], env);
    const held = () => sim.requests.filter((r) => r.held).length;
    for (let i = 0; i < 600 && held() < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(held()).toBe(3); // Command has acted on all three and holds every answer
    expect(sim.jobs()).toHaveLength(1);

    const pid = apply.child.pid!;
    expect(runnerPids(project.stackDir)).toHaveLength(3);
    if (how === 'terraform-term') process.kill(pid, 'SIGTERM');
    else if (how === 'group-int') process.kill(-pid, 'SIGINT');
    else for (const runner of runnerPids(project.stackDir)) process.kill(runner, 'SIGKILL');
    const first = await apply.done;
    expect(first.status).not.toBe(0);
    // No runner outlives the cancelled apply to finish its call behind Terraform's back.
    for (let i = 0; i < 40 && runnerPids(project.stackDir).length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(runnerPids(project.stackDir)).toEqual([]);
    const job = sim.jobs()[0].JobId;

    sim.clearFaults();
    const again = await project.terraform(['apply', '-auto-approve', '-input=false', '-no-color'], env);
    expect(again.status).toBe(0);

    // Exactly one Add job, and its GUID is in the ledger.
    const adds = sim.jobs().filter((j) => j.Operation === 'Add');
    expect(adds.map((j) => j.JobId)).toEqual([job]);
    expect(sim.duplicateJobs()).toEqual([]);
    expect(sim.received('POST', ADD)).toHaveLength(1);
    const records = Ledger.read(project.ledgerDir);
    const deployment = records.filter((r) => r.operation === 'CertificateDeployment' && r.outcome === 'succeeded');
    expect(deployment.flatMap((r) => r.jobIds)).toEqual([job]);
    expect(again.stdout).toContain(`its job ${job}`);
    // One PAM entry with the value; the store password set (a PUT is safe to repeat).
    expect(sim.pamEntries(1).filter((e) => e.SecretName === 'cancel-entry')).toEqual([{ SecretName: 'cancel-entry', Description: null, SecretValue: 'cancel-pam-value' }]);
    expect(sim.storePasswords()[PASSWORD_STORE]).toEqual({ SecretValue: 'cancel-store-pw' });
    // No record is left in flight: the re-apply settled what the cancelled one left open.
    expect(records.filter((r) => r.outcome === 'in-flight' || r.unsettled)).toEqual([]);
    const settled = records.filter((r) => /^interrupted before its outcome was recorded/.test(r.message ?? ''));
    expect(settled.map((r) => r.operation).sort()).toEqual(['CertificateDeployment', 'CertificateStorePassword', 'PamLocalEntry']);
    expect(project.output).not.toContain('cancel-store-pw');
    expect(project.output).not.toContain('cancel-pam-value');
  });

  test('cancelled while an Add and a PAM entry create are held, then destroyed: their undo runs although Terraform skips tainted instances\' provisioners', async () => {
    const { sim } = started;
    sim.reset();
    const project = e2e.project('cancel-destroy');
    project.synth(stack);
    const env = { ...started.env, CANCEL_STORE_PASSWORD: 'cancel-store-pw', CANCEL_PAM_VALUE: 'cancel-pam-value', CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '2' };
    await project.mustRun(['init', '-input=false', '-no-color'], env);
    sim.injectFaults(...[['POST', ADD], ['POST', ENTRIES]].map(([method, pathSuffix]) =>
      ({ route: { method, pathSuffix }, kind: 'holdAfterProcessing' as const, count: 1 })));
    const apply = project.start(['apply', '-auto-approve', '-input=false', '-no-color'], env);
    const held = () => sim.requests.filter((r) => r.held).length;
    for (let i = 0; i < 600 && held() < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(held()).toBe(2); // the Add's job exists and the entry is written; neither answer arrived
    process.kill(apply.child.pid!, 'SIGTERM');
    expect((await apply.done).status).not.toBe(0);
    sim.clearFaults();
    const state = await project.terraform(['state', 'list'], env);
    expect(state.stdout).toMatch(/terraform_data\.web_Carrier_/);

    const destroyed = await project.terraform(['destroy', '-auto-approve', '-input=false', '-no-color'], env);
    expect(destroyed.status).toBe(0);
    // One Remove, for the cancelled Add's store and alias; the entry deleted by name.
    const removes = sim.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/CertificateStores/Certificates/Remove'));
    expect(removes.map((r) => (r.body as any).CertificateStores)).toEqual([[{ CertificateStoreId: DEPLOY_STORE, Alias: 'cancel-web' }]]);
    expect(sim.pamEntries(1).filter((e) => e.SecretName === 'cancel-entry')).toEqual([]);
    expect(destroyed.stdout).toContain('was stopped after its request went out, so Terraform holds the instance tainted');
    const undone = Ledger.read(project.ledgerDir).filter((r) => r.phase === 'destroy' && r.outcome === 'succeeded').map((r) => r.operation).sort();
    expect(undone).toEqual(['CertificateDeployment', 'PamLocalEntry']);
  });

  test('a weekly deployment: cancelled while its Add is held, then deployed again with a lost answer to a second one: both adopted from ScheduledJobs, exit 0', async () => {
    const { sim } = started;
    sim.reset();
    const project = e2e.project('cancel-weekly');
    const weekly = (scope: Construct, id: string) => new CertificateDeployment(scope, id, {
      certificateId: 3, schedule: Schedule.weekly([DayOfWeek.SUNDAY], '03:00'), stores: [{ certificateStoreId: DEPLOY_STORE, alias: `weekly-${id}` }],
    });
    project.synth((scope) => void weekly(scope, 'w1'));
    const env = { ...started.env, CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '2' };
    await project.mustRun(['init', '-input=false', '-no-color'], env);
    sim.injectFaults({ route: { method: 'POST', pathSuffix: ADD }, kind: 'holdAfterProcessing', count: 1 });
    const apply = project.start(['apply', '-auto-approve', '-input=false', '-no-color'], env);
    for (let i = 0; i < 600 && !sim.requests.some((r) => r.held); i++) await new Promise((r) => setTimeout(r, 50));
    process.kill(apply.child.pid!, 'SIGTERM');
    expect((await apply.done).status).not.toBe(0);
    sim.clearFaults();

    // Deployed again, with a second weekly deployment whose Add Command processes and whose answer is lost.
    project.synth((scope) => {
      weekly(scope, 'w1');
      weekly(scope, 'w2');
    });
    sim.injectFaults({ route: { method: 'POST', pathSuffix: ADD }, kind: 'resetAfterProcessing', count: 1 });
    const again = await project.terraform(['apply', '-auto-approve', '-input=false', '-no-color'], env);
    expect(again.status).toBe(0);
    const adds = sim.jobs().filter((j) => j.Operation === 'Add');
    expect(adds.map((j) => j.Alias).sort()).toEqual(['weekly-w1', 'weekly-w2']);
    expect(sim.duplicateJobs()).toEqual([]);
    expect(again.stdout).toContain('is in ScheduledJobs, waiting for its schedule; not sending it again');
    const outputs = JSON.parse(formatOutputs(await selectRecords({ ledger: project.ledgerDir }, {}), true)).records;
    expect(outputs.filter((r: any) => r.outcome === 'succeeded').flatMap((r: any) => r.jobIds).sort()).toEqual(adds.map((j) => j.JobId).sort());
  });
});
