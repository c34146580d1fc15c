import * as path from 'path';
import { App, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { CertificateDeployment, KeyfactorDefaults, Ledger, Schedule } from '../../src';
import { synthErrors } from '../support/synth';

const STORE = '1bc2d3e4-5f60-4a7b-8c9d-0e1f2a3b4c5d';

/** The provisioner environment of every carrier and registry block of the stack. */
function environments(stack: TerraformStack): Array<Record<string, string>> {
  const json = JSON.parse(Testing.synth(stack));
  return Object.values<any>(json.resource.terraform_data).flatMap((b) => b.provisioner.map((p: any) => p['local-exec'].environment));
}

/** `dir` (relative to where synth runs) as the runner sees it from the stack's directory. */
function fromStackDir(stack: TerraformStack, dir: string): string {
  return path.relative(path.resolve(App.of(stack).outdir, 'stacks', stack.node.id), path.resolve(dir));
}

function stackWith(props: ConstructorParameters<typeof KeyfactorDefaults>[2]): TerraformStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'certs');
  new KeyfactorDefaults(stack, 'KeyfactorDefaults', props);
  new CertificateDeployment(stack, 'web', { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE, alias: 'web' }] });
  return stack;
}

describe('choosing the ledger at synth', () => {
  test('by default nothing is chosen: every carrier names only the local directory, and the runner follows the stack\'s backend', () => {
    const stack = stackWith({});
    for (const env of environments(stack)) {
      expect(env.CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR).toBe(fromStackDir(stack, '.keyfactor-ledger'));
      expect(env).not.toHaveProperty('CDKTF_KEYFACTOR_STACK_LEDGER');
    }
  });

  test('Ledger.s3 / azureBlob / postgres: every carrier (and the undo registry) carries the choice as a URL, with the documented defaults', () => {
    const cases: Array<[Ledger, string]> = [
      [Ledger.s3({ bucket: 'platform-state', region: 'eu-west-1' }), 's3://platform-state/keyfactor-ledger?region=eu-west-1'],
      [Ledger.azureBlob({ accountName: 'platformstate', containerName: 'tfstate', prefix: 'kf/prod' }), 'azblob://platformstate/tfstate/kf/prod'],
      [Ledger.postgres({ host: 'db.internal', database: 'terraform' }), 'postgres://db.internal/terraform?schema=public&table=keyfactor_ledger'],
    ];
    for (const [ledger, url] of cases) {
      const envs = environments(stackWith({ ledger }));
      expect(envs.length).toBeGreaterThanOrEqual(3); // create, destroy, and the registry's destroy
      for (const env of envs) expect(env.CDKTF_KEYFACTOR_STACK_LEDGER).toBe(url);
    }
  });

  test('Ledger.directory: relative to where synth runs, written relative to the stack directory, like ledgerDirectory', () => {
    const stack = stackWith({ ledger: Ledger.directory('shared/ledger') });
    const [env] = environments(stack);
    const relative = fromStackDir(stack, 'shared/ledger');
    expect(env.CDKTF_KEYFACTOR_STACK_LEDGER).toBe(relative);
    expect(env.CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR).toBe(relative);
    // The deprecated prop is the same choice.
    const [old] = environments(stackWith({ ledgerDirectory: 'shared/ledger' }));
    expect(old).toEqual(env);
  });

  test('every problem at once, naming the construct and the field; a Terraform reference is refused with the reason and the way out', () => {
    const app = new App();
    const stack = new TerraformStack(app, 'certs');
    const bucket = new TerraformVariable(stack, 'bucket', { type: 'string' });
    const defaults = new KeyfactorDefaults(stack, 'KeyfactorDefaults', {
      ledger: Ledger.s3({ bucket: bucket.stringValue, region: 'EU West', endpoint: 'ftp://x' }),
    });
    expect(synthErrors(defaults)).toBe([
      '[certs/KeyfactorDefaults] ledger.bucket: must be known at synth, not a Terraform reference or template: Terraform lets the destroy-time steps that read ' +
        'it refer to nothing but their own resource. To choose the ledger from such a value, set CDKTF_KEYFACTOR_LEDGER at apply time (KeyfactorDefaults)',
    ].join('\n'));

    const other = new TerraformStack(app, 'other');
    const d2 = new KeyfactorDefaults(other, 'KeyfactorDefaults', { ledger: Ledger.azureBlob({ accountName: 'Bad_Name', containerName: 'x', endpoint: 'http://u:p@h' }) });
    expect(synthErrors(d2).split('\n')).toEqual([
      '[other/KeyfactorDefaults] ledger.accountName: must be a storage account name (3 to 24 lower-case letters and digits), got "Bad_Name" (KeyfactorDefaults)',
      '[other/KeyfactorDefaults] ledger.containerName: must be a container name (3 to 63 lower-case letters, digits and single hyphens), got "x" (KeyfactorDefaults)',
      '[other/KeyfactorDefaults] ledger.endpoint: must not hold credentials (user:password@); they come from the environment (KeyfactorDefaults)',
    ]);

    const third = new TerraformStack(app, 'third');
    const d3 = new KeyfactorDefaults(third, 'KeyfactorDefaults', { ledger: Ledger.postgres({ table: 'x;drop', port: 0 }), ledgerDirectory: 'x' });
    expect(synthErrors(d3)).toBe('[third/KeyfactorDefaults] ledger: cannot be set together with ledgerDirectory (deprecated): use ledger: Ledger.directory(path) alone (KeyfactorDefaults)');
    const fourth = new TerraformStack(app, 'fourth');
    const d4 = new KeyfactorDefaults(fourth, 'KeyfactorDefaults', { ledger: Ledger.postgres({ table: 'x;drop', port: 0, sslMode: 'sometimes' }) });
    expect(synthErrors(d4).split('\n')).toEqual([
      '[fourth/KeyfactorDefaults] ledger.table: must be a plain SQL name (letters, digits, _ and $, not starting with a digit, at most 63), got "x;drop" (KeyfactorDefaults)',
      '[fourth/KeyfactorDefaults] ledger.port: must be an integer from 1 to 65535, got 0 (KeyfactorDefaults)',
      '[fourth/KeyfactorDefaults] ledger.sslMode: must be one of disable, allow, prefer, require, verify-ca, verify-full, got "sometimes" (KeyfactorDefaults)',
    ]);
  });

  test('describe() says where, never how to authenticate', () => {
    expect(Ledger.s3({ bucket: 'platform-state', endpoint: 'https://minio:9000', usePathStyle: true }).describe()).toBe('s3://platform-state/keyfactor-ledger/ at https://minio:9000');
    expect(Ledger.postgres({ host: 'db', user: 'ci' }).describe()).toBe('PostgreSQL table public.keyfactor_ledger (host db, user ci)');
  });
});
