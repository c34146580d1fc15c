import { AxiosError } from 'axios';
import { api, store } from './helpers';
import { KeyfactorSimulator } from '../../src/simulator';

let sim: KeyfactorSimulator;

beforeAll(async () => {
  sim = await KeyfactorSimulator.start({ jobTiming: { waitingMs: 20, inProcessMs: 20 } });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => sim.reset());

const ADD = { method: 'POST', pathSuffix: '/CertificateStores/Certificates/Add' };
const addBody = { CertificateId: 3, CertificateStores: [{ CertificateStoreId: store(1), Alias: 'api' }], Schedule: { Immediate: true } };
const add = (timeout = 0) => api(sim).post('/CertificateStores/Certificates/Add', addBody, { timeout });

/** The error a client gets when the request fails below HTTP. */
async function networkError(request: Promise<unknown>): Promise<AxiosError> {
  try {
    await request;
  } catch (err) {
    return err as AxiosError;
  }
  throw new Error('the request did not fail');
}

describe('answering faults (nothing is processed)', () => {
  test.each([
    ['status503', 503, /HTTP Error 503\. The service is unavailable\./],
    ['status502', 502, /<title>502 Bad Gateway<\/title>/],
    ['status504', 504, /<title>504 Gateway Time-out<\/title>/],
  ] as const)('%s answers %i with an HTML page', async (kind, status, page) => {
    sim.injectFaults({ route: ADD, kind });
    const res = await add();
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.data).toMatch(page);
    expect(sim.jobs()).toEqual([]);
    expect(sim.requests.map((r) => [r.fault, r.status])).toEqual([[kind, status]]);
  });

  test('status429 sends Retry-After', async () => {
    sim.injectFaults({ route: ADD, kind: 'status429', retryAfterSeconds: 7 });
    const res = await add();
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(sim.jobs()).toEqual([]);
  });

  test('status503 sends Retry-After when asked', async () => {
    sim.injectFaults({ kind: 'status503', retryAfterSeconds: 3 });
    expect((await api(sim).get('/CertificateStores')).headers['retry-after']).toBe('3');
  });

  test('htmlError answers 500 with the IIS error page', async () => {
    sim.injectFaults({ route: ADD, kind: 'htmlError' });
    const res = await add();
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.data).toMatch(/^<!DOCTYPE html>/);
    expect(res.data).toContain('<title>500 - Internal server error.</title>');
    expect(sim.jobs()).toEqual([]);
  });
});

describe('connection resets', () => {
  test('resetBeforeProcessing: the client sees a reset and nothing happened', async () => {
    sim.injectFaults({ route: ADD, kind: 'resetBeforeProcessing' });
    const err = await networkError(add());
    expect(err.response).toBeUndefined();
    expect(err.code).toBe('ECONNRESET');
    expect(sim.jobs()).toEqual([]);
    expect(sim.requests[0]).toMatchObject({ fault: 'resetBeforeProcessing', status: 0 });
  });

  test('resetAfterProcessing: the client sees a reset but the job was created', async () => {
    sim.injectFaults({ route: ADD, kind: 'resetAfterProcessing', count: 1 });
    const err = await networkError(add());
    expect(err.response).toBeUndefined();
    expect(err.code).toBe('ECONNRESET');
    expect(sim.jobs()).toHaveLength(1);
    expect(sim.jobs()[0]).toMatchObject({ Operation: 'Add', CertificateStoreId: store(1), Alias: 'api' });
    expect(sim.duplicateJobs()).toEqual([]);

    // A client that blindly retries creates the same job twice: duplicateJobs() shows it.
    expect((await add()).status).toBe(200);
    const groups = sim.duplicateJobs();
    expect(groups).toHaveLength(1);
    expect(groups[0].map((j) => j.JobId)).toEqual(sim.jobs().map((j) => j.JobId));
  });
});

describe('holdAfterProcessing', () => {
  test('the job is created at once and the answer is held until holdMs', async () => {
    sim.injectFaults({ route: ADD, kind: 'holdAfterProcessing', holdMs: 400, count: 1 });
    const started = Date.now();
    const answer = add();
    for (let i = 0; i < 100 && !sim.requests[0]?.held; i++) await new Promise((r) => setTimeout(r, 10));
    // Processed while the client still waits.
    expect(sim.requests[0]).toMatchObject({ fault: 'holdAfterProcessing', held: true, status: 0 });
    expect(sim.jobs()).toHaveLength(1);
    const res = await answer;
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(res.status).toBe(200);
    expect(res.data).toEqual([sim.jobs()[0].JobId]);
    expect(sim.requests[0].status).toBe(200);
  });

  test('without holdMs the answer never comes: the client times out, the job exists', async () => {
    sim.injectFaults({ route: ADD, kind: 'holdAfterProcessing', count: 1 });
    const err = await networkError(add(300));
    expect(err.code).toBe('ECONNABORTED');
    expect(sim.jobs()).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({ held: true, status: 0 });
  });

  test('holdMs must not be negative', () => {
    expect(() => sim.injectFaults({ kind: 'holdAfterProcessing', holdMs: -1 })).toThrow('fault holdMs must be >= 0');
  });
});

