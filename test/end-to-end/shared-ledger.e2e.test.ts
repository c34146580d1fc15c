import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { PgBackend, S3Backend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { CertificateDeployment, KeyfactorDefaultsProps, Ledger, Schedule } from '../../src';
import { DEFAULT_SEED } from '../../src/simulator';
import { AZURITE_KEY, Azurite, startAzurite } from '../support/servers/azurite';
import { PostgresServer, startPostgres } from '../support/servers/postgres';
import { S3RVER_ACCESS_KEY_ID, S3Server, startS3Server } from '../support/servers/s3';
import { startAll } from '../support/servers/start';
import { StartedSimulator, startSimulator } from '../support/simulator';
import { TerraformProject } from '../support/terraform';

/**
 * The ledger where the state is, across machines, as pipelines run: each machine is a fresh
 * checkout with its own HOME and TMPDIR; only the state backend and the ledger store are shared.
 * Machine A is cancelled (SIGTERM to terraform's process group, SIGKILL 10 s later) while Command
 * holds its answer to an Add it processed; machine B deploys again and must send no Add twice;
 * machine C synthesizes only and reads every job GUID Command created, and the same drift
 * verdicts as B. Once per store: PostgreSQL and S3 followed from the stack's pg and s3 backends
 * (the s3 backend's key given with -backend-config), Azure Blob chosen in KeyfactorDefaults.
 */
const CLI = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.js');
const ADD = '/CertificateStores/Certificates/Add';
const STORES = DEFAULT_SEED.stores.slice(0, 3).map((s) => s.Id);
const STATE_BUCKET = 'tfstate';
/** The S3 secret key every machine has (s3rver takes any): it must show nowhere. */
const S3_SECRET = 'ledger-s3-secret-91c2f0';

/** Three deployments, each to its own store. */
function app(tag: string) {
  return (scope: Construct) => STORES.forEach((store, i) => new CertificateDeployment(scope, `d${i}`, {
    certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: store, alias: `${tag}-${i}` }],
  }));
}

interface Machine {
  readonly name: string;
  readonly project: TerraformProject;
  readonly env: Record<string, string>;
}

interface Setup {
  readonly tag: string;
  readonly backend: (stack: TerraformStack) => void;
  readonly defaults: KeyfactorDefaultsProps;
  /** What a pipeline of this project passes to `terraform init` (partial backend configuration). */
  readonly initArgs: string[];
  readonly env: Record<string, string>;
  /** Whether the checkout that only reads must run `terraform init` first (partial configuration needs it). */
  readonly readerInits: boolean;
}

/** Runs the compiled CLI as `npx cdktf-keyfactor` would, in `m`'s project directory; asynchronous (the simulator answers from here). */
async function cli(m: Machine, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: m.project.dir, env: { PATH: process.env.PATH!, ...m.env } });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const status = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return { status, stdout, stderr };
}

