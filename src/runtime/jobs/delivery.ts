/**
 * Whether a certificate is really in a store, as Command knows it: `GET /Certificates/{id}?
 * includeLocations=true` (one request per certificate covers every store), and, for a location
 * that is missing, whether a successful inventory of the store started after the job that put it
 * there ended (Locations change only when a store is inventoried). Used by verified waits and by
 * `cdktf-keyfactor drift`.
 */
import { JobHistoryRow, queryAllJobHistory, queryJobHistory, queryValue, statusName } from './history';
import { KeyfactorClient } from '../api/client';
import { KeyfactorApiError, RunnerError } from '../errors';

/** One entry of CertificateRetrievalResponse.Locations (the fields read here). */
export interface CertificateLocation {
  readonly CertStoreId?: string;
  readonly Alias?: string | null;
}

/** A store as its JobHistory rows name it. */
interface StoreRef {
  readonly id: string;
  readonly agentId: string;
  readonly storePath: string;
  readonly clientMachine: string;
}

/** The JobHistory categories a store's newest job is asked for. */
export type JobCategory = 'Inventory' | 'Management' | 'Reenrollment';

/** Rows read per (agent, category) query at most: 5 pages of 100. */
const MAX_ROWS = 500;

/** Status Completed or Acknowledged with Result Success or Warning: the run did what it was for. */
export function succeeded(row: JobHistoryRow | undefined): boolean {
  return !!row && (row.Status === 3 || row.Status === 4) && (row.Result === 2 || row.Result === 3);
}

/** Status Completed or Acknowledged (5, CompletedWillRetry, is not final). */
export function isFinal(row: JobHistoryRow | undefined): boolean {
  return !!row && (row.Status === 3 || row.Status === 4);
}

const time = (value: string | null | undefined) => (value ? Date.parse(value) : NaN);

/**
 * Command's view, read at most once per key until `refresh()`; store facts are kept across
 * refreshes (they do not change during a run). JobHistory is asked by the documented query fields
 * (JobType, AgentId, JobId, OperationStart) and rows are matched to a store by StorePath and
 * ClientMachine here, as `findNewJobs` does.
 */
export class CommandView {
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly stores = new Map<string, Promise<StoreRef>>();

  constructor(private readonly client: KeyfactorClient) {}

  /** Forgets locations and jobs (not store facts): the next reads ask Command again. */
  public refresh(): void {
    this.cache.clear();
  }

  /** The certificate's locations; undefined when Command no longer has the certificate (404). `fresh`: ask again. */
  public locations(certificateId: number, fresh = false): Promise<CertificateLocation[] | undefined> {
    const key = `locations ${certificateId}`;
    if (fresh) this.cache.delete(key);
    return memo(this.cache, key, async () => {
      const path = `/Certificates/${certificateId}`;
      let res;
      try {
        res = await this.client.request<{ Locations?: unknown }>('GET', path, { query: { includeLocations: true } });
      } catch (e) {
        if (e instanceof KeyfactorApiError && e.status === 404) return undefined;
        throw e;
      }
      const locations = res.data?.Locations ?? [];
      if (!Array.isArray(locations)) throw new KeyfactorApiError(`GET ${path}: HTTP ${res.status} but Locations is not a list`, res.status);
      return locations as CertificateLocation[];
    });
  }

  /** The newest row of a job (a retried job has one row per run). */
  public job(jobId: string): Promise<JobHistoryRow | undefined> {
    return memo(this.cache, `job ${jobId.toLowerCase()}`, async () => {
      const { rows } = await queryJobHistory(this.client, `JobId -eq ${queryValue(jobId)}`, { returnLimit: 10, sortField: 'JobHistoryId', sortAscending: false });
      return rows.filter((r) => r.JobId?.toLowerCase() === jobId.toLowerCase()).sort((a, b) => (b.JobHistoryId ?? 0) - (a.JobHistoryId ?? 0))[0];
    });
  }

  /** The store's newest job of a category (by OperationStart) among its agent's newest rows. */
  public newestJob(storeId: string, category: JobCategory): Promise<JobHistoryRow | undefined> {
    return memo(this.cache, `newest ${storeId.toLowerCase()} ${category}`, async () => {
      const store = await this.store(storeId);
      const rows = await queryAllJobHistory(this.client, `JobType -eq ${queryValue(category)} AND AgentId -eq ${queryValue(store.agentId)}`, MAX_ROWS);
      return rows.filter((r) => ofStore(r, store)).sort((a, b) => time(b.OperationStart) - time(a.OperationStart))[0];
    });
  }

