import * as http from 'http';
import * as https from 'https';
import * as zlib from 'zlib';
import { exchange, MAX_RESPONSE_BYTES, noAnswer } from '../../../src/runtime/api/http';
import { KeyfactorSimulator } from '../../../src/simulator';
import { ScriptedServer } from '../../support/scripted-server';

/**
 * One exchange, no retries: whether a request may have reached the server is what keeps a
 * job-creating POST from being sent twice, so "sent" must be exact.
 */
describe('exchange', () => {
  const req = (url: string, agent: http.Agent, timeoutMs = 60_000) =>
    exchange({ method: 'POST', url, headers: { 'Content-Type': 'application/json' }, data: { a: 1 }, timeoutMs, agent });

  test('an answer of any status is a response; the time limit is cleared with it', async () => {
    const server = await ScriptedServer.start(() => ({ status: 418, body: 'teapot', headers: { 'X-Custom': 'Yes' } }));
    const set = jest.spyOn(global, 'setTimeout');
    const clear = jest.spyOn(global, 'clearTimeout');
    try {
      const r = await req(`${server.url}/x`, new http.Agent({ keepAlive: false }), 61_234);
      expect(r).toEqual({ response: { status: 418, text: 'teapot', headers: expect.objectContaining({ 'x-custom': 'Yes' }) } });
      // A timer left running would keep the runner process alive for the whole time limit.
      const limit = set.mock.calls.findIndex(([, ms]) => ms === 61_234);
      expect(limit).toBeGreaterThanOrEqual(0);
      expect(clear).toHaveBeenCalledWith(set.mock.results[limit].value);
    } finally {
      set.mockRestore();
      clear.mockRestore();
      await server.stop();
    }
  });

  test('a connection refused was never sent; a connection dropped after the request was', async () => {
    const server = await ScriptedServer.start(() => 'destroy');
    const url = `${server.url}/x`;
    try {
      expect(await req(url, new http.Agent({ keepAlive: false }))).toMatchObject({ sent: true, timedOut: false, error: { code: 'ECONNRESET' } });
    } finally {
      await server.stop();
    }
    expect(await req(url, new http.Agent({ keepAlive: false }))).toMatchObject({ sent: false, timedOut: false, error: { code: 'ECONNREFUSED' } });
  });

  test('on a reused (keep-alive) connection the request counts as sent at once', async () => {
    const server = await ScriptedServer.start((_r, n) => (n === 1 ? { status: 200, body: '{}' } : 'destroy'));
    try {
      const agent = new http.Agent({ keepAlive: true });
      expect(await req(`${server.url}/x`, agent)).toMatchObject({ response: { status: 200 } });
      expect(await req(`${server.url}/x`, agent)).toMatchObject({ sent: true, error: { code: 'ECONNRESET' } });
      agent.destroy();
    } finally {
      await server.stop();
    }
  });

  test('an answer of up to 16 MiB, counted after decompression, is read; one byte more is tooLarge (and was sent)', async () => {
    expect(MAX_RESPONSE_BYTES).toBe(16 * 1024 * 1024);
    const exact = zlib.gzipSync(Buffer.alloc(MAX_RESPONSE_BYTES, 'a'));
    const over = zlib.gzipSync(Buffer.alloc(MAX_RESPONSE_BYTES + 1, 'a'));
    const server = await ScriptedServer.start((r) => ({ status: 200, body: r.path === '/exact' ? 'x'.repeat(MAX_RESPONSE_BYTES) : 'x'.repeat(MAX_RESPONSE_BYTES + 1) }));
    const gzipped = http.createServer((r, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(r.url === '/exact' ? exact : over));
    await new Promise<void>((resolve) => gzipped.listen(0, '127.0.0.1', resolve));
    const gzipUrl = `http://127.0.0.1:${(gzipped.address() as { port: number }).port}`;
    try {
      for (const base of [server.url, gzipUrl]) {
        const ok = await req(`${base}/exact`, new http.Agent({ keepAlive: false }));
        expect('response' in ok && ok.response.text.length).toBe(MAX_RESPONSE_BYTES);
        expect(await req(`${base}/over`, new http.Agent({ keepAlive: false }))).toEqual({
          error: { code: 'ERR_BAD_RESPONSE', message: `maxContentLength size of ${MAX_RESPONSE_BYTES} exceeded` }, sent: true, timedOut: false, tooLarge: true,
        });
      }
    } finally {
      await server.stop();
      gzipped.closeAllConnections();
      await new Promise((resolve) => gzipped.close(resolve));
    }
  });

  test('over TLS, sent means after the handshake; a timeout says so', async () => {
    const sim = await KeyfactorSimulator.start({ tls: true });
    try {
      const agent = new https.Agent({ keepAlive: false, ca: sim.caCertPem });
      sim.injectFaults({ kind: 'resetAfterProcessing', count: 1 });
      expect(await req(`${sim.url}/KeyfactorAPI/Status/Endpoints`, agent)).toMatchObject({ sent: true, timedOut: false });
      sim.injectFaults({ kind: 'latency', latencyMs: 1000, count: 1 });
      expect(await req(`${sim.url}/KeyfactorAPI/Status/Endpoints`, agent, 200)).toMatchObject({ sent: true, timedOut: true });
      // A reused TLS connection counts as sent at once, like a plain one.
      const keepAlive = new https.Agent({ keepAlive: true, ca: sim.caCertPem });
      expect(await req(`${sim.url}/KeyfactorAPI/Status/Endpoints`, keepAlive)).toMatchObject({ response: { status: 401 } }); // no credentials: any answer will do
      sim.injectFaults({ kind: 'resetAfterProcessing', count: 1 });
      expect(await req(`${sim.url}/KeyfactorAPI/Status/Endpoints`, keepAlive)).toMatchObject({ sent: true, error: { code: 'ECONNRESET' } });
      keepAlive.destroy();
      // A certificate the client does not trust: the handshake fails, nothing was sent.
      const untrusting = new https.Agent({ keepAlive: false });
      expect(await req(`${sim.url}/KeyfactorAPI/Status/Endpoints`, untrusting)).toMatchObject({ sent: false, error: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } });
    } finally {
      await sim.stop();
    }
  });
});

