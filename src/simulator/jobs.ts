import { randomUUID } from 'node:crypto';
import { dueAt, JobPhase, JobResult, JobStatus, runPhase, runStartedAt, runVisibleAt, visibleRuns } from './job-timing';
import type { InventoryRun, SimulatorState } from './state';
import type { JobOrigin, JobRecord, NewJob, SimulatedJob } from './types';
import type { KeyfactorSchedule } from './validation';

/** What createJob needs from a route's context. */
export interface JobContext {
  state: SimulatorState;
  now: number;
  origin?: JobOrigin;
}

/** Keyfactor.Web.KeyfactorApi.Models.CertificateStores.JobHistoryResponse */
export interface JobHistoryRow {
  JobHistoryId: number;
  AgentMachine: string;
  JobId: string;
  Schedule: KeyfactorSchedule;
  JobType: string;
  OperationStart: string;
  OperationEnd: string | null;
  Message: string | null;
  Result: number;
  Status: number;
  StorePath: string;
  ClientMachine: string;
}

export function createJob(ctx: JobContext, job: NewJob): JobRecord {
  const id = ctx.state.nextJobHistoryId++;
  const record: JobRecord = {
    ...job,
    JobId: randomUUID(),
    JobHistoryId: id,
    historyIds: [id],
    AgentMachine: ctx.state.orchestratorOf(job.store).ClientMachine,
    createdAt: ctx.now,
    due: dueAt(job.Schedule, ctx.now),
    plan: ctx.state.jobPlanFor(job.store),
    origin: ctx.origin ?? null,
    applied: false,
  };
  ctx.state.jobs.push(record);
  return record;
}

/** The phase of the job's newest run. */
export function phaseOf(job: JobRecord, now: number): JobPhase {
  return runPhase(job.due, job.plan, job.historyIds.length - 1, now);
}

/** Realistic orchestrator errors. // [INFER] wording, modelled on .NET WebException text */
function failureMessage(job: JobRecord): string {
  return job.plan.failMessage ?? `Unable to connect to the remote server at ${job.store.ClientMachine}: access denied`;
}

function messageOf(job: JobRecord, phase: JobPhase): string | null {
  if (phase.Status === JobStatus.CompletedWillRetry) {
    return `Retrying: ${job.plan.failMessage ?? `Unable to connect to the remote server at ${job.store.ClientMachine}: the operation has timed out`}`;
  }
  return phase.Result === JobResult.Failure ? failureMessage(job) : null;
}

/** Applies a successful job's change to what the store holds (Command sees it at the next inventory). */
function applyJob(state: SimulatorState, job: JobRecord): void {
  const storeId = job.store.Id;
  const sameSlot = (l: { storeId: string; alias: string }) =>
    l.storeId === storeId && job.Alias !== null && l.alias.toLowerCase() === job.Alias.toLowerCase();
  switch (job.Operation) {
    case 'Add':
      // An existing entry under the same alias is replaced. // [INFER]
      state.contents = state.contents.filter((l) => !sameSlot(l));
      state.contents.push({ storeId, alias: job.Alias!, certificateId: job.CertificateId! });
      break;
    case 'Remove':
      state.contents = state.contents.filter((l) => !sameSlot(l));
      break;
    case 'PfxReplace':
      // With a RequestId the new certificate is unknown here, so inventory is left as is. // [INFER]
      if (job.CertificateId !== null) {
        state.contents = state.contents.map((l) => (sameSlot(l) ? { ...l, certificateId: job.CertificateId! } : l));
      }
      break;
    default:
      // Reenrollment creates a certificate the simulator does not model.
      break;
  }
}

/** Gives JobHistoryIds to retry runs that have started by `now`, in the order they started. */
function openRuns(state: SimulatorState, now: number): void {
  const opened: { job: JobRecord; run: number; at: number }[] = [];
  for (const job of state.jobs) {
    const runs = visibleRuns(job.due, job.plan, now);
    for (let run = job.historyIds.length; run < runs; run++) opened.push({ job, run, at: runVisibleAt(job.due, job.plan, run)! });
  }
  opened.sort((a, b) => a.at - b.at || a.job.JobHistoryId - b.job.JobHistoryId || a.run - b.run);
  for (const { job } of opened) job.historyIds.push(state.nextJobHistoryId++);
}

/**
 * Opens retry runs, then plays, in time order up to `now`, the stores' changes from jobs that
 * succeeded and the inventories (after each successful management job, on the schedule, or
 * asked for), so an inventory shows what its store held at its time.
 */
