/**
 * Whether a certificate is really in a store, as Command knows it: `GET /Certificates/{id}?
 * includeLocations=true` (one request per certificate covers every store), and, for a location
 * that is missing, whether the store has been inventoried since its last job (Locations change
 * only when a store is inventoried). Used by verified waits and by `cdktf-keyfactor drift`.
 */
import { JobHistoryRow, queryJobHistory, queryValue } from './history';
import { KeyfactorClient } from '../api/client';
import { KeyfactorApiError, RunnerError } from '../errors';

/** One entry of CertificateRetrievalResponse.Locations (the fields read here). */
export interface CertificateLocation {
  readonly CertStoreId?: string;
  readonly Alias?: string | null;
}

/** A store as its JobHistory rows name it. */
interface StoreRef {
  readonly storePath: string;
  readonly clientMachine: string;
}

/** The JobHistory categories a store's newest job is asked for. */
export type JobCategory = 'Inventory' | 'Management' | 'Reenrollment';

/**
 * Command's view, read at most once per certificate and per (store, job category) until
 * `refresh()`; store paths are kept across refreshes (they do not change during a run).
 */
export class CommandView {
  private readonly located = new Map<number, Promise<CertificateLocation[]>>();
  private readonly newest = new Map<string, Promise<JobHistoryRow | undefined>>();
  private readonly stores = new Map<string, Promise<StoreRef>>();

  constructor(private readonly client: KeyfactorClient) {}

  /** Forgets locations and jobs (not store paths): the next reads ask Command again. */
  public refresh(): void {
    this.located.clear();
    this.newest.clear();
  }

  public locations(certificateId: number): Promise<CertificateLocation[]> {
    return memo(this.located, certificateId, async () => {
      const path = `/Certificates/${certificateId}`;
      const res = await this.client.request<{ Locations?: unknown }>('GET', path, { query: { includeLocations: true } });
      const locations = res.data?.Locations ?? [];
      if (!Array.isArray(locations)) throw new KeyfactorApiError(`GET ${path}: HTTP ${res.status} but Locations is not a list`, res.status);
      return locations as CertificateLocation[];
    });
  }

  /** The store's newest job of a category in JobHistory (by OperationStart), if any. */
  public newestJob(storeId: string, category: JobCategory): Promise<JobHistoryRow | undefined> {
    return memo(this.newest, `${storeId.toLowerCase()} ${category}`, async () => {
      const store = await this.store(storeId);
      const query = `JobType -eq ${queryValue(category)} AND StorePath -eq ${queryValue(store.storePath)} AND ClientMachine -eq ${queryValue(store.clientMachine)}`;
      return (await queryJobHistory(this.client, query, { returnLimit: 1, sortField: 'OperationStart', sortAscending: false })).rows[0];
    });
  }

  private store(storeId: string): Promise<StoreRef> {
    return memo(this.stores, storeId.toLowerCase(), async () => {
      const store = (await this.client.request<{ Storepath?: unknown; ClientMachine?: unknown }>('GET', `/CertificateStores/${storeId}`)).data ?? {};
      if (typeof store.Storepath !== 'string' || typeof store.ClientMachine !== 'string') {
        throw new RunnerError(`GET /CertificateStores/${storeId} gave no Storepath and ClientMachine; cannot look up its inventories.`);
      }
      return { storePath: store.Storepath, clientMachine: store.ClientMachine };
    });
  }
}

