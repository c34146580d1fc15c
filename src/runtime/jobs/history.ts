/**
 * GET /OrchestratorJobs/JobHistory: querying it, and finding the jobs a request just created
 * when Command does not return their GUIDs (PFX replacement returns store ids, reenrollment
 * returns nothing).
 *
 * Kept free of operation specifics so that waiting for jobs to finish can be built on
 * `queryJobHistory` too.
 */
import { GUID } from '../../contract/guid';
import { KeyfactorClient } from '../api/client';
import { KeyfactorApiError, RunnerError } from '../errors';
import { scheduledJobRows } from './scheduled';

/** Command's JobHistory Status and Result codes, by name (as Command's UI shows them). */
const STATUS_NAMES = ['Unknown', 'Waiting', 'InProcess', 'Completed', 'Acknowledged', 'CompletedWillRetry'];
const RESULT_NAMES = ['Unknown', 'InProcess', 'Success', 'Warning', 'Failure'];
export const statusName = (code: number | undefined): string => STATUS_NAMES[code ?? 0] ?? `Status ${code}`;
export const resultName = (code: number): string => RESULT_NAMES[code] ?? `Result ${code}`;

/** One JobHistoryResponse row (the fields the runner reads; all optional as in the spec). */
export interface JobHistoryRow {
  readonly JobHistoryId?: number;
  readonly JobId?: string;
  readonly JobType?: string | null;
  readonly AgentMachine?: string | null;
  readonly OperationStart?: string;
  readonly OperationEnd?: string | null;
  readonly Message?: string | null;
  /** 0 Unknown, 1 in progress, 2 Success, 3 Warning, 4 Failure. */
  readonly Result?: number;
  /** 0 Unknown, 1 Waiting, 2 InProcess, 3 Completed, 4 Acknowledged, 5 CompletedWillRetry. */
  readonly Status?: number;
  readonly StorePath?: string | null;
  readonly ClientMachine?: string | null;
  readonly [field: string]: unknown;
}

/** Paging and sorting of a JobHistory query (Command's common list parameters). */
export interface JobHistoryPaging {
  /** 1-based page number (`PageReturned`); Command's default is 1. */
  readonly pageReturned?: number;
  /** Rows per page (`ReturnLimit`); Command's default is 50. */
  readonly returnLimit?: number;
  /** Field to sort by (`SortField`), e.g. `OperationStart`. */
  readonly sortField?: string;
  /** true: ascending (`SortAscending=0`); false: descending (`SortAscending=1`). */
  readonly sortAscending?: boolean;
}

export interface JobHistoryPage {
  readonly rows: JobHistoryRow[];
  /** The `x-total-count` header: rows matching the query before paging (undefined if absent). */
  readonly totalCount?: number;
}

/** One page of GET /OrchestratorJobs/JobHistory for a QueryString (see the docs' filter syntax). */
export async function queryJobHistory(client: KeyfactorClient, queryString: string, paging: JobHistoryPaging = {}): Promise<JobHistoryPage> {
  const res = await client.request<unknown>('GET', '/OrchestratorJobs/JobHistory', {
    query: {
      QueryString: queryString,
      PageReturned: paging.pageReturned,
      ReturnLimit: paging.returnLimit,
      SortField: paging.sortField,
      SortAscending: paging.sortAscending === undefined ? undefined : paging.sortAscending ? 0 : 1,
    },
  });
  if (!Array.isArray(res.data) || !res.data.every((r) => r !== null && typeof r === 'object')) {
    throw new KeyfactorApiError(`GET /OrchestratorJobs/JobHistory: HTTP ${res.status} but the body is not a list of job history rows: ${JSON.stringify(res.data)?.slice(0, 200)}`, res.status);
  }
  const header = res.headers['x-total-count'];
  const total = header === undefined ? undefined : Number(header);
  return { rows: res.data as JobHistoryRow[], totalCount: Number.isFinite(total) ? total : undefined };
}

/**
 * Every row of a query, newest `OperationStart` first, paging up to `maxRows`: at most
 * ceil(maxRows / pageSize) requests, even from a server that ignores `PageReturned`.
 */
export async function queryAllJobHistory(client: KeyfactorClient, queryString: string, maxRows = 1000, pageSize = 100): Promise<JobHistoryRow[]> {
  const rows: JobHistoryRow[] = [];
  for (let page = 1; rows.length < maxRows; page++) {
    const res = await queryJobHistory(client, queryString, { pageReturned: page, returnLimit: pageSize, sortField: 'OperationStart', sortAscending: false });
    rows.push(...res.rows);
    if (res.rows.length < pageSize || (res.totalCount !== undefined && rows.length >= res.totalCount)) break;
  }
  return rows.slice(0, maxRows);
}

/** A string value for a QueryString: double-quoted, with `"` and `\` escaped. */
export function queryValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Where a job is expected: one job per target. */
export interface JobTarget {
  /** The caller's name for the target (e.g. the certificate store GUID). */
  readonly key: string;
  /** Orchestrator GUID (`AgentId`) of the store. */
  readonly agentId: string;
  /** The store's path (`Storepath` of the store, `StorePath` of the history row). */
  readonly storePath: string;
  /** The store's client machine; when given, the row's `ClientMachine` must match too. */
  readonly clientMachine?: string;
}

