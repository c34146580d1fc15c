import { execFile } from 'child_process';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import * as zlib from 'zlib';
import { AmbiguousRequestError } from '../../../src/runtime/api/client';
import { KeyfactorApiError } from '../../../src/runtime/errors';
import { clientFor, failure } from '../../support/runtime';

const MiB = 1024 * 1024;

/** About 1 GiB of zeros, gzipped (about 1 MB), made once by streaming so the test itself stays small. */
function gzipBomb(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gzip = zlib.createGzip({ level: 9 });
    const out: Buffer[] = [];
    gzip.on('data', (d: Buffer) => out.push(d)).on('end', () => resolve(Buffer.concat(out))).on('error', reject);
    const zeros = Buffer.alloc(MiB);
    let written = 0;
    const write = () => {
      while (written < 1024) {
        written++;
        if (!gzip.write(zeros)) return void gzip.once('drain', write);
      }
      gzip.end();
    };
    write();
  });
}

/** A real server answering `/KeyfactorAPI/big` with 50 MB and `/KeyfactorAPI/bomb` with the gzip bomb, counting requests. */
async function startFloodServer(bomb: Buffer): Promise<{ url: string; count: Map<string, number>; stop: () => Promise<void> }> {
  const count = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const what = `${req.method} ${req.url}`;
    count.set(what, (count.get(what) ?? 0) + 1);
    res.on('error', () => undefined); // the client hangs up mid-answer
    if (req.url === '/KeyfactorAPI/bomb') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length });
      res.end(bomb);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 50 * MiB });
    const chunk = Buffer.alloc(MiB, ' ');
    let sent = 0;
    const write = () => {
      while (sent < 50 && !res.destroyed) {
        sent++;
        if (!res.write(chunk)) return void res.once('drain', write);
      }
      res.end();
    };
    write();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('answers over the 16 MiB limit', () => {
  let server: Awaited<ReturnType<typeof startFloodServer>>;
  beforeAll(async () => (server = await startFloodServer(await gzipBomb())));
  afterAll(() => server.stop());
  beforeEach(() => server.count.clear());
  // A retry budget, so that "not retried" is the client's choice.
  const env = () => ({ KEYFACTOR_HOSTNAME: server.url, KEYFACTOR_USERNAME: 'u', KEYFACTOR_PASSWORD: 'a-password', CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '10' });

  test('GET, PUT and DELETE: an error naming the limit, not retried', async () => {
    const c = clientFor(env());
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const e = await failure(c.client.request(method, '/big'));
      expect(e).toBeInstanceOf(KeyfactorApiError);
      expect(e).not.toBeInstanceOf(AmbiguousRequestError);
      expect(e.message).toBe(`${method} /big: the answer is larger than 16 MiB (decompressed), the most the client reads; not retried.`);
      expect(server.count.get(`${method} /KeyfactorAPI/big`)).toBe(1);
    }
    expect(c.logs).toEqual([]);
  });

  test('a POST (which Command processed): ambiguous, so the operation looks the job up and never sends it again', async () => {
    const c = clientFor(env());
    const e = await failure(c.client.request('POST', '/big', { body: {} }));
    expect(e).toBeInstanceOf(AmbiguousRequestError);
    expect(e.message).toMatch(/^POST \/big: the answer is larger than 16 MiB \(decompressed\), the most the client reads, after the request was sent at \S+: Keyfactor Command may or may not have acted on it\.$/);
    expect(server.count.get('POST /KeyfactorAPI/big')).toBe(1);
  });

  test('a gzip bomb (1 MB that inflates to 1 GiB) stops at 16 MiB inflated', async () => {
    const e = await failure(clientFor(env()).client.request('GET', '/bomb'));
    expect(e.message).toBe('GET /bomb: the answer is larger than 16 MiB (decompressed), the most the client reads; not retried.');
    expect(server.count.get('GET /KeyfactorAPI/bomb')).toBe(1);
  });

  test('memory stays bounded: a separate node process reads both answers with under 400 MB resident at its peak', async () => {
    // ts-node without type checking (about 3 s to start) runs the client from source in a fresh
    // process, whose peak resident size is then the client's own (jest's would hide it).
    const script = `
      const { KeyfactorClient } = require('./src/runtime/api/client');
      const { SecretResolver } = require('./src/runtime/secrets');
      const { connectionSettings } = require('./src/runtime/settings');
      const env = JSON.parse(process.env.TEST_ENV);
      const secrets = new SecretResolver(env);
      const client = new KeyfactorClient(connectionSettings(env, secrets), secrets, { log: () => undefined });
      (async () => {
        const errors = [];
        for (const p of ['/big', '/bomb']) await client.request('GET', p).then(() => errors.push('no error'), (e) => errors.push(e.message));
        console.log(JSON.stringify({ errors, maxRssKb: process.resourceUsage().maxRSS }));
      })();`;
    const root = path.resolve(__dirname, '../../..');
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
        cwd: root, env: { ...process.env, TEST_ENV: JSON.stringify(env()) }, timeout: 60_000,
      }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)));
    });
    const { errors, maxRssKb } = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(errors).toEqual([
      'GET /big: the answer is larger than 16 MiB (decompressed), the most the client reads; not retried.',
      'GET /bomb: the answer is larger than 16 MiB (decompressed), the most the client reads; not retried.',
    ]);
    // Without the limit the bomb alone took over 2 GB, and failed only when node refused the string.
    expect(maxRssKb).toBeLessThan(400 * 1024);
  });
});
