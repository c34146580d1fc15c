import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, TerraformStack } from 'cdktf';
import { CertificateDeployment, Ledger, Schedule, WaitPolicy } from '../../../src';
import { SPEC_ENV } from '../../../src/contract/environment';
import { configuredInstances } from '../../../src/runtime/configuration';
import { KeyfactorSimulator } from '../../../src/simulator';
import { RUNNER_BUNDLE } from '../../../src/synth/provisioner';
import { basicEnv, runInProcess, SEED, tempDir } from '../../support/runtime';

/**
 * A CertificateDeployment over 2,000 stores with a wait: its Wait step's spec travels in one
 * environment variable, which Linux caps at 128 KiB. The stores' instance hashes are read from
 * cdk.tf.json at apply, so the spec stays small and the bundled runner, started as Terraform
 * starts it, waits for all 2,000 jobs.
 */
const STORES = 2000;

describe('JobWait over 2,000 stores', () => {
  let sim: KeyfactorSimulator;
  afterAll(async () => sim?.stop());

  test('the spec reaches the runner and the wait covers every store', async () => {
    const base = SEED.stores[0];
    const stores = Array.from({ length: STORES }, (_, i) => ({
      ...base, Id: `44444444-4444-4444-8444-${String(i + 1).padStart(12, '0')}`, ClientMachine: `fleet-${i + 1}.example.test`, Storepath: `/etc/ssl/fleet-${i + 1}.pem`,
    }));
    sim = await KeyfactorSimulator.start({ seed: { ...SEED, stores: [...SEED.stores, ...stores] }, jobTiming: { waitingMs: 5, inProcessMs: 5 } });
    const dir = tempDir('kf-fleet-');
    const app = new App({ outdir: path.join(dir, 'cdktf.out') });
    const stack = new TerraformStack(app, 'fleet');
    new CertificateDeployment(stack, 'web', {
      certificateId: 3,
      schedule: Schedule.immediate(),
      wait: WaitPolicy.forCompletion({ timeoutSeconds: 120, pollIntervalSeconds: 0.2 }),
      stores: stores.map((s) => ({ certificateStoreId: s.Id, alias: 'web' })),
    });
    app.synth();
    const stackDir = path.join(dir, 'cdktf.out', 'stacks', 'fleet');
    const config = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    const carriers = config.resource.terraform_data;
    const instances = configuredInstances(config, Object.entries<any>(carriers).find(([name]) => name.startsWith('web_Carrier_'))![1])!;
    const waitSpec: string = Object.entries<any>(carriers).find(([name]) => name.startsWith('web_Wait_'))![1].input.spec;
    // The same size for 2 stores or 2,000.
    expect(waitSpec.length).toBeLessThan(1024);

    // Each store's instance, as its provisioner runs it (in process: 2,000 processes would be slow).
    const ledger = tempDir('kf-fleet-ledger-');
    const env = basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: ledger });
    for (const value of Object.values<any>(instances)) {
      expect((await runInProcess({ ...env, [SPEC_ENV]: value.spec })).code).toBe(0);
    }
    expect(sim.received('POST', '/CertificateStores/Certificates/Add')).toHaveLength(STORES);

    // The Wait step, as Terraform starts it: the bundled runner in the stack directory.
    const child = spawn(process.execPath, [RUNNER_BUNDLE, 'create'], { cwd: stackDir, env: { PATH: process.env.PATH!, ...env, [SPEC_ENV]: waitSpec } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, tail: output.slice(-600) }).toMatchObject({ code: 0 });
    expect(output).toContain(`waiting up to 120s for ${STORES} job(s)`);
    expect(output).toContain(`all ${STORES} job(s) completed`);
    const waited = Ledger.read(ledger).find((r) => r.operation === 'JobWait')!;
    expect(waited).toMatchObject({ outcome: 'succeeded' });
    expect(new Set(waited.jobIds)).toEqual(new Set(sim.jobs().map((j) => j.JobId)));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(ledger, { recursive: true, force: true });
  }, 300_000);
});
