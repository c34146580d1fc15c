import { AGENT_1, AGENT_2, api, sleep, store } from './helpers';
import { KeyfactorSimulator } from '../../src/simulator';

let sim: KeyfactorSimulator;

beforeAll(async () => {
  sim = await KeyfactorSimulator.start({ jobTiming: { waitingMs: 20, inProcessMs: 20 } });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => sim.reset());

const MISSING = '99999999-9999-4999-8999-999999999999';

describe('GET /CertificateStores', () => {
  test('lists stores with the response casing, filtered and paged', async () => {
    const all = await api(sim).get('/CertificateStores');
    expect(all.status).toBe(200);
    expect(all.headers['x-total-count']).toBe('7');
    expect(all.data[0]).toMatchObject({
      Id: store(1),
      ClientMachine: 'web-01.example.test',
      Storepath: '/etc/ssl/web-01.pem',
      AgentId: AGENT_1,
      CertStoreType: 2,
      DisplayName: 'Web 01 (PEM)',
      Approved: true,
    });

    const filtered = await api(sim).get('/CertificateStores', { params: { QueryString: `AgentId -eq "${AGENT_2}"`, ReturnLimit: 2 } });
    expect(filtered.headers['x-total-count']).toBe('3');
    expect(filtered.data.map((s: { Id: string }) => s.Id)).toEqual([store(3), store(4)]);

    const legacy = await api(sim).get('/CertificateStores', { params: { 'certificateStoreQuery.queryString': 'ClientMachine -eq "legacy-01.example.test"' } });
    expect(legacy.data.map((s: { Id: string }) => s.Id)).toEqual([store(5)]);
  });

  test('GET by id; unknown id is 404', async () => {
    expect((await api(sim).get(`/CertificateStores/${store(6)}`)).data.ReenrollmentStatus.Data).toBe(false);
    const res = await api(sim).get(`/CertificateStores/${MISSING}`);
    expect(res.status).toBe(404);
    expect(res.data.Message).toContain(MISSING);
  });
});

describe('PUT /CertificateStores/Password', () => {
  test('204 with no body; records the secret; never returns it', async () => {
    const res = await api(sim).put('/CertificateStores/Password', { CertStoreId: store(2), NewPassword: { SecretValue: 'P@ssw0rd' } });
    expect(res.status).toBe(204);
    expect(res.data).toBe('');
    expect(sim.storePasswords()).toEqual({ [store(2)]: { SecretValue: 'P@ssw0rd' } });

    const got = await api(sim).get(`/CertificateStores/${store(2)}`);
    expect(got.data.Password).toMatchObject({ HasValue: true, Value: null });
    expect(JSON.stringify(got.data)).not.toContain('P@ssw0rd');
  });

  test('accepts a PAM reference and a plain string', async () => {
    expect((await api(sim).put('/CertificateStores/Password', {
      CertStoreId: store(1), NewPassword: { Provider: 1, Parameters: { SecretName: 'web' } },
    })).status).toBe(204);
    expect((await api(sim).put('/CertificateStores/Password', { CertStoreId: store(3), NewPassword: 'plain' })).status).toBe(204);
    expect(sim.storePasswords()[store(3)]).toBe('plain');
  });

  test('unknown store, missing or malformed NewPassword are 400', async () => {
    const unknown = await api(sim).put('/CertificateStores/Password', { CertStoreId: MISSING, NewPassword: { SecretValue: 'x' } });
    expect(unknown.status).toBe(400);
    expect(unknown.data.Message).toBe(`Certificate store with id '${MISSING}' was not found.`);
    const missing = await api(sim).put('/CertificateStores/Password', { CertStoreId: store(1) });
    expect(missing.data.Message).toBe('NewPassword: Required');
    const number = await api(sim).put('/CertificateStores/Password', { CertStoreId: store(1), NewPassword: 5 });
    expect(number.data.Message).toMatch(/^NewPassword: must be a string or a KeyfactorAPISecret/);
    const wrongCase = await api(sim).put('/CertificateStores/Password', { CertStoreID: store(1), NewPassword: 'x' });
    expect(wrongCase.data.Message).toBe('CertStoreId: Required');
  });
});

describe('POST /Enrollment/PFX/Replace', () => {
  test('jobs for stores holding the certificate; failReplace stores are listed as failed', async () => {
    const res = await api(sim).post('/Enrollment/PFX/Replace', { ExistingCertificateId: 1, CertificateId: 4, Password: 'pfx' });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ SuccessfulStores: [store(1)], FailedStores: [store(5)] });
    expect(sim.jobs()).toEqual([expect.objectContaining({ Operation: 'PfxReplace', CertificateStoreId: store(1), CertificateId: 4, Alias: 'www' })]);

    await sleep(60);
    const cert4 = await api(sim).get('/Certificates/4', { params: { includeLocations: true } });
    expect(cert4.data.Locations.map((l: { CertStoreId: string }) => l.CertStoreId)).toEqual([store(1)]);
  });

  test('exactly one of CertificateId / RequestId; unknown existing certificate is 400', async () => {
    expect((await api(sim).post('/Enrollment/PFX/Replace', { ExistingCertificateId: 1 })).status).toBe(400);
    expect((await api(sim).post('/Enrollment/PFX/Replace', { ExistingCertificateId: 1, CertificateId: 4, RequestId: 9 })).status).toBe(400);
    const unknown = await api(sim).post('/Enrollment/PFX/Replace', { ExistingCertificateId: 77, RequestId: 9 });
    expect(unknown.status).toBe(400);
    expect(unknown.data.Message).toMatch(/77/);
    expect(sim.jobs()).toEqual([]);
  });

  test('JobTime schedules the job', async () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    await api(sim).post('/Enrollment/PFX/Replace', { ExistingCertificateId: 2, RequestId: 12, JobTime: later });
    expect(sim.jobs()[0]).toMatchObject({ Schedule: { ExactlyOnce: { Time: later } }, Status: 1, CertificateId: null });
  });
});

