/**
 * GET /OrchestratorJobs/ScheduledJobs: the jobs waiting for their schedule (a weekly, daily,
 * interval or future ExactlyOnce run). JobHistory has no row for such a job until the
 * orchestrator picks it up, so a lookup for "the job my request created" must ask here too.
 */
import type { JobHistoryRow } from './history';
import { KeyfactorClient } from '../api/client';
import { KeyfactorApiError } from '../errors';

/** One `Job` of the list (the fields the runner reads; all optional as in the spec). */
export interface ScheduledJob {
  readonly Id?: string;
  readonly ClientMachine?: string | null;
  /** The store path. */
  readonly Target?: string | null;
  readonly Requested?: string | null;
  readonly JobType?: string | null;
  readonly [field: string]: unknown;
}

/**
 * Every scheduled job of `jobType` requested since `from`, newest first, as JobHistory-shaped
 * rows (`Requested` as OperationStart, `Target` as StorePath), up to `maxRows`. Command documents
 * no query fields for this list; the model's own names are used, and the time checked here too.
 */
export async function scheduledJobRows(
  client: KeyfactorClient, jobType: string, from: string, maxRows = 1000, pageSize = 100,
): Promise<JobHistoryRow[]> {
  const jobs: ScheduledJob[] = [];
  const queryString = `JobType -eq "${jobType.replace(/[\\"]/g, (c) => `\\${c}`)}" AND Requested -ge "${from}"`;
  for (let page = 1; jobs.length < maxRows; page++) {
    const res = await client.request<unknown>('GET', '/OrchestratorJobs/ScheduledJobs', {
      query: { QueryString: queryString, PageReturned: page, ReturnLimit: pageSize, SortField: 'Requested', SortAscending: 1 },
    });
    if (!Array.isArray(res.data) || !res.data.every((r) => r !== null && typeof r === 'object')) {
      throw new KeyfactorApiError(`GET /OrchestratorJobs/ScheduledJobs: HTTP ${res.status} but the body is not a list of jobs: ${JSON.stringify(res.data)?.slice(0, 200)}`, res.status);
    }
    jobs.push(...res.data as ScheduledJob[]);
    const total = Number(res.headers['x-total-count']);
    if (res.data.length < pageSize || (Number.isFinite(total) && jobs.length >= total)) break;
  }
  const since = Date.parse(from);
  return jobs.slice(0, maxRows)
    .filter((j) => typeof j.Id === 'string' && typeof j.Requested === 'string' && Date.parse(j.Requested) >= since)
    .map((j) => ({
      JobId: j.Id,
      JobType: j.JobType ?? null,
      OperationStart: j.Requested!,
      StorePath: j.Target ?? null,
      ClientMachine: j.ClientMachine ?? null,
      scheduled: true,
    }));
}
