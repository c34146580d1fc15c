/**
 * Job progression, derived purely from the clock (no timers). A job has one
 * or more runs; each run is one cycle of waitingMs + inProcessMs:
 *
 *   run 0:   Waiting -> InProcess -> (retry left? CompletedWillRetry : Completed)
 *   run k>0: (previous row shows CompletedWillRetry while the job waits) -> InProcess -> ...
 *
 * A job is due at once (Immediate), at ExactlyOnce.Time, or never for a
 * recurring schedule (it then stays Waiting). Each run has its own JobHistory
 * row. Run 0's row exists from creation; a retry's row appears when the
 * orchestrator picks the job up again, i.e. after the waiting part of its
 * cycle, so CompletedWillRetry is what a client sees on the newest row
 * meanwhile. // [INFER] Command's exact row bookkeeping for retries
 */
import { KeyfactorSchedule, parseTime } from './validation';

export interface JobTiming {
  waitingMs: number;
  inProcessMs: number;
}

export const DEFAULT_JOB_TIMING: JobTiming = { waitingMs: 150, inProcessMs: 150 };

/** A job's course, fixed when the job is created from its store's behaviour. */
export interface JobPlan extends JobTiming {
  /** Runs that end CompletedWillRetry before the final run. */
  retries: number;
  /** Whether the final run ends with Result Failure. */
  fails: boolean;
  /** The store's failMessage, if any. */
  failMessage?: string;
  /** Whether a successful run leaves the store unchanged (dropsCertificates). */
  drops?: boolean;
}

/** OrchestratorJobStatusJobStatus. */
export const JobStatus = { Unknown: 0, Waiting: 1, InProcess: 2, Completed: 3, Acknowledged: 4, CompletedWillRetry: 5 } as const;

/**
 * OrchestratorJobStatusJobResult. 1 is unlisted in the docs; the simulator
 * uses it for "no result yet", like the C-agent's JOB_COMP_PROC. // [INFER]
 */
export const JobResult = { Unknown: 0, InProgress: 1, Success: 2, Warning: 3, Failure: 4 } as const;

export interface JobPhase {
  Status: number;
  Result: number;
  /** When the run ended, or null while it is still waiting or running. */
  completedAt: number | null;
}

/** When the job becomes due, or null if it never runs once (recurring schedules). */
export function dueAt(schedule: KeyfactorSchedule, createdAt: number): number | null {
  if (schedule.Immediate === true) return createdAt;
  if (schedule.ExactlyOnce) return Math.max(createdAt, parseTime(schedule.ExactlyOnce.Time));
  return null;
}

const cycleMs = (plan: JobPlan) => plan.waitingMs + plan.inProcessMs;

/**
 * When run `run`'s JobHistory row appears: run 0 at creation (null here),
 * a retry when it is picked up.
 */
export function runVisibleAt(due: number | null, plan: JobPlan, run: number): number | null {
  if (run === 0 || due === null) return null;
  return due + run * cycleMs(plan) + plan.waitingMs;
}

/** How many runs have a JobHistory row at `now` (at least 1). */
export function visibleRuns(due: number | null, plan: JobPlan, now: number): number {
  if (due === null) return 1;
  let runs = 1;
  while (runs <= plan.retries && now >= runVisibleAt(due, plan, runs)!) runs++;
  return runs;
}

/** The Status/Result of run `run` at `now`. */
export function runPhase(due: number | null, plan: JobPlan, run: number, now: number): JobPhase {
  if (due === null || now < due) return { Status: JobStatus.Waiting, Result: JobResult.InProgress, completedAt: null };
  const start = due + run * cycleMs(plan);
  const end = start + cycleMs(plan);
  if (now < start + plan.waitingMs) return { Status: JobStatus.Waiting, Result: JobResult.InProgress, completedAt: null };
  if (now < end) return { Status: JobStatus.InProcess, Result: JobResult.InProgress, completedAt: null };
  if (run < plan.retries) return { Status: JobStatus.CompletedWillRetry, Result: JobResult.Failure, completedAt: end };
  return { Status: JobStatus.Completed, Result: plan.fails ? JobResult.Failure : JobResult.Success, completedAt: end };
}

/** When run `run` started (OperationStart): when the job was due, or when a retry was picked up. */
export function runStartedAt(due: number | null, plan: JobPlan, run: number): number | null {
  return run === 0 ? due : runVisibleAt(due, plan, run);
}
