import axios from 'axios';
import { api, sleep } from './helpers';
import { DEFAULT_SEED, KeyfactorSimulator, SimulatorSeed } from '../../src/simulator';

let sim: KeyfactorSimulator;

beforeAll(async () => {
  const seed: SimulatorSeed = structuredClone(DEFAULT_SEED);
  seed.oauthClients!.push({ clientId: 'scoped', clientSecret: 'scoped-secret', scopes: ['keyfactor-api', 'openid'], audience: 'https://kf.example.test' });
  sim = await KeyfactorSimulator.start({ seed });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => sim.reset());

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

/** POSTs a form to the token endpoint; never throws on status. */
function token(fields: Record<string, string>, headers: Record<string, string> = FORM, target = sim) {
  return axios.post(target.tokenUrl, new URLSearchParams(fields).toString(), { headers, validateStatus: () => true });
}

const terraform = { grant_type: 'client_credentials', client_id: 'terraform', client_secret: 'simulator-client-secret' };
const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });

describe('POST /oauth2/token', () => {
  test('client credentials give a token the API accepts as Bearer', async () => {
    expect(sim.tokenUrl).toBe(`${sim.url}/oauth2/token`);
    const res = await token(terraform);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.data).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    expect(res.data.access_token.length).toBeGreaterThanOrEqual(40);

    expect((await api(sim, bearer(res.data.access_token)).get('/CertificateStores')).status).toBe(200);
    expect((await api(sim, { Authorization: res.data.access_token }).get('/CertificateStores')).status).toBe(200);
    // Each request gets a new token.
    expect((await token(terraform)).data.access_token).not.toBe(res.data.access_token);
  });

  test('client_secret_basic (credentials in the Authorization header) works too', async () => {
    const basic = `Basic ${Buffer.from('terraform:simulator-client-secret').toString('base64')}`;
    const res = await token({ grant_type: 'client_credentials' }, { ...FORM, Authorization: basic });
    expect(res.status).toBe(200);
  });

  test('a wrong secret or unknown client is 401 invalid_client, and no token works', async () => {
    const wrong = await token({ ...terraform, client_secret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.data).toMatchObject({ error: 'invalid_client' });
    expect((await token({ ...terraform, client_id: 'someone' })).data.error).toBe('invalid_client');
    expect((await token({ grant_type: 'client_credentials' })).status).toBe(401);
    expect((await api(sim, bearer('made-up-token')).get('/CertificateStores')).status).toBe(401);
  });

  test('scopes: allowed ones are granted and echoed, unknown ones are 400 invalid_scope', async () => {
    const scoped = { grant_type: 'client_credentials', client_id: 'scoped', client_secret: 'scoped-secret' };
    const ok = await token({ ...scoped, scope: 'keyfactor-api openid', audience: 'https://kf.example.test' });
    expect(ok.status).toBe(200);
    expect(ok.data.scope).toBe('keyfactor-api openid');
    const bad = await token({ ...scoped, scope: 'keyfactor-api admin' });
    expect(bad.status).toBe(400);
    expect(bad.data).toMatchObject({ error: 'invalid_scope', error_description: expect.stringContaining('admin') });
    // The default client has no scope list: anything goes.
    expect((await token({ ...terraform, scope: 'anything' })).status).toBe(200);
    expect((await token({ ...scoped, audience: 'https://other.example.test' })).data.error).toBe('invalid_target');
  });

  test('bad requests follow RFC 6749', async () => {
    expect((await token({ ...terraform, grant_type: 'password' })).data.error).toBe('unsupported_grant_type');
    expect((await token({ client_id: 'terraform' })).data.error).toBe('invalid_request');
    const json = await axios.post(sim.tokenUrl, terraform, { validateStatus: () => true });
    expect(json.status).toBe(400);
    expect(json.data.error).toBe('invalid_request');
    expect((await axios.get(sim.tokenUrl, { validateStatus: () => true })).status).toBe(405);
  });

  test('token requests are recorded (form fields parsed) and reset forgets issued tokens', async () => {
    const { access_token: accessToken } = (await token(terraform)).data;
    const recorded = sim.received('POST', 'oauth2/token');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ status: 200, body: terraform });
    sim.reset();
    expect((await api(sim, bearer(accessToken)).get('/CertificateStores')).status).toBe(401);
  });

  test('faults apply to the token endpoint too', async () => {
    sim.injectFaults({ route: { pathSuffix: '/oauth2/token' }, kind: 'status503', count: 1 });
    expect((await token(terraform)).status).toBe(503);
    expect((await token(terraform)).status).toBe(200);
  });
});

describe('token expiry and a custom token path', () => {
  let short: KeyfactorSimulator;
  beforeAll(async () => {
    short = await KeyfactorSimulator.start({ tokenLifetimeSeconds: 0.2, tokenPath: 'connect/token' });
  });
  afterAll(() => short.stop());

  test('an expired token is refused with invalid_token', async () => {
    expect(short.tokenUrl).toBe(`${short.url}/connect/token`);
    const res = await token(terraform, FORM, short);
    expect(res.status).toBe(200);
    expect(res.data.expires_in).toBe(1); // fractions are rounded up
    expect((await api(short, bearer(res.data.access_token)).get('/CertificateStores')).status).toBe(200);
    await sleep(250);
    const expired = await api(short, bearer(res.data.access_token)).get('/CertificateStores');
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    // The seeded token is unaffected.
    expect((await api(short).get('/CertificateStores')).status).toBe(200);
  });

  test('expireTokens() expires every issued token at once', async () => {
    const { access_token: accessToken } = (await token(terraform, FORM, short)).data;
    short.expireTokens();
    expect((await api(short, bearer(accessToken)).get('/CertificateStores')).status).toBe(401);
  });

  test('the default path is not served when another is configured', async () => {
    const res = await axios.post(`${short.url}/oauth2/token`, new URLSearchParams(terraform).toString(), { headers: FORM, validateStatus: () => true });
    expect(res.status).toBe(404);
  });
});
