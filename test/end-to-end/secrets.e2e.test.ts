import * as fs from 'fs';
import * as path from 'path';
import { TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { CertificateDeployment, CertificateStorePassword, PamLocalEntry, PfxReplacement, Schedule, Secret } from '../../src';
import { DEFAULT_SEED, KeyfactorSimulator, SimulatorSeed } from '../../src/simulator';
import { caFileOf, startTlsSimulator } from '../support/simulator';
import { TerraformProject } from '../support/terraform';

/**
 * One canary per secret-bearing field and per credential, through successful and failing
 * applies (401, 400, timeout): no canary may appear in cdk.tf.json, the plan
 * (`terraform show -json`), the state, the ledger or anything terraform printed.
 */
const CANARY = {
  entryPassword: 'canary-entry-0b7e', // CertificateDeployment stores[].entryPassword (env)
  pfxPassword: 'canary-pfx-19c4', // CertificateDeployment stores[].pfxPassword (Terraform variable)
  storePassword: 'canary-store-2d8a', // CertificateStorePassword newPassword (env)
  replacePassword: 'canary-replace-3f51', // PfxReplacement password (env)
  pamValue: 'canary-pam-4a96', // PamLocalEntry secretValue (Terraform variable)
  basicPassword: 'canary-basic-5c02', // KEYFACTOR_PASSWORD
  wrongPassword: 'canary-wrong-6e13', // a rejected KEYFACTOR_PASSWORD (401 run)
  clientSecret: 'canary-client-7f24', // KEYFACTOR_AUTH_CLIENT_SECRET
  accessToken: 'canary-token-8a35', // KEYFACTOR_AUTH_ACCESS_TOKEN
};
const STORE = DEFAULT_SEED.stores[1].Id;
const UNKNOWN_STORE = '99999999-9999-4999-8999-999999999999';

function seed(): SimulatorSeed {
  return {
    ...DEFAULT_SEED,
    users: [{ domain: 'KEYFACTOR', username: 'admin', password: CANARY.basicPassword }],
    tokens: [CANARY.accessToken],
    oauthClients: [{ clientId: 'terraform', clientSecret: CANARY.clientSecret }],
  };
}

function stack(storePasswordTarget: string) {
  return (scope: Construct) => {
    const pfxVar = new TerraformVariable(scope, 'pfx_password', { type: 'string', sensitive: true });
    const pamVar = new TerraformVariable(scope, 'pam_value', { type: 'string', sensitive: true });
    new CertificateDeployment(scope, 'deploy', {
      certificateId: 2,
      schedule: Schedule.immediate(),
      stores: [{ certificateStoreId: STORE, alias: 'secrets', includePrivateKey: true, entryPassword: Secret.fromEnv('ENTRY_PASSWORD'), pfxPassword: Secret.fromVariable(pfxVar) }],
    });
    new CertificateStorePassword(scope, 'store-password', { certStoreId: storePasswordTarget, newPassword: Secret.fromEnv('STORE_PASSWORD') });
    new PfxReplacement(scope, 'replace', { existingCertificateId: 2, certificateId: 4, password: Secret.fromEnv('REPLACE_PASSWORD') });
    new PamLocalEntry(scope, 'pam', { providerId: 1, secretName: 'secrets-test', secretValue: Secret.fromVariable(pamVar) });
  };
}

describe('no secret leaks, on success or failure', () => {
  let sim: KeyfactorSimulator;
  const projects: TerraformProject[] = [];
  const plans: string[] = [];

  beforeAll(async () => {
    sim = await startTlsSimulator({ seed: seed(), jobTiming: { waitingMs: 10, inProcessMs: 10 } });
  });
  afterAll(async () => {
    await sim?.stop();
    projects.forEach((p) => p.cleanup());
  });

  const fields = () => ({
    KEYFACTOR_HOSTNAME: sim.url,
    KEYFACTOR_CA_CERT: caFileOf(sim),
    ENTRY_PASSWORD: CANARY.entryPassword,
    STORE_PASSWORD: CANARY.storePassword,
    REPLACE_PASSWORD: CANARY.replacePassword,
    TF_VAR_pfx_password: CANARY.pfxPassword,
    TF_VAR_pam_value: CANARY.pamValue,
  });
  const basic = (password = CANARY.basicPassword) => ({ ...fields(), KEYFACTOR_USERNAME: 'admin', KEYFACTOR_PASSWORD: password, KEYFACTOR_DOMAIN: 'KEYFACTOR' });
  const oauth = () => ({ ...fields(), KEYFACTOR_AUTH_CLIENT_ID: 'terraform', KEYFACTOR_AUTH_CLIENT_SECRET: CANARY.clientSecret, KEYFACTOR_AUTH_TOKEN_URL: sim.tokenUrl });
  const token = () => ({ ...fields(), KEYFACTOR_AUTH_ACCESS_TOKEN: CANARY.accessToken });
  /** Every secret at once: the environment the app synthesizes in. */
  const everything = () => ({ ...basic(), ...oauth(), ...token() });

  async function planAndApply(p: TerraformProject, env: Record<string, string>): Promise<number> {
    await p.mustRun(['init', '-input=false', '-no-color'], env);
    await p.mustRun(['plan', '-input=false', '-no-color', '-out=tfplan'], env);
    plans.push(await p.mustRun(['show', '-json', 'tfplan'], env));
    return (await p.terraform(['apply', '-input=false', '-no-color', 'tfplan'], env)).status;
  }

  test('successful applies with Basic, OAuth client credentials and an access token', async () => {
    const p = new TerraformProject('secrets-ok');
    projects.push(p);
    p.synth(stack(STORE), everything());
    expect(await planAndApply(p, basic())).toBe(0);
    await p.destroy(oauth());
    expect(await planAndApply(p, oauth())).toBe(0);
    await p.destroy(token());
    expect(await planAndApply(p, token())).toBe(0);
    await p.destroy(token());
    // The secrets did reach Command (so their absence elsewhere means something).
    const bodies = JSON.stringify(sim.requests.map((r) => r.body));
    for (const k of ['entryPassword', 'pfxPassword', 'storePassword', 'replacePassword', 'pamValue'] as const) expect(bodies).toContain(CANARY[k]);
    expect(sim.received('POST', '/oauth2/token').length).toBeGreaterThan(0);
  });

  test('failing applies: 401, 400 from Command, and a timeout', async () => {
    const unauthorized = new TerraformProject('secrets-401');
    const rejected = new TerraformProject('secrets-400');
    const slow = new TerraformProject('secrets-timeout');
    projects.push(unauthorized, rejected, slow);

    unauthorized.synth(stack(STORE), everything());
    expect(await planAndApply(unauthorized, basic(CANARY.wrongPassword))).not.toBe(0);
    expect(unauthorized.output).toMatch(/HTTP 401/);

    rejected.synth(stack(UNKNOWN_STORE), everything());
    expect(await planAndApply(rejected, basic())).not.toBe(0);
    expect(rejected.output).toMatch(/HTTP 400/);

    slow.synth(stack(STORE), everything());
    sim.injectFaults({ kind: 'latency', latencyMs: 4000 });
    try {
      expect(await planAndApply(slow, { ...oauth(), KEYFACTOR_CLIENT_TIMEOUT: '1', CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '2' })).not.toBe(0);
    } finally {
      sim.clearFaults();
    }
    expect(slow.output).toMatch(/tim(ed|e) ?out|may have created/i);
  });

  test('no canary anywhere', () => {
    expect(projects).toHaveLength(4);
    const haystacks: Record<string, string> = { plans: plans.join('\n') };
    for (const p of projects) {
      haystacks[`${p.stackName} cdk.tf.json`] = TerraformProject.filesText(path.join(p.stackDir, 'cdk.tf.json'));
      haystacks[`${p.stackName} state`] = TerraformProject.filesText(path.join(p.dir, 'terraform.tfstate'), path.join(p.dir, 'terraform.tfstate.backup'));
      haystacks[`${p.stackName} ledger`] = TerraformProject.filesText(p.ledgerDir);
      haystacks[`${p.stackName} output`] = p.output;
      // The runner asset and the code cache its runs wrote beside it (V8 keeps one-byte strings as they are).
      haystacks[`${p.stackName} assets`] = TerraformProject.filesText(path.join(p.stackDir, 'assets'));
      expect(haystacks[`${p.stackName} assets`]).toContain('cdktf-keyfactor');
    }
    const caches = projects.flatMap((p) => fs.readdirSync(path.join(p.stackDir, 'assets'), { recursive: true }) as string[]).filter((f) => f.endsWith('.v8cache'));
    expect(caches.length).toBeGreaterThan(0);
    expect(plans.length).toBe(6);
    const leaks: string[] = [];
    for (const [where, text] of Object.entries(haystacks)) {
      for (const [name, value] of Object.entries(CANARY)) if (text.includes(value)) leaks.push(`${name} in ${where}`);
    }
    expect(leaks).toEqual([]);
  });
});
