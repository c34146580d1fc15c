import { OperationModule, RunContext } from './context';
import { KeyfactorApiError } from './errors';
import { waitForJobs } from './job-wait';
import { apiSecret, describeRef } from './secrets';
import { CertificateDeploymentSpec } from '../core/operation-spec';
import { GUID } from '../core/validation';

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
    const jobIds = await postForJobs(ctx, '/CertificateStores/Certificates/Add', body);
    ctx.onPartialResult({ request, jobIds });
    ctx.log(`added certificate ${spec.certificateId} to store ${s.certificateStoreId}${s.alias ? ` as "${s.alias}"` : ''}: job ${jobIds.join(', ')}`);
    return { request, jobIds };
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
    const jobIds = await postForJobs(ctx, '/CertificateStores/Certificates/Remove', request);
    ctx.log(`removing certificate ${spec.certificateId} (alias "${s.alias ?? ''}") from store ${s.certificateStoreId}: job ${jobIds.join(', ')}`);
    if (spec.wait?.mode === 'completion') {
      // The GUIDs are returned (and recorded) even when the wait fails: the runner's caller
      // writes the ledger record from the thrown error's partial result.
      ctx.onPartialResult({ request, jobIds });
      await waitForJobs(ctx.client, jobIds.map((jobId) => ({ jobId, subject: `store ${s.certificateStoreId}` })), spec.wait, (l) => ctx.log(l), ctx.env);
    }
    return { request, jobIds };
  },
};

/** POSTs a job-creating request and checks that Command answered with job GUIDs. */
async function postForJobs(ctx: RunContext, path: string, body: unknown): Promise<string[]> {
  const res = await ctx.client.request<unknown>('POST', path, { body });
  const ids = res.data;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => typeof x === 'string' && GUID.test(x))) {
    throw new KeyfactorApiError(`POST ${path}: HTTP ${res.status} but the body is not a list of job GUIDs: ${JSON.stringify(ids)?.slice(0, 200)}`, res.status);
  }
  return ids as string[];
}
