import * as fs from 'fs';
import * as path from 'path';
import { AmbiguousRequestError, KeyfactorClient } from '../../../src/runtime/api/client';
import { describeTlsError } from '../../../src/runtime/api/tls';
import { SecretResolver } from '../../../src/runtime/secrets';
import { connectionSettings } from '../../../src/runtime/settings';
import { KeyfactorSimulator } from '../../../src/simulator';
import { basicEnv, CANARY, captureOutput, clientFor, expectNoCanary, failure, S1, startSim, tempDir } from '../../support/runtime';
import { ScriptedServer } from '../../support/scripted-server';

const getStore = (c: ReturnType<typeof clientFor>) => c.client.request<{ Id: string }>('GET', `/CertificateStores/${S1}`);
const authHeaders = (sim: KeyfactorSimulator) => sim.received('GET', `/CertificateStores/${S1}`).map((r) => String(r.headers.authorization));
const basic = (account: string) => `Basic ${Buffer.from(`${account}:${CANARY.password}`).toString('base64')}`;

describe('authentication', () => {
  let sim: KeyfactorSimulator;
  const errors: string[] = [];
  beforeAll(async () => (sim = await startSim()));
  afterAll(async () => {
    expectNoCanary(...errors);
    await sim.stop();
  });
  beforeEach(() => sim.reset());

  const oauthEnv = (extra: Record<string, string> = {}) => ({
    KEYFACTOR_HOSTNAME: sim.url,
    KEYFACTOR_AUTH_CLIENT_ID: 'terraform',
    KEYFACTOR_AUTH_CLIENT_SECRET: CANARY.clientSecret,
    KEYFACTOR_AUTH_TOKEN_URL: sim.tokenUrl,
    // One client per process here; sharing tokens between processes is test/runtime/api/token-cache.test.ts.
    CDKTF_KEYFACTOR_TOKEN_CACHE: 'off',
    ...extra,
  });

  test('Basic: KEYFACTOR_DOMAIN, or DOMAIN\\user in the user name (which wins)', async () => {
    expect((await getStore(clientFor(basicEnv(sim)))).data.Id).toBe(S1);
    const env = { ...basicEnv(sim), KEYFACTOR_USERNAME: 'KEYFACTOR\\admin', KEYFACTOR_DOMAIN: 'OTHER' };
    expect((await getStore(clientFor(env))).status).toBe(200);
    expect(authHeaders(sim)).toEqual([basic('KEYFACTOR\\admin'), basic('KEYFACTOR\\admin')]);
  });

  test('OAuth client credentials: one token request (form, scopes, audience) serves every call', async () => {
    const c = clientFor(oauthEnv({ KEYFACTOR_AUTH_SCOPES: 'kf-api, read', KEYFACTOR_AUTH_AUDIENCE: 'keyfactor' }));
    await getStore(c);
    await getStore(c);
    const tokenRequests = sim.received('POST', '/oauth2/token');
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0].body).toEqual({ grant_type: 'client_credentials', scope: 'kf-api read', audience: 'keyfactor' });
    expect(tokenRequests[0].headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(tokenRequests[0].headers.authorization).toBe(`Basic ${Buffer.from(`terraform:${CANARY.clientSecret}`).toString('base64')}`);
    const [first, second] = authHeaders(sim);
    expect(first).toMatch(/^Bearer \S+$/);
    expect(second).toBe(first);
  });

  test('OAuth: an expired token is replaced once after the 401, and the call succeeds', async () => {
    const c = clientFor(oauthEnv());
    await getStore(c);
    sim.expireTokens();
    expect((await getStore(c)).status).toBe(200);
    expect(sim.received('POST', '/oauth2/token')).toHaveLength(2);
    const statuses = sim.received('GET', `/CertificateStores/${S1}`).map((r) => r.status);
    expect(statuses).toEqual([200, 401, 200]);
    expect(c.logs).toEqual([`retrying GET /CertificateStores/${S1} after HTTP 401 with a new access token (attempt 2, waiting 0s)`]);
    const tokens = authHeaders(sim).map((h) => h.replace('Bearer ', ''));
    expect(new Set(tokens).size).toBe(2);
  });

  test('a ready access token is sent as Bearer; refused, the error says it may have expired', async () => {
    await getStore(clientFor({ KEYFACTOR_HOSTNAME: sim.url, KEYFACTOR_AUTH_ACCESS_TOKEN: CANARY.accessToken }));
    expect(authHeaders(sim)).toEqual([`Bearer ${CANARY.accessToken}`]);
    const e = await failure(getStore(clientFor({ KEYFACTOR_HOSTNAME: sim.url, KEYFACTOR_AUTH_ACCESS_TOKEN: `${CANARY.accessToken}-old` })));
    errors.push(e.message);
    expect(e.message).toContain('HTTP 401');
    expect(e.message).toContain('KEYFACTOR_AUTH_ACCESS_TOKEN was refused: it may have expired');
  });

  test('precedence: Basic, then the access token, then client credentials (as in Keyfactor\'s provider)', async () => {
    const all: Record<string, string> = { ...oauthEnv(), ...basicEnv(sim), KEYFACTOR_AUTH_ACCESS_TOKEN: CANARY.accessToken };
    await getStore(clientFor(all));
    const { KEYFACTOR_USERNAME: _u, ...noBasic } = all;
    await getStore(clientFor(noBasic));
    expect(authHeaders(sim)).toEqual([basic('KEYFACTOR\\admin'), `Bearer ${CANARY.accessToken}`]);
    expect(sim.received('POST', '/oauth2/token')).toHaveLength(0);
  });

  test('a wrong client secret or password gets an error naming the variables to check', async () => {
    const oauth = await failure(getStore(clientFor(oauthEnv({ KEYFACTOR_AUTH_CLIENT_SECRET: `${CANARY.clientSecret}-wrong` }))));
    const pw = await failure(getStore(clientFor(basicEnv(sim, { KEYFACTOR_PASSWORD: `${CANARY.password}-wrong` }))));
    errors.push(oauth.message, pw.message);
    expect(oauth.message).toMatch(/^OAuth token request to http:\/\/127\.0\.0\.1:\d+\/oauth2\/token failed: HTTP 401: invalid_client: Client authentication failed\. \(check KEYFACTOR_AUTH_CLIENT_ID and KEYFACTOR_AUTH_CLIENT_SECRET\)$/);
    expect(pw.message).toContain(`GET /CertificateStores/${S1}: HTTP 401 (check KEYFACTOR_USERNAME, KEYFACTOR_PASSWORD and KEYFACTOR_DOMAIN)`);
  });

  test('no credential, token or Basic header appears in what the runner prints', async () => {
    const out = captureOutput();
    try {
      // The client's own output path (stderr), not a test callback: what a user would see.
      const env = oauthEnv();
      const secrets = new SecretResolver(env);
      const client = new KeyfactorClient(connectionSettings(env, secrets), secrets);
      await client.request('GET', `/CertificateStores/${S1}`);
      sim.expireTokens();
      await client.request('GET', `/CertificateStores/${S1}`);
      errors.push((await failure(getStore(clientFor(basicEnv(sim, { KEYFACTOR_PASSWORD: 'wrong' }))))).message);
    } finally {
      out.restore();
    }
    // The capture did capture: the retry after the expired token is printed.
    expect(out.text()).toBe(`cdktf-keyfactor: retrying GET /CertificateStores/${S1} after HTTP 401 with a new access token (attempt 2, waiting 0s)\n`);
    const issued = sim.requests.map((r) => String(r.headers.authorization ?? '')).filter((h) => h.startsWith('Bearer ')).map((h) => h.slice(7));
    expect(issued).toHaveLength(3); // first token, the expired one refused, the new one
    expect(new Set(issued).size).toBe(2);
    expectNoCanary(out.text(), ...errors);
  });
});

