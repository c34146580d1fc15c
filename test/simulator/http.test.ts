import axios from 'axios';
import { api, BASIC_ADMIN, store } from './helpers';
import { KeyfactorSimulator } from '../../src/simulator';

let sim: KeyfactorSimulator;

beforeAll(async () => {
  sim = await KeyfactorSimulator.start();
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => sim.reset());

const raw = () => axios.create({ baseURL: `${sim.url}/KeyfactorAPI`, validateStatus: () => true });

describe('addresses', () => {
  test('listens on loopback with a random port', () => {
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.hostname).toBe(`127.0.0.1:${sim.port}`);
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
  });
});

describe('authentication', () => {
  test('Basic DOMAIN\\user:pass is accepted', async () => {
    const res = await api(sim, { Authorization: BASIC_ADMIN }).get(`/CertificateStores/${store(1)}`);
    expect(res.status).toBe(200);
    expect(res.data.Id).toBe(store(1));
  });

  test('domain is compared case-insensitively', async () => {
    const auth = `Basic ${Buffer.from('keyfactor\\admin:simulator-password').toString('base64')}`;
    expect((await api(sim, { Authorization: auth }).get('/CertificateStores')).status).toBe(200);
  });

  test('a domain user without the domain, or a wrong password, is refused', async () => {
    for (const credentials of ['admin:simulator-password', 'KEYFACTOR\\admin:wrong']) {
      const auth = `Basic ${Buffer.from(credentials).toString('base64')}`;
      expect((await api(sim, { Authorization: auth }).get('/CertificateStores')).status).toBe(401);
    }
  });

  test('Bearer token with and without the prefix', async () => {
    expect((await api(sim, { Authorization: 'Bearer simulator-token' }).get('/CertificateStores')).status).toBe(200);
    expect((await api(sim, { Authorization: 'simulator-token' }).get('/CertificateStores')).status).toBe(200);
    expect((await api(sim, { Authorization: 'Bearer nope' }).get('/CertificateStores')).status).toBe(401);
  });

  test('a read-only user may read but gets 403 (no body) on writes, and nothing is created', async () => {
    const auditor = `Basic ${Buffer.from('KEYFACTOR\\auditor:simulator-auditor-password').toString('base64')}`;
    expect((await api(sim, { Authorization: auditor }).get('/CertificateStores')).status).toBe(200);
    const res = await api(sim, { Authorization: auditor }).post('/CertificateStores/Certificates/Add', {
      CertificateId: 1, CertificateStores: [{ CertificateStoreId: store(1) }], Schedule: { Immediate: true },
    }, { responseType: 'text' });
    expect(res.status).toBe(403);
    expect(res.data).toBe('');
    expect(sim.jobs()).toEqual([]);
  });

  test('401 without Authorization, with no JSON body, checked before headers and routes', async () => {
    const res = await raw().get('/No/Such/Route', { responseType: 'text' });
    expect(res.status).toBe(401);
    expect(res.data).toBe('');
    expect(sim.requests[0].status).toBe(401);
  });
});

describe('headers', () => {
  test('missing x-keyfactor-requested-with is a 400 naming the header', async () => {
    const res = await raw().get('/CertificateStores', { headers: { Authorization: BASIC_ADMIN } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.data.ErrorCode).toEqual(expect.any(String));
    expect(res.data.Message).toContain('x-keyfactor-requested-with');
  });

  test('XMLHttpRequest is accepted too', async () => {
    const res = await api(sim, { 'x-keyfactor-requested-with': 'XMLHttpRequest' }).get('/CertificateStores');
    expect(res.status).toBe(200);
  });

  test('api version 1 and 1.0 are accepted; 2 is refused on v1 routes', async () => {
    for (const version of ['1', '1.0']) {
      expect((await api(sim, { 'x-keyfactor-api-version': version }).get('/CertificateStores')).status).toBe(200);
    }
    const res = await api(sim, { 'x-keyfactor-api-version': '2' }).get('/CertificateStores');
    expect(res.status).toBe(400);
    expect(res.data.Message).toMatch(/version/i);
  });
});

describe('routing and bodies', () => {
  test('the api path is case-insensitive', async () => {
    const res = await api(sim).get(`${sim.url}/keyfactorapi/certificatestores/${store(2)}`);
    expect(res.status).toBe(200);
  });

  test('unknown routes are 404 with an error body', async () => {
    const res = await api(sim).get('/Nothing/Here');
    expect(res.status).toBe(404);
    expect(res.data).toEqual({ ErrorCode: expect.any(String), Message: expect.any(String) });
    expect((await api(sim).get(`${sim.url}/OtherApi/CertificateStores`)).status).toBe(404);
  });

  test('a known path with the wrong method is 405', async () => {
    expect((await api(sim).get('/CertificateStores/Password')).status).toBe(405);
  });

  test('malformed JSON is a 400', async () => {
    // transformRequest keeps axios from JSON-encoding the broken string.
    const res = await api(sim).post('/CertificateStores/Certificates/Add', '{"CertificateId": 1,', {
      headers: { 'Content-Type': 'application/json' },
      transformRequest: [(data: unknown) => data],
    });
    expect(res.status).toBe(400);
    expect(res.data.Message).toMatch(/not valid JSON/);
  });

  test('a non-JSON media type is a 415', async () => {
    const res = await api(sim).post('/CertificateStores/Certificates/Add', 'CertificateId=1', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
  });

  test('requests are recorded in order with parsed bodies', async () => {
    await api(sim).put('/CertificateStores/Password', { CertStoreId: store(1), NewPassword: { SecretValue: 'x' } });
    await api(sim).get('/OrchestratorJobs/JobHistory', { params: { QueryString: 'Status -eq 3' } });
    expect(sim.requests.map((r) => [r.method, r.status])).toEqual([['PUT', 204], ['GET', 200]]);
    expect(sim.received('PUT', '/CertificateStores/Password')[0].body).toEqual({ CertStoreId: store(1), NewPassword: { SecretValue: 'x' } });
    const poll = sim.received('get', 'orchestratorjobs/jobhistory')[0];
    expect(poll.query).toEqual({ QueryString: 'Status -eq 3' });
    expect(poll.rawQuery).toBe('QueryString=Status+-eq+3');
    expect(poll.headers['x-keyfactor-requested-with']).toBe('APIClient');
  });
});
