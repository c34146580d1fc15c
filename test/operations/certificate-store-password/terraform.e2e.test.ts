import * as path from 'path';
import { Construct } from 'constructs';
import { CertificateStorePassword, Ledger, Secret } from '../../../src';
import { DEFAULT_SEED, KeyfactorSimulator } from '../../../src/simulator';
import { caseVariant } from '../../support/guid';
import { connectionEnv, startTlsSimulator } from '../../support/simulator';
import { TerraformProject } from '../../support/terraform';

const [S1] = DEFAULT_SEED.stores.map((s) => s.Id);
// A store whose GUID has letters, given in upper case below: the runner must send it lower-cased.
const S2 = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const SEED = {
  ...DEFAULT_SEED,
  stores: [...DEFAULT_SEED.stores, { ...DEFAULT_SEED.stores[1], Id: S2, DisplayName: 'Lettered GUID' }],
};
const LOCAL_PROVIDER = DEFAULT_SEED.pamProviders.find((p) => p.local)!.Id;
const UNKNOWN_STORE = '99999999-9999-4999-8999-999999999999';
const PASSWORD_CANARY = 'canary-store-pw-3e7a91c2';
const ROTATED_CANARY = 'canary-store-pw-rotated-b84d0f6e';
const CRED_CANARY = DEFAULT_SEED.users[0].password;

const connection = connectionEnv;

describe('CertificateStorePassword end to end (terraform + simulator)', () => {
  let sim: KeyfactorSimulator;
  let project: TerraformProject;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startTlsSimulator({ seed: SEED });
    project = new TerraformProject('e2e-store-password');
    env = { ...connection(sim), APP_STORE_PASSWORD: PASSWORD_CANARY };
  });

  afterAll(async () => {
    await sim?.stop();
    project?.cleanup();
  });

  const build = (rotationKey?: string) => (stack: Construct) => {
    new CertificateStorePassword(stack, 'app', { certStoreId: S1, newPassword: Secret.fromEnv('APP_STORE_PASSWORD'), rotationKey });
    new CertificateStorePassword(stack, 'pam', {
      certStoreId: caseVariant(S2), // not equal to S2: it has letters
      newPassword: Secret.fromPamProvider(LOCAL_PROVIDER, { SecretName: 'app-02-store-password' }),
    });
  };
  const puts = () => sim.received('PUT', '/CertificateStores/Password');

  test('apply sends exactly {CertStoreId, NewPassword}: {SecretValue} from the environment, {Provider, Parameters} for PAM', async () => {
    project.synth(build('2026-01'), env);
    await project.apply(env);

    expect(puts()).toHaveLength(2);
    const byStore = Object.fromEntries(puts().map((r) => [(r.body as any).CertStoreId, r]));
    expect(byStore[S1].body).toEqual({ CertStoreId: S1, NewPassword: { SecretValue: PASSWORD_CANARY } });
    expect(byStore[S2].body).toEqual({ CertStoreId: S2, NewPassword: { Provider: LOCAL_PROVIDER, Parameters: { SecretName: 'app-02-store-password' } } });
    expect(byStore[S1].status).toBe(204);
    expect(byStore[S1].headers['x-keyfactor-requested-with']).toBe('APIClient');
    expect(sim.storePasswords()).toEqual({
      [S1]: { SecretValue: PASSWORD_CANARY },
      [S2]: { Provider: LOCAL_PROVIDER, Parameters: { SecretName: 'app-02-store-password' } },
    });

    const records = Ledger.read(project.ledgerDir);
    expect(records.map((r) => `${r.constructPath} ${r.phase} ${r.outcome}`).sort())
      .toEqual(['e2e-store-password/app create succeeded', 'e2e-store-password/pam create succeeded']);
    expect(records.find((r) => r.constructPath.endsWith('/app'))!.request)
      .toEqual({ CertStoreId: S1, NewPassword: '<secret from env APP_STORE_PASSWORD>' });
  });

  test('a new value alone is not sent (by design: the value is not in the configuration)', async () => {
    env.APP_STORE_PASSWORD = ROTATED_CANARY;
    const before = sim.requests.length;
    const out = await project.apply(env);
    expect(sim.requests.length).toBe(before);
    expect(out).toContain('No changes.');
    expect(sim.storePasswords()[S1]).toEqual({ SecretValue: PASSWORD_CANARY });
  });

  test('changing rotationKey sends the password again: one PUT, with the new value, for that store only', async () => {
    const before = puts().length;
    project.synth(build('2026-02'), env);
    await project.apply(env);
    const added = puts().slice(before);
    expect(added.map((r) => r.body)).toEqual([{ CertStoreId: S1, NewPassword: { SecretValue: ROTATED_CANARY } }]);
    expect(sim.storePasswords()[S1]).toEqual({ SecretValue: ROTATED_CANARY });
  });

  test('destroy has nothing to undo: no request, no destroy record', async () => {
    const before = sim.requests.length;
    await project.destroy(env);
    expect(sim.requests.length).toBe(before);
    expect(Ledger.read(project.ledgerDir).filter((r) => r.phase === 'destroy')).toEqual([]);
    expect(sim.storePasswords()[S1]).toEqual({ SecretValue: ROTATED_CANARY });
  });

  test('no canary in cdk.tf.json, state, ledger or terraform output', () => {
    const haystacks = {
      'cdk.tf.json': TerraformProject.filesText(path.join(project.stackDir, 'cdk.tf.json')),
      'state': TerraformProject.filesText(path.join(project.dir, 'terraform.tfstate'), path.join(project.dir, 'terraform.tfstate.backup')),
      'ledger': TerraformProject.filesText(project.ledgerDir),
      'terraform output': project.output,
    };
    expect(haystacks['cdk.tf.json']).toContain('APP_STORE_PASSWORD');
    expect(haystacks.state.length).toBeGreaterThan(100);
    expect(haystacks.ledger).toContain('<secret from env APP_STORE_PASSWORD>');
    for (const [where, text] of Object.entries(haystacks)) {
      for (const canary of [PASSWORD_CANARY, ROTATED_CANARY, CRED_CANARY]) {
        expect({ where, canary, leaked: text.includes(canary) }).toEqual({ where, canary, leaked: false });
      }
    }
  });
});