describe('duplicateJobs', () => {
  test('counts separate requests with the same body, whatever the JSON formatting', async () => {
    const twoEntries = { ...addBody, CertificateStores: [addBody.CertificateStores[0], addBody.CertificateStores[0]] };
    await api(sim).post('/CertificateStores/Certificates/Add', twoEntries); // one request: not a duplicate
    await api(sim).post('/CertificateStores/Certificates/Add', { ...addBody, CollectionId: 1 }); // another body
    expect(sim.duplicateJobs()).toEqual([]);
    await add();
    await api(sim).post('/CertificateStores/Certificates/Add', JSON.stringify(addBody, null, 2), { headers: { 'Content-Type': 'application/json' } });
    expect(sim.duplicateJobs().map((group) => group.length)).toEqual([2]);
  });
});

describe('malformed bodies and latency', () => {
  test('malformedJson: processed, 200, a body that is not valid JSON', async () => {
    sim.injectFaults({ route: ADD, kind: 'malformedJson' });
    const res = await add();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(typeof res.data).toBe('string'); // axios gives up parsing silently
    expect(() => JSON.parse(res.data)).toThrow();
    const whole = JSON.stringify([sim.jobs()[0].JobId]);
    expect(res.data.length).toBeGreaterThan(1);
    expect(res.data.length).toBeLessThan(whole.length);
    expect(whole.startsWith(res.data)).toBe(true);
  });

  test('latency delays the response, not the processing', async () => {
    sim.injectFaults({ route: ADD, kind: 'latency', latencyMs: 300, count: 1 });
    const err = await networkError(add(100));
    expect(err.code).toBe('ECONNABORTED');
    expect(sim.jobs()).toHaveLength(1); // the client gave up, but the job exists

    sim.injectFaults({ route: ADD, kind: 'latency', latencyMs: 120, count: 1 });
    const started = Date.now();
    const res = await add();
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(sim.requests.map((r) => r.fault)).toEqual(['latency', 'latency']);
  });

  test('latency combines with another fault', async () => {
    sim.injectFaults({ kind: 'latency', latencyMs: 80 }, { kind: 'status503' });
    const started = Date.now();
    expect((await api(sim).get('/CertificateStores')).status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(sim.requests[0].fault).toBe('status503');
  });
});

describe('rules', () => {
  test('route and count limit which requests are hit; hits are counted', async () => {
    const [rule] = sim.injectFaults({ route: ADD, kind: 'status503', count: 2 });
    expect((await api(sim).get('/CertificateStores')).status).toBe(200); // other route
    expect((await api(sim).get('/CertificateStores/Certificates/Add')).status).toBe(405); // other method
    expect((await add()).status).toBe(503);
    expect((await add()).status).toBe(503);
    expect((await add()).status).toBe(200);
    expect(rule.hits).toBe(2);
    expect(sim.requests.filter((r) => r.fault === 'status503')).toHaveLength(2);
    expect(sim.duplicateJobs()).toEqual([]);
  });

  test('probability uses a seeded PRNG: the same pattern every time', async () => {
    const pattern = async () => {
      sim.clearFaults();
      sim.injectFaults({ kind: 'status503', probability: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await api(sim).get('/CertificateStores')).status);
      return statuses;
    };
    const first = await pattern();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await pattern()).toEqual(first);
  });

  test('clearFaults and reset remove rules; bad rules are refused', async () => {
    sim.injectFaults({ kind: 'status503' });
    sim.clearFaults();
    expect((await api(sim).get('/CertificateStores')).status).toBe(200);
    sim.injectFaults({ kind: 'status503' });
    sim.reset();
    expect((await api(sim).get('/CertificateStores')).status).toBe(200);
    expect(sim.faults.rules()).toEqual([]);
    expect(() => sim.injectFaults({ kind: 'nope' as 'latency' })).toThrow(/Unknown fault kind/);
    expect(() => sim.injectFaults({ kind: 'latency', probability: 2 })).toThrow(/probability/);
  });
});
