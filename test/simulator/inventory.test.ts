import axios from 'axios';
import { api, sleep, store } from './helpers';
import { KeyfactorSimulator } from '../../src/simulator';

/**
 * Command's `Locations` show what each store held at its last inventory; what a store really holds
 * changes with management jobs and behind Command's back. The simulator keeps both, so drift can
 * be rehearsed: an inventory after each management job (at once, or later), on a schedule, or asked
 * for; an out-of-band removal as a library call and an admin endpoint.
 */
const JOB_MS = 20;
const sims: KeyfactorSimulator[] = [];
afterAll(async () => Promise.all(sims.map((s) => s.stop())));

async function start(inventory?: { afterJobsMs?: number; everyMs?: number }): Promise<KeyfactorSimulator> {
  const sim = await KeyfactorSimulator.start({ jobTiming: { waitingMs: JOB_MS, inProcessMs: JOB_MS }, inventory });
  sims.push(sim);
  return sim;
}

async function locations(sim: KeyfactorSimulator, certificateId: number): Promise<string[]> {
  const res = await api(sim).get(`/Certificates/${certificateId}`, { params: { includeLocations: true } });
  return res.data.Locations.map((l: { CertStoreId: string; Alias: string }) => `${l.CertStoreId}/${l.Alias}`);
}

async function inventories(sim: KeyfactorSimulator): Promise<Array<{ StorePath: string; Schedule: object; OperationStart: string }>> {
  return (await api(sim).get('/OrchestratorJobs/JobHistory', { params: { QueryString: 'JobType -eq "Inventory"' } })).data;
}

async function addAndWait(sim: KeyfactorSimulator, storeId: string, alias: string): Promise<void> {
  const body = { CertificateId: 3, CertificateStores: [{ CertificateStoreId: storeId, Alias: alias }], Schedule: { Immediate: true } };
  const res = await api(sim).post('/CertificateStores/Certificates/Add', body);
  expect(res.status).toBe(200);
  await sleep(2 * JOB_MS + 30);
}

test('a management job is followed by an inventory of its store, which is when Command sees the change', async () => {
  const sim = await start();
  await addAndWait(sim, store(1), 'api');
  expect(await locations(sim, 3)).toEqual([`${store(1)}/api`]);
  const [row] = await inventories(sim);
  expect(row).toMatchObject({ JobType: 'Inventory', StorePath: '/etc/ssl/web-01.pem', Status: 3, Result: 2, Schedule: { Immediate: true } });
  const [job] = (await api(sim).get('/OrchestratorJobs/JobHistory', { params: { QueryString: 'JobType -eq "Management"' } })).data;
  expect(Date.parse(row.OperationStart)).toBeGreaterThanOrEqual(Date.parse(job.OperationEnd));
});

test('with afterJobsMs, the store holds the certificate before Command shows it', async () => {
  const sim = await start({ afterJobsMs: 400 });
  await addAndWait(sim, store(1), 'api');
  // Store 1 is seeded with certificate 1 under "www".
  expect(sim.storeContents(store(1))).toEqual([{ storeId: store(1), alias: 'www', certificateId: 1 }, { storeId: store(1), alias: 'api', certificateId: 3 }]);
  expect(await locations(sim, 3)).toEqual([]);
  expect(await inventories(sim)).toEqual([]);
  await sleep(450);
  expect(await locations(sim, 3)).toEqual([`${store(1)}/api`]);
  expect(await inventories(sim)).toHaveLength(1);
});

test('removed behind Command\'s back: Command shows it until the store\'s next inventory (library calls)', async () => {
  const sim = await start();
  await addAndWait(sim, store(1), 'api');
  expect(sim.removeFromStore(store(1), 'API')).toBe(true); // aliases compare without case, as in the store
  expect(sim.removeFromStore(store(1), 'api')).toBe(false);
  expect(sim.storeContents(store(1))).toEqual([{ storeId: store(1), alias: 'www', certificateId: 1 }]);
  expect(await locations(sim, 3)).toEqual([`${store(1)}/api`]);
  sim.inventory(store(1));
  expect(await locations(sim, 3)).toEqual([]);
  expect(await inventories(sim)).toHaveLength(2);
  // reset() puts the seeded certificates back in their stores, and in Command's view.
  sim.removeFromStore(store(1), 'www');
  sim.reset();
  expect(sim.storeContents(store(1))).toEqual([{ storeId: store(1), alias: 'www', certificateId: 1 }]);
  expect(await locations(sim, 1)).toContain(`${store(1)}/www`);
});

test('the same through the admin endpoints, outside the API', async () => {
  const sim = await start();
  await addAndWait(sim, store(2), 'app');
  const admin = axios.create({ baseURL: `${sim.url}/_simulator`, validateStatus: () => true });
  expect((await admin.delete(`/stores/${store(2)}/certificates/app`)).status).toBe(204);
  const again = await admin.delete(`/stores/${store(2)}/certificates/app`);
  expect(again.status).toBe(404);
  expect(again.data.Message).toBe(`store ${store(2)} holds nothing under alias "app"`);
  expect(await locations(sim, 3)).toEqual([`${store(2)}/app`]);
  const inventory = await admin.post(`/stores/${store(2)}/inventory`);
  expect(inventory.status).toBe(200);
  expect(inventory.data).toMatchObject({ JobType: 'Inventory', StorePath: '/opt/app/keystore.jks' });
  expect(await locations(sim, 3)).toEqual([]);
  expect((await admin.post('/inventory')).data).toEqual({ inventoried: 7 });
  expect((await admin.post('/stores/99999999-9999-4999-8999-999999999999/inventory')).status).toBe(404);
});

test('on a schedule, every store is inventoried', async () => {
  const sim = await start({ everyMs: 150 });
  await addAndWait(sim, store(1), 'api');
  sim.removeFromStore(store(1), 'api');
  await sleep(350);
  expect(await locations(sim, 3)).toEqual([]);
  const rows = await inventories(sim);
  expect(rows.filter((r) => r.StorePath === '/etc/ssl/web-01.pem').length).toBeGreaterThanOrEqual(2);
  expect(rows.some((r) => 'Interval' in r.Schedule)).toBe(true);
});

test('dropsCertificates: the job reports Success, the store keeps nothing, and the next inventory shows it absent', async () => {
  const sim = await start();
  sim.setStoreBehaviour(store(2), { dropsCertificates: true });
  await addAndWait(sim, store(2), 'lost');
  const [job] = (await api(sim).get('/OrchestratorJobs/JobHistory', { params: { QueryString: 'JobType -eq "Management"' } })).data;
  expect(job).toMatchObject({ Status: 3, Result: 2 });
  expect(sim.storeContents(store(2)).map((l) => l.alias)).toEqual(['app']);
  expect(await inventories(sim)).toHaveLength(1);
  expect(await locations(sim, 3)).toEqual([]);
});
