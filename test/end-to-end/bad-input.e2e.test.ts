import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import {
  CertificateDeployment, CertificateStorePassword, CertificateStoreReenrollment, PamLocalEntry, PfxReplacement,
  Schedule, Secret, SubjectAlternativeName, WaitPolicy,
} from '../../src';
import { canonicalJson, SPEC_VERSION } from '../../src/contract/spec';
import { CertificateDeploymentSpec } from '../../src/operations/certificate-deployment/spec';
import { DEFAULT_SEED, KeyfactorSimulator } from '../../src/simulator';
import { RUNNER_BUNDLE } from '../../src/synth/provisioner';
import { startSimulator } from '../support/simulator';
import { synthErrors } from '../support/synth';

/**
 * Bad input, one row each: what the user did wrong, and the message that must tell them what
 * to fix. Synth rows build a construct; runner rows run the bundled runner exactly as a
 * Terraform provisioner does (same spec, environment and exit-code contract) against the
 * simulator. No row may end in a stack trace.
 */
const STORE = DEFAULT_SEED.stores[0].Id;
const AGENT = DEFAULT_SEED.stores[0].AgentId;
const UNKNOWN_STORE = '99999999-9999-4999-8999-999999999999';

type SynthRow = [string, (stack: TerraformStack) => IConstruct, RegExp];

const synthRows: SynthRow[] = [
  ['deployment: store id not a GUID', (s) => new CertificateDeployment(s, 'c', { certificateId: 1, schedule: Schedule.immediate(), stores: [{ certificateStoreId: 'web-01' }] }),
    /\[bad\/c\] stores\[0\]\.certificateStoreId: must be a GUID/],
  ['deployment: no stores', (s) => new CertificateDeployment(s, 'c', { certificateId: 1, schedule: Schedule.immediate(), stores: [] }), /\[bad\/c\] stores: must list at least one/],
  ['deployment: schedule missing', (s) => new CertificateDeployment(s, 'c', { certificateId: 1, stores: [{ certificateStoreId: STORE }] } as any), /\[bad\/c\] schedule: is required/],
  ['deployment: local time instead of UTC', (s) => new CertificateDeployment(s, 'c', { certificateId: 1, schedule: Schedule.exactlyOnce('2026-12-01T10:00:00+01:00'), stores: [{ certificateStoreId: STORE }] }),
    /\[bad\/c\] schedule\.time: must be in UTC/],
  ['deployment: same store twice', (s) => new CertificateDeployment(s, 'c', { certificateId: 1, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE }, { certificateStoreId: STORE }] }),
    /\[bad\/c\] stores\[1\]\.certificateStoreId: store .* is already listed at stores\[0\]/],
  ['deployment: password as a literal', (s) => new CertificateDeployment(s, 'c', { certificateId: 1, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE, entryPassword: 'x' as any }] }),
    /\[bad\/c\] stores\[0\]\.entryPassword: must be a Secret reference .* never a literal value/],
  ['deployment: wait timeout of 0', (s) => new CertificateDeployment(s, 'c', { certificateId: 1, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE }], wait: WaitPolicy.forCompletion({ timeoutSeconds: 0 }) }),
    /\[bad\/c\] [\s\S]*wait\.timeoutSeconds: must be more than 0/],
  ['store password: missing new password', (s) => new CertificateStorePassword(s, 'c', { certStoreId: STORE } as any), /\[bad\/c\] newPassword: must be a Secret reference/],
  ['store password: bad store id', (s) => new CertificateStorePassword(s, 'c', { certStoreId: '1234', newPassword: Secret.fromEnv('P') }), /\[bad\/c\] certStoreId: must be a GUID/],
  ['PFX: both certificateId and requestId', (s) => new PfxReplacement(s, 'c', { existingCertificateId: 1, certificateId: 2, requestId: 3 }), /\[bad\/c\] .*certificateId.*requestId/],
  ['PFX: neither certificateId nor requestId', (s) => new PfxReplacement(s, 'c', { existingCertificateId: 1 }), /\[bad\/c\] .*certificateId.*requestId/],
  ['PFX: job time not UTC', (s) => new PfxReplacement(s, 'c', { existingCertificateId: 1, certificateId: 2, jobTime: '2026-12-01 10:00' }), /\[bad\/c\] jobTime: /],
  ['PFX: password from a PAM provider', (s) => new PfxReplacement(s, 'c', { existingCertificateId: 1, certificateId: 2, password: Secret.fromPamProvider(1, { a: 'b' }) }),
    /\[bad\/c\] password: this API field takes a plain string/],
  ['PAM entry: name over 400 characters', (s) => new PamLocalEntry(s, 'c', { providerId: 1, secretName: 'n'.repeat(401), secretValue: Secret.fromEnv('V') }), /\[bad\/c\] secretName: must be at most 400 characters/],
  ['PAM entry: provider id 0', (s) => new PamLocalEntry(s, 'c', { providerId: 0, secretName: 'n', secretValue: Secret.fromEnv('V') }), /\[bad\/c\] providerId: must be an integer from 1/],
  ['reenrollment: subject with an unquoted comma in a value', (s) => new CertificateStoreReenrollment(s, 'c', { keystoreId: STORE, agentGuid: AGENT, alias: 'a', subjectName: 'CN=web,O=Key Example, Inc.,C=US' }),
    /\[bad\/c\] subjectName: /],
  ['reenrollment: both owner role id and name', (s) => new CertificateStoreReenrollment(s, 'c', { keystoreId: STORE, agentGuid: AGENT, alias: 'a', subjectName: 'CN=web', ownerRoleId: 1, ownerRoleName: 'x' }),
    /\[bad\/c\] .*ownerRoleId.*ownerRoleName/],
  ['reenrollment: IPv4 SAN that is not an address', (s) => new CertificateStoreReenrollment(s, 'c', { keystoreId: STORE, agentGuid: AGENT, alias: 'a', subjectName: 'CN=web', sans: [SubjectAlternativeName.ip4('300.1.1.1')] }),
    /\[bad\/c\] sans\[0\]/],
];

