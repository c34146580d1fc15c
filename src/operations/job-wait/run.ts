import type { JobWaitSpec } from './spec';
import type { LedgerRecord } from '../../contract/ledger-record';
import { replaceCommand } from '../../contract/shell';
import { SpecBase, specHash } from '../../contract/spec';
import { checkEvaluated } from '../../runner/checks';
import { configuredInstances, configuredResource, readConfiguration } from '../../runtime/configuration';
import { OperationModule } from '../../runtime/context';
import { RunnerError } from '../../runtime/errors';
import { jobEndedFrom, notDueReason, waitForJobs, WaitTarget } from '../../runtime/jobs/completion';
import { DeliveryTarget, verifyDelivery } from '../../runtime/jobs/delivery';
import { identityKey, ledgerName, readWithLocal, sameOrigin, warnUnreadable } from '../../runtime/ledger';

/**
 * The `JobWait` step: after all of a construct's carrier instances ran in this apply, wait for
 * their jobs with one JobHistory request per poll. The GUIDs come from the instances' ledger
 * records (same apply), matched by origin, construct path, instance key and spec hash.
 */
export const jobWait: OperationModule<JobWaitSpec> = {
  async create(ctx, spec) {
    const hashes = instanceHashes(spec, process.cwd());
    const request = { of: spec.of, instances: Object.keys(hashes) };
    if (!spec.wait || spec.wait.mode !== 'completion') return { request, outcome: 'skipped', message: 'wait policy is noWait' };
    const notDue = notDueReason(spec.schedule);
    if (notDue) {
      ctx.log(notDue);
      return { request, outcome: 'skipped', message: notDue };
    }
    // Newest succeeded create record per (instance key, spec hash) of this construct; only the
    // instances' own files are opened, so a ledger of years costs a directory listing, not a read.
    const records = new Map<string, LedgerRecord>();
    const origin = ctx.settings.origin;
    const keys = new Set(Object.entries(hashes)
      .map(([key, hash]) => identityKey({ origin, stack: spec.stack, constructPath: spec.path, instanceKey: key, specHash: hash })));
    for (const r of await readWithLocal(ctx.ledger, { onUnreadable: warnUnreadable, identityKeys: keys })) {
      if (r.phase === 'create' && r.outcome === 'succeeded' && r.constructPath === spec.path && sameOrigin(r, ctx.settings.origin)) {
        records.set(`${r.instanceKey}\n${r.specHash}`, r);
      }
    }
    const targets: WaitTarget[] = [];
    const delivered: Array<{ record: LedgerRecord; hint: string }> = [];
    const missing: string[] = [];
    for (const [key, hash] of Object.entries(hashes)) {
      const record = records.get(`${key}\n${hash}`);
      if (!record) {
        missing.push(key);
        continue;
      }
      const hint = `to run it again once the cause is fixed: ${replaceCommand(`${spec.carrier}[${JSON.stringify(key)}]`, process.cwd())}`;
      for (const jobId of record.jobIds) targets.push({ jobId, subject: `store ${key}`, hint });
      delivered.push({ record, hint });
    }
    if (missing.length) {
      ctx.log(`no ledger record for ${missing.join(', ')} (created in an earlier apply whose ledger is elsewhere): not waiting for those`);
    }
    if (targets.length === 0) {
      if (missing.length === Object.keys(hashes).length) {
        throw new RunnerError(`none of the instances of ${spec.path} has a ledger record in ${ledgerName(ctx.ledger)}; cannot tell which jobs to wait for.`);
      }
      return { request, outcome: 'skipped', message: 'no jobs to wait for' };
    }
    const jobIds = targets.map((t) => t.jobId);
    await ctx.onPartialResult({ request, jobIds });
    ctx.log(`waiting up to ${spec.wait.timeoutSeconds}s for ${jobIds.length} job(s), polling every ${spec.wait.pollIntervalSeconds}s`);
    const deadline = Date.now() + spec.wait.timeoutSeconds * 1000;
    // The Add jobs are Management jobs created during this apply: many are asked for with one query.
    const since = new Date(Math.min(...delivered.map(({ record }) => Date.parse(record.sendingAt ?? record.startedAt))));
    const window = spec.of === 'CertificateDeployment' ? { jobType: 'Management', since } : undefined;
    const { statuses, warnings } = await waitForJobs(ctx.client, targets, spec.wait, (l) => ctx.log(l), ctx.settings.maxQueryLength, window);
    ctx.log(`all ${statuses.length} job(s) completed`);
    if (spec.wait.verifyDelivery) {
      const expected = deliveries(delivered, jobEndedFrom(statuses));
      await verifyDelivery(ctx.client, expected, deadline, spec.wait.pollIntervalSeconds * 1000, (l) => ctx.log(l));
    }
    return {
      request,
      jobIds,
      response: { results: Object.fromEntries(statuses.map((s) => [s.jobId, s.state])) },
      message: warnings.length ? warnings.join('; ') : undefined,
    };
  },
};

