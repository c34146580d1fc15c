import { OutputsOptions, selectRecords, table } from './outputs';
import type { LedgerRecord } from '../contract/ledger-record';
import { DEFAULT_POLL_INTERVAL_SECONDS, DEFAULT_WAIT_TIMEOUT_SECONDS } from '../contract/spec';
import { KeyfactorClient } from '../runtime/api/client';
import { RunnerError } from '../runtime/errors';
import { fetchJobStatuses, waitForJobs } from '../runtime/jobs/completion';
import { resultName, statusName } from '../runtime/jobs/history';
import { instanceOf } from '../runtime/ledger';
import { SecretResolver } from '../runtime/secrets';
import { connectionSettings, maxQueryLength } from '../runtime/settings';

export interface JobsOptions extends OutputsOptions {
  readonly wait?: boolean;
  readonly timeout?: number;
  readonly interval?: number;
}


/**
 * `cdktf-keyfactor jobs`: the current status, from Command's job history, of every job GUID in
 * the ledger (one JobHistory request per poll for all of them); `--wait` blocks until all are
 * final. Returns the process exit code: 1 when a job failed or the wait timed out.
 */
export async function runJobs(options: JobsOptions, env: NodeJS.ProcessEnv, write: (text: string) => void): Promise<number> {
  const subjects = new Map<string, string>();
  const stores = new Map<string, string>();
  const records = await selectRecords(options, env);
  // Only the jobs of each instance's newest record decide the exit status: a failure that a later
  // apply replaced, or whose construct was destroyed or forgotten since, is history, shown as such.
  // A wait's record repeats the jobs it awaited: they are its construct's instances' to decide.
  const own = records.filter((r) => r.operation !== 'JobWait');
  const newest = new Map(own.map((r) => [instanceOf(r), r]));
  const current = new Set(own.filter((r) => newest.get(instanceOf(r)) === r).flatMap((r) => r.jobIds));
  const owned = new Set(own.flatMap((r) => r.jobIds));
  for (const r of records) if (r.operation === 'JobWait') r.jobIds.filter((id) => !owned.has(id)).forEach((id) => current.add(id));
  for (const r of [...records.filter((x) => x.operation === 'JobWait'), ...own]) {
    for (const id of r.jobIds) {
      subjects.set(id, `${r.constructPath}${r.instanceKey ? ` [${r.instanceKey}]` : ''} (${r.phase})`);
      const store = storeOf(r.request);
      if (store) stores.set(id, store);
    }
  }
  if (subjects.size === 0) {
    write(options.json ? JSON.stringify({ jobs: [] }) : 'No job GUIDs in the ledger.');
    return 0;
  }
  const secrets = new SecretResolver(env);
  const client = new KeyfactorClient(connectionSettings(env, secrets), secrets);
  const queryLength = maxQueryLength(env);
  const ids = [...subjects.keys()];
  let failure: string | undefined;
  if (options.wait && current.size) {
    try {
      await waitForJobs(
        client,
        [...current].map((jobId) => ({ jobId, subject: subjects.get(jobId)! })),
        { mode: 'completion', timeoutSeconds: options.timeout ?? DEFAULT_WAIT_TIMEOUT_SECONDS, pollIntervalSeconds: options.interval ?? DEFAULT_POLL_INTERVAL_SECONDS },
        (line) => { if (!options.json) write(line); },
        queryLength,
      );
    } catch (e) {
      if (!(e instanceof RunnerError)) throw e;
      failure = e.message;
    }
  }
  const statuses = await fetchJobStatuses(client, ids, queryLength);
  const rows = statuses.map((s) => ({
    jobId: s.jobId,
    construct: subjects.get(s.jobId)!,
    /** A newer record of its instance (a re-run, a destroy, a forget) came after it: it no longer decides the exit status. */
    superseded: !current.has(s.jobId),
    state: s.state,
    // Where the job ran as Command's history says (a PFX replacement's jobs each have their own store), else the store the request named.
    store: s.row?.ClientMachine && s.row?.StorePath ? `${s.row.ClientMachine}:${s.row.StorePath}` : (stores.has(s.jobId) ? `store ${stores.get(s.jobId)}` : null),
    status: s.row?.Status !== undefined ? statusName(s.row.Status) : null,
    result: s.row?.Result !== undefined ? resultName(s.row.Result) : null,
    message: s.row?.Message ?? null,
    storePath: s.row?.StorePath ?? null,
    operationEnd: s.row?.OperationEnd ?? null,
  }));
  if (options.json) {
    write(JSON.stringify({ jobs: rows, ...(failure ? { error: failure } : {}) }, null, 2));
  } else {
    write(table(['JOB GUID', 'CONSTRUCT', 'STORE', 'STATUS', 'RESULT', 'MESSAGE'],
      rows.map((r) => [r.jobId, `${r.construct}${r.superseded ? ' (superseded)' : ''}`, r.store ?? '-', r.status ?? 'no history yet', r.result ?? '-', r.message ?? ''])));
    if (failure) write(`cdktf-keyfactor: ${failure}`);
  }
  return failure || statuses.some((s) => s.state === 'failure' && current.has(s.jobId)) ? 1 : 0;
}

/** The store a recorded request named: Add/Remove, store password, reenrollment. */
function storeOf(request: LedgerRecord['request'] | undefined): string | undefined {
  const id = request?.CertificateStores?.[0]?.CertificateStoreId ?? request?.CertStoreId ?? request?.KeystoreId;
  return typeof id === 'string' ? id : undefined;
}
