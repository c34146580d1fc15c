/**
 * A ledger in a shared object store (S3, Azure Blob, a PostgreSQL table), through a small client
 * each store implements, as Terraform's remote-state backends each implement get/put/list/delete
 * for its state. This file decides the layout, the same for every store:
 *
 *   records/<identity key>/<record id>.json   one object per record, written whole
 *   jobs/<job GUID>                           one marker per job GUID a record holds (its record id)
 *
 * A runner lists only its own instance's prefix, so a ledger of years costs what a new one does;
 * recovery asks for the few job GUIDs JobHistory shows instead of reading every record.
 */
import { byStart, keyOfRecordId, LedgerEntry, parseRecord, serialize } from './records';
import { LedgerStore, LedgerStoreError, ReadOptions } from './store';
import type { LedgerStoreType } from '../../contract/ledger-location';

/** A named object and its bytes. */
export interface StoredObject {
  readonly name: string;
  readonly data: Buffer;
}

/**
 * What a store's client does, by object name below the ledger's own prefix (the client adds the
 * prefix). Every failure is a LedgerStoreError whose message names the store and what to check.
 */
export interface ObjectClient {
  /** Where, for messages, e.g. `s3://bucket/prefix/ at http://127.0.0.1:9000`; never a credential. */
  readonly location: string;
  /** The object's bytes; undefined when there is none. */
  get(name: string): Promise<Buffer | undefined>;
  /** Creates or replaces one object, atomically. */
  put(name: string, data: Buffer): Promise<void>;
  /** The names of the objects that start with `prefix`, every page of them. */
  list(prefix: string): Promise<string[]>;
  /** Deletes objects; absent ones are fine. */
  delete(names: readonly string[]): Promise<void>;
  /** Every object under each of `prefixes`, when the store can read them in one go (a query). */
  getUnder?(prefixes: readonly string[]): Promise<StoredObject[]>;
  close(): Promise<void>;
}

/** Objects read at once while listing a prefix (list + get stores). */
const CONCURRENCY = 16;

export const RECORDS = 'records/';
export const JOBS = 'jobs/';

/** The object of record `recordId`. Ids without an identity key (very old records) go under `_`. */
export function recordObject(recordId: string): string {
  return `${RECORDS}${keyOfRecordId(recordId) ?? '_'}/${recordId}.json`;
}

export class ObjectStore implements LedgerStore {
  /** Job GUIDs whose marker this store has written. */
  private readonly marked = new Set<string>();
  private readonly client: ObjectClient;

  constructor(readonly type: Exclude<LedgerStoreType, 'directory'>, client: ObjectClient) {
    this.client = guarded(client);
  }

  get location(): string {
    return this.client.location;
  }

  async put(entry: LedgerEntry): Promise<void> {
    // Markers first: a record whose GUID recovery could not see would let another run take that job
    // for its own. A marker whose record never got written (a runner killed in between) names that
    // record, which the next run of its instance reconciles: recovery skips only other records' jobs.
    const fresh = [...new Set(entry.jobIds.map((id) => id.toLowerCase()))].filter((id) => !this.marked.has(id));
    await Promise.all(fresh.map((id) => this.client.put(JOBS + id, Buffer.from(entry.recordId))));
    fresh.forEach((id) => this.marked.add(id));
    await this.client.put(recordObject(entry.recordId), serialize(entry));
  }

  async read(options: ReadOptions = {}): Promise<LedgerEntry[]> {
    const prefixes = options.identityKeys ? [...options.identityKeys].map((k) => `${RECORDS}${k}/`) : [RECORDS];
    const objects = await this.objectsUnder(prefixes);
    const records: LedgerEntry[] = [];
    for (const o of objects) {
      if (!o.name.endsWith('.json')) continue;
      const parsed = parseRecord(o.data.toString('utf8'));
      if (typeof parsed === 'string') {
        const where = `${o.name} in ${this.location}`;
        if (!options.onUnreadable) throw new LedgerStoreError(`ledger record ${where} ${parsed}; delete it (or copy it aside) to continue.`);
        options.onUnreadable(where, parsed);
        continue;
      }
      records.push(parsed);
    }
    return records.sort(byStart);
  }

  async recordedJobs(jobIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const ids = [...new Set(jobIds.map((id) => id.toLowerCase()))];
    const found = await Promise.all(ids.map(async (id) => [id, (await this.client.get(JOBS + id))?.toString('utf8')] as const));
    return new Map(found.filter((f): f is readonly [string, string] => f[1] !== undefined));
  }

  async remove(records: readonly LedgerEntry[]): Promise<void> {
    if (!records.length) return;
    // A marker goes with the record it names; one another record wrote since (an adopted job) stays.
    const byJob = new Map(records.flatMap((r) => r.jobIds.map((id) => [id.toLowerCase(), r.recordId] as const)));
    const named = await Promise.all([...byJob].map(async ([id, recordId]) => ((await this.client.get(JOBS + id))?.toString('utf8') === recordId ? JOBS + id : undefined)));
    await this.client.delete([...records.map((r) => recordObject(r.recordId)), ...named.filter((n): n is string => n !== undefined)]);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async objectsUnder(prefixes: readonly string[]): Promise<StoredObject[]> {
    if (this.client.getUnder) return this.client.getUnder(prefixes);
    const names = (await Promise.all(prefixes.map((p) => this.client.list(p)))).flat();
    const out: StoredObject[] = [];
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const name = names[next++];
        const data = await this.client.get(name);
        if (data !== undefined) out.push({ name, data }); // deleted since the listing (prune)
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length) }, worker));
    return out;
  }
}

/**
 * The client with every failure as a LedgerStoreError: a client comes from its own bundle, whose
 * error classes are not the runner's, and an error the client did not word must still name the store.
 */
function guarded(client: ObjectClient): ObjectClient {
  const wrap = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try {
      return await call(...args);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof Error && e.name === 'LedgerStoreError') throw new LedgerStoreError(message);
      throw new LedgerStoreError(`the ledger store ${client.location} failed: ${message}`);
    }
  };
  return {
    location: client.location,
    get: wrap((name: string) => client.get(name)),
    put: wrap((name: string, data: Buffer) => client.put(name, data)),
    list: wrap((prefix: string) => client.list(prefix)),
    delete: wrap((names: readonly string[]) => client.delete(names)),
    getUnder: client.getUnder && wrap((prefixes: readonly string[]) => client.getUnder!(prefixes)),
    close: wrap(() => client.close()),
  };
}
