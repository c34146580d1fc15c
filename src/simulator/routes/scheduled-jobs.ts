import type { Reply } from '../http';
import { isScheduled } from '../jobs';
import { listPage, pageReply } from '../listing';
import type { FieldMap } from '../query';
import type { JobRecord } from '../types';
import type { KeyfactorSchedule } from '../validation';
import type { RouteContext } from './context';

/** CSS.CMS.Data.Model.Models.OrchestratorJobs.Job, as GET /OrchestratorJobs/ScheduledJobs lists it. */
export interface ScheduledJob {
  Id: string;
  ClientMachine: string;
  Target: string;
  Schedule: KeyfactorSchedule;
  Requested: string;
  JobType: string;
}

const time = (value: string) => Date.parse(value);

/** QueryString / SortField names: the model's own properties. // [INFER] Command documents no list for this endpoint */
const fields: FieldMap<ScheduledJob> = {
  Id: { type: 'guid', get: (j) => j.Id },
  JobType: { type: 'string', get: (j) => j.JobType },
  ClientMachine: { type: 'string', get: (j) => j.ClientMachine },
  Target: { type: 'string', get: (j) => j.Target },
  Requested: { type: 'date', get: (j) => time(j.Requested) },
};

/**
 * GET /OrchestratorJobs/ScheduledJobs: the jobs waiting for their schedule (recurring, or a
 * future ExactlyOnce), which JobHistory does not list until they run. Default order: requested
 * first. // [INFER]
 */
export function scheduledJobs(ctx: RouteContext): Reply {
  const jobs = ctx.state.jobs
    .filter((job: JobRecord) => isScheduled(job, ctx.now))
    .map((job): ScheduledJob => ({
      Id: job.JobId,
      ClientMachine: job.store.ClientMachine,
      Target: job.store.Storepath,
      Schedule: job.Schedule,
      Requested: new Date(job.createdAt).toISOString(),
      JobType: job.JobType,
    }));
  const page = listPage(jobs, fields, ctx.query);
  return pageReply({ items: page.items, total: page.total });
}
