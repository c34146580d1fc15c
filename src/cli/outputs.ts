import * as path from 'path';
import { LedgerOptions, readLedgers, waitingNote } from './ledgers';
import type { LedgerOrigin, LedgerRecord } from '../contract/ledger-record';
import { instanceOf, sameOrigin } from '../runtime/ledger';
import { selectedWorkspace } from '../runtime/ledger/backend';
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
 * and by origin: with KEYFACTOR_HOSTNAME set, only records of that Command, API path and the
 * workspace Terraform uses in the record's stack directory, unless `allOrigins`. Records hidden
 * by that filter alone are counted in a note: a mistyped host must not look like an empty ledger.
 */
export async function selectRecords(options: OutputsOptions, env: NodeJS.ProcessEnv = process.env, note: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<LedgerRecord[]> {
  const current = !options.allOrigins && env[ENV.hostname]?.trim() ? origin(env) : undefined;
  const outdir = path.resolve(options.outdir ?? 'cdktf.out');
  const here = new Map<string, LedgerOrigin>();
  const originOf = (stack: string): LedgerOrigin => {
    let o = here.get(stack);
    if (!o) here.set(stack, o = { ...current!, workspace: env[ENV.workspace]?.trim() || selectedWorkspace(path.join(outdir, 'stacks', stack), env) });
    return o;
  };
  const { records, waiting } = await readLedgers(options, env);
  waitingNote(waiting).forEach(note);
  const wanted = records.filter((r) =>
    (!options.stack || r.stack === options.stack) &&
    (!options.path || r.constructPath === options.path || r.constructPath.startsWith(options.path.replace(/\/$/, '') + '/')),
  );
  const selected = current ? wanted.filter((r) => sameOrigin(r, originOf(r.stack))) : wanted;
  if (selected.length < wanted.length) {
    const shown = new Set(selected);
    const others = [...new Set(wanted.filter((r) => !shown.has(r)).map((r) => `${r.origin!.host}/${r.origin!.apiPath} workspace ${r.origin!.workspace}`))];
    const mine = [...new Set([...here.values()].map((o) => `${o.host}/${o.apiPath} workspace ${o.workspace}`))];
    note(`cdktf-keyfactor: NOTE: ${wanted.length - selected.length} record(s) of other origins not shown (this run: ${mine.join(', ')}; ` +
      `theirs: ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}); check KEYFACTOR_HOSTNAME and the workspace, or pass --all-origins`);
  }
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
