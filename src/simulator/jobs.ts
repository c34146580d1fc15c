import { randomUUID } from 'node:crypto';
import { dueAt, JobPhase, JobResult, JobStatus, runPhase, runStartedAt, runVisibleAt, visibleRuns } from './job-timing';
import type { SimulatorState } from './state';
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

/** Applies the inventory change of a successful job. */
function applyJob(state: SimulatorState, job: JobRecord): void {
  const storeId = job.store.Id;
  const sameSlot = (l: { storeId: string; alias: string }) =>
    l.storeId === storeId && job.Alias !== null && l.alias.toLowerCase() === job.Alias.toLowerCase();
  switch (job.Operation) {
    case 'Add':
      // An existing entry under the same alias is replaced. // [INFER]
      state.locations = state.locations.filter((l) => !sameSlot(l));
      state.locations.push({ storeId, alias: job.Alias!, certificateId: job.CertificateId! });
      break;
    case 'Remove':
      state.locations = state.locations.filter((l) => !sameSlot(l));
      break;
    case 'PfxReplace':
      // With a RequestId the new certificate is unknown here, so inventory is left as is. // [INFER]
      if (job.CertificateId !== null) {
        state.locations = state.locations.map((l) => (sameSlot(l) ? { ...l, certificateId: job.CertificateId! } : l));
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

/** Opens retry runs, then applies, in completion order, the inventory changes of jobs that have succeeded by `now`. */
export function settleJobs(state: SimulatorState, now: number): void {
  openRuns(state, now);
  const done = state.jobs
    .filter((job) => !job.applied)
    .map((job) => ({ job, phase: phaseOf(job, now) }))
    .filter(({ phase }) => phase.Status === JobStatus.Completed)
    .sort((a, b) => a.phase.completedAt! - b.phase.completedAt! || a.job.JobHistoryId - b.job.JobHistoryId);
  for (const { job, phase } of done) {
    if (phase.Result === JobResult.Success) applyJob(state, job);
    job.applied = true;
  }
}

/** One JobHistory row per run of the job (call settleJobs first). */
export function jobHistoryRows(job: JobRecord, now: number): JobHistoryRow[] {
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
