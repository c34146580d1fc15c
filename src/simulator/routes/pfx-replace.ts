import { z } from 'zod';
import { badRequest, ok, Reply } from '../http';
import { createJob } from '../jobs';
import { int32, isoDateTime, KeyfactorSchedule, parseJsonBody } from '../validation';
import type { RouteContext } from './context';

/**
 * ExistingEnrollmentManagementRequest. The schema requires nothing; the docs
 * require ExistingCertificateId and exactly one of CertificateId / RequestId.
 */
const replaceRequest = z.object({
  ExistingCertificateId: int32,
  CertificateId: int32.nullish(),
  RequestId: int32.nullish(),
  Password: z.string().nullish(),
  JobTime: isoDateTime.nullish(),
});

/**
 * POST /Enrollment/PFX/Replace: a management job for every store holding the
 * existing certificate; answers with store ids, not job ids.
 */
export function replacePfx(ctx: RouteContext): Reply {
  const request = parseJsonBody(ctx.body, replaceRequest);
  const hasCertificate = request.CertificateId != null;
  if (hasCertificate === (request.RequestId != null)) {
    throw badRequest('Exactly one of CertificateId or RequestId must be provided.');
  }
  const existing = ctx.state.requireCertificate(request.ExistingCertificateId);
  if (hasCertificate) ctx.state.requireCertificate(request.CertificateId!); // [INFER] unknown new certificate is a 400
  const schedule: KeyfactorSchedule = request.JobTime ? { ExactlyOnce: { Time: request.JobTime } } : { Immediate: true };

  const successful: string[] = [];
  const failed: string[] = [];
  const seen = new Set<string>();
  for (const location of ctx.state.locationsOf(existing.Id)) {
    if (seen.has(location.storeId)) continue; // one job per store, for its first alias // [INFER]
    seen.add(location.storeId);
    const store = ctx.state.findStore(location.storeId)!;
    if (ctx.state.behaviourOf(store).failReplace) {
      failed.push(store.Id);
      continue;
    }
    createJob(ctx, {
      JobType: 'Management',
      Operation: 'PfxReplace',
      store,
      CertificateId: request.CertificateId ?? null,
      Alias: location.alias,
      Schedule: schedule,
    });
    successful.push(store.Id);
  }
  return ok({ SuccessfulStores: successful, FailedStores: failed });
}
