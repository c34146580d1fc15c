/**
 * Job progression, derived purely from the clock (no timers):
 *
 *   created -> (due) -> Waiting for waitingMs -> InProcess for inProcessMs -> Completed
 *
 * A job is due at once (Immediate), at ExactlyOnce.Time, or never for a
 * recurring schedule (it then stays Waiting). Kept separate so per-store
 * durations or CompletedWillRetry (Status 5) phases can be added here.
 */
import { KeyfactorSchedule, parseTime } from './validation';

export interface JobTiming {
  waitingMs: number;
  inProcessMs: number;
}

export const DEFAULT_JOB_TIMING: JobTiming = { waitingMs: 150, inProcessMs: 150 };

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
  /** When the job completed, or null while it is still running or waiting. */
  completedAt: number | null;
}

/** A stretch of time the job spends in one Status before the next. */
interface Stage {
  status: number;
  durationMs: number;
}

/** When the job becomes due, or null if it never runs once (recurring schedules). */
export function dueAt(schedule: KeyfactorSchedule, createdAt: number): number | null {
  if (schedule.Immediate === true) return createdAt;
  if (schedule.ExactlyOnce) return Math.max(createdAt, parseTime(schedule.ExactlyOnce.Time));
  return null;
}

function stages(timing: JobTiming): Stage[] {
  return [
    { status: JobStatus.Waiting, durationMs: timing.waitingMs },
    { status: JobStatus.InProcess, durationMs: timing.inProcessMs },
  ];
}

/** The job's Status/Result at `now`. `fails` decides the final Result. */
export function jobPhase(due: number | null, fails: boolean, now: number, timing: JobTiming): JobPhase {
  const waiting = { Status: JobStatus.Waiting, Result: JobResult.InProgress, completedAt: null };
  if (due === null || now < due) return waiting;
  let end = due;
  for (const stage of stages(timing)) {
    end += stage.durationMs;
    if (now < end) return { Status: stage.status, Result: JobResult.InProgress, completedAt: null };
  }
  return { Status: JobStatus.Completed, Result: fails ? JobResult.Failure : JobResult.Success, completedAt: end };
}
