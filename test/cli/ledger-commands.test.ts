import * as fs from 'fs';
import * as path from 'path';
import { runJobs } from '../../src/cli/jobs';
import { formatOutputs, selectRecords } from '../../src/cli/outputs';
import { REPAIR_ENV, repairName, SPEC_ENV, WORKSPACE_ENV } from '../../src/contract/environment';
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

  test('a mistyped KEYFACTOR_HOSTNAME: nothing shown, and a note says how many records it hid and how to see them', async () => {
    const notes: string[] = [];
    const typo = { ...env, KEYFACTOR_HOSTNAME: 'kf.exmaple.test' };
    expect(await selectRecords({ ledger }, typo, (l) => notes.push(l))).toEqual([]);
    expect(notes).toEqual([expect.stringMatching(/^cdktf-keyfactor: NOTE: 3 record\(s\) of other origins not shown \(this run: kf\.exmaple\.test\/KeyfactorAPI workspace default; theirs: 127\.0\.0\.1:\d+\/KeyfactorAPI workspace default\); check KEYFACTOR_HOSTNAME and the workspace, or pass --all-origins$/)]);
    const lines: string[] = [];
    const quiet = await runJobs({ ledger }, typo, (t) => lines.push(t));
    expect({ quiet, lines }).toEqual({ quiet: 0, lines: ['No job GUIDs in the ledger.'] });
  });

  test('the workspace is the one `terraform workspace select` chose in the stack directory, as Terraform decides', async () => {
    const outdir = tempDir('kf-cli-ws-');
    const stackDir = path.join(outdir, 'stacks', 't');
    fs.mkdirSync(path.join(stackDir, '.terraform'), { recursive: true });
    fs.writeFileSync(path.join(stackDir, '.terraform', 'environment'), 'staging');
    const wsLedger = tempDir('kf-cli-ws-ledger-');
    for (const [ws, alias] of [['default', 'in-default'], ['staging', 'in-staging']]) {
      const runEnv = { ...env, CDKTF_KEYFACTOR_LEDGER_DIR: wsLedger, [WORKSPACE_ENV]: ws };
      expect((await runInProcess({ ...runEnv, [SPEC_ENV]: canonicalJson(deploymentSpec(alias, { path: `t/${alias}` })) })).code).toBe(0);
    }
    const paths = async (extra: Record<string, string>) =>
      (await selectRecords({ ledger: wsLedger, outdir }, { ...env, ...extra }, () => undefined)).map((r) => r.constructPath);
    expect(await paths({})).toEqual(['t/in-staging']);
    // TF_WORKSPACE wins, as it does for Terraform.
    expect(await paths({ TF_WORKSPACE: 'default' })).toEqual(['t/in-default']);
  });

  test('jobs: a failure that a newer record of its instance superseded is shown as such and no longer fails the pipeline', async () => {
    // The broken deployment is replaced by drift --fix's path: its destroy is recorded skipped, nothing sent.
    const failing = deploymentSpec('broken', { path: 't/broken', key: BROKEN, store: { certificateStoreId: BROKEN, alias: 'broken' } });
    const destroyed = await runInProcess({ ...env, [SPEC_ENV]: canonicalJson(failing), [REPAIR_ENV]: JSON.stringify([repairName('t/broken', BROKEN)]) }, 'destroy');
    expect(destroyed.code).toBe(0);
    const lines: string[] = [];
    const code = await runJobs({ ledger }, env, (t) => lines.push(...t.split('\n')));
    expect(lines.find((l) => l.includes('t/broken'))).toMatch(/t\/broken \[[^\]]+\] \(create\) \(superseded\) +broken-01\.example\.test:\/etc\/ssl\/broken\.pem +Completed +Failure/);
    expect(code).toBe(0);
    const json: string[] = [];
    await runJobs({ ledger, json: true }, env, (t) => json.push(t));
    expect(JSON.parse(json.join('\n')).jobs.map((j: any) => [j.construct.split(' ')[0], j.superseded])).toEqual([['t/web', false], ['t/broken', true]]);
  });

  test('a ledger that does not exist is an error, not an empty table', async () => {
    await expect(selectRecords({ ledger: '/nonexistent/ledger' }, {})).rejects.toThrow('no ledger at /nonexistent/ledger');
    await expect(runJobs({ ledger: '/nonexistent/ledger' }, env, () => undefined)).rejects.toThrow('no ledger at /nonexistent/ledger');
  });
});
