import { runJobs } from '../../src/cli/jobs';
import { formatOutputs, selectRecords } from '../../src/cli/outputs';
import { SPEC_ENV } from '../../src/contract/environment';
import { canonicalJson } from '../../src/contract/spec';
import { KeyfactorSimulator } from '../../src/simulator';
import { basicEnv, deploymentSpec, runInProcess, startSim, tempDir } from '../support/runtime';

/**
 * `outputs` and `jobs` as a user reads them after an apply: one deployment whose job completed
 * and one whose Add Command refused (a certificate that does not exist), in a real ledger the
 * runner wrote against the simulator.
 */
const BROKEN = '11111111-1111-4111-8111-000000000004';

describe('outputs and jobs', () => {
  let sim: KeyfactorSimulator;
  let ledger: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await startSim();
    ledger = tempDir('kf-cli-ledger-');
    env = basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: ledger, CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '0' });
    expect((await runInProcess({ ...env, [SPEC_ENV]: canonicalJson(deploymentSpec('web')) })).code).toBe(0);
    const failing = deploymentSpec('broken', { path: 't/broken', key: BROKEN, store: { certificateStoreId: BROKEN, alias: 'broken' } });
    expect((await runInProcess({ ...env, [SPEC_ENV]: canonicalJson(failing) })).code).toBe(0);
    const refused = deploymentSpec('nope', { path: 't/nope', certificateId: 999 });
    expect((await runInProcess({ ...env, [SPEC_ENV]: canonicalJson(refused) })).code).toBe(1);
    // Every job final before the tests read them.
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => sim.stop());

  test('outputs: a table with the message of each record (why it failed), or JSON', async () => {
    const records = await selectRecords({ ledger }, {});
    const text = formatOutputs(records, false).split('\n');
    expect(text[0]).toMatch(/^STARTED +STACK +CONSTRUCT +OPERATION +PHASE +OUTCOME +JOB GUIDS +MESSAGE$/);
    const refused = text.find((l) => l.includes('t/nope'))!;
    expect(refused).toMatch(/ failed +- +POST \/CertificateStores\/Certificates\/Add: HTTP 400: .*Certificate with id '999' was not found\.$/);
    expect(JSON.parse(formatOutputs(records, true)).records.find((r: any) => r.constructPath === 't/nope').message).toMatch(/HTTP 400/);
  });

  test('jobs: each job with its store and Command\'s status and result by name, or JSON; exit 1 when one failed', async () => {
    const lines: string[] = [];
    const code = await runJobs({ ledger }, env, (t) => lines.push(...t.split('\n')));
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/^JOB GUID +CONSTRUCT +STORE +STATUS +RESULT +MESSAGE$/);
    expect(lines.find((l) => l.includes('t/web'))).toMatch(/t\/web \[11111111-1111-4111-8111-000000000001\] \(create\) +web-01\.example\.test:\/etc\/ssl\/web-01\.pem +Completed +Success/);
    expect(lines.find((l) => l.includes('t/broken'))).toMatch(/broken-01\.example\.test:\/etc\/ssl\/broken\.pem +Completed +Failure +\S/);

    const json: string[] = [];
    await runJobs({ ledger, json: true }, env, (t) => json.push(t));
    const jobs = JSON.parse(json.join('\n')).jobs;
    expect(jobs.find((j: any) => j.construct.startsWith('t/web'))).toMatchObject({ store: 'web-01.example.test:/etc/ssl/web-01.pem', status: 'Completed', result: 'Success' });
  });

  test('a ledger that does not exist is an error, not an empty table', async () => {
    await expect(selectRecords({ ledger: '/nonexistent/ledger' }, {})).rejects.toThrow('no ledger at /nonexistent/ledger');
    await expect(runJobs({ ledger: '/nonexistent/ledger' }, env, () => undefined)).rejects.toThrow('no ledger at /nonexistent/ledger');
  });
});
