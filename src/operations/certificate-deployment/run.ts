import type { CertificateDeploymentSpec } from './spec';
import { GUID } from '../../contract/guid';
import { singleQuoted } from '../../contract/shell';
import { AmbiguousRequestError } from '../../runtime/api/client';
import { OperationModule, RunContext } from '../../runtime/context';
import { KeyfactorApiError } from '../../runtime/errors';
import { notDueReason, waitForJobs } from '../../runtime/jobs/completion';
import { earlierStoreJob, recoverStoreJob } from '../../runtime/jobs/recovery';
import { apiSecret, describeRef } from '../../runtime/secrets';

/** POST /CertificateStores/Certificates/Add on create, Remove on destroy. */
export const certificateDeployment: OperationModule<CertificateDeploymentSpec> = {
  async create(ctx, spec) {
    const s = spec.store;
    const entry = {
      CertificateStoreId: s.certificateStoreId,
      Alias: s.alias,
      IncludePrivateKey: s.includePrivateKey,
      Overwrite: s.overwrite,
      JobFields: s.jobFields,
    };
    const body = {
      CertificateId: spec.certificateId,
      CertificateStores: [{
        ...entry,
        EntryPassword: s.entryPassword ? apiSecret(ctx.secrets, s.entryPassword, 'entryPassword') : undefined,
        PfxPassword: s.pfxPassword ? ctx.secrets.resolve(s.pfxPassword, 'pfxPassword') : undefined,
      }],
      Schedule: spec.schedule,
      CollectionId: spec.collectionId,
    };
    const request = {
      CertificateId: spec.certificateId,
      CertificateStores: [{ ...entry, EntryPassword: describeRef(s.entryPassword), PfxPassword: describeRef(s.pfxPassword) }],
      Schedule: spec.schedule,
      CollectionId: spec.collectionId,
    };
    const { jobIds, recovered } = await postForJobs(ctx, '/CertificateStores/Certificates/Add', body, s.certificateStoreId, `add certificate ${spec.certificateId}`,
      notDueReason(spec.schedule) && JSON.stringify(spec.schedule));
    await ctx.onPartialResult({ request, jobIds, response: recovered });
    ctx.log(`added certificate ${spec.certificateId} to store ${s.certificateStoreId}${s.alias ? ` as "${s.alias}"` : ''}: job ${jobIds.join(', ')}`);
    return { request, jobIds, response: recovered };
  },

  async destroy(ctx, spec) {
    const s = spec.store;
    const request = {
      CertificateStores: [{ CertificateStoreId: s.certificateStoreId, Alias: s.alias, JobFields: s.jobFields }],
      // Teardown happens now, whatever the deployment's schedule was.
      Schedule: { Immediate: true },
      CollectionId: spec.collectionId,
    };
    if (!spec.removeOnDestroy) {
      ctx.log(`removeOnDestroy is false: certificate ${spec.certificateId} stays in store ${s.certificateStoreId}`);
      return { request: {}, outcome: 'skipped', message: 'removeOnDestroy is false' };
    }
    // A store Command can no longer remove from would block every later apply and destroy: name the way out.
    const forget = `if the store is gone for good, stop tracking it: run \`npx cdktf-keyfactor forget ${singleQuoted(spec.path)} --key ${singleQuoted(spec.key ?? '')}\` ` +
      `in the cdktf app's directory, then run the apply or destroy again; certificate ${spec.certificateId} stays in the store`;
    let posted: Awaited<ReturnType<typeof postForJobs>>;
    try {
      posted = await postForJobs(ctx, '/CertificateStores/Certificates/Remove', request, s.certificateStoreId, `remove certificate ${spec.certificateId}`);
    } catch (e) {
      // Command refused the Remove (a definite answer, unlike a lost one, which the next apply resolves).
      const refused = e instanceof KeyfactorApiError && !(e instanceof AmbiguousRequestError) && e.status !== undefined;
      if (refused && e.status! >= 400 && e.status! < 500 && ![401, 403].includes(e.status!)) {
        e.message += `\n  ${forget}`;
      }
      throw e;
    }
    const { jobIds, recovered } = posted;
    ctx.log(`removing certificate ${spec.certificateId} (alias "${s.alias ?? ''}") from store ${s.certificateStoreId}: job ${jobIds.join(', ')}`);
    if (spec.wait?.mode === 'completion') {
      // The GUIDs are returned (and recorded) even when the wait fails: the runner's caller
      // writes the ledger record from the thrown error's partial result.
      await ctx.onPartialResult({ request, jobIds, response: recovered });
      const targets = jobIds.map((jobId) => ({ jobId, subject: `store ${s.certificateStoreId}`, hint: forget }));
      await waitForJobs(ctx.client, targets, spec.wait, (l) => ctx.log(l), ctx.settings.maxQueryLength);
    }
    return { request, jobIds, response: recovered };
  },

  // The Add stays until the destroy step's Remove (or its skip, removeOnDestroy false) is recorded.
  keptUntilUndone: true,

  // Remove targets (store, alias); a deployment without an alias may hold any alias there.
  // A value null in `live` is a Terraform reference the runner cannot see: it may be the same.
  sharesUndoTarget(deleted, live) {
    const [a, b] = [deleted.store, live.store];
    const sameStore = b.certificateStoreId === null || a.certificateStoreId.toLowerCase() === b.certificateStoreId.toLowerCase();
    return sameStore && (a.alias === undefined || b.alias === undefined || b.alias === null || a.alias === b.alias);
  },

  evaluatedFrom(live, record) {
    const sent = record.request?.CertificateStores?.[0];
    if (typeof sent?.CertificateStoreId !== 'string') return undefined;
    return { ...live, store: { ...live.store, certificateStoreId: sent.CertificateStoreId, alias: typeof sent.Alias === 'string' ? sent.Alias : undefined } };
  },
};

/**
 * POSTs a job-creating request (one store) and checks that Command answered with job GUIDs.
 * Never sends it twice: a job an interrupted earlier run created is adopted, and an answer lost
 * (or unreadable) after sending is looked up in JobHistory.
 */
async function postForJobs(
  ctx: RunContext, path: string, body: unknown, storeId: string, what: string, scheduledFor?: string,
): Promise<{ jobIds: string[]; recovered?: Record<string, unknown> }> {
  const earlier = await earlierStoreJob(ctx, storeId, what, 'Management', scheduledFor);
  if (earlier) return earlier;
  await ctx.markSending();
  const sentAt = new Date();
  let ids: unknown;
  try {
    const res = await ctx.client.request<unknown>('POST', path, { body });
    ids = res.data;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => typeof x === 'string' && GUID.test(x))) {
      // Command accepted the request (2xx) but the answer is not what the API documents: it may have created the job.
      throw new AmbiguousRequestError('POST', path, sentAt, `HTTP ${res.status} but the body is not a list of job GUIDs: ${ctx.secrets.redact(JSON.stringify(ids) ?? 'empty').slice(0, 200)}`, res.status);
    }
  } catch (e) {
    if (!(e instanceof AmbiguousRequestError)) throw e;
    const jobId = await recoverStoreJob(ctx, e, storeId, what, scheduledFor);
    ctx.announce([jobId]);
    return { jobIds: [jobId], recovered: { recoveredFromJobHistory: true, lostAnswer: e.reason } };
  }
  ctx.announce(ids as string[]);
  return { jobIds: ids as string[] };
}
