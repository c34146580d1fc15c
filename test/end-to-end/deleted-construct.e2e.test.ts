import * as fs from 'fs';
import * as path from 'path';
import { DataResource, Token } from 'cdktf';
import { Construct } from 'constructs';
import { CertificateDeployment, Ledger, PamLocalEntry, Schedule, Secret, WaitPolicy } from '../../src';
import { runCheck } from '../../src/cli/check';
import { DEFAULT_SEED } from '../../src/simulator';
import { StartedSimulator } from '../support/simulator';
import { endToEnd } from '../support/terraform';

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
  const e2e = endToEnd();
  let started: StartedSimulator;
  beforeAll(() => (started = e2e.started()));

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
    const project = e2e.project('deleted');
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

  test('deleted together, a construct that depends on another is undone first, its wait included, and before what it depended on is destroyed', async () => {
    const { sim } = started;
    const project = e2e.project('ordered');
    const env = { ...started.env, DEL_PAM_VALUE: 'ord-pam-value' };
    project.synth((scope) => {
      // Stands in for the store resource (e.g. keyfactor_certificate_store).
      const store = new DataResource(scope, 'store', { input: { name: 'store' } });
      // The secret that, say, holds the store's password: the Remove job needs it until it is done.
      const secret = new PamLocalEntry(scope, 'secret', { providerId: 1, secretName: 'ord-secret', secretValue: Secret.fromEnv('DEL_PAM_VALUE') });
      new CertificateDeployment(scope, 'web', {
        certificateId: 3,
        schedule: Schedule.immediate(),
        wait: WaitPolicy.forCompletion({ pollIntervalSeconds: 1 }),
        dependsOn: [secret, store],
        stores: [{ certificateStoreId: S1, alias: 'ord-web' }],
      });
    });
    await project.apply(env);
    sim.setStoreBehaviour(S1, { jobDurationMs: { waitingMs: 600, inProcessMs: 600 } });
    let out = '';
    try {
      project.synth(() => undefined);
      expect(await requestsDuring(async () => (out = await project.apply(env)))).toEqual([`DELETE ${ENTRIES} ord-secret`, `POST ${REMOVE} ${S1}/ord-web`]);
    } finally {
      sim.setStoreBehaviour(S1, { jobDurationMs: undefined });
    }
    const destroyed = Ledger.read(project.ledgerDir).filter((r) => r.phase === 'destroy');
    const [web, secret] = ['ordered/web', 'ordered/secret'].map((p) => destroyed.find((r) => r.constructPath === p)!);
    expect([web.outcome, secret.outcome]).toEqual(['succeeded', 'succeeded']);
    // The Remove job ran for about 1.2 s and was waited for; only then was the secret deleted.
    expect(Date.parse(secret.startedAt)).toBeGreaterThanOrEqual(Date.parse(web.finishedAt!));
    expect(Date.parse(web.finishedAt!) - Date.parse(web.startedAt)).toBeGreaterThanOrEqual(1000);
    // And the store the deployment depended on, deleted in the same change, went after its Remove.
    const at = (line: RegExp) => out.split('\n').findIndex((l) => line.test(l));
    expect(at(/^terraform_data\.store: Destroying/)).toBeGreaterThan(at(/^terraform_data\.KeyfactorUndo1\["ordered\/web\/Carrier\[.*\]"\]: Destruction complete/));
    expect(at(/^terraform_data\.KeyfactorUndo1\["ordered\/web\/Carrier\[.*\]"\]: Destruction complete/)).toBeGreaterThan(0);
  });

  test('an undo that fails keeps its registry instance in the state: the next apply runs it again', async () => {
    const { sim } = started;
    const project = e2e.project('retried');
    project.synth((scope) => {
      new CertificateDeployment(scope, 'web', {
        certificateId: 3,
        schedule: Schedule.immediate(),
        wait: WaitPolicy.forCompletion({ pollIntervalSeconds: 1 }),
        stores: [{ certificateStoreId: S0, alias: 'retry-web' }],
      });
    });
    await project.apply(started.env);
    project.synth(() => undefined);
    sim.setStoreBehaviour(S0, { failJobs: true });
    let failed;
    try {
      failed = await project.terraform(['apply', '-auto-approve', '-input=false', '-no-color'], started.env);
    } finally {
      sim.setStoreBehaviour(S0, { failJobs: undefined });
    }
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/1 of 1 jobs failed/);
    expect(await requestsDuring(() => project.apply(started.env))).toEqual([`POST ${REMOVE} ${S0}/retry-web`]);
    expect(Ledger.read(project.ledgerDir).filter((r) => r.phase === 'destroy').map((r) => r.outcome)).toEqual(['failed', 'succeeded']);
    expect(await requestsDuring(() => project.apply(started.env))).toEqual([]);
  });

  test('a deployment deleted while another\'s store id is a reference to another resource: decided with what Terraform gave that one, its Remove sent', async () => {
    const project = e2e.project('ref-owner');
    const b = (scope: Construct) => {
      const store = new DataResource(scope, 'b-store', { input: S1 });
      new CertificateDeployment(scope, 'b', { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: Token.asString(store.output), key: 'b-store', alias: 'ref-b' }] });
    };
    project.synth((scope) => {
      new CertificateDeployment(scope, 'a', { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: S0, alias: 'ref-a' }] });
      b(scope);
    });
    await project.apply(started.env);
    project.synth(b);
    // The configuration shows b's store as a reference (null to the runner); its ledger record says S1, not a's S0.
    let out = '';
    expect(await requestsDuring(async () => (out = await project.apply(started.env)))).toEqual([`POST ${REMOVE} ${S0}/ref-a`]);
    expect(out).not.toContain('may now own');
    expect(Ledger.read(project.ledgerDir).filter((r) => r.phase === 'destroy').map((r) => [r.constructPath, r.outcome])).toEqual([['ref-owner/a', 'succeeded']]);
  });

  test('the last Keyfactor construct deleted with nothing of ours left: `check` fails with the path and the fix, which works', async () => {
    const project = e2e.project('guard');
    const env = { ...started.env, CDKTF_KEYFACTOR_LEDGER_DIR: project.ledgerDir };
    const check = () => {
      const lines: string[] = [];
      const status = runCheck({ outdir: project.outdir }, { ...process.env, TF_IN_AUTOMATION: '1' }, (t) => lines.push(t));
      return { status, text: lines.join('\n') };
    };
    project.synth(build(['api']), {}, { defaults: false });
    await project.apply(env);
    expect(check()).toEqual({ status: 0, text: expect.stringContaining('no construct deleted from the code would lose its undo') });

    project.synth(() => undefined, {}, { defaults: false });
    const failed = check();
    expect(failed.status).toBe(1);
    expect(failed.text).toContain(`guard: CertificateDeployment guard/api [${S0.toLowerCase()}]`);
    expect(failed.text).toContain("Fix: add `new KeyfactorDefaults(stack, 'KeyfactorDefaults')` to stack \"guard\" and apply");
    const json: string[] = [];
    expect(runCheck({ outdir: project.outdir, json: true }, { ...process.env, TF_IN_AUTOMATION: '1' }, (t) => json.push(t))).toBe(1);
    expect(JSON.parse(json.join('\n'))).toEqual({
      stacks: ['guard'], lost: [{ stack: 'guard', label: `CertificateDeployment guard/api [${S0.toLowerCase()}]`, why: 'registry-gone' }], pending: [],
    });

    // The fix as written: the registry stays, `check` passes and says what the apply will undo, the apply removes.
    project.synth(() => undefined);
    expect(check()).toEqual({ status: 0, text: expect.stringContaining('guard/api') });
    expect(check().text).toContain('was deleted from the code: the next apply runs its undo');
    expect(await requestsDuring(() => project.apply(env))).toEqual([`POST ${REMOVE} ${S0}/del-api`]);
  });

  test('a stack applied before the registry existed upgrades without sending anything; deleting a construct then undoes it', async () => {
    const project = e2e.project('migrated');
    const env = { ...started.env, MIG_PAM_VALUE: 'mig-pam-value' };
    // The same stack as the fixture, which commit 577d7e2 (the rendering before the registry) synthesized.
    const current = (parts: Array<'web' | 'entry'>) => (scope: Construct) => {
      if (parts.includes('web')) {
        new CertificateDeployment(scope, 'web', {
          certificateId: 3,
          schedule: Schedule.immediate(),
          stores: [{ certificateStoreId: S0, alias: 'mig-web' }, { certificateStoreId: S1, alias: 'mig-web' }],
        });
      }
      if (parts.includes('entry')) new PamLocalEntry(scope, 'entry', { providerId: 1, secretName: 'mig-entry', secretValue: Secret.fromEnv('MIG_PAM_VALUE') });
    };
    project.synth(current(['web', 'entry']));
    const config = path.join(project.stackDir, 'cdk.tf.json');
    const today = fs.readFileSync(config, 'utf8');
    const before = fs.readFileSync(path.join(__dirname, 'fixtures', 'before-undo-registry.cdk.tf.json'), 'utf8')
      .replace(/@STATE@/g, path.join(project.dir, 'terraform.tfstate'))
      .replace(/@RUNNER@/g, today.match(/assets\/KeyfactorRunner\/[0-9A-F]+\/runner\.cjs/)![0])
      .replace(/@LEDGER@/g, JSON.parse(today).resource.terraform_data.KeyfactorUndo.provisioner[0]['local-exec'].environment.CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR);
    expect(before).not.toContain('KeyfactorUndo');
    fs.writeFileSync(config, before);
    expect(await requestsDuring(() => project.apply(env))).toEqual([`POST ${ADD} ${S0}/mig-web`, `POST ${ADD} ${S1}/mig-web`, `POST ${ENTRIES}`, `PUT ${ENTRIES}`].sort());

    // Upgrading and deleting in one change would lose the Remove: `check` says so, and how to avoid it.
    project.synth(current(['entry']));
    const lines: string[] = [];
    expect(runCheck({ outdir: project.outdir, stack: ['migrated'] }, process.env, (t) => lines.push(t))).toBe(1);
    expect(lines.join('\n')).toContain(`migrated: CertificateDeployment migrated/web [${S1.toLowerCase()}]`);
    expect(lines.join('\n')).toContain('last applied by a cdktf-keyfactor version without the undo registry. Fix: put them back and apply once');

    // The upgrade: only the registry's instances are added; no carrier changes, nothing is sent.
    fs.writeFileSync(config, today);
    let out = '';
    expect(await requestsDuring(async () => (out = await project.apply(env)))).toEqual([]);
    expect(out).toMatch(/Apply complete! Resources: 3 added, 0 changed, 0 destroyed/);

    project.synth(current(['entry']));
    expect(await requestsDuring(() => project.apply(env))).toEqual([`POST ${REMOVE} ${S0}/mig-web`, `POST ${REMOVE} ${S1}/mig-web`]);
    // A destroy: the carrier undoes, the registry (whose destroy runs too) leaves it to the carrier.
    expect(await requestsDuring(() => project.destroy(env))).toEqual([`DELETE ${ENTRIES} mig-entry`]);
  });
});
