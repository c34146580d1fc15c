import * as https from 'https';
import * as path from 'path';
import axios from 'axios';
import { Construct } from 'constructs';
import { Ledger, PamLocalEntry, PamLocalEntryProps, Secret } from '../../../src';
import { DEFAULT_SEED, KeyfactorSimulator } from '../../../src/simulator';
import { connectionEnv, startTlsSimulator } from '../../support/simulator';
import { TerraformProject } from '../../support/terraform';

const LOCAL_PROVIDER = DEFAULT_SEED.pamProviders.find((p) => p.local)!.Id;
const REMOTE_PROVIDER = DEFAULT_SEED.pamProviders.find((p) => !p.local)!.Id;
const VALUE_CANARY = 'canary-pam-value-5d1e0b7a';
const ROTATED_CANARY = 'canary-pam-rotated-93c4f2e8';
const KEPT_CANARY = 'canary-pam-kept-0a6b3d15';
const CRED_CANARY = DEFAULT_SEED.users[0].password;
const ENTRIES = `/PamProviders/Local/${LOCAL_PROVIDER}/Entries`;

describe('PamLocalEntry end to end (terraform + simulator)', () => {
  let sim: KeyfactorSimulator;
  let project: TerraformProject;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startTlsSimulator();
    project = new TerraformProject('e2e-pam');
    env = {
      ...connectionEnv(sim),
      DB_SECRET: VALUE_CANARY,
      KEPT_SECRET: KEPT_CANARY,
    };
  });

  afterAll(async () => {
    await sim?.stop();
    project?.cleanup();
  });

  const build = (db: Partial<PamLocalEntryProps>, kept: Partial<PamLocalEntryProps> = {}) => (stack: Construct) => {
    new PamLocalEntry(stack, 'db', {
      providerId: LOCAL_PROVIDER,
      secretName: 'db-password',
      description: 'database password, v1',
      secretValue: Secret.fromEnv('DB_SECRET'),
      ...db,
    });
    new PamLocalEntry(stack, 'kept', {
      providerId: LOCAL_PROVIDER,
      secretName: 'kept-secret',
      secretValue: Secret.fromEnv('KEPT_SECRET'),
      ...kept,
    });
  };
  /** Requests to the entries endpoint from index `from` on, as "METHOD name". */
  const calls = (from = 0) => sim.requests.slice(from)
    .filter((r) => r.path.toLowerCase().endsWith(ENTRIES.toLowerCase()))
    .map((r) => `${r.method} ${r.method === 'DELETE' ? r.query.secretName : r.method === 'GET' ? r.query.QueryString : (r.body as any).SecretName}`);
  const writes = (from = 0) => calls(from).filter((c) => !c.startsWith('GET'));
  const entries = () => sim.pamEntries(LOCAL_PROVIDER).map((e) => ({ ...e })).sort((a, b) => a.SecretName.localeCompare(b.SecretName));

  test('create: POST with the full record, value from the environment', async () => {
    project.synth(build({}), env);
    await project.apply(env);

    expect(writes().filter((c) => c.startsWith('POST')).sort()).toEqual(['POST db-password', 'POST kept-secret']);
    expect(writes().filter((c) => c.startsWith('DELETE'))).toEqual([]);
    const post = sim.received('POST', ENTRIES).find((r) => (r.body as any).SecretName === 'db-password')!;
    expect(post.body).toEqual({ SecretName: 'db-password', Description: 'database password, v1', SecretValue: VALUE_CANARY });
    expect(post.headers['x-keyfactor-requested-with']).toBe('APIClient');
    // The lookup is a QueryString filter on the name.
    expect(sim.received('GET', ENTRIES)[0].query.QueryString).toMatch(/^SecretName -eq "(db-password|kept-secret)"$/);
    expect(entries()).toEqual([
      { SecretName: 'db-password', Description: 'database password, v1', SecretValue: VALUE_CANARY },
      { SecretName: 'kept-secret', Description: null, SecretValue: KEPT_CANARY },
    ]);

    const records = Ledger.read(project.ledgerDir);
    expect(records.map((r) => `${r.constructPath} ${r.instanceKey} ${r.phase} ${r.outcome}`).sort()).toEqual([
      'e2e-pam/db 1/db-password create succeeded',
      'e2e-pam/db content create succeeded',
      'e2e-pam/kept 1/kept-secret create succeeded',
      'e2e-pam/kept content create succeeded',
    ]);
    const entryRecord = records.find((r) => r.constructPath === 'e2e-pam/db' && r.instanceKey === '1/db-password')!;
    expect(entryRecord.request).toMatchObject({ method: 'POST', SecretName: 'db-password', SecretValue: '<secret from env DB_SECRET>' });
  });

  test('GET responses never carry the value', async () => {
    const user = DEFAULT_SEED.users[0];
    const auth = Buffer.from(`${user.domain}\\${user.username}:${user.password}`).toString('base64');
    const res = await axios.get(`${sim.url}/KeyfactorAPI${ENTRIES}`, {
      headers: { 'Authorization': `Basic ${auth}`, 'x-keyfactor-requested-with': 'APIClient' },
      httpsAgent: new https.Agent({ ca: sim.caCertPem }),
      responseType: 'text',
      transformResponse: (x) => x,
    });
    const text: string = res.data;
    expect(res.status).toBe(200);
    expect(JSON.parse(text).map((e: any) => e.SecretName).sort()).toEqual(['db-password', 'kept-secret']);
    expect(text).not.toContain(VALUE_CANARY);
    expect(text).not.toContain(KEPT_CANARY);
    expect(text).not.toContain('SecretValue');
  });

  test('a description change is exactly one PUT of the full record, no DELETE, no POST', async () => {
    const from = sim.requests.length;
    const ledgerBefore = Ledger.read(project.ledgerDir).length;
    project.synth(build({ description: 'database password, v2' }), env);
    await project.apply(env);

    expect(writes(from)).toEqual(['PUT db-password']);
    const put = sim.requests.slice(from).find((r) => r.method === 'PUT')!;
    expect(put.body).toEqual({ SecretName: 'db-password', Description: 'database password, v2', SecretValue: VALUE_CANARY });
    expect(entries()[0]).toEqual({ SecretName: 'db-password', Description: 'database password, v2', SecretValue: VALUE_CANARY });
    // Only the content carrier ran; the entry carrier was updated in place (no provisioner).
    const added = Ledger.read(project.ledgerDir).slice(ledgerBefore);
    expect(added.map((r) => `${r.constructPath} ${r.instanceKey} ${r.phase}`)).toEqual(['e2e-pam/db content create']);
    expect(added[0].request).toMatchObject({ method: 'PUT', Description: 'database password, v2' });
  });

  test('a new value alone is not written (by design); changing rotationKey writes it with one PUT', async () => {
    env.DB_SECRET = ROTATED_CANARY;
    let from = sim.requests.length;
    await project.apply(env);
    expect(calls(from)).toEqual([]); // nothing to do: the value is not in the configuration
    expect(entries()[0].SecretValue).toBe(VALUE_CANARY);

    from = sim.requests.length;
    project.synth(build({ description: 'database password, v2', rotationKey: '2026-11' }), env);
    await project.apply(env);
    expect(writes(from)).toEqual(['PUT db-password']);
    expect(sim.requests.slice(from).find((r) => r.method === 'PUT')!.body)
      .toEqual({ SecretName: 'db-password', Description: 'database password, v2', SecretValue: ROTATED_CANARY });
    expect(entries()[0]).toEqual({ SecretName: 'db-password', Description: 'database password, v2', SecretValue: ROTATED_CANARY });
  });

  test('rename: the new entry is created before the old one is deleted', async () => {
    const from = sim.requests.length;
    project.synth(build({ secretName: 'db-password-v2', description: 'database password, v2', rotationKey: '2026-11' }), env);
    await project.apply(env);

    const w = writes(from);
    expect(w).toContain('POST db-password-v2');
    expect(w).toContain('DELETE db-password');
    expect(w.indexOf('POST db-password-v2')).toBeLessThan(w.indexOf('DELETE db-password'));
    expect(w.filter((c) => c.startsWith('DELETE'))).toEqual(['DELETE db-password']);
    const del = sim.requests.slice(from).find((r) => r.method === 'DELETE')!;
    expect(del.query).toEqual({ secretName: 'db-password' });
    expect(del.status).toBe(204);
    expect(entries()).toEqual([
      { SecretName: 'db-password-v2', Description: 'database password, v2', SecretValue: ROTATED_CANARY },
      { SecretName: 'kept-secret', Description: null, SecretValue: KEPT_CANARY },
    ]);
  });

  test('a case-only rename is the same entry (Command compares names case-insensitively): one PUT, nothing deleted', async () => {
    const from = sim.requests.length;
    project.synth(build({ secretName: 'DB-Password-V2', description: 'database password, v2', rotationKey: '2026-11' }), env);
    await project.apply(env);
    expect(writes(from)).toEqual(['PUT DB-Password-V2']);
    expect(entries().map((e) => e.SecretName)).toEqual(['db-password-v2', 'kept-secret']);
  });

  test('turning deleteOnDestroy off changes nothing in Command', async () => {
    const from = sim.requests.length;
    project.synth(build({ secretName: 'DB-Password-V2', description: 'database password, v2', rotationKey: '2026-11' }, { deleteOnDestroy: false }), env);
    await project.apply(env);
    expect(calls(from)).toEqual([]);
  });

  test('destroy deletes the entry by its secretName, and keeps the one with deleteOnDestroy false', async () => {
    const from = sim.requests.length;
    await project.destroy(env);
    expect(writes(from)).toEqual(['DELETE DB-Password-V2']);
    expect(sim.requests.slice(from).find((r) => r.method === 'DELETE')!.query).toEqual({ secretName: 'DB-Password-V2' });
    expect(entries()).toEqual([{ SecretName: 'kept-secret', Description: null, SecretValue: KEPT_CANARY }]);
    const destroys = Ledger.read(project.ledgerDir).filter((r) => r.phase === 'destroy');
    expect(destroys.map((r) => `${r.constructPath} ${r.instanceKey} ${r.outcome}`).sort())
      .toEqual(['e2e-pam/db 1/db-password succeeded', 'e2e-pam/db 1/db-password-v2 succeeded']);
  });

  test('the value reached Command, but no canary is in cdk.tf.json, state, ledger or terraform output', () => {
    const sent = JSON.stringify(sim.requests.map((r) => r.body));
    expect(sent).toContain(VALUE_CANARY);
    expect(sent).toContain(ROTATED_CANARY);
    const haystacks = {
      'cdk.tf.json': TerraformProject.filesText(path.join(project.stackDir, 'cdk.tf.json')),
      'state': TerraformProject.filesText(path.join(project.dir, 'terraform.tfstate'), path.join(project.dir, 'terraform.tfstate.backup')),
      'ledger': TerraformProject.filesText(project.ledgerDir),
      'terraform output': project.output,
    };
    expect(haystacks['cdk.tf.json']).toContain('DB_SECRET');
    expect(haystacks.state.length).toBeGreaterThan(100);
    expect(haystacks.ledger).toContain('<secret from env DB_SECRET>');
    for (const [where, text] of Object.entries(haystacks)) {
      for (const canary of [VALUE_CANARY, ROTATED_CANARY, KEPT_CANARY, CRED_CANARY]) {
        expect({ where, canary, leaked: text.includes(canary) }).toEqual({ where, canary, leaked: false });
      }
    }
  });
});

