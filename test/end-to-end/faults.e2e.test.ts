import { Construct } from 'constructs';
import { CertificateDeployment, CertificateStorePassword, Ledger, PamLocalEntry, Schedule, Secret } from '../../src';
import { DEFAULT_SEED, SimulatorSeed } from '../../src/simulator';
import { startSimulator, StartedSimulator } from '../support/simulator';
import { TerraformProject } from '../support/terraform';

/**
 * 100 operations at Terraform's default parallelism (10) against a simulator that adds
 * latency and, at random (seeded, so runs repeat), answers 503 and 429, drops connections
 * before and after processing, and returns broken JSON and IIS error pages. Every operation
 * must either succeed or fail with a clear message; no retry may create a duplicate job; the
 * ledger must hold a record for every operation.
 */
const DEPLOYMENTS = 70;
const PASSWORDS = 20;
const PAM_ENTRIES = 10;
const storeId = (i: number) => `44444444-4444-4444-8444-${String(i).padStart(12, '0')}`;

function seed(): SimulatorSeed {
  const base = DEFAULT_SEED.stores[0];
  const stores = Array.from({ length: DEPLOYMENTS + PASSWORDS }, (_, i) => ({
    ...base, Id: storeId(i + 1), ClientMachine: `fault-${i + 1}.example.test`, Storepath: `/etc/ssl/fault-${i + 1}.pem`,
  }));
  return { ...DEFAULT_SEED, stores: [...DEFAULT_SEED.stores, ...stores] };
}

describe('100 operations against a faulting simulator', () => {
  let started: StartedSimulator;
  let project: TerraformProject;

  beforeAll(async () => {
    started = await startSimulator({ seed: seed(), jobTiming: { waitingMs: 20, inProcessMs: 20 }, faultSeed: 7 });
    project = new TerraformProject('faults');
  });
  afterAll(async () => {
    await started?.sim.stop();
    project?.cleanup();
  });

  test('each succeeds or fails clearly, no duplicate jobs, every record kept', async () => {
    const { sim } = started;
    project.synth((stack: Construct) => {
      for (let i = 1; i <= DEPLOYMENTS; i++) {
        new CertificateDeployment(stack, `d${i}`, { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: storeId(i), alias: `f${i}` }] });
      }
      for (let i = 1; i <= PASSWORDS; i++) {
        new CertificateStorePassword(stack, `p${i}`, { certStoreId: storeId(DEPLOYMENTS + i), newPassword: Secret.fromEnv('FAULT_STORE_PASSWORD') });
      }
      for (let i = 1; i <= PAM_ENTRIES; i++) {
        new PamLocalEntry(stack, `s${i}`, { providerId: 1, secretName: `fault-secret-${i}`, secretValue: Secret.fromEnv('FAULT_PAM_VALUE') });
      }
    });
    sim.injectFaults(
      { kind: 'latency', latencyMs: 20 },
      { kind: 'status503', probability: 0.08 },
      { kind: 'status429', probability: 0.05, retryAfterSeconds: 1 },
      { kind: 'resetBeforeProcessing', probability: 0.03 },
      { kind: 'resetAfterProcessing', probability: 0.04 },
      { kind: 'malformedJson', probability: 0.02 },
      { kind: 'htmlError', probability: 0.02 },
    );
    const env = { ...started.env, FAULT_STORE_PASSWORD: 'fault-store-password', FAULT_PAM_VALUE: 'fault-pam-value', CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '20' };
    await project.mustRun(['init', '-input=false', '-no-color'], env);
    const apply = await project.terraform(['apply', '-auto-approve', '-input=false', '-no-color', '-parallelism=10'], env);
    sim.clearFaults();

    const faulted = sim.requests.filter((r) => r.fault && r.fault !== 'latency');
    expect(faulted.length).toBeGreaterThan(10); // the faults really happened

    // No retry created a second job.
    expect(sim.duplicateJobs()).toEqual([]);

    // Every operation has a record: succeeded, or failed with a message that says what happened.
    const records = Ledger.read(project.ledgerDir).filter((r) => r.phase === 'create');
    const paths = new Set(records.map((r) => r.constructPath));
    expect(paths.size).toBe(DEPLOYMENTS + PASSWORDS + PAM_ENTRIES);
    expect(records.filter((r) => r.outcome === 'in-flight')).toEqual([]);
    const failed = records.filter((r) => r.outcome === 'failed');
    const succeededDeployments = records.filter((x) => x.operation === 'CertificateDeployment' && x.outcome === 'succeeded');
    // Both kinds happen with this seed, so the checks below run on real cases.
    expect(failed.length).toBeGreaterThan(0);
    expect(succeededDeployments.length).toBeGreaterThan(DEPLOYMENTS / 2);
    for (const r of failed) {
      expect(r.message).toMatch(/HTTP \d{3}|not JSON|may have created|ECONN|socket|retr/i);
      expect(r.message).not.toMatch(/unexpected error/);
    }
    // Succeeded deployments each hold the one job the simulator created for their store.
    for (const r of succeededDeployments) {
      const jobs = sim.jobs().filter((j) => j.CertificateStoreId === r.instanceKey && j.Operation === 'Add');
      expect(jobs.map((j) => j.JobId)).toEqual(r.jobIds);
    }
    // Terraform's verdict agrees with the ledger.
    expect(apply.status === 0).toBe(failed.length === 0);
    // For the log of the run: how hard the faults hit.
    process.stdout.write(`fault test: ${records.length} records, ${failed.length} failed, ${faulted.length} faulted requests\n`);
  });
});
