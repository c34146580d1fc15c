import { AmbiguousRequestError } from '../../../src/runtime/api/client';
import { backoffMs, formatSeconds, parseRetryAfter, withRetries } from '../../../src/runtime/api/retry';
import { RETRY_BASE_MS, RETRY_CAP_MS } from '../../../src/runtime/settings';
import { KeyfactorSimulator } from '../../../src/simulator';
import { basicEnv, CANARY, clientFor, expectNoCanary, failure, S1, startSim } from '../../support/runtime';
import { ScriptedServer } from '../../support/scripted-server';

const STORE = `/CertificateStores/${S1}`;
const ADD = '/CertificateStores/Certificates/Add';
const addBody = { CertificateId: 3, CertificateStores: [{ CertificateStoreId: S1, Alias: 'retry' }], Schedule: { Immediate: true } };

describe('retries', () => {
  let sim: KeyfactorSimulator;
  beforeAll(async () => (sim = await startSim()));
  afterAll(async () => sim.stop());
  beforeEach(() => sim.reset());

  test('GET: a burst of 503s, then success; one log line per retry', async () => {
    sim.injectFaults({ route: { method: 'GET' }, kind: 'status503', count: 3 });
    const c = clientFor(basicEnv(sim));
    expect((await c.client.request('GET', STORE)).status).toBe(200);
    expect(sim.received('GET', STORE).map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(c.logs).toHaveLength(3);
    c.logs.forEach((line, i) => expect(line).toMatch(new RegExp(`^retrying GET ${STORE} after HTTP 503 \\(attempt ${i + 2}, waiting \\d+(\\.\\d+)?s\\)$`)));
  });

  test('GET: 502, 504, a reset and a timeout are retried too', async () => {
    sim.injectFaults(
      { kind: 'status502', count: 1 },
      { kind: 'status504', count: 1 },
      { kind: 'resetAfterProcessing', count: 1 },
      { kind: 'latency', latencyMs: 1500, count: 1 },
    );
    const c = clientFor(basicEnv(sim, { KEYFACTOR_CLIENT_TIMEOUT: '0.4' }));
    expect((await c.client.request('GET', STORE)).status).toBe(200);
    expect(c.logs.map((l) => l.replace(/ \(attempt.*/, ''))).toEqual([
      `retrying GET ${STORE} after a timeout`, // latency and 502 hit the same request; the timeout comes first
      `retrying GET ${STORE} after HTTP 504`,
      `retrying GET ${STORE} after ECONNRESET`,
    ]);
  });

  test('429 with Retry-After: the wait is what the server asked for', async () => {
    sim.injectFaults({ kind: 'status429', retryAfterSeconds: 1, count: 1 });
    const c = clientFor(basicEnv(sim));
    const started = Date.now();
    await c.client.request('GET', STORE);
    const [first, second] = sim.received('GET', STORE).map((r) => Date.parse(r.at));
    expect(second - first).toBeGreaterThanOrEqual(990);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(c.logs).toEqual([`retrying GET ${STORE} after HTTP 429 (attempt 2, waiting 1s)`]);
  });

  test('the budget runs out: the error says how many attempts, and which setting', async () => {
    sim.injectFaults({ kind: 'status503' });
    const c = clientFor(basicEnv(sim, { CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '1' }));
    const e = await failure(c.client.request('GET', STORE));
    expect(e.message).toMatch(new RegExp(`^GET ${STORE}: HTTP 503: an HTML page, not Command's JSON .*Service Unavailable.* \\(gave up after \\d+ attempts in [\\d.]+s: the retry budget is spent; CDKTF_KEYFACTOR_RETRY_MAX_SECONDS=1 sets it\\)$`));
    const attempts = sim.received('GET', STORE).length;
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(c.logs).toHaveLength(attempts - 1);
    expectNoCanary(e.message, ...c.logs);
  });

  test('a Retry-After beyond the budget: gives up at once, saying so', async () => {
    sim.injectFaults({ kind: 'status429', retryAfterSeconds: 30 });
    const c = clientFor(basicEnv(sim, { CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '5' }));
    const e = await failure(c.client.request('GET', STORE));
    expect(e.message).toContain('(gave up after 1 attempt in ');
    expect(e.message).toContain('the server asked to wait 30s (Retry-After), more than is left of the retry budget; CDKTF_KEYFACTOR_RETRY_MAX_SECONDS=5 sets it)');
    expect(sim.received('GET', STORE)).toHaveLength(1);
  });

  test('CDKTF_KEYFACTOR_RETRY_MAX_SECONDS=0 turns retries off', async () => {
    sim.injectFaults({ kind: 'status503', count: 1 });
    const e = await failure(clientFor(basicEnv(sim, { CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0' })).client.request('GET', STORE));
    expect(e.message).toMatch(/^GET .*: HTTP 503: /);
    expect(sim.received('GET', STORE)).toHaveLength(1);
  });

  test.each(['status503', 'status429'] as const)('POST after %s: sent once more, one job, no duplicate', async (kind) => {
    sim.injectFaults({ route: { method: 'POST', pathSuffix: ADD }, kind, count: 1, retryAfterSeconds: 0 });
    const c = clientFor(basicEnv(sim));
    const res = await c.client.request<string[]>('POST', ADD, { body: addBody });
    expect(sim.received('POST', ADD).map((r) => r.status)).toEqual([kind === 'status503' ? 503 : 429, 200]);
    expect(sim.jobs().map((j) => j.JobId)).toEqual(res.data);
    expect(sim.duplicateJobs()).toEqual([]);
  });

  test.each([
    ['a gateway\'s 503 without Retry-After', { server: 'nginx' }, false],
    ['http.sys\'s 503 (application pool down)', { server: 'Microsoft-HTTPAPI/2.0' }, true],
    ['a 503 with Retry-After', { 'retry-after': '0' }, true],
  ] as const)('POST after %s: re-sent only when Command cannot have processed it', async (_name, headers, resent) => {
    const server = await ScriptedServer.start((_req, n) => (n === 1 ? { status: 503, body: '<html>Service Unavailable</html>', headers: { 'content-type': 'text/html', ...headers } } : { status: 200, body: '["3fa85f64-5717-4562-b3fc-2c963f66afa6"]' }));
    try {
      const c = clientFor({ ...basicEnv(sim), KEYFACTOR_HOSTNAME: server.url });
      const result = c.client.request<string[]>('POST', ADD, { body: addBody });
      if (resent) {
        expect((await result).data).toEqual(['3fa85f64-5717-4562-b3fc-2c963f66afa6']);
        expect(server.requests).toHaveLength(2);
      } else {
        const e = await failure(result);
        expect(e).toBeInstanceOf(AmbiguousRequestError);
        expect(e.message).toMatch(/^POST \/CertificateStores\/Certificates\/Add: HTTP 503 from a gateway \(an HTML page, not Command's JSON/);
        expect(server.requests).toHaveLength(1);
      }
    } finally {
      await server.stop();
    }
  });

  test('a connection refused for good: a few seconds of retries, not the whole budget, then an error naming the host and KEYFACTOR_HOSTNAME', async () => {
    const port = sim.port;
    await sim.stop();
    try {
      // A budget of 60 s, as by default: the refused connection stops well before it.
      const c = clientFor(basicEnv(sim, { CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '60' }));
      const e = await failure(c.client.request('GET', STORE));
      expect(e.message).toMatch(new RegExp(`^GET ${STORE} failed: 127\\.0\\.0\\.1:${port} refused the connection \\(ECONNREFUSED\\): ` +
        'check KEYFACTOR_HOSTNAME \\(host and port\\) and that Command is running\\. \\(gave up after \\d+ attempts in [\\d.]+s: a refused connection is retried for 5 s\\)$'));
      // Backoff from 250 ms: about six attempts in 5 s (164 retry lines in 59 s before, over a whole apply).
      expect(c.logs.length).toBeGreaterThanOrEqual(2);
      expect(c.logs.length).toBeLessThanOrEqual(8);
    } finally {
      sim = await startSim({ port });
    }
  });

  test('POST when the connection is refused: sent again once the server is back, one job', async () => {
    const port = sim.port;
    await sim.stop();
    const c = clientFor(basicEnv(sim));
    const pending = c.client.request<string[]>('POST', ADD, { body: addBody });
    await new Promise((r) => setTimeout(r, 700));
    sim = await startSim({ port });
    const res = await pending;
    expect(c.logs.length).toBeGreaterThanOrEqual(1);
    expect(c.logs[0]).toMatch(new RegExp(`^retrying POST ${ADD} after ECONNREFUSED \\(attempt 2, waiting`));
    expect(sim.received('POST', ADD)).toHaveLength(1);
    expect(sim.jobs().map((j) => j.JobId)).toEqual(res.data);
  });

  test.each([
    ['resetAfterProcessing', /ECONNRESET/],
    ['status502', /HTTP 502 from a gateway/],
    ['status504', /HTTP 504 from a gateway/],
    ['malformedJson', /HTTP 200 but the body is not JSON: .*Command accepted the request, but its answer cannot be read/],
  ] as const)('POST after %s: never re-sent; AmbiguousRequestError with method, path and time sent', async (kind, reason) => {
    sim.injectFaults({ route: { method: 'POST' }, kind, count: 1 });
    const before = Date.now();
    const e = await failure(clientFor(basicEnv(sim)).client.request('POST', ADD, { body: addBody }));
    expect(e).toBeInstanceOf(AmbiguousRequestError);
    const a = e as AmbiguousRequestError;
    expect([a.method, a.path]).toEqual(['POST', ADD]);
    expect(a.sentAt.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(a.reason).toMatch(reason);
    expect(a.message).toContain(`after the request was sent at ${a.sentAt.toISOString()}: Keyfactor Command may or may not have acted on it.`);
    expect(sim.received('POST', ADD)).toHaveLength(1);
  });

  test('the token request is retried like a GET', async () => {
    sim.injectFaults({ route: { pathSuffix: '/oauth2/token' }, kind: 'status503', count: 2 });
    const c = clientFor({
      KEYFACTOR_HOSTNAME: sim.url, KEYFACTOR_AUTH_CLIENT_ID: 'terraform', KEYFACTOR_AUTH_CLIENT_SECRET: CANARY.clientSecret, KEYFACTOR_AUTH_TOKEN_URL: sim.tokenUrl,
    });
    expect((await c.client.request('GET', STORE)).status).toBe(200);
    expect(c.logs.map((l) => l.replace(/ \(attempt.*/, ''))).toEqual([`retrying POST ${sim.tokenUrl} after HTTP 503`, `retrying POST ${sim.tokenUrl} after HTTP 503`]);
  });
});

describe('backoff arithmetic', () => {
  const policy = { budgetMs: 60_000, baseMs: RETRY_BASE_MS, capMs: RETRY_CAP_MS };
  test('exponential from 250 ms, capped at 8 s, with jitter in the upper half', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, policy, () => 1))).toEqual([250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
    expect([1, 2, 6].map((n) => backoffMs(n, policy, () => 0))).toEqual([125, 250, 4000]);
  });
  test('Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString(), Date.now())).toBeGreaterThan(3900);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  test.each([
    ['3', 3000],
    [' 12 ', 12_000],
    ['0', 0],
    ['Mon, 01 Jun 2026 12:00:10 GMT', 10_000],
    ['Mon, 01 Jun 2026 11:59:00 GMT', 0],
    ['', undefined],
    ['   ', undefined],
    ['5s', undefined],
    ['x5', undefined],
    ['soon', undefined],
  ])('%j is %j ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe('withRetries (fake clock)', () => {
  /** A policy whose clock only moves when it sleeps, and whose sleeps are recorded. */
  function fakePolicy(budgetMs: number) {
    let clock = 0;
    const sleeps: number[] = [];
    const policy = {
      budgetMs,
      baseMs: RETRY_BASE_MS,
      capMs: RETRY_CAP_MS,
      random: () => 1,
      now: () => clock,
      sleep: async (ms: number) => { sleeps.push(ms); clock += ms; },
    };
    return { policy, sleeps, advance: (ms: number) => (clock += ms) };
  }
  const failing = (attempt: Partial<{ retryAfterMs: number; immediate: boolean }> = {}) =>
    async () => ({ retry: 'HTTP 503', error: new Error('boom'), ...attempt });

  test('backoff doubles from the base for each retry, up to the budget', async () => {
    const { policy, sleeps } = fakePolicy(10_000);
    const lines: string[] = [];
    const e = await failure(withRetries('GET /x', policy, (l) => lines.push(l), failing()));
    expect(sleeps).toEqual([250, 500, 1000, 2000, 4000]);
    expect(lines[0]).toBe('retrying GET /x after HTTP 503 (attempt 2, waiting 0.25s)');
    expect(e.message).toBe('boom (gave up after 6 attempts in 7.75s: the retry budget is spent; CDKTF_KEYFACTOR_RETRY_MAX_SECONDS=10 sets it)');
  });

  test('a Retry-After that reaches exactly the end of the budget is still waited for; one past it is not', async () => {
    const a = fakePolicy(1000);
    let calls = 0;
    const result = await withRetries('GET /x', a.policy, () => undefined, async () => (++calls === 1 ? { retry: 'HTTP 429', error: new Error('429'), retryAfterMs: 1000 } : { done: 'ok' }));
    expect(result).toBe('ok');
    expect(a.sleeps).toEqual([1000]);

    const b = fakePolicy(1000);
    const e = await failure(withRetries('GET /x', b.policy, () => undefined, failing({ retryAfterMs: 1001 })));
    expect(b.sleeps).toEqual([]);
    expect(e.message).toBe('boom (gave up after 1 attempt in 0s: the server asked to wait 1s (Retry-After), more than is left of the retry budget; CDKTF_KEYFACTOR_RETRY_MAX_SECONDS=1 sets it)');
  });

  test('a budget of 0 turns retries off, even for a zero Retry-After, and leaves the error as it was', async () => {
    const { policy, sleeps } = fakePolicy(0);
    let calls = 0;
    const e = await failure(withRetries('GET /x', policy, () => undefined, async () => (++calls, { retry: 'HTTP 503', error: new Error('boom'), retryAfterMs: 0 })));
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
    expect(e.message).toBe('boom');
  });

  test('an immediate retry (a new access token) neither sleeps nor counts against the budget', async () => {
    const { policy, sleeps, advance } = fakePolicy(1000);
    advance(5000);
    let calls = 0;
    const result = await withRetries('GET /x', policy, () => undefined, async () => (++calls === 1 ? { retry: 'HTTP 401', error: new Error('401'), immediate: true } : { done: calls }));
    expect(result).toBe(2);
    expect(sleeps).toEqual([]);
  });

  test('a zero Retry-After retries at once, without sleeping', async () => {
    const { policy, sleeps } = fakePolicy(1000);
    let calls = 0;
    expect(await withRetries('GET /x', policy, () => undefined, async () => (++calls === 1 ? { retry: 'HTTP 429', error: new Error('429'), retryAfterMs: 0 } : { done: 'ok' }))).toBe('ok');
    expect(sleeps).toEqual([]);
  });

  test('durations: two decimals below 10 s, whole seconds from there', () => {
    expect([0, 250, 1234, 9994, 9996, 10_000, 12_345, 60_000].map(formatSeconds)).toEqual(['0s', '0.25s', '1.23s', '9.99s', '10s', '10s', '12s', '60s']);
  });
});
