import { OperationModule } from './context';
import { findNewJobs, jobLookupTiming } from './job-history';
import { waitIfAsked } from './job-wait';
import type { CertificateStoreReenrollmentSpec } from '../constructs/certificate-store-reenrollment';

/**
 * POST /CertificateStores/Reenrollment on create (204, no body); no undo.
 *
 * Command returns no job GUID, so the Reenrollment job the request created is looked up in
 * JobHistory afterwards. Not finding it does not fail the apply: the request was accepted,
 * and a failed resource would make Terraform send it again (a second reenrollment).
 */
export const certificateStoreReenrollment: OperationModule<CertificateStoreReenrollmentSpec> = {
  async create(ctx, spec) {
    const timing = jobLookupTiming(ctx.env); // read before the call: a bad setting must not fail after it
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

    const since = new Date();
    await ctx.client.request<unknown>('POST', '/CertificateStores/Reenrollment', { body });
    ctx.log(`reenrollment of store ${spec.keystoreId} (alias "${spec.alias}", subject ${spec.subjectName}) accepted`);

    // From here on nothing may fail the apply: the reenrollment is already scheduled.
    const unidentified = (why: string) => {
      const message = `WARNING: the reenrollment request was accepted, but its job could not be identified: ${why}. No job GUID is recorded.`;
      ctx.log(message);
      return { request: body, jobIds: [], response: { lookupSince: since.toISOString() }, message };
    };
    let storePath: string;
    let clientMachine: string | undefined;
    let jobId: string;
    try {
      const store = (await ctx.client.request<Record<string, unknown>>('GET', `/CertificateStores/${spec.keystoreId}`)).data ?? {};
      if (typeof store.Storepath !== 'string') return unidentified(`GET /CertificateStores/${spec.keystoreId} gave no Storepath`);
      storePath = store.Storepath;
      clientMachine = typeof store.ClientMachine === 'string' ? store.ClientMachine : undefined;
    } catch (e) {
      return unidentified(`reading the store failed: ${errorText(e)}`);
    }
    try {
      const { found } = await findNewJobs(ctx.client, {
        jobType: 'Reenrollment',
        since,
        targets: [{ key: spec.keystoreId, agentId: spec.agentGuid, storePath, clientMachine }],
        timeoutMs: timing.timeoutMs,
        intervalMs: timing.intervalMs,
      });
      const row = found[spec.keystoreId];
      if (!row) {
        return unidentified(`no JobHistory row with JobType Reenrollment, AgentId ${spec.agentGuid}, StorePath ${JSON.stringify(storePath)} ` +
          `and OperationStart >= ${since.toISOString()} minus 5 s appeared within ${timing.timeoutMs / 1000} s`);
      }
      ctx.log(`reenrollment job ${row.JobId} (store path ${storePath}${clientMachine ? ` on ${clientMachine}` : ''})`);
      jobId = row.JobId!;
    } catch (e) {
      return unidentified(`the JobHistory query failed: ${errorText(e)}`);
    }
    const result = { request: body, jobIds: [jobId], response: { StorePath: storePath, ClientMachine: clientMachine } };
    ctx.onPartialResult(result);
    // A failed reenrollment job fails the apply (and Terraform re-runs it next time): that is the point of waiting.
    const warnings = await waitIfAsked(ctx, spec.wait, [{ jobId, subject: `store ${spec.keystoreId}` }]);
    return { ...result, message: warnings.length ? `WARNING: ${warnings.join('; ')}` : undefined };
  },
};

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
