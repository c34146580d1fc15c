import type { PfxReplacementSpec } from './spec';
import type { DriftRule } from '../../cli/drift-rule';
import { checkPlacement, PlacementCheck } from '../../runtime/jobs/delivery';

/**
 * In sync when Command lists the new certificate in every store of the recorded SuccessfulStores
 * (the ledger is the only place they are kept), per inventories after each store's job.
 * Re-running the replacement cannot repair a store: Command schedules it only for stores that
 * hold the replaced certificate.
 */
export const pfxReplacementDrift: DriftRule<PfxReplacementSpec> = async (ctx, spec) => {
  if (spec.certificateId === undefined) {
    return { verdict: 'not-checked', detail: `given by requestId ${spec.requestId}: the new certificate's id is not known, so its locations cannot be asked for` };
  }
  const record = await ctx.record(spec);
  if (!record) {
    return {
      verdict: 'not-checked',
      detail: `no ledger record of this replacement in ${ctx.ledger}: the stores it was scheduled for (SuccessfulStores) are recorded only there ` +
        '(run drift where the apply ran, or point CDKTF_KEYFACTOR_LEDGER at that ledger)',
    };
  }
  const stores = ((record.response?.SuccessfulStores ?? []) as string[]).map((s) => s.toLowerCase());
  const jobs = (record.response?.JobIdsByStore ?? {}) as Record<string, string>;
  const id = spec.certificateId;
  if (stores.length === 0) return { verdict: 'not-checked', detail: `Command scheduled the replacement for no store (record ${record.recordId}): nothing to check` };
  if (spec.jobTime !== undefined && Date.parse(spec.jobTime) > Date.now()) {
    return { verdict: 'unverifiable', detail: `certificate ${id} replaces ${spec.existingCertificateId} at ${spec.jobTime}, in ${stores.length} store(s)` };
  }
  const checks: Array<{ store: string; check: PlacementCheck }> = [];
  for (const store of stores) {
    const jobId = Object.entries(jobs).find(([s]) => s.toLowerCase() === store)?.[1];
    checks.push({ store, check: await checkPlacement(ctx.view(), { certificateId: id, storeId: store, job: jobId ? { jobId } : undefined }) });
  }
  const absent = checks.filter((c) => c.check.state === 'absent');
  const pending = checks.filter((c) => c.check.state === 'pending');
  if (absent.length) {
    return {
      verdict: 'drift',
      detail: `replaced ${spec.existingCertificateId} in ${stores.length} store(s); ${absent.map((c) => c.check.detail).join('; ')}`,
      fix: `deploy certificate ${id} to ${absent.length === 1 ? 'that store' : 'those stores'} with a CertificateDeployment (re-running the ` +
        `replacement would schedule nothing there: Command replaces only where certificate ${spec.existingCertificateId} still is)`,
    };
  }
  if (pending.length) return { verdict: 'unverifiable', detail: pending.map((c) => c.check.detail).join('; ') };
  return { verdict: 'in-sync', detail: `certificate ${id} is in all ${stores.length} store(s) it replaced ${spec.existingCertificateId} in` };
};
