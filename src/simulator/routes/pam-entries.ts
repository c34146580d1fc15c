import { z } from 'zod';
import { badRequest, noContent, notFound, ok, Reply } from '../http';
import { listPage, pageReply } from '../listing';
import type { FieldMap } from '../query';
import type { PamEntry } from '../state';
import { parseJsonBody } from '../validation';
import type { RouteContext } from './context';

const secretName = z.string().min(1).max(400);
const description = z.string().max(2000).nullish();

/** LocalPAMEntryCreateRequest */
const createRequest = z.object({ SecretName: secretName, Description: description, SecretValue: z.string().min(1) });

/** LocalPAMEntryUpdateRequest: SecretValue is optional. */
const updateRequest = z.object({ SecretName: secretName, Description: description, SecretValue: z.string().min(1).nullish() });

const entryFields: FieldMap<PamEntry> = {
  SecretName: { type: 'string', get: (e) => e.SecretName },
  Description: { type: 'string', get: (e) => e.Description },
};

/** The entries of a local PAM provider; 400 for a bad, unknown or non-local provider id. // [INFER] status */
function providerEntries(ctx: RouteContext): { providerId: number; entries: PamEntry[] } {
  const raw = ctx.params.providerId;
  const providerId = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(providerId >= 1 && providerId <= 2147483647)) {
    throw badRequest(`providerId must be an integer between 1 and 2147483647 (got '${raw}').`);
  }
  const provider = ctx.state.pamProviders.get(providerId);
  if (!provider) throw badRequest(`PAM provider with id '${providerId}' was not found.`);
  if (!provider.local) throw badRequest(`PAM provider '${provider.Name}' (id ${providerId}) is not a local PAM provider.`);
  let entries = ctx.state.pamEntries.get(providerId);
  if (!entries) {
    entries = [];
    ctx.state.pamEntries.set(providerId, entries);
  }
  return { providerId, entries };
}

/** Secret names compare case-insensitively, like a default SQL Server collation. // [INFER] */
function findEntry(entries: PamEntry[], name: string): PamEntry | undefined {
  return entries.find((e) => e.SecretName.toLowerCase() === name.toLowerCase());
}

/** LocalPAMEntryResponse: SecretValue is never returned. */
function entryResponse(providerId: number, entry: PamEntry) {
  return { ProviderId: providerId, SecretName: entry.SecretName, Description: entry.Description };
}

export function listPamEntries(ctx: RouteContext): Reply {
  const { providerId, entries } = providerEntries(ctx);
  const page = listPage(entries, entryFields, ctx.query);
  return pageReply({ items: page.items.map((e) => entryResponse(providerId, e)), total: page.total });
}

export function createPamEntry(ctx: RouteContext): Reply {
  const { providerId, entries } = providerEntries(ctx);
  const request = parseJsonBody(ctx.body, createRequest);
  if (findEntry(entries, request.SecretName)) {
    throw badRequest(`A secret named '${request.SecretName}' already exists for PAM provider ${providerId}.`); // [INFER] wording
  }
  const entry: PamEntry = { SecretName: request.SecretName, Description: request.Description ?? null, SecretValue: request.SecretValue };
  entries.push(entry);
  return ok(entryResponse(providerId, entry));
}

/**
 * Full replace: an omitted Description is cleared to null; an omitted
 * SecretValue keeps the stored value. An unknown entry is a 404, as for DELETE. // [INFER]
 */
export function updatePamEntry(ctx: RouteContext): Reply {
  const { providerId, entries } = providerEntries(ctx);
  const request = parseJsonBody(ctx.body, updateRequest);
  const entry = findEntry(entries, request.SecretName);
  if (!entry) throw notFound(`A secret named '${request.SecretName}' was not found for PAM provider ${providerId}.`);
  entry.Description = request.Description ?? null;
  if (request.SecretValue != null) entry.SecretValue = request.SecretValue;
  return ok(entryResponse(providerId, entry));
}

export function deletePamEntry(ctx: RouteContext): Reply {
  const { providerId, entries } = providerEntries(ctx);
  const name = ctx.query.get('secretName');
  if (!name) throw badRequest('The secretName query parameter is required.');
  const entry = findEntry(entries, name);
  if (!entry) throw notFound(`A secret named '${name}' was not found for PAM provider ${providerId}.`);
  entries.splice(entries.indexOf(entry), 1);
  return noContent();
}
