/**
 * The ledger: what every runner invocation did, one record per run and carrier instance, in the
 * store the stack's ledger lives in (locate.ts). Written by the runner; read by the runner (job
 * wait, report, recovery) and the CLI.
 */
export * from './records';
export * from './store';
export { DirectoryStore, readLedgerDir, recordFile, removeRecord } from './directory';
export { ObjectStore } from './objects';
export type { ObjectClient, StoredObject } from './objects';
export { beginRecord, LedgerHandle } from './handle';
export type { RecordBase } from './handle';
export { chooseLedger, environmentChoice, parseLedgerUrl } from './locate';
export type { LedgerChoice } from './locate';
export { ledgerName, ledgerTimeoutMs, moveIn, noticeOncePerApply, openLedger, readWithLocal, UNSENT } from './open';
export type { OpenLedger } from './open';