/**
 * What each deployment's Add job should have put where, from its ledger record's request (the
 * spec as sent, after Terraform evaluated it), with when the job ended.
 */
function deliveries(records: Array<{ record: LedgerRecord; hint: string }>, jobEnded: (jobId: string) => string): DeliveryTarget[] {
  return records.flatMap(({ record, hint }) => {
    const store = (record.request.CertificateStores as Array<{ CertificateStoreId: string; Alias?: string }> | undefined)?.[0];
    if (!store || typeof record.request.CertificateId !== 'number') {
      throw new RunnerError(`the ledger record ${record.recordId} of ${record.constructPath} [${record.instanceKey}] does not say which certificate went to which store; cannot verify delivery.`);
    }
    return record.jobIds.map((jobId) => ({
      certificateId: record.request.CertificateId as number,
      storeId: store.CertificateStoreId,
      alias: store.Alias ?? undefined,
      job: { jobId, ended: jobEnded(jobId) },
      hint,
    }));
  });
}

/**
 * Instance key -> spec hash, computed here from each instance's spec as its own run computes it
 * (same checks and normalization), not taken from the `hash` beside it: after a hand edit of HCL
 * (a team that left CDK) that hash may be stale. A spec that failed the checks never ran, so it
 * has no record: an empty hash finds none. Specs Terraform evaluated come evaluated in `spec`.
 */
function instanceHashes(spec: JobWaitSpec, directory: string): Record<string, string> {
  const config = readConfiguration(directory, `read which instances of ${spec.path} to wait for`);
  type Instance = { spec?: unknown };
  const forEach = configuredInstances(config, configuredResource(config, spec.carrier)) as Record<string, Instance> | undefined;
  if (!forEach) {
    throw new RunnerError(`the configuration in ${directory} has no carrier ${spec.carrier} with instances; is it the configuration ${spec.path} was synthesized into?`);
  }
  const hashes: Record<string, string> = {};
  for (const [key, text] of Object.entries(spec.evaluated ?? {})) hashes[key] = hashOf(text);
  const unread: string[] = [];
  for (const [key, value] of Object.entries(forEach)) {
    // A literal spec; one holding references came evaluated, above.
    if (typeof value.spec === 'string' && value.spec.startsWith('{')) hashes[key] = hashOf(value.spec);
    else if (!(key in hashes)) unread.push(key);
  }
  // Skipping them would be a wait that did not wait (a hand-edited HCL spec with a reference, say).
  if (unread.length) {
    throw new RunnerError(`cannot wait for ${spec.path}: the spec of ${unread.map((k) => `${spec.carrier}[${JSON.stringify(k)}]`).join(', ')} is an expression ` +
      'the runner does not read; give it literal values (written as "${jsonencode({...})}", as cdktf synth --hcl does).');
  }
  return hashes;
}

function hashOf(text: string): string {
  try {
    const checked = checkEvaluated(JSON.parse(text) as SpecBase);
    return checked.problems.length ? '' : specHash(checked.spec);
  } catch {
    return '';
  }
}