const connection = connectionEnv;

describe('PamLocalEntry adoption and failures (terraform + simulator)', () => {
  let sim: KeyfactorSimulator;
  let project: TerraformProject;

  beforeAll(async () => {
    sim = await startTlsSimulator();
    project = new TerraformProject('e2e-pam-extra');
  });

  afterAll(async () => {
    await sim?.stop();
    project?.cleanup();
  });

  test('an entry that already exists is adopted: the full record is PUT, nothing is POSTed', async () => {
    const user = DEFAULT_SEED.users[0];
    const auth = Buffer.from(`${user.domain}\\${user.username}:${user.password}`).toString('base64');
    const headers = { 'Authorization': `Basic ${auth}`, 'x-keyfactor-requested-with': 'APIClient', 'Content-Type': 'application/json' };
    const pre = await axios.post(`${sim.url}/KeyfactorAPI${ENTRIES}`,
      { SecretName: 'Existing', Description: 'made by hand', SecretValue: 'old-value' },
      { headers, httpsAgent: new https.Agent({ ca: sim.caCertPem }) });
    expect(pre.status).toBe(200);
    const from = sim.requests.length;
    project.synth((stack) => {
      new PamLocalEntry(stack, 'adopt', { providerId: LOCAL_PROVIDER, secretName: 'existing', secretValue: Secret.fromEnv('ADOPT_SECRET') });
    });
    await project.apply({ ...connection(sim), ADOPT_SECRET: VALUE_CANARY });
    const writes = sim.requests.slice(from).filter((r) => r.method !== 'GET');
    expect(writes.map((r) => r.method)).toEqual(['PUT', 'PUT']); // entry carrier, then content carrier
    for (const w of writes) expect(w.body).toEqual({ SecretName: 'existing', Description: null, SecretValue: VALUE_CANARY });
    expect(sim.pamEntries(LOCAL_PROVIDER)).toEqual([{ SecretName: 'Existing', Description: null, SecretValue: VALUE_CANARY }]);

    // Deleted by hand before destroy: the DELETE's 404 counts as done, destroy succeeds.
    const gone = await axios.delete(`${sim.url}/KeyfactorAPI${ENTRIES}?secretName=Existing`, { headers, httpsAgent: new https.Agent({ ca: sim.caCertPem }) });
    expect(gone.status).toBe(204);
    await project.destroy(connection(sim));
    const del = sim.received('DELETE', ENTRIES).slice(-1)[0];
    expect(del).toMatchObject({ status: 404, query: { secretName: 'existing' } });
    const record = Ledger.read(project.ledgerDir).find((r) => r.phase === 'destroy')!;
    expect(record).toMatchObject({ outcome: 'succeeded', instanceKey: `${LOCAL_PROVIDER}/existing` });
    expect(record.message).toMatch(/^already absent: DELETE .* HTTP 404/);
  });

  test('a provider that is not local fails the apply with Keyfactor\'s message, and the value stays secret', async () => {
    project.synth((stack) => {
      new PamLocalEntry(stack, 'remote', { providerId: REMOTE_PROVIDER, secretName: 'x', secretValue: Secret.fromEnv('X_SECRET') });
    });
    await project.terraform(['init', '-input=false', '-no-color'], {});
    const res = await project.terraform(['apply', '-auto-approve', '-input=false', '-no-color'], { ...connection(sim), X_SECRET: VALUE_CANARY });
    expect(res.status).not.toBe(0);
    const stderr = res.stderr.replace(/\s+/g, ' ');
    expect(stderr).toContain(`PAM provider 'Remote Vault' (id ${REMOTE_PROVIDER}) is not a local PAM provider`);
    expect(stderr).toContain('e2e-pam-extra/remote');
    const record = Ledger.read(project.ledgerDir).find((r) => r.outcome === 'failed')!;
    expect(record).toMatchObject({ operation: 'PamLocalEntry', instanceKey: `${REMOTE_PROVIDER}/x`, outcome: 'failed' });
    expect(record.message).toContain('not a local PAM provider');
    expect(project.output).not.toContain(VALUE_CANARY);
  });
});
