import { A1, basicEnv, CANARY, captureOutput, contextFor, expectNoCanary, failure, S1, S2, startSim } from './support';
import type { CertificateStorePasswordSpec } from '../../src/constructs/certificate-store-password';
import type { CertificateStoreReenrollmentSpec } from '../../src/constructs/certificate-store-reenrollment';
import type { PamLocalEntrySpec } from '../../src/constructs/pam-local-entry';
import type { PfxReplacementSpec } from '../../src/constructs/pfx-replacement';
import { CertificateDeploymentSpec, SPEC_VERSION } from '../../src/core/operation-spec';
import { certificateDeployment } from '../../src/runner/certificate-deployment';
import { certificateStorePassword } from '../../src/runner/certificate-store-password';
import { certificateStoreReenrollment } from '../../src/runner/certificate-store-reenrollment';
import { LedgerWriter } from '../../src/runner/ledger';
import { pamLocalEntry } from '../../src/runner/pam-local-entry';
import { pfxReplacement } from '../../src/runner/pfx-replacement';
import { FaultKind, KeyfactorSimulator } from '../../src/simulator';

const ADD = '/CertificateStores/Certificates/Add';
const REMOVE = '/CertificateStores/Certificates/Remove';
const base = { v: SPEC_VERSION, stack: 't', path: 't/op' };
const deployment: CertificateDeploymentSpec = {
  ...base, operation: 'CertificateDeployment', key: S1, certificateId: 3, store: { certificateStoreId: S1, alias: 'web' }, schedule: { Immediate: true }, removeOnDestroy: true,
};
const S2_TEXT = `${S2} (app-01.example.test /opt/app/keystore.jks)`;

