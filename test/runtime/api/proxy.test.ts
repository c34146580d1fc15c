import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as path from 'path';
import { AmbiguousRequestError } from '../../../src/runtime/api/client';
import { exchange } from '../../../src/runtime/api/http';
import { agentFor, proxyFor } from '../../../src/runtime/api/tls';
import { KeyfactorApiError } from '../../../src/runtime/errors';
import { SecretResolver } from '../../../src/runtime/secrets';
import { connectionSettings, proxySettings } from '../../../src/runtime/settings';
import { KeyfactorSimulator } from '../../../src/simulator';
import { createTlsMaterial } from '../../../src/simulator/tls';
import { basicEnv, CANARY, clientFor, expectNoCanary, failure, S1, startSim, tempDir } from '../../support/runtime';
import { ScriptedServer } from '../../support/scripted-server';
import { caFileOf } from '../../support/simulator';

/** What reached the test proxy: CONNECT requests, plain (forward-proxy) requests, and the bytes it tunnelled. */
interface ProxyLog {
  connects: Array<{ target: string; headers: http.IncomingHttpHeaders }>;
  plain: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
  tunnelled: Buffer[];
}

/**
 * A real CONNECT proxy on loopback: tunnels `keyfactor.test:<port>` to 127.0.0.1 (the client never
 * resolves that name itself), or answers every CONNECT with `refuse` (e.g. a 407).
 */
