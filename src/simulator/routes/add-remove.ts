import { z } from 'zod';
import { ok, Reply } from '../http';
import { createJob } from '../jobs';
import { apiSecret, guid, int32, keyfactorSchedule, parseJsonBody } from '../validation';
import type { RouteContext } from './context';

const jobFields = z.record(z.string(), z.unknown()).nullish();

/** CSS.CMS.Data.Model.Models.CertificateStoreEntry */
const certificateStoreEntry = z.object({
  CertificateStoreId: guid,
  Alias: z.string().nullish(),
  JobFields: jobFields,
  Overwrite: z.boolean().optional(),
  EntryPassword: apiSecret.nullish(), // an object, not a string
  PfxPassword: z.string().nullish(),
  IncludePrivateKey: z.boolean().optional(),
});

/** AddCertificateRequest */
const addRequest = z.object({
  CertificateId: int32,
  CertificateStores: z.array(certificateStoreEntry).min(1),
  Schedule: keyfactorSchedule,
  CollectionId: int32.nullish(),
});

/**
 * CertificateLocationSpecifier. The schema requires nothing, but without a
 * store and an alias there is nothing to remove, so both are required. // [INFER]
 */
const locationSpecifier = z.object({
  CertificateStoreId: guid,
  Alias: z.string().min(1),
  JobFields: jobFields,
});

/** RemoveCertificateRequest (no CertificateId) */
const removeRequest = z.object({
  CertificateStores: z.array(locationSpecifier).min(1),
  Schedule: keyfactorSchedule,
  CollectionId: int32.nullish(),
});

/** POST /CertificateStores/Certificates/Add: one management job per entry, in entry order. */
export function addCertificates(ctx: RouteContext): Reply {
  const request = parseJsonBody(ctx.body, addRequest);
  const cert = ctx.state.requireCertificate(request.CertificateId);
  // Every store is checked before any job is created. // [INFER]
  const stores = request.CertificateStores.map((entry) => ctx.state.requireStore(entry.CertificateStoreId));
  const jobIds = request.CertificateStores.map((entry, i) => createJob(ctx, {
    JobType: 'Management',
    Operation: 'Add',
    store: stores[i],
    CertificateId: cert.Id,
    // Without an alias the thumbprint is used, as for PEM/JKS-style stores. // [INFER]
    Alias: entry.Alias || cert.Thumbprint,
    Schedule: request.Schedule,
  }).JobId);
  return ok(jobIds);
}

/** POST /CertificateStores/Certificates/Remove: one management job per entry, in entry order. */
export function removeCertificates(ctx: RouteContext): Reply {
  const request = parseJsonBody(ctx.body, removeRequest);
  const stores = request.CertificateStores.map((entry) => ctx.state.requireStore(entry.CertificateStoreId));
  const jobIds = request.CertificateStores.map((entry, i) => createJob(ctx, {
    JobType: 'Management',
    Operation: 'Remove',
    store: stores[i],
    CertificateId: ctx.state.certificateAt(stores[i].Id, entry.Alias),
    Alias: entry.Alias,
    Schedule: request.Schedule,
  }).JobId);
  return ok(jobIds);
}