describe('the ledger where the state is: a cancelled apply on one machine, a re-deploy on another, a reader on a third', () => {
  let started: StartedSimulator;
  let pg: PostgresServer;
  let s3: S3Server;
  let azurite: Azurite;
  const projects: TerraformProject[] = [];
  beforeAll(async () => {
    [started, pg, s3, azurite] = await startAll([
      startSimulator({ jobTiming: { waitingMs: 20, inProcessMs: 20 } }), startPostgres(), startS3Server([STATE_BUCKET]), startAzurite(),
    ]);
    const blobs = new BlobServiceClient(azurite.endpoint, new StorageSharedKeyCredential(azurite.account, azurite.key));
    await blobs.getContainerClient('ledger').create();
  });
  afterAll(async () => {
    await Promise.all([started?.sim.stop(), pg?.stop(), s3?.stop(), azurite?.stop()]);
    projects.forEach((p) => p.cleanup());
  });

  const pgUrl = () => `postgres://${pg.superuser}:${encodeURIComponent(pg.password)}@${pg.host}:${pg.port}/postgres?sslmode=disable`;

  function machine(name: string, setup: Setup): Machine {
    const project = new TerraformProject('certs');
    projects.push(project);
    const env = { ...started.env, ...setup.env, HOME: path.join(project.dir, 'home'), TMPDIR: path.join(project.dir, 'tmp'), CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '3' };
    fs.mkdirSync(env.HOME);
    fs.mkdirSync(env.TMPDIR);
    project.synth(app(setup.tag), {}, { defaults: setup.defaults, backend: setup.backend, inProject: true });
    return { name, project, env };
  }

  async function scenario(setup: Setup): Promise<Array<{ recordId: string }>> {
    const { sim } = started;
    sim.reset();
    const a = machine('A', setup);
    await a.project.mustRun(['init', '-input=false', '-no-color', ...setup.initArgs], a.env);
    sim.injectFaults({ route: { method: 'POST', pathSuffix: ADD }, kind: 'holdAfterProcessing', count: 1 });
    const apply = a.project.start(['apply', '-auto-approve', '-input=false', '-no-color'], a.env);
    for (let i = 0; i < 600 && !sim.requests.some((r) => r.held); i++) await new Promise((r) => setTimeout(r, 50));
    const held = sim.requests.filter((r) => r.held);
    expect(held).toHaveLength(1); // Command acted on the Add and holds its answer
    const heldPath = `certs/d${STORES.indexOf((held[0].body as { CertificateStores: Array<{ CertificateStoreId: string }> }).CertificateStores[0].CertificateStoreId)}`;
    // The other two deployments finish while the first is held: wait for their answers, then cancel as CI does.
    for (let i = 0; i < 600 && sim.received('POST', ADD).filter((r) => r.status === 200).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const pid = apply.child.pid!;
    process.kill(-pid, 'SIGTERM');
    const kill = setTimeout(() => process.kill(-pid, 'SIGKILL'), 10_000);
    const first = await apply.done.finally(() => clearTimeout(kill));
    expect(first.status).not.toBe(0);
    sim.clearFaults();
    const created = sim.jobs().map((j) => j.JobId).sort();
    expect(created).toHaveLength(3);

    // B: a fresh checkout with none of A's files, the same state and store.
    const b = machine('B', setup);
    expect(fs.existsSync(path.join(b.project.dir, '.keyfactor-ledger'))).toBe(false);
    await b.project.mustRun(['init', '-input=false', '-no-color', ...setup.initArgs], b.env);
    const again = await b.project.terraform(['apply', '-auto-approve', '-input=false', '-no-color'], b.env);
    expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' });
    expect(again.stdout).toMatch(/an earlier run of this create \(ledger record \S+\) stopped before it knew whether Keyfactor Command had acted/);
    expect(sim.received('POST', ADD)).toHaveLength(3); // the held Add was adopted, not sent again
    expect(sim.duplicateJobs()).toEqual([]);
    expect(sim.jobs().map((j) => j.JobId).sort()).toEqual(created);
    // B kept nothing on its own disk: the ledger is where the state is.
    expect(fs.existsSync(path.join(b.project.dir, '.keyfactor-ledger'))).toBe(false);

    // C: a fresh checkout that synthesizes (and, with a partial backend configuration, initializes) and reads.
    const c = machine('C', setup);
    if (setup.readerInits) await c.project.mustRun(['init', '-input=false', '-no-color', ...setup.initArgs], c.env);
    const outputs = await cli(c, ['outputs', '--json']);
    expect({ status: outputs.status, stderr: outputs.stderr }).toEqual({ status: 0, stderr: '' });
    const records = JSON.parse(outputs.stdout).records as Array<{ constructPath: string; jobIds: string[]; outcome: string; message?: string }>;
    expect([...new Set(records.filter((r) => r.outcome === 'succeeded').flatMap((r) => r.jobIds))].sort()).toEqual(created);
    // A's in-flight record of the held Add is there too, settled by B with the job it found in JobHistory.
    const settled = records.filter((r) => /^interrupted before its outcome was recorded; its job \S+ was found in JobHistory/.test(r.message ?? ''));
    expect(settled.map((r) => r.constructPath)).toContain(heldPath);

    const verdicts = async (m: Machine) => {
      const res = await cli(m, ['drift', '--json']);
      expect([0, 2]).toContain(res.status);
      const results = JSON.parse(res.stdout).results as Array<{ label: string; verdict: string }>;
      return Object.fromEntries(results.map((r) => [r.label, r.verdict]));
    };
    const onB = await verdicts(b);
    expect(Object.keys(onB)).toHaveLength(3);
    expect(await verdicts(c)).toEqual(onB);

    // No credential of the store or the backend anywhere: terraform's output on every machine,
    // cdk.tf.json, the state, the ledger's records as C read them.
    const state = await b.project.terraform(['show', '-json', '-no-color'], b.env);
    const everything = [a, b, c].map((m) => m.project.output + TerraformProject.filesText(path.join(m.project.stackDir, 'cdk.tf.json'))).join('') +
      state.stdout + outputs.stdout;
    for (const secret of [pg.password, S3_SECRET, AZURITE_KEY]) expect(everything).not.toContain(secret);
    return records as unknown as Array<{ recordId: string }>;
  }

  test('PostgreSQL: the ledger follows the stack\'s pg backend (conn_str from PG_CONN_STR); the reader only synthesizes', async () => {
    const records = await scenario({
      tag: 'pg',
      backend: (stack) => {
        new PgBackend(stack, { connStr: '', schemaName: 'xm_pg' });
        // The connection string (it holds the password) comes from PG_CONN_STR, as Terraform's pg backend reads it.
        stack.addOverride('terraform.backend.pg.conn_str', undefined);
      },
      defaults: {},
      initArgs: [],
      env: { PG_CONN_STR: pgUrl() },
      readerInits: false,
    });
    // What C read is the table in the backend's schema, and nothing else.
    const table = await pg.query('SELECT name FROM xm_pg.keyfactor_ledger WHERE name LIKE \'records/%\'');
    expect(table.rows.map((r: { name: string }) => r.name.replace(/^.*\/|\.json$/g, '')).sort()).toEqual(records.map((r) => r.recordId).sort());
  });

  test('S3: the ledger follows the stack\'s s3 backend, whose key comes from -backend-config (partial configuration)', async () => {
    await scenario({
      tag: 's3',
      backend: (stack) => {
        new S3Backend(stack, {
          bucket: STATE_BUCKET,
          key: 'set-by-init',
          region: 'us-east-1',
          endpoints: { s3: s3.endpoint },
          usePathStyle: true,
          skipCredentialsValidation: true,
          skipRequestingAccountId: true,
          skipMetadataApiCheck: true,
        });
        stack.addOverride('terraform.backend.s3.key', undefined);
      },
      defaults: {},
      initArgs: ['-backend-config=key=teams/certs.tfstate'],
      env: { AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: S3_SECRET },
      readerInits: true,
    });
  });

  test('Azure Blob: chosen in KeyfactorDefaults (Terraform\'s azurerm backend cannot reach Azurite; the state is in pg), the key from AZURE_STORAGE_KEY', async () => {
    await scenario({
      tag: 'az',
      backend: (stack) => {
        new PgBackend(stack, { connStr: '', schemaName: 'xm_azure' });
        stack.addOverride('terraform.backend.pg.conn_str', undefined);
      },
      defaults: { ledger: Ledger.azureBlob({ accountName: azurite.account, containerName: 'ledger', endpoint: azurite.endpoint }) },
      initArgs: [],
      env: { PG_CONN_STR: pgUrl(), AZURE_STORAGE_KEY: AZURITE_KEY },
      readerInits: false,
    });
  });
});
