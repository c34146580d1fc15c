import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { Ledger } from '../../src';
import { SPEC_ENV } from '../../src/contract/environment';
import { canonicalJson, SPEC_VERSION, specHash } from '../../src/contract/spec';
import { identityKey, recordFile } from '../../src/runtime/ledger';
import { origin } from '../../src/runtime/settings';
import { KeyfactorSimulator } from '../../src/simulator';
import { basicEnv, CANARY, ledgerFiles, runInProcess, deploymentSpec, S1, startSim, tempDir } from '../support/runtime';

const ADD = '/CertificateStores/Certificates/Add';
const deployment = deploymentSpec('held');

describe('runner (in process)', () => {
  let sim: KeyfactorSimulator;
  beforeAll(async () => (sim = await startSim()));
  afterAll(async () => sim.stop());
  beforeEach(() => sim.reset());

  test('the in-flight record is on disk before the request reaches Command', async () => {
    const dir = tempDir('kf-main-');
    // Command processes the Add at once but its answer is held for a second.
    sim.injectFaults({ kind: 'latency', latencyMs: 1000, route: { method: 'POST', pathSuffix: ADD } });
    const running = runInProcess(basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: dir, [SPEC_ENV]: canonicalJson(deployment) }));
    for (let i = 0; i < 200 && sim.received('POST', ADD).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sim.received('POST', ADD)).toHaveLength(1);

    // While the answer is held: exactly one record, in flight, no GUID yet.
    const during = Ledger.read(dir);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatchObject({ outcome: 'in-flight', constructPath: 't/web', instanceKey: S1, jobIds: [] });
    expect(during[0].finishedAt).toBeUndefined();

    const { code } = await running;
    expect(code).toBe(0);
    const [after] = Ledger.read(dir);
    expect(after).toMatchObject({ recordId: during[0].recordId, outcome: 'succeeded', jobIds: sim.jobs().map((j) => j.JobId) });
    expect(after.jobIds).toHaveLength(1);
  });

  test('a damaged record named like the instance about to run stops it before anything is sent', async () => {
    const dir = tempDir('kf-main-');
    const env = basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: dir, [SPEC_ENV]: canonicalJson(deployment) });
    const key = identityKey({ origin: origin(env), stack: 't', constructPath: 't/web', instanceKey: S1, specHash: specHash(deployment) });
    // It could be an unfinished earlier run of this very instance: guessing either way could duplicate or lose a job.
    fs.writeFileSync(`${dir}/20260101T000000000Z-1-deadbeef-${key}.record.json`, '{"recordId": trunc');
    const { code, output } = await runInProcess(env);
    expect(code).toBe(1);
    expect(output).toMatch(new RegExp(`create failed: ledger record .*-${key}\\.record\\.json is not valid JSON .*; move it aside to continue\\.`));
    expect(sim.requests).toEqual([]);
    // Written at the top of the ledger, as an earlier version did: moved into its subdirectory, where it stays.
    const [moved] = ledgerFiles(dir);
    expect(moved).toBe(recordFile(dir, `20260101T000000000Z-1-deadbeef-${key}`));
    // Another instance's damaged record does not stop this one.
    fs.renameSync(moved, `${dir}/20260101T000000000Z-1-deadbeef-000000000000.record.json`);
    expect((await runInProcess(env)).code).toBe(0);
    expect(sim.received('POST', ADD)).toHaveLength(1);
  });

  test('the runner removes its signal handlers when it is done', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const { code } = await runInProcess(basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: tempDir('kf-main-'), [SPEC_ENV]: canonicalJson(deployment) }));
    expect(code).toBe(0);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });
});

describe('secrets in error paths', () => {
  /**
   * A validation layer in front of Command that quotes the rejected input in its error, several
   * times, as some gateways and web application firewalls do.
   */
  let echo: http.Server;
  let url: string;
  const received: string[] = [];
  beforeAll(async () => {
    echo = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push(body);
        let value = '?';
        try {
          value = JSON.parse(body).NewPassword.SecretValue;
        } catch { /* not the request we expect: say so below */ }
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ErrorCode: '0xA0110001', Message: `Password '${value}' rejected: '${value}' is reused; '${value}' was the last value (${value})` }));
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

  test('a server that echoes a store password four times: every occurrence is redacted in the log and the ledger', async () => {
    const dir = tempDir('kf-main-');
    const spec = { v: SPEC_VERSION, operation: 'CertificateStorePassword', stack: 't', path: 't/pw', certStoreId: S1, newPassword: { source: 'env', name: 'STORE_PW' } };
    const env = {
      KEYFACTOR_HOSTNAME: url,
      KEYFACTOR_USERNAME: 'admin',
      KEYFACTOR_PASSWORD: CANARY.password,
      KEYFACTOR_DOMAIN: 'KEYFACTOR',
      CDKTF_KEYFACTOR_LEDGER_DIR: dir,
      STORE_PW: CANARY.storePassword,
      [SPEC_ENV]: canonicalJson(spec),
    };
    const { code, output } = await runInProcess(env);
    expect(code).toBe(1);
    // The secret did travel (so this test can fail), and came back in the error four times.
    expect(received.some((b) => b.includes(CANARY.storePassword))).toBe(true);
    expect(output).toContain("Password '***' rejected: '***' is reused; '***' was the last value (***)");
    const ledgerText = ledgerFiles(dir).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(Ledger.read(dir)[0]).toMatchObject({ outcome: 'failed' });
    expect(Ledger.read(dir)[0].message).toContain("Password '***' rejected");
    for (const text of [output, ledgerText]) expect(text).not.toContain(CANARY.storePassword);
  });
});
