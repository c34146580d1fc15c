import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildProgram } from '../../src/cli/main';
import { selectRecords } from '../../src/cli/outputs';
import { formatPrune, formatPruneJson, pruneLedger } from '../../src/cli/prune';
import { SPEC_ENV } from '../../src/contract/environment';
import { canonicalJson } from '../../src/contract/spec';
import { Ledger } from '../../src/ledger';
import { recordFile } from '../../src/runtime/ledger';
import { KeyfactorSimulator } from '../../src/simulator';
import { RUNNER_BUNDLE } from '../../src/synth/provisioner';
import { writeRecord } from '../support/ledger';
import { basicEnv, deploymentSpec, runInProcess, S2, startSim, tempDir } from '../support/runtime';

/**
 * Ledger retention and `outputs --latest` on records the runner wrote: an instance applied twice
 * (two specs), and one whose run was killed while Command's answer was held (in flight).
 */
const DAY = 86_400_000;

describe('prune and outputs --latest', () => {
  let sim: KeyfactorSimulator;
  beforeAll(async () => (sim = await startSim()));
  afterAll(async () => sim.stop());

  test('old records go; in-flight records and each instance\'s newest create record stay, whatever their age', async () => {
    const dir = tempDir('kf-prune-');
    const env = basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: dir });
    // t/web [S1] applied with alias v1, then replaced by alias v2: two create records of one instance.
    expect((await runInProcess({ ...env, [SPEC_ENV]: canonicalJson(deploymentSpec('v1')) })).code).toBe(0);
    expect((await runInProcess({ ...env, [SPEC_ENV]: canonicalJson(deploymentSpec('v2')) })).code).toBe(0);
    // t/api [S2]: killed while Command's answer to its Add is held, so its record stays in flight.
    sim.injectFaults({ kind: 'holdAfterProcessing', route: { method: 'POST', pathSuffix: '/CertificateStores/Certificates/Add' } });
    const spec = deploymentSpec('held', { path: 't/api', key: S2, store: { certificateStoreId: S2, alias: 'held' } });
    const child = spawn(process.execPath, [RUNNER_BUNDLE, 'create'], { env: { PATH: process.env.PATH!, ...env, [SPEC_ENV]: canonicalJson(spec) } });
    while (!sim.requests.some((r) => r.held)) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    sim.clearFaults();
    const all = Ledger.read(dir);
    expect(all.map((r) => [r.constructPath, r.outcome])).toEqual([['t/web', 'succeeded'], ['t/web', 'succeeded'], ['t/api', 'in-flight']]);

    // outputs --latest: the newest record of each instance.
    expect((await selectRecords({ ledger: dir, latest: true }, env)).map((r) => r.recordId)).toEqual([all[1].recordId, all[2].recordId]);

    // Within the retention period nothing goes.
    expect((await pruneLedger({ ledger: dir, keepDays: 30 }, env)).removed).toEqual([]);
    // 31 days on: the superseded record goes; the in-flight one and the newest create record stay.
    const later = Date.now() + 31 * DAY;
    const dry = await pruneLedger({ ledger: dir, keepDays: 30, dryRun: true }, env, later);
    expect(dry.removed.map((r) => r.recordId)).toEqual([all[0].recordId]);
    expect(JSON.parse(formatPruneJson(dry, { keepDays: 30, dryRun: true }))).toEqual({
      dryRun: true, keepDays: 30, removed: [all[0].recordId], kept: 2, keptInFlight: 1, keptNewest: 1,
    });
    expect(Ledger.read(dir)).toHaveLength(3);
    const done = await pruneLedger({ ledger: dir, keepDays: 30 }, env, later);
    expect(formatPrune(done, { keepDays: 30 })).toBe(
      'cdktf-keyfactor prune: removed 1 record(s) older than 30 day(s); kept 2 (of them, older but kept: 1 in flight or unsettled, 1 newest create record of their live instance).');
    expect(Ledger.read(dir).map((r) => r.recordId)).toEqual([all[1].recordId, all[2].recordId]);
    // The in-flight record still stops a second Add: the next run of t/api looks for its job first.
    const rerun = await runInProcess({ ...env, [SPEC_ENV]: canonicalJson(spec) });
    expect(rerun.code).toBe(0);
    expect(sim.received('POST', '/CertificateStores/Certificates/Add').filter((r) => (r.body as any).CertificateStores[0].Alias === 'held')).toHaveLength(1);

    // Once t/web is destroyed, its create record is not needed any more: it goes with its undo's.
    expect((await runInProcess({ ...env, [SPEC_ENV]: canonicalJson(deploymentSpec('v2')) }, 'destroy')).code).toBe(0);
    await pruneLedger({ ledger: dir, keepDays: 30 }, env, later);
    expect(Ledger.read(dir).map((r) => r.constructPath)).toEqual(['t/api']);
  });

  test('a missing ledger is an error, not "0 removed"', async () => {
    await expect(pruneLedger({ ledger: '/nonexistent/ledger', keepDays: 1 }, {})).rejects.toThrow('no ledger at /nonexistent/ledger');
  });

  test('outputs and jobs: a missing ledger is an error (exit 1 from the CLI), not "No ledger records."', async () => {
    const message = 'no ledger at /nonexistent/ledger (pass --ledger DIR or URL, set CDKTF_KEYFACTOR_LEDGER, or run from the app\'s directory).';
    await expect(selectRecords({ ledger: '/nonexistent/ledger' }, {})).rejects.toThrow(message);
    for (const command of ['outputs', 'jobs']) {
      await expect(buildProgram().parseAsync(['node', 'cdktf-keyfactor', command, '--ledger', '/nonexistent/ledger'])).rejects.toThrow(message);
    }
    // An existing, empty ledger is not an error.
    expect(await selectRecords({ ledger: tempDir('kf-empty-ledger-') }, {})).toEqual([]);
  });
  test('records an earlier version wrote at the top of the ledger are pruned too', async () => {
    const dir = tempDir('kf-prune-');
    const base = { operation: 'CertificateDeployment', stack: 't', constructPath: 't/old', instanceKey: 'k', specHash: '0123456789abcdef', origin: { host: 'h', apiPath: 'KeyfactorAPI', workspace: 'default' } };
    const records = (['create', 'destroy'] as const).map((phase) => {
      const { recordId } = writeRecord(dir, { ...base, phase }, { outcome: 'succeeded', finishedAt: new Date().toISOString() });
      // Where an earlier version kept it.
      fs.renameSync(recordFile(dir, recordId), path.join(dir, `${recordId}.record.json`));
      return recordId;
    });
    expect(Ledger.read(dir).map((r) => r.recordId)).toEqual(records);
    expect((await pruneLedger({ ledger: dir, keepDays: 30 }, {}, Date.now() + 31 * DAY)).removed.map((r) => r.recordId)).toEqual(records);
    expect(Ledger.read(dir)).toEqual([]);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.record.json'))).toEqual([]);
  });
});
