/**
 * `cdktf-keyfactor ledger where`: which ledger each synthesized stack's runner uses, and why.
 * `cdktf-keyfactor ledger copy --from DIR`: moves a ledger directory (a ledger kept before the
 * stack's store was chosen, or records that waited locally when the store could not take them)
 * into the store. Idempotent: a record the store holds as settled, with the same job GUIDs, is
 * not written again; copying twice writes nothing the second time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { chosenLedgers, LedgerOptions } from './ledgers';
import { LEDGER_ENV, LEDGER_LOCATION_ENV } from '../contract/environment';
import { describeLocation } from '../contract/ledger-location';
import { RunnerError } from '../runtime/errors';
import { DirectoryStore, LedgerChoice, LedgerEntry, moveIn, openLedger, UNSENT, warnUnreadable } from '../runtime/ledger';

/** `ledger where`: one line per ledger (or JSON), with the stacks that write to it. */
export function ledgerWhere(options: LedgerOptions & { json?: boolean }, env: NodeJS.ProcessEnv): string {
  const chosen = chosenLedgers(options, env);
  if (options.json) {
    return JSON.stringify({
      ledgers: chosen.map(({ choice, stacks }) => ({
        stacks, location: choice.location, source: choice.source, local: choice.local, ...(choice.notice ? { warning: choice.notice } : {}),
      })),
    }, null, 2);
  }
  return chosen.map(({ choice, stacks }) => `${stacks.length ? stacks.join(', ') : '(no synthesized stack)'}: ${describeLocation(choice.location)}` +
    `\n  chosen by ${choice.source}${choice.location.type !== 'directory' ? `; records it cannot take wait in ${path.join(choice.local, UNSENT)}` : ''}` +
    `${choice.notice ? `\n  WARNING: ${choice.notice}` : ''}`).join('\n');
}

export interface CopyOptions extends LedgerOptions {
  /** The ledger directory to copy from. */
  readonly from: string;
  /** The ledger to copy to (directory or URL); default: each record's stack's ledger. */
  readonly to?: string;
}

export interface CopyResult {
  readonly read: number;
  /** Written, by destination. */
  readonly copied: Array<{ readonly to: string; readonly count: number }>;
  readonly alreadyThere: number;
  /** Records of stacks with no ledger here (not synthesized, or given none by --to). */
  readonly skipped: Array<{ readonly stack: string; readonly count: number }>;
}

/** `ledger copy`: every record of `from` into its destination. */
export async function copyLedger(options: CopyOptions, env: NodeJS.ProcessEnv): Promise<CopyResult> {
  const from = path.resolve(options.from);
  if (!fs.statSync(from, { throwIfNoEntry: false })?.isDirectory()) throw new RunnerError(`no ledger directory at ${from} (--from).`);
  const records = await new DirectoryStore(from).read({ onUnreadable: warnUnreadable });
  // Each record goes to the ledger its stack's runner uses, or all of them to --to.
  const destinations = new Map<string, { choice: LedgerChoice; records: LedgerEntry[] }>();
  const skipped = new Map<string, number>();
  const chosen = chosenLedgers({ ...options, ledger: options.to, stack: undefined }, env);
  // --to, or CDKTF_KEYFACTOR_LEDGER outside an app: everything goes there.
  const single = chosen.length === 1 && chosen[0].stacks.length === 0 ? chosen[0] : undefined;
  if (single && options.to === undefined && single.choice.source !== LEDGER_LOCATION_ENV && single.choice.source !== LEDGER_ENV) {
    throw new RunnerError(`no synthesized app in ${path.resolve(options.outdir ?? 'cdktf.out')} to tell each stack's ledger: run \`cdktf synth\` and copy ` +
      `from the app's directory, or name the destination with --to (a directory or URL) or ${LEDGER_LOCATION_ENV}.`);
  }
  for (const r of records) {
    const target = single ?? chosen.find((c) => c.stacks.includes(r.stack));
    if (!target) {
      skipped.set(r.stack, (skipped.get(r.stack) ?? 0) + 1);
      continue;
    }
    if (options.stack !== undefined && r.stack !== options.stack) continue;
    const key = JSON.stringify(target.choice.location);
    const d = destinations.get(key) ?? { choice: target.choice, records: [] };
    d.records.push(r);
    destinations.set(key, d);
  }
  const copied: Array<{ to: string; count: number }> = [];
  let alreadyThere = 0;
  for (const { choice, records: mine } of destinations.values()) {
    if (choice.location.type === 'directory' && path.resolve(choice.location.path) === from) {
      alreadyThere += mine.length;
      continue;
    }
    const { store } = openLedger(choice, env);
    try {
      const count = await moveIn(store, undefined, mine);
      copied.push({ to: describeLocation(choice.location), count });
      alreadyThere += mine.length - count;
    } finally {
      await store.close();
    }
  }
  return { read: records.length, copied, alreadyThere, skipped: [...skipped].map(([stack, count]) => ({ stack, count })) };
}

export function formatCopy(result: CopyResult, from: string): string {
  const lines = [`cdktf-keyfactor ledger copy: ${result.read} record(s) in ${path.resolve(from)}; ${result.alreadyThere} already in their ledger.`];
  for (const c of result.copied) lines.push(`  copied ${c.count} to ${c.to}`);
  for (const s of result.skipped) {
    lines.push(`  skipped ${s.count} of stack "${s.stack}": it is not synthesized here (run from the app's directory after cdktf synth, or pass --to)`);
  }
  return lines.join('\n');
}