describe('bad input at synth', () => {
  test.each(synthRows)('%s', (_name, build, expected) => {
    const stack = new TerraformStack(Testing.app(), 'bad');
    expect(synthErrors(build(stack))).toMatch(expected);
  });
});

interface RunnerRow {
  readonly name: string;
  /** Environment changes against a working Basic-auth setup (undefined removes a variable). */
  readonly env?: Record<string, string | undefined>;
  readonly spec?: Partial<CertificateDeploymentSpec>;
  readonly before?: (sim: KeyfactorSimulator) => void;
  readonly expected: RegExp;
}

const runnerRows: RunnerRow[] = [
  { name: 'no host name', env: { KEYFACTOR_HOSTNAME: undefined }, expected: /KEYFACTOR_HOSTNAME/ },
  { name: 'no credentials at all', env: { KEYFACTOR_USERNAME: undefined, KEYFACTOR_PASSWORD: undefined }, expected: /KEYFACTOR_USERNAME[\s\S]*KEYFACTOR_PASSWORD/ },
  { name: 'user name without password', env: { KEYFACTOR_PASSWORD: undefined }, expected: /KEYFACTOR_PASSWORD/ },
  { name: 'plain HTTP to a remote host', env: { KEYFACTOR_HOSTNAME: 'http://keyfactor.example.com' }, expected: /plain HTTP to a non-loopback host.*https:\/\//i },
  { name: 'timeout that is not a number', env: { KEYFACTOR_CLIENT_TIMEOUT: 'soon' }, expected: /KEYFACTOR_CLIENT_TIMEOUT must be a positive number of seconds/ },
  { name: 'relative ledger directory', env: { CDKTF_KEYFACTOR_LEDGER_DIR: 'ledger' }, expected: /CDKTF_KEYFACTOR_LEDGER_DIR must be an absolute path/ },
  { name: 'secret variable not set', spec: { store: { certificateStoreId: STORE, entryPassword: { source: 'env', name: 'NOT_SET_ANYWHERE' } } }, expected: /entryPassword: environment variable NOT_SET_ANYWHERE is not set/ },
  { name: 'wrong password (401)', env: { KEYFACTOR_PASSWORD: 'canary-wrong-password-9d2f' }, expected: /HTTP 401.*check KEYFACTOR_USERNAME, KEYFACTOR_PASSWORD/ },
  { name: 'account without permission (403)', env: { KEYFACTOR_USERNAME: 'auditor', KEYFACTOR_PASSWORD: 'simulator-auditor-password' }, expected: /HTTP 403.*permission/ },
  { name: 'unknown store (400 from Command)', spec: { store: { certificateStoreId: UNKNOWN_STORE } }, expected: /HTTP 400.*Keyfactor error .*99999999-9999-4999-8999-999999999999/ },
  { name: 'unknown certificate (400 from Command)', spec: { certificateId: 4242 }, expected: /HTTP 400.*Keyfactor error .*4242/ },
  { name: 'wrong API path (404)', env: { KEYFACTOR_API_PATH: 'NoSuchApi' }, expected: /HTTP 404.*KEYFACTOR_API_PATH|HTTP 404/ },
  // Broken JSON on the job-history lookup too, so the lost answer to the Add cannot be recovered.
  { name: 'malformed JSON in the response', env: { CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '1' }, before: (sim) => sim.injectFaults({ kind: 'malformedJson' }), expected: /not JSON[\s\S]*may have created/ },
  { name: 'IIS HTML error page', before: (sim) => sim.injectFaults({ kind: 'htmlError', route: { method: 'POST' } }), expected: /HTTP 500.*HTML page/ },
  { name: 'unreachable host', env: { KEYFACTOR_HOSTNAME: 'https://127.0.0.1:1', CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '1' }, expected: /ECONNREFUSED|refused/ },
  { name: 'TLS: CA not given', env: { KEYFACTOR_CA_CERT: undefined }, expected: /KEYFACTOR_CA_CERT/ },
  { name: 'TLS: host name not on the certificate', env: { KEYFACTOR_HOSTNAME: 'MISMATCH' }, expected: /host ?name|KEYFACTOR_HOSTNAME/i },
];

describe('bad input at apply time (the runner as Terraform runs it)', () => {
  let started: Awaited<ReturnType<typeof startSimulator>>;
  let mismatch: Awaited<ReturnType<typeof startSimulator>>;

  beforeAll(async () => {
    started = await startSimulator();
    // Same CA kind, but a certificate issued for another name than the one we connect with.
    mismatch = await startSimulator({ tls: { hostnames: ['keyfactor.example.test'] } });
  });
  afterAll(async () => {
    await started?.sim.stop();
    await mismatch?.sim.stop();
  });
  afterEach(() => started.sim.clearFaults());

  test.each(runnerRows.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    row.before?.(started.sim);
    const base: CertificateDeploymentSpec = {
      v: SPEC_VERSION,
      operation: 'CertificateDeployment',
      stack: 'bad',
      path: 'bad/c',
      key: STORE,
      certificateId: 1,
      store: { certificateStoreId: STORE, alias: 'a' },
      schedule: { Immediate: true },
      removeOnDestroy: true,
    };
    const spec = { ...base, ...row.spec };
    // A ledger per row: a row that may have created a job must not be reconciled by the next row.
    const ledger = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-bad-'));
    const env: Record<string, string | undefined> = { ...started.env, CDKTF_KEYFACTOR_LEDGER_DIR: ledger, ...row.env };
    if (row.env?.KEYFACTOR_HOSTNAME === 'MISMATCH') {
      env.KEYFACTOR_HOSTNAME = mismatch.sim.url;
      env.KEYFACTOR_CA_CERT = mismatch.env.KEYFACTOR_CA_CERT;
    }
    const { code, out } = await runRunner(env, spec);
    expect(code).toBe(1);
    expect(out).toMatch(/^cdktf-keyfactor: CertificateDeployment bad\/c/m);
    expect(out).toMatch(row.expected);
    expect(out).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    // The password this run of the runner was given (the row's own, where it sets one) is never printed.
    const password = env.KEYFACTOR_PASSWORD;
    if (password !== undefined) expect(out).not.toContain(password);
  });
});

function runRunner(env: Record<string, string | undefined>, spec: unknown): Promise<{ code: number | null; out: string }> {
  const clean: Record<string, string> = { PATH: process.env.PATH!, CDKTF_KEYFACTOR_SPEC: canonicalJson(spec) };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  const child = spawn(process.execPath, [RUNNER_BUNDLE, 'create'], { env: clean });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}
