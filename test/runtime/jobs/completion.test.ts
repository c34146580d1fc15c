import { RunnerError } from '../../../src/runtime/errors';
import { fetchJobStatuses, jobIdQueries, notDueReason, pageCap, stateOf, waitForJobs, waitIfAsked } from '../../../src/runtime/jobs/completion';
import { DEFAULT_SEED, KeyfactorSimulator } from '../../../src/simulator';
import { caseVariant } from '../../support/guid';
import { basicEnv, captureOutput, clientFor, contextFor, failure, S1, S2, SEED, startSim } from '../../support/runtime';
import { ScriptedServer } from '../../support/scripted-server';

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

describe('JobHistory queries hold GUIDs only', () => {
  test('a job id from an edited ledger record that is not a GUID is refused, named, and never sent', async () => {
    const sim = await startSim({ seed: SEED });
    try {
      const { client } = clientFor(basicEnv(sim));
      const edited = `${guid(1)}" OR JobId -ne "x`;
      const before = sim.requests.length;
      const e = await failure(waitForJobs(client, [{ jobId: guid(2), subject: 'a' }, { jobId: edited, subject: 'b' }], policy(1), () => undefined, 2000));
      expect(e.message).toBe(`1 job id(s) read from the ledger are not GUIDs, so they are not sent in a JobHistory query: ${JSON.stringify(edited)}. ` +
        'A ledger record was edited or damaged: fix or remove it.');
      expect(sim.requests.slice(before)).toEqual([]);
    } finally {
      await sim.stop();
    }
  });
});

