import { Construct } from 'constructs';
import { CertificateDeployment, CertificateStorePassword, Ledger, Schedule, Secret, WaitPolicy } from '../../src';
import { runDrift } from '../../src/cli/drift';
import { DEFAULT_SEED } from '../../src/simulator';
import { StartedSimulator, startSimulator } from '../support/simulator';
import { endToEnd } from '../support/terraform';

/**
 * `cdktf-keyfactor drift` against real terraform state and the simulator: in sync after a deploy,
 * drift once a certificate is taken out of a store behind Command's back and the store inventoried,
 * and `--fix` puts back exactly that one (an Add, no Remove of what is already gone).
 */
const [S0, S1] = [DEFAULT_SEED.stores[0].Id, DEFAULT_SEED.stores[1].Id];
const ADD = '/CertificateStores/Certificates/Add';
const REMOVE = '/CertificateStores/Certificates/Remove';

describe('cdktf-keyfactor drift', () => {
  const e2e = endToEnd();
  let started: StartedSimulator;
  beforeAll(() => (started = e2e.started()));

  type Options = { json?: boolean; strict?: boolean; fix?: boolean; pollIntervalSeconds?: number };
  /** `drift` as the CLI runs it, against `simulator` (the block's own by default). */
  async function drift(project: { outdir: string }, options: Options = {}, simulator = started): Promise<{ code: number; out: string }> {
    const lines: string[] = [];
    const code = await runDrift({ outdir: project.outdir, ...options }, { ...process.env, ...simulator.env }, (l) => lines.push(l));
    return { code, out: lines.join('\n') };
  }

  test('in sync, then drift named with its address, then --fix sends exactly one Add', async () => {
    const project = e2e.project('drift');
    project.synth((scope: Construct) => {
      new CertificateDeployment(scope, 'web', {
        certificateId: 3,
        schedule: Schedule.immediate(),
        wait: WaitPolicy.forCompletion({ pollIntervalSeconds: 1 }),
        stores: [{ certificateStoreId: S0, alias: 'drift-web' }, { certificateStoreId: S1, alias: 'drift-web' }],
      });
      new CertificateStorePassword(scope, 'password', { certStoreId: S0, newPassword: Secret.fromEnv('DRIFT_STORE_PASSWORD') });
    });
    await project.apply({ ...started.env, DRIFT_STORE_PASSWORD: 'drift-store-password' });

    let res = await drift(project);
    expect(res.code).toBe(0);
    expect(res.out).toContain('3 operation instance(s) in 1 stack(s): 2 in sync, 0 drifted, 0 not yet verifiable, 1 not checked.');
    expect(res.out).toContain('drift: CertificateStorePassword drift/password: not checked: a store password cannot be read back through the API');

    // Taken out of store S1 behind Command's back: Command shows it until the store is inventoried.
    expect(started.sim.removeFromStore(S1, 'drift-web')).toBe(true);
    expect((await drift(project)).code).toBe(0);
    started.sim.inventory(S1);

    res = await drift(project);
    expect(res.code).toBe(2);
    const address = `terraform_data.web_Carrier_8FBC246C["${S1}"]`;
    expect(res.out).toContain(`drift: CertificateDeployment drift/web [${S1}]: DRIFT: certificate 3 is not in store ${S1} under alias "drift-web"`);
    expect(res.out).toContain(`terraform apply -replace='${address}'`);
    expect(res.out).not.toContain(S0 + ']: DRIFT');

    const before = started.sim.requests.length;
    res = await drift(project, { fix: true, pollIntervalSeconds: 0.2 });
    expect(res.code).toBe(0);
    const sent = started.sim.requests.slice(before).filter((r) => r.method === 'POST' || r.method === 'PUT' || r.method === 'DELETE');
    expect(sent.map((r) => `${r.method} ${r.path.replace(/^\/KeyfactorAPI/, '')} ${JSON.stringify((r.body as any)?.CertificateStores)}`)).toEqual([
      `POST ${ADD} ${JSON.stringify([{ CertificateStoreId: S1, Alias: 'drift-web' }])}`,
    ]);
    expect(started.sim.received('POST', REMOVE)).toHaveLength(0);
    expect(started.sim.storeContents(S1)).toContainEqual({ storeId: S1, alias: 'drift-web', certificateId: 3 });
    // The replaced instance's undo was recorded as skipped, not sent.
    expect(Ledger.read(project.ledgerDir).filter((r) => r.phase === 'destroy').map((r) => [r.instanceKey, r.outcome])).toEqual([[S1, 'skipped']]);

    res = await drift(project, { json: true });
    expect(res.code).toBe(0);
    const report = JSON.parse(res.out);
    expect(report).toMatchObject({ inSync: true, summary: { checked: 3, inSync: 2, drift: 0 } });
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
      expect(res.out).toContain(`not yet verifiable: certificate 3 is not in store ${S1} under alias "drift-strict" yet, and the store has not been inventoried since its last job`);
      expect((await run(true)).code).toBe(2);
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
