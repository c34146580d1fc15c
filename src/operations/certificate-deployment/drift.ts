import type { CertificateDeploymentSpec } from './spec';
import type { DriftRule } from '../../cli/drift-rule';
import { describePlace, inventoriedSinceLastJob, isPlaced, otherAliases } from '../../runtime/jobs/delivery';

/**
 * In sync when Command lists the certificate at (store, alias): `GET /Certificates/{id}?
 * includeLocations=true`, one request per certificate for all its deployments. Missing counts as
 * drift only once an inventory of the store started after its newest management job ended.
 */
export const deploymentDrift: DriftRule<CertificateDeploymentSpec> = async (ctx, spec) => {
  const { certificateId, store } = spec;
  const storeId = store.certificateStoreId.toLowerCase();
  const where = describePlace(storeId, store.alias);
  const locations = await ctx.view().locations(certificateId);
  if (isPlaced(locations, storeId, store.alias)) return { verdict: 'in-sync', detail: `certificate ${certificateId} is in ${where}` };
  const schedule = spec.schedule;
  if (!('Immediate' in schedule) && !('ExactlyOnce' in schedule && Date.parse(schedule.ExactlyOnce.Time) <= Date.now())) {
    return { verdict: 'unverifiable', detail: `certificate ${certificateId} is not yet in ${where}: its jobs are scheduled (${Object.keys(schedule)[0]})` };
  }
  const inventory = await inventoriedSinceLastJob(ctx.view(), storeId);
  return inventory
    ? { verdict: 'drift', detail: `certificate ${certificateId} is not in ${where} (Command's inventory of the store at ${inventory.OperationStart})${otherAliases(locations, storeId, store.alias)}` }
    : { verdict: 'unverifiable', detail: `certificate ${certificateId} is not in ${where} yet, and the store has not been inventoried since its last job` };
};
