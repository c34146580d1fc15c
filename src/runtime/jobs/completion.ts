/**
 * Waiting for orchestrator jobs to finish: one GET /OrchestratorJobs/JobHistory per poll covers all of a
 * construct's job GUIDs (`JobId -eq "a" OR JobId -eq "b" ...`), split into several requests
 * only when the query string would get too long for the server, and paged (never past `pageCap`,
 * nor past the wait's deadline after the first page).
 */
import { DeliveryTarget, verifyDelivery } from './delivery';
import { JobHistoryRow, queryJobHistory, statusName } from './history';
import { GUID } from '../../contract/guid';
import type { KeyfactorSchedule, WaitSpec } from '../../contract/spec';
import { KeyfactorClient } from '../api/client';
import type { RunContext } from '../context';
import { RunnerError } from '../errors';

export type { JobHistoryRow };

export type JobState = 'pending' | 'retrying' | 'success' | 'warning' | 'failure' | 'unknown';

export interface JobStatus {
  readonly jobId: string;
  readonly state: JobState;
  readonly row?: JobHistoryRow;
}

/** Status 3 Completed and 4 Acknowledged are final; 5 CompletedWillRetry is not. */
export function stateOf(row: JobHistoryRow | undefined): JobState {
  if (!row) return 'pending';
  if (row.Status === 5) return 'retrying';
  if (row.Status !== 3 && row.Status !== 4) return 'pending';
  switch (row.Result) {
    case 2: return 'success';
    case 3: return 'warning';
    case 4: return 'failure';
    default: return 'unknown';
  }
}

const jobIdQuery = (ids: string[]) => ids.map((id) => `JobId -eq "${id}"`).join(' OR ');

/** Splits GUIDs into OR-queries whose encoded length stays within `limit`. */
export function jobIdQueries(jobIds: string[], limit: number): string[] {
  return jobIdChunks(jobIds, limit).map(jobIdQuery);
}

/**
 * Every JobId query is built from these chunks. The GUIDs come from the ledger, which anyone with
 * write access can edit: anything but a GUID would change the query.
 */
function jobIdChunks(jobIds: string[], limit: number): string[][] {
  const bad = jobIds.filter((id) => !GUID.test(id));
  if (bad.length) {
    throw new RunnerError(`${bad.length} job id(s) read from the ledger are not GUIDs, so they are not sent in a JobHistory query: ` +
      `${bad.slice(0, 3).map((id) => JSON.stringify(id.slice(0, 60))).join(', ')}. A ledger record was edited or damaged: fix or remove it.`);
  }
  const chunks: string[][] = [];
  let current: string[] = [];
  for (const id of jobIds) {
    if (current.length > 0 && encodeURIComponent(jobIdQuery([...current, id])).length > limit) {
      chunks.push(current);
      current = [];
    }
    current.push(id);
  }
  if (current.length) chunks.push(current);
  return chunks;
}

const PAGE_SIZE = 100;
/** A job has one history row per run (a retry adds one): more than this per job means a server ignoring the query. */
const MAX_ROWS_PER_JOB = 10;

/** Pages read for one query of `jobs` GUIDs, at most: a server that ignores the query or `PageReturned` cannot keep us paging. */
export function pageCap(jobs: number): number {
  return Math.max(1, Math.ceil((jobs * MAX_ROWS_PER_JOB) / PAGE_SIZE));
}

/** Where a wait's jobs sit in JobHistory: their category and a time before any of them was created. */
export interface JobWindow {
  /** `Management`, `Reenrollment`, ... (the documented JobType query values). */
  readonly jobType: string;
  /** Just before the first job-creating request (our clock). */
  readonly since: Date;
}

/** Allowance for our clock running ahead of Command's; a job outside the window is still asked for by GUID. */
const WINDOW_MARGIN_MS = 10 * 60_000;
const MAX_WINDOW_PAGE = 1000;

/**
 * Current status of each job. GUIDs that fit one query (`maxQueryLength`, the longest URL-encoded
 * QueryString per request, settings.ts) are asked for by GUID: one request, paged by 100 rows up
 * to `pageCap`. More, with a `window`: one request for the window's rows (`JobType` and
 * `OperationStart`, newest first, pages of up to 1,000 rows) filtered here, then GUID queries only
 * for jobs not found in it. Past `deadline` (ms since the epoch) only first pages are read.
 */
