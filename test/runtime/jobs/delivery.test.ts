import { RunnerError } from '../../../src/runtime/errors';
import { fetchJobStatuses } from '../../../src/runtime/jobs/completion';
import { verifyDelivery } from '../../../src/runtime/jobs/delivery';
import { KeyfactorSimulator } from '../../../src/simulator';
import { basicEnv, clientFor, S1, S2, startSim } from '../../support/runtime';

/**
 * verifyDelivery against the simulator: a Command whose stores are inventoried a while after each
 * job, so the verification first has to wait for the inventory, and one that never comes in time.
 */
describe('verifyDelivery', () => {
  let sim: KeyfactorSimulator;
  afterEach(async () => sim?.stop());

  /** Adds certificate 3 to `store` and waits for its job to complete; returns the delivery target. */
  async function deployed(store: string, alias: string) {
    const { client } = clientFor(basicEnv(sim));
    const res = await client.request<string[]>('POST', '/CertificateStores/Certificates/Add', {
      body: { CertificateId: 3, CertificateStores: [{ CertificateStoreId: store, Alias: alias }], Schedule: { Immediate: true } },
    });
    const jobId = res.data[0];
    let status;
    do {
      await new Promise((r) => setTimeout(r, 20));
      [status] = await fetchJobStatuses(client, [jobId], 2000);
    } while (status.state === 'pending');
    return { client, target: { certificateId: 3, storeId: store, alias, job: { jobId, ended: status.row!.OperationEnd! } } };
  }

  test('waits for the inventory after the job, then passes; one location request per poll covers both stores', async () => {
    sim = await startSim({ inventory: { afterJobsMs: 800 } });
    const [a, b] = await Promise.all([deployed(S1, 'v'), deployed(S2, 'V')]);
    const lines: string[] = [];
    const asked = sim.requests.length;
    // Aliases are compared as stores compare them, case-insensitively.
    await verifyDelivery(a.client, [a.target, { ...b.target, alias: 'v' }], Date.now() + 10_000, 50, (l) => lines.push(l));
    expect(lines[0]).toMatch(/^verifying delivery: [01]\/2 in place per Command's inventories, [12] awaiting an inventory/);
    expect(lines[lines.length - 1]).toBe("all 2 certificate(s) are in place per Command's inventories");
    const polls = lines.length - 1;
    const located = sim.requests.slice(asked).filter((r) => r.path.endsWith('/Certificates/3'));
    // One per poll for both stores, plus at most one re-read per store: when its inventory
    // finished between the poll's read and the inventory lookup (not one read per store per poll).
    expect(located.length).toBeGreaterThanOrEqual(polls);
    expect(located.length).toBeLessThanOrEqual(polls + 2);
  });

  test('no inventory before the deadline: fails naming the store and the job, and says what to do', async () => {
    sim = await startSim({ inventory: { afterJobsMs: 60_000 } });
    const { client, target } = await deployed(S1, 'late');
    const error = await verifyDelivery(client, [target], Date.now() + 300, 50, () => undefined).catch((e) => e);
    expect(error).toBeInstanceOf(RunnerError);
    expect(error.message).toBe('timed out verifying delivery: 1 of 1 store(s) not inventoried since their job completed, so Command cannot yet show ' +
      'whether the certificate arrived (stores are inventoried on their schedule; start an inventory in Command, or raise timeoutSeconds):\n' +
      `  - certificate 3 in store ${S1} under alias "late": job ${target.job.jobId} completed at ${target.job.ended}`);
  });

  test('a failed inventory proves nothing: still waiting, never "did not arrive"', async () => {
    sim = await startSim();
    sim.setStoreBehaviour(S1, { failInventory: true, dropsCertificates: true });
    const { client, target } = await deployed(S1, 'unread');
    const [row] = (await client.request<any[]>('GET', '/OrchestratorJobs/JobHistory', { query: { QueryString: 'JobType -eq "Inventory"' } })).data;
    expect(row).toMatchObject({ Result: 4, Status: 3 });
    const error = await verifyDelivery(client, [target], Date.now() + 300, 50, () => undefined).catch((e) => e);
    expect(error.message).toMatch(/^timed out verifying delivery: 1 of 1 store\(s\) not inventoried since their job completed/);
    // Once an inventory succeeds, the absence is certain.
    sim.setStoreBehaviour(S1, { failInventory: false });
    sim.inventory(S1);
    const absent = await verifyDelivery(client, [target], Date.now() + 300, 50, () => undefined).catch((e) => e);
    expect(absent.message).toMatch(new RegExp(`^1 of 1 certificate\\(s\\) did not arrive although their job succeeded:\n {2}- certificate 3 is not in store ${S1} under alias "unread": ` +
      `Command's inventory of the store at \\S+, after its job ${target.job.jobId} ended, does not list it there \\(the job completed at \\S+\\)\\.`));
  });
});
