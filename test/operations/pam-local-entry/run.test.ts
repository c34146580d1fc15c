import { SPEC_VERSION } from '../../../src/contract/spec';
import { pamLocalEntry } from '../../../src/operations/pam-local-entry/run';
import type { PamLocalEntrySpec } from '../../../src/operations/pam-local-entry/spec';
import { applyHalfHarness, basicEnv, CANARY, contextFor } from '../../support/runtime';

describe('PamLocalEntry apply half: create sent, answer lost; retried updates', () => {
  const h = applyHalfHarness();
  const pam: PamLocalEntrySpec = {
    v: SPEC_VERSION, stack: 't', path: 't/op', operation: 'PamLocalEntry', key: '1/db', part: 'entry', providerId: 1, secretName: 'db', description: 'ours', secretValue: { source: 'env', name: 'DB_SECRET' },
  };
  const pamEnv = () => basicEnv(h.sim(), { DB_SECRET: CANARY.pamValue });
  const pamMethods = () => h.sim().requests.filter((r) => r.path.endsWith('/Entries')).map((r) => r.method);

  test('PAM create, answer lost but the entry exists: adopted, then its full record PUT', async () => {
    h.fault('/Entries', 'resetAfterProcessing');
    const result = await h.run(pamLocalEntry.create(contextFor(pamEnv()), pam));
    expect(pamMethods()).toEqual(['GET', 'POST', 'GET', 'PUT']);
    expect(h.sim().pamEntries(1).filter((e) => e.SecretName === 'db')).toEqual([{ SecretName: 'db', Description: 'ours', SecretValue: CANARY.pamValue }]);
    expect(result.message).toContain('(the lost POST had created it; its full record was written again)');
  });

  test('PAM create, answer lost and no entry: POSTed once more (names are unique, so never twice)', async () => {
    h.fault('/Entries', 'resetBeforeProcessing');
    await h.run(pamLocalEntry.create(contextFor(pamEnv()), pam));
    expect(pamMethods()).toEqual(['GET', 'POST', 'GET', 'POST']);
    expect(h.sim().pamEntries(1).filter((e) => e.SecretName === 'db')).toHaveLength(1);
  });

  test('PAM PUT and DELETE: idempotent, retried normally', async () => {
    const ctx = contextFor(pamEnv());
    await h.run(pamLocalEntry.create(ctx, pam));
    h.sim().injectFaults({ route: { method: 'PUT' }, kind: 'resetAfterProcessing', count: 1 }, { route: { method: 'DELETE' }, kind: 'status503', count: 1 });
    await h.run(pamLocalEntry.create(ctx, { ...pam, part: 'content', key: 'content', description: 'new' }));
    expect(h.sim().pamEntries(1).find((e) => e.SecretName === 'db')?.Description).toBe('new');
    await h.run(pamLocalEntry.destroy!(ctx, pam));
    expect(h.sim().pamEntries(1).find((e) => e.SecretName === 'db')).toBeUndefined();
  });
});