export async function fetchJobStatuses(
  client: KeyfactorClient, jobIds: string[], maxQueryLength: number, deadline = Infinity, window?: JobWindow,
): Promise<JobStatus[]> {
  const newest = new Map<string, JobHistoryRow>();
  const keep = (row: JobHistoryRow) => {
    const id = row.JobId?.toLowerCase();
    if (!id) return;
    const seen = newest.get(id);
    // A job can have several history rows (one per run or retry): the newest one counts.
    if (!seen || (row.JobHistoryId ?? 0) > (seen.JobHistoryId ?? 0)) newest.set(id, row);
  };
  let asked = jobIds;
  if (window && jobIdChunks(jobIds, maxQueryLength).length > 1) {
    const wanted = new Set(jobIds.map((id) => id.toLowerCase()));
    const from = new Date(window.since.getTime() - WINDOW_MARGIN_MS).toISOString();
    const query = `JobType -eq "${window.jobType}" AND OperationStart -ge "${from}"`;
    const limit = Math.min(MAX_WINDOW_PAGE, Math.max(PAGE_SIZE, 2 * jobIds.length));
    const pages = Math.max(1, Math.ceil((jobIds.length * MAX_ROWS_PER_JOB) / limit));
    for (let page = 1; page <= pages && (page === 1 || Date.now() < deadline); page++) {
      const { rows } = await queryJobHistory(client, query, { pageReturned: page, returnLimit: limit, sortField: 'JobHistoryId', sortAscending: false });
      rows.filter((r) => wanted.has(r.JobId?.toLowerCase() ?? '')).forEach(keep);
      if (rows.length < limit || newest.size === wanted.size) break;
    }
    asked = jobIds.filter((id) => !newest.has(id.toLowerCase()));
  }
  for (const chunk of jobIdChunks(asked, maxQueryLength)) {
    const pages = pageCap(chunk.length);
    for (let page = 1; page <= pages && (page === 1 || Date.now() < deadline); page++) {
      const { rows, totalCount } = await queryJobHistory(client, jobIdQuery(chunk), {
        pageReturned: page, returnLimit: PAGE_SIZE, sortField: 'JobHistoryId', sortAscending: false,
      });
      rows.forEach(keep);
      if (rows.length < PAGE_SIZE || (totalCount !== undefined && page * PAGE_SIZE >= totalCount)) break;
    }
  }
  return jobIds.map((jobId) => {
    const row = newest.get(jobId.toLowerCase());
    return { jobId, state: stateOf(row), row };
  });
}

export interface WaitTarget {
  readonly jobId: string;
  /** What the job acts on, for messages (e.g. the store GUID). */
  readonly subject: string;
  /** What to do if this job fails (e.g. the `terraform apply -replace=...` that re-runs it). */
  readonly hint?: string;
}

export interface WaitOutcome {
  readonly statuses: JobStatus[];
  readonly warnings: string[];
}

const FINAL: JobState[] = ['success', 'warning', 'failure', 'unknown'];

/**
 * Whether jobs on this schedule run now. Jobs scheduled later (or recurring) are not waited
 * on: the reason is returned for the log.
 */
export function notDueReason(schedule: KeyfactorSchedule | undefined, now = Date.now()): string | undefined {
  if (!schedule || 'Immediate' in schedule) return undefined;
  if ('ExactlyOnce' in schedule) {
    const at = Date.parse(schedule.ExactlyOnce.Time);
    return at > now + 60_000 ? `the jobs are scheduled for ${schedule.ExactlyOnce.Time}: not waiting for them` : undefined;
  }
  return `the jobs run on a recurring schedule (${Object.keys(schedule)[0]}): not waiting for them`;
}

/**
 * Polls until every job is final or the timeout passes. Logs one plain line per poll
 * (jobs done of total, elapsed time). Throws a RunnerError naming failed jobs (message, store,
 * GUID) or, on timeout, the jobs still pending.
 */
