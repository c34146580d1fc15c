import * as fs from 'fs';
import * as path from 'path';
import { selectRecords } from '../../src/cli/outputs';
import { SPEC_ENV } from '../../src/contract/environment';
import { canonicalJson, SPEC_VERSION, specHash } from '../../src/contract/spec';
import { Ledger } from '../../src/ledger';
import type { JobWaitSpec } from '../../src/operations/job-wait/spec';
import { KeyfactorSimulator } from '../../src/simulator';
import { basicEnv, deploymentSpec, runInProcess, S1, startSim, tempDir } from '../support/runtime';

/**
 * Two environments (a dev and a prod Command, or two Terraform workspaces) writing one ledger
 * directory, with the same stack: each run reads only the records of its own origin.
 */
const deployment = deploymentSpec('shared', { stack: 'app', path: 'app/web' });
const wait: JobWaitSpec = {
  v: SPEC_VERSION,
  operation: 'JobWait',
  stack: 'app',
  path: 'app/web',
  key: undefined as never,
  of: 'CertificateDeployment',
  carrier: 'terraform_data.web',
  schedule: { Immediate: true },
  wait: { mode: 'completion', timeoutSeconds: 3, pollIntervalSeconds: 0.2 },
} as JobWaitSpec;

/** The configuration the wait reads its instances from, in the directory it runs in (as Terraform runs it). */
function stackDirectory(): string {
  const dir = tempDir('kf-shared-stack-');
  const forEach = { [S1]: { spec: canonicalJson(deployment), hash: specHash(deployment) } };
  fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ resource: { terraform_data: { web: { for_each: '${local.webInstances}' } } }, locals: { webInstances: forEach } }));
  return dir;
}

describe('one ledger directory shared by two origins', () => {
  let dev: KeyfactorSimulator;
  let prod: KeyfactorSimulator;
  beforeAll(async () => {
    [dev, prod] = await Promise.all([startSim(), startSim()]);
  });
  afterAll(async () => Promise.all([dev.stop(), prod.stop()]));

  test.each([
    ['two Command hosts', () => ({}), true],
    ['two Terraform workspaces of one Command', (ws: string) => ({ CDKTF_KEYFACTOR_WORKSPACE: ws }), false],
  ] as const)('%s: the job wait and report read their own records only', async (_name, extra, twoHosts) => {
    dev.reset();
    prod.reset();
    const dir = tempDir('kf-shared-');
    const envOf = (sim: KeyfactorSimulator, ws: string, spec: object) =>
      basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: dir, [SPEC_ENV]: canonicalJson(spec), ...extra(ws) });
    const devSim = dev;
    const prodSim = twoHosts ? prod : dev;
    // dev creates, then prod creates (newer record, same construct and spec), then dev waits and reports.
    expect((await runInProcess(envOf(devSim, 'dev', deployment), 'create')).code).toBe(0);
    const devJob = devSim.jobs()[0].JobId;
    expect((await runInProcess(envOf(prodSim, 'prod', deployment), 'create')).code).toBe(0);
    const prodJob = prodSim.jobs().map((j) => j.JobId).find((id) => id !== devJob)!;
    expect(prodJob).toBeDefined();

    // Another instance's damaged record: the wait opens only its own instances' files, so it never sees it.
    fs.writeFileSync(path.join(dir, '20260101T000000000Z-1-deadbeef-0123456789ab.record.json'), '{"recordId": trunc');
    const cwd = process.cwd();
    process.chdir(stackDirectory());
    const waited = await runInProcess(envOf(devSim, 'dev', wait), 'create').finally(() => process.chdir(cwd));
    expect(waited.output).toContain('all 1 job(s) completed');
    expect(waited.output).not.toContain('skipped ledger record');
    expect(waited.code).toBe(0);
    const reported = await runInProcess(envOf(devSim, 'dev', deployment), 'report');
    expect(reported.output).toContain(`succeeded, job ${devJob}`);
    expect(reported.output).not.toContain(prodJob);

    const waitRecord = Ledger.read(dir).filter((r) => r.operation === 'JobWait').pop()!;
    expect(waitRecord.jobIds).toEqual([devJob]);
    // The CLI likewise: the current origin's records by default, all of them with --all-origins.
    const mine = await selectRecords({ ledger: dir }, envOf(devSim, 'dev', deployment));
    expect(mine.map((r) => r.operation)).toEqual(['CertificateDeployment', 'JobWait']); // report writes nothing
    expect(mine.every((r) => r.origin?.workspace === (twoHosts ? 'default' : 'dev'))).toBe(true);
    expect(await selectRecords({ ledger: dir, allOrigins: true }, envOf(devSim, 'dev', deployment))).toHaveLength(3);
    expect(waitRecord.origin).toEqual({ host: new URL(devSim.url).host, apiPath: 'KeyfactorAPI', workspace: twoHosts ? 'default' : 'dev' });
  });
});
