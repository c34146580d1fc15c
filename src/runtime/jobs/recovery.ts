/**
 * After an ambiguous POST (sent, outcome unknown): find the job it may have created in JobHistory,
 * or fail saying exactly what may exist. The request is never sent again.
 */
import { findNewJobs, JobHistoryRow } from './history';
import { AmbiguousRequestError } from '../api/client';
import type { RunContext } from '../context';
import { RunnerError } from '../errors';
import { readLedgerDir } from '../ledger';

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

/** Jobs of `jobType` on each store, started since the request was sent (minus 5 s of clock skew). */
export async function findJobsSince(
  ctx: RunContext, e: AmbiguousRequestError, jobType: string, stores: StoreFacts[],
): Promise<Record<string, JobHistoryRow>> {
  const timing = ctx.settings.jobLookup;
  const targets = stores.filter((s) => s.agentId && s.storePath !== undefined)
    .map((s) => ({ key: s.id, agentId: s.agentId!, storePath: s.storePath!, clientMachine: s.clientMachine }));
  if (targets.length === 0) return {};
  const { found } = await findNewJobs(ctx.client, { jobType, since: e.sentAt, targets, exclude: recordedJobIds(ctx), ...timing });
  return found;
}

/**
 * The job an ambiguous Add or Remove created on `storeId`, from JobHistory; otherwise throws the
 * message saying what may have been created. `what` is e.g. "add certificate 1".
 */
export async function recoverStoreJob(ctx: RunContext, e: AmbiguousRequestError, storeId: string, what: string): Promise<string> {
  ctx.log(`${e.message} Looking in JobHistory for the job it may have created.`);
  let store: StoreFacts = { id: storeId };
  let why: string;
  try {
    store = await readStore(ctx, storeId);
    const row = (await findJobsSince(ctx, e, 'Management', [store]))[storeId];
    if (row?.JobId) {
      ctx.log(`recovered: ${e.method} ${e.path} did reach Command: its job ${row.JobId} (OperationStart ${row.OperationStart}) is in JobHistory; not sending it again`);
      return row.JobId;
    }
    why = store.agentId && store.storePath !== undefined
      ? `no new Management job on that store appeared in JobHistory within ${ctx.settings.jobLookup.timeoutMs / 1000}s`
      : `GET /CertificateStores/${storeId} gave no AgentId or Storepath to look the job up`;
  } catch (err) {
    why = `the JobHistory lookup failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  throw mayHaveCreated(e, `a Management job to ${what} on store ${describeStore(store)}`, 'Management', [store], why);
}

/** The failure after an ambiguous request whose result could not be found. */
export function mayHaveCreated(e: AmbiguousRequestError, what: string, jobType: string, stores: StoreFacts[], why: string): RunnerError {
  const from = new Date(e.sentAt.getTime() - 5000).toISOString();
  const where = stores.map((s) => [s.agentId && `AgentId ${s.agentId}`, s.storePath !== undefined && `StorePath ${JSON.stringify(s.storePath)}`]
    .filter(Boolean).join(', ') || `store ${s.id}`).join('; ') || 'the stores involved';
  return new RunnerError(`${e.message} The request may have created ${what}; ${why}. ` +
    `Check JobHistory for a ${jobType} job (${where}, OperationStart >= ${from}) before re-applying: re-applying sends the request again.`);
}

/** Job GUIDs already in the ledger (e.g. a Remove just before an Add on the same store): never taken for ours. */
function recordedJobIds(ctx: RunContext): string[] {
  try {
    return readLedgerDir(ctx.ledgerDirectory).flatMap((r) => r.jobIds ?? []);
  } catch {
    return [];
  }
}
