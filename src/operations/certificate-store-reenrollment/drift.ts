import type { CertificateStoreReenrollmentSpec } from './spec';
import type { DriftRule } from '../../cli/drift-rule';
import { stateOf } from '../../runtime/jobs/completion';
import type { JobHistoryRow } from '../../runtime/jobs/history';

/**
 * The latest result of the reenrollment's job: the GUID recorded in the ledger, else (ledger
 * lost) the store's newest Reenrollment job in JobHistory. A failed job is drift; replacing the
 * instance reenrolls again.
 */
export const reenrollmentDrift: DriftRule<CertificateStoreReenrollmentSpec> = async (ctx, spec) => {
  const store = spec.keystoreId.toLowerCase();
  const jobId = (await ctx.record(spec))?.jobIds[0];
  let row: JobHistoryRow | undefined;
  let which: string;
  if (jobId) {
    row = await ctx.view().job(jobId);
    which = `its job ${jobId}`;
    if (!row) return { verdict: 'unverifiable', detail: `${which} (store ${store}) is not in JobHistory yet` };
  } else {
    row = await ctx.view().newestJob(store, 'Reenrollment');
    if (!row) return { verdict: 'unverifiable', detail: `no ledger record in ${ctx.ledger} and no Reenrollment job of store ${store} in JobHistory` };
    which = `the store's newest Reenrollment job ${row.JobId} (no ledger record in ${ctx.ledger})`;
  }
  const at = row.OperationEnd ?? row.OperationStart;
  switch (stateOf(row)) {
    case 'failure':
      return { verdict: 'drift', detail: `${which} on store ${store} failed at ${at}: ${row.Message || 'no message'}` };
    case 'success':
    case 'warning':
      return { verdict: 'in-sync', detail: `${which} on store ${store} completed with ${row.Result === 3 ? 'Warning' : 'Success'} at ${at}` };
    case 'unknown':
      return { verdict: 'unverifiable', detail: `${which} on store ${store} completed at ${at} without a result` };
    default:
      return { verdict: 'unverifiable', detail: `${which} on store ${store} is not final yet (Status ${row.Status})` };
  }
};
