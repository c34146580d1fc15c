import { basicEnv, clientFor, failure, S1, S2, startSim } from './support';
import { RunnerError } from '../../src/runner/errors';
import { fetchJobStatuses, waitForJobs } from '../../src/runner/job-wait';
import { DEFAULT_SEED, KeyfactorSimulator } from '../../src/simulator';

const FAILING = DEFAULT_SEED.stores.find((s) => s.failJobs)!.Id;
const ADD = '/CertificateStores/Certificates/Add';
const policy = (timeoutSeconds: number, pollIntervalSeconds = 0.05) => ({ mode: 'completion' as const, timeoutSeconds, pollIntervalSeconds });

describe('waitForJobs against the simulator', () => {
  let sim: KeyfactorSimulator;
  let c: ReturnType<typeof clientFor>;
  beforeAll(async () => {
    sim = await startSim();
    c = clientFor(basicEnv(sim));
  });
  afterAll(async () => sim.stop());
  beforeEach(() => sim.reset());

  const add = async (store: string, alias = 'w') => (await c.client.request<string[]>('POST', ADD, {
    body: { CertificateId: 3, CertificateStores: [{ CertificateStoreId: store, Alias: alias }], Schedule: { Immediate: true } },
  })).data[0];

  test('a job in CompletedWillRetry is not final: the wait goes on until its retry completes', async () => {
    sim.setStoreBehaviour(S1, { retriesBeforeSuccess: 1, jobDurationMs: { waitingMs: 300, inProcessMs: 50 } });
    const jobId = await add(S1);
    const lines: string[] = [];
    const { statuses, warnings } = await waitForJobs(c.client, [{ jobId, subject: `store ${S1}` }], policy(10), (l) => lines.push(l));
    expect(statuses).toEqual([expect.objectContaining({ jobId, state: 'success' })]);
    expect(warnings).toEqual([]);
    expect(lines.some((l) => /^waiting for jobs: 0\/1 done, [\d.]+s elapsed, 1 will retry$/.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^waiting for jobs: 1\/1 done, [\d.]+s elapsed$/);
    // It returned only once the job had really completed, after its retry.
    const [job] = sim.jobs();
    expect(job).toMatchObject({ JobId: jobId, Status: 3, Result: 2 });
    expect(job.historyIds).toHaveLength(2);
  });

  test('a failed job fails the wait, naming the job, its subject, the message and the hint', async () => {
    const ok = await add(S2);
    const bad = await add(FAILING);
    const e = await failure(waitForJobs(c.client, [
      { jobId: ok, subject: `store ${S2}` },
      { jobId: bad, subject: `store ${FAILING}`, hint: 'to run it again: terraform apply -replace=x' },
    ], policy(10), () => undefined));
    expect(e).toBeInstanceOf(RunnerError);
    const failed = sim.jobs().find((j) => j.JobId === bad)!;
    expect(e.message).toBe(`1 of 2 jobs failed:\n  - job ${bad} (store ${FAILING}): ${failed.Message}\n    to run it again: terraform apply -replace=x`);
    expect(failed.Message).toBeTruthy();
  });

  test('the timeout fails the wait, naming each job still pending and its status', async () => {
    sim.setStoreBehaviour(S1, { jobDurationMs: { waitingMs: 60_000, inProcessMs: 10 } });
    const slow = await add(S1);
    const fast = await add(S2);
    const started = Date.now();
    const e = await failure(waitForJobs(c.client, [{ jobId: slow, subject: 'store one' }, { jobId: fast, subject: 'store two' }], policy(0.5, 0.1), () => undefined));
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(e.message).toBe('timed out after 0.5s with 1 of 2 jobs not final (their GUIDs are in the ledger; `npx cdktf-keyfactor jobs --wait` follows them):\n' +
      `  - job ${slow} (store one): pending (Status 1)`);
  });

  test('a GUID Command does not know stays pending with no history', async () => {
    const unknown = 'abcdef01-2345-4678-9abc-def012345678';
    const e = await failure(waitForJobs(c.client, [{ jobId: unknown, subject: 'nowhere' }], policy(0.2, 0.1), () => undefined));
    expect(e.message).toContain(`  - job ${unknown} (nowhere): pending (no history yet)`);
  });

  test('fetchJobStatuses: the newest history row of each job counts, whatever the case of the GUID asked for', async () => {
    sim.setStoreBehaviour(S1, { retriesBeforeSuccess: 1, jobDurationMs: { waitingMs: 10, inProcessMs: 10 } });
    const jobId = await add(S1);
    await new Promise((r) => setTimeout(r, 150));
    const [status] = await fetchJobStatuses(c.client, [jobId.toUpperCase()]);
    expect(status).toMatchObject({ jobId: jobId.toUpperCase(), state: 'success', row: { Status: 3, Result: 2 } });
    expect(sim.jobs()[0].historyIds).toHaveLength(2);
  });
});
