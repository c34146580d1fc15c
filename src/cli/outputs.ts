import { LedgerOptions, readLedgers, waitingNote } from './ledgers';
import type { LedgerRecord } from '../contract/ledger-record';
import { instanceOf, sameOrigin } from '../runtime/ledger';
import { ENV, origin } from '../runtime/settings';

export interface OutputsOptions extends LedgerOptions {
  readonly json?: boolean;
  readonly path?: string;
  /** Records of every Command and workspace, not only the current one. */
  readonly allOrigins?: boolean;
  /** Only the newest record of each instance (origin, stack, construct path, instance key). */
  readonly latest?: boolean;
}

/**
 * Records filtered by stack and construct path (a prefix: a scope selects everything below it),
 * and by origin: with KEYFACTOR_HOSTNAME set, only records of that Command, API path and
 * workspace (TF_WORKSPACE), unless `allOrigins`.
 */
export async function selectRecords(options: OutputsOptions, env: NodeJS.ProcessEnv = process.env, note: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<LedgerRecord[]> {
  const current = !options.allOrigins && env[ENV.hostname]?.trim() ? origin(env) : undefined;
  const { records, waiting } = await readLedgers(options, env);
  waitingNote(waiting).forEach(note);
  const selected = records.filter((r) =>
    (!current || sameOrigin(r, current)) &&
    (!options.stack || r.stack === options.stack) &&
    (!options.path || r.constructPath === options.path || r.constructPath.startsWith(options.path.replace(/\/$/, '') + '/')),
  );
  if (!options.latest) return selected;
  // Oldest first: the last record per instance is its newest.
  const newest = new Map(selected.map((r) => [instanceOf(r), r]));
  return selected.filter((r) => newest.get(instanceOf(r)) === r);
}

/** `cdktf-keyfactor outputs`: the ledger as a table, or as JSON with `--json`. */
export function formatOutputs(records: LedgerRecord[], json: boolean): string {
  if (json) return JSON.stringify({ records }, null, 2);
  if (records.length === 0) return 'No ledger records. (Ledger: `--ledger DIR|URL` or CDKTF_KEYFACTOR_LEDGER to read another one; `ledger where` says which it reads)';
  const rows = records.map((r) => [
    r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    r.stack,
    r.constructPath + (r.instanceKey ? ` [${r.instanceKey}]` : ''),
    r.operation,
    r.phase,
    r.outcome,
    r.jobIds.join(' ') || '-',
    // Why it failed or was skipped, the wait's warnings: one line, last, so the table stays aligned.
    (r.message ?? '').replace(/\s*\n\s*/g, ' '),
  ]);
  return table(['STARTED', 'STACK', 'CONSTRUCT', 'OPERATION', 'PHASE', 'OUTCOME', 'JOB GUIDS', 'MESSAGE'], rows);
}

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
