import { AGENT_1, api, jobIdFilter, sleep, store } from './helpers';
import { KeyfactorSimulator } from '../../src/simulator';

const WAITING_MS = 120;
const IN_PROCESS_MS = 120;
let sim: KeyfactorSimulator;

beforeAll(async () => {
  sim = await KeyfactorSimulator.start({ jobTiming: { waitingMs: WAITING_MS, inProcessMs: IN_PROCESS_MS } });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => sim.reset());

const immediate = { Immediate: true };

async function add(certificateId: number, stores: object[], schedule: object = immediate) {
  return api(sim).post('/CertificateStores/Certificates/Add', { CertificateId: certificateId, CertificateStores: stores, Schedule: schedule });
}

async function history(params: Record<string, string | number>) {
  return api(sim).get('/OrchestratorJobs/JobHistory', { params });
}

describe('POST /CertificateStores/Certificates/Add', () => {
  test('returns one job id per entry, in order, and the job progresses to Success', async () => {
    // Phases long enough that a loaded machine still reads the job while Waiting, then InProcess.
    for (const i of [1, 2]) sim.setStoreBehaviour(store(i), { jobDurationMs: { waitingMs: 1000, inProcessMs: 1000 } });
    const res = await add(3, [{ CertificateStoreId: store(1), Alias: 'api' }, { CertificateStoreId: store(2), Alias: 'api' }]);
    expect(res.status).toBe(200);
    expect(res.data).toHaveLength(2);
    const jobs = sim.jobs();
    expect(jobs.map((j) => j.JobId)).toEqual(res.data);
    expect(jobs.map((j) => j.CertificateStoreId)).toEqual([store(1), store(2)]);
    expect(jobs[0]).toMatchObject({ JobType: 'Management', Operation: 'Add', CertificateId: 3, Alias: 'api', AgentId: AGENT_1 });

    // Poll until completed; the statuses seen must run Waiting -> InProcess -> Completed.
    const query = { QueryString: `JobId -eq "${res.data[0]}"` };
    const first = (await history(query)).data;
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ JobId: res.data[0], Status: 1, Result: 1, OperationEnd: null, JobType: 'Management' });
    const seen: number[] = [1];
    while (seen[seen.length - 1] !== 3) {
      await sleep(15);
      const row = (await history(query)).data[0];
      if (row.Status !== 3) expect(row.Result).toBe(1);
      if (row.Status !== seen[seen.length - 1]) seen.push(row.Status);
    }
    expect(seen).toEqual([1, 2, 3]);
    const done = (await history(query)).data[0];
    expect(done).toMatchObject({ Status: 3, Result: 2, Message: null, StorePath: '/etc/ssl/web-01.pem', ClientMachine: 'web-01.example.test' });
    expect(Object.keys(done).sort()).toEqual([
      'AgentMachine', 'ClientMachine', 'JobHistoryId', 'JobId', 'JobType', 'Message', 'OperationEnd',
      'OperationStart', 'Result', 'Schedule', 'Status', 'StorePath',
    ]);
    expect(done.AgentMachine).toBe('orchestrator-01.example.test');
    expect(Date.parse(done.OperationEnd)).toBeGreaterThan(Date.parse(done.OperationStart));

    const cert = await api(sim).get('/Certificates/3', { params: { includeLocations: true } });
    expect(cert.data.Locations).toEqual([
      { StoreMachine: 'web-01.example.test', StorePath: '/etc/ssl/web-01.pem', StoreType: 2, Alias: 'api', ChainLevel: 0, CertStoreId: store(1) },
      { StoreMachine: 'app-01.example.test', StorePath: '/opt/app/keystore.jks', StoreType: 1, Alias: 'api', ChainLevel: 0, CertStoreId: store(2) },
    ]);
  });

  test('a failJobs store ends in Failure with a Message', async () => {
    const res = await add(3, [{ CertificateStoreId: store(4), Alias: 'api' }]);
    await sleep(WAITING_MS + IN_PROCESS_MS + 20);
    const row = (await history({ QueryString: `JobId -eq "${res.data[0]}"` })).data[0];
    expect(row).toMatchObject({ Status: 3, Result: 4 });
    expect(row.Message).toEqual(expect.stringContaining('broken-01.example.test'));
    const cert = await api(sim).get('/Certificates/3', { params: { includeLocations: 'true' } });
    expect(cert.data.Locations).toEqual([]);
  });

  test('a future ExactlyOnce or a recurring schedule stays Waiting', async () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    await add(3, [{ CertificateStoreId: store(1) }], { ExactlyOnce: { Time: later } });
    await add(3, [{ CertificateStoreId: store(2) }], { Interval: { Minutes: 5 } });
    await sleep(WAITING_MS + IN_PROCESS_MS + 20);
    expect(sim.jobs().map((j) => [j.Status, j.Result])).toEqual([[1, 1], [1, 1]]);
    expect(sim.jobs()[0].Alias).toBe('3333333333333333333333333333333333333333');
  });

  test('a job waiting for its schedule is in ScheduledJobs and not in JobHistory; once due, the other way round', async () => {
    const soon = new Date(Date.now() + 400).toISOString();
    const [weekly] = (await add(3, [{ CertificateStoreId: store(1), Alias: 'weekly' }], { Weekly: { Days: [0], Time: '2099-01-04T03:00:00Z' } })).data;
    const [once] = (await add(3, [{ CertificateStoreId: store(2), Alias: 'once' }], { ExactlyOnce: { Time: soon } })).data;
    const [now] = (await add(3, [{ CertificateStoreId: store(1), Alias: 'now' }])).data;
    const scheduled = async (params: Record<string, string> = {}) => (await api(sim).get('/OrchestratorJobs/ScheduledJobs', { params })).data;
    const listed = await scheduled();
    expect(listed.map((j: any) => j.Id)).toEqual([weekly, once]);
    expect(listed[0]).toEqual({
      Id: weekly,
      ClientMachine: 'web-01.example.test',
      Target: '/etc/ssl/web-01.pem',
      Schedule: { Weekly: { Days: [0], Time: '2099-01-04T03:00:00Z' } },
      Requested: expect.any(String),
      JobType: 'Management',
    });
    expect((await history({ QueryString: 'JobType -eq "Management"' })).data.map((r: any) => r.JobId)).toEqual([now]);
    // The model's own names filter it.
    expect((await scheduled({ QueryString: `Id -eq "${once}"` })).map((j: any) => j.Id)).toEqual([once]);
    expect((await scheduled({ QueryString: `Target -eq "/etc/ssl/web-01.pem" AND Requested -ge "${new Date(Date.now() - 60_000).toISOString()}"` })).map((j: any) => j.Id)).toEqual([weekly]);
    await sleep(500);
    expect((await scheduled()).map((j: any) => j.Id)).toEqual([weekly]);
    expect((await history({ QueryString: 'JobType -eq "Management"' })).data.map((r: any) => r.JobId).sort()).toEqual([now, once].sort());
  });

  test('an unknown store or certificate is a 400 and creates no job', async () => {
    const missing = '99999999-9999-4999-8999-999999999999';
    const res = await add(3, [{ CertificateStoreId: store(1) }, { CertificateStoreId: missing }]);
    expect(res.status).toBe(400);
    expect(res.data.Message).toBe(`Certificate store with id '${missing}' was not found.`);
    expect((await add(999, [{ CertificateStoreId: store(1) }])).status).toBe(400);
    expect(sim.jobs()).toEqual([]);
  });

  test('validation errors name the field', async () => {
    const bad = await add(3, [{ CertificateStoreId: 'not-a-guid' }]);
    expect(bad.status).toBe(400);
    expect(bad.data.Message).toBe('CertificateStores[0].CertificateStoreId: Invalid GUID');

    const empty = await add(3, []);
    expect(empty.data.Message).toMatch(/^CertificateStores: /);

    const noSchedule = await api(sim).post('/CertificateStores/Certificates/Add', { CertificateId: 3, CertificateStores: [{ CertificateStoreId: store(1) }] });
    expect(noSchedule.data.Message).toBe('Schedule: Required');

    const twoMembers = await add(3, [{ CertificateStoreId: store(1) }], { Immediate: true, Interval: { Minutes: 5 } });
    expect(twoMembers.data.Message).toMatch(/^Schedule: exactly one of/);

    const badTime = await add(3, [{ CertificateStoreId: store(1) }], { ExactlyOnce: { Time: 'tomorrow' } });
    expect(badTime.data.Message).toMatch(/^Schedule\.ExactlyOnce\.Time: /);

    const stringSecret = await add(3, [{ CertificateStoreId: store(1), EntryPassword: 'secret' }]);
    expect(stringSecret.data.Message).toMatch(/^CertificateStores\[0\]\.EntryPassword: /);
  });
});