describe('POST /CertificateStores/Reenrollment', () => {
  const body = {
    KeystoreId: store(1),
    SubjectName: 'CN=web-01,O="Key Example, Inc."',
    AgentGuid: AGENT_1,
    Alias: 'web',
    JobProperties: { Mode: 'x' },
    SANs: { dns: ['web-01.example.test'], ip4: ['10.0.0.1'] },
  };

  test('204 and one Reenrollment job', async () => {
    const before = Date.now();
    const res = await api(sim).post('/CertificateStores/Reenrollment', body);
    expect(res.status).toBe(204);
    const [job] = sim.jobs();
    expect(job).toMatchObject({
      JobType: 'Reenrollment',
      Operation: 'Reenrollment',
      CertificateStoreId: store(1),
      StorePath: '/etc/ssl/web-01.pem',
      AgentId: AGENT_1,
      ClientMachine: 'web-01.example.test',
      Alias: 'web',
    });
    const rows = (await api(sim).get('/OrchestratorJobs/JobHistory', { params: { QueryString: 'JobType -eq "Reenrollment"' } })).data;
    expect(rows).toHaveLength(1);
    expect(Date.parse(rows[0].OperationStart)).toBeGreaterThanOrEqual(before - 5);
  });

  test('400 for a wrong agent, an unsupported store, a missing field or a bad SAN', async () => {
    const wrongAgent = await api(sim).post('/CertificateStores/Reenrollment', { ...body, AgentGuid: AGENT_2 });
    expect(wrongAgent.status).toBe(400);
    expect(wrongAgent.data.Message).toMatch(/AgentGuid/);
    const unsupported = await api(sim).post('/CertificateStores/Reenrollment', { ...body, KeystoreId: store(6) });
    expect(unsupported.data.Message).toMatch(/does not support reenrollment/);
    const { Alias: _alias, ...noAlias } = body;
    expect((await api(sim).post('/CertificateStores/Reenrollment', noAlias)).data.Message).toBe('Alias: Required');
    const badSan = await api(sim).post('/CertificateStores/Reenrollment', { ...body, SANs: { dns: 'web' } });
    expect(badSan.data.Message).toMatch(/^SANs\.dns: /);
    expect(sim.jobs()).toEqual([]);
  });
});

describe('GET /Certificates/{id}', () => {
  test('Locations only with includeLocations=true; unknown id is 404', async () => {
    const plain = await api(sim).get('/Certificates/1');
    expect(plain.data).toEqual({ Id: 1, Thumbprint: '1111111111111111111111111111111111111111', IssuedDN: 'CN=www.example.test', IssuedCN: 'www.example.test' });
    const located = await api(sim).get('/Certificates/1?includeLocations=True');
    expect(located.data.Locations.map((l: { CertStoreId: string; Alias: string }) => [l.CertStoreId, l.Alias])).toEqual([
      [store(1), 'www'], [store(5), 'www'],
    ]);
    expect((await api(sim).get('/Certificates/42')).status).toBe(404);
    expect((await api(sim).get('/Certificates/1?includeLocations=maybe')).status).toBe(400);
  });
});
