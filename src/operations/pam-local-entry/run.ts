import type { PamLocalEntrySpec } from './spec';
import { AmbiguousRequestError } from '../../runtime/api/client';
import { OperationModule, OperationResult, RunContext } from '../../runtime/context';
import { KeyfactorApiError } from '../../runtime/errors';
import { describeRef } from '../../runtime/secrets';

/**
 * /PamProviders/Local/{providerId}/Entries. Both carriers of a PamLocalEntry share this module:
 *
 * - create (entry and content part): upsert. GET the entry by name; POST it when absent, else
 *   PUT the FULL record (SecretName, Description, SecretValue), because PUT clears what it is
 *   not sent.
 * - destroy (entry part only): DELETE ?secretName=<name>. With deleteOnDestroy false the carrier
 *   has no destroy provisioner, so this never runs.
 *
 * The value is resolved from the environment, sent, and never logged, read back or recorded.
 */
export const pamLocalEntry: OperationModule<PamLocalEntrySpec> = {
  async create(ctx, spec) {
    const path = entriesPath(spec);
    const existing = await findEntry(ctx, spec);
    let method: 'PUT' | 'POST' = existing ? 'PUT' : 'POST';
    const body = {
      SecretName: spec.secretName,
      Description: spec.description ?? null,
      SecretValue: ctx.secrets.resolve(spec.secretValue, 'secretValue'),
    };
    let res;
    let recovered = '';
    // Safe to repeat, but a stopped run must say it may have written the entry: its instance is
    // then tainted, and only the undo registry deletes the entry on a destroy.
    await ctx.markSending();
    try {
      res = await ctx.client.request<unknown>(method, path, { body });
    } catch (e) {
      if (!(e instanceof AmbiguousRequestError)) throw e;
      // The POST's answer was lost. Names are unique, so look: there now means it was created;
      // absent means Command did not create it, and one more POST cannot make a second entry.
      ctx.log(`${e.message} Checking whether secret "${spec.secretName}" exists now.`);
      if (await findEntry(ctx, spec)) {
        method = 'PUT';
        recovered = ' (the lost POST had created it; its full record was written again)';
      } else {
        recovered = ' (the first POST\'s answer was lost and the entry was absent, so it was sent once more)';
      }
      res = await ctx.client.request<unknown>(method, path, { body });
    }
    const verb = (existing ? 'updated (full record)' : 'created') + recovered;
    const rotation = spec.rotationKey !== undefined ? `, rotation key ${JSON.stringify(spec.rotationKey)}` : '';
    ctx.log(`${spec.part}: ${method} ${path}: secret "${spec.secretName}" ${verb} in local PAM provider ${spec.providerId}${rotation}`);
    return {
      request: {
        method,
        path,
        SecretName: spec.secretName,
        Description: spec.description ?? null,
        SecretValue: describeRef(spec.secretValue),
      },
      response: entryFacts(res.data),
      message: `${spec.part}: secret "${spec.secretName}" ${verb}${rotation}`,
    };
  },

  async destroy(ctx, spec): Promise<OperationResult> {
    const path = entriesPath(spec);
    const request = { method: 'DELETE', path, secretName: spec.secretName };
    if (spec.part !== 'entry') {
      return { request: {}, outcome: 'skipped', message: 'the content part has nothing to undo' };
    }
    try {
      await ctx.client.request('DELETE', path, { query: { secretName: spec.secretName } });
    } catch (e) {
      // Already gone (deleted by hand): what destroy wants. Anything else fails the destroy.
      if (e instanceof KeyfactorApiError && e.status === 404) {
        ctx.log(`secret "${spec.secretName}" was already absent from local PAM provider ${spec.providerId}`);
        return { request, message: `already absent: ${e.message}` };
      }
      throw e;
    }
    ctx.log(`DELETE ${path}: secret "${spec.secretName}" deleted from local PAM provider ${spec.providerId}`);
    return { request, message: `secret "${spec.secretName}" deleted` };
  },

  // Command compares secret names case-insensitively.
  sharesUndoTarget(deleted, live) {
    // A value null in `live` is a Terraform reference the runner cannot see: it may be the same.
    return live.part === 'entry' && (live.providerId === null || deleted.providerId === live.providerId) &&
      (live.secretName === null || deleted.secretName.toLowerCase() === live.secretName.toLowerCase());
  },

  evaluatedFrom(live, record) {
    const provider = /^\/PamProviders\/Local\/(\d+)\/Entries$/.exec(String(record.request?.path ?? ''));
    const name = record.request?.SecretName;
    if (!provider || typeof name !== 'string') return undefined;
    return { ...live, providerId: Number(provider[1]), secretName: name };
  },
};

function entriesPath(spec: PamLocalEntrySpec): string {
  return `/PamProviders/Local/${spec.providerId}/Entries`;
}

/** The entry named like the spec's (case-insensitively, as Command compares names), if any. */
async function findEntry(ctx: RunContext, spec: PamLocalEntrySpec): Promise<Record<string, unknown> | undefined> {
  const path = entriesPath(spec);
  // Quotes and backslashes inside the value are backslash-escaped. // [INFER] Command's escaping
  const quoted = `"${spec.secretName.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  const res = await ctx.client.request<unknown>('GET', path, { query: { QueryString: `SecretName -eq ${quoted}`, ReturnLimit: 50 } });
  if (!Array.isArray(res.data)) {
    throw new KeyfactorApiError(`GET ${path}: HTTP ${res.status} but the body is not a list of entries: ${JSON.stringify(res.data)?.slice(0, 200)}`, res.status);
  }
  const wanted = spec.secretName.toLowerCase();
  return (res.data as Array<Record<string, unknown>>).find(
    (e) => e && typeof e === 'object' && typeof e.SecretName === 'string' && e.SecretName.toLowerCase() === wanted,
  );
}

/** The non-secret facts of a LocalPAMEntryResponse (picked field by field: nothing else is recorded). */
function entryFacts(data: unknown): Record<string, unknown> | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const d = data as Record<string, unknown>;
  return { ProviderId: d.ProviderId, SecretName: d.SecretName, Description: d.Description };
}