describe('TLS', () => {
  let sim: KeyfactorSimulator;
  let caFile: string;
  beforeAll(async () => {
    sim = await startSim({ tls: true });
    caFile = path.join(tempDir('kf-ca-'), 'ca.pem');
    fs.writeFileSync(caFile, sim.caCertPem!);
  });
  afterAll(async () => sim.stop());

  test('HTTPS with KEYFACTOR_CA_CERT as a file path, or as PEM text (added to the default roots)', async () => {
    expect(sim.url).toMatch(/^https:/);
    expect((await getStore(clientFor(basicEnv(sim, { KEYFACTOR_CA_CERT: caFile })))).status).toBe(200);
    expect((await getStore(clientFor(basicEnv(sim, { KEYFACTOR_CA_CERT: sim.caCertPem! })))).status).toBe(200);
    // A bare host:port means https.
    expect((await getStore(clientFor(basicEnv(sim, { KEYFACTOR_HOSTNAME: sim.hostname, KEYFACTOR_CA_CERT: caFile })))).status).toBe(200);
  });

  test('without the CA: an error saying to set KEYFACTOR_CA_CERT, and no retry', async () => {
    const c = clientFor(basicEnv(sim));
    const e = await failure(getStore(c));
    expect(e.message).toMatch(new RegExp(`^GET /CertificateStores/${S1} failed: the TLS certificate of ${sim.hostname.replace(/\./g, '\\.')} is not trusted: set KEYFACTOR_CA_CERT to the CA that issued it`));
    expect(c.logs).toEqual([]);
    expectNoCanary(e.message);
  });

  test('OAuth token endpoint over HTTPS uses the same trust', async () => {
    const env = {
      KEYFACTOR_HOSTNAME: sim.url,
      KEYFACTOR_CA_CERT: caFile,
      KEYFACTOR_AUTH_CLIENT_ID: 'terraform',
      KEYFACTOR_AUTH_CLIENT_SECRET: CANARY.clientSecret,
      KEYFACTOR_AUTH_TOKEN_URL: sim.tokenUrl,
      CDKTF_KEYFACTOR_TOKEN_CACHE: 'off',
    };
    expect((await getStore(clientFor(env))).status).toBe(200);
    const { KEYFACTOR_CA_CERT: _ca, ...untrusted } = env;
    const e = await failure(getStore(clientFor(untrusted)));
    expect(e.message).toContain(`OAuth token request to ${sim.tokenUrl} failed: the TLS certificate of ${sim.hostname} is not trusted: set KEYFACTOR_AUTH_CA_CERT (or KEYFACTOR_CA_CERT)`);
  });

  test('KEYFACTOR_SKIP_VERIFY works, with a one-line warning naming the variable on every run', async () => {
    const c = clientFor(basicEnv(sim, { KEYFACTOR_SKIP_VERIFY: 'true' }));
    expect((await getStore(c)).status).toBe(200);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(/^WARNING: KEYFACTOR_SKIP_VERIFY is set: .*NOT verified.*set KEYFACTOR_CA_CERT instead\.$/);
    expect(c.warnings[0]).not.toContain('\n');
    expect(clientFor(basicEnv(sim, { KEYFACTOR_SKIP_VERIFY: '1' })).warnings).toHaveLength(1);
    expect(clientFor(basicEnv(sim, { KEYFACTOR_SKIP_VERIFY: 'false', KEYFACTOR_CA_CERT: caFile })).warnings).toHaveLength(0);
    // By default the warning goes to stderr.
    const out = captureOutput();
    try {
      const env = basicEnv(sim, { KEYFACTOR_SKIP_VERIFY: 'true' });
      new KeyfactorClient(connectionSettings(env, new SecretResolver(env)), new SecretResolver(env));
    } finally {
      out.restore();
    }
    expect(out.text()).toMatch(/^cdktf-keyfactor: WARNING: KEYFACTOR_SKIP_VERIFY is set: [^\n]*\n$/);
  });

  test('a certificate for another name: an error saying to fix KEYFACTOR_HOSTNAME', async () => {
    const other = await startSim({ tls: { hostnames: ['kf.example.test'] } });
    try {
      const e = await failure(getStore(clientFor(basicEnv(other, { KEYFACTOR_CA_CERT: other.caCertPem! }))));
      expect(e.message).toContain(`the TLS certificate of ${other.hostname} is not issued for that name: set KEYFACTOR_HOSTNAME to a name the certificate lists`);
      expect(e.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    } finally {
      await other.stop();
    }
  });

  test('https:// to a plain-HTTP port: an error saying the server did not answer with TLS', async () => {
    const plain = await startSim();
    try {
      const e = await failure(getStore(clientFor(basicEnv(plain, { KEYFACTOR_HOSTNAME: plain.hostname }))));
      expect(e.message).toContain(`${plain.hostname} did not answer with TLS`);
    } finally {
      await plain.stop();
    }
  });

  test('expired and not-yet-valid certificates are explained', () => {
    expect(describeTlsError({ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, 'kf.example.test'))
      .toBe('the TLS certificate of kf.example.test has expired: the server needs a renewed certificate (or check this machine\'s clock) (CERT_HAS_EXPIRED: certificate has expired)');
    expect(describeTlsError({ code: 'CERT_NOT_YET_VALID' }, 'h')).toContain('not valid yet: check this machine\'s clock');
    expect(describeTlsError({ code: 'ECONNREFUSED' }, 'h')).toBeUndefined();
  });
});

describe('unreadable answers', () => {
  let sim: KeyfactorSimulator;
  beforeAll(async () => (sim = await startSim()));
  afterAll(async () => sim.stop());
  beforeEach(() => sim.reset());

  test('malformed JSON on a GET: a clear error with what came back', async () => {
    sim.injectFaults({ route: { method: 'GET' }, kind: 'malformedJson', count: 1 });
    const e = await failure(getStore(clientFor(basicEnv(sim))));
    expect(e.message).toMatch(new RegExp(`^GET /CertificateStores/${S1}: HTTP 200 but the body is not JSON: \\{"Id":"11111111`));
  });

  test('an IIS HTML error page: named as such, with its visible text and no markup', async () => {
    sim.injectFaults({ kind: 'htmlError', count: 1 });
    const e = await failure(getStore(clientFor(basicEnv(sim))));
    expect(e.message).toMatch(new RegExp(`^GET /CertificateStores/${S1}: HTTP 500: an HTML page, not Command's JSON \\(a proxy or IIS error page\\?\\): 500 - Internal server error\\. Server Error 500 - Internal server error\\.`));
    expect(e.message).not.toMatch(/[<>{}]/);
    expect(sim.received('GET', `/CertificateStores/${S1}`)).toHaveLength(1); // a 500 is not retried
  });
});

describe('answers the simulator does not give (a scripted server)', () => {
  let server: ScriptedServer;
  beforeAll(async () => (server = await ScriptedServer.start(() => ({ status: 200, body: '{}' }))));
  afterAll(() => server.stop());
  beforeEach(() => (server.requests.length = 0));

  const client = (extra: Record<string, string> = {}) => clientFor({
    KEYFACTOR_HOSTNAME: server.url, KEYFACTOR_USERNAME: 'admin', KEYFACTOR_PASSWORD: CANARY.password, CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0', ...extra,
  });
  const answer = (status: number, body: string, headers: Record<string, string> = {}) => (server.script = () => ({ status, body, headers }));
  const get = async () => (await failure(client().client.request('GET', '/x'))).message;

  test('every request carries the headers Command requires, and JSON', async () => {
    answer(200, '{"a":1}');
    const res = await client().client.request('POST', '/x', { body: { b: 2 }, query: { q: 'v w', absent: undefined } });
    expect(res).toEqual({ status: 200, data: { a: 1 }, headers: expect.objectContaining({ 'content-type': 'application/json' }) });
    const [req] = server.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/KeyfactorAPI/x?q=v+w', body: '{"b":2}' });
    expect(req.headers).toMatchObject({
      'x-keyfactor-requested-with': 'APIClient',
      'x-keyfactor-api-version': '1',
      'content-type': 'application/json',
      'accept': 'application/json',
      'authorization': `Basic ${Buffer.from(`admin:${CANARY.password}`).toString('base64')}`,
    });
  });

  test('KEYFACTOR_API_PATH: slashes around it do not matter', async () => {
    answer(200, '{}');
    await client({ KEYFACTOR_API_PATH: '//Custom/Api//' }).client.request('GET', '/x');
    await client({ KEYFACTOR_API_PATH: 'Custom/Api' }).client.request('GET', '/x');
    expect(server.requests.map((r) => r.path)).toEqual(['/Custom/Api/x', '/Custom/Api/x']);
  });

  test.each([
    [400, '{"ErrorCode":"0xA0","Message":"Store not found."}', 'GET /x: HTTP 400: Keyfactor error 0xA0: Store not found.'],
    [400, '{"ErrorCode":null,"Message":"No code."}', 'GET /x: HTTP 400: Keyfactor error (no code): No code.'],
    [400, '{"Message":"Message only."}', 'GET /x: HTTP 400: Keyfactor error (no code): Message only.'],
    [400, '{"ErrorCode":7}', 'GET /x: HTTP 400: Keyfactor error 7: '],
    [400, '{"Other":"shape"}', 'GET /x: HTTP 400: {"Other":"shape"}'],
    [400, 'null', 'GET /x: HTTP 400: null'],
    [400, '"quoted"', 'GET /x: HTTP 400: "quoted"'],
    [403, '{"ErrorCode":"0x1","Message":"No."}', 'GET /x: HTTP 403 (the account lacks the Command permission this call needs): Keyfactor error 0x1: No.'],
    [500, '', 'GET /x: HTTP 500: empty body'],
    [500, '  \n ', 'GET /x: HTTP 500: empty body'],
    [500, 'plain \n\n  text', 'GET /x: HTTP 500: plain text'],
    [500, '<html><head><style>p{x:y}</style><script>var a = 1;</script></head><body><h1>Bad</h1> <p>gateway</p></body></html>',
      "GET /x: HTTP 500: an HTML page, not Command's JSON (a proxy or IIS error page?): Bad gateway"],
    // Markup between two words still separates them.
    [503, '<html><body>Service<style>p{}</style>Unavailable<br>try later</body></html>',
      "GET /x: HTTP 503: an HTML page, not Command's JSON (a proxy or IIS error page?): Service Unavailable try later"],
    [300, '', 'GET /x: HTTP 300: empty body'],
    [302, '', 'GET /x: HTTP 302: empty body'],
  ])('HTTP %i %j', async (status, body, message) => {
    answer(status, body, status === 302 ? { location: 'http://elsewhere.invalid/' } : {});
    expect(await get()).toBe(message);
    expect(server.requests).toHaveLength(1); // a redirect is not followed
  });

  test('a long body is cut at 300 characters; exactly 300 is kept whole', async () => {
    answer(500, 'x'.repeat(301));
    expect(await get()).toBe(`GET /x: HTTP 500: ${'x'.repeat(300)}…`);
    answer(500, 'y'.repeat(300));
    expect(await get()).toBe(`GET /x: HTTP 500: ${'y'.repeat(300)}`);
  });

  test('a 2xx with an empty or blank body has no data; a GET with a body that is not JSON is an error, a POST an ambiguous one', async () => {
    answer(204, '');
    expect((await client().client.request('GET', '/x')).data).toBeUndefined();
    answer(200, ' \n');
    expect((await client().client.request('GET', '/x')).data).toBeUndefined();
    answer(200, '{"trunc');
    const getError = await failure(client().client.request('GET', '/x'));
    expect(getError).not.toBeInstanceOf(AmbiguousRequestError);
    expect(getError.message).toBe('GET /x: HTTP 200 but the body is not JSON: {"trunc');
    const postError = await failure(client().client.request('POST', '/x'));
    expect(postError).toBeInstanceOf(AmbiguousRequestError);
    expect(postError.name).toBe('AmbiguousRequestError');
    expect(postError.message).toMatch(/^POST \/x: HTTP 200 but the body is not JSON: \{"trunc \(Command accepted the request, but its answer cannot be read\), after the request was sent at /);
  });

  test('an access token refused twice is fetched again only once', async () => {
    server.script = (req) => (req.path === '/token' ? { status: 200, body: JSON.stringify({ access_token: `t${server.requests.length}`, expires_in: 3600 }) } : { status: 401, body: '' });
    const c = clientFor({
      KEYFACTOR_HOSTNAME: server.url, KEYFACTOR_AUTH_CLIENT_ID: 'id', KEYFACTOR_AUTH_CLIENT_SECRET: CANARY.clientSecret, KEYFACTOR_AUTH_TOKEN_URL: `${server.url}/token`,
    });
    const e = await failure(c.client.request('GET', '/x'));
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /token', 'GET /KeyfactorAPI/x', 'POST /token', 'GET /KeyfactorAPI/x']);
    expect(e.message).toBe('GET /x: HTTP 401 (a new access token from KEYFACTOR_AUTH_TOKEN_URL was refused too: check that Command accepts tokens ' +
      'from that identity provider, and KEYFACTOR_AUTH_SCOPES / KEYFACTOR_AUTH_AUDIENCE): empty body');
  });

  test('a host name that does not resolve says so, and is not retried', async () => {
    const e = await failure(client({ KEYFACTOR_HOSTNAME: 'kf.example.invalid', CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '10' }).client.request('GET', '/x'));
    expect(e.message).toBe('GET /x failed: host name kf.example.invalid not found (ENOTFOUND): check KEYFACTOR_HOSTNAME.');
  });

  test('a connection dropped without an answer: a GET gives up naming the code; a POST is ambiguous', async () => {
    server.script = () => 'destroy';
    expect(await get()).toBe(`GET /x to ${server.url}/KeyfactorAPI failed: ECONNRESET: socket hang up`);
    const post = await failure(client().client.request('POST', '/x'));
    expect(post).toBeInstanceOf(AmbiguousRequestError);
    expect((post as AmbiguousRequestError).reason).toBe('ECONNRESET: socket hang up');
  });
});