export interface FindNewJobsOptions {
  /** Job type to look for: `Management`, `Reenrollment`, ... */
  readonly jobType: string;
  /** A time noted just before the request that created the jobs. */
  readonly since: Date;
  /** One job is expected per target. */
  readonly targets: readonly JobTarget[];
  /** Job GUIDs never to match (e.g. ones already attributed elsewhere). */
  readonly exclude?: Iterable<string>;
  /**
   * Of the job GUIDs a query returned (lower case), those never to match either, asked once per
   * GUID: the ones a ledger record already holds.
   */
  readonly excluded?: (jobIds: string[]) => Promise<ReadonlySet<string>>;
  /** Allowance for the difference between our clock and Command's. @default 5000 */
  readonly clockSkewMs?: number;
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Time between queries. */
  readonly intervalMs: number;
  /** For tests and a later bounded wait: how to pause. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Take the oldest matching row, not the newest: the first job after `since` is the one a request
   * sent right after it created, when `since` lies far back (an interrupted earlier run).
   * @default false
   */
  readonly oldestFirst?: boolean;
  /**
   * Only jobs whose OperationStart is at most this (with the clock skew allowance).
   * @default - no upper bound
   */
  readonly until?: Date;
  /**
   * Look in ScheduledJobs too: a job with a schedule other than Immediate waits there, and
   * JobHistory lists it only once it runs (rows found there carry `scheduled: true`).
   * @default false
   */
  readonly scheduled?: boolean;
}

export interface FoundJobs {
  /** Target key -> the matching history row. */
  readonly found: Record<string, JobHistoryRow>;
  /** Targets no row was found for before the time limit. */
  readonly missing: JobTarget[];
  /** How many JobHistory queries were made. */
  readonly queries: number;
}

/**
 * Finds the jobs a request just created, for APIs that do not return job GUIDs.
 *
 * Matching rule: for each agent, query JobHistory with
 * `JobType -eq "<jobType>" AND AgentId -eq "<agent>" AND OperationStart -ge "<since - skew>"`
 * (newest first); a target's job is the newest row whose `StorePath` (and `ClientMachine`,
 * when known) equal the store's, case-insensitively, and whose JobId is not excluded or taken
 * by another target. The store path is compared here rather than in the QueryString because
 * Command documents `StorePath` as a row field but not as a query field.
 *
 * Queries again every `intervalMs` until every target has a job or `timeoutMs` has passed (no
 * round starts after that, and each reads at most queryAllJobHistory's pages per agent); never
 * throws for "not found" (see `missing`), only for API errors.
 */
export async function findNewJobs(client: KeyfactorClient, options: FindNewJobsOptions): Promise<FoundJobs> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const from = new Date(options.since.getTime() - (options.clockSkewMs ?? 5000)).toISOString();
  const taken = new Set([...(options.exclude ?? [])].map((id) => id.toLowerCase()));
  const asked = new Set<string>();
  const found: Record<string, JobHistoryRow> = {};
  const deadline = Date.now() + Math.max(0, options.timeoutMs);
  let queries = 0;
  for (const t of options.targets) {
    if (!GUID.test(t.agentId)) throw new RunnerError(`job lookup: agent id ${JSON.stringify(t.agentId)} of ${t.key} is not a GUID`);
  }
  for (;;) {
    const missing = options.targets.filter((t) => !found[t.key]);
    // Not listed by agent: matched by store path and machine below, like the history rows.
    const waiting = options.scheduled && missing.length ? await scheduledJobRows(client, options.jobType, from) : [];
    if (options.scheduled && missing.length) queries++;
    for (const agentId of new Set(missing.map((t) => t.agentId.toLowerCase()))) {
      const q = `JobType -eq ${queryValue(options.jobType)} AND AgentId -eq ${queryValue(agentId)} AND OperationStart -ge ${queryValue(from)}`;
      const rows = [...await queryAllJobHistory(client, q), ...waiting];
      queries++;
      const latest = options.until ? options.until.getTime() + (options.clockSkewMs ?? 5000) : Infinity;
      const ordered = rows.filter((r) => timeOf(r) <= latest).sort((a, b) => (options.oldestFirst ? timeOf(a) - timeOf(b) : timeOf(b) - timeOf(a)));
      if (options.excluded) {
        const fresh = [...new Set(ordered.map((r) => (typeof r.JobId === 'string' ? r.JobId.toLowerCase() : '')))].filter((id) => id && !asked.has(id));
        fresh.forEach((id) => asked.add(id));
        if (fresh.length) (await options.excluded(fresh)).forEach((id) => taken.add(id.toLowerCase()));
      }
      for (const t of missing.filter((m) => m.agentId.toLowerCase() === agentId)) {
        const row = ordered.find((r) => typeof r.JobId === 'string' && !taken.has(r.JobId.toLowerCase()) && matches(r, t));
        if (row) {
          found[t.key] = row;
          taken.add(row.JobId!.toLowerCase());
        }
      }
    }
    const stillMissing = options.targets.filter((t) => !found[t.key]);
    if (stillMissing.length === 0 || Date.now() + options.intervalMs > deadline) {
      return { found, missing: stillMissing, queries };
    }
    await sleep(options.intervalMs);
  }
}

function matches(row: JobHistoryRow, target: JobTarget): boolean {
  const same = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
  return same(row.StorePath, target.storePath) && (target.clientMachine === undefined || same(row.ClientMachine, target.clientMachine));
}

function timeOf(row: JobHistoryRow): number {
  const t = typeof row.OperationStart === 'string' ? Date.parse(row.OperationStart) : NaN;
  return Number.isNaN(t) ? -Infinity : t;
}
