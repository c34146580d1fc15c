import type { LedgerRecord } from '../contract/ledger-record';
import { Ledger } from '../runtime/ledger';

export interface OutputsOptions {
  readonly ledger?: string;
  readonly json?: boolean;
  readonly stack?: string;
  readonly path?: string;
}

/** Records filtered by stack and construct path (a prefix: a scope selects everything below it). */
export function selectRecords(options: OutputsOptions): LedgerRecord[] {
  return Ledger.read(options.ledger).filter((r) =>
    (!options.stack || r.stack === options.stack) &&
    (!options.path || r.constructPath === options.path || r.constructPath.startsWith(options.path.replace(/\/$/, '') + '/')),
  );
}

/** `cdktf-keyfactor outputs`: the ledger as a table, or as JSON with `--json`. */
export function formatOutputs(records: LedgerRecord[], json: boolean): string {
  if (json) return JSON.stringify({ records }, null, 2);
  if (records.length === 0) return 'No ledger records. (Ledger: ' + '`--ledger DIR` or CDKTF_KEYFACTOR_LEDGER_DIR to read another location)';
  const rows = records.map((r) => [
    r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    r.stack,
    r.constructPath + (r.instanceKey ? ` [${r.instanceKey}]` : ''),
    r.operation,
    r.phase,
    r.outcome,
    r.jobIds.join(' ') || '-',
  ]);
  return table(['STARTED', 'STACK', 'CONSTRUCT', 'OPERATION', 'PHASE', 'OUTCOME', 'JOB GUIDS'], rows);
}

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