describe('CertificateStorePassword failures (terraform + simulator)', () => {
  let sim: KeyfactorSimulator;
  let project: TerraformProject;

  beforeAll(async () => {
    sim = await startTlsSimulator();
    project = new TerraformProject('e2e-store-password-fail');
  });

  afterAll(async () => {
    await sim?.stop();
    project?.cleanup();
  });

  test('an unknown store fails the apply with Keyfactor\'s message naming the store', async () => {
    project.synth((stack) => {
      new CertificateStorePassword(stack, 'ghost', { certStoreId: UNKNOWN_STORE, newPassword: Secret.fromEnv('GHOST_PASSWORD') });
    });
    const env = { ...connection(sim), GHOST_PASSWORD: PASSWORD_CANARY };
    await project.terraform(['init', '-input=false', '-no-color'], env);
    const res = await project.terraform(['apply', '-auto-approve', '-input=false', '-no-color'], env);

    expect(res.status).not.toBe(0);
    const stderr = res.stderr.replace(/\s+/g, ' ');
    expect(stderr).toContain(`Certificate store with id '${UNKNOWN_STORE}' was not found.`);
    expect(stderr).toContain('CertificateStorePassword e2e-store-password-fail/ghost');
    const [record] = Ledger.read(project.ledgerDir);
    expect(record).toMatchObject({ operation: 'CertificateStorePassword', phase: 'create', outcome: 'failed' });
    expect(record.message).toContain(`Certificate store with id '${UNKNOWN_STORE}' was not found.`);
    expect(project.output).not.toContain(PASSWORD_CANARY);
    expect(TerraformProject.filesText(project.ledgerDir)).not.toContain(PASSWORD_CANARY);
  });
});
