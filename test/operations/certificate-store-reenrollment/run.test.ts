import { SPEC_VERSION } from '../../../src/contract/spec';
import { certificateStoreReenrollment } from '../../../src/operations/certificate-store-reenrollment/run';
import type { CertificateStoreReenrollmentSpec } from '../../../src/operations/certificate-store-reenrollment/spec';
import { A1, applyHalfHarness, basicEnv, contextFor, failure, S1 } from '../../support/runtime';

describe('CertificateStoreReenrollment apply half: reenrollment sent, answer lost', () => {
  const h = applyHalfHarness();
  const reenroll: CertificateStoreReenrollmentSpec = { v: SPEC_VERSION, stack: 't', path: 't/op', operation: 'CertificateStoreReenrollment', keystoreId: S1, subjectName: 'CN=web-01.example.test', agentGuid: A1, alias: 'web-2026' };

  test('Reenrollment, answer lost: its job is found like on the normal path', async () => {
    h.fault('/CertificateStores/Reenrollment', 'resetAfterProcessing');
    const result = await h.run(certificateStoreReenrollment.create(contextFor(basicEnv(h.sim())), reenroll));
    expect(h.sim().received('POST', '/CertificateStores/Reenrollment')).toHaveLength(1);
    expect(result.jobIds).toEqual(h.sim().jobs().map((j) => j.JobId));
    expect(h.output()).toContain('recovered: POST /CertificateStores/Reenrollment did reach Command');
  });

  test('Reenrollment, nothing found: fails instead of the usual warning', async () => {
    h.fault('/CertificateStores/Reenrollment', 'resetBeforeProcessing');
    const e = await failure(h.run(certificateStoreReenrollment.create(contextFor(basicEnv(h.sim())), reenroll)));
    expect(e.message).toContain(`The request may have created a Reenrollment job on store ${S1}; no JobHistory row with JobType Reenrollment`);
    expect(e.message).toContain(`A Reenrollment job (AgentId ${A1}, StorePath "/etc/ssl/web-01.pem", OperationStart >= `);
  });
});
