import { DataResource, Fn, TerraformVariable, Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  CertificateDeployment, CertificateStorePassword, CertificateStoreReenrollment, Ledger, PamLocalEntry, PfxReplacement, Schedule, Secret,
  SubjectAlternativeName, WaitPolicy,
} from '../../src';
import { DEFAULT_SEED } from '../../src/simulator';
import { caseVariant } from '../support/guid';
import { MIXED } from '../support/runtime';
import { StartedSimulator } from '../support/simulator';
import { endToEnd } from '../support/terraform';

/**
 * Props that are Terraform references: values from other resources' outputs, a store created in
 * the same apply, a variable, and literal text sent verbatim with Fn.rawString. Terraform
 * evaluates them; the runner sends what Terraform evaluated, checks it first, and identifies each
 * instance by it.
 */
const [S0, S1] = [DEFAULT_SEED.stores[0].Id, DEFAULT_SEED.stores[1].Id];
const KF = '/KeyfactorAPI';
const ADD = `${KF}/CertificateStores/Certificates/Add`;
const REMOVE = `${KF}/CertificateStores/Certificates/Remove`;
const VERBATIM = 'lit-${var.x}-%{ if true }X%{ endif }';

describe('props that are Terraform references', () => {
  const e2e = endToEnd();
  let started: StartedSimulator;
  beforeAll(() => (started = e2e.started()));

  /** Job-creating requests sent during `step`, as "path certificate store/alias" (Remove sends no certificate id). */
  async function sentDuring(step: () => Promise<unknown>): Promise<string[]> {
    const before = started.sim.requests.length;
    await step();
    return started.sim.requests.slice(before)
      .filter((r) => r.method === 'POST' && !r.path.endsWith('/JobHistory'))
      .map((r) => {
        const body = r.body as { CertificateId?: number; CertificateStores?: { CertificateStoreId: string; Alias?: string }[] };
        return `${r.path} ${body.CertificateId ?? '(no certificate id)'} ${body.CertificateStores?.map((s) => `${s.CertificateStoreId}/${s.Alias}`).join(',')}`;
      })
      .sort();
  }

  test('a deployment from other resources\' outputs, a store created in the same apply, a variable alias and verbatim text', async () => {
    const project = e2e.project('refs');
    project.synth((scope: Construct) => {
      // Stand-ins for keyfactor_certificate and keyfactor_certificate_store: outputs known only at apply.
      const enrolled = new DataResource(scope, 'enrolled', { input: { certificateId: 3 } });
      const store = new DataResource(scope, 'store', { input: { id: S1 } });
      const alias = new TerraformVariable(scope, 'alias', { type: 'string' });
      new CertificateDeployment(scope, 'web', {
        certificateId: Token.asNumber(Fn.lookup(enrolled.output, 'certificateId')),
        schedule: Schedule.immediate(),
        wait: WaitPolicy.forCompletion({ pollIntervalSeconds: 1 }),
        stores: [
          { certificateStoreId: Token.asString(Fn.lookup(store.output, 'id')), key: 'created-store', alias: alias.stringValue },
          { certificateStoreId: S0, alias: Fn.rawString(VERBATIM) },
        ],
      });
    });
    const env = started.env;

    let out = '';
    expect(await sentDuring(async () => (out = await project.apply(env, ['-var', 'alias=ref-a'])))).toEqual([
      `${ADD} 3 ${S0}/${VERBATIM}`, `${ADD} 3 ${S1}/ref-a`,
    ]);
    expect(out).toMatch(/all 2 job\(s\) completed/);
    const created = Ledger.read(project.ledgerDir).filter((r) => r.operation === 'CertificateDeployment');
    expect(created.map((r) => [r.instanceKey, r.outcome]).sort()).toEqual([[S0, 'succeeded'], ['created-store', 'succeeded']]);

    // The variable changes: that store's instance only is replaced, Remove (old alias) before Add.
    const before = started.sim.requests.length;
    expect(await sentDuring(async () => (out = await project.apply(env, ['-var', 'alias=ref-b'])))).toEqual([
      `${ADD} 3 ${S1}/ref-b`, `${REMOVE} (no certificate id) ${S1}/ref-a`,
    ]);
    const order = started.sim.requests.slice(before).filter((r) => r.method === 'POST' && !r.path.endsWith('/JobHistory')).map((r) => r.path);
    expect(order).toEqual([REMOVE, ADD]);
    // The wait runs again, over each instance's newest job: the new Add, and the other store's, done already.
    expect(out).toMatch(/all 2 job\(s\) completed/);
    // Replaced: the store's instance and the wait; updated: the store's undo registry entry.
    expect(out).toMatch(/Resources: 2 added, 1 changed, 2 destroyed/);

    // Unchanged: nothing runs.
    expect(await sentDuring(() => project.apply(env, ['-var', 'alias=ref-b']))).toEqual([]);

    expect(await sentDuring(() => project.mustRun(['destroy', '-auto-approve', '-input=false', '-no-color', '-var', 'alias=ref-b'], env))).toEqual([
      `${REMOVE} (no certificate id) ${S0}/${VERBATIM}`, `${REMOVE} (no certificate id) ${S1}/ref-b`,
    ]);
  });

  test('a reference that evaluates to an invalid value fails the apply with the synth message and sends nothing', async () => {
    const project = e2e.project('refs-bad');
    project.synth((scope: Construct) => {
      const bad = new DataResource(scope, 'bad', { input: { id: 0, store: 'not-a-guid', subject: 'CN', dns: 'web..example.test' } });
      new CertificateDeployment(scope, 'web', {
        certificateId: Token.asNumber(Fn.lookup(bad.output, 'id')),
        schedule: Schedule.immediate(),
        stores: [{ certificateStoreId: Token.asString(Fn.lookup(bad.output, 'store')), key: 'created-store' }],
      });
      new PfxReplacement(scope, 'renew', {
        existingCertificateId: Token.asNumber(Fn.lookup(bad.output, 'id')),
        certificateId: 1,
      });
      new CertificateStorePassword(scope, 'password', {
        certStoreId: Token.asString(Fn.lookup(bad.output, 'store')),
        newPassword: Secret.fromEnv('REF_STORE_PASSWORD'),
      });
      // An entry's provider and name name its carrier instance: Terraform must know them at plan (a variable).
      new PamLocalEntry(scope, 'entry', {
        providerId: new TerraformVariable(scope, 'pam_provider', { type: 'number' }).numberValue,
        secretName: 'refs-bad-entry',
        secretValue: Secret.fromEnv('REF_PAM_VALUE'),
      });
      new CertificateStoreReenrollment(scope, 'rekey', {
        keystoreId: S0,
        agentGuid: Token.asString(Fn.lookup(bad.output, 'store')),
        subjectName: Token.asString(Fn.lookup(bad.output, 'subject')),
        alias: 'refs-bad',
        sans: [SubjectAlternativeName.dns(Token.asString(Fn.lookup(bad.output, 'dns')))],
      });
    });
    await project.mustRun(['init', '-input=false', '-no-color'], started.env);
    const before = started.sim.requests.length;
    const env = { ...started.env, REF_STORE_PASSWORD: 'ref-store-password', REF_PAM_VALUE: 'ref-pam-value' };
    const res = await project.terraform(['apply', '-auto-approve', '-input=false', '-no-color', '-var', 'pam_provider=0'], env);
    expect(res.status).toBe(1);
    const text = (res.stdout + res.stderr).replace(/\s*│\s*/g, ' ');
    expect(text).toContain('refs-bad/web: CertificateDeployment has 2 invalid props:');
    expect(text).toContain('certificateId: must be an integer from 1 to 2147483647, got 0');
    expect(text).toContain('stores[0].certificateStoreId: must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got "not-a-guid"');
    expect(text).toContain('refs-bad/renew: existingCertificateId: must be an integer from 1 to 2147483647, got 0 (in PfxReplacement)');
    expect(text).toContain('refs-bad/password: certStoreId: must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got "not-a-guid" (in CertificateStorePassword)');
    expect(text).toContain('refs-bad/entry: providerId: must be an integer from 1 to 2147483647, got 0 (in PamLocalEntry)');
    expect(text).toContain('refs-bad/rekey: CertificateStoreReenrollment has 3 invalid props:');
    expect(text).toContain('agentGuid: must be a GUID');
    expect(text).toContain('subjectName: is not a valid X.500 distinguished name: attribute type CN has no "=value"');
    expect(text).toContain('sans[0]: dns "web..example.test": has an empty label');
    const failed = [...text.matchAll(/(refs-bad\/\w+)(?: \[[^\]]*\])?: create failed: .*?nothing was sent to Keyfactor Command/gs)].map((m) => m[1]);
    expect(new Set(failed)).toEqual(new Set(['web', 'renew', 'password', 'entry', 'rekey'].map((n) => `refs-bad/${n}`)));
    expect(text).not.toMatch(/ref-store-password|ref-pam-value/);
    expect(started.sim.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  test('a store password and a reenrollment from other resources\' outputs send the evaluated values', async () => {
    const project = e2e.project('refs-stores');
    project.synth((scope: Construct) => {
      const store = new DataResource(scope, 'store', { input: { id: caseVariant(MIXED), agent: DEFAULT_SEED.orchestrators[0].AgentId, host: 'web-01.example.test' } });
      new CertificateStorePassword(scope, 'password', { certStoreId: Token.asString(Fn.lookup(store.output, 'id')), newPassword: Secret.fromEnv('REF_STORE_PASSWORD') });
      new CertificateStoreReenrollment(scope, 'rekey', {
        keystoreId: Token.asString(Fn.lookup(store.output, 'id')),
        agentGuid: Token.asString(Fn.lookup(store.output, 'agent')),
        subjectName: `CN=${Token.asString(Fn.lookup(store.output, 'host'))}`,
        alias: 'refs-rekey',
        sans: [SubjectAlternativeName.dns(Token.asString(Fn.lookup(store.output, 'host')))],
      });
    });
    const before = started.sim.requests.length;
    await project.apply({ ...started.env, REF_STORE_PASSWORD: 'ref-store-password' });
    const sent = started.sim.requests.slice(before).filter((r) => r.method === 'PUT' || r.path.endsWith('/Reenrollment'));
    expect(sent.map((r) => r.body)).toEqual(expect.arrayContaining([
      expect.objectContaining({ CertStoreId: MIXED }), // lower case, as a literal GUID is sent
      expect.objectContaining({ KeystoreId: MIXED, AgentGuid: DEFAULT_SEED.orchestrators[0].AgentId, SubjectName: 'CN=web-01.example.test', SANs: { dns: ['web-01.example.test'] } }),
    ]));
    expect(sent).toHaveLength(2);
    await project.destroy(started.env);
  });

  test('a PfxReplacement from an enrollment\'s outputs sends the evaluated ids', async () => {
    const project = e2e.project('refs-pfx');
    project.synth((scope: Construct) => {
      // Stands in for a PFX enrollment: its response's certificate id, as a string as Terraform ids are.
      const enrollment = new DataResource(scope, 'enrollment', { input: { replaced: 1, issued: '2' } });
      new PfxReplacement(scope, 'renew', {
        existingCertificateId: Token.asNumber(Fn.lookup(enrollment.output, 'replaced')),
        certificateId: Token.asNumber(Fn.lookup(enrollment.output, 'issued')),
        allowPartialSuccess: true, // the seed's store 5 refuses replacements
      });
    });
    const before = started.sim.requests.length;
    await project.apply(started.env);
    const sent = started.sim.requests.slice(before).filter((r) => r.path.endsWith('/Enrollment/PFX/Replace'));
    expect(sent.map((r) => r.body)).toEqual([expect.objectContaining({ ExistingCertificateId: 1, CertificateId: 2 })]);
    await project.destroy(started.env);
  });

  test('a PAM entry named by variables: renamed by a variable change, the new entry is written before the old one is deleted', async () => {
    const project = e2e.project('refs-pam');
    project.synth((scope: Construct) => {
      const provider = new TerraformVariable(scope, 'pam_provider', { type: 'number' });
      const name = new TerraformVariable(scope, 'name', { type: 'string' });
      new PamLocalEntry(scope, 'db', {
        providerId: provider.numberValue,
        secretName: name.stringValue,
        description: Fn.rawString('rotated by ${pipeline}'),
        secretValue: Secret.fromEnv('REF_PAM_VALUE'),
      });
    });
    const env = { ...started.env, REF_PAM_VALUE: 'ref-pam-value' };
    const entries = () => started.sim.pamEntries(1).map((e) => `${e.SecretName}: ${e.Description}`);
    await project.apply(env, ['-var', 'pam_provider=1', '-var', 'name=Ref-DB']);
    expect(entries()).toContain('Ref-DB: rotated by ${pipeline}');

    const before = started.sim.requests.length;
    const out = await project.apply(env, ['-var', 'pam_provider=1', '-var', 'name=ref-db-2']);
    const sent = started.sim.requests.slice(before).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.query.secretName ?? ''}`.trim());
    expect(sent).toEqual(['POST', 'PUT', 'DELETE Ref-DB']);
    expect(entries()).toContain('ref-db-2: rotated by ${pipeline}');
    expect(entries().some((e) => e.startsWith('Ref-DB:'))).toBe(false);
    expect(out).not.toContain('ref-pam-value');

    await project.mustRun(['destroy', '-auto-approve', '-input=false', '-no-color', '-var', 'pam_provider=1', '-var', 'name=ref-db-2'], env);
    expect(entries().some((e) => e.startsWith('ref-db-2:'))).toBe(false);
  });
});