async function startProxy(refuse?: string, tls?: https.ServerOptions): Promise<{ url: string; log: ProxyLog; stop: () => Promise<void> }> {
  const log: ProxyLog = { connects: [], plain: [], tunnelled: [] };
  const sockets = new Set<net.Socket>();
  const server = (tls ? https.createServer(tls) : http.createServer()).on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    log.plain.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(502).end('this proxy only tunnels');
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    const target = req.url ?? '';
    log.connects.push({ target, headers: req.headers });
    sockets.add(client);
    if (refuse) {
      client.end(refuse);
      return;
    }
    const [host, port] = target.split(':');
    const upstream = net.connect(Number(port), host === 'keyfactor.test' ? '127.0.0.1' : host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      client.on('data', (d: Buffer) => log.tunnelled.push(d));
      client.pipe(upstream).pipe(client);
    });
    sockets.add(upstream);
    // The server's sockets are half-open by default: either side closing ends the tunnel.
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    log,
    stop: () => {
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const PROXY_PASSWORD = 'canary-proxy-password-3d9e';
const withCredentials = (proxyUrl: string) => proxyUrl.replace('http://', `http://proxyuser:${PROXY_PASSWORD}@`);
const getStore = (c: ReturnType<typeof clientFor>) => c.client.request<{ Id: string }>('GET', `/CertificateStores/${S1}`);
const basicCredential = Buffer.from(`KEYFACTOR\\admin:${CANARY.password}`).toString('base64');

describe('proxies', () => {
  let sim: KeyfactorSimulator;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  const seen: string[] = [];
  beforeAll(async () => {
    // The certificate also names keyfactor.test, the non-loopback name reached through the proxy.
    sim = await startSim({ tls: { hostnames: ['keyfactor.test', '127.0.0.1', 'localhost'] } });
    proxy = await startProxy();
  });
  afterAll(async () => {
    expectNoCanary(...seen);
    for (const text of seen) expect(text).not.toContain(PROXY_PASSWORD);
    await proxy.stop();
    await sim.stop();
  });
  beforeEach(() => {
    sim.reset();
    proxy.log.connects.length = 0;
    proxy.log.plain.length = 0;
    proxy.log.tunnelled.length = 0;
  });

  const viaName = (extra: Record<string, string> = {}) => basicEnv(sim, {
    KEYFACTOR_HOSTNAME: `https://keyfactor.test:${sim.port}`,
    KEYFACTOR_CA_CERT: caFileOf(sim),
    HTTPS_PROXY: proxy.url,
    ...extra,
  });
  const fails = async (p: Promise<unknown>) => {
    const e = await failure(p);
    seen.push(e.message);
    return e;
  };

  test('a loopback target is never proxied, whatever HTTPS_PROXY and HTTP_PROXY say (in the settings or in process.env)', async () => {
    const proxies = { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, https_proxy: proxy.url, http_proxy: proxy.url };
    expect((await getStore(clientFor(basicEnv(sim, { KEYFACTOR_CA_CERT: caFileOf(sim), ...proxies })))).status).toBe(200);
    expect((await getStore(clientFor(basicEnv(sim, { KEYFACTOR_HOSTNAME: `https://localhost:${sim.port}`, KEYFACTOR_CA_CERT: caFileOf(sim), ...proxies })))).status).toBe(200);
    // Plain HTTP to loopback: the Basic credentials must not go to a proxy in clear text. Axios
    // itself would take the proxy from process.env: it is told not to.
    const plain = await ScriptedServer.start(() => ({ status: 200, body: '{"Id":"x"}' }));
    const before = { ...process.env };
    Object.assign(process.env, proxies);
    try {
      expect((await getStore(clientFor(basicEnv(sim, { KEYFACTOR_HOSTNAME: plain.url, ...proxies })))).status).toBe(200);
      expect(plain.requests[0].headers.authorization).toBe(`Basic ${basicCredential}`);
    } finally {
      for (const name of Object.keys(proxies)) if (before[name] === undefined) delete process.env[name];
      Object.assign(process.env, before);
      await plain.stop();
    }
    expect(sim.received('GET', `/CertificateStores/${S1}`)).toHaveLength(2);
    expect(proxy.log).toEqual({ connects: [], plain: [], tunnelled: [] });
  });

  test('https to a non-loopback host goes through a CONNECT tunnel: the proxy sees the host name and port only', async () => {
    const c = clientFor(viaName({ HTTPS_PROXY: withCredentials(proxy.url) }));
    expect((await getStore(c)).data.Id).toBe(S1);
    expect(await c.client.request('GET', `/CertificateStores/${S1}`).then((r) => r.status)).toBe(200);
    // One tunnel per request (no keep-alive), each a CONNECT with the proxy's own credentials only.
    expect(proxy.log.connects).toEqual([1, 2].map(() => ({
      target: `keyfactor.test:${sim.port}`,
      headers: { 'host': `keyfactor.test:${sim.port}`, 'proxy-authorization': `Basic ${Buffer.from(`proxyuser:${PROXY_PASSWORD}`).toString('base64')}`, 'connection': 'close' },
    })));
    expect(proxy.log.plain).toEqual([]);
    // Command got the Basic credentials; inside the tunnel they were TLS-encrypted.
    expect(sim.received('GET', `/CertificateStores/${S1}`).map((r) => r.headers.authorization)).toEqual([`Basic ${basicCredential}`, `Basic ${basicCredential}`]);
    const tunnelled = Buffer.concat(proxy.log.tunnelled).toString('latin1');
    expect(tunnelled.length).toBeGreaterThan(0);
    expect(tunnelled).not.toContain(basicCredential);
    expect(tunnelled).not.toContain('CertificateStores');
  });

  test('the OAuth token request goes through the tunnel too', async () => {
    const { KEYFACTOR_USERNAME: _u, KEYFACTOR_PASSWORD: _p, ...noBasic } = viaName();
    const c = clientFor({
      ...noBasic,
      KEYFACTOR_AUTH_CLIENT_ID: 'terraform',
      KEYFACTOR_AUTH_CLIENT_SECRET: CANARY.clientSecret,
      KEYFACTOR_AUTH_TOKEN_URL: `https://keyfactor.test:${sim.port}/oauth2/token`,
    });
    expect((await getStore(c)).status).toBe(200);
    expect(sim.received('POST', '/oauth2/token')).toHaveLength(1);
    expect(proxy.log.connects.map((x) => x.target)).toEqual([`keyfactor.test:${sim.port}`, `keyfactor.test:${sim.port}`]);
  });

  test('an https:// proxy: TLS to the proxy too, trusted with the same CA settings', async () => {
    const material = await createTlsMaterial(['127.0.0.1']);
    const tlsProxy = await startProxy(undefined, { key: material.keyPem, cert: material.certPem });
    const bothCas = path.join(tempDir('kf-ca-'), 'both.pem');
    fs.writeFileSync(bothCas, `${sim.caCertPem}\n${material.caCertPem}`);
    try {
      expect((await getStore(clientFor(viaName({ HTTPS_PROXY: tlsProxy.url, KEYFACTOR_CA_CERT: bothCas })))).status).toBe(200);
      expect(tlsProxy.log.connects.map((x) => x.target)).toEqual([`keyfactor.test:${sim.port}`]);
      // Its certificate untrusted: the proxy's failure, named as such.
      const c = clientFor(viaName({ HTTPS_PROXY: tlsProxy.url }));
      const e = await fails(getStore(c));
      expect(e.message).toMatch(new RegExp(`the proxy ${tlsProxy.url} \\(HTTPS_PROXY\\) could not be reached or failed \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE: [^)]+\\): ` +
        'TLS to the proxy failed, check HTTPS_PROXY \\(http:// for a proxy without TLS\\) and KEYFACTOR_CA_CERT; the request never reached Command'));
      // Not retried: asking again cannot help.
      expect(c.logs).toEqual([]);
    } finally {
      await tlsProxy.stop();
    }
  });

  test('through the tunnel our TLS settings hold: an untrusted certificate fails as Command\'s, KEYFACTOR_SKIP_VERIFY still works', async () => {
    const { KEYFACTOR_CA_CERT: _ca, ...untrusting } = viaName();
    const e = await fails(getStore(clientFor(untrusting)));
    expect(e.message).toContain(`the TLS certificate of keyfactor.test:${sim.port} is not trusted`);
    expect((await getStore(clientFor({ ...untrusting, KEYFACTOR_SKIP_VERIFY: 'true' }))).status).toBe(200);
    expect(proxy.log.connects).toHaveLength(2);
  });

  test('NO_PROXY: a matching host goes direct (here: a name only the proxy can resolve, so the direct attempt finds no host)', async () => {
    for (const noProxy of ['keyfactor.test', '.test', '*.test', `keyfactor.test:${sim.port}`, '*']) {
      const e = await fails(getStore(clientFor(viaName({ NO_PROXY: `example.com, ${noProxy}`, CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0' }))));
      expect(e.message).toContain(`host name keyfactor.test:${sim.port} not found (ENOTFOUND)`);
    }
    expect(proxy.log.connects).toEqual([]);
    // Another port, or the lower-case variable saying something else, and the proxy is used.
    expect((await getStore(clientFor(viaName({ NO_PROXY: 'keyfactor.test:1' })))).status).toBe(200);
    expect((await getStore(clientFor(viaName({ NO_PROXY: 'keyfactor.test', no_proxy: 'other.example' })))).status).toBe(200);
    expect(proxy.log.connects).toHaveLength(2);
  });

  test('a proxy answering 407 to the CONNECT: the proxy\'s answer, named without its credentials, not retried, not ambiguous', async () => {
    const refusing = await startProxy('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n');
    try {
      const c = clientFor(viaName({ HTTPS_PROXY: withCredentials(refusing.url) }));
      const e = await fails(getStore(c));
      expect(e).toBeInstanceOf(KeyfactorApiError);
      expect(e.message).toBe(`GET /CertificateStores/${S1} failed: the proxy ${refusing.url} (HTTPS_PROXY) answered HTTP 407 Proxy Authentication Required ` +
        `to the CONNECT for keyfactor.test:${sim.port}: that is the proxy's answer, not Keyfactor Command's (check the user and password in HTTPS_PROXY); ` +
        'the request never reached Command');
      expect((e as KeyfactorApiError).status).toBeUndefined();
      const post = await fails(c.client.request('POST', '/CertificateStores/Certificates/Add', { body: {} }));
      expect(post).not.toBeInstanceOf(AmbiguousRequestError);
      expect(post.message).toContain('answered HTTP 407');
      expect(refusing.log.connects).toHaveLength(2);
      expect(c.logs).toEqual([]);
      expect(sim.requests).toEqual([]);
    } finally {
      await refusing.stop();
    }
  });

  test('a proxy\'s 502 to the CONNECT is its own, and retried: Command never saw the request, so even a POST goes again', async () => {
    const failing = await startProxy('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
    try {
      const c = clientFor(viaName({ HTTPS_PROXY: failing.url, CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0.3' }));
      const e = await fails(c.client.request('POST', '/CertificateStores/Certificates/Add', { body: {} }));
      expect(e).not.toBeInstanceOf(AmbiguousRequestError);
      expect(e.message).toContain(`the proxy ${failing.url} (HTTPS_PROXY) answered HTTP 502 Bad Gateway to the CONNECT for keyfactor.test:${sim.port}: that is the proxy's answer`);
      expect(failing.log.connects.length).toBeGreaterThanOrEqual(2);
      expect(c.logs[0]).toMatch(/^retrying POST \/CertificateStores\/Certificates\/Add after a proxy failure \(attempt 2/);
    } finally {
      await failing.stop();
    }
  });

  test('an unreachable proxy: the error names it, without credentials, and says Command was not reached', async () => {
    const closed = await startProxy();
    await closed.stop();
    const c = clientFor(viaName({ HTTPS_PROXY: withCredentials(closed.url), CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0' }));
    const e = await fails(getStore(c));
    expect(e.message).toMatch(new RegExp(`^GET /CertificateStores/${S1} failed: the proxy ${closed.url} \\(HTTPS_PROXY\\) could not be reached or failed ` +
      '\\(ECONNREFUSED: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\\); the request never reached Command$'));
  });

  test('the exchange counts a request as sent once TLS to Command is up through the tunnel, never when only the proxy answered', async () => {
    const settings = connectionSettings(viaName(), new SecretResolver({}));
    const agent = agentFor(settings.baseUrl, settings);
    const req = () => exchange({ method: 'GET', url: `${settings.baseUrl}/Status/Endpoints`, headers: {}, timeoutMs: 10_000, agent });
    sim.injectFaults({ kind: 'resetAfterProcessing', count: 1 });
    expect(await req()).toMatchObject({ sent: true, timedOut: false, error: { code: 'ECONNRESET' } });
    const refusing = await startProxy('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
    try {
      const viaRefusing = connectionSettings(viaName({ HTTPS_PROXY: refusing.url }), new SecretResolver({}));
      const r = await exchange({ method: 'GET', url: `${viaRefusing.baseUrl}/Status/Endpoints`, headers: {}, timeoutMs: 10_000, agent: agentFor(viaRefusing.baseUrl, viaRefusing) });
      expect(r).toMatchObject({ sent: false, timedOut: false, proxyFailed: { status: 407, final: true } });
    } finally {
      await refusing.stop();
    }
  });
});

describe('proxy settings', () => {
  const secrets = () => new SecretResolver({});
  const settings = (env: Record<string, string>) => proxySettings(env, secrets());

  test('lower case wins; a proxy without a scheme is http://; blank is unset', () => {
    const s = settings({ HTTPS_PROXY: 'http://upper:3128', https_proxy: 'lower:3128', HTTP_PROXY: ' ', NO_PROXY: 'A.example, b.example  c.example' });
    expect(s.https?.url.href).toBe('http://lower:3128/');
    expect(s.https?.variable).toBe('https_proxy');
    expect(s.http).toBeUndefined();
    expect(s.noProxy).toEqual(['a.example', 'b.example', 'c.example']);
  });

  test('a bad proxy URL is a RunnerError naming the variable, never showing the password', () => {
    const s = secrets();
    expect(() => proxySettings({ HTTPS_PROXY: 'http://user:pw-secret-1@' }, s)).toThrow(/^HTTPS_PROXY "http:\/\/\*\*\*@" is not a proxy URL/);
    expect(() => proxySettings({ https_proxy: 'socks5://user:pw-secret-2@proxy:1080' }, s))
      .toThrow('https_proxy "socks5://***@proxy:1080": only http:// and https:// proxies are supported (got socks5://).');
    // A password in a valid proxy URL is redacted from all output.
    const good = secrets();
    proxySettings({ HTTPS_PROXY: 'http://user:p%40ss-word-3@proxy:3128' }, good);
    expect(good.redact('p@ss-word-3 and p%40ss-word-3')).toBe('*** and ***');
  });

  test('which targets a proxy serves: never loopback, by scheme, NO_PROXY by host, domain, port and address range', () => {
    const s = settings({ HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://q:2', NO_PROXY: 'skip.example,.corp.example,svc.example:8443,10.0.0.0/8,[fd00::1]' });
    const via = (url: string) => proxyFor(new URL(url), s)?.url.host;
    for (const loopback of ['https://localhost', 'https://127.0.0.1:8443', 'https://127.9.9.9', 'https://[::1]:443', 'http://127.0.0.1']) expect(via(loopback)).toBeUndefined();
    expect(via('https://kf.example')).toBe('p:1');
    expect(via('http://kf.example')).toBe('q:2');
    expect(via('https://skip.example')).toBeUndefined();
    expect(via('https://a.skip.example')).toBeUndefined();
    expect(via('https://noskip.example')).toBe('p:1');
    expect(via('https://corp.example')).toBeUndefined();
    expect(via('https://kf.corp.example')).toBeUndefined();
    expect(via('https://svc.example:8443')).toBeUndefined();
    expect(via('https://svc.example')).toBe('p:1');
    expect(via('https://10.1.2.3')).toBeUndefined();
    expect(via('https://11.1.2.3')).toBe('p:1');
    expect(via('https://[fd00::1]')).toBeUndefined();
    expect(via('https://[fd00::2]')).toBe('p:1');
    expect(proxyFor(new URL('https://kf.example'), settings({ NO_PROXY: 'x' }))).toBeUndefined();
  });
});