export function settleJobs(state: SimulatorState, now: number): void {
  openRuns(state, now);
  const done = state.jobs
    .filter((job) => !job.applied)
    .map((job) => ({ job, phase: phaseOf(job, now) }))
    .filter(({ phase }) => phase.Status === JobStatus.Completed)
    .sort((a, b) => a.phase.completedAt! - b.phase.completedAt! || a.job.JobHistoryId - b.job.JobHistoryId);
  const every = state.inventory.everyMs;
  for (; every && state.nextScheduledInventoryAt <= now; state.nextScheduledInventoryAt += every) {
    for (const store of state.stores.values()) state.pendingInventories.push({ storeId: store.Id, at: state.nextScheduledInventoryAt, trigger: 'scheduled' });
  }
  let i = 0;
  for (;;) {
    const next = done[i];
    const due = state.pendingInventories.filter((p) => p.at <= now).sort((a, b) => a.at - b.at)[0];
    if (!next && !due) break;
    if (next && (!due || next.phase.completedAt! <= due.at)) {
      if (next.phase.Result === JobResult.Success) {
        if (!next.job.plan.drops) applyJob(state, next.job);
        if (next.job.JobType === 'Management') {
          state.pendingInventories.push({ storeId: next.job.store.Id, at: next.phase.completedAt! + state.inventory.afterJobsMs, trigger: 'after-job' });
        }
      }
      next.job.applied = true;
      i++;
    } else {
      state.pendingInventories.splice(state.pendingInventories.indexOf(due), 1);
      inventoryStore(state, due.storeId, due.at, due.trigger);
    }
  }
}

/** An inventory of one store: Command's locations for it become what it holds. */
export function inventoryStore(state: SimulatorState, storeId: string, at: number, trigger: InventoryRun['trigger']): InventoryRun {
  const failed = state.behaviourOf(state.findStore(storeId)!).failInventory === true;
  if (!failed) {
    const held = state.contents.filter((l) => l.storeId === storeId).map((l) => ({ ...l }));
    state.locations = [...state.locations.filter((l) => l.storeId !== storeId), ...held];
  }
  const run: InventoryRun = { JobHistoryId: state.nextJobHistoryId++, JobId: randomUUID(), storeId, at, trigger, ...(failed ? { failed } : {}) };
  state.inventories.push(run);
  return run;
}

/** The JobHistory row of an inventory (JobType `Inventory`, completed). */
export function inventoryRow(state: SimulatorState, run: InventoryRun): JobHistoryRow {
  const store = state.findStore(run.storeId)!;
  const time = new Date(run.at).toISOString();
  return {
    JobHistoryId: run.JobHistoryId,
    AgentMachine: state.orchestratorOf(store).ClientMachine,
    JobId: run.JobId,
    Schedule: run.trigger === 'scheduled' && state.inventory.everyMs
      ? { Interval: { Minutes: Math.max(1, Math.round(state.inventory.everyMs / 60000)) } }
      : { Immediate: true },
    JobType: 'Inventory',
    OperationStart: time,
    OperationEnd: time,
    Message: run.failed ? `Unable to read the certificate store at ${store.Storepath} on ${store.ClientMachine}: access denied` : null,
    Result: run.failed ? JobResult.Failure : JobResult.Success,
    Status: JobStatus.Completed,
    StorePath: store.Storepath,
    ClientMachine: store.ClientMachine,
  };
}

/**
 * Whether the job waits for its schedule: a recurring one, or a future ExactlyOnce. Command lists
 * it in ScheduledJobs, and JobHistory has no row for it until the orchestrator picks it up.
 */
export function isScheduled(job: JobRecord, now: number): boolean {
  return job.due === null || job.due > now;
}

/** One JobHistory row per run of the job (call settleJobs first); none while it is scheduled. */
export function jobHistoryRows(job: JobRecord, now: number): JobHistoryRow[] {
  if (isScheduled(job, now)) return [];
  return job.historyIds.map((historyId, run) => {
    const phase = runPhase(job.due, job.plan, run, now);
    // OperationStart is when the run starts (creation time for Immediate). // [INFER]
    const started = runStartedAt(job.due, job.plan, run) ?? job.createdAt;
    return {
      JobHistoryId: historyId,
      AgentMachine: job.AgentMachine,
      JobId: job.JobId,
      Schedule: job.Schedule,
      JobType: job.JobType,
      OperationStart: new Date(started).toISOString(),
      OperationEnd: phase.completedAt === null ? null : new Date(phase.completedAt).toISOString(),
      Message: messageOf(job, phase),
      Result: phase.Result,
      Status: phase.Status,
      StorePath: job.store.Storepath,
      ClientMachine: job.store.ClientMachine,
    };
  });
}

export function simulatedJob(job: JobRecord, now: number): SimulatedJob {
  const phase = phaseOf(job, now);
  return {
    JobId: job.JobId,
    JobType: job.JobType,
    Operation: job.Operation,
    CertificateStoreId: job.store.Id,
    StorePath: job.store.Storepath,
    AgentId: job.store.AgentId,
    ClientMachine: job.store.ClientMachine,
    CertificateId: job.CertificateId,
    Alias: job.Alias,
    Schedule: job.Schedule,
    createdAt: new Date(job.createdAt).toISOString(),
    Status: phase.Status,
    Result: phase.Result,
    Message: messageOf(job, phase),
    historyIds: [...job.historyIds],
  };
}
