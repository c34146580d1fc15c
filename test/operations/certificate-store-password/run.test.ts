import { SPEC_VERSION } from '../../../src/contract/spec';
import { certificateStorePassword } from '../../../src/operations/certificate-store-password/run';
import type { CertificateStorePasswordSpec } from '../../../src/operations/certificate-store-password/spec';
import { applyHalfHarness, basicEnv, CANARY, contextFor, S1 } from '../../support/runtime';

describe('CertificateStorePassword apply half', () => {
  const h = applyHalfHarness();

  test('the PUT is idempotent: retried after a lost answer, one password set', async () => {
    const password: CertificateStorePasswordSpec = { v: SPEC_VERSION, stack: 't', path: 't/op', operation: 'CertificateStorePassword', certStoreId: S1, newPassword: { source: 'env', name: 'STORE_PW' } };
    h.sim().injectFaults({ route: { method: 'PUT' }, kind: 'resetAfterProcessing', count: 1 });
    await h.run(certificateStorePassword.create(contextFor(basicEnv(h.sim(), { STORE_PW: CANARY.storePassword })), password));
    expect(h.sim().received('PUT', '/CertificateStores/Password')).toHaveLength(2);
    expect(h.sim().storePasswords()[S1]).toEqual({ SecretValue: CANARY.storePassword });
    expect(h.output()).toContain('retrying PUT /CertificateStores/Password after ECONNRESET (attempt 2');
  });
});
