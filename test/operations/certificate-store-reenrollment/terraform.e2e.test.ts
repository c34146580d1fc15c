import * as http from 'http';
import * as https from 'https';
import { AddressInfo } from 'net';
import { Construct } from 'constructs';
import { CertificateStoreReenrollment, Ledger, SubjectAlternativeName } from '../../../src';
import { KeyfactorSimulator } from '../../../src/simulator';
import { connectionEnv, startTlsSimulator } from '../../support/simulator';
import { TerraformProject } from '../../support/terraform';

// Default seed: stores 1 and 2 are on orchestrator 1 (different paths); store 6 does not support reenrollment.
const S1 = '11111111-1111-4111-8111-000000000001';
const S2 = '11111111-1111-4111-8111-000000000002';
const S6 = '11111111-1111-4111-8111-000000000006';
const AGENT_1 = '22222222-2222-4222-8222-000000000001';
const SUBJECT = 'CN=web-01.example.test,OU=IT,O="Key Example, Inc.",C=US';

/**
 * A pass-through proxy in front of the simulator that answers every JobHistory query with no
 * rows, as a Command whose job history lags behind would.
 */
async function historyHidingProxy(targetUrl: string, ca?: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (/\/OrchestratorJobs\/JobHistory/i.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-total-count': '0' });
      res.end('[]');
      return;
    }
    const upstream = (targetUrl.startsWith('https:') ? https : http).request(`${targetUrl}${req.url}`, { method: req.method, headers: req.headers, ca }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

describe('CertificateStoreReenrollment end to end (terraform + simulator)', () => {
  let sim: KeyfactorSimulator;
  let env: Record<string, string>;
  const projects: TerraformProject[] = [];

  beforeAll(async () => {
    sim = await startTlsSimulator({ jobTiming: { waitingMs: 20, inProcessMs: 20 } });
    env = {
      ...connectionEnv(sim),
      CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '10',
      CDKTF_KEYFACTOR_JOB_LOOKUP_INTERVAL_SECONDS: '0.2',
    };
  });

  afterAll(async () => {
    await sim?.stop();
    for (const p of projects) p.cleanup();
  });

  beforeEach(() => sim.reset());

  const project = (name: string, build: (stack: Construct) => void) => {
    const p = new TerraformProject(name);
    projects.push(p);
    p.synth(build);
    return p;
  };
  const reenrollmentJobs = () => sim.jobs().filter((j) => j.JobType === 'Reenrollment');

  test('two stores of one orchestrator reenrolled in one apply: each records its own Reenrollment job GUID; the body is as typed', async () => {
    const p = project('e2e-reenroll', (stack) => {
      new CertificateStoreReenrollment(stack, 'web', {
        keystoreId: S1,
        agentGuid: AGENT_1,
        subjectName: SUBJECT,
        alias: 'web-2026',
        jobProperties: { ProviderName: 'Microsoft Software Key Storage Provider', KeySize: 2048 },
        certificateAuthority: 'ca.example.test\\Example Issuing CA',
        enrollmentPatternId: 4,
        sans: [
          SubjectAlternativeName.dns('web-01.example.test'),
          SubjectAlternativeName.dns('*.web.example.test'),
          SubjectAlternativeName.ip4('10.1.2.3'),
          SubjectAlternativeName.ip6('2001:db8::10'),
          SubjectAlternativeName.upn('svc-web@corp.example.test'),
        ],
        metadata: { Owner: 'web-team' },
        additionalEnrollmentFields: { Department: 'IT' },
        overwrite: true,
        ownerRoleName: 'PKI Admins',
      });
      new CertificateStoreReenrollment(stack, 'app', { keystoreId: S2, agentGuid: AGENT_1, subjectName: 'CN=app-01.example.test', alias: 'app' });
    });
    const out = await p.apply(env);

    const jobs = reenrollmentJobs();
    expect(jobs.map((j) => j.CertificateStoreId).sort()).toEqual([S1, S2]);
    const jobOf = (store: string) => jobs.find((j) => j.CertificateStoreId === store)!.JobId;
    const records = Ledger.read(p.ledgerDir);
    expect(records).toHaveLength(2);
    const recordOf = (construct: string) => records.find((r) => r.constructPath === `e2e-reenroll/${construct}`)!;
    expect(recordOf('web')).toMatchObject({ operation: 'CertificateStoreReenrollment', outcome: 'succeeded', jobIds: [jobOf(S1)] });
    expect(recordOf('app')).toMatchObject({ outcome: 'succeeded', jobIds: [jobOf(S2)] });
    expect(recordOf('web').response).toMatchObject({ StorePath: '/etc/ssl/web-01.pem', ClientMachine: 'web-01.example.test' });
    expect(recordOf('web').message).toBeUndefined();
    expect(out).toContain(jobOf(S1));
    expect(out).toContain(jobOf(S2));

    const sent = sim.received('POST', '/CertificateStores/Reenrollment').find((r) => (r.body as any).KeystoreId === S1)!;
    expect(sent.status).toBe(204);
    expect(sent.body).toEqual({
      KeystoreId: S1,
      SubjectName: SUBJECT,
      AgentGuid: AGENT_1,
      Alias: 'web-2026',
      JobProperties: { KeySize: 2048, ProviderName: 'Microsoft Software Key Storage Provider' },
      CertificateAuthority: 'ca.example.test\\Example Issuing CA',
      EnrollmentPatternId: 4,
      SANs: {
        dns: ['web-01.example.test', '*.web.example.test'],
        ip4: ['10.1.2.3'],
        ip6: ['2001:db8::10'],
        ms_ntprincipalname: ['svc-web@corp.example.test'],
      },
      Overwrite: true,
      Metadata: { Owner: 'web-team' },
      AdditionalEnrollmentFields: { Department: 'IT' },
      OwnerRoleName: 'PKI Admins',
    });
    expect(sent.body).not.toHaveProperty('JobFields');
    expect(recordOf('web').request).toEqual(sent.body);

    // The lookup asked JobHistory with the documented fields.
    const queries = sim.received('GET', '/OrchestratorJobs/JobHistory').map((r) => r.query.QueryString);
    expect(queries.length).toBeGreaterThanOrEqual(2);
    for (const q of queries) expect(q).toMatch(new RegExp(`^JobType -eq "Reenrollment" AND AgentId -eq "${AGENT_1}" AND OperationStart -ge "\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z"$`));

    // No undo: re-apply does nothing, destroy sends nothing.
    await p.apply(env);
    await p.destroy(env);
    expect(sim.received('POST', '/CertificateStores/Reenrollment')).toHaveLength(2);
    expect(Ledger.read(p.ledgerDir)).toHaveLength(2);
  });

  test('a job that cannot be identified in time: the apply still succeeds, with a warning and no job GUID', async () => {
    const proxy = await historyHidingProxy(sim.url, sim.caCertPem);
    try {
      const p = project('e2e-reenroll-unseen', (stack) => {
        new CertificateStoreReenrollment(stack, 'web', { keystoreId: S1, agentGuid: AGENT_1, subjectName: SUBJECT, alias: 'web' });
      });
      const started = Date.now();
      const out = await p.apply({ ...env, KEYFACTOR_HOSTNAME: proxy.url, CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '1.5', CDKTF_KEYFACTOR_JOB_LOOKUP_INTERVAL_SECONDS: '0.5' });

      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(out).toMatch(/WARNING: the reenrollment request was accepted, but its job could not be identified: no JobHistory row with JobType Reenrollment, AgentId 22222222-2222-4222-8222-000000000001, StorePath "\/etc\/ssl\/web-01\.pem" and OperationStart >= \S+ minus 5 s appeared within 1\.5 s/);
      expect(reenrollmentJobs()).toHaveLength(1); // Command did schedule it
      const [record] = Ledger.read(p.ledgerDir);
      expect(record).toMatchObject({ outcome: 'succeeded', jobIds: [] });
      expect(record.message).toMatch(/job could not be identified.*No job GUID is recorded\./);
    } finally {
      await proxy.close();
    }
  });

  test('a store that does not support reenrollment fails the apply with Command\'s message', async () => {
    const p = project('e2e-reenroll-unsupported', (stack) => {
      new CertificateStoreReenrollment(stack, 'lb', { keystoreId: S6, agentGuid: AGENT_1, subjectName: 'CN=lb-01.example.test', alias: 'lb' });
    });
    await p.mustRun(['init', '-input=false', '-no-color'], env);
    const res = await p.terraform(['apply', '-auto-approve', '-input=false', '-no-color'], env);
    expect(res.status).not.toBe(0);
    expect(res.stdout + res.stderr).toMatch(/POST \/CertificateStores\/Reenrollment: HTTP 400: Keyfactor error .*does not support reenrollment/);
    expect(reenrollmentJobs()).toHaveLength(0);
    const [record] = Ledger.read(p.ledgerDir);
    expect(record).toMatchObject({ outcome: 'failed', jobIds: [] });
    expect(sim.received('GET', '/OrchestratorJobs/JobHistory')).toHaveLength(0);
  });
});
