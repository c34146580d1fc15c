import { KeyfactorClient } from '../../../src/runtime/api/client';
import { findNewJobs, queryAllJobHistory, queryJobHistory } from '../../../src/runtime/jobs/history';
import { SecretResolver } from '../../../src/runtime/secrets';
import { connectionSettings } from '../../../src/runtime/settings';
import { DEFAULT_SEED, KeyfactorSimulator } from '../../../src/simulator';
import { caseVariant } from '../../support/guid';
import { clientFor } from '../../support/runtime';
import { ScriptedServer } from '../../support/scripted-server';

const AGENT = '22222222-2222-4222-8222-000000000001'; // the simulator seed's first orchestrator

describe('JobHistory lookup against the simulator', () => {
  let sim: KeyfactorSimulator;
  let client: KeyfactorClient;
  const S1 = '11111111-1111-4111-8111-000000000001';
  const S2 = '11111111-1111-4111-8111-000000000002';
  const S3 = '11111111-1111-4111-8111-000000000003';
  const A2 = '22222222-2222-4222-8222-000000000002';
  const store = (id: string) => DEFAULT_SEED.stores.find((x) => x.Id === id)!;
  const target = (id: string) => ({ key: id, agentId: store(id).AgentId, storePath: store(id).Storepath, clientMachine: store(id).ClientMachine });
  const add = (storeId: string) => client.request('POST', '/CertificateStores/Certificates/Add', {
    body: { CertificateId: 3, CertificateStores: [{ CertificateStoreId: storeId, Alias: 'x' }], Schedule: { Immediate: true } },
  }).then((r) => (r.data as string[])[0]);
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    sim = await KeyfactorSimulator.start({ jobTiming: { waitingMs: 10, inProcessMs: 10 } });
    const user = DEFAULT_SEED.users[0];
    const secrets = new SecretResolver({});
    client = new KeyfactorClient(connectionSettings({
      KEYFACTOR_HOSTNAME: sim.url, KEYFACTOR_USERNAME: user.username, KEYFACTOR_PASSWORD: user.password, KEYFACTOR_DOMAIN: user.domain,
    }, secrets), secrets);
  });
  afterAll(async () => sim?.stop());
  beforeEach(() => sim.reset());

  test('queryJobHistory sends the QueryString and paging, and returns rows with x-total-count', async () => {
    const ids = [await add(S1), await add(S2), await add(S3)];
    const page = await queryJobHistory(client, 'JobType -eq "Management"', { pageReturned: 2, returnLimit: 2, sortField: 'JobHistoryId', sortAscending: true });
    expect(page.totalCount).toBe(3);
    expect(page.rows.map((r) => r.JobId)).toEqual([ids[2]]);
    const [req] = sim.received('GET', '/OrchestratorJobs/JobHistory');
    expect(req.query).toEqual({ QueryString: 'JobType -eq "Management"', PageReturned: '2', ReturnLimit: '2', SortField: 'JobHistoryId', SortAscending: '0' });
    // No filter: every row, the Inventory that follows each completed Add too.
    await new Promise((resolve) => setTimeout(resolve, 80));
    const desc = await queryJobHistory(client, '', { sortField: 'JobHistoryId', sortAscending: false });
    expect(desc.rows.filter((r) => r.JobType === 'Inventory')).toHaveLength(3);
    expect(desc.rows.filter((r) => r.JobType === 'Management').map((r) => r.JobId)).toEqual([...ids].reverse());
    expect(desc.rows.map((r) => r.JobHistoryId)).toEqual(desc.rows.map((r) => r.JobHistoryId).sort((a, b) => b! - a!));
  });

  test('findNewJobs matches each store to its newest job since the mark, across agents, skipping excluded and older jobs', async () => {
    const old = await add(S1);
    await pause(30);
    const since = new Date();
    const s1a = await add(S1);
    const s3 = await add(S3);
    await pause(5);
    const s1b = await add(S1);
    const result = await findNewJobs(client, {
      jobType: 'Management', since, clockSkewMs: 0, targets: [target(S1), target(S3)], timeoutMs: 0, intervalMs: 100,
    });
    expect(result.missing).toEqual([]);
    expect(result.found[S1].JobId).toBe(s1b);
    expect(result.found[S3].JobId).toBe(s3);
    // One query per agent, with the documented fields only.
    const queries = sim.received('GET', '/OrchestratorJobs/JobHistory').map((r) => r.query.QueryString);
    expect(queries).toEqual([
      `JobType -eq "Management" AND AgentId -eq "${AGENT}" AND OperationStart -ge "${since.toISOString()}"`,
      `JobType -eq "Management" AND AgentId -eq "${A2}" AND OperationStart -ge "${since.toISOString()}"`,
    ]);
    const excluding = await findNewJobs(client, {
      jobType: 'Management', since, clockSkewMs: 0, targets: [target(S1)], exclude: [caseVariant(s1b)], timeoutMs: 0, intervalMs: 100,
    });
    expect(excluding.found[S1].JobId).toBe(s1a);
    // The job from before the mark is never taken.
    const none = await findNewJobs(client, {
      jobType: 'Management', since, clockSkewMs: 0, targets: [target(S1)], exclude: [s1a, s1b], timeoutMs: 0, intervalMs: 100,
    });
    expect(none.missing.map((t) => t.key)).toEqual([S1]);
    expect(sim.jobs().map((j) => j.JobId)).toContain(old);
  });

  test('findNewJobs gives up after the time limit, polling at the interval, and reports what is missing', async () => {
    await add(S2);
    const started = Date.now();
    const result = await findNewJobs(client, {
      jobType: 'Reenrollment', since: new Date(), targets: [target(S2)], timeoutMs: 600, intervalMs: 200,
    });
    const elapsed = Date.now() - started;
    expect(result.found).toEqual({});
    expect(result.missing.map((t) => t.key)).toEqual([S2]);
    expect(result.queries).toBeGreaterThanOrEqual(3);
    expect(result.queries).toBeLessThanOrEqual(4);
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(3000);
  });
});

