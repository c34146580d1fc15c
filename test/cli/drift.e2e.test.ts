import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { addExamples, STORES } from '../../examples/main';
import { CertificateDeployment, Ledger, Schedule, WaitPolicy } from '../../src';
import { runDrift } from '../../src/cli/drift';
import { DEFAULT_SEED } from '../../src/simulator';
import { exampleSecrets, failure } from '../support/runtime';
import { StartedSimulator, startSimulator } from '../support/simulator';
import { endToEnd } from '../support/terraform';

/**
 * `cdktf-keyfactor drift` against real terraform state and the simulator: in sync after a deploy,
 * drift once a certificate is taken out of a store behind Command's back and the store inventoried,
 * and `--fix` puts back exactly that one (an Add, no Remove of what is already gone).
 */
const S1 = DEFAULT_SEED.stores[1].Id;
/** The CLI as npx runs it (built by compile). */
const CLI = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.js');
const ADD = '/CertificateStores/Certificates/Add';
/** What the examples read at apply. */
const EXAMPLE_SECRETS = exampleSecrets('drift');

/** The hash suffix cdktf gave a construct's carrier, read from the synthesized stack. */
function carrierSuffix(project: { stackDir: string }, id: string): string {
  const config = JSON.parse(fs.readFileSync(path.join(project.stackDir, 'cdk.tf.json'), 'utf8'));
  const name = Object.keys(config.resource.terraform_data).find((n) => n.startsWith(`${id}_Carrier_`))!;
  return name.slice(`${id}_Carrier_`.length);
}

