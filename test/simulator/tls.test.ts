import { X509Certificate } from 'node:crypto';
import { Agent } from 'node:https';
import { connect, TLSSocket } from 'node:tls';
import axios, { AxiosError } from 'axios';
import { BEARER, store } from './helpers';
import { KeyfactorSimulator } from '../../src/simulator';

const HEADERS = { 'x-keyfactor-requested-with': 'APIClient', 'Authorization': BEARER };

/** GET a store over HTTPS trusting only `ca` (or the default trust store when undefined). */
function getStore(url: string, ca: string | undefined) {
  return axios.get(`${url}/KeyfactorAPI/CertificateStores/${store(1)}`, {
    headers: HEADERS,
    httpsAgent: new Agent({ ca, keepAlive: false }),
    validateStatus: () => true,
  });
}

async function failure(request: Promise<unknown>): Promise<AxiosError> {
  try {
    await request;
  } catch (err) {
    return err as AxiosError;
  }
  throw new Error('the request did not fail');
}

describe('HTTPS with a CA made at start', () => {
  let sim: KeyfactorSimulator;
  beforeAll(async () => {
    sim = await KeyfactorSimulator.start({ tls: true });
  });
  afterAll(() => sim.stop());

  test('serves https on 127.0.0.1 and exposes the CA', () => {
    expect(sim.url).toBe(`https://127.0.0.1:${sim.port}`);
    expect(sim.hostname).toBe(`127.0.0.1:${sim.port}`);
    expect(sim.tokenUrl).toBe(`https://127.0.0.1:${sim.port}/oauth2/token`);
    expect(sim.caCertPem).toMatch(/^-----BEGIN CERTIFICATE-----\r?\n[\s\S]+-----END CERTIFICATE-----\s*$/);
  });

  test('a client trusting the CA verifies the server, by IP and by localhost', async () => {
    const byIp = await getStore(sim.url, sim.caCertPem);
    expect(byIp.status).toBe(200);
    expect(byIp.data.Id).toBe(store(1));
    expect((await getStore(`https://localhost:${sim.port}`, sim.caCertPem)).status).toBe(200);
  });

  test('without the CA the client refuses the certificate', async () => {
    const err = await failure(getStore(sim.url, undefined));
    expect(err.response).toBeUndefined();
    // Only the leaf is sent (the CA is a root), so node cannot find its issuer.
    expect(err.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  test('the certificates are a CA and a server certificate it signed', () => {
    const ca = new X509Certificate(sim.caCertPem!);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe(ca.issuer);
    expect(ca.subject).toMatch(/^CN=Keyfactor Simulator Test CA [0-9a-f]{8}\nO=cdktf-keyfactor simulator$/);
    expect(ca.verify(ca.publicKey)).toBe(true);
  });

  test('the OAuth token endpoint works over https too', async () => {
    const res = await axios.post(sim.tokenUrl, 'grant_type=client_credentials&client_id=terraform&client_secret=simulator-client-secret', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      httpsAgent: new Agent({ ca: sim.caCertPem, keepAlive: false }),
    });
    expect(res.data.token_type).toBe('Bearer');
  });
});

describe('HTTPS with other hostnames', () => {
  let sim: KeyfactorSimulator;
  beforeAll(async () => {
    sim = await KeyfactorSimulator.start({ tls: { hostnames: ['kf.example.test', '10.1.2.3'] } });
  });
  afterAll(() => sim.stop());

  test('a certificate for other names fails hostname verification even with the CA', async () => {
    const err = await failure(getStore(sim.url, sim.caCertPem));
    expect(err.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(err.message).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list: 10\.1\.2\.3/);
  });

  test('the server certificate carries the names given', async () => {
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: sim.port, ca: sim.caCertPem, servername: 'kf.example.test' }, () => resolve(s));
      s.once('error', reject);
    });
    const cert = new X509Certificate(socket.getPeerX509Certificate()!.raw);
    socket.destroy();
    expect(cert.subjectAltName).toBe('DNS:kf.example.test, IP Address:10.1.2.3');
    expect(cert.subject).toBe('CN=kf.example.test');
    expect(cert.checkIssued(new X509Certificate(sim.caCertPem!))).toBe(true);
    expect(cert.ca).toBe(false);
  });
});

describe('plain HTTP', () => {
  test('has no CA', async () => {
    const sim = await KeyfactorSimulator.start();
    try {
      expect(sim.caCertPem).toBeUndefined();
      expect(sim.url).toMatch(/^http:\/\//);
    } finally {
      await sim.stop();
    }
  });
});
