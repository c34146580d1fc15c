/**
 * `cdktf-keyfactor prune --keep-days N`: removes ledger records older than N days, so the ledger
 * does not grow for ever. Whatever their age it keeps records still in flight or unsettled (the
 * next run of their instance checks them in JobHistory before sending anything) and each live
 * instance's newest create record (`drift` reads a PFX replacement's stores and the jobs from it).
 */
import * as fs from 'fs';
import { chosenLedgers, LedgerOptions } from './ledgers';
import type { LedgerRecord } from '../contract/ledger-record';
import { RunnerError } from '../runtime/errors';
import { DirectoryStore, instanceOf, LedgerEntry, LedgerStore, openLedger, warnUnreadable } from '../runtime/ledger';

export interface PruneOptions extends LedgerOptions {
  readonly keepDays: number;
  /** Say what would be removed, remove nothing. */
  readonly dryRun?: boolean;
}

export interface PruneResult {
  readonly removed: LedgerRecord[];
  readonly kept: number;
  readonly keptInFlight: number;
  readonly keptNewest: number;
}

/** Prunes every ledger `options` chooses (see ledgers.ts); a directory that does not exist is an error. */
export async function pruneLedger(options: PruneOptions, env: NodeJS.ProcessEnv = process.env, now = Date.now()): Promise<PruneResult> {
  const total = { removed: [] as LedgerRecord[], kept: 0, keptInFlight: 0, keptNewest: 0 };
  for (const { choice } of chosenLedgers(options, env)) {
    const { store } = openLedger(choice, env);
    try {
      if (store instanceof DirectoryStore && !fs.existsSync(store.directory)) {
        throw new RunnerError(`no ledger at ${store.directory} (pass --ledger DIR or URL, or set CDKTF_KEYFACTOR_LEDGER).`);
      }
      const result = await pruneStore(store, options, now);
      total.removed.push(...result.removed);
      total.kept += result.kept;
      total.keptInFlight += result.keptInFlight;
      total.keptNewest += result.keptNewest;
    } finally {
      await store.close();
    }
  }
  return total;
}

async function pruneStore(store: LedgerStore, options: PruneOptions, now: number): Promise<PruneResult> {
  const records = await store.read({ onUnreadable: warnUnreadable });
  const cutoff = now - options.keepDays * 86_400_000;
  // Oldest first: the last create record seen per instance is its newest; an instance whose
  // newest record is a finished undo is gone, and nothing needs its create record any more.
  const newest = new Map<string, LedgerRecord>();
  const last = new Map<string, LedgerRecord>();
  for (const r of records) {
    if (r.phase === 'create') newest.set(instanceOf(r), r);
    last.set(instanceOf(r), r);
  }
  const undone = (r: LedgerRecord) => r.phase === 'destroy' && (r.outcome === 'succeeded' || r.outcome === 'skipped');
  const newestIds = new Set([...newest.entries()].filter(([instance]) => !undone(last.get(instance)!)).map(([, r]) => r.recordId));
  const removed: LedgerEntry[] = [];
  let [keptInFlight, keptNewest] = [0, 0];
  for (const r of records) {
    const at = Date.parse(r.finishedAt ?? r.startedAt);
    if (!(at < cutoff)) continue;
    if (r.outcome === 'in-flight' || r.unsettled) {
      keptInFlight++;
      continue;
    }
    if (newestIds.has(r.recordId)) {
      keptNewest++;
      continue;
    }
    removed.push(r);
  }
  if (!options.dryRun) await store.remove(removed);
  return { removed, kept: records.length - removed.length, keptInFlight, keptNewest };
}

export function formatPrune(result: PruneResult, options: PruneOptions): string {
  const verb = options.dryRun ? 'would remove' : 'removed';
  return `cdktf-keyfactor prune: ${verb} ${result.removed.length} record(s) older than ${options.keepDays} day(s); kept ${result.kept} ` +
    `(of them, older but kept: ${result.keptInFlight} in flight or unsettled, ${result.keptNewest} newest create record of their live instance).`;
}


/** `prune --json`: what was (or would be) removed, by record id, and what was kept. */
export function formatPruneJson(result: PruneResult, options: PruneOptions): string {
  return JSON.stringify({
    dryRun: !!options.dryRun,
    keepDays: options.keepDays,
    removed: result.removed.map((r) => r.recordId),
    kept: result.kept,
    keptInFlight: result.keptInFlight,
    keptNewest: result.keptNewest,
  }, null, 2);
}