describe('noAnswer (how a missing answer is described)', () => {
  const failed = (error: { code?: string; message?: string }, timedOut = false) => ({ error, sent: true, timedOut });

  test('a timeout names the limit and the variable that sets it', () => {
    expect(noAnswer(failed({ code: 'ERR_CANCELED', message: 'canceled' }, true), 2500))
      .toEqual({ reason: 'no answer within 2.5s (KEYFACTOR_CLIENT_TIMEOUT)', retry: 'a timeout' });
  });

  test('an answer over the limit names the limit; a proxy failure gives the proxy\'s own message', () => {
    expect(noAnswer({ ...failed({ code: 'ERR_BAD_RESPONSE' }), tooLarge: true }, 1000))
      .toEqual({ reason: 'the answer is larger than 16 MiB (decompressed), the most the client reads', retry: 'an oversized answer' });
    expect(noAnswer({ error: { code: 'ERR_PROXY', message: 'the proxy http://p:1 (HTTPS_PROXY) answered HTTP 502' }, sent: false, timedOut: false, proxyFailed: { status: 502, final: false } }, 1000))
      .toEqual({ reason: 'the proxy http://p:1 (HTTPS_PROXY) answered HTTP 502', retry: 'a proxy failure' });
  });

  test('a network error: its code and message, and the code in the retry line', () => {
    expect(noAnswer(failed({ code: 'ECONNRESET', message: 'socket hang up' }), 1000)).toEqual({ reason: 'ECONNRESET: socket hang up', retry: 'ECONNRESET' });
    expect(noAnswer(failed({ message: 'socket hang up' }), 1000)).toEqual({ reason: 'socket hang up', retry: 'a network error' });
    expect(noAnswer(failed({}), 1000)).toEqual({ reason: 'unknown network error', retry: 'a network error' });
  });
});