  /** A successful inventory of the store that started at or after `since` (ms; undefined: any), if JobHistory has one. */
  public inventoryAfter(storeId: string, since: number | undefined): Promise<JobHistoryRow | undefined> {
    return memo(this.cache, `inventory ${storeId.toLowerCase()} ${since}`, async () => {
      const store = await this.store(storeId);
      const from = since === undefined ? '' : ` AND OperationStart -ge ${queryValue(new Date(since).toISOString())}`;
      const rows = await queryAllJobHistory(this.client, `JobType -eq "Inventory" AND AgentId -eq ${queryValue(store.agentId)}${from}`, MAX_ROWS);
      // A failed or retrying inventory did not update Locations.
      return rows.filter((r) => ofStore(r, store) && succeeded(r) && (since === undefined || time(r.OperationStart) >= since))
        .sort((a, b) => time(b.OperationStart) - time(a.OperationStart))[0];
    });
  }

  private store(storeId: string): Promise<StoreRef> {
    return memo(this.stores, storeId.toLowerCase(), async () => {
      const store = (await this.client.request<{ Storepath?: unknown; ClientMachine?: unknown; AgentId?: unknown }>('GET', `/CertificateStores/${storeId}`)).data ?? {};
      if (typeof store.Storepath !== 'string' || typeof store.ClientMachine !== 'string' || typeof store.AgentId !== 'string') {
        throw new RunnerError(`GET /CertificateStores/${storeId} gave no Storepath, ClientMachine and AgentId; cannot look up its inventories.`);
      }
      return { id: storeId, agentId: store.AgentId, storePath: store.Storepath, clientMachine: store.ClientMachine };
    });
  }
}

function ofStore(row: JobHistoryRow, store: StoreRef): boolean {
  const same = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
  return same(row.StorePath, store.storePath) && same(row.ClientMachine, store.clientMachine);
}

/** `read()` once per key; a failed read is not kept. */
export function memo<K, V>(cache: Map<K, Promise<unknown>>, key: K, read: () => Promise<V>): Promise<V> {
  let found = cache.get(key) as Promise<V> | undefined;
  if (!found) {
    const reading = read();
    // A failed read is not kept (unless a refresh replaced it meanwhile): the next caller asks again.
    reading.catch(() => cache.get(key) === reading && cache.delete(key));
    cache.set(key, (found = reading));
  }
  return found;
}

