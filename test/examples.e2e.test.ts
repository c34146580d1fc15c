/**
 * examples/ is a complete cdktf app using every construct (`npm run demo` deploys it against the
 * simulator). Here it is synthesized, checked for all five operations, validated by terraform,
 * and searched for the demo's secret values, which must never reach cdk.tf.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { buildExample } from '../examples/main';
import { isUndoRegistryId } from '../src/contract/environment';
import { configuredInstances } from '../src/runtime/configuration';
import { DEFAULT_SEED } from '../src/simulator';

const OPERATIONS = ['CertificateDeployment', 'CertificateStorePassword', 'PfxReplacement', 'PamLocalEntry', 'CertificateStoreReenrollment'];
const ROOT = path.resolve(__dirname, '..');

/**
 * The secret values the demo exports for the apply (scripts/demo.ts runs on import, so it is read
 * as text): every `NAME: 'value'` whose NAME looks like a secret.
 */
function demoSecrets(): Record<string, string> {
  const source = fs.readFileSync(path.join(ROOT, 'scripts', 'demo.ts'), 'utf8');
  const found: Record<string, string> = {};
  for (const m of source.matchAll(/\b([A-Z][A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN)[A-Z0-9_]*):\s*'([^']+)'/g)) found[m[1]] = m[2];
  return found;
}

/** Operation names in every carrier spec of a synthesized stack (single or for_each); the undo registry is no carrier. */
function operationsIn(json: any): string[] {
  const specs: string[] = [];
  for (const [name, resource] of Object.entries<any>(json.resource?.terraform_data ?? {})) {
    if (isUndoRegistryId(name)) continue;
    const forEach = configuredInstances(json, resource);
    if (forEach) specs.push(...Object.values<any>(forEach).map((v) => v.spec));
    else specs.push(resource.input.spec);
  }
  return specs.map((s) => JSON.parse(s).operation);
}

describe('examples/main.ts', () => {
  let dir: string;
  let stackDir: string;
  let configText: string;
  let json: any;
  const secrets = demoSecrets();
  /** The simulator's credentials, set as the demo sets them for the apply. */
  const credentials = {
    KEYFACTOR_PASSWORD: DEFAULT_SEED.users[0].password,
    KEYFACTOR_AUTH_CLIENT_SECRET: DEFAULT_SEED.oauthClients![0].clientSecret,
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-example-'));
    // The demo's secret values are in the environment while synthesizing: a construct that read
    // one at synth would put it in the output, and the last test would see it.
    const saved = { ...process.env };
    Object.assign(process.env, secrets, credentials);
    try {
      const app = new App({ outdir: path.join(dir, 'cdktf.out') });
      const stack = buildExample(app);
      app.synth();
      stackDir = path.join(dir, 'cdktf.out', 'stacks', stack.node.id);
    } finally {
      process.env = saved;
    }
    configText = fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8');
    json = JSON.parse(configText);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('uses every construct: all five operations are in the synthesized stack', () => {
    const found = new Set(operationsIn(json));
    for (const op of OPERATIONS) expect(found).toContain(op);
  });

  test('terraform init and validate accept it (no provider to download)', () => {
    const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
    const init = spawnSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: stackDir, env, encoding: 'utf8' });
    expect({ status: init.status, output: init.stdout + init.stderr }).toMatchObject({ status: 0 });
    const validate = spawnSync('terraform', ['validate', '-no-color'], { cwd: stackDir, env, encoding: 'utf8' });
    expect({ status: validate.status, output: validate.stdout + validate.stderr }).toMatchObject({ status: 0 });
    expect(validate.stdout).toContain('The configuration is valid');
  }, 120_000);

  test("no secret value of the demo (nor the simulator's credentials) is in cdk.tf.json", () => {
    // The four variables the example reads at apply time, at least.
    const referenced = ['API_KEYSTORE_ENTRY_PASSWORD', 'APP_01_KEYSTORE_PASSWORD', 'WEB_01_STORE_PASSWORD', 'PFX_REPLACEMENT_PASSWORD'];
    expect(Object.keys(secrets)).toEqual(expect.arrayContaining(referenced));
    const values = [...Object.values(secrets), ...Object.values(credentials)];
    for (const value of values) expect(configText).not.toContain(value);
    // The references are there instead.
    for (const name of referenced) expect(configText).toContain(name);
  });
});
