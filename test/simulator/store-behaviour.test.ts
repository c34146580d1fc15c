import { api, sleep, store } from './helpers';
import { DEFAULT_SEED, KeyfactorSimulator, SimulatorSeed } from '../../src/simulator';

interface Row {
  JobHistoryId: number;
  JobId: string;
  Status: number;
  Result: number;
  Message: string | null;
  OperationStart: string;
  OperationEnd: string | null;
}

const immediate = { Immediate: true };

function add(sim: KeyfactorSimulator, storeId: string, alias = 'api', certificateId = 3) {
  return api(sim).post('/CertificateStores/Certificates/Add', {
    CertificateId: certificateId, CertificateStores: [{ CertificateStoreId: storeId, Alias: alias }], Schedule: immediate,
  });
}

async function rows(sim: KeyfactorSimulator, jobId: string): Promise<Row[]> {
  const res = await api(sim).get('/OrchestratorJobs/JobHistory', { params: { QueryString: `JobId -eq "${jobId}"`, SortField: 'JobHistoryId' } });
  expect(res.status).toBe(200);
  return res.data;
}

/** Polls until the newest row is final; returns the distinct statuses the newest row went through. */
async function newestStatuses(sim: KeyfactorSimulator, jobId: string, timeoutMs = 15_000): Promise<number[]> {
  const seen: number[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const all = await rows(sim, jobId);
    const newest = all[all.length - 1];
    if (seen[seen.length - 1] !== newest.Status) seen.push(newest.Status);
    if (newest.Status === 3) return seen;
    await sleep(10);
  }
  throw new Error(`job ${jobId} did not finish; saw ${seen.join(',')}`);
}

async function locations(sim: KeyfactorSimulator, certificateId: number): Promise<string[]> {
  const res = await api(sim).get(`/Certificates/${certificateId}`, { params: { includeLocations: true } });
  return res.data.Locations.map((l: { CertStoreId: string; Alias: string }) => `${l.CertStoreId}/${l.Alias}`);
}

describe('per-store job durations (seed)', () => {
  let sim: KeyfactorSimulator;
  beforeAll(async () => {
    const seed: SimulatorSeed = structuredClone(DEFAULT_SEED);
    seed.stores[0].jobDurationMs = { waitingMs: 30, inProcessMs: 30 };
    seed.stores[1].jobDurationMs = { inProcessMs: 5 }; // waiting falls back to the global 10 s
    sim = await KeyfactorSimulator.start({ seed, jobTiming: { waitingMs: 10_000, inProcessMs: 10_000 } });
  });
  afterAll(() => sim.stop());

  test('a store with jobDurationMs finishes on its own clock; others follow jobTiming', async () => {
    const fast = (await add(sim, store(1))).data[0];
    const partial = (await add(sim, store(2))).data[0];
    const global = (await add(sim, store(3))).data[0];
    await sleep(150);
    expect((await rows(sim, fast))[0]).toMatchObject({ Status: 3, Result: 2 });
    expect((await rows(sim, partial))[0]).toMatchObject({ Status: 1, Result: 1 });
    expect((await rows(sim, global))[0]).toMatchObject({ Status: 1, Result: 1 });
    const done = (await rows(sim, fast))[0];
    const tookMs = Date.parse(done.OperationEnd!) - Date.parse(done.OperationStart);
    expect(tookMs).toBe(60);
  });
});

describe('CompletedWillRetry (seed retriesBeforeSuccess)', () => {
  let sim: KeyfactorSimulator;
  beforeAll(async () => {
    const seed: SimulatorSeed = structuredClone(DEFAULT_SEED);
    seed.stores[0].retriesBeforeSuccess = 2;
    seed.stores[0].jobDurationMs = { waitingMs: 100, inProcessMs: 100 };
    sim = await KeyfactorSimulator.start({ seed, jobTiming: { waitingMs: 10, inProcessMs: 10 } });
  });
  afterAll(() => sim.stop());
  beforeEach(() => sim.reset());

  test('the newest row goes Waiting, InProcess, CompletedWillRetry twice, then Completed', async () => {
    // Phases long enough that a loaded machine (2 cores, parallel test files) still reads each one.
    sim.setStoreBehaviour(store(1), { jobDurationMs: { waitingMs: 600, inProcessMs: 600 } });
    const jobId = (await add(sim, store(1))).data[0];
    expect(await newestStatuses(sim, jobId)).toEqual([1, 2, 5, 2, 5, 2, 3]);
  });

  test('one JobHistory row per run, with increasing JobHistoryId; earlier runs keep their rows', async () => {
    const jobId = (await add(sim, store(1))).data[0];
    const other = (await add(sim, store(2))).data[0]; // created between, on a normal store
    await sleep(350); // run 1 is picked up at 300 ms
    const midway = await rows(sim, jobId);
    expect(midway).toHaveLength(2);
    expect(midway[0]).toMatchObject({ Status: 5, Result: 4 });
    expect(await locations(sim, 3)).toEqual([`${store(2)}/api`]); // not applied while retrying

    await newestStatuses(sim, jobId);
    const all = await rows(sim, jobId);
    expect(all).toHaveLength(3);
    expect(all.map((r) => r.JobId)).toEqual([jobId, jobId, jobId]);
    const ids = all.map((r) => r.JobHistoryId);
    expect(ids[0]).toBeLessThan((await rows(sim, other))[0].JobHistoryId);
    expect(ids[1]).toBeGreaterThan(ids[0]);
    expect(ids[2]).toBeGreaterThan(ids[1]);
    const retryMessage = 'Retrying: Unable to connect to the remote server at web-01.example.test: the operation has timed out';
    expect(all.map((r) => [r.Status, r.Result, r.Message])).toEqual([[5, 4, retryMessage], [5, 4, retryMessage], [3, 2, null]]);
    for (let i = 1; i < all.length; i++) {
      expect(Date.parse(all[i].OperationStart)).toBeGreaterThanOrEqual(Date.parse(all[i - 1].OperationEnd!));
    }
    expect(sim.jobs()[0]).toMatchObject({ JobId: jobId, Status: 3, Result: 2, historyIds: ids });
    expect(await locations(sim, 3)).toEqual([`${store(2)}/api`, `${store(1)}/api`]); // in completion order

    // A client filtering on "will retry" rows finds the earlier runs.
    const retries = await api(sim).get('/OrchestratorJobs/JobHistory', { params: { QueryString: 'Status -eq 5' } });
    expect(retries.data.map((r: Row) => r.JobHistoryId)).toEqual(ids.slice(0, 2));
  });
});