describe('cdktf-keyfactor drift', () => {
  const e2e = endToEnd();
  let started: StartedSimulator;
  beforeAll(() => (started = e2e.started()));

  type Options = { json?: boolean; strict?: boolean; fix?: boolean; includePending?: boolean; pollIntervalSeconds?: number };
  /** `drift` as the CLI runs it, against `simulator` (the block's own by default). */
  async function drift(project: { outdir: string }, options: Options = {}, simulator = started): Promise<{ code: number; out: string }> {
    const lines: string[] = [];
    const code = await runDrift({ outdir: project.outdir, ...options }, { ...process.env, ...simulator.env }, (l) => lines.push(l));
    return { code, out: lines.join('\n') };
  }

  test('the examples: in sync; a certificate taken out of a store is drift named with its address; --fix sends exactly one Add', async () => {
    const project = e2e.project('examples');
    project.synth((scope: Construct) => addExamples(scope));
    await project.apply({ ...started.env, ...EXAMPLE_SECRETS });

    const before = started.sim.requests.length;
    let res = await drift(project, { json: true });
    const asked = started.sim.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/^\/KeyfactorAPI/, '')}`);
    expect({ code: res.code, drifted: JSON.parse(res.out).results.filter((r: any) => r.verdict === 'drift') }).toEqual({ code: 0, drifted: [] });
    const verdicts = (out: string) => Object.fromEntries(JSON.parse(out).results.map((r: any) => [r.label, r.verdict]));
    expect(verdicts(res.out)).toEqual({
      [`CertificateDeployment examples/web-certificate [${STORES.iisWeb1}]`]: 'in-sync',
      [`CertificateDeployment examples/web-certificate [${STORES.iisWeb2}]`]: 'in-sync',
      // Weekly: its job runs on Sunday.
      [`CertificateDeployment examples/api-certificate [${STORES.javaKeystore}]`]: 'unverifiable',
      'CertificateStorePassword examples/web-01-store-password': 'not-checked',
      'CertificateStorePassword examples/app-01-keystore-password': 'not-checked',
      'PfxReplacement examples/renew-app-certificate': 'in-sync',
      'PfxReplacement examples/renew-www-certificate': 'in-sync',
      'PamLocalEntry examples/web-01-store-password-secret [content]': 'in-sync',
      'CertificateStoreReenrollment examples/rekey-web-01': 'in-sync',
      'CertificateStoreReenrollment examples/rekey-win-01': 'in-sync',
    });
    // Read-only, and only requests of the reference's spec: one per certificate (3, 2, 4, 5),
    // one per PAM provider, one per reenrollment job.
    expect(new Set(asked.map((a) => a.replace(/\/\d+(?=\/|$)/g, '/{id}')))).toEqual(new Set([
      'GET /Certificates/{id}', 'GET /PamProviders/Local/{id}/Entries', 'GET /OrchestratorJobs/JobHistory',
    ]));
    expect(asked.filter((a) => a.startsWith('GET /Certificates/')).sort()).toEqual([2, 3, 4, 5].map((id) => `GET /Certificates/${id}`));
    expect(asked).toHaveLength(7);

    // Taken out of store iisWeb2 behind Command's back: Command shows it until the store is inventoried.
    expect(started.sim.removeFromStore(STORES.iisWeb2, 'www.example.com')).toBe(true);
    expect((await drift(project)).code).toBe(0);
    started.sim.inventory(STORES.iisWeb2);

    res = await drift(project);
    expect(res.code).toBe(2);
    const address = `terraform_data.web-certificate_Carrier_${carrierSuffix(project, 'web-certificate')}["${STORES.iisWeb2}"]`;
    expect(res.out).toContain(`examples: CertificateDeployment examples/web-certificate [${STORES.iisWeb2}]: DRIFT: ` +
      `certificate 3 is not in store ${STORES.iisWeb2} under alias "www.example.com"`);
    // Runnable as printed: from here, in the stack's directory, the address quoted for the shell.
    expect(res.out).toContain(`Fix: npx cdktf-keyfactor drift --fix --stack examples (cd ${path.relative(process.cwd(), project.stackDir)} && terraform apply -replace='${address}').`);
    expect(res.out).toContain('1 drifted');

    const sentBefore = started.sim.requests.length;
    res = await drift(project, { fix: true, pollIntervalSeconds: 0.2 });
    expect(res.code).toBe(0);
    // What the repair did, with the job Command returned for it.
    const repairJob = started.sim.jobs().filter((j) => j.CertificateStoreId === STORES.iisWeb2 && j.Operation === 'Add').pop()!;
    expect(res.out).toContain(`cdktf-keyfactor drift --fix: examples: CertificateDeployment examples/web-certificate [${STORES.iisWeb2}]: re-run; job(s) ${repairJob.JobId}`);
    expect(res.out).toContain('Apply complete! Resources: 1 added, 0 changed, 1 destroyed.');
    const sent = started.sim.requests.slice(sentBefore).filter((r) => r.method !== 'GET');
    expect(sent.map((r) => `${r.method} ${r.path.replace(/^\/KeyfactorAPI/, '')} ${JSON.stringify((r.body as any)?.CertificateStores)}`)).toEqual([
      `POST ${ADD} ${JSON.stringify([{ CertificateStoreId: STORES.iisWeb2, Alias: 'www.example.com', IncludePrivateKey: true, Overwrite: true }])}`,
    ]);
    expect(started.sim.storeContents(STORES.iisWeb2)).toContainEqual({ storeId: STORES.iisWeb2, alias: 'www.example.com', certificateId: 3 });
    // The replaced instance's undo was recorded as skipped, not sent.
    expect(Ledger.read(project.ledgerDir).filter((r) => r.phase === 'destroy').map((r) => [r.instanceKey, r.outcome])).toEqual([[STORES.iisWeb2, 'skipped']]);

    res = await drift(project, { json: true });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({ inSync: true, summary: { checked: 10, inSync: 7, drift: 0, unverifiable: 1, notChecked: 2 } });
  });

  test('--fix applies nothing but the repair: a deleted construct waiting for its pipeline is refused, named, and not removed', async () => {
    const S0 = DEFAULT_SEED.stores[0].Id;
    const project = e2e.project('drift-pending');
    const deployment = (scope: Construct, id: string, store: string) => new CertificateDeployment(scope, id, {
      certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: store, alias: `pending-${id}` }],
    });
    project.synth((scope: Construct) => {
      deployment(scope, 'a', S0);
      deployment(scope, 'b', S1);
    });
    await project.apply(started.env);
    // b drifts (once its Add job has run); a is deleted from the code and synthesized, its pipeline not yet run.
    for (let i = 0; i < 200 && !started.sim.storeContents(S1).some((c) => c.alias === 'pending-b'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(started.sim.removeFromStore(S1, 'pending-b')).toBe(true);
    started.sim.inventory(S1);
    project.synth((scope: Construct) => void deployment(scope, 'b', S1));

    const before = started.sim.requests.length;
    const refused = await failure(drift(project, { fix: true, pollIntervalSeconds: 0.2 }));
    expect(refused.message).toContain('drift --fix: stack drift-pending: not repaired, because its plan holds 2 change(s) besides the drifted instance(s)');
    expect(refused.message).toMatch(new RegExp(`delete terraform_data\\.a_Carrier_[0-9A-F]+\\["${S0}"\\]`));
    expect(refused.message).toContain(`delete terraform_data.KeyfactorUndo["drift-pending/a/Carrier[${S0}]"]`);
    expect(refused.message).toContain('pass --include-pending');
    // Nothing sent: no Remove of a, no Add of b.
    expect(started.sim.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(started.sim.storeContents(S0)).toContainEqual({ storeId: S0, alias: 'pending-a', certificateId: 3 });
    // And the CLI says so with exit 1.
    // (Asynchronously: the simulator answers from this process.)
    const cli = await new Promise<{ status: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'drift', '--fix', '--outdir', project.outdir], { env: { ...process.env, ...started.env } });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (status) => resolve({ status, err }));
    });
    expect(cli).toMatchObject({ status: 1, err: expect.stringContaining('not repaired, because its plan holds 2 change(s)') });

    // Asked for explicitly, the pending deletion goes with the repair, and the output says so.
    const res = await drift(project, { fix: true, includePending: true, pollIntervalSeconds: 0.2 });
    expect(res.code).toBe(0);
    expect(res.out).toMatch(new RegExp(`also applied \\(--include-pending\\): delete terraform_data\\.a_Carrier_[0-9A-F]+\\["${S0}"\\]`));
    const sent = started.sim.requests.slice(before).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path.replace(/^\/KeyfactorAPI/, '')} ${(r.body as any)?.CertificateStores?.[0]?.CertificateStoreId}`);
    expect(sent.sort()).toEqual([`POST ${ADD} ${S1}`, `POST /CertificateStores/Certificates/Remove ${S0}`].sort());
  });

  test('a store not inventoried since its last job is not yet verifiable; --strict counts it as drift', async () => {
    // A Command whose stores are inventoried a minute after each job: just after the apply, none has been.
    const slow = await startSimulator({ jobTiming: { waitingMs: 20, inProcessMs: 20 }, inventory: { afterJobsMs: 60_000 } });
    try {
      const project = e2e.project('drift-strict');
      project.synth((scope: Construct) => {
        new CertificateDeployment(scope, 'web', {
          certificateId: 3,
          schedule: Schedule.immediate(),
          wait: WaitPolicy.forCompletion({ pollIntervalSeconds: 1 }),
          stores: [{ certificateStoreId: S1, alias: 'drift-strict' }],
        });
      });
      await project.apply(slow.env);
      const run = (strict: boolean) => drift(project, { strict }, slow);
      let res = await run(false);
      expect(res.code).toBe(0);
      expect(res.out).toMatch(new RegExp(`not yet verifiable: certificate 3 is not in store ${S1} under alias "drift-strict" yet, ` +
        'and the store has not been inventoried since its job [0-9a-f-]{36} ended'));
      expect((await run(true)).code).toBe(2);
      // --fix re-runs drift only: an instance on its way is not sent again, even with --strict.
      const before = slow.sim.requests.length;
      expect((await drift(project, { strict: true, fix: true }, slow)).code).toBe(2);
      expect(slow.sim.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
      // Once the store is inventoried, the certificate is there.
      slow.sim.inventory(S1);
      res = await run(true);
      expect(res.code).toBe(0);
      expect(res.out).toContain('1 in sync, 0 drifted, 0 not yet verifiable');
    } finally {
      await slow.sim.stop();
    }
  });

  test('a stack without Keyfactor operations: exit 0, says so', async () => {
    const project = e2e.project('drift-empty');
    project.synth(() => undefined, {}, { defaults: false });
    await project.apply(started.env);
    // No connection settings needed when there is nothing to ask Command.
    const lines: string[] = [];
    const code = await runDrift({ outdir: project.outdir }, { PATH: process.env.PATH }, (l) => lines.push(l));
    expect({ code, out: lines.join('\n') }).toEqual({ code: 0, out: 'cdktf-keyfactor drift: 1 stack(s): no Keyfactor operation in their state, nothing to check.' });
  });

  test('an unknown --stack is named, not reported as a missing terraform', async () => {
    const project = e2e.project('drift-named');
    project.synth(() => undefined, {}, { defaults: false });
    await expect(runDrift({ outdir: project.outdir, stack: ['nosuch'] }, process.env, () => undefined))
      .rejects.toThrow(`no synthesized stack "nosuch" in ${project.outdir}: check the --stack name, or run \`cdktf synth\` first.`);
  });
});