describe('JobHistory lookup against a server that ignores PageReturned (always 100 rows, none ours)', () => {
  let server: ScriptedServer;
  const rows = Array.from({ length: 100 }, (_, i) => ({ JobHistoryId: i + 1, JobId: `cccccccc-0000-4000-8000-${String(i).padStart(12, '0')}`, StorePath: '/other', OperationStart: new Date().toISOString() }));
  beforeAll(async () => (server = await ScriptedServer.start(() => ({ status: 200, body: JSON.stringify(rows) }))));
  afterAll(() => server.stop());
  beforeEach(() => (server.requests.length = 0));
  const client = () => clientFor({ KEYFACTOR_HOSTNAME: server.url, KEYFACTOR_USERNAME: 'u', KEYFACTOR_PASSWORD: 'a-password' }).client;

  test('queryAllJobHistory stops at maxRows: ceil(maxRows / pageSize) requests', async () => {
    expect(await queryAllJobHistory(client(), 'q', 250)).toHaveLength(250);
    expect(server.requests).toHaveLength(3);
    server.requests.length = 0;
    expect(await queryAllJobHistory(client(), 'q')).toHaveLength(1000);
    expect(server.requests).toHaveLength(10);
  });

  test('findNewJobs stops at its time limit, each round reading at most maxRows', async () => {
    const started = Date.now();
    const result = await findNewJobs(client(), {
      jobType: 'Management', since: new Date(), targets: [{ key: 's', agentId: AGENT, storePath: '/mine' }], timeoutMs: 600, intervalMs: 200,
    });
    expect(result.missing.map((t) => t.key)).toEqual(['s']);
    expect(Date.now() - started).toBeLessThan(3000);
    // Rounds at 0, 0.2 and 0.4 s (none starts when the next would end past 0.6 s), 10 pages each.
    expect(result.queries).toBeGreaterThanOrEqual(1);
    expect(result.queries).toBeLessThanOrEqual(4);
    expect(server.requests).toHaveLength(result.queries * 10);
  });
});