function memo<K, V>(cache: Map<K, Promise<V>>, key: K, read: () => Promise<V>): Promise<V> {
  let found = cache.get(key);
  if (!found) {
    found = read();
    // A failed read is not kept: the next caller asks again.
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}

/** Whether `locations` put the certificate in the store (under `alias`, when one is named). */
export function isPlaced(locations: CertificateLocation[], storeId: string, alias?: string): boolean {
  return locations.some((l) => l.CertStoreId?.toLowerCase() === storeId.toLowerCase() && (alias === undefined || l.Alias === alias));
}

/** `store X under alias "a"` (or `store X`). */
export function describePlace(storeId: string, alias?: string): string {
  return alias === undefined ? `store ${storeId}` : `store ${storeId} under alias ${JSON.stringify(alias)}`;
}

/** ` (Command lists it in that store under alias "b")`, when the certificate sits there under other aliases. */
export function otherAliases(locations: CertificateLocation[], storeId: string, alias?: string): string {
  const others = locations.filter((l) => l.CertStoreId?.toLowerCase() === storeId.toLowerCase() && l.Alias !== alias).map((l) => JSON.stringify(l.Alias ?? ''));
  return alias !== undefined && others.length ? ` (Command lists it in that store under alias ${others.join(', ')})` : '';
}

const time = (value: string | null | undefined) => (value ? Date.parse(value) : NaN);

/**
 * Whether a store inventory that started at or after `since` (ms) is in JobHistory: only then
 * does a missing location mean the store lacks the certificate. Returns that inventory's row.
 */
export async function inventoriedSince(view: CommandView, storeId: string, since: number): Promise<JobHistoryRow | undefined> {
  const inventory = await view.newestJob(storeId, 'Inventory');
  return inventory && inventory.Status !== 1 && inventory.Status !== 2 && time(inventory.OperationStart) >= since ? inventory : undefined;
}

/**
 * For drift, where the deploying job is not known: the store's newest inventory, when it started
 * after its newest management job ended (a job still running counts as newer than any inventory).
 */
export async function inventoriedSinceLastJob(view: CommandView, storeId: string): Promise<JobHistoryRow | undefined> {
  const job = await view.newestJob(storeId, 'Management');
  if (job && !job.OperationEnd) return undefined;
  return inventoriedSince(view, storeId, job ? time(job.OperationEnd) : -Infinity);
}

/** A certificate a completed job should have put in a store. */
export interface DeliveryTarget {
  readonly certificateId: number;
  readonly storeId: string;
  /** Undefined: any alias (a PFX replacement keeps the store's alias). */
  readonly alias?: string;
  readonly jobId: string;
  /** When the job's newest run ended (ISO 8601), from JobHistory. */
  readonly jobEnded: string;
  /** What to do when it did not arrive (e.g. the `terraform apply -replace=...` that re-runs it). */
  readonly hint?: string;
}

/**
 * Waits until Command's Locations show each target, until `deadline` (ms since the epoch),
 * polling every `pollMs`: per poll one request per certificate still missing, and one JobHistory
 * request per store it is missing from. Throws naming each store whose inventory since the job
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
    const missing: Array<{ target: DeliveryTarget; inventory?: JobHistoryRow; locations: CertificateLocation[] }> = [];
    for (const target of pending) {
      const locations = await view.locations(target.certificateId);
      if (isPlaced(locations, target.storeId, target.alias)) continue;
      missing.push({ target, locations, inventory: await inventoriedSince(view, target.storeId, time(target.jobEnded)) });
    }
    const absent = missing.filter((m) => m.inventory);
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    log(`verifying delivery: ${targets.length - missing.length}/${targets.length} in place per Command's inventories` +
      `${missing.length - absent.length ? `, ${missing.length - absent.length} awaiting an inventory` : ''}, ${elapsed}s elapsed`);
    if (absent.length) {
      throw new RunnerError(`${absent.length} of ${targets.length} certificate(s) did not arrive although their job succeeded:\n` +
        absent.map(({ target: t, inventory, locations }) =>
          `  - certificate ${t.certificateId} is not in ${describePlace(t.storeId, t.alias)}: job ${t.jobId} completed at ${t.jobEnded}, ` +
          `but Command's inventory of the store at ${inventory!.OperationStart} does not list it there${otherAliases(locations, t.storeId, t.alias)}. ` +
          `Check the store on its machine (path, permissions, the orchestrator's log)${t.hint ? `; ${t.hint}` : ''}`).join('\n'));
    }
    if (missing.length === 0) {
      log(`all ${targets.length} certificate(s) are in place per Command's inventories`);
      return;
    }
    if (Date.now() >= deadline) {
      throw new RunnerError(`timed out verifying delivery: ${missing.length} of ${targets.length} store(s) not inventoried since their job completed, ` +
        'so Command cannot yet show whether the certificate arrived (stores are inventoried on their schedule; start an inventory in Command, ' +
        'or raise timeoutSeconds):\n' +
        missing.map(({ target: t }) => `  - certificate ${t.certificateId} in ${describePlace(t.storeId, t.alias)}: job ${t.jobId} completed at ${t.jobEnded}`).join('\n'));
    }
    pending = missing.map((m) => m.target);
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}
