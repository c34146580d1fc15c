import { SPEC_VERSION } from '../../../src/contract/spec';
import { pfxReplacement } from '../../../src/operations/pfx-replacement/run';
import type { PfxReplacementSpec } from '../../../src/operations/pfx-replacement/spec';
import { applyHalfHarness, basicEnv, contextFor, failure, S2 } from '../../support/runtime';

const S2_TEXT = `${S2} (app-01.example.test /opt/app/keystore.jks)`;

describe('PfxReplacement apply half: replacement sent, answer lost', () => {
  const h = applyHalfHarness();
  const pfx: PfxReplacementSpec = { v: SPEC_VERSION, stack: 't', path: 't/op', operation: 'PfxReplacement', existingCertificateId: 2, certificateId: 4, allowPartialSuccess: false };

  test.each([
    ['resetAfterProcessing', 'ECONNRESET: socket hang up'],
    ['unexpectedBody', 'POST /Enrollment/PFX/Replace: HTTP 200 but SuccessfulStores is not a list of store GUIDs: {"Status":"Accepted"}'],
  ] as const)('PFX replace, answer lost (%s): stores with a new management job are the successful ones', async (kind, reason) => {
    h.fault('/Enrollment/PFX/Replace', kind);
    const result = await h.run(pfxReplacement.create(contextFor(basicEnv(h.sim())), pfx));
    expect(h.sim().received('POST', '/Enrollment/PFX/Replace')).toHaveLength(1);
    const job = h.sim().jobs().find((j) => j.Operation === 'PfxReplace')!;
    expect(result.jobIds).toEqual([job.JobId]);
    expect(result.response).toMatchObject({ SuccessfulStores: [S2], FailedStores: [] });
    expect(result.message).toContain(`Command's answer was lost (${reason}); SuccessfulStores come from JobHistory and FailedStores are unknown`);
    expect(h.sim().received('GET', '/Certificates/2')[0].query).toEqual({ includeLocations: 'true' });
  });

  test('PFX replace, nothing found: fails naming the stores holding the certificate', async () => {
    h.fault('/Enrollment/PFX/Replace', 'resetBeforeProcessing');
    const e = await failure(h.run(pfxReplacement.create(contextFor(basicEnv(h.sim())), pfx)));
    expect(e.message).toContain(`The request may have created management jobs replacing certificate 2 on store(s) ${S2_TEXT}; no new Management job on those stores appeared in JobHistory. ` +
      'A Management job (AgentId 22222222-2222-4222-8222-000000000001, StorePath "/opt/app/keystore.jks", OperationStart >= ');
    expect(h.sim().received('POST', '/Enrollment/PFX/Replace')).toHaveLength(1);
  });
});