describe('JobHistory query limits', () => {
  test('a query exactly at the limit stays whole; one character over splits it', () => {
    const ids = [guid(1), guid(2)];
    const exact = encodeURIComponent(ids.map((id) => `JobId -eq "${id}"`).join(' OR ')).length;
    expect(jobIdQueries(ids, exact)).toHaveLength(1);
    expect(jobIdQueries(ids, exact - 1)).toEqual([`JobId -eq "${guid(1)}"`, `JobId -eq "${guid(2)}"`]);
    // A single GUID longer than the limit is still asked for, alone.
    expect(jobIdQueries([guid(1)], 10)).toEqual([`JobId -eq "${guid(1)}"`]);
    expect(jobIdQueries([], 2000)).toEqual([]);
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

describe('when jobs are due', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  const at = (ms: number) => ({ ExactlyOnce: { Time: new Date(now + ms).toISOString() } });
  test('a one-off job up to a minute ahead is waited on; later than that, not', () => {
    expect(notDueReason(at(30_000), now)).toBeUndefined();
    expect(notDueReason(at(60_000), now)).toBeUndefined();
    expect(notDueReason(at(61_000), now)).toBe(`the jobs are scheduled for ${new Date(now + 61_000).toISOString()}: not waiting for them`);
    expect(notDueReason(undefined, now)).toBeUndefined();
    expect(notDueReason({ Interval: { Minutes: 5 } }, now)).toBe('the jobs run on a recurring schedule (Interval): not waiting for them');
  });
});

describe('waitForJobs against a scripted JobHistory', () => {
  let server: ScriptedServer;
  let rows: Array<Record<string, unknown>>;
  beforeAll(async () => {
    server = await ScriptedServer.start(() => ({ status: 200, body: JSON.stringify(rows) }));
  });
  afterAll(() => server.stop());
  beforeEach(() => (server.requests.length = 0));
  const client = () => clientFor({ KEYFACTOR_HOSTNAME: server.url, KEYFACTOR_USERNAME: 'u', KEYFACTOR_PASSWORD: 'p' }).client;

  test('a Warning result, or none, is final: reported in the log and returned, not failed', async () => {
    rows = [
      { JobHistoryId: 1, JobId: guid(1), Status: 3, Result: 3, Message: 'Certificate added with warnings.' },
      { JobHistoryId: 2, JobId: guid(2), Status: 4, Result: 0 },
      { JobHistoryId: 3, JobId: guid(3), Status: 3, Result: 2 },
    ];
    const lines: string[] = [];
    const { statuses, warnings } = await waitForJobs(client(), [1, 2, 3].map((i) => ({ jobId: guid(i), subject: `store ${i}` })), policy(5), (l) => lines.push(l), 2000);
    expect(statuses.map((x) => x.state)).toEqual(['warning', 'unknown', 'success']);
    expect(warnings).toEqual([
      `job ${guid(1)} (store 1) finished with Warning: Certificate added with warnings.`,
      `job ${guid(2)} (store 2) finished with no result:`,
    ]);
    expect(lines).toEqual([
      expect.stringMatching(/^waiting for jobs: 3\/3 done, 0\.\ds elapsed$/),
      `WARNING: job ${guid(1)} (store 1) finished with Warning: Certificate added with warnings.`,
      `WARNING: job ${guid(2)} (store 2) finished with no result:`,
    ]);
  });

  test('several failures: one line each', async () => {
    rows = [
      { JobHistoryId: 1, JobId: guid(1), Status: 3, Result: 4, Message: 'Store unreachable.' },
      { JobHistoryId: 2, JobId: guid(2), Status: 3, Result: 4, Message: 'Access denied.' },
    ];
    const e = await failure(waitForJobs(client(), [1, 2].map((i) => ({ jobId: guid(i), subject: `store ${i}` })), policy(5), () => undefined, 2000));
    expect(e.message).toBe(`2 of 2 jobs failed:\n  - job ${guid(1)} (store 1): Store unreachable.\n  - job ${guid(2)} (store 2): Access denied.`);
  });

  test('a timeout lists each pending job on its own line', async () => {
    rows = [
      { JobHistoryId: 1, JobId: guid(1), Status: 2, Result: 1 },
      { JobHistoryId: 2, JobId: guid(2), Status: 1, Result: 1 },
    ];
    const e = await failure(waitForJobs(client(), [1, 2].map((i) => ({ jobId: guid(i), subject: `store ${i}` })), policy(0.1), () => undefined, 2000));
    expect(e.message.split('\n').slice(1)).toEqual([`  - job ${guid(1)} (store 1): pending (InProcess)`, `  - job ${guid(2)} (store 2): pending (Waiting)`]);
  });

  test('a failure without a message says so', async () => {
    rows = [{ JobHistoryId: 1, JobId: guid(1), Status: 3, Result: 4 }];
    const e = await failure(waitForJobs(client(), [{ jobId: guid(1), subject: 'store 1' }], policy(5), () => undefined, 2000));
    expect(e.message).toBe(`1 of 1 jobs failed:\n  - job ${guid(1)} (store 1): no message`);
  });

  test('polls at the interval until the deadline, then once more at it', async () => {
    rows = [{ JobHistoryId: 1, JobId: guid(1), Status: 2, Result: 1 }];
    const lines: string[] = [];
    const started = Date.now();
    await failure(waitForJobs(client(), [{ jobId: guid(1), subject: 's' }], policy(0.5, 0.2), (l) => lines.push(l), 2000));
    const took = Date.now() - started;
    // Polls at 0, 0.2, 0.4 and at the deadline (0.5): a few requests (fewer when the machine is
    // slow), never a busy loop and never a single one.
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
    expect(server.requests.length).toBeLessThanOrEqual(4);
    expect(took).toBeGreaterThanOrEqual(500);
    // The log's elapsed time is in seconds since the wait began.
    const elapsed = lines.map((l) => Number(/, ([\d.]+)s elapsed/.exec(l)![1]));
    expect(elapsed[0]).toBeLessThan(elapsed[elapsed.length - 1]);
    expect(elapsed[elapsed.length - 1]).toBeGreaterThanOrEqual(0.3);
    expect(elapsed[elapsed.length - 1]).toBeLessThan(took / 1000 + 0.1);
  });

  test('a poll interval longer than the time left: the next poll is at the deadline, and a job done by then counts', async () => {
    // In process on the first poll, completed on any later one.
    const inProcess = { JobHistoryId: 1, JobId: guid(1), Status: 2, Result: 1 };
    const completed = { JobHistoryId: 1, JobId: guid(1), Status: 3, Result: 2 };
    server.script = (_req, n) => ({ status: 200, body: JSON.stringify([n === 1 ? inProcess : completed]) });
    const { statuses } = await waitForJobs(client(), [{ jobId: guid(1), subject: 's' }], policy(0.3, 600), () => undefined, 2000);
    expect(statuses.map((x) => x.state)).toEqual(['success']);
    expect(server.requests).toHaveLength(2);
  }, 10_000); // sleeping the whole interval instead would take 600 s

  test('rows in any order: the one with the highest JobHistoryId counts', async () => {
    server.script = () => ({
      status: 200,
      body: JSON.stringify([
        { JobHistoryId: 7, JobId: guid(1), Status: 5, Result: 4 },
        { JobHistoryId: 9, JobId: guid(1), Status: 3, Result: 2 },
        { JobHistoryId: 8, JobId: guid(1), Status: 3, Result: 4 },
      ]),
    });
    const [status] = await fetchJobStatuses(client(), [guid(1)], 2000);
    expect(status).toMatchObject({ state: 'success', row: { JobHistoryId: 9 } });
  });

  test('pages of 100 rows, newest first, until a short page; the newest row of each job counts', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => guid(i));
    server.script = (req) => {
      const page = Number(new URL(req.path, server.url).searchParams.get('PageReturned'));
      const all = ids.map((id, i) => ({ JobHistoryId: 1000 - i, JobId: id, Status: 3, Result: 2 }));
      // One job also has an older row that still says it will retry.
      all.push({ JobHistoryId: 1, JobId: ids[0], Status: 5, Result: 4 });
      return { status: 200, body: JSON.stringify(all.slice((page - 1) * 100, page * 100)) };
    };
    const statuses = await fetchJobStatuses(client(), ids, 100_000);
    expect(statuses.every((x) => x.state === 'success')).toBe(true);
    const queries = server.requests.map((r) => Object.fromEntries(new URL(r.path, server.url).searchParams));
    expect(queries.map((q) => q.PageReturned)).toEqual(['1', '2']);
    expect(queries[0]).toMatchObject({ ReturnLimit: '100', SortField: 'JobHistoryId', SortAscending: '1' });
  });

  test('the x-total-count header ends paging when the last page is full', async () => {
    server.script = () => ({ status: 200, headers: { 'x-total-count': '100' }, body: JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ JobHistoryId: i + 1, JobId: guid(i), Status: 3, Result: 2 }))) });
    // 20 jobs may have 2 pages of rows: the header, not the page cap, stops at one.
    await fetchJobStatuses(client(), Array.from({ length: 20 }, (_, i) => guid(i)), 2000);
    expect(server.requests).toHaveLength(1);
  });

  test('the page cap: up to 10 rows per job asked for, in pages of 100', () => {
    expect([1, 10, 11, 30, 34, 150].map(pageCap)).toEqual([1, 1, 2, 3, 4, 15]);
  });

  describe('a server that ignores PageReturned (always a full page: unrelated jobs and ours, Waiting)', () => {
    const ours = Array.from({ length: 30 }, (_, i) => guid(i));
    const fullPage = () => ({
      status: 200,
      body: JSON.stringify([
        ...ours.map((id, i) => ({ JobHistoryId: 1000 + i, JobId: id, Status: 1, Result: 1 })),
        ...Array.from({ length: 70 }, (_, i) => ({ JobHistoryId: i + 1, JobId: guid(500 + i), Status: 3, Result: 2 })),
      ]),
    });
    const pagesAsked = () => server.requests.map((r) => new URL(r.path, server.url).searchParams.get('PageReturned'));

    test('one status fetch reads at most the page cap (3 pages for 30 jobs), not forever', async () => {
      server.script = fullPage;
      const statuses = await fetchJobStatuses(client(), ours, 2000);
      expect(statuses.every((x) => x.state === 'pending')).toBe(true);
      expect(pagesAsked()).toEqual(['1', '2', '3']);
    });

    test('past the deadline only the first page of each query is read', async () => {
      server.script = fullPage;
      await fetchJobStatuses(client(), ours, 2000, Date.now() - 1);
      expect(pagesAsked()).toEqual(['1']);
      server.requests.length = 0;
      // Two queries (a short length limit): each still gets its first page, so the wait's last poll sees every job.
      expect(jobIdQueries(ours, 1000)).toHaveLength(2);
      await fetchJobStatuses(client(), ours, 1000, Date.now() - 1);
      expect(pagesAsked()).toEqual(['1', '1']);
    });

    test('the wait ends at its deadline with its timeout error, after a bounded number of requests', async () => {
      server.script = fullPage;
      const started = Date.now();
      const e = await failure(waitForJobs(client(), ours.map((jobId) => ({ jobId, subject: 's' })), policy(2, 0.5), () => undefined, 2000));
      const took = Date.now() - started;
      expect(e).toBeInstanceOf(RunnerError);
      expect(e.message).toMatch(/^timed out after 2s with 30 of 30 jobs not final /);
      expect(took).toBeGreaterThanOrEqual(2000);
      expect(took).toBeLessThan(5000);
      // Polls at 0, 0.5, 1 and 1.5 s and at the deadline: at most ceil(2 / 0.5) + 1 = 5, each at most
      // pageCap(30) = 3 requests (before the cap, one poll of this server never ended).
      expect(server.requests.length).toBeGreaterThanOrEqual(3);
      expect(server.requests.length).toBeLessThanOrEqual(5 * 3);
    });
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
      `  - job ${slow} (store one): pending (Waiting)`);
  });

  test('a GUID Command does not know stays pending with no history', async () => {
    const unknown = 'abcdef01-2345-4678-9abc-def012345678';
    const e = await failure(waitForJobs(c.client, [{ jobId: unknown, subject: 'nowhere' }], policy(0.2, 0.1), () => undefined, 2000));
    expect(e.message).toContain(`  - job ${unknown} (nowhere): pending (no history yet)`);
  });

  test('waitIfAsked: waits only under a completion policy, for due jobs, and says what it does', async () => {
    const jobId = await add(S1);
    const jobs = [{ jobId, subject: `store ${S1}` }];
    const history = () => sim.received('GET', '/OrchestratorJobs/JobHistory').length;
    const out = captureOutput();
    try {
      const ctx = contextFor(basicEnv(sim));
      expect(await waitIfAsked(ctx, undefined, jobs)).toEqual([]);
      expect(await waitIfAsked(ctx, { mode: 'none' }, jobs)).toEqual([]);
      expect(await waitIfAsked(ctx, policy(5), [])).toEqual([]);
      expect(await waitIfAsked(ctx, policy(5), jobs, { Daily: { Time: '2026-01-01T02:00:00Z' } })).toEqual([]);
      expect(history()).toBe(0);
      expect(await waitIfAsked(ctx, policy(5), jobs, { Immediate: true })).toEqual([]);
      expect(history()).toBeGreaterThan(0);
    } finally {
      out.restore();
    }
    expect(out.text().split('\n').filter(Boolean).map((l) => l.replace(/\d+\.\ds elapsed/, 'Ns elapsed'))).toEqual([
      'cdktf-keyfactor: test: the jobs run on a recurring schedule (Daily): not waiting for them',
      'cdktf-keyfactor: test: waiting up to 5s for 1 job(s), polling every 0.05s',
      ...Array(history() - 1).fill('cdktf-keyfactor: test: waiting for jobs: 0/1 done, Ns elapsed'),
      'cdktf-keyfactor: test: waiting for jobs: 1/1 done, Ns elapsed',
      'cdktf-keyfactor: test: all 1 job(s) completed',
    ]);
  });

  test('fetchJobStatuses: the newest history row of each job counts, whatever the case of the GUID asked for', async () => {
    sim.setStoreBehaviour(S1, { retriesBeforeSuccess: 1, jobDurationMs: { waitingMs: 10, inProcessMs: 10 } });
    const jobId = await add(S1);
    await new Promise((r) => setTimeout(r, 150));
    const [status] = await fetchJobStatuses(c.client, [caseVariant(jobId)], 2000);
    expect(status).toMatchObject({ jobId: caseVariant(jobId), state: 'success', row: { Status: 3, Result: 2 } });
    expect(sim.jobs()[0].historyIds).toHaveLength(2);
  });
});

