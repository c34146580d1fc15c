import type { PamLocalEntrySpec } from './spec';
import type { DriftContext, DriftRule } from '../../cli/drift-rule';
import { KeyfactorApiError, RunnerError } from '../../runtime/errors';

interface Entry { readonly SecretName?: unknown; readonly Description?: unknown }

const PAGE = 100;
/** A provider with more entries than this is a server ignoring PageReturned. */
const MAX_PAGES = 100;

/** Every entry of a local PAM provider, read once per drift run (one request per 100 entries). */
function entriesOf(ctx: DriftContext, providerId: number): Promise<Entry[]> {
  return ctx.once(`pam ${providerId}`, async () => {
    const path = `/PamProviders/Local/${providerId}/Entries`;
    const all: Entry[] = [];
    for (let page = 1; ; page++) {
      if (page > MAX_PAGES) throw new RunnerError(`GET ${path}: more than ${MAX_PAGES} pages of ${PAGE} entries; is PageReturned honoured?`);
      const res = await ctx.client().request<unknown>('GET', path, { query: { PageReturned: page, ReturnLimit: PAGE, SortField: 'SecretName', SortAscending: 0 } });
      if (!Array.isArray(res.data)) throw new KeyfactorApiError(`GET ${path}: HTTP ${res.status} but the body is not a list of entries`, res.status);
      all.push(...(res.data as Entry[]));
      if (res.data.length < PAGE) return all;
    }
  });
}

/**
 * Checked on the content carrier (one line per PamLocalEntry): the entry exists with the
 * description set. Its value is never returned by the API, so it is not compared. Replacing the
 * content carrier repairs both (its run writes the full record, creating the entry if absent).
 */
export const pamLocalEntryDrift: DriftRule<PamLocalEntrySpec> = async (ctx, spec) => {
  if (spec.part !== 'content') return undefined;
  const wanted = spec.secretName.toLowerCase();
  const entry = (await entriesOf(ctx, spec.providerId)).find((e) => typeof e.SecretName === 'string' && e.SecretName.toLowerCase() === wanted);
  const name = `secret "${spec.secretName}" of local PAM provider ${spec.providerId}`;
  const valueNote = '(its value cannot be read back, so it is not compared)';
  if (!entry) return { verdict: 'drift', detail: `${name} does not exist` };
  const description = typeof entry.Description === 'string' && entry.Description !== '' ? entry.Description : undefined;
  if (description !== (spec.description === '' ? undefined : spec.description)) {
    return { verdict: 'drift', detail: `${name} has description ${JSON.stringify(description ?? null)}, not ${JSON.stringify(spec.description ?? null)} as set ${valueNote}` };
  }
  return { verdict: 'in-sync', detail: `${name} exists with the description set ${valueNote}` };
};
