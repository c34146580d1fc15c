import { RunnerError } from '../../../src/runtime/errors';
import { fetchJobStatuses, jobIdQueries, notDueReason, stateOf, waitForJobs } from '../../../src/runtime/jobs/completion';
import { DEFAULT_SEED, KeyfactorSimulator } from '../../../src/simulator';
import { basicEnv, clientFor, failure, S1, S2, startSim } from '../../support/runtime';

const FAILING = DEFAULT_SEED.stores.find((s) => s.failJobs)!.Id;
const ADD = '/CertificateStores/Certificates/Add';
const policy = (timeoutSeconds: number, pollIntervalSeconds = 0.05) => ({ mode: 'completion' as const, timeoutSeconds, pollIntervalSeconds });

const guid = (i: number) => `aaaaaaaa-bbbb-4ccc-8ddd-${String(i).padStart(12, '0')}`;

describe('JobHistory query building', () => {
  test('20 GUIDs fit in one query under the default limit', () => {
    const ids = Array.from({ length: 20 }, (_, i) => guid(i));
    const queries = jobIdQueries(ids, 2000);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toBe(ids.map((id) => `JobId -eq "${id}"`).join(' OR '));
  });

  test('splits only when the encoded query would exceed the limit, keeping every GUID once', () => {
    const ids = Array.from({ length: 200 }, (_, i) => guid(i));
    const queries = jobIdQueries(ids, 2000);
    expect(queries.length).toBe(Math.ceil(200 / Math.floor(2000 / encodeURIComponent(` OR JobId -eq "${guid(0)}"`).length)));
    for (const q of queries) expect(encodeURIComponent(q).length).toBeLessThanOrEqual(2000);
    expect(queries.join(' OR ').match(/JobId -eq "[^"]+"/g)).toEqual(ids.map((id) => `JobId -eq "${id}"`));
  });
});

describe('job states', () => {
  test.each([
    [undefined, 'pending'],
    [{ Status: 1, Result: 1 }, 'pending'],
    [{ Status: 2, Result: 1 }, 'pending'],
    [{ Status: 5, Result: 4 }, 'retrying'],
    [{ Status: 3, Result: 2 }, 'success'],
    [{ Status: 4, Result: 2 }, 'success'],
    [{ Status: 3, Result: 3 }, 'warning'],
    [{ Status: 3, Result: 4 }, 'failure'],
    [{ Status: 3, Result: 0 }, 'unknown'],
  ])('%j is %s', (row, state) => {
    expect(stateOf(row)).toBe(state);
  });

  test('only immediate and due one-off jobs are waited on', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(notDueReason({ Immediate: true }, now)).toBeUndefined();
    expect(notDueReason({ ExactlyOnce: { Time: '2026-11-23T11:00:00Z' } }, now)).toBeUndefined();
    expect(notDueReason({ ExactlyOnce: { Time: '2026-11-24T00:00:00Z' } }, now)).toMatch(/scheduled for 2026-11-24T00:00:00Z: not waiting/);
    expect(notDueReason({ Daily: { Time: '2026-11-23T02:00:00Z' } }, now)).toMatch(/recurring schedule \(Daily\)/);
  });
});

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
    const { statuses, warnings } = await waitForJobs(c.client, [{ jobId, subject: `store ${S1}` }], policy(10), (l) => lines.push(l), 2000);
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
    ], policy(10), () => undefined, 2000));
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
    const e = await failure(waitForJobs(c.client, [{ jobId: slow, subject: 'store one' }, { jobId: fast, subject: 'store two' }], policy(0.5, 0.1), () => undefined, 2000));
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(e.message).toBe('timed out after 0.5s with 1 of 2 jobs not final (their GUIDs are in the ledger; `npx cdktf-keyfactor jobs --wait` follows them):\n' +
      `  - job ${slow} (store one): pending (Status 1)`);
  });

  test('a GUID Command does not know stays pending with no history', async () => {
    const unknown = 'abcdef01-2345-4678-9abc-def012345678';
    const e = await failure(waitForJobs(c.client, [{ jobId: unknown, subject: 'nowhere' }], policy(0.2, 0.1), () => undefined, 2000));
    expect(e.message).toContain(`  - job ${unknown} (nowhere): pending (no history yet)`);
  });

  test('fetchJobStatuses: the newest history row of each job counts, whatever the case of the GUID asked for', async () => {
    sim.setStoreBehaviour(S1, { retriesBeforeSuccess: 1, jobDurationMs: { waitingMs: 10, inProcessMs: 10 } });
    const jobId = await add(S1);
    await new Promise((r) => setTimeout(r, 150));
    const [status] = await fetchJobStatuses(c.client, [jobId.toUpperCase()], 2000);
    expect(status).toMatchObject({ jobId: jobId.toUpperCase(), state: 'success', row: { Status: 3, Result: 2 } });
    expect(sim.jobs()[0].historyIds).toHaveLength(2);
  });
});
