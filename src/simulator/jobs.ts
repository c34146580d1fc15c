import { randomUUID } from 'node:crypto';
import { dueAt, JobPhase, jobPhase, JobResult, JobStatus } from './job-timing';
import type { SeedStore } from './seed';
import type { SimulatorState } from './state';
import type { SimulatedJob } from './types';
import type { KeyfactorSchedule } from './validation';

export interface NewJob {
  JobType: SimulatedJob['JobType'];
  Operation: SimulatedJob['Operation'];
  store: SeedStore;
  CertificateId: number | null;
  Alias: string | null;
  Schedule: KeyfactorSchedule;
}

export interface JobRecord extends NewJob {
  JobId: string;
  JobHistoryId: number;
  AgentMachine: string;
  createdAt: number;
  /** When the job becomes due; null for recurring schedules (stays Waiting). */
  due: number | null;
  /** Whether its inventory change has been applied. */
  applied: boolean;
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

export function createJob(state: SimulatorState, job: NewJob, now: number): JobRecord {
  const record: JobRecord = {
    ...job,
    JobId: randomUUID(),
    JobHistoryId: state.nextJobHistoryId++,
    AgentMachine: state.orchestratorOf(job.store).ClientMachine,
    createdAt: now,
    due: dueAt(job.Schedule, now),
    applied: false,
  };
  state.jobs.push(record);
  return record;
}

export function phaseOf(state: SimulatorState, job: JobRecord, now: number): JobPhase {
  return jobPhase(job.due, job.store.failJobs === true, now, state.timing);
}

function messageOf(job: JobRecord, phase: JobPhase): string | null {
  if (phase.Result !== JobResult.Failure) return null;
  return `Simulated failure: the orchestrator could not complete the ${job.Operation} job on '${job.store.ClientMachine}' (${job.store.Storepath}).`;
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

/** Applies, in completion order, the inventory changes of jobs that have succeeded by `now`. */
export function settleJobs(state: SimulatorState, now: number): void {
  const done = state.jobs
    .filter((job) => !job.applied)
    .map((job) => ({ job, phase: phaseOf(state, job, now) }))
    .filter(({ phase }) => phase.Status === JobStatus.Completed)
    .sort((a, b) => a.phase.completedAt! - b.phase.completedAt! || a.job.JobHistoryId - b.job.JobHistoryId);
  for (const { job, phase } of done) {
    if (phase.Result === JobResult.Success) applyJob(state, job);
    job.applied = true;
  }
}

export function jobHistoryRow(state: SimulatorState, job: JobRecord, now: number): JobHistoryRow {
  const phase = phaseOf(state, job, now);
  return {
    JobHistoryId: job.JobHistoryId,
    AgentMachine: job.AgentMachine,
    JobId: job.JobId,
    Schedule: job.Schedule,
    JobType: job.JobType,
    // OperationStart is when the job is due (creation time for Immediate). // [INFER]
    OperationStart: new Date(job.due ?? job.createdAt).toISOString(),
    OperationEnd: phase.completedAt === null ? null : new Date(phase.completedAt).toISOString(),
    Message: messageOf(job, phase),
    Result: phase.Result,
    Status: phase.Status,
    StorePath: job.store.Storepath,
    ClientMachine: job.store.ClientMachine,
  };
}

export function simulatedJob(state: SimulatorState, job: JobRecord, now: number): SimulatedJob {
  const phase = phaseOf(state, job, now);
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
  };
}
