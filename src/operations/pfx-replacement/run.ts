import type { PfxReplacementSpec } from './spec';
import { GUID } from '../../contract/guid';
import { AmbiguousRequestError } from '../../runtime/api/client';
import { OperationModule, RunContext } from '../../runtime/context';
import { KeyfactorApiError, RunnerError } from '../../runtime/errors';
import { waitIfAsked } from '../../runtime/jobs/completion';
import { findNewJobs, JobTarget } from '../../runtime/jobs/history';
import { cannotReconcile, describeStore, earlierLookup, findJobsSince, LookupOptions, mayHaveCreated, readStore, StoreFacts } from '../../runtime/jobs/recovery';
import { describeRef } from '../../runtime/secrets';

/**
 * POST /Enrollment/PFX/Replace on create; no undo.
 *
 * The API answers with store ids (`SuccessfulStores`, `FailedStores`), not job ids: the
 * management jobs it created (one per successful store) are then looked up in JobHistory.
 */
export const pfxReplacement: OperationModule<PfxReplacementSpec> = {
  async create(ctx, spec) {
    const timing = ctx.settings.jobLookup;
    const body = {
      ExistingCertificateId: spec.existingCertificateId,
      CertificateId: spec.certificateId,
      RequestId: spec.requestId,
      Password: spec.password ? ctx.secrets.resolve(spec.password, 'password') : undefined,
      JobTime: spec.jobTime,
    };
    const request = { ...body, Password: describeRef(spec.password) };

    let since = new Date();
    let successful: string[];
    let failed: string[];
    const notes: string[] = [];
    const earlier = await earlierReplacement(ctx, spec);
    if (earlier) {
      ({ since, successful, failed } = earlier);
      notes.push(earlier.note);
    } else {
      await ctx.markSending();
      since = new Date();
      try {
        const res = await ctx.client.request<unknown>('POST', '/Enrollment/PFX/Replace', { body });
        try {
          successful = storeIds(res.data, 'SuccessfulStores', res.status, ctx);
          failed = storeIds(res.data, 'FailedStores', res.status, ctx);
        } catch (bad) {
          // Accepted (2xx) but not the documented answer: the replacement may be scheduled.
          throw new AmbiguousRequestError('POST', '/Enrollment/PFX/Replace', since, (bad as Error).message, res.status);
        }
      } catch (e) {
        if (!(e instanceof AmbiguousRequestError)) throw e;
        // The answer is lost: the stores with a new management job are the successful ones.
        since = e.sentAt;
        successful = await storesWithNewJobs(ctx, spec, e);
        failed = [];
        notes.push(`Command's answer was lost (${e.reason}); SuccessfulStores come from JobHistory and FailedStores are unknown`);
      }
    }
    const replacing = spec.certificateId !== undefined ? `certificate ${spec.certificateId}` : `the certificate of request ${spec.requestId}`;
    ctx.log(`replacing certificate ${spec.existingCertificateId} with ${replacing}: scheduled in ${successful.length} store(s)${successful.length ? ` (${successful.join(', ')})` : ''}` +
      (failed.length ? `; FAILED in ${failed.length} store(s): ${failed.join(', ')}` : ''));
    // Into the ledger at once: whatever happens next, the record holds both store lists.
    await ctx.onPartialResult({ request, jobIds: [], response: { SuccessfulStores: successful, FailedStores: failed } });

    // Find the management jobs: one per successful store.
    const jobsByStore: Record<string, string> = {};
    if (successful.length > 0) {
      const stores = await Promise.all(successful.map((id) => storeInfo(ctx, id)));
      const targets: JobTarget[] = [];
      for (const s of stores) {
        if (s.agentId && s.storePath !== undefined) {
          targets.push({ key: s.id, agentId: s.agentId, storePath: s.storePath, clientMachine: s.clientMachine });
        }
      }
      const unknown = stores.filter((s) => !targets.some((t) => t.key === s.id)).map((s) => s.id);
      if (unknown.length) notes.push(`could not read store(s) ${unknown.join(', ')} to look their jobs up`);
      // A job scheduled beyond the lookup window may only reach JobHistory when it runs: look once.
      const startsLater = spec.jobTime !== undefined && Date.parse(spec.jobTime) - Date.now() > timing.timeoutMs;
      try {
        const result = await findNewJobs(ctx.client, {
          jobType: 'Management',
          since,
          targets,
          timeoutMs: startsLater ? 0 : timing.timeoutMs,
          intervalMs: timing.intervalMs,
        });
        for (const [store, row] of Object.entries(result.found)) jobsByStore[store] = row.JobId!;
        if (result.missing.length) {
          notes.push(`could not identify the management job for store(s) ${result.missing.map((t) => t.key).join(', ')} in JobHistory ` +
            `(JobType Management, their agent and store path, OperationStart >= ${since.toISOString()} minus 5 s) within ${timing.timeoutMs / 1000} s`);
        }
      } catch (e) {
        // The replacement is scheduled: a failed lookup must not fail the apply (a re-run would schedule it again).
        notes.push(`could not look the management jobs up in JobHistory: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const jobIds = successful.filter((id) => jobsByStore[id]).map((id) => jobsByStore[id]);
    for (const id of successful) if (jobsByStore[id]) ctx.log(`store ${id}: management job ${jobsByStore[id]}`);
    const response = { SuccessfulStores: successful, FailedStores: failed, JobIdsByStore: jobsByStore };
    await ctx.onPartialResult({ request, jobIds, response });

    if (failed.length > 0) {
      const details = await Promise.all(failed.map(async (id) => describeStore(await storeInfo(ctx, id))));
      const summary = `Command could not schedule the replacement for ${failed.length} of ${failed.length + successful.length} store(s): ` +
        `FailedStores [${details.join(', ')}]; SuccessfulStores [${successful.join(', ')}]` +
        (jobIds.length ? `, management jobs [${jobIds.join(', ')}]` : '');
      if (!spec.allowPartialSuccess) {
        // The ledger record already holds both store lists and the job GUIDs; main adds this message.
        throw new RunnerError(
          `${summary}. ${notes.map((n) => `Also: ${n}. `).join('')}Fix the failed stores and apply again (the replacement then runs again for every store), ` +
            'or set allowPartialSuccess to accept a partial replacement.',
        );
      }
      notes.unshift(`partial success allowed: ${summary}`);
    } else if (successful.length === 0) {
      notes.push(`no certificate store holds certificate ${spec.existingCertificateId}: nothing was replaced`);
    }
    for (const n of notes) ctx.log(`WARNING: ${n}`);
    const jobTargets = successful.filter((id) => jobsByStore[id]).map((id) => ({ jobId: jobsByStore[id], subject: `store ${id}` }));
    const hint = 'to deploy it there, add it with a CertificateDeployment (a replacement runs only for the stores holding the replaced certificate)';
    notes.push(...await waitIfAsked(ctx, spec.wait, jobTargets, spec.jobTime ? { ExactlyOnce: { Time: spec.jobTime } } : undefined,
      (jobEnded) => spec.certificateId === undefined ? [] : successful.filter((id) => jobsByStore[id]).map((id) => ({
        certificateId: spec.certificateId!, storeId: id, job: { jobId: jobsByStore[id], ended: jobEnded(jobsByStore[id]) }, hint,
      }))));
    return { request, jobIds, response, message: notes.length ? `WARNING: ${notes.join('; ')}` : undefined };
  },
};

function storeIds(data: unknown, field: 'SuccessfulStores' | 'FailedStores', status: number, ctx: RunContext): string[] {
  const value = data && typeof data === 'object' ? (data as Record<string, unknown>)[field] : undefined;
  // One list may be null or absent; an object with neither is not the documented answer.
  const documented = !!data && typeof data === 'object' && ('SuccessfulStores' in data || 'FailedStores' in data);
  if (value === undefined || value === null) {
    if (documented) return [];
  } else if (Array.isArray(value) && value.every((x) => typeof x === 'string' && GUID.test(x))) {
    return (value as string[]).map((x) => x.toLowerCase());
  }
  // Redacted before it is cut: an answer echoing the request must not show the start of the password.
  throw new KeyfactorApiError(`POST /Enrollment/PFX/Replace: HTTP ${status} but ${field} is not a list of store GUIDs: ${ctx.secrets.redact(JSON.stringify(data) ?? '').slice(0, 300)}`, status);
}

/** The agent, path and machine to match a store's JobHistory rows; best effort (the replacement is already scheduled). */
async function storeInfo(ctx: RunContext, id: string): Promise<StoreFacts> {
  try {
    return await readStore(ctx, id);
  } catch (e) {
    ctx.log(`WARNING: could not read certificate store ${id}: ${e instanceof Error ? e.message : String(e)}`);
    return { id };
  }
}

/**
 * After an ambiguous POST: the stores holding the existing certificate (or the new one, if the
 * replacement already ran) that have a new management job. None found: fails with what may exist.
 */
async function storesWithNewJobs(ctx: RunContext, spec: PfxReplacementSpec, e: AmbiguousRequestError): Promise<string[]> {
  ctx.log(`${e.message} Looking in JobHistory for the management jobs it may have created.`);
  const what = `management jobs replacing certificate ${spec.existingCertificateId}`;
  let stores: StoreFacts[] = [];
  let why: string;
  try {
    const found = await replacedStores(ctx, spec, e.sentAt, {});
    stores = found.stores;
    if (stores.length === 0) return []; // no store holds it: nothing can have been scheduled
    if (found.replaced.length) {
      ctx.log(`recovered: ${e.method} ${e.path} did reach Command: new management jobs on ${found.replaced.length} store(s) are in JobHistory; not sending it again`);
      return found.replaced;
    }
    why = 'no new Management job on those stores appeared in JobHistory';
  } catch (err) {
    why = `the lookup failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  const where = stores.length ? `on store(s) ${stores.map(describeStore).join(', ')}` : 'on the stores holding it';
  throw mayHaveCreated(e, `${what} ${where}`, 'Management', stores, why);
}

/**
 * Before sending: what an interrupted earlier run of this replacement did. Its recorded answer,
 * else the stores with a management job since it started (JobHistory); undefined: it did
 * nothing, send. Throws (nothing sent) when Command cannot be asked.
 */
async function earlierReplacement(
  ctx: RunContext, spec: PfxReplacementSpec,
): Promise<{ since: Date; successful: string[]; failed: string[]; note: string } | undefined> {
  const earlier = ctx.earlierAttempt();
  if (!earlier) return undefined;
  const answered = earlier.response;
  if (answered && Array.isArray(answered.SuccessfulStores) && Array.isArray(answered.FailedStores)) {
    await ctx.settleEarlier('Command had answered it; its answer was taken over by the run that found it');
    const note = `reconciled: taken over the answer an interrupted earlier run had received (record ${earlier.recordIds.join(', ')})`;
    return { since: earlier.since, successful: answered.SuccessfulStores, failed: answered.FailedStores, note };
  }
  if (spec.jobTime !== undefined && Date.parse(spec.jobTime) - Date.now() > ctx.settings.jobLookup.timeoutMs) {
    // JobHistory may list the scheduled jobs only once they run: absence proves nothing.
    throw cannotReconcile(earlier, `replace certificate ${spec.existingCertificateId}`, new Error(`the jobs are scheduled for ${spec.jobTime}`), true);
  }
  let found;
  try {
    found = await replacedStores(ctx, spec, earlier.since, earlierLookup(ctx, earlier));
  } catch (err) {
    throw cannotReconcile(earlier, `replace certificate ${spec.existingCertificateId}`, err);
  }
  if (found.replaced.length) {
    ctx.log(`reconciled: the earlier run's request did reach Command: new management jobs on ${found.replaced.length} store(s) are in JobHistory; not sending it again`);
    await ctx.settleEarlier(`management jobs on store(s) ${found.replaced.join(', ')} were found in JobHistory, recorded by the run that found them`);
    return { since: earlier.since, successful: found.replaced, failed: [], note: 'reconciled: an interrupted earlier run had sent the replacement; SuccessfulStores come from JobHistory and FailedStores are unknown' };
  }
  await ctx.settleEarlier('JobHistory shows no management job it created, so Command did not act on it; the request was sent again');
  return undefined;
}

/** The stores holding either certificate, and those of them with a new management job since `since`. */
async function replacedStores(
  ctx: RunContext, spec: PfxReplacementSpec, since: Date, lookup: LookupOptions,
): Promise<{ stores: StoreFacts[]; replaced: string[] }> {
  const ids = new Set<string>();
  for (const certificateId of [spec.existingCertificateId, spec.certificateId]) {
    if (certificateId === undefined) continue;
    const cert = (await ctx.client.request<{ Locations?: Array<{ CertStoreId?: string }> }>('GET', `/Certificates/${certificateId}`, { query: { includeLocations: true } })).data;
    for (const l of cert?.Locations ?? []) if (typeof l.CertStoreId === 'string') ids.add(l.CertStoreId.toLowerCase());
  }
  if (ids.size === 0) return { stores: [], replaced: [] };
  const stores = await Promise.all([...ids].map((id) => readStore(ctx, id)));
  const found = await findJobsSince(ctx, since, 'Management', stores, lookup);
  return { stores, replaced: stores.filter((s) => found[s.id]).map((s) => s.id) };
}
