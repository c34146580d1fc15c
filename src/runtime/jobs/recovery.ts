/**
 * When the outcome of a job-creating request is unknown, find the job it may have created in
 * JobHistory instead of sending it again: after an ambiguous answer (sent, answer lost), and
 * before sending, when an earlier run of the same instance stopped after it may have sent it.
 */
import { findNewJobs, JobHistoryRow } from './history';
import { AmbiguousRequestError } from '../api/client';
import type { EarlierAttempt, RunContext } from '../context';
import { MayHaveActedError, RunnerError } from '../errors';
import { requestTimeoutMs, retryPolicy } from '../settings';

export interface StoreFacts {
  readonly id: string;
  readonly agentId?: string;
  readonly storePath?: string;
  readonly clientMachine?: string;
}

/** GET /CertificateStores/{id}: what a JobHistory row of the store carries. */
export async function readStore(ctx: RunContext, id: string): Promise<StoreFacts> {
  const s = (await ctx.client.request<Record<string, unknown>>('GET', `/CertificateStores/${id}`)).data ?? {};
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return { id, agentId: str(s.AgentId), storePath: str(s.Storepath), clientMachine: str(s.ClientMachine) };
}

export function describeStore(s: StoreFacts): string {
  return s.clientMachine || s.storePath ? `${s.id} (${[s.clientMachine, s.storePath].filter(Boolean).join(' ')})` : s.id;
}

/** How to look: for how long, and which of several matching jobs to take. */
export interface LookupOptions {
  /** @default the job lookup setting */
  readonly timeoutMs?: number;
  /** Take the first job after `since` (see FindNewJobsOptions). */
  readonly oldestFirst?: boolean;
  /** Only jobs started by then. */
  readonly until?: Date;
  /** The request had a schedule other than Immediate: look in ScheduledJobs too (FindNewJobsOptions.scheduled). */
  readonly scheduled?: boolean;
}

/** Jobs of `jobType` on each store, started since `since` (minus 5 s of clock skew). */
export async function findJobsSince(
  ctx: RunContext, since: Date, jobType: string, stores: StoreFacts[], options: LookupOptions = {},
): Promise<Record<string, JobHistoryRow>> {
  const targets = stores.filter((s) => s.agentId && s.storePath !== undefined)
    .map((s) => ({ key: s.id, agentId: s.agentId!, storePath: s.storePath!, clientMachine: s.clientMachine }));
  if (targets.length === 0) return {};
  const { found } = await findNewJobs(ctx.client, {
    jobType,
    since,
    targets,
    excluded: (ids) => recordedJobs(ctx, ids),
    intervalMs: ctx.settings.jobLookup.intervalMs,
    ...options,
    timeoutMs: options.timeoutMs ?? ctx.settings.jobLookup.timeoutMs,
  });
  return found;
}

/** The `jobType` job on one store since `since`, if JobHistory has it; `why` says why not. Throws when the lookup fails. */
async function storeJobSince(
  ctx: RunContext, since: Date, storeId: string, jobType: string, options: LookupOptions = {},
): Promise<{ store: StoreFacts; row?: JobHistoryRow; why: string }> {
  const store = await readStore(ctx, storeId);
  if (!store.agentId || store.storePath === undefined) {
    return { store, why: `GET /CertificateStores/${storeId} gave no AgentId or Storepath to look the job up` };
  }
  const timeoutMs = options.timeoutMs ?? ctx.settings.jobLookup.timeoutMs;
  const row = (await findJobsSince(ctx, since, jobType, [store], { ...options, timeoutMs }))[storeId];
  return { store, row: row?.JobId ? row : undefined, why: `no new ${jobType} job on that store appeared in JobHistory within ${timeoutMs / 1000}s` };
}

/**
 * The job an ambiguous Add or Remove created on `storeId`, from JobHistory; otherwise throws the
 * message saying what may have been created. `what` is e.g. "add certificate 1".
 */
export async function recoverStoreJob(
  ctx: RunContext, e: AmbiguousRequestError, storeId: string, what: string, scheduledFor?: string,
): Promise<string> {
  ctx.log(`${e.message} Looking in ${scheduledFor ? 'ScheduledJobs and ' : ''}JobHistory for the job it may have created.`);
  let store: StoreFacts = { id: storeId };
  let why: string;
  try {
    const found = await storeJobSince(ctx, e.sentAt, storeId, 'Management', { scheduled: scheduledFor !== undefined });
    store = found.store;
    if (found.row) {
      ctx.log(`recovered: ${e.method} ${e.path} did reach Command: its job ${found.row.JobId} ${foundWhere(found.row)}; not sending it again`);
      return found.row.JobId!;
    }
    why = found.why;
  } catch (err) {
    why = `the JobHistory lookup failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  throw mayHaveCreated(e, `a Management job to ${what} on store ${describeStore(store)}`, 'Management', [store], why);
}

/**
 * Before sending a request that creates one `jobType` job on `storeId`: when an earlier run of
 * this instance may have sent it, the job it created (its recorded GUIDs, else JobHistory), so
 * that it is never created twice. undefined: Command has no such job, send the request.
 * Throws (nothing sent) when JobHistory cannot be asked.
 */
export async function earlierStoreJob(
  ctx: RunContext, storeId: string, what: string, jobType = 'Management', scheduledFor?: string,
): Promise<{ jobIds: string[]; recovered: Record<string, unknown> } | undefined> {
  const earlier = ctx.earlierAttempt();
  if (!earlier) return undefined;
  const recovered = { reconciledFrom: earlier.recordIds };
  if (earlier.jobIds.length) {
    ctx.log(`reconciled: the earlier run had received job ${earlier.jobIds.join(', ')} from Command; not sending the request again`);
    await ctx.settleEarlier(`Command had returned job ${earlier.jobIds.join(', ')}, recorded again by the run that found it`);
    return { jobIds: earlier.jobIds, recovered };
  }
  let found;
  try {
    // The first job after the earlier run sent, and no later than its retries could have: a later one is somebody else's.
    // A scheduled job is in ScheduledJobs until it runs, in JobHistory after: both are asked.
    found = await storeJobSince(ctx, earlier.since, storeId, jobType, { ...earlierLookup(ctx, earlier), scheduled: scheduledFor !== undefined });
  } catch (err) {
    throw cannotReconcile(earlier, what, err);
  }
  if (found.row) {
    ctx.log(`reconciled: the earlier run's request did reach Command: its job ${found.row.JobId} ${foundWhere(found.row)}; not sending it again`);
    await ctx.settleEarlier(`its job ${found.row.JobId} was found in JobHistory, recorded by the run that found it`);
    const listed = found.row.scheduled === true ? { fromScheduledJobs: true } : { fromJobHistory: true };
    return { jobIds: [found.row.JobId!], recovered: { ...recovered, ...listed } };
  }
  if (!found.store.agentId || found.store.storePath === undefined) throw cannotReconcile(earlier, what, new Error(found.why));
  ctx.log(`the earlier run's request created no ${jobType} job on store ${describeStore(found.store)} (JobHistory since ${earlier.since.toISOString()}): sending it now`);
  await ctx.settleEarlier(`JobHistory shows no ${jobType} job it created, so Command did not act on it; the request was sent again`);
  return undefined;
}