describe('ambiguous job-creating requests', () => {
  let sim: KeyfactorSimulator;
  let out: ReturnType<typeof captureOutput>;
  const seen: string[] = [];
  beforeAll(async () => (sim = await startSim()));
  afterAll(async () => {
    expectNoCanary(...seen);
    await sim.stop();
  });
  beforeEach(() => {
    sim.reset();
    out = captureOutput();
  });
  afterEach(() => {
    out.restore();
    seen.push(out.text());
  });
  const fault = (pathSuffix: string, kind: FaultKind, extra = {}) => sim.injectFaults({ route: { method: 'POST', pathSuffix }, kind, count: 1, ...extra });
  const run = async <T>(p: Promise<T>) => {
    try {
      return await p;
    } catch (e) {
      seen.push((e as Error).message);
      throw e;
    }
  };

  test.each([
    ['resetAfterProcessing', {}],
    ['latency', { latencyMs: 1500 }],
    ['malformedJson', {}],
  ] as const)('Add, answer lost (%s): the job is recovered from JobHistory, never sent twice', async (kind, extra) => {
    fault(ADD, kind, extra);
    const result = await run(certificateDeployment.create(contextFor(basicEnv(sim, { KEYFACTOR_CLIENT_TIMEOUT: '0.5' })), deployment));
    expect(sim.received('POST', ADD)).toHaveLength(1);
    expect(sim.jobs().map((j) => j.JobId)).toEqual(result.jobIds);
    expect(sim.duplicateJobs()).toEqual([]);
    expect(result.response).toMatchObject({ recoveredFromJobHistory: true });
    expect(out.text()).toMatch(/recovered: POST \/CertificateStores\/Certificates\/Add did reach Command: its job [0-9a-f-]{36} \(OperationStart .*\) is in JobHistory; not sending it again/);
  });

  test('Add, not processed (reset before): after a short lookup, fails saying what may exist and where to look', async () => {
    fault(ADD, 'resetBeforeProcessing');
    const e = await failure(run(certificateDeployment.create(contextFor(basicEnv(sim)), deployment)));
    expect(e.message).toMatch(new RegExp(
      '^POST /CertificateStores/Certificates/Add: ECONNRESET: socket hang up, after the request was sent at (\\S+): Keyfactor Command may or may not have acted on it\\. ' +
      `The request may have created a Management job to add certificate 3 on store ${S1} \\(web-01\\.example\\.test /etc/ssl/web-01\\.pem\\); ` +
      'no new Management job on that store appeared in JobHistory within 1s\\. ' +
      `Check JobHistory for a Management job \\(AgentId ${A1}, StorePath "/etc/ssl/web-01\\.pem", OperationStart >= \\S+\\) before re-applying: re-applying sends the request again\\.$`));
    expect(sim.received('POST', ADD)).toHaveLength(1);
    expect(sim.jobs()).toEqual([]);
  });

  test('a job already in the ledger (a Remove just before) is never taken for the lost Add\'s', async () => {
    const ctx = contextFor(basicEnv(sim));
    const removed = await certificateDeployment.destroy!(ctx, deployment);
    new LedgerWriter(ctx.ledgerDirectory).begin({ operation: 'CertificateDeployment', phase: 'destroy', stack: 't', constructPath: 't/op', specHash: 'x' })
      .finish('succeeded', { jobIds: removed.jobIds });
    fault(ADD, 'resetBeforeProcessing');
    const e = await failure(run(certificateDeployment.create(ctx, deployment)));
    expect(e.message).toContain('The request may have created a Management job to add certificate 3');
  });

  test('Remove, answer lost: recovered the same way', async () => {
    fault(REMOVE, 'resetAfterProcessing');
    const result = await run(certificateDeployment.destroy!(contextFor(basicEnv(sim)), deployment));
    expect(sim.received('POST', REMOVE)).toHaveLength(1);
    expect(sim.jobs().filter((j) => j.Operation === 'Remove').map((j) => j.JobId)).toEqual(result.jobIds);
  });

  test('Add after a timeout, job not visible: the failure names the store and the timeout', async () => {
    // Latency past the client timeout on a request that is refused (503) afterwards: nothing was created.
    sim.injectFaults({ route: { method: 'POST', pathSuffix: ADD }, kind: 'latency', latencyMs: 1500, count: 1 }, { route: { method: 'POST', pathSuffix: ADD }, kind: 'status503', count: 1 });
    const e = await failure(run(certificateDeployment.create(contextFor(basicEnv(sim, { KEYFACTOR_CLIENT_TIMEOUT: '0.5' })), deployment)));
    expect(e.message).toContain('POST /CertificateStores/Certificates/Add: no answer within 0.5s (KEYFACTOR_CLIENT_TIMEOUT), after the request was sent at');
    expect(e.message).toContain(`The request may have created a Management job to add certificate 3 on store ${S1} (web-01.example.test /etc/ssl/web-01.pem)`);
    expect(sim.received('POST', ADD)).toHaveLength(1);
  });

  const pfx: PfxReplacementSpec = { ...base, operation: 'PfxReplacement', existingCertificateId: 2, certificateId: 4, allowPartialSuccess: false };

  test('PFX replace, answer lost: stores with a new management job are the successful ones', async () => {
    fault('/Enrollment/PFX/Replace', 'resetAfterProcessing');
    const result = await run(pfxReplacement.create(contextFor(basicEnv(sim)), pfx));
    expect(sim.received('POST', '/Enrollment/PFX/Replace')).toHaveLength(1);
    const job = sim.jobs().find((j) => j.Operation === 'PfxReplace')!;
    expect(result.jobIds).toEqual([job.JobId]);
    expect(result.response).toMatchObject({ SuccessfulStores: [S2], FailedStores: [] });
    expect(result.message).toContain('Command\'s answer was lost (ECONNRESET: socket hang up); SuccessfulStores come from JobHistory and FailedStores are unknown');
    expect(sim.received('GET', '/Certificates/2')[0].query).toEqual({ includeLocations: 'true' });
  });

  test('PFX replace, nothing found: fails naming the stores holding the certificate', async () => {
    fault('/Enrollment/PFX/Replace', 'resetBeforeProcessing');
    const e = await failure(run(pfxReplacement.create(contextFor(basicEnv(sim)), pfx)));
    expect(e.message).toContain(`The request may have created management jobs replacing certificate 2 on store(s) ${S2_TEXT}; no new Management job on those stores appeared in JobHistory. ` +
      'Check JobHistory for a Management job (AgentId 22222222-2222-4222-8222-000000000001, StorePath "/opt/app/keystore.jks", OperationStart >= ');
    expect(sim.received('POST', '/Enrollment/PFX/Replace')).toHaveLength(1);
  });

  const reenroll: CertificateStoreReenrollmentSpec = { ...base, operation: 'CertificateStoreReenrollment', keystoreId: S1, subjectName: 'CN=web-01.example.test', agentGuid: A1, alias: 'web-2026' };

  test('Reenrollment, answer lost: its job is found like on the normal path', async () => {
    fault('/CertificateStores/Reenrollment', 'resetAfterProcessing');
    const result = await run(certificateStoreReenrollment.create(contextFor(basicEnv(sim)), reenroll));
    expect(sim.received('POST', '/CertificateStores/Reenrollment')).toHaveLength(1);
    expect(result.jobIds).toEqual(sim.jobs().map((j) => j.JobId));
    expect(out.text()).toContain('recovered: POST /CertificateStores/Reenrollment did reach Command');
  });

  test('Reenrollment, nothing found: fails instead of the usual warning', async () => {
    fault('/CertificateStores/Reenrollment', 'resetBeforeProcessing');
    const e = await failure(run(certificateStoreReenrollment.create(contextFor(basicEnv(sim)), reenroll)));
    expect(e.message).toContain(`The request may have created a Reenrollment job on store ${S1}; no JobHistory row with JobType Reenrollment`);
    expect(e.message).toContain(`Check JobHistory for a Reenrollment job (AgentId ${A1}, StorePath "/etc/ssl/web-01.pem", OperationStart >= `);
  });

  const pam: PamLocalEntrySpec = {
    ...base, operation: 'PamLocalEntry', key: '1/db', part: 'entry', providerId: 1, secretName: 'db', description: 'ours', secretValue: { source: 'env', name: 'DB_SECRET' },
  };
  const pamEnv = () => basicEnv(sim, { DB_SECRET: CANARY.pamValue });
  const pamMethods = () => sim.requests.filter((r) => r.path.endsWith('/Entries')).map((r) => r.method);

  test('PAM create, answer lost but the entry exists: adopted, then its full record PUT', async () => {
    fault('/Entries', 'resetAfterProcessing');
    const result = await run(pamLocalEntry.create(contextFor(pamEnv()), pam));
    expect(pamMethods()).toEqual(['GET', 'POST', 'GET', 'PUT']);
    expect(sim.pamEntries(1).filter((e) => e.SecretName === 'db')).toEqual([{ SecretName: 'db', Description: 'ours', SecretValue: CANARY.pamValue }]);
    expect(result.message).toContain('(the lost POST had created it; its full record was written again)');
  });

  test('PAM create, answer lost and no entry: POSTed once more (names are unique, so never twice)', async () => {
    fault('/Entries', 'resetBeforeProcessing');
    await run(pamLocalEntry.create(contextFor(pamEnv()), pam));
    expect(pamMethods()).toEqual(['GET', 'POST', 'GET', 'POST']);
    expect(sim.pamEntries(1).filter((e) => e.SecretName === 'db')).toHaveLength(1);
  });

  test('PAM PUT and DELETE, store password PUT: idempotent, retried normally', async () => {
    const ctx = contextFor(pamEnv());
    await run(pamLocalEntry.create(ctx, pam));
    sim.injectFaults({ route: { method: 'PUT' }, kind: 'resetAfterProcessing', count: 1 }, { route: { method: 'DELETE' }, kind: 'status503', count: 1 });
    await run(pamLocalEntry.create(ctx, { ...pam, part: 'content', key: 'content', description: 'new' }));
    expect(sim.pamEntries(1).find((e) => e.SecretName === 'db')?.Description).toBe('new');
    await run(pamLocalEntry.destroy!(ctx, pam));
    expect(sim.pamEntries(1).find((e) => e.SecretName === 'db')).toBeUndefined();

    const password: CertificateStorePasswordSpec = { ...base, operation: 'CertificateStorePassword', certStoreId: S1, newPassword: { source: 'env', name: 'STORE_PW' } };
    sim.injectFaults({ route: { method: 'PUT' }, kind: 'resetAfterProcessing', count: 1 });
    await run(certificateStorePassword.create(contextFor(basicEnv(sim, { STORE_PW: CANARY.storePassword })), password));
    expect(sim.received('PUT', '/CertificateStores/Password')).toHaveLength(2);
    expect(sim.storePasswords()[S1]).toEqual({ SecretValue: CANARY.storePassword });
    expect(out.text()).toContain('retrying PUT /CertificateStores/Password after ECONNRESET (attempt 2');
  });
});

