import { DirectoryStore, identityKey, LedgerEntry, newRecordId, RecordBase } from '../../src/runtime/ledger';

/**
 * Writes a record into a ledger directory as a run would have left it (in flight, unless `fields`
 * say otherwise), synchronously, and returns it: the state an interrupted or earlier run leaves.
 */
export function writeRecord(dir: string, base: RecordBase, fields: Partial<LedgerEntry> = {}): LedgerEntry {
  const startedAt = new Date();
  const entry: LedgerEntry = {
    request: {}, ...base, recordId: newRecordId(startedAt, identityKey(base)), startedAt: startedAt.toISOString(), jobIds: [], outcome: 'in-flight', ...fields,
  };
  new DirectoryStore(dir).putSync(entry);
  return entry;
}
