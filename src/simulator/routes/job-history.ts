import type { Reply } from '../http';
import { inventoryRow, JobHistoryRow, jobHistoryRows } from '../jobs';
import { listPage, pageReply } from '../listing';
import type { FieldMap } from '../query';
import type { JobRecord } from '../types';
import type { KeyfactorSchedule } from '../validation';
import type { RouteContext } from './context';

interface Entry {
  row: JobHistoryRow;
  agentId: string;
  schedule: KeyfactorSchedule;
}

/** Docs' ScheduleType: null = Immediate, then I_ / D_ / W_ / M_ / O_ prefixes. // [INFER] text after the prefix */
function scheduleType(schedule: KeyfactorSchedule): string | null {
  if (schedule.Interval) return `I_${schedule.Interval.Minutes}`;
  if (schedule.Daily) return `D_${schedule.Daily.Time}`;
  if (schedule.Weekly) return `W_${schedule.Weekly.Days.join(',')}_${schedule.Weekly.Time}`;
  if (schedule.Monthly) return `M_${schedule.Monthly.Day}_${schedule.Monthly.Time}`;
  if (schedule.ExactlyOnce) return `O_${schedule.ExactlyOnce.Time}`;
  return null;
}

const time = (value: string | null) => (value === null ? null : Date.parse(value));

/**
 * QueryString / SortField names. The documented ones plus the row's own
 * property names (JobHistoryId, AgentMachine, OperationEnd). // [INFER] extras
 * Not StorePath or ClientMachine: Command documents them as row fields, not query fields, so a
 * client filtering on them is refused here as it may be by Command.
 */
const jobFields: FieldMap<Entry> = {
  JobId: { type: 'guid', get: (e) => e.row.JobId },
  JobType: { type: 'string', get: (e) => e.row.JobType },
  Status: { type: 'int', get: (e) => e.row.Status },
  Result: { type: 'int', get: (e) => e.row.Result },
  AgentId: { type: 'guid', get: (e) => e.agentId },
  // "Agent" is the orchestrator's ClientMachine, shown as AgentMachine. // [INFER]
  Agent: { type: 'string', get: (e) => e.row.AgentMachine },
  AgentMachine: { type: 'string', get: (e) => e.row.AgentMachine },
  Message: { type: 'string', get: (e) => e.row.Message },
  OperationStart: { type: 'date', get: (e) => time(e.row.OperationStart) },
  OperationEnd: { type: 'date', get: (e) => time(e.row.OperationEnd) },
  TargetPath: { type: 'string', get: (e) => e.row.StorePath },
  ScheduleType: { type: 'string', get: (e) => scheduleType(e.schedule) },
  JobHistoryId: { type: 'int', get: (e) => e.row.JobHistoryId },
};

/**
 * GET /OrchestratorJobs/JobHistory: one row per run of each job, and one per completed store
 * inventory. Default order is JobHistoryId ascending. // [INFER]
 */
export function jobHistory(ctx: RouteContext): Reply {
  const jobs = ctx.state.jobs
    .flatMap((job: JobRecord) => jobHistoryRows(job, ctx.now).map((row) => ({ row, agentId: job.store.AgentId, schedule: job.Schedule })));
  const inventories = ctx.state.inventories.map((run) => {
    const row = inventoryRow(ctx.state, run);
    return { row, agentId: ctx.state.findStore(run.storeId)!.AgentId, schedule: row.Schedule };
  });
  const entries: Entry[] = [...jobs, ...inventories].sort((a, b) => a.row.JobHistoryId - b.row.JobHistoryId);
  const page = listPage(entries, jobFields, ctx.query);
  return pageReply({ items: page.items.map((e) => e.row), total: page.total });
}
