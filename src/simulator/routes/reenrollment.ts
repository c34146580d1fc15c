import { z } from 'zod';
import { badRequest, noContent, Reply } from '../http';
import { createJob } from '../jobs';
import { guid, int32, parseJsonBody } from '../validation';
import type { RouteContext } from './context';

const SAN_TYPES = [
  'other', 'rfc822', 'dns', 'x400', 'directory', 'ediparty', 'uri', 'ip', 'ip4', 'ip6',
  'registeredid', 'ms_ntprincipalname', 'ms_ntdsreplication',
];

const stringMap = z.record(z.string(), z.string().nullable()).nullish();

/**
 * ReenrollmentRequest. The v25 schema requires nothing; the docs require
 * KeystoreId, SubjectName, AgentGuid and Alias, so the simulator does too.
 */
const reenrollmentRequest = z.object({
  KeystoreId: guid,
  SubjectName: z.string().min(1),
  AgentGuid: guid,
  Alias: z.string().min(1),
  JobProperties: z.record(z.string(), z.unknown()).nullish(), // "JobProperties", not "JobFields"
  CertificateAuthority: z.string().nullish(),
  CertificateTemplate: z.string().nullish(),
  EnrollmentPatternId: int32.nullish(),
  SANs: z.record(
    // Unknown SAN type keys are refused. // [INFER]
    z.string().refine((key) => SAN_TYPES.includes(key.toLowerCase()), { message: `SAN type must be one of ${SAN_TYPES.join(', ')}` }),
    z.array(z.string()).nullable(),
  ).nullish(),
  Overwrite: z.boolean().optional(),
  Metadata: stringMap,
  AdditionalEnrollmentFields: stringMap,
  OwnerRoleId: int32.nullish(),
  OwnerRoleName: z.string().nullish(),
});

/** POST /CertificateStores/Reenrollment: 204, and one Reenrollment job (its id is not returned). */
export function reenrollStore(ctx: RouteContext): Reply {
  const request = parseJsonBody(ctx.body, reenrollmentRequest);
  const store = ctx.state.requireStore(request.KeystoreId);
  if (request.AgentGuid.toLowerCase() !== store.AgentId.toLowerCase()) {
    throw badRequest(`AgentGuid '${request.AgentGuid}' is not the orchestrator of certificate store '${store.Id}'.`); // [INFER] wording
  }
  if (store.reenrollmentSupported === false) {
    throw badRequest(`Certificate store '${store.Id}' does not support reenrollment.`); // [INFER] wording
  }
  createJob(ctx, {
    JobType: 'Reenrollment',
    Operation: 'Reenrollment',
    store,
    CertificateId: null,
    Alias: request.Alias,
    Schedule: { Immediate: true },
  });
  return noContent();
}