describe('setStoreBehaviour', () => {
  let sim: KeyfactorSimulator;
  const done = () => sleep(80);
  beforeAll(async () => {
    sim = await KeyfactorSimulator.start({ jobTiming: { waitingMs: 20, inProcessMs: 20 } });
  });
  afterAll(() => sim.stop());
  beforeEach(() => sim.reset());

  test('a failJobs store fails with a realistic message naming the machine', async () => {
    const jobId = (await add(sim, store(4))).data[0];
    await done();
    expect((await rows(sim, jobId))[0]).toMatchObject({
      Status: 3, Result: 4, Message: 'Unable to connect to the remote server at broken-01.example.test: access denied',
    });
  });

  test('failJobs and failMessage at run time; jobs created before keep their course', async () => {
    const before = (await add(sim, store(1))).data[0];
    sim.setStoreBehaviour(store(1), { failJobs: true, failMessage: 'Access to the path /etc/ssl/web-01.pem is denied.' });
    const after = (await add(sim, store(1), 'api2')).data[0];
    await done();
    expect((await rows(sim, before))[0]).toMatchObject({ Status: 3, Result: 2, Message: null });
    expect((await rows(sim, after))[0]).toMatchObject({ Status: 3, Result: 4, Message: 'Access to the path /etc/ssl/web-01.pem is denied.' });
  });

  test('a field given as undefined goes back to the seed; reset drops overrides', async () => {
    sim.setStoreBehaviour(store(4), { failJobs: false });
    const healed = (await add(sim, store(4))).data[0];
    sim.setStoreBehaviour(store(4), { failJobs: undefined });
    const broken = (await add(sim, store(4), 'other')).data[0];
    await done();
    expect((await rows(sim, healed))[0].Result).toBe(2);
    expect((await rows(sim, broken))[0].Result).toBe(4);

    sim.setStoreBehaviour(store(1), { failJobs: true });
    sim.reset();
    const fine = (await add(sim, store(1))).data[0];
    await done();
    expect((await rows(sim, fine))[0].Result).toBe(2);
  });

  test('jobDurationMs and retriesBeforeSuccess at run time, combined with failJobs', async () => {
    sim.setStoreBehaviour(store(2), { jobDurationMs: { waitingMs: 5, inProcessMs: 5 }, retriesBeforeSuccess: 1, failJobs: true });
    const jobId = (await add(sim, store(2))).data[0];
    await sleep(60);
    const all = await rows(sim, jobId);
    expect(all.map((r) => [r.Status, r.Result])).toEqual([[5, 4], [3, 4]]);
    expect(all[0].Message).toBe('Retrying: Unable to connect to the remote server at app-01.example.test: the operation has timed out');
    expect(all[1].Message).toBe('Unable to connect to the remote server at app-01.example.test: access denied');
  });

  test('failReplace at run time', async () => {
    sim.setStoreBehaviour(store(1), { failReplace: true });
    const res = await api(sim).post('/Enrollment/PFX/Replace', { ExistingCertificateId: 1, CertificateId: 3 });
    expect(res.data).toEqual({ SuccessfulStores: [], FailedStores: [store(1), store(5)] });
    expect(sim.jobs()).toEqual([]);
  });

  test('bad input is refused', () => {
    expect(() => sim.setStoreBehaviour('99999999-9999-4999-8999-999999999999', { failJobs: true })).toThrow(/No store/);
    expect(() => sim.setStoreBehaviour(store(1), { retriesBeforeSuccess: -1 })).toThrow(/retriesBeforeSuccess/);
    expect(() => sim.setStoreBehaviour(store(1), { jobDurationMs: { waitingMs: -5 } })).toThrow(/jobDurationMs\.waitingMs/);
  });
});
