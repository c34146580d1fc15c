import { SPEC_ENV } from '../../src/contract/environment';
import { canonicalJson, specHash } from '../../src/contract/spec';
import { Ledger } from '../../src/ledger';
import type { CertificateDeploymentSpec } from '../../src/operations/certificate-deployment/spec';
import { origin } from '../../src/runtime/settings';
import { KeyfactorSimulator } from '../../src/simulator';
import { writeRecord } from '../support/ledger';
import { basicEnv, clientFor, runInProcess, deploymentSpec, S1, startSim, tempDir } from '../support/runtime';

/** Which earlier records the runner looks for in JobHistory before sending, and which it closes at once. */
const ADD = '/CertificateStores/Certificates/Add';
const deployment = deploymentSpec('reconcile');

describe('reconciling earlier runs', () => {
  let sim: KeyfactorSimulator;
  beforeAll(async () => (sim = await startSim()));
  afterAll(async () => sim.stop());
  beforeEach(() => sim.reset());

  function setup(spec: CertificateDeploymentSpec = deployment) {
    const dir = tempDir('kf-reconcile-');
    const env = basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: dir, [SPEC_ENV]: canonicalJson(spec) });
    /** A record as a run stopped by SIGKILL leaves it. */
    const earlier = (fields: { sendingAt?: string; startedAt?: string } = {}) => writeRecord(dir, {
      operation: 'CertificateDeployment', phase: 'create', origin: origin(env), stack: 't', constructPath: 't/web', instanceKey: S1, specHash: specHash(spec),
    }, fields);
    return { dir, env, earlier };
  }

  test('a run stopped before it sent anything: closed at once, no JobHistory lookup, the Add sent', async () => {
    const { env, earlier, dir } = setup();
    const stopped = earlier();
    const { code, output } = await runInProcess(env);
    expect(code).toBe(0);
    expect(sim.received('GET', '/OrchestratorJobs/JobHistory')).toEqual([]);
    expect(sim.received('POST', ADD)).toHaveLength(1);
    expect(output).not.toContain('an earlier run');
    const closed = Ledger.read(dir).find((r) => r.recordId === stopped.recordId)!;
    expect(closed.outcome).toBe('failed');
    expect(closed.message).toMatch(/^interrupted before its outcome was recorded; it had sent no job-creating request/);
  });

  test('an unsettled run (answer lost, job not found) is checked once, then closed for good', async () => {
    const { env, dir } = setup();
    sim.injectFaults({ route: { method: 'POST', pathSuffix: ADD }, kind: 'resetBeforeProcessing', count: 1 });
    const first = await runInProcess({ ...env, CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0' });
    expect(first.code).toBe(1);
    expect(Ledger.read(dir)[0]).toMatchObject({ outcome: 'failed', unsettled: true });
    expect(Ledger.read(dir)[0].sendingAt).toBeDefined();

    const second = await runInProcess(env);
    expect(second.code).toBe(0);
    expect(second.output).toContain('an earlier run of this create');
    expect(sim.received('POST', ADD)).toHaveLength(2); // the first never reached Command (reset before processing)
    expect(sim.jobs()).toHaveLength(1);
    expect(Ledger.read(dir).filter((r) => r.unsettled)).toEqual([]);

    // A later re-run of the instance (terraform apply -replace: its Remove, then its Add) looks for nothing and sends.
    expect((await runInProcess(env, 'destroy')).code).toBe(0);
    const third = await runInProcess(env);
    expect(third.output).not.toContain('an earlier run');
    expect(sim.received('POST', ADD)).toHaveLength(3);
  });

  test('a create Terraform runs again after it succeeded (killed after the ledger write: a cancel) adopts its job; after its undo, it sends', async () => {
    const { env, dir } = setup();
    expect((await runInProcess(env)).code).toBe(0);
    const [job] = sim.jobs();
    // The same instance and spec again, with no destroy step in between: Terraform re-creates a tainted carrier.
    const again = await runInProcess(env);
    expect(again.code).toBe(0);
    expect(again.output).toContain(`its create already succeeded (ledger record ${Ledger.read(dir)[0].recordId}, job ${job.JobId}) and was never undone`);
    expect(sim.received('POST', ADD)).toHaveLength(1);
    const adopted = Ledger.read(dir).pop()!;
    expect(adopted).toMatchObject({ phase: 'create', outcome: 'succeeded', jobIds: [job.JobId], response: { adoptedFrom: Ledger.read(dir)[0].recordId } });
    // Once its destroy step ran (a Remove, or a skip), a create is a new one: it sends.
    expect((await runInProcess(env, 'destroy')).code).toBe(0);
    expect((await runInProcess(env)).code).toBe(0);
    expect(sim.received('POST', ADD)).toHaveLength(2);
  });

  test('a destroy step that never finished (its record still open) after the succeeded create: the next create sends, it adopts nothing', async () => {
    const { env, dir } = setup();
    expect((await runInProcess(env)).code).toBe(0);
    // The Remove went out, and the run was stopped before it recorded the outcome (or its record waits on another machine).
    writeRecord(dir, { operation: 'CertificateDeployment', phase: 'destroy', origin: origin(env), stack: 't', constructPath: 't/web', instanceKey: S1, specHash: specHash(deployment) },
      { sendingAt: new Date().toISOString() });
    const again = await runInProcess(env);
    expect(again.code).toBe(0);
    expect(again.output).not.toContain('already succeeded');
    expect(sim.received('POST', ADD)).toHaveLength(2);
  });

  test('a run older than a later finished run of the instance is superseded, not looked for', async () => {
    const { env, dir, earlier } = setup();
    const old = earlier({ sendingAt: new Date(Date.now() - 60_000).toISOString() });
    expect((await runInProcess(env)).code).toBe(0); // settles it (nothing in JobHistory) and sends
    const stale = earlier({ sendingAt: new Date().toISOString(), startedAt: '2000-01-01T00:00:00.000Z' }); // older than the run above
    const { output } = await runInProcess(env);
    expect(output).not.toContain('an earlier run');
    expect(Ledger.read(dir).find((r) => r.recordId === stale.recordId)!.message).toMatch(/a later run of this instance finished after it/);
    expect(old.recordId).not.toBe(stale.recordId);
  });

  test('a job started later than the earlier run could have sent is somebody else\'s: not adopted', async () => {
    const { env, earlier } = setup();
    // Somebody else's Add on the same store, now; the earlier run sent two hours ago (retry budget 10 s, timeout 60 s).
    await runInProcess(basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: tempDir('kf-other-'), [SPEC_ENV]: canonicalJson({ ...deployment, store: { ...deployment.store, alias: 'other' } }) }));
    const [theirs] = sim.jobs();
    earlier({ sendingAt: new Date(Date.now() - 2 * 3600_000).toISOString() });
    const { code, output } = await runInProcess(env);
    expect(code).toBe(0);
    expect(output).toContain('created no Management job');
    expect(sim.jobs()).toHaveLength(2);
    expect(sim.jobs()[1].JobId).not.toBe(theirs.JobId);
  });

  test('a scheduled Add that reached Command before the run stopped: found in ScheduledJobs (JobHistory has no row yet), adopted, not sent again', async () => {
    const weekly = { ...deployment, schedule: { Weekly: { Days: [0], Time: '2099-01-04T03:00:00Z' } } } as CertificateDeploymentSpec;
    const { env, earlier, dir } = setup(weekly);
    const stopped = earlier({ sendingAt: new Date(Date.now() - 1000).toISOString() });
    // What the stopped run's request did: Command created the weekly job (sent here through another ledger).
    expect((await runInProcess({ ...env, CDKTF_KEYFACTOR_LEDGER_DIR: tempDir('kf-reconcile-other-') })).code).toBe(0);
    const [job] = sim.jobs();
    const history = await clientFor(basicEnv(sim)).client.request<unknown[]>('GET', '/OrchestratorJobs/JobHistory', { query: { QueryString: `JobId -eq "${job.JobId}"` } });
    expect(history.data).toEqual([]);

    const { code, output } = await runInProcess(env);
    expect(code).toBe(0);
    expect(output).toContain(`its job ${job.JobId} (requested `);
    expect(output).toContain('is in ScheduledJobs, waiting for its schedule; not sending it again');
    expect(sim.received('POST', ADD)).toHaveLength(1);
    expect(sim.jobs()).toHaveLength(1);
    const records = Ledger.read(dir);
    expect(records.find((r) => r.outcome === 'succeeded')).toMatchObject({ jobIds: [job.JobId], response: { fromScheduledJobs: true } });
    expect(records.find((r) => r.recordId === stopped.recordId)!.outcome).toBe('failed');
  });

  test('a scheduled Add whose request never reached Command: neither list has it, so it is sent', async () => {
    const weekly = { ...deployment, schedule: { Weekly: { Days: [0], Time: '2099-01-04T03:00:00Z' } } } as CertificateDeploymentSpec;
    const { env, earlier } = setup(weekly);
    earlier({ sendingAt: new Date(Date.now() - 60_000).toISOString() });
    const { code } = await runInProcess({ ...env, CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '1' });
    expect(code).toBe(0);
    expect(sim.received('GET', '/OrchestratorJobs/ScheduledJobs').length).toBeGreaterThan(0);
    expect(sim.received('POST', ADD)).toHaveLength(1);
  });
});
