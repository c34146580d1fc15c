import * as fs from 'fs';
import { Construct } from 'constructs';
import { CertificateDeployment, Ledger, Schedule, WaitPolicy } from '../../../src';
import { buildProgram } from '../../../src/cli/main';
import { DEFAULT_SEED, KeyfactorSimulator, SimulatorSeed } from '../../../src/simulator';
import { connectionEnv, startTlsSimulator } from '../../support/simulator';
import { TerraformProject } from '../../support/terraform';

/** Exit code the last in-process CLI run set. */
let lastExitCode: number | undefined;
const OK_STORES = DEFAULT_SEED.stores.filter((s) => !s.failJobs && !s.failReplace).map((s) => s.Id);
const FAILING_STORE = DEFAULT_SEED.stores.find((s) => s.failJobs)!.Id;
const fastWait = (timeoutSeconds = 30) => WaitPolicy.forCompletion({ timeoutSeconds, pollIntervalSeconds: 0.2 });

/** The default seed plus 20 more healthy stores (for the one-request-per-poll test). */
function seedWith20Stores(): SimulatorSeed {
  const base = DEFAULT_SEED.stores[0];
  const extra = Array.from({ length: 20 }, (_, i) => ({
    ...base,
    Id: `33333333-3333-4333-8333-${String(i + 1).padStart(12, '0')}`,
    ClientMachine: `bulk-${i + 1}.example.test`,
    Storepath: `/etc/ssl/bulk-${i + 1}.pem`,
  }));
  return { ...DEFAULT_SEED, stores: [...DEFAULT_SEED.stores, ...extra] };
}

const envFor = connectionEnv;