export async function waitForJobs(
  client: KeyfactorClient,
  targets: WaitTarget[],
  policy: Extract<WaitSpec, { mode: 'completion' }>,
  log: (line: string) => void,
  maxQueryLength: number,
  window?: JobWindow,
): Promise<WaitOutcome> {
  const started = Date.now();
  const deadline = started + policy.timeoutSeconds * 1000;
  const targetOf = new Map(targets.map((t) => [t.jobId.toLowerCase(), t]));
  const describe = (s: JobStatus) => `job ${s.jobId} (${targetOf.get(s.jobId.toLowerCase())?.subject})`;
  for (;;) {
    const statuses = await fetchJobStatuses(client, targets.map((t) => t.jobId), maxQueryLength, deadline, window);
    const done = statuses.filter((s) => FINAL.includes(s.state));
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    const retrying = statuses.filter((s) => s.state === 'retrying').length;
    log(`waiting for jobs: ${done.length}/${statuses.length} done, ${elapsed}s elapsed${retrying ? `, ${retrying} will retry` : ''}`);
    if (done.length === statuses.length) {
      const failures = statuses.filter((s) => s.state === 'failure');
      const warnings = statuses
        .filter((s) => s.state === 'warning' || s.state === 'unknown')
        .map((s) => `${describe(s)} finished with ${s.state === 'warning' ? 'Warning' : 'no result'}: ${s.row?.Message ?? ''}`.trim());
      for (const w of warnings) log(`WARNING: ${w}`);
      if (failures.length) {
        throw new RunnerError(
          `${failures.length} of ${statuses.length} jobs failed:\n` +
            failures.map((s) => {
              const hint = targetOf.get(s.jobId.toLowerCase())?.hint;
              return `  - ${describe(s)}: ${s.row?.Message || 'no message'}${hint ? `\n    ${hint}` : ''}`;
            }).join('\n'),
        );
      }
      return { statuses, warnings };
    }
    if (Date.now() >= deadline) {
      const pending = statuses.filter((s) => !FINAL.includes(s.state));
      throw new RunnerError(
        `timed out after ${policy.timeoutSeconds}s with ${pending.length} of ${statuses.length} jobs not final ` +
          '(their GUIDs are in the ledger; `npx cdktf-keyfactor jobs --wait` follows them):\n' +
          pending.map((s) => `  - ${describe(s)}: ${s.state}${s.row?.Status !== undefined ? ` (${statusName(s.row.Status)})` : ' (no history yet)'}`).join('\n'),
      );
    }
    // The last poll happens at the deadline, so a job finishing just in time still counts.
    await new Promise((r) => setTimeout(r, Math.min(policy.pollIntervalSeconds * 1000, Math.max(0, deadline - Date.now()))));
  }
}

/**
 * Waits for `targets` when the construct's wait policy asks for it and the jobs are due now
 * (see notDueReason). Returns the warnings to report; throws on failure or timeout.
 */
export async function waitIfAsked(
  ctx: RunContext,
  wait: WaitSpec | undefined,
  targets: WaitTarget[],
  schedule?: KeyfactorSchedule,
  deliveries?: (jobEnded: (jobId: string) => string) => DeliveryTarget[],
): Promise<string[]> {
  if (wait?.mode !== 'completion' || targets.length === 0) return [];
  const notDue = notDueReason(schedule);
  if (notDue) {
    ctx.log(notDue);
    return [];
  }
  ctx.log(`waiting up to ${wait.timeoutSeconds}s for ${targets.length} job(s), polling every ${wait.pollIntervalSeconds}s`);
  const deadline = Date.now() + wait.timeoutSeconds * 1000;
  const { statuses, warnings } = await waitForJobs(ctx.client, targets, wait, (l) => ctx.log(l), ctx.settings.maxQueryLength);
  ctx.log(`all ${statuses.length} job(s) completed`);
  if (wait.verifyDelivery && deliveries) {
    await verifyDelivery(ctx.client, deliveries(jobEndedFrom(statuses)), deadline, wait.pollIntervalSeconds * 1000, (l) => ctx.log(l));
  }
  return warnings;
}

/** When each job's newest run ended, per JobHistory (its start if no end is given). */
export function jobEndedFrom(statuses: JobStatus[]): (jobId: string) => string {
  const ended = new Map(statuses.map((s) => [s.jobId.toLowerCase(), s.row?.OperationEnd ?? s.row?.OperationStart]));
  return (jobId) => ended.get(jobId.toLowerCase()) ?? new Date().toISOString();
}
