import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Construct } from 'constructs';
import { CertificateStoreReenrollment, PamLocalEntry, PfxReplacement, Secret, WaitPolicy } from '../../src';
import { DriftResult, runDrift } from '../../src/cli/drift';
import { KeyfactorClient } from '../../src/runtime/api/client';
import { SecretResolver } from '../../src/runtime/secrets';
import { connectionSettings } from '../../src/runtime/settings';
import { DEFAULT_SEED } from '../../src/simulator';
import { StartedSimulator } from '../support/simulator';
import { endToEnd } from '../support/terraform';

/**
 * The drift rules of PfxReplacement, PamLocalEntry and CertificateStoreReenrollment, each made
 * false the way it happens: a replaced certificate taken out of a store, a PAM description edited
 * in Command, a reenrollment job that failed on its orchestrator. `--fix` repairs what re-running
 * repairs and names what it cannot.
 */
const store = (n: number) => DEFAULT_SEED.stores[n - 1].Id;
const ORCHESTRATOR_2 = DEFAULT_SEED.stores[3].AgentId;
const SECRET_ENV = { DRIFT_PFX_PASSWORD: 'drift-pfx-password', DRIFT_PAM_VALUE: 'drift-pam-value' };

describe('drift rules per operation', () => {
  const e2e = endToEnd();
  let started: StartedSimulator;
  beforeAll(() => (started = e2e.started()));

  /** `drift --json` with the apply's environment (connection and secrets: --fix applies). */
  async function drift(project: { outdir: string }, options: { fix?: boolean } = {}, env: Record<string, string> = {}) {
    const lines: string[] = [];
    const code = await runDrift({ outdir: project.outdir, json: true, pollIntervalSeconds: 0.2, ...options },
      { ...process.env, ...started.env, ...SECRET_ENV, ...env }, (l) => lines.push(l));
    const report = JSON.parse(lines.join('\n')) as { results: DriftResult[] };
    return { code, byOperation: Object.fromEntries(report.results.map((r) => [r.label.split(' ')[0], r])) };
  }

  test('PFX SuccessfulStores, PAM entry and description, reenrollment job result: in sync, drift, --fix', async () => {
    // Store 4 fails every job: the reenrollment (not waited on) fails after the apply.
    const project = e2e.project('rules');
    project.synth((scope: Construct) => {
      // Certificate 1 is in stores 1 and 5; 5 refuses replacements.
      new PfxReplacement(scope, 'renew', {
        existingCertificateId: 1,
        certificateId: 5,
        password: Secret.fromEnv('DRIFT_PFX_PASSWORD'),
        allowPartialSuccess: true,
        wait: WaitPolicy.forCompletion({ timeoutSeconds: 30, pollIntervalSeconds: 0.2, verifyDelivery: true }),
      });
      new PamLocalEntry(scope, 'secret', {
        providerId: 1, secretName: 'drift-secret', description: 'set by cdktf', secretValue: Secret.fromEnv('DRIFT_PAM_VALUE'),
      });
      new CertificateStoreReenrollment(scope, 'rekey', {
        keystoreId: store(4), agentGuid: ORCHESTRATOR_2, subjectName: 'CN=rekey.example.test', alias: 'rekey',
      });
    });
    const out = await project.apply({ ...started.env, ...SECRET_ENV });
    // The verified wait of the replacement: certificate 5 is in store 1 per the inventory after its job.
    expect(out).toContain("all 1 certificate(s) are in place per Command's inventories");

    const job = () => started.sim.jobs().filter((j) => j.Operation === 'Reenrollment').pop()!;
    await until(() => job().Status === 3);
    let res = await drift(project);
    expect(res.code).toBe(2);
    expect(res.byOperation.PfxReplacement).toMatchObject({
      verdict: 'in-sync', detail: 'certificate 5 is in all 1 store(s) it replaced 1 in',
    });
    expect(res.byOperation.PamLocalEntry).toMatchObject({
      verdict: 'in-sync',
      detail: 'secret "drift-secret" of local PAM provider 1 exists with the description set (its value cannot be read back, so it is not compared)',
    });
    expect(res.byOperation.CertificateStoreReenrollment).toMatchObject({ verdict: 'drift', replaceable: true });
    expect(res.byOperation.CertificateStoreReenrollment.detail).toMatch(at(`its job ${job().JobId} on store ${store(4)} failed at `, `: ${job().Message}`));

    // Out of band: the new certificate is taken out of store 1 (and the store inventoried), the
    // description is edited in Command; the orchestrator of store 4 is repaired.
    expect(started.sim.removeFromStore(store(1), 'www')).toBe(true);
    started.sim.inventory(store(1));
    const secrets = new SecretResolver(started.env);
    await new KeyfactorClient(connectionSettings({ ...started.env }, secrets), secrets).request('PUT', '/PamProviders/Local/1/Entries', {
      body: { SecretName: 'drift-secret', Description: 'edited by hand' },
    });
    started.sim.setStoreBehaviour(store(4), { failJobs: false });

    res = await drift(project);
    expect(res.code).toBe(2);
    expect(res.byOperation.PfxReplacement.detail).toMatch(new RegExp(`^replaced 1 in 1 store\\(s\\); certificate 5 is not in store ${store(1)}: ` +
      'Command\'s inventory of the store at \\S+, after its job [0-9a-f-]{36} ended, does not list it there$'));
    expect(res.byOperation.PfxReplacement).toMatchObject({
      verdict: 'drift',
      replaceable: false,
      fix: 'deploy certificate 5 to that store with a CertificateDeployment (re-running the replacement would schedule nothing there: ' +
        'Command replaces only where certificate 1 still is)',
    });
    expect(res.byOperation.PamLocalEntry).toMatchObject({
      verdict: 'drift',
      detail: 'secret "drift-secret" of local PAM provider 1 has description "edited by hand", not "set by cdktf" as set (its value cannot be read back, so it is not compared)',
    });

    // --fix: the PAM content and the reenrollment run again; the replacement is left alone (exit 2).
    const before = started.sim.requests.length;
    res = await drift(project, { fix: true });
    expect(res.code).toBe(2);
    const sent = started.sim.requests.slice(before).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path.replace(/^\/KeyfactorAPI/, '')}`);
    expect(sent.sort()).toEqual(['POST /CertificateStores/Reenrollment', 'PUT /PamProviders/Local/1/Entries']);
    expect(started.sim.pamEntries(1).find((e) => e.SecretName === 'drift-secret')).toEqual({
      SecretName: 'drift-secret', Description: 'set by cdktf', SecretValue: SECRET_ENV.DRIFT_PAM_VALUE,
    });
    expect(res.byOperation.PamLocalEntry.verdict).toBe('in-sync');
    // --fix waited for the new job to finish before checking again.
    expect(res.byOperation.CertificateStoreReenrollment).toMatchObject({ verdict: 'in-sync' });
    expect(res.byOperation.CertificateStoreReenrollment.detail).toMatch(at(`its job ${job().JobId} on store ${store(4)} completed with Success at `, ''));
    expect(res.byOperation.PfxReplacement.verdict).toBe('drift');

    // Without the ledger: the replacement's SuccessfulStores are unknown, the reenrollment falls back to the store's newest job.
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-no-ledger-'));
    try {
      res = await drift(project, {}, { CDKTF_KEYFACTOR_LEDGER_DIR: empty });
      expect(res.byOperation.PfxReplacement).toMatchObject({ verdict: 'not-checked' });
      expect(res.byOperation.PfxReplacement.detail).toContain(`no ledger record of this replacement in ${empty}`);
      expect(res.byOperation.CertificateStoreReenrollment).toMatchObject({ verdict: 'in-sync' });
      expect(res.byOperation.CertificateStoreReenrollment.detail).toContain(`the store's newest Reenrollment job ${job().JobId} (no ledger record in ${empty})`);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

/** `before`, an ISO 8601 time, `after`: the whole text. */
function at(before: string, after: string): RegExp {
  const quote = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${quote(before)}\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z${quote(after)}$`);
}

async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
