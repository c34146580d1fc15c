import type { JobRecord } from './types';

/** The body with JSON re-serialized, so formatting differences do not matter. */
function normalizedBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body));
  } catch {
    return body;
  }
}

/**
 * Jobs that look like the same request sent twice (a client retry that was
 * not needed): same operation, store, certificate and alias, created by
 * different requests with the same body. Jobs of one request never count
 * against each other.
 */
export function duplicateJobGroups(jobs: JobRecord[]): JobRecord[][] {
  const groups = new Map<string, JobRecord[]>();
  for (const job of jobs) {
    if (!job.origin) continue;
    const key = JSON.stringify([
      job.Operation, job.store.Id, job.CertificateId, job.Alias?.toLowerCase() ?? null, normalizedBody(job.origin.body),
    ]);
    const group = groups.get(key);
    if (group) group.push(job);
    else groups.set(key, [job]);
  }
  return [...groups.values()].filter((group) => new Set(group.map((job) => job.origin!.requestId)).size > 1);
}