describe('many jobs: one JobHistory request per poll', () => {
  let sim: KeyfactorSimulator;
  afterAll(async () => sim?.stop());

  test('200 GUIDs are read through one window query (JobType, OperationStart); jobs outside it by GUID', async () => {
    const base = DEFAULT_SEED.stores[0];
    const stores = Array.from({ length: 200 }, (_, i) => ({ ...base, Id: guid(5000 + i), ClientMachine: `w-${i}.example.test`, Storepath: `/w/${i}.pem` }));
    sim = await startSim({ seed: { ...SEED, stores: [...SEED.stores, ...stores] } });
    const { client } = clientFor(basicEnv(sim));
    const since = new Date();
    const res = await client.request<string[]>('POST', ADD, {
      body: { CertificateId: 3, CertificateStores: stores.map((s) => ({ CertificateStoreId: s.Id, Alias: 'w' })), Schedule: { Immediate: true } },
    });
    const ids = res.data;
    expect(ids).toHaveLength(200);
    // Other jobs in the window are read and ignored.
    await client.request('POST', ADD, { body: { CertificateId: 3, CertificateStores: [{ CertificateStoreId: S1, Alias: 'other' }], Schedule: { Immediate: true } } });
    const history = () => sim.requests.filter((r) => r.path.endsWith('/OrchestratorJobs/JobHistory')).length;

    let before = history();
    const statuses = await fetchJobStatuses(client, ids, 2000, Infinity, { jobType: 'Management', since });
    expect(history() - before).toBe(1);
    expect(statuses.map((s) => s.jobId)).toEqual(ids);
    expect(statuses.every((s) => s.row?.JobId === s.jobId)).toBe(true);
    // Without a window: one request per 2,000-character chunk of GUIDs.
    before = history();
    expect((await fetchJobStatuses(client, ids, 2000)).map((s) => s.row?.JobId)).toEqual(ids);
    expect(history() - before).toBe(jobIdQueries(ids, 2000).length);

    // A clock far ahead of Command's puts every job before the window: they are asked for by GUID, none is lost.
    before = history();
    const skewed = await fetchJobStatuses(client, ids, 2000, Infinity, { jobType: 'Management', since: new Date(Date.now() + 3_600_000) });
    expect(skewed.map((s) => s.row?.JobId)).toEqual(ids);
    expect(history() - before).toBe(1 + jobIdQueries(ids, 2000).length);
  });
});
