/**
 * One record as a run writes it: `in-flight` before the API call, rewritten with the outcome
 * after it, so an interrupted apply leaves a trace of what may have been sent, which the next run
 * of the same operation instance reconciles before sending again.
 */
import { identityKey, LedgerEntry, newRecordId, Outcome, scrubbed } from './records';
import { LedgerStore } from './store';
import type { LedgerOrigin } from '../../contract/ledger-record';

export type RecordBase = Omit<LedgerEntry, 'recordId' | 'startedAt' | 'outcome' | 'jobIds' | 'request' | 'origin'> & {
  request?: Record<string, unknown>;
  origin: LedgerOrigin;
};

/**
 * Writes an in-flight record and returns a handle to complete it. `redact` scrubs the request,
 * response and message of every write (a secret echoed in an answer).
 */
export async function beginRecord(store: LedgerStore, base: RecordBase, redact: (text: string) => string = (t) => t): Promise<LedgerHandle> {
  const startedAt = new Date();
  const entry: LedgerEntry = {
    request: {}, ...base, recordId: newRecordId(startedAt, identityKey(base)), startedAt: startedAt.toISOString(), jobIds: [], outcome: 'in-flight', rev: 1,
  };
  const handle = new LedgerHandle(store, entry, redact);
  await handle.write();
  return handle;
}

export class LedgerHandle {
  constructor(readonly store: LedgerStore, private entry: LedgerEntry, private readonly redact: (text: string) => string = (t) => t) {}

  get current(): LedgerEntry {
    return this.entry;
  }

  /** Updates the record in place (atomically), e.g. with job GUIDs as soon as they are known. */
  async update(fields: Partial<LedgerEntry>): Promise<void> {
    this.entry = { ...this.entry, ...fields, rev: (this.entry.rev ?? 0) + 1 };
    await this.write();
  }

  async finish(outcome: Exclude<Outcome, 'in-flight'>, fields: Partial<LedgerEntry> = {}): Promise<void> {
    await this.update({ ...fields, outcome, finishedAt: new Date().toISOString() });
  }

  /** The record as it would be written now (scrubbed), e.g. to keep it elsewhere when the store fails. */
  get written(): LedgerEntry {
    return scrubbed(this.entry, this.redact);
  }

  write(): Promise<void> {
    return this.store.put(this.written);
  }
}
