import type { CertificateDeploymentSpec } from './spec';
import type { DriftRule } from '../../cli/drift-rule';
import { checkPlacement, describePlace, isPlaced } from '../../runtime/jobs/delivery';

/**
 * In sync when Command lists the certificate at (store, alias): `GET /Certificates/{id}?
 * includeLocations=true`, one request per certificate for all its deployments. Missing counts as
 * drift only once a successful inventory of the store started after the instance's Add job (GUID
 * from the ledger; else the store's newest management job) ended.
 */
export const deploymentDrift: DriftRule<CertificateDeploymentSpec> = async (ctx, spec) => {
  const { certificateId, schedule } = spec;
  const storeId = spec.store.certificateStoreId.toLowerCase();
  if (!('Immediate' in schedule) && !('ExactlyOnce' in schedule && Date.parse(schedule.ExactlyOnce.Time) <= Date.now())) {
    // Not run yet (or recurring): there is only the location to look at.
    const locations = await ctx.view().locations(certificateId);
    const where = describePlace(storeId, spec.store.alias);
    return locations && isPlaced(locations, storeId, spec.store.alias)
      ? { verdict: 'in-sync', detail: `certificate ${certificateId} is in ${where}` }
      : { verdict: 'unverifiable', detail: `certificate ${certificateId} is not yet in ${where}: its jobs are scheduled (${Object.keys(schedule)[0]})` };
  }
  const jobId = (await ctx.record(spec))?.jobIds[0];
  const check = await checkPlacement(ctx.view(), { certificateId, storeId, alias: spec.store.alias, job: jobId ? { jobId } : undefined });
  if (check.state === 'present') return { verdict: 'in-sync', detail: check.detail };
  if (check.state === 'pending') return { verdict: 'unverifiable', detail: check.detail };
  return check.gone
    ? { verdict: 'drift', detail: check.detail, fix: 'point the construct at the certificate that replaced it (a deleted certificate cannot be deployed again)' }
    : { verdict: 'drift', detail: check.detail };
};
