import type { CertificateStoreReenrollmentSpec } from './spec';
import { AmbiguousRequestError } from '../../runtime/api/client';
import { OperationModule } from '../../runtime/context';
import { waitIfAsked } from '../../runtime/jobs/completion';
import { findNewJobs, JobHistoryRow } from '../../runtime/jobs/history';
import { earlierStoreJob, mayHaveCreated } from '../../runtime/jobs/recovery';

/**
 * POST /CertificateStores/Reenrollment on create (204, no body); no undo.
 *
 * Command returns no job GUID, so the Reenrollment job the request created is looked up in
 * JobHistory afterwards. Not finding it does not fail the apply: the request was accepted,
 * and a failed resource would make Terraform send it again (a second reenrollment).
 * Except when the answer was lost after sending: then a job found is the proof the request
 * arrived, and not finding one fails the apply with what may exist (it is never re-sent).
 */
export const certificateStoreReenrollment: OperationModule<CertificateStoreReenrollmentSpec> = {
  async create(ctx, spec) {
    const timing = ctx.settings.jobLookup;
    const body = {
      KeystoreId: spec.keystoreId,
      SubjectName: spec.subjectName,
      AgentGuid: spec.agentGuid,
      Alias: spec.alias,
      JobProperties: spec.jobProperties,
      CertificateAuthority: spec.certificateAuthority,
      CertificateTemplate: spec.certificateTemplate,
      EnrollmentPatternId: spec.enrollmentPatternId,
      SANs: spec.sans,
      Overwrite: spec.overwrite,
      Metadata: spec.metadata,
      AdditionalEnrollmentFields: spec.additionalEnrollmentFields,
      OwnerRoleId: spec.ownerRoleId,
      OwnerRoleName: spec.ownerRoleName,
    };

    const adopted = await earlierStoreJob(ctx, spec.keystoreId, `reenroll store ${spec.keystoreId}`, 'Reenrollment');
    if (adopted) {
      const result = { request: body, jobIds: adopted.jobIds, response: adopted.recovered };
      await ctx.onPartialResult(result);
      const warnings = await waitIfAsked(ctx, spec.wait, adopted.jobIds.map((jobId) => ({ jobId, subject: `store ${spec.keystoreId}` })));
      return { ...result, message: warnings.length ? `WARNING: ${warnings.join('; ')}` : undefined };
    }
    await ctx.markSending();
    let since = new Date();
    let lost: AmbiguousRequestError | undefined;
    try {
      await ctx.client.request<unknown>('POST', '/CertificateStores/Reenrollment', { body });
      ctx.log(`reenrollment of store ${spec.keystoreId} (alias "${spec.alias}", subject ${spec.subjectName}) accepted`);
    } catch (e) {
      if (!(e instanceof AmbiguousRequestError)) throw e;
      lost = e;
      since = e.sentAt;
      ctx.log(`${e.message} Looking in JobHistory for the job it may have created.`);
    }

    // From here on nothing may fail the apply (the reenrollment is already scheduled), unless the answer was lost.
    const unidentified = (why: string, path?: string) => {
      if (lost) {
        throw mayHaveCreated(lost, `a Reenrollment job on store ${spec.keystoreId}`, 'Reenrollment',
          [{ id: spec.keystoreId, agentId: spec.agentGuid, storePath: path }], why);
      }
      const message = `WARNING: the reenrollment request was accepted, but its job could not be identified: ${why}. No job GUID is recorded.`;
      ctx.log(message);
      return { request: body, jobIds: [], response: { lookupSince: since.toISOString() }, message };
    };
    let store: Record<string, unknown>;
    try {
      store = (await ctx.client.request<Record<string, unknown>>('GET', `/CertificateStores/${spec.keystoreId}`)).data ?? {};
    } catch (e) {
      return unidentified(`reading the store failed: ${errorText(e)}`);
    }
    if (typeof store.Storepath !== 'string') return unidentified(`GET /CertificateStores/${spec.keystoreId} gave no Storepath`);
    const storePath = store.Storepath;
    const clientMachine = typeof store.ClientMachine === 'string' ? store.ClientMachine : undefined;
    let row: JobHistoryRow | undefined;
    try {
      const { found } = await findNewJobs(ctx.client, {
        jobType: 'Reenrollment',
        since,
        targets: [{ key: spec.keystoreId, agentId: spec.agentGuid, storePath, clientMachine }],
        timeoutMs: timing.timeoutMs,
        intervalMs: timing.intervalMs,
      });
      row = found[spec.keystoreId];
    } catch (e) {
      return unidentified(`the JobHistory query failed: ${errorText(e)}`, storePath);
    }
    if (!row?.JobId) {
      return unidentified(`no JobHistory row with JobType Reenrollment, AgentId ${spec.agentGuid}, StorePath ${JSON.stringify(storePath)} ` +
        `and OperationStart >= ${since.toISOString()} minus 5 s appeared within ${timing.timeoutMs / 1000} s`, storePath);
    }
    const jobId = row.JobId;
    if (lost) ctx.log(`recovered: ${lost.method} ${lost.path} did reach Command: its job ${jobId} is in JobHistory; not sending it again`);
    ctx.log(`reenrollment job ${jobId} (store path ${storePath}${clientMachine ? ` on ${clientMachine}` : ''})`);
    const result = { request: body, jobIds: [jobId], response: { StorePath: storePath, ClientMachine: clientMachine } };
    await ctx.onPartialResult(result);
    // A failed reenrollment job fails the apply (and Terraform re-runs it next time): that is the point of waiting.
    const warnings = await waitIfAsked(ctx, spec.wait, [{ jobId, subject: `store ${spec.keystoreId}` }]);
    return { ...result, message: warnings.length ? `WARNING: ${warnings.join('; ')}` : undefined };
  },
};

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