/** Where a found job was listed, for the log. */
function foundWhere(row: JobHistoryRow): string {
  return row.scheduled === true ? `(requested ${row.OperationStart}) is in ScheduledJobs, waiting for its schedule` : `(OperationStart ${row.OperationStart}) is in JobHistory`;
}

/**
 * How long to look for an earlier run's job: a request sent just now may still be on its way to
 * JobHistory; one sent longer ago than the lookup window is there or was never processed.
 */
export function lookupWindowMs(ctx: RunContext, earlier: EarlierAttempt): number {
  return Math.max(0, earlier.lastSentAt.getTime() + ctx.settings.jobLookup.timeoutMs - Date.now());
}

/** How to look for an earlier run's job: within its window, the first one, started no later than it could have sent. */
export function earlierLookup(ctx: RunContext, earlier: EarlierAttempt): LookupOptions {
  return { timeoutMs: lookupWindowMs(ctx, earlier), oldestFirst: true, until: latestSend(ctx, earlier) };
}

/** The latest an earlier run's request can have been sent: its last send plus the retry budget and one request's time limit. */
export function latestSend(ctx: RunContext, earlier: EarlierAttempt): Date {
  return new Date(earlier.lastSentAt.getTime() + retryPolicy(ctx.settings.env).budgetMs + requestTimeoutMs(ctx.settings.env));
}

/** Reconciling failed: nothing is sent, and the run says how to go on. */
export function cannotReconcile(earlier: EarlierAttempt, what: string, err: unknown, unanswerable = false): MayHaveActedError {
  const records = earlier.recordIds.join(', ');
  const next = unanswerable
    ? `Check Command for that job; if it does not exist, move ledger record ${records} out of the ledger directory and apply again to send the request.`
    : 'Apply again once Keyfactor Command answers: the check runs first.';
  return new MayHaveActedError(`an earlier run (ledger record ${records}) stopped after it may have sent the request to ${what}, ` +
    `and Command ${unanswerable ? 'cannot tell' : 'could not be asked'} whether it did (${err instanceof Error ? err.message : String(err)}). Nothing was sent. ${next}`);
}

/** The failure after an ambiguous request whose result could not be found. */
export function mayHaveCreated(e: AmbiguousRequestError, what: string, jobType: string, stores: StoreFacts[], why: string): RunnerError {
  const from = new Date(e.sentAt.getTime() - 5000).toISOString();
  const where = stores.map((s) => [s.agentId && `AgentId ${s.agentId}`, s.storePath !== undefined && `StorePath ${JSON.stringify(s.storePath)}`]
    .filter(Boolean).join(', ') || `store ${s.id}`).join('; ') || 'the stores involved';
  return new MayHaveActedError(`${e.message} The request may have created ${what}; ${why}. ` +
    `A ${jobType} job (${where}, OperationStart >= ${from}) may exist: the next apply looks for it in JobHistory again before sending anything.`);
}

/**
 * Of `jobIds`, those another record of the ledger holds (e.g. a Remove just before an Add on the
 * same store): never taken for ours. Every record's, of any age: a scheduled job recorded days ago
 * may run in this window. Not the records being reconciled (this run's, the earlier runs'): a job
 * one of them got as far as marking is the one being looked for. Asked only after an ambiguous
 * answer or an interrupted run, for the GUIDs JobHistory shows.
 */
async function recordedJobs(ctx: RunContext, jobIds: string[]): Promise<ReadonlySet<string>> {
  const ours = new Set([ctx.record, ...ctx.earlier].map((h) => h?.current.recordId));
  // The store's, and those still only on this machine (waiting for the store, or from before it).
  // One that cannot be asked fails the lookup: taking another record's job for ours would send nothing.
  const stores = [ctx.ledger.store, ctx.ledger.unsent, ctx.ledger.local].filter((s) => s !== undefined);
  const held = await Promise.all(stores.map((s) => s.recordedJobs(jobIds)));
  return new Set(held.flatMap((m) => [...m]).filter(([, recordId]) => !ours.has(recordId)).map(([jobId]) => jobId));
}