describe('job tracking end to end', () => {
  let sim: KeyfactorSimulator;
  const projects: TerraformProject[] = [];
  const project = (name: string) => {
    const p = new TerraformProject(name);
    projects.push(p);
    return p;
  };

  beforeAll(async () => {
    sim = await startTlsSimulator({ seed: seedWith20Stores(), jobTiming: { waitingMs: 300, inProcessMs: 300 } });
  });
  afterAll(async () => {
    await sim?.stop();
    projects.forEach((p) => p.cleanup());
  });

  test('a wait that succeeds logs progress per poll and records the awaited GUIDs', async () => {
    // Jobs slower than the apply of both instances, so the first poll sees them pending.
    for (const id of OK_STORES.slice(0, 2)) sim.setStoreBehaviour(id, { jobDurationMs: { waitingMs: 2000, inProcessMs: 300 } });
    const p = project('wait-ok');
    p.synth((stack: Construct) => {
      new CertificateDeployment(stack, 'web', {
        certificateId: 1,
        schedule: Schedule.immediate(),
        wait: fastWait(),
        stores: OK_STORES.slice(0, 2).map((id) => ({ certificateStoreId: id, alias: 'web' })),
      });
    });
    const out = await p.apply(envFor(sim));
    expect(out).toMatch(/waiting for jobs: 0\/2 done, \d+\.\ds elapsed/);
    expect(out).toMatch(/waiting for jobs: 2\/2 done/);
    expect(out).toContain('all 2 job(s) completed');
    expect(out).not.toMatch(/\x1b\[/); // plain lines in CI logs
    const records = Ledger.read(p.ledgerDir);
    const adds = records.filter((r) => r.operation === 'CertificateDeployment').flatMap((r) => r.jobIds).sort();
    const wait = records.find((r) => r.operation === 'JobWait')!;
    expect(wait).toMatchObject({ outcome: 'succeeded', constructPath: 'wait-ok/web' });
    expect([...wait.jobIds].sort()).toEqual(adds);
    for (const id of adds) expect(sim.jobs().find((j) => j.JobId === id)).toMatchObject({ Status: 3, Result: 2 });
    for (const id of OK_STORES.slice(0, 2)) sim.setStoreBehaviour(id, { jobDurationMs: undefined });
  });

  test("a failing store fails the apply with the job's message, the store and the GUID", async () => {
    const p = project('wait-fail');
    p.synth((stack: Construct) => {
      new CertificateDeployment(stack, 'web', {
        certificateId: 1,
        schedule: Schedule.immediate(),
        wait: fastWait(),
        stores: [{ certificateStoreId: OK_STORES[0], alias: 'web' }, { certificateStoreId: FAILING_STORE, alias: 'web' }],
      });
    });
    await expect(p.apply(envFor(sim))).rejects.toThrow(/1 of 2 jobs failed/);
    const failed = sim.jobs().filter((j) => j.CertificateStoreId === FAILING_STORE && j.Operation === 'Add').pop()!;
    expect(failed.Result).toBe(4);
    expect(p.output).toContain(failed.JobId);
    expect(p.output).toContain(`store ${FAILING_STORE}`);
    expect(p.output).toContain(failed.Message!.slice(0, 40));
    // Runnable as printed: in the stack's directory, the address quoted for the shell.
    expect(p.output).toContain(`cd ${fs.realpathSync(p.stackDir)} && terraform apply -replace='terraform_data.web_Carrier_`);
    expect(p.output).toMatch(/terraform apply -replace='terraform_data\.web_Carrier_[0-9A-F]+\["[^"]+"\]'/);
    // The add itself succeeded and kept its GUID; only the wait failed.
    const records = Ledger.read(p.ledgerDir);
    expect(records.find((r) => r.instanceKey === FAILING_STORE)).toMatchObject({ outcome: 'succeeded', jobIds: [failed.JobId] });
    expect(records.find((r) => r.operation === 'JobWait')).toMatchObject({ outcome: 'failed' });
  });

  test('a verified wait passes once the inventory after each job lists the certificate at its alias', async () => {
    const p = project('wait-verified');
    const stores = OK_STORES.slice(0, 2);
    p.synth((stack: Construct) => {
      new CertificateDeployment(stack, 'web', {
        certificateId: 3,
        schedule: Schedule.immediate(),
        wait: WaitPolicy.forCompletion({ timeoutSeconds: 30, pollIntervalSeconds: 0.2, verifyDelivery: true }),
        stores: stores.map((id) => ({ certificateStoreId: id, alias: 'verified' })),
      });
    });
    const asked = sim.requests.length;
    const out = await p.apply(envFor(sim));
    expect(out).toContain('all 2 job(s) completed');
    expect(out).toContain("all 2 certificate(s) are in place per Command's inventories");
    // One request for the certificate's locations covers both stores.
    const located = sim.requests.slice(asked).filter((r) => r.method === 'GET' && r.path.endsWith('/Certificates/3'));
    expect(located.map((r) => r.query)).toEqual([{ includeLocations: 'true' }]);
  });

  test('a verified wait fails naming the store when the job succeeded but the certificate never arrived', async () => {
    // Its jobs report Success but the store keeps nothing they add.
    const [good, dropping] = [OK_STORES[0], OK_STORES[2]];
    sim.setStoreBehaviour(dropping, { dropsCertificates: true });
    try {
      const p = project('wait-undelivered');
      p.synth((stack: Construct) => {
        new CertificateDeployment(stack, 'web', {
          certificateId: 3,
          schedule: Schedule.immediate(),
          wait: WaitPolicy.forCompletion({ timeoutSeconds: 30, pollIntervalSeconds: 0.2, verifyDelivery: true }),
          stores: [good, dropping].map((id) => ({ certificateStoreId: id, alias: 'undelivered' })),
        });
      });
      await expect(p.apply(envFor(sim))).rejects.toThrow(/1 of 2 certificate\(s\) did not arrive although their job succeeded/);
      const job = sim.jobs().filter((j) => j.CertificateStoreId === dropping && j.Operation === 'Add').pop()!;
      expect(job.Result).toBe(2);
      expect(p.output).toMatch(new RegExp(`certificate 3 is not in store ${dropping} under alias "undelivered": Command's inventory of the store at \\S+, ` +
        `after its job ${job.JobId} ended, does not list it there \\(the job completed at \\S+\\)\\. Check the store on its machine`));
      expect(p.output).toMatch(/to run it again once the cause is fixed: cd \S+ && terraform apply -replace='terraform_data\.web_Carrier_[0-9A-F]+\["/);
      expect(p.output).not.toContain(`store ${good} under alias`);
      // The Add jobs' GUIDs are recorded; the wait carrier failed.
      const records = Ledger.read(p.ledgerDir);
      expect(records.find((r) => r.instanceKey === dropping)).toMatchObject({ outcome: 'succeeded', jobIds: [job.JobId] });
      expect(records.find((r) => r.operation === 'JobWait')).toMatchObject({ outcome: 'failed' });
    } finally {
      sim.setStoreBehaviour(dropping, { dropsCertificates: undefined });
    }
  });

  test('a job that goes through CompletedWillRetry is waited on until it really completes', async () => {
    const store = OK_STORES[2];
    // Each run waits 1.5 s to be picked up again, so polls every 0.2 s see the retry state.
    sim.setStoreBehaviour(store, { retriesBeforeSuccess: 1, jobDurationMs: { waitingMs: 1500, inProcessMs: 300 } });
    try {
      const p = project('wait-retry');
      p.synth((stack: Construct) => {
        new CertificateDeployment(stack, 'web', { certificateId: 1, schedule: Schedule.immediate(), wait: fastWait(), stores: [{ certificateStoreId: store, alias: 'retry' }] });
      });
      const out = await p.apply(envFor(sim));
      expect(out).toMatch(/waiting for jobs: 0\/1 done, [\d.]+s elapsed, 1 will retry/);
      expect(out).toContain('all 1 job(s) completed');
      const job = sim.jobs().find((j) => j.CertificateStoreId === store && j.Alias === 'retry')!;
      expect(job).toMatchObject({ Status: 3, Result: 2 });
      expect(job.historyIds.length).toBe(2); // one history row per run: the retried one and the final one
    } finally {
      sim.setStoreBehaviour(store, { retriesBeforeSuccess: undefined, jobDurationMs: undefined });
    }
  });

  test('a timeout fails the apply naming the pending GUIDs; the ledger keeps every GUID', async () => {
    const slow = await startTlsSimulator({ jobTiming: { waitingMs: 120_000, inProcessMs: 1000 } });
    try {
      const p = project('wait-timeout');
      p.synth((stack: Construct) => {
        new CertificateDeployment(stack, 'web', {
          certificateId: 1,
          schedule: Schedule.immediate(),
          wait: WaitPolicy.forCompletion({ timeoutSeconds: 2, pollIntervalSeconds: 0.5 }),
          stores: OK_STORES.slice(0, 2).map((id) => ({ certificateStoreId: id, alias: 'web' })),
        });
      });
      await expect(p.apply(envFor(slow))).rejects.toThrow(/timed out after 2s with 2 of 2 jobs not final/);
      const guids = slow.jobs().map((j) => j.JobId);
      expect(guids).toHaveLength(2);
      for (const g of guids) expect(p.output).toContain(g);
      const records = Ledger.read(p.ledgerDir);
      expect(records.find((r) => r.operation === 'JobWait')).toMatchObject({ outcome: 'failed' });
      expect([...records.find((r) => r.operation === 'JobWait')!.jobIds].sort()).toEqual([...guids].sort());
    } finally {
      await slow.stop();
    }
  });

  test('20 GUIDs in one construct are polled with one JobHistory request per poll', async () => {
    const bulk = seedWith20Stores().stores.filter((s) => s.Id.startsWith('33333333')).map((s) => s.Id);
    const p = project('wait-bulk');
    p.synth((stack: Construct) => {
      new CertificateDeployment(stack, 'bulk', {
        certificateId: 3,
        schedule: Schedule.immediate(),
        wait: fastWait(),
        stores: bulk.map((id) => ({ certificateStoreId: id, alias: 'bulk' })),
      });
    });
    // Jobs that outlast the apply of all 20 instances, so the wait needs several polls.
    for (const id of bulk) sim.setStoreBehaviour(id, { jobDurationMs: { waitingMs: 4000, inProcessMs: 500 } });
    const before = sim.received('GET', '/OrchestratorJobs/JobHistory').length;
    const out = await p.apply(envFor(sim));
    const polls = sim.received('GET', '/OrchestratorJobs/JobHistory').slice(before);
    const progressLines = out.match(/waiting for jobs: \d+\/20 done/g) ?? [];
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls.length).toBe(progressLines.length); // one request per poll
    const awaited = Ledger.read(p.ledgerDir).find((r) => r.operation === 'JobWait')!.jobIds;
    expect(awaited).toHaveLength(20);
    for (const req of polls) {
      const q = req.query.QueryString;
      expect(q.match(/JobId -eq "/g)).toHaveLength(20);
      for (const id of awaited) expect(q).toContain(id);
    }
  });

  test('jobs scheduled in the future are not waited on, and the log says so', async () => {
    const p = project('wait-future');
    p.synth((stack: Construct) => {
      new CertificateDeployment(stack, 'later', {
        certificateId: 4,
        schedule: Schedule.exactlyOnce('2099-01-01T00:00:00Z'),
        wait: fastWait(),
        stores: [{ certificateStoreId: OK_STORES[0], alias: 'later' }],
      });
    });
    const out = await p.apply(envFor(sim));
    expect(out).toContain('the jobs are scheduled for 2099-01-01T00:00:00Z: not waiting for them');
    expect(Ledger.read(p.ledgerDir).find((r) => r.operation === 'JobWait')).toMatchObject({ outcome: 'skipped' });
  });

  test('`outputs --json` and `jobs --wait` read the ledger and follow the jobs to the end', async () => {
    const p = project('cli');
    p.synth((stack: Construct) => {
      new CertificateDeployment(stack, 'web', {
        certificateId: 2,
        schedule: Schedule.immediate(),
        stores: OK_STORES.slice(0, 3).map((id) => ({ certificateStoreId: id, alias: 'cli' })),
      });
    });
    await p.apply(envFor(sim));

    const outputs = JSON.parse(await cli(['outputs', '--json', '--ledger', p.ledgerDir, '--path', 'cli/web'], {}));
    expect(outputs.records).toHaveLength(3);
    const guids = outputs.records.flatMap((r: any) => r.jobIds).sort();
    expect(guids).toEqual(sim.jobs().filter((j) => j.CertificateId === 2 && j.Alias === 'cli').map((j) => j.JobId).sort());
    expect(outputs.records[0]).toEqual(expect.objectContaining({
      recordId: expect.any(String),
      operation: 'CertificateDeployment',
      phase: 'create',
      stack: 'cli',
      constructPath: 'cli/web',
      instanceKey: expect.any(String),
      specHash: expect.stringMatching(/^[0-9a-f]{16}$/),
      outcome: 'succeeded',
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      request: expect.any(Object),
      jobIds: [expect.any(String)],
    }));
    expect(JSON.parse(await cli(['outputs', '--json', '--ledger', p.ledgerDir, '--stack', 'nope'], {})).records).toEqual([]);

    const waited = JSON.parse(await cli(['jobs', '--wait', '--interval', '0.2', '--timeout', '30', '--json', '--ledger', p.ledgerDir], envFor(sim)));
    expect(waited.jobs.map((j: any) => j.jobId).sort()).toEqual(guids);
    for (const j of waited.jobs) expect(j).toMatchObject({ state: 'success', status: 'Completed', result: 'Success' });
    expect(lastExitCode).toBe(0);
  });
});

/** Runs the `cdktf-keyfactor` CLI in this process (the simulator must keep answering). */
async function cli(args: string[], env: Record<string, string>): Promise<string> {
  let out = '';
  lastExitCode = undefined;
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
    out += String(chunk);
    return true;
  });
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'cdktf-keyfactor', ...args]);
  } finally {
    write.mockRestore();
    process.env = saved;
    lastExitCode = process.exitCode as number | undefined;
    process.exitCode = undefined; // the CLI's exit code must not become jest's
  }
  return out;
}
