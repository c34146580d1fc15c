import * as fs from 'fs';
import * as path from 'path';
import { KeyfactorClient } from '../../../src/runtime/api/client';
import { describeTlsError } from '../../../src/runtime/api/tls';
import { SecretResolver } from '../../../src/runtime/secrets';
import { connectionSettings } from '../../../src/runtime/settings';
import { KeyfactorSimulator } from '../../../src/simulator';
import { basicEnv, CANARY, captureOutput, clientFor, expectNoCanary, failure, S1, startSim, tempDir } from '../../support/runtime';

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
