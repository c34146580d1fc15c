/**
 * The one interface every ledger store implements (a directory, S3, Azure Blob, PostgreSQL), so
 * the runner and the CLI read and write records without knowing where they live. One record per
 * file, object or row, each written whole and atomically: writers on many machines and stacks
 * never read-modify-write a shared file, and a reader never sees half a record.
 */
import type { LedgerEntry } from './records';
import type { LedgerStoreType } from '../../contract/ledger-location';
import { RunnerError } from '../errors';

export interface ReadOptions {
  /**
   * Readers that decide nothing from a single record (listings, the job wait, `report`) pass
   * this: the record is skipped and named here. Without it, an unreadable record is an error.
   */
  readonly onUnreadable?: (where: string, problem: string) => void;
  /** Only the records of these instances (identity keys): a store lists just those, not its history. */
  readonly identityKeys?: ReadonlySet<string>;
}

export interface LedgerStore {
  readonly type: LedgerStoreType;
  /** Where the records are, for messages: a path, bucket, container or table; never a credential. */
  readonly location: string;
  /** Creates or replaces one record, atomically. */
  put(entry: LedgerEntry): Promise<void>;
  /** The records, oldest first: of `identityKeys` only when given. */
  read(options?: ReadOptions): Promise<LedgerEntry[]>;
  /**
   * Of `jobIds` (lower case), those a record holds, with the id of that record: recovery never takes
   * a job another record holds for its own.
   */
  recordedJobs(jobIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** Deletes records (absent ones are fine), and what the store keeps for them alone (their job markers). */
  remove(records: readonly LedgerEntry[]): Promise<void>;
  /** Releases connections; the store is not used afterwards. */
  close(): Promise<void>;
}

/** A store that could not be read or written: the message names the store and what to check. */
export class LedgerStoreError extends RunnerError {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerStoreError';
  }
}