describe('POST /CertificateStores/Certificates/Remove', () => {
  test('creates a job per entry and removes the location on success', async () => {
    const res = await api(sim).post('/CertificateStores/Certificates/Remove', {
      CertificateStores: [{ CertificateStoreId: store(2), Alias: 'app' }],
      Schedule: immediate,
    });
    expect(res.status).toBe(200);
    expect(res.data).toHaveLength(1);
    expect(sim.jobs()[0]).toMatchObject({ Operation: 'Remove', CertificateId: 2, Alias: 'app' });
    await sleep(WAITING_MS + IN_PROCESS_MS + 20);
    const cert = await api(sim).get('/Certificates/2?includeLocations=true');
    expect(cert.data.Locations).toEqual([]);
  });

  test('an unknown store is a 400', async () => {
    const res = await api(sim).post('/CertificateStores/Certificates/Remove', {
      CertificateStores: [{ CertificateStoreId: '99999999-9999-4999-8999-999999999999', Alias: 'x' }],
      Schedule: immediate,
    });
    expect(res.status).toBe(400);
    expect(res.data.Message).toMatch(/was not found/);
  });
});

describe('GET /OrchestratorJobs/JobHistory', () => {
  test('a JobId OR filter with 20 GUIDs returns 20 rows, with x-total-count and paging', async () => {
    const stores = Array.from({ length: 10 }, (_, i) => ({ CertificateStoreId: store((i % 3) + 1), Alias: `a${i}` }));
    const first = await add(3, stores);
    const second = await add(4, stores);
    await add(5, [{ CertificateStoreId: store(1) }]); // not in the filter
    const ids: string[] = [...first.data, ...second.data];
    expect(ids).toHaveLength(20);

    const all = await history({ QueryString: jobIdFilter(ids), ReturnLimit: 100 });
    expect(all.status).toBe(200);
    expect(all.headers['x-total-count']).toBe('20');
    expect(all.data.map((r: { JobId: string }) => r.JobId)).toEqual(ids);

    const page2 = await history({ QueryString: jobIdFilter(ids), ReturnLimit: 8, PageReturned: 2 });
    expect(page2.headers['x-total-count']).toBe('20');
    expect(page2.data.map((r: { JobId: string }) => r.JobId)).toEqual(ids.slice(8, 16));

    const page3 = await history({ QueryString: jobIdFilter(ids), ReturnLimit: 8, PageReturned: 3 });
    expect(page3.data).toHaveLength(4);

    const defaultLimit = await history({});
    expect(defaultLimit.headers['x-total-count']).toBe('21');
    expect(defaultLimit.data).toHaveLength(21);

    expect(sim.received('GET', '/OrchestratorJobs/JobHistory')).toHaveLength(4);
  });

  test('filters on other fields, combined with AND/OR and parentheses, and sorts', async () => {
    const ok = await add(3, [{ CertificateStoreId: store(1) }]);
    const failing = await add(3, [{ CertificateStoreId: store(4) }]);
    await api(sim).post('/CertificateStores/Reenrollment', {
      KeystoreId: store(3), SubjectName: 'CN=win-01', AgentGuid: '22222222-2222-4222-8222-000000000002', Alias: 'win',
    });
    await sleep(WAITING_MS + IN_PROCESS_MS + 20);

    const failures = await history({ QueryString: '(Result -eq "4" OR Result -eq "3") AND (Status -eq "3" OR Status -eq "5")' });
    expect(failures.data.map((r: { JobId: string }) => r.JobId)).toEqual(failing.data);

    const byType = await history({ QueryString: 'jobtype -EQ "reenrollment"' });
    expect(byType.data).toHaveLength(1);
    expect(byType.data[0]).toMatchObject({ JobType: 'Reenrollment', StorePath: 'My', ClientMachine: 'win-01.example.test' });

    // The successful Add, then the inventory of its store that follows it.
    const byAgent = await history({ QueryString: `AgentId -eq "${AGENT_1}" AND Message -eq NULL` });
    expect(byAgent.data.map((r: { JobId: string; JobType: string }) => r.JobType)).toEqual(['Management', 'Inventory']);
    expect(byAgent.data[0].JobId).toEqual(ok.data[0]);
    expect(byAgent.data[1]).toMatchObject({ StorePath: '/etc/ssl/web-01.pem', Status: 3, Result: 2 });

    const byPath = await history({ QueryString: 'TargetPath -startswith "/etc/ssl/" AND Agent -contains "orchestrator-02"' });
    expect(byPath.data.map((r: { JobId: string }) => r.JobId)).toEqual(failing.data);

    const started = await history({ QueryString: `OperationStart -ge "${new Date(Date.now() - 60_000).toISOString()}"` });
    expect(started.data).toHaveLength(4); // three jobs and one inventory

    const sorted = await history({ SortField: 'JobHistoryId', SortAscending: 1 });
    expect(sorted.data.map((r: { JobHistoryId: number }) => r.JobHistoryId)).toEqual([4, 3, 2, 1]);
  });

  test('a bad query is a 400 naming the problem', async () => {
    const cases: [string, RegExp][] = [
      ['JobId -eq', /expected a value/],
      ['Nope -eq "x"', /unknown field 'Nope'/],
      ['Status -like 3', /unknown operator '-like'/],
      ['Status -contains "3"', /cannot be used with field 'Status'/],
      ['(Status -eq 3', /missing '\)'/],
      ['Message -eq "open', /unterminated string/],
      ['Status -eq 3 Result -eq 2', /unexpected 'Result'/],
      ['JobId -eq "123"', /not a valid GUID/],
      ['Status -gt NULL', /NULL can only be used/],
    ];
    for (const [query, message] of cases) {
      const res = await history({ QueryString: query });
      expect(res.status).toBe(400);
      expect(res.data.Message).toMatch(message);
    }
    expect((await history({ SortField: 'Bogus' })).status).toBe(400);
    expect((await history({ ReturnLimit: 'x' })).status).toBe(400);
  });
});