const sameAlias = (a: string | null | undefined, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/** Whether `locations` put the certificate in the store (under `alias`, compared as stores do, case-insensitively). */
export function isPlaced(locations: CertificateLocation[], storeId: string, alias?: string): boolean {
  return locations.some((l) => l.CertStoreId?.toLowerCase() === storeId.toLowerCase() && (alias === undefined || sameAlias(l.Alias, alias)));
}

/** `store X under alias "a"` (or `store X`). */
export function describePlace(storeId: string, alias?: string): string {
  return alias === undefined ? `store ${storeId}` : `store ${storeId} under alias ${JSON.stringify(alias)}`;
}

/** ` (Command lists it in that store under alias "b")`, when the certificate sits there under other aliases. */
function otherAliases(locations: CertificateLocation[], storeId: string, alias?: string): string {
  const others = locations.filter((l) => l.CertStoreId?.toLowerCase() === storeId.toLowerCase() && !sameAlias(l.Alias, alias ?? '')).map((l) => JSON.stringify(l.Alias ?? ''));
  return alias !== undefined && others.length ? ` (Command lists it in that store under alias ${others.join(', ')})` : '';
}

/** Where a certificate should be, and what put it there. */
export interface Placement {
  readonly certificateId: number;
  readonly storeId: string;
  /** Undefined: any alias (a PFX replacement keeps the store's alias). */
  readonly alias?: string;
  /**
   * The job that put it there: its GUID (its newest run is looked up), or also when it ended (ISO
   * 8601, known after a wait). Neither: the store's newest management job stands in for it.
   */
  readonly job?: { readonly jobId: string; readonly ended?: string };
}

export type PlacementCheck =
  | { readonly state: 'present'; readonly detail: string }
  | { readonly state: 'pending'; readonly detail: string }
  /** Not there per an inventory after the job, or the job failed, or the certificate is gone. */
  | { readonly state: 'absent'; readonly detail: string; readonly inventory?: JobHistoryRow; readonly gone?: true };

/**
 * Is the certificate at its place, per Command? A missing location is `absent` only once a
 * successful inventory of the store started after the job ended (then the locations are read
 * again, so an inventory finishing between the two reads is not taken for an absence); before
 * that, or while the job runs, it is `pending`.
 */
export async function checkPlacement(view: CommandView, p: Placement): Promise<PlacementCheck> {
  const where = describePlace(p.storeId, p.alias);
  const locations = await view.locations(p.certificateId);
  if (!locations) return { state: 'absent', gone: true, detail: `certificate ${p.certificateId} no longer exists in Command (GET /Certificates/${p.certificateId}: 404)` };
  if (isPlaced(locations, p.storeId, p.alias)) return { state: 'present', detail: `certificate ${p.certificateId} is in ${where}` };
  let ended: number | undefined;
  let job = 'its last management job';
  if (p.job) {
    job = `its job ${p.job.jobId}`;
    if (p.job.ended) {
      ended = time(p.job.ended);
    } else {
      const row = await view.job(p.job.jobId);
      if (!row) return { state: 'pending', detail: `certificate ${p.certificateId} is not in ${where} yet: ${job} is not in JobHistory yet` };
      if (!isFinal(row)) return { state: 'pending', detail: `certificate ${p.certificateId} is not in ${where} yet: ${job} is not final (${statusName(row.Status)})` };
      if (row.Result === 4) return { state: 'absent', detail: `certificate ${p.certificateId} is not in ${where}: ${job} failed at ${row.OperationEnd}: ${row.Message || 'no message'}` };
      ended = time(row.OperationEnd ?? row.OperationStart);
    }
  } else {
    const last = await view.newestJob(p.storeId, 'Management');
    if (last && !isFinal(last)) return { state: 'pending', detail: `certificate ${p.certificateId} is not in ${where} yet: the store's job ${last.JobId} is not final` };
    ended = last ? time(last.OperationEnd ?? last.OperationStart) : undefined;
  }
  const inventory = await view.inventoryAfter(p.storeId, ended);
  if (!inventory) return { state: 'pending', detail: `certificate ${p.certificateId} is not in ${where} yet, and the store has not been inventoried since ${job} ended` };
  const again = await view.locations(p.certificateId, true);
  if (again && isPlaced(again, p.storeId, p.alias)) return { state: 'present', detail: `certificate ${p.certificateId} is in ${where}` };
  return {
    state: 'absent',
    inventory,
    detail: `certificate ${p.certificateId} is not in ${where}: Command's inventory of the store at ${inventory.OperationStart}, after ${job} ended, ` +
      `does not list it there${otherAliases(again ?? locations, p.storeId, p.alias)}`,
  };
}

/** A certificate a completed job should have put in a store. */
export interface DeliveryTarget extends Placement {
  readonly job: { readonly jobId: string; readonly ended: string };
  /** What to do when it did not arrive (e.g. the `terraform apply -replace=...` that re-runs it). */
  readonly hint?: string;
}

/**
 * Waits until Command's Locations show each target, until `deadline` (ms since the epoch),
 * polling every `pollMs`: per poll one request per certificate still missing, and JobHistory
 * requests per store it is missing from. Throws naming each store whose inventory since the job
 * does not list the certificate, or, at the deadline, each store not inventoried since its job.
 */
export async function verifyDelivery(
  client: KeyfactorClient, targets: DeliveryTarget[], deadline: number, pollMs: number, log: (line: string) => void,
): Promise<void> {
  if (targets.length === 0) return;
  const view = new CommandView(client);
  const started = Date.now();
  let pending = targets;
  for (;;) {
    view.refresh();
    const checked = [];
    for (const target of pending) checked.push({ target, check: await checkPlacement(view, target) });
    const absent = checked.filter((c) => c.check.state === 'absent');
    const waiting = checked.filter((c) => c.check.state === 'pending');
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    log(`verifying delivery: ${targets.length - absent.length - waiting.length}/${targets.length} in place per Command's inventories` +
      `${waiting.length ? `, ${waiting.length} awaiting an inventory` : ''}, ${elapsed}s elapsed`);
    if (absent.length) {
      throw new RunnerError(`${absent.length} of ${targets.length} certificate(s) did not arrive although their job succeeded:\n` +
        absent.map(({ target: t, check }) => `  - ${check.detail} (the job completed at ${t.job.ended}). ` +
          `Check the store on its machine (path, permissions, the orchestrator's log)${t.hint ? `; ${t.hint}` : ''}`).join('\n'));
    }
    if (waiting.length === 0) {
      log(`all ${targets.length} certificate(s) are in place per Command's inventories`);
      return;
    }
    if (Date.now() >= deadline) {
      throw new RunnerError(`timed out verifying delivery: ${waiting.length} of ${targets.length} store(s) not inventoried since their job completed, ` +
        'so Command cannot yet show whether the certificate arrived (stores are inventoried on their schedule; start an inventory in Command, ' +
        'or raise timeoutSeconds):\n' +
        waiting.map(({ target: t }) => `  - certificate ${t.certificateId} in ${describePlace(t.storeId, t.alias)}: job ${t.job.jobId} completed at ${t.job.ended}`).join('\n'));
    }
    pending = waiting.map((w) => w.target);
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}
